# DIV, DIVU, REM, REMU including division by zero and signed overflow.
#include "test_env.h"
CODE_BEGIN

  TEST_RR(1, div, 3, 20, 6)
  TEST_RR(2, div, -3, -20, 6)
  TEST_RR(3, div, -3, 20, -6)
  TEST_RR(4, div, 3, -20, -6)
  TEST_RR(5, div, 0x80000000, 0x80000000, 1)
  TEST_RR(6, div, 0x80000000, 0x80000000, -1)     # overflow: quotient = dividend
  TEST_RR(7, div, -1, 1, 0)                       # x / 0 = -1
  TEST_RR(8, div, -1, 0, 0)
  TEST_RR(9, div, -1, 0x80000000, 0)

  TEST_RR(10, divu, 3, 20, 6)
  TEST_RR(11, divu, 715827879, -20, 6)
  TEST_RR(12, divu, 0, 20, -6)
  TEST_RR(13, divu, 0, -20, -6)
  TEST_RR(14, divu, 0x80000000, 0x80000000, 1)
  TEST_RR(15, divu, 0, 0x80000000, -1)
  TEST_RR(16, divu, -1, 1, 0)                     # x / 0 = 2^32 - 1
  TEST_RR(17, divu, -1, 0, 0)

  TEST_RR(20, rem, 2, 20, 6)
  TEST_RR(21, rem, -2, -20, 6)                    # the sign follows the dividend
  TEST_RR(22, rem, 2, 20, -6)
  TEST_RR(23, rem, -2, -20, -6)
  TEST_RR(24, rem, 0, 0x80000000, 1)
  TEST_RR(25, rem, 0, 0x80000000, -1)             # overflow: remainder 0
  TEST_RR(26, rem, 1, 1, 0)                       # x % 0 = x
  TEST_RR(27, rem, 0x80000000, 0x80000000, 0)
  TEST_RR(28, rem, 0, 0, 0)

  TEST_RR(30, remu, 2, 20, 6)
  TEST_RR(31, remu, 2, -20, 6)
  TEST_RR(32, remu, 20, 20, -6)
  TEST_RR(33, remu, -20, -20, -6)
  TEST_RR(34, remu, 0, 0x80000000, 1)
  TEST_RR(35, remu, 0x80000000, 0x80000000, -1)
  TEST_RR(36, remu, 1, 1, 0)
  TEST_RR(37, remu, -1, -1, 0)

  TEST_RR_SAME(40, div, 1, -7)
  TEST_RR_SAME(41, rem, 0, -7)
  TEST_RR_ZERODEST(42, div, 7, 0)

  PASS_FAIL

DATA_BEGIN
