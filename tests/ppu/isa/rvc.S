# Every RV32C instruction, written with explicit c.* mnemonics.
#include "test_env.h"
CODE_BEGIN
  .option push
  .option rvc
  la sp, stack_top

  TEST_CASE(1, a0, 0x3fc, c.addi4spn a0, sp, 1020; sub a0, a0, sp)
  TEST_CASE(2, a1, 4, c.addi4spn a1, sp, 4; sub a1, a1, sp)

  TEST_CASE(3, a0, 0xfedcba98, la a1, words; c.lw a0, 4(a1))
  TEST_CASE(4, a2, 0x12345678, la a1, words; c.lw a2, 0(a1))
  TEST_CASE(5, a3, 0x0badf00d, la a1, words; c.lw a3, 124(a1))
  TEST_CASE(6, a4, 0x55aa55aa, la s0, scratch; li a5, 0x55aa55aa; c.sw a5, 8(s0); lw a4, 8(s0))
  TEST_CASE(7, a4, 0x66aa66aa, la s1, scratch; li a5, 0x66aa66aa; c.sw a5, 124(s1); lw a4, 124(s1))

  TEST_CASE(10, a0, 7, li a0, 0; c.addi a0, 7)
  TEST_CASE(11, a0, -32, li a0, 0; c.addi a0, -32)
  TEST_CASE(12, t6, 31, li t6, 0; c.addi t6, 31)
  TEST_CASE(13, a0, 5, li a0, 5; c.nop)
  TEST_CASE(14, a1, -1, c.li a1, -1)
  TEST_CASE(15, s11, 31, c.li s11, 31)
  TEST_CASE(16, a2, 0x0001f000, c.lui a2, 31)
  TEST_CASE(17, a2, 0xfffe0000, c.lui a2, 0xfffe0)
  TEST_CASE(18, a3, 0xfffff000, c.lui a3, 0xfffff)

  li TESTNUM, 20
  mv s0, sp
  c.addi16sp sp, -512
  sub a0, s0, sp
  li x4, 512
  bne a0, x4, fail
  c.addi16sp sp, 496
  c.addi16sp sp, 16
  bne sp, s0, fail

  TEST_CASE(21, a0, 0x7fffffff, li a0, -1; c.srli a0, 1)
  TEST_CASE(22, a0, 1, li a0, 0x80000000; c.srli a0, 31)
  TEST_CASE(23, a1, 0xffffff80, li a1, 0x80000000; c.srai a1, 24)
  TEST_CASE(24, a1, 0x0000007f, li a1, 0x7fffffff; c.srai a1, 24)
  TEST_CASE(25, a2, 0x0000000f, li a2, 0xff; c.andi a2, 15)
  TEST_CASE(26, a2, 0xffffffe0, li a2, -1; c.andi a2, -32)
  TEST_CASE(27, a3, 0x80000000, li a3, 1; c.slli a3, 31)
  TEST_CASE(28, t6, 0x00000100, li t6, 1; c.slli t6, 8)

  TEST_CASE(30, a0, 0xfffffffc, li a0, 3; li a1, 7; c.sub a0, a1)
  TEST_CASE(31, s1, 0xf00ff00f, li s1, 0xff00ff00; li a5, 0x0f0f0f0f; c.xor s1, a5)
  TEST_CASE(32, a4, 0xff0fff0f, li a4, 0xff00ff00; li s0, 0x0f0f0f0f; c.or a4, s0)
  TEST_CASE(33, a5, 0x0f000f00, li a5, 0xff00ff00; li a2, 0x0f0f0f0f; c.and a5, a2)
  TEST_CASE(34, a0, 0x1234, li a1, 0x1234; c.mv a0, a1)
  TEST_CASE(35, t5, 0x2000, li t5, 0x1000; li t4, 0x1000; c.add t5, t4)
  TEST_CASE(36, a0, 0x2000, mv s0, sp; li sp, 0x1000; li t4, 0x1000; c.add sp, t4; mv a0, sp; mv sp, s0)
  la sp, stack_top

  TEST_CASE(40, a0, 0xcafe, li a1, 0xcafe; c.swsp a1, 0(sp); c.lwsp a0, 0(sp))
  TEST_CASE(41, ra, 0xbeef, li a1, 0xbeef; c.swsp a1, 252(sp); c.lwsp ra, 252(sp))

  # Jumps and branches.
  li TESTNUM, 50
  c.j 1f
  j fail
1:
  li TESTNUM, 51
  c.jal 2f
3:
  j fail
2:
  la x4, 3b
  bne ra, x4, fail

  li TESTNUM, 52
  la a0, 4f
  c.jr a0
  j fail
4:
  li TESTNUM, 53
  la a0, 5f
  c.jalr a0
6:
  j fail
5:
  la x4, 6b
  bne ra, x4, fail

  li TESTNUM, 54       # c.jalr ra: the target is read before ra is written
  la ra, 7f
  c.jalr ra
8:
  j fail
7:
  la x4, 8b
  bne ra, x4, fail

  li TESTNUM, 55
  li a0, 0
  c.beqz a0, 9f
  j fail
9:
  li a0, 1
  c.beqz a0, fail
  c.bnez a0, 10f
  j fail
10:
  li a0, 0
  c.bnez a0, fail

  # A backward loop of compressed instructions.
  li TESTNUM, 56
  c.li a0, 10
  c.li a1, 0
11:
  c.addi a1, 2
  c.addi a0, -1
  c.bnez a0, 11b
  li x4, 20
  bne a1, x4, fail

  # c.ebreak raises a breakpoint exception with mepc = mtval = its address.
  li TESTNUM, 60
  li s1, 0
ebreak_here:
  c.ebreak
  li x4, 1
  bne s1, x4, fail

  .option pop
  PASS_FAIL

  .align 2
mtvec_handler:
  li t0, 3
  csrr t1, mcause
  bne t0, t1, fail
  la t0, ebreak_here
  csrr t1, mepc
  bne t0, t1, fail
  csrr t1, mtval
  bne t0, t1, fail
  li s1, 1
  addi t0, t0, 2       # skip the 2-byte c.ebreak
  csrw mepc, t0
  mret

DATA_BEGIN
  .align 4
words:
  .word 0x12345678
  .word 0xfedcba98
  .skip 116, 0
  .word 0x0badf00d
scratch:
  .skip 128, 0
stack:
  .skip 1024, 0
stack_top:
  .skip 256, 0
