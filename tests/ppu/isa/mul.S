# MUL, MULH, MULHSU, MULHU.
#include "test_env.h"
CODE_BEGIN

  TEST_RR(1, mul, 0x00000000, 0x00000000, 0x00000000)
  TEST_RR(2, mul, 0x00000015, 0x00000003, 0x00000007)
  TEST_RR(3, mul, 0xffa60000, 0x00007e00, 0xb6db6d00)
  TEST_RR(4, mul, 0x00000001, 0xffffffff, 0xffffffff)
  TEST_RR(5, mul, 0x80000000, 0x80000000, 0xffffffff)
  TEST_RR(6, mul, 0xfffffff9, 0xffffffff, 0x00000007)
  TEST_RR_SAME(7, mul, 0x00000051, 9)
  TEST_RR_ZERO1(8, mul, 0, 31)

  TEST_RR(10, mulh, 0x00000000, 0x00000000, 0x00000000)
  TEST_RR(11, mulh, 0x00000000, 0xffffffff, 0xffffffff)   # (-1)(-1) = 1
  TEST_RR(12, mulh, 0xffffffff, 0xffffffff, 0x00000001)
  TEST_RR(13, mulh, 0x40000000, 0x80000000, 0x80000000)
  TEST_RR(14, mulh, 0xc0000000, 0x80000000, 0x7fffffff)   # -2^31 * (2^31 - 1)
  TEST_RR(15, mulh, 0x3fffffff, 0x7fffffff, 0x7fffffff)
  TEST_RR(16, mulh, 0xffff0081, 0xaaaaaaab, 0x0002fe7d)

  TEST_RR(20, mulhu, 0x00000000, 0x00000000, 0x00000000)
  TEST_RR(21, mulhu, 0xfffffffe, 0xffffffff, 0xffffffff)
  TEST_RR(22, mulhu, 0x00000000, 0xffffffff, 0x00000001)
  TEST_RR(23, mulhu, 0x40000000, 0x80000000, 0x80000000)
  TEST_RR(24, mulhu, 0x0001fefe, 0xaaaaaaab, 0x0002fe7d)

  TEST_RR(30, mulhsu, 0x00000000, 0x00000000, 0x00000000)
  TEST_RR(31, mulhsu, 0xffffffff, 0xffffffff, 0xffffffff)  # (-1) * (2^32-1)
  TEST_RR(32, mulhsu, 0xc0000000, 0x80000000, 0x80000000)  # -2^31 * 2^31
  TEST_RR(33, mulhsu, 0x00000000, 0x00000001, 0xffffffff)
  TEST_RR(34, mulhsu, 0x7ffffffe, 0x7fffffff, 0xffffffff)
  TEST_RR(35, mulhsu, 0xffff0081, 0xaaaaaaab, 0x0002fe7d)

  PASS_FAIL

DATA_BEGIN
