# Counters: cycle/instret/time and their machine-mode views, 64-bit reads, writes to
# mcycle/minstret (the written value is what the next instruction sees).
#include "test_env.h"
CODE_BEGIN
  .option push
  .option norvc

  # instret counts retired instructions exactly.
  li TESTNUM, 1
  csrr a0, instret
  nop
  nop
  nop
  csrr a1, instret
  sub a1, a1, a0
  li x4, 4
  bne a1, x4, fail

  # minstret is the same counter.
  li TESTNUM, 2
  csrr a0, minstret
  csrr a1, instret
  sub a1, a1, a0
  li x4, 1
  bne a1, x4, fail

  # cycle advances at least once per instruction; mcycle is the same counter.
  li TESTNUM, 3
  csrr a0, cycle
  nop
  csrr a1, mcycle
  sub a1, a1, a0
  li x4, 2
  bltu a1, x4, fail

  # minstret writes: the next instruction reads the written value.
  li TESTNUM, 4
  li a0, 1000
  csrw minstret, a0
  csrr a1, minstret
  bne a1, a0, fail
  csrr a1, instret       # 1000 + the csrr and the bne in between
  li x4, 1002
  bne a1, x4, fail

  # 64-bit: carry into minstreth.
  li TESTNUM, 5
  li a0, -2
  csrw minstreth, zero
  csrw minstret, a0      # low = 0xfffffffe
  nop                    # low = 0xffffffff
  nop                    # wraps: high = 1
  csrr a1, minstreth
  li x4, 1
  bne a1, x4, fail
  csrr a1, instreth
  bne a1, x4, fail

  # mcycle writes.
  li TESTNUM, 6
  li a0, 5
  csrw mcycle, a0
  csrr a1, mcycle
  sub a1, a1, a0
  li x4, 8
  bgeu a1, x4, fail       # a few cycles at most
  csrw mcycleh, zero
  csrr a1, mcycleh
  bnez a1, fail

  # mcountinhibit freezes both.
  li TESTNUM, 7
  csrwi mcountinhibit, 5
  csrr a0, minstret
  csrr a2, mcycle
  nop
  nop
  csrr a1, minstret
  bne a0, a1, fail
  csrr a3, mcycle
  bne a2, a3, fail
  csrwi mcountinhibit, 0
  nop
  csrr a1, minstret
  beq a0, a1, fail

  # time/timeh read the platform timer; they cannot be written.
  li TESTNUM, 8
  csrr a0, time
  csrr a1, timeh
  nop
  csrr a2, time
  bgeu a0, a2, fail

  .option pop
  PASS_FAIL

DATA_BEGIN
