# Exceptions: ECALL, EBREAK, illegal instructions (mtval = the instruction), access faults
# (mtval = the address), misaligned device accesses, instruction fetch faults, and the
# mstatus MIE/MPIE stack across a trap and MRET.
#include "test_env.h"

#define UNMAPPED 0x20000000
#define DEVICE 0x10000000   /* the processor's peripheral block */

/* The handler stores mcause, mtval, mepc, mstatus in s10, s11, s8, s7 and resumes at s6 if
 * set, else after the (4-byte) trapping instruction. */
#define EXPECT_TRAP(n, cause, tval_reg)                                 \
  li x4, cause;                                                        \
  bne s10, x4, fail;                                                   \
  bne s11, tval_reg, fail;

CODE_BEGIN
  .option push
  .option norvc
  li s6, 0

  # ECALL: mcause 11, mepc = the ECALL, mtval = 0.
  li TESTNUM, 1
  li s11, -1
  la a0, 1f
1: ecall
  EXPECT_TRAP(1, 11, zero)
  bne s8, a0, fail

  # EBREAK: mcause 3, mtval = mepc = its address.
  li TESTNUM, 2
  la a0, 1f
1: ebreak
  EXPECT_TRAP(2, 3, a0)
  bne s8, a0, fail

  # Illegal 32-bit instruction: mtval holds its bits.
  li TESTNUM, 3
  la a0, 1f
  li a1, 0xffffffff
1: .word 0xffffffff
  EXPECT_TRAP(3, 2, a1)
  bne s8, a0, fail

  li TESTNUM, 4
  li a1, 0x00004073     # SYSTEM funct3 = 100
1: .word 0x00004073
  EXPECT_TRAP(4, 2, a1)

  li TESTNUM, 5         # sret does not exist without S-mode
  li a1, 0x10200073
1: .word 0x10200073
  EXPECT_TRAP(5, 2, a1)

  # The all-zero halfword is illegal; mtval holds the 16 bits (zero).
  li TESTNUM, 6
  la s6, 2f
  la a0, 1f
1: .half 0
  j fail
2: EXPECT_TRAP(6, 2, zero)
  bne s8, a0, fail

  # A 16-bit reserved encoding (C.FLW on RV32): mtval = 0x6000.
  li TESTNUM, 7
  la s6, 2f
  li a1, 0x6000
1: .half 0x6000
  j fail
2: EXPECT_TRAP(7, 2, a1)

  # Load / store access faults: mtval = the address; the load does not write rd.
  li TESTNUM, 8
  li a0, UNMAPPED + 8
  li a1, 77
  lw a1, 0(a0)
  EXPECT_TRAP(8, 5, a0)
  li x4, 77
  bne a1, x4, fail

  li TESTNUM, 9
  li a0, UNMAPPED + 0x102
  sh a1, 0(a0)
  EXPECT_TRAP(9, 7, a0)

  li TESTNUM, 10
  li a0, 0xfffffffc
  lbu a1, 3(a0)
  li a0, 0xffffffff
  EXPECT_TRAP(10, 5, a0)

  # Misaligned accesses to devices raise address-misaligned with the address.
  li TESTNUM, 11
  li a0, DEVICE + 0x102
  lw a1, 0(a0)
  EXPECT_TRAP(11, 4, a0)
  li TESTNUM, 12
  li a0, DEVICE + 0x109
  sw a1, 0(a0)
  EXPECT_TRAP(12, 6, a0)
  li TESTNUM, 13
  li a0, DEVICE + 0x101
  lh a1, 0(a0)
  EXPECT_TRAP(13, 4, a0)

  # Fetch from unmapped memory: the jump commits (writes rd), then the fetch faults with
  # mepc = mtval = the target.
  li TESTNUM, 14
  la s6, 2f
  li a0, UNMAPPED + 0x40
  li a2, 0
  jalr a2, 0(a0)
1: j fail
2: EXPECT_TRAP(14, 1, a0)
  bne s8, a0, fail
  la x4, 1b
  bne a2, x4, fail

  # Executing from a device (the peripheral block) is an instruction access fault too.
  li TESTNUM, 15
  la s6, 2f
  li a0, DEVICE
  jr a0
2: EXPECT_TRAP(15, 1, a0)

  # mstatus: a trap moves MIE to MPIE and clears MIE; MRET moves MPIE back and sets MPIE.
  li TESTNUM, 16
  csrsi mstatus, 8
  ecall
  li x4, 0x1880          # in the handler: MPIE = 1, MIE = 0
  bne s7, x4, fail
  csrr a0, mstatus
  li x4, 0x1888          # after MRET: MIE = 1, MPIE = 1
  bne a0, x4, fail
  csrci mstatus, 8
  li TESTNUM, 17
  ecall
  li x4, 0x1800          # MIE was 0: MPIE = 0
  bne s7, x4, fail
  csrr a0, mstatus
  li x4, 0x1880          # after MRET: MIE = MPIE (0), MPIE = 1
  bne a0, x4, fail

  # A trapping instruction does not retire: minstret counts only the others.
  li TESTNUM, 18
  csrr a0, minstret
  ecall
  csrr a1, minstret
  sub a1, a1, a0
  li x4, 13              # csrr a0, trap_vector's 4, the handler's 8; not the ECALL itself
  bne a1, x4, fail

  # mtvec BASE: synchronous exceptions go to BASE even in vectored mode.
  li TESTNUM, 19
  la a0, mtvec_handler
  ori a0, a0, 1
  csrw mtvec, a0
  li s10, 0
  ecall
  li x4, 11
  bne s10, x4, fail
  la a0, trap_vector
  csrw mtvec, a0

  .option pop
  PASS_FAIL

  .align 2
mtvec_handler:
  csrr s10, mcause
  csrr s11, mtval
  csrr s8, mepc
  csrr s7, mstatus
  beqz s6, 1f
  csrw mepc, s6
  li s6, 0
  mret
1:
  addi t0, s8, 4
  csrw mepc, t0
  mret

DATA_BEGIN
