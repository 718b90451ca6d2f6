# Zicsr: read/write/set/clear semantics, WARL fields of the machine CSRs, read-only and
# missing CSRs (illegal instruction with the instruction bits in mtval).
#include "test_env.h"

/* `code` (one 4-byte CSR instruction) must raise an illegal-instruction exception whose mtval
 * is the instruction itself. The handler records mcause/mtval in s10/s11 and skips it. */
#define TEST_ILLEGAL(n, code...)                                        \
  li TESTNUM, n;                                                       \
  li s10, 0;                                                           \
  la s9, 90f;                                                          \
90: code;                                                              \
  li x4, 2;                                                            \
  bne s10, x4, fail;                                                   \
  lw x5, 0(s9);                                                        \
  bne s11, x5, fail;

/* `code` must not trap. */
#define TEST_LEGAL(n, code...)                                          \
  li TESTNUM, n;                                                       \
  li s10, 0;                                                           \
  code;                                                                \
  bnez s10, fail;

CODE_BEGIN
  .option push
  .option norvc

  TEST_CASE(1, a0, 0, csrw mscratch, zero; csrr a0, mscratch)
  TEST_CASE(2, a0, 0, li a1, 0xf0f0; csrrw a0, mscratch, a1)
  TEST_CASE(3, a0, 0xf0f0, li a1, 0x000f; csrrs a0, mscratch, a1)
  TEST_CASE(4, a0, 0xf0ff, li a1, 0xf000; csrrc a0, mscratch, a1)
  TEST_CASE(5, a0, 0x00ff, csrrwi a0, mscratch, 31)
  TEST_CASE(6, a0, 31, csrrsi a0, mscratch, 0)
  TEST_CASE(7, a0, 31, csrrci a0, mscratch, 3)
  TEST_CASE(8, a0, 28, csrr a0, mscratch)
  TEST_CASE(9, a0, 0x1c, csrrsi a0, mscratch, 1; csrr a0, mscratch; addi a0, a0, -1)
  TEST_CASE(10, a0, 0xffffffff, li a1, -1; csrw mscratch, a1; csrr a0, mscratch)
  TEST_CASE(11, a0, 5, li a0, 5; csrrw x0, mscratch, a0; csrr a0, mscratch)  # rd = x0 still writes

  TEST_CASE(20, a0, 0x40001104, csrr a0, misa)             # RV32 I M C
  TEST_CASE(21, a0, 0x40001104, li a1, 0; csrw misa, a1; csrr a0, misa)  # not writable, no trap
  TEST_CASE(22, a0, 0, csrr a0, mhartid)
  TEST_CASE(23, a0, 0x1888, li a1, -1; csrw mstatus, a1; csrr a0, mstatus)  # MIE MPIE, MPP = M
  TEST_CASE(24, a0, 0x1800, csrw mstatus, zero; csrr a0, mstatus)
  TEST_CASE(25, a0, 0x888, li a1, -1; csrw mie, a1; csrr a0, mie; csrw mie, zero)
  TEST_CASE(26, a0, 0, li a1, -1; csrw mip, a1; csrr a0, mip)      # nothing pending, bits read-only
  TEST_CASE(27, a0, 0x80000002, li a1, 0x80000003; csrw mepc, a1; csrr a0, mepc)
  TEST_CASE(28, a0, 0x12345678, li a1, 0x12345678; csrw mtval, a1; csrr a0, mtval)
  TEST_CASE(29, a0, 0x8000000b, li a1, 0x8000000b; csrw mcause, a1; csrr a0, mcause)

  # mtvec: MODE 0 (direct) and 1 (vectored); the reserved modes 2/3 read back as 0/1.
  csrr s8, mtvec
  TEST_CASE(30, a0, 0x80001001, li a1, 0x80001001; csrw mtvec, a1; csrr a0, mtvec; csrw mtvec, s8)
  TEST_CASE(31, a0, 0x80001000, li a1, 0x80001002; csrw mtvec, a1; csrr a0, mtvec; csrw mtvec, s8)
  TEST_CASE(32, a0, 0x80001001, li a1, 0x80001003; csrw mtvec, a1; csrr a0, mtvec; csrw mtvec, s8)

  TEST_LEGAL(40, csrr a0, mvendorid)
  TEST_LEGAL(41, csrr a0, marchid)
  TEST_LEGAL(42, csrr a0, mimpid)
  TEST_LEGAL(43, csrr a0, mconfigptr)
  TEST_LEGAL(44, csrrs a0, mhartid, x0)        # set/clear with x0 do not write
  TEST_LEGAL(45, csrrci a0, cycle, 0)
  TEST_LEGAL(46, csrw pmpcfg0, zero; csrw pmpaddr0, zero)
  TEST_LEGAL(47, csrr a0, tselect; csrr a0, tdata1)
  TEST_LEGAL(48, csrr a0, mhpmcounter3; csrr a0, hpmcounter31; csrw mhpmevent3, zero)
  TEST_LEGAL(49, csrr a0, mstatush)

  TEST_ILLEGAL(50, csrw mhartid, a0)           # read-only CSRs
  TEST_ILLEGAL(51, csrw cycle, a0)
  TEST_ILLEGAL(52, csrrw x0, instret, a0)
  TEST_ILLEGAL(53, csrrs a0, time, a1)
  TEST_ILLEGAL(54, csrrsi a0, mvendorid, 1)
  TEST_ILLEGAL(55, csrr a0, satp)              # no S-mode
  TEST_ILLEGAL(56, csrr a0, medeleg)
  TEST_ILLEGAL(57, csrr a0, mcounteren)        # no U-mode
  TEST_ILLEGAL(58, csrr a0, fflags)            # no F
  TEST_ILLEGAL(59, csrr a0, dcsr)              # debug mode only
  TEST_ILLEGAL(60, .word 0x7c002573)           # csrr a0, 0x7c0 (custom, absent)

  # mcause/mtval from the handler are the last trap's; the handler skipped the instruction.
  TEST_CASE(70, a0, 2, csrr a0, mcause)

  .option pop
  PASS_FAIL

  .align 2
mtvec_handler:
  csrr s10, mcause
  csrr s11, mtval
  csrr t0, mepc
  addi t0, t0, 4
  csrw mepc, t0
  mret

DATA_BEGIN
