/* The exports of libcrayon.so: crayon_x: jmp *crayon_dispatch_slots[i] (see dispatch.c). A tail jump
 * leaves every argument register and the stack as the caller set them, so one stub fits every
 * signature in crayon.h; the table is generated from the header (exports.py). */
#define X(i, name, fallback) \
    .globl name ; .type name, @function ; .p2align 4 ; \
    name: jmp *crayon_dispatch_slots + 8 * i(%rip) ; .size name, . - name ;

    .text
#include "exports.inc"

    .section .note.GNU-stack, "", @progbits
