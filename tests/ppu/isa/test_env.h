/* Environment of the instruction-set test programs, in the style of riscv-tests: each
 * TEST_* macro is one numbered case; the first failing case ends the run with exit code
 * = its number (tohost = (n << 1) | 1), an unexpected trap with 150 + the case number,
 * and passing all cases with exit code 0 (tohost = 1).
 * Case numbers stay below 100 so every exit code survives the shell's 8 bits.
 * TESTNUM lives in gp; x7 (t2) is the macros' scratch register, tests must not use it. */
#ifndef PPU_TEST_ENV_H
#define PPU_TEST_ENV_H

#define TESTNUM gp
#define TEST_SCRATCH x7

#define CODE_BEGIN                                                     \
  .section .text.init, "ax", @progbits;                                \
  .weak mtvec_handler;                                                 \
  .globl _start;                                                       \
  _start:                                                              \
  la t0, trap_vector;                                                  \
  csrw mtvec, t0;                                                      \
  li TESTNUM, 0;                                                       \
  j tests_begin;                                                       \
  .align 2;                                                            \
  trap_vector:                                                         \
  la t5, mtvec_handler;                                                \
  beqz t5, unexpected_trap;                                            \
  jr t5;                                                               \
  unexpected_trap:                                                     \
  addi TESTNUM, TESTNUM, 150;                                          \
  j fail;                                                              \
  .text;                                                               \
  tests_begin:

#define PASS_FAIL                                                      \
  bne x0, TESTNUM, pass;                                               \
  fail:                                                                \
  slli a0, TESTNUM, 1;                                                 \
  ori a0, a0, 1;                                                       \
  j write_tohost;                                                      \
  pass:                                                                \
  li a0, 1;                                                            \
  write_tohost:                                                        \
  la t0, tohost;                                                       \
  sw zero, 4(t0);                                                      \
  sw a0, 0(t0);                                                        \
  1: j 1b;

#define DATA_BEGIN                                                     \
  .pushsection .tohost, "aw", @progbits;                               \
  .align 6;                                                            \
  .globl tohost;                                                       \
  tohost: .dword 0;                                                    \
  .align 6;                                                            \
  .globl fromhost;                                                     \
  fromhost: .dword 0;                                                  \
  .popsection;                                                         \
  .data;                                                               \
  .align 4;

/* ---- generic cases -------------------------------------------------------------------- */

#define TEST_CASE(n, reg, expected, code...)                           \
  li TESTNUM, n;                                                       \
  code;                                                                \
  li TEST_SCRATCH, expected;                                           \
  bne reg, TEST_SCRATCH, fail;

/* rd = rs1 op rs2, plus the same with the destination aliasing each source */
#define TEST_RR(n, inst, result, v1, v2)                               \
  TEST_CASE(n, x14, result, li x1, v1; li x2, v2; inst x14, x1, x2)   \
  TEST_CASE(n, x1, result, li x1, v1; li x2, v2; inst x1, x1, x2)     \
  TEST_CASE(n, x2, result, li x1, v1; li x2, v2; inst x2, x1, x2)

#define TEST_RR_SAME(n, inst, result, v)                               \
  TEST_CASE(n, x1, result, li x1, v; inst x1, x1, x1)

#define TEST_RR_ZERO1(n, inst, result, v)                              \
  TEST_CASE(n, x2, result, li x1, v; inst x2, x0, x1)
#define TEST_RR_ZERO2(n, inst, result, v)                              \
  TEST_CASE(n, x2, result, li x1, v; inst x2, x1, x0)
#define TEST_RR_ZERODEST(n, inst, v1, v2)                              \
  TEST_CASE(n, x0, 0, li x1, v1; li x2, v2; inst x0, x1, x2)

#define TEST_IMM(n, inst, result, v, imm)                              \
  TEST_CASE(n, x14, result, li x1, v; inst x14, x1, imm)             \
  TEST_CASE(n, x1, result, li x1, v; inst x1, x1, imm)

/* Branch taken / not taken (both directions of the jump are exercised). */
#define TEST_BR_TAKEN(n, inst, v1, v2)                                 \
  li TESTNUM, n;                                                       \
  li x1, v1;                                                           \
  li x2, v2;                                                           \
  inst x1, x2, 2f;                                                     \
  j fail;                                                              \
  1: j 3f;                                                             \
  2: inst x1, x2, 1b;                                                  \
  j fail;                                                              \
  3:

#define TEST_BR_NOT_TAKEN(n, inst, v1, v2)                             \
  li TESTNUM, n;                                                       \
  li x1, v1;                                                           \
  li x2, v2;                                                           \
  inst x1, x2, 1f;                                                     \
  j 2f;                                                                \
  1: j fail;                                                           \
  2: inst x1, x2, 1b;                                                  \
  3:

/* Load `inst` from base_label + offset. */
#define TEST_LD(n, inst, result, offset, base_label)                   \
  TEST_CASE(n, x14, result, la x1, base_label; inst x14, offset(x1))

/* Store then load back. */
#define TEST_ST(n, ld, st, result, offset, base_label)                 \
  TEST_CASE(n, x14, result, la x1, base_label; li x2, result;          \
            st x2, offset(x1); ld x14, offset(x1))

#endif
