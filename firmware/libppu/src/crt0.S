/* Start-up of plasticity-processor firmware: global pointer, stack at the top of SRAM, the
 * TLS block picolibc uses, the trap vector, zeroed .bss/.tbss, then main(); main's return
 * value ends the program through tohost as (rc << 1) | 1. */
    /* No linker relaxation here: the assembler's debug info records code sizes as constants,
     * and relaxed (shrunk) start-up code would make gdb attribute main's callees to _start. */
    .option norelax
    .section .text.init, "ax", @progbits
    .globl _start
    .type _start, @function
_start:
    la      gp, __global_pointer$
    la      sp, __stack_top
    la      tp, __tls_base
    la      t0, ppu_trap_entry
    csrw    mtvec, t0

    la      a0, __bss_start
    la      a1, __bss_end
1:  bgeu    a0, a1, 2f
    sw      zero, 0(a0)
    addi    a0, a0, 4
    j       1b
2:  la      a0, __tbss_start
    la      a1, __tbss_end
3:  bgeu    a0, a1, 4f
    sb      zero, 0(a0)
    addi    a0, a0, 1
    j       3b
4:
    li      a0, 0
    li      a1, 0
    call    main
    call    ppu_exit
    .size _start, . - _start

/* Trap entry: saves the caller-saved registers and calls
 * ppu_trap_handler(mcause, mepc, mtval) in C. */
    .text
    .globl ppu_trap_entry
    .type ppu_trap_entry, @function
    .align 2
ppu_trap_entry:
    addi    sp, sp, -64
    sw      ra, 0(sp)
    sw      t0, 4(sp)
    sw      t1, 8(sp)
    sw      t2, 12(sp)
    sw      a0, 16(sp)
    sw      a1, 20(sp)
    sw      a2, 24(sp)
    sw      a3, 28(sp)
    sw      a4, 32(sp)
    sw      a5, 36(sp)
    sw      a6, 40(sp)
    sw      a7, 44(sp)
    sw      t3, 48(sp)
    sw      t4, 52(sp)
    sw      t5, 56(sp)
    sw      t6, 60(sp)
    csrr    a0, mcause
    csrr    a1, mepc
    csrr    a2, mtval
    call    ppu_trap_handler
    lw      ra, 0(sp)
    lw      t0, 4(sp)
    lw      t1, 8(sp)
    lw      t2, 12(sp)
    lw      a0, 16(sp)
    lw      a1, 20(sp)
    lw      a2, 24(sp)
    lw      a3, 28(sp)
    lw      a4, 32(sp)
    lw      a5, 36(sp)
    lw      a6, 40(sp)
    lw      a7, 44(sp)
    lw      t3, 48(sp)
    lw      t4, 52(sp)
    lw      t5, 56(sp)
    lw      t6, 60(sp)
    addi    sp, sp, 64
    mret
    .size ppu_trap_entry, . - ppu_trap_entry
