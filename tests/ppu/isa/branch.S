# Conditional branches, taken and not taken, forward and backward.
#include "test_env.h"
CODE_BEGIN

  TEST_BR_TAKEN(1, beq, 0, 0)
  TEST_BR_TAKEN(2, beq, -1, -1)
  TEST_BR_NOT_TAKEN(3, beq, 0, 1)
  TEST_BR_NOT_TAKEN(4, beq, 0x80000000, 0)

  TEST_BR_TAKEN(10, bne, 0, 1)
  TEST_BR_TAKEN(11, bne, 0x80000000, 0)
  TEST_BR_NOT_TAKEN(12, bne, 7, 7)

  TEST_BR_TAKEN(20, blt, 0, 1)
  TEST_BR_TAKEN(21, blt, -1, 1)
  TEST_BR_TAKEN(22, blt, 0x80000000, 0x7fffffff)
  TEST_BR_NOT_TAKEN(23, blt, 1, 0)
  TEST_BR_NOT_TAKEN(24, blt, 1, 1)
  TEST_BR_NOT_TAKEN(25, blt, 0x7fffffff, 0x80000000)

  TEST_BR_TAKEN(30, bge, 0, 0)
  TEST_BR_TAKEN(31, bge, 1, -1)
  TEST_BR_TAKEN(32, bge, 0x7fffffff, 0x80000000)
  TEST_BR_NOT_TAKEN(33, bge, -1, 1)
  TEST_BR_NOT_TAKEN(34, bge, 0x80000000, 0)

  TEST_BR_TAKEN(40, bltu, 0, 1)
  TEST_BR_TAKEN(41, bltu, 1, -1)
  TEST_BR_TAKEN(42, bltu, 0x7fffffff, 0x80000000)
  TEST_BR_NOT_TAKEN(43, bltu, -1, 1)
  TEST_BR_NOT_TAKEN(44, bltu, 5, 5)

  TEST_BR_TAKEN(50, bgeu, 5, 5)
  TEST_BR_TAKEN(51, bgeu, -1, 1)
  TEST_BR_TAKEN(52, bgeu, 0x80000000, 0x7fffffff)
  TEST_BR_NOT_TAKEN(53, bgeu, 1, -1)
  TEST_BR_NOT_TAKEN(54, bgeu, 0, 1)

  # A taken branch with x0 operands, and a loop counting down (backward branches).
  li TESTNUM, 60
  beq x0, x0, 1f
  j fail
1:
  li TESTNUM, 61
  li x1, 10
  li x2, 0
2: addi x2, x2, 3
  addi x1, x1, -1
  bnez x1, 2b
  li x4, 30
  bne x2, x4, fail

  # A branch as far as the 12-bit offset reaches: over 4092 bytes of padding.
  li TESTNUM, 62
  beq x0, x0, 3f
  .skip 4088, 0
3:

  PASS_FAIL

DATA_BEGIN
