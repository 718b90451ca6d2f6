# Register-immediate ALU instructions, LUI and AUIPC.
#include "test_env.h"
CODE_BEGIN

  TEST_IMM(1, addi, 0x00000000, 0x00000000, 0)
  TEST_IMM(2, addi, 0x0000000a, 0x00000003, 7)
  TEST_IMM(3, addi, 0xfffff800, 0x00000000, -2048)
  TEST_IMM(4, addi, 0x800007fe, 0x7fffffff, 2047)        # wraps
  TEST_IMM(5, addi, 0x7fffffff, 0x80000000, -1)
  TEST_CASE(6, x0, 0, addi x0, x0, 5)
  TEST_CASE(7, x1, 17, addi x1, x0, 17)

  TEST_IMM(10, slti, 0, 0x00000000, 0)
  TEST_IMM(11, slti, 1, 0x00000003, 7)
  TEST_IMM(12, slti, 1, 0x80000000, -2048)
  TEST_IMM(13, slti, 0, 0x00000000, -2048)
  TEST_IMM(14, slti, 1, 0xffffffff, 0)
  TEST_IMM(15, sltiu, 1, 0x00000000, -1)                 # immediate sign-extends, compares unsigned
  TEST_IMM(16, sltiu, 0, 0xffffffff, -1)
  TEST_IMM(17, sltiu, 1, 0x00000003, 7)
  TEST_IMM(18, sltiu, 0, 0x80000000, 0x7ff)
  TEST_IMM(19, sltiu, 1, 0x00000000, 1)                  # seqz

  TEST_IMM(20, xori, 0xff00f00f, 0x00ff0f00, -241)       # -241 = 0xf0f sign-extended
  TEST_IMM(21, xori, 0x0ff00f00, 0x0ff00ff0, 0x0f0)
  TEST_IMM(22, xori, 0xffffffff, 0x00000000, -1)         # not
  TEST_IMM(23, ori, 0xffffff0f, 0xff00ff00, -241)
  TEST_IMM(24, ori, 0x0ff00ff0, 0x0ff00ff0, 0x0f0)
  TEST_IMM(25, andi, 0xff00ff00, 0xff00ff00, -241 & -256)
  TEST_IMM(26, andi, 0x000000f0, 0x0ff00ff0, 0x0f0)
  TEST_IMM(27, andi, 0x00000000, 0xf00ff00f, 0x70f & 0x0f0)

  TEST_IMM(30, slli, 0x00000001, 0x00000001, 0)
  TEST_IMM(31, slli, 0x80000000, 0x00000001, 31)
  TEST_IMM(32, slli, 0x42424242, 0x21212121, 1)
  TEST_IMM(33, srli, 0x7fffffff, 0xffffffff, 1)
  TEST_IMM(34, srli, 0x00000001, 0x80000000, 31)
  TEST_IMM(35, srli, 0x21212121, 0x21212121, 0)
  TEST_IMM(36, srai, 0xffffffff, 0x80000000, 31)
  TEST_IMM(37, srai, 0xff000000, 0x80000000, 7)
  TEST_IMM(38, srai, 0x00ffffff, 0x7fffffff, 7)

  TEST_CASE(40, x1, 0x00000000, lui x1, 0x00000)
  TEST_CASE(41, x1, 0xfffff000, lui x1, 0xfffff)
  TEST_CASE(42, x1, 0x7ffff000, lui x1, 0x7ffff)
  TEST_CASE(43, x1, 0x80000000, lui x1, 0x80000)
  TEST_CASE(44, x0, 0, lui x0, 0x80000)

  # auipc adds to its own address
  li TESTNUM, 50
  la x1, 1f
1: auipc x2, 0
  bne x1, x2, fail
  li TESTNUM, 51
  la x1, 2f
2: auipc x2, 0x10
  sub x2, x2, x1
  li x4, 0x10000
  bne x2, x4, fail
  li TESTNUM, 52
  la x1, 3f
3: auipc x2, 0xfffff
  sub x2, x1, x2
  li x4, 0x1000
  bne x2, x4, fail

  PASS_FAIL

DATA_BEGIN
