# Self-modifying code: instructions written by stores execute after FENCE.I (this core keeps
# its decode cache coherent with stores, so the new code is seen even before the fence).
#include "test_env.h"
CODE_BEGIN

  # Copy a two-instruction routine ("addi a3, a3, 333; ret") into data memory and call it.
  li TESTNUM, 1
  li a3, 111
  la a0, insn_src
  la a1, buffer
  lw a2, 0(a0)
  sw a2, 0(a1)
  lw a2, 4(a0)
  sw a2, 4(a1)
  fence.i
  jalr a1
  li x4, 444
  bne a3, x4, fail

  # Patch it (addi a3, a3, 333 -> addi a3, a3, 1) and call again.
  li TESTNUM, 2
  li a2, 0x00168693     # addi a3, a3, 1
  sw a2, 0(a1)
  fence.i
  jalr a1
  li x4, 445
  bne a3, x4, fail

  # Patch an instruction inside a loop that already ran (its decoded form is cached).
  li TESTNUM, 3
  li a4, 0
  li a5, 3
  la a6, patch_me
  .option push
  .option norvc
loop:
patch_me:
  addi a4, a4, 1        # becomes addi a4, a4, 16 after the first pass
  li a2, 0x01070713     # addi a4, a4, 16
  sw a2, 0(a6)
  addi a5, a5, -1
  bnez a5, loop
  .option pop
  li x4, 33             # 1 + 16 + 16
  bne a4, x4, fail

  # FENCE in its variants orders nothing a single in-order hart could observe: no-ops.
  TEST_CASE(4, a0, 7, li a0, 7; fence; fence rw, rw; fence i, o; fence.tso; .word 0x0000000f)

  PASS_FAIL

  .align 2
insn_src:
  .option push
  .option norvc
  addi a3, a3, 333
  ret
  .option pop

DATA_BEGIN
  .align 3
buffer:
  .skip 16
