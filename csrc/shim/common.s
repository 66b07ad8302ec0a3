/* elfdce shim, pieces every architecture shares: the slot table and data storage. */

	/* The dispatch table: every slot starts at the trap until <lib>_setup fills it. */
	.macro ELFDCE_SLOT_TABLE count
	.data
	.p2align 3
	.globl __elfdce_slots
	.hidden __elfdce_slots
	.type __elfdce_slots, %object
	.size __elfdce_slots, ELFDCE_POINTER_SIZE*\count
__elfdce_slots:
	.rept \count
	.8byte __elfdce_unset
	.endr
	.endm

	/* A data object of the host's size; label is the hidden name the description uses. */
	.macro ELFDCE_OBJECT label, sym, size, align
	.data
	.p2align \align
	.globl \label
	.hidden \label
\label:
	.type \sym, %object
	.size \sym, \size
\sym:
	.zero \size
	.endm

	/* Thread-local storage of the host's size (per thread: not described, not filled). */
	.macro ELFDCE_TLS sym, size, align
	.section .tbss,"awT",%nobits
	.p2align \align
	.type \sym, %tls_object
	.size \sym, \size
\sym:
	.zero \size
	.endm
