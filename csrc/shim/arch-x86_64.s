/* elfdce shim, x86_64 pieces (LP64). A trampoline is one indirect jump through its slot:
 * no register an argument may be in (rdi, rsi, rdx, rcx, r8, r9, xmm0-7, al = the vector
 * register count of a variadic call) and no stack byte is touched, so variadic functions
 * (printf, open, ioctl) reach the slot's function exactly as they were called. */
	.set ELFDCE_POINTER_SIZE, 8

	.macro ELFDCE_TRAMPOLINE sym, slot
	.text
	.p2align 3
	.type \sym, %function
\sym:
	jmp *__elfdce_slots+8*\slot(%rip)
	.size \sym, .-\sym
	.endm

	.macro ELFDCE_NOOP sym
	.text
	.p2align 3
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
	.p2align 4
	.globl __elfdce_unset
	.hidden __elfdce_unset
	.type __elfdce_unset, %function
__elfdce_unset:
	mov $1, %eax
	mov $2, %edi
	lea __elfdce_unset_message(%rip), %rsi
	mov $__elfdce_unset_length, %edx
	syscall
	mov $231, %eax
	mov $127, %edi
	syscall
	hlt
	.size __elfdce_unset, .-__elfdce_unset
	.endm
