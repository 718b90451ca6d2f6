# JAL and JALR: link values, targets, bit 0 of the JALR target, rd == rs1.
#include "test_env.h"
CODE_BEGIN

  li TESTNUM, 1
  li ra, 0
  jal ra, 1f
2:
  j fail
1:
  la x4, 2b
  bne ra, x4, fail

  li TESTNUM, 2
  jal x0, 3f          # j: no link
  j fail
3:

  li TESTNUM, 3
  la x1, 4f
  jalr x5, 0(x1)
5:
  j fail
4:
  la x4, 5b
  bne x5, x4, fail

  li TESTNUM, 4       # the target's bit 0 is cleared
  la x1, 6f
  addi x1, x1, 1
  jalr x0, 0(x1)
  j fail
6:

  li TESTNUM, 5       # offset applied before clearing bit 0
  la x1, 7f
  addi x1, x1, -3
  jalr x0, 3(x1)
  j fail
7:

  li TESTNUM, 6       # rd == rs1: the target comes from the old value
  la x6, 8f
  jalr x6, 0(x6)
9:
  j fail
8:
  la x4, 9b
  bne x6, x4, fail

  li TESTNUM, 7       # a call/return pair
  call leaf
  li x4, 42
  bne a0, x4, fail

  PASS_FAIL

leaf:
  li a0, 42
  ret

DATA_BEGIN
