/* diyc-init (diyc-init.c), built first, carried inside diyc as bytes (runtime/execcmd.c) */
	.section .rodata
	.global diyc_init_blob
	.global diyc_init_blob_end
	.balign 16
diyc_init_blob:
	.incbin DIYC_INIT
diyc_init_blob_end:
	.section .note.GNU-stack,"",%progbits
