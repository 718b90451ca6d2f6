# Stores of every width, read back; misaligned stores inside RAM.
#include "test_env.h"
CODE_BEGIN

  TEST_ST(1, lb, sb, 0xffffffaa, 0, tdat)
  TEST_ST(2, lb, sb, 0x00000000, 1, tdat)
  TEST_ST(3, lbu, sb, 0x000000a0, 3, tdat)
  TEST_ST(4, lh, sh, 0xffffaa00, 0, tdat)
  TEST_ST(5, lhu, sh, 0x0000a00a, 2, tdat)
  TEST_ST(6, lw, sw, 0xaabbccdd, 4, tdat)
  TEST_ST(7, lw, sw, 0x12345678, -4, tdat8)

  # Narrow stores leave the neighbouring bytes alone.
  li TESTNUM, 10
  la x1, tdat16
  li x2, 0x11223344
  sw x2, 0(x1)
  li x2, 0xab
  sb x2, 1(x1)
  lw x14, 0(x1)
  li x4, 0x1122ab44
  bne x14, x4, fail
  li x2, 0xcdef
  sh x2, 2(x1)
  lw x14, 0(x1)
  li x4, 0xcdefab44
  bne x14, x4, fail

  # sb/sh store only the low bits of the source.
  li TESTNUM, 11
  li x2, 0x12345678
  sb x2, 0(x1)
  lbu x14, 0(x1)
  li x4, 0x78
  bne x14, x4, fail

  # Misaligned stores inside RAM complete.
  li TESTNUM, 20
  la x1, mis
  li x2, 0xa1b2c3d4
  sw x2, 1(x1)
  lw x14, 0(x1)
  li x4, 0xb2c3d400
  bne x14, x4, fail
  lbu x14, 4(x1)
  li x4, 0xa1
  bne x14, x4, fail
  li TESTNUM, 21
  li x2, 0xbeef
  sh x2, 7(x1)
  lhu x14, 7(x1)
  li x4, 0xbeef
  bne x14, x4, fail

  # Store with the base register as data.
  TEST_CASE(30, x14, 0, la x1, tdat16; sw x1, 0(x1); lw x14, 0(x1); sub x14, x14, x1)

  PASS_FAIL

DATA_BEGIN
tdat:
  .word 0xdeadbeef
  .word 0xdeadbeef
tdat8:
  .word 0xdeadbeef
  .word 0xdeadbeef
tdat16:
  .word 0
  .word 0
mis:
  .word 0
  .word 0
  .word 0
