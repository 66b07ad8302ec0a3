/* elfdce's trampoline, from the shim's own macros (csrc/shim/arch-*.s, common.s). */
	.include "arch-x86_64.s"
	.include "common.s"
	ELFDCE_TRAP "elfdce benchmark: slot not set\n"
	ELFDCE_SLOT_TABLE 1
	ELFDCE_TRAMPOLINE elfdce_style_strlen, 0
	.globl elfdce_style_strlen
	.text
	.globl elfdce_style_setup
	.type elfdce_style_setup, %function
elfdce_style_setup:
	movq %rdi, __elfdce_slots(%rip)
	ret
	.size elfdce_style_setup, .-elfdce_style_setup
	.section .note.GNU-stack,"",%progbits
