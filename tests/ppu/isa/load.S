# Loads: sign and zero extension, offsets, and misaligned loads from RAM (done in hardware).
#include "test_env.h"
CODE_BEGIN

  TEST_LD(1, lb, 0xffffffff, 0, tdat)
  TEST_LD(2, lb, 0x00000000, 1, tdat)
  TEST_LD(3, lb, 0xfffffff0, 2, tdat)
  TEST_LD(4, lb, 0x0000000f, 3, tdat)
  TEST_LD(5, lb, 0xfffffff0, -2, tdat4)
  TEST_LD(6, lbu, 0x000000ff, 0, tdat)
  TEST_LD(7, lbu, 0x000000f0, 2, tdat)
  TEST_LD(8, lbu, 0x0000000f, -1, tdat4)

  TEST_LD(10, lh, 0x000000ff, 0, tdat)
  TEST_LD(11, lh, 0x00000ff0, 2, tdat)
  TEST_LD(12, lh, 0x00000ff0, 4, tdat)
  TEST_LD(13, lh, 0xfffff00f, 6, tdat)
  TEST_LD(14, lh, 0xfffff00f, -2, tdat8)
  TEST_LD(15, lhu, 0x00000ff0, 2, tdat)
  TEST_LD(16, lhu, 0x0000f00f, 6, tdat)

  TEST_LD(20, lw, 0x0ff000ff, 0, tdat)
  TEST_LD(21, lw, 0xf00f0ff0, 4, tdat)
  TEST_LD(22, lw, 0x0ff00ff0, 8, tdat)
  TEST_LD(23, lw, 0xf00ff00f, 12, tdat)
  TEST_LD(24, lw, 0x0ff00ff0, -8, tdat16)

  # Misaligned loads inside RAM complete (little-endian byte order).
  TEST_LD(30, lw, 0x04030201, 0, mis)
  TEST_LD(31, lw, 0x05040302, 1, mis)
  TEST_LD(32, lw, 0x06050403, 2, mis)
  TEST_LD(33, lw, 0x07060504, 3, mis)
  TEST_LD(34, lh, 0x00000302, 1, mis)
  TEST_LD(35, lh, 0xffff8807, 6, mis)
  TEST_LD(36, lhu, 0x00008807, 6, mis)

  # The loaded register may be the base register.
  TEST_CASE(40, x1, 0xf00f0ff0, la x1, tdat; lw x1, 4(x1))
  # A load into x0 is executed but does not write.
  TEST_CASE(41, x0, 0, la x1, tdat; lw x0, 0(x1))

  PASS_FAIL

DATA_BEGIN
tdat:
  .byte 0xff, 0x00, 0xf0, 0x0f
tdat4:
  .half 0x0ff0, 0xf00f
tdat8:
  .word 0x0ff00ff0
  .word 0xf00ff00f
tdat16:
  .word 0
mis:
  .byte 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x88
