# Register-register ALU instructions of RV32I.
#include "test_env.h"
CODE_BEGIN

  TEST_RR(1, add, 0x00000000, 0x00000000, 0x00000000)
  TEST_RR(2, add, 0x0000000a, 0x00000003, 0x00000007)
  TEST_RR(3, add, 0x80000000, 0x7fffffff, 0x00000001)   # signed overflow wraps
  TEST_RR(4, add, 0x00000000, 0xffffffff, 0x00000001)
  TEST_RR(5, add, 0x7fffffff, 0x80000000, 0xffffffff)
  TEST_RR_SAME(6, add, 0x00000026, 19)
  TEST_RR_ZERO1(7, add, 15, 15)
  TEST_RR_ZERO2(8, add, 32, 32)
  TEST_RR_ZERODEST(9, add, 16, 30)

  TEST_RR(10, sub, 0x00000000, 0x00000000, 0x00000000)
  TEST_RR(11, sub, 0xfffffffc, 0x00000003, 0x00000007)
  TEST_RR(12, sub, 0x7fffffff, 0x80000000, 0x00000001)
  TEST_RR(13, sub, 0x80000001, 0x00000000, 0x7fffffff)
  TEST_RR_SAME(14, sub, 0, 0x12345678)
  TEST_RR_ZERO1(15, sub, 0xfffffff1, 15)

  TEST_RR(20, and, 0x0f000f00, 0xff00ff00, 0x0f0f0f0f)
  TEST_RR(21, and, 0x00f000f0, 0x0ff00ff0, 0xf0f0f0f0)
  TEST_RR_SAME(22, and, 0xff00ff00, 0xff00ff00)
  TEST_RR(23, or, 0xff0fff0f, 0xff00ff00, 0x0f0f0f0f)
  TEST_RR(24, or, 0xfff0fff0, 0x0ff00ff0, 0xf0f0f0f0)
  TEST_RR_ZERO1(25, or, 0xff00ff00, 0xff00ff00)
  TEST_RR(26, xor, 0xf00ff00f, 0xff00ff00, 0x0f0f0f0f)
  TEST_RR(27, xor, 0xff00ff00, 0x0ff00ff0, 0xf0f0f0f0)
  TEST_RR_SAME(28, xor, 0, 0xdeadbeef)

  TEST_RR(30, sll, 0x00000001, 0x00000001, 0)
  TEST_RR(31, sll, 0x00000080, 0x00000001, 7)
  TEST_RR(32, sll, 0x80000000, 0x00000001, 31)
  TEST_RR(33, sll, 0x42424242, 0x21212121, 0xffffffe1)  # only the low five bits count
  TEST_RR(34, sll, 0x90909080, 0x21212121, 0xffffffe7)
  TEST_RR(35, sll, 0x21212121, 0x21212121, 0xffffffe0)

  TEST_RR(40, srl, 0x7fffffff, 0xffffffff, 1)
  TEST_RR(41, srl, 0x00000001, 0x80000000, 31)
  TEST_RR(42, srl, 0x01000000, 0x80000000, 7)
  TEST_RR(43, srl, 0x10909090, 0x21212121, 0xffffffe1)
  TEST_RR(44, srl, 0x00000000, 0x21212121, 0xffffffff)

  TEST_RR(50, sra, 0xffffffff, 0x80000000, 31)
  TEST_RR(51, sra, 0xff000000, 0x80000000, 7)
  TEST_RR(52, sra, 0x3fffffff, 0x7fffffff, 1)
  TEST_RR(53, sra, 0xc0909090, 0x81212121, 0xffffffe1)
  TEST_RR(54, sra, 0x81212121, 0x81212121, 0xffffffe0)

  TEST_RR(60, slt, 0, 0x00000000, 0x00000000)
  TEST_RR(61, slt, 1, 0x00000003, 0x00000007)
  TEST_RR(62, slt, 0, 0x00000007, 0x00000003)
  TEST_RR(63, slt, 1, 0x80000000, 0x00000000)
  TEST_RR(64, slt, 0, 0x7fffffff, 0x80000000)
  TEST_RR(65, slt, 1, 0xffffffff, 0x00000001)
  TEST_RR_SAME(66, slt, 0, 5)

  TEST_RR(70, sltu, 0, 0x00000000, 0x00000000)
  TEST_RR(71, sltu, 1, 0x00000003, 0x00000007)
  TEST_RR(72, sltu, 0, 0x80000000, 0x00000000)
  TEST_RR(73, sltu, 1, 0x7fffffff, 0x80000000)
  TEST_RR(74, sltu, 0, 0xffffffff, 0x00000001)
  TEST_RR_ZERO1(75, sltu, 1, 5)                         # snez
  TEST_RR_ZERO2(76, sltu, 0, 5)

  PASS_FAIL

DATA_BEGIN
