/* elfdce shim, AArch64 pieces (LP64). A trampoline loads its slot into x16 (IP0, which the
 * AAPCS64 lets any veneer or PLT entry clobber) and branches: no argument register (x0-x7,
 * v0-v7, x8) and no stack byte is touched, so variadic functions forward unchanged. */
	.set ELFDCE_POINTER_SIZE, 8

	.macro ELFDCE_TRAMPOLINE sym, slot
	.text
	.p2align 2
	.type \sym, %function
\sym:
	adrp x16, __elfdce_slots+8*\slot
	ldr x16, [x16, #:lo12:__elfdce_slots+8*\slot]
	br x16
	.size \sym, .-\sym
	.endm

	.macro ELFDCE_NOOP sym
	.text
	.p2align 2
	.type \sym, %function
\sym:
	ret
	.size \sym, .-\sym
	.endm

	/* A slot nobody set: say so on fd 2 and exit 127, by system calls (no libc here). */
	.macro ELFDCE_TRAP message
	.section .rodata
__elfdce_unset_message:
	.ascii "\message"
	.set __elfdce_unset_length, . - __elfdce_unset_message
	.text
	.p2align 2
	.globl __elfdce_unset
	.hidden __elfdce_unset
	.type __elfdce_unset, %function
__elfdce_unset:
	mov x0, #2
	adrp x1, __elfdce_unset_message
	add x1, x1, #:lo12:__elfdce_unset_message
	mov x2, #__elfdce_unset_length
	mov x8, #64
	svc #0
	mov x0, #127
	mov x8, #94
	svc #0
	brk #0
	.size __elfdce_unset, .-__elfdce_unset
	.endm
