/* A firmware test that fails on purpose: tests/firmware/CMakeLists.txt checks the report
 * ("FAIL two_is_three: tests/firmware/assert_report.c:7: 1 + 1 == 3 (2 vs 3)", exit code 7).
 * Keep the assertion on line 7. */
#include <ppu/test.h>

PPU_TEST(passes) { PPU_ASSERT(1); }
PPU_TEST(two_is_three) { PPU_ASSERT_EQ(1 + 1, 3); }

int main(void) {
  PPU_RUN(passes);
  PPU_RUN(two_is_three);
  return ppu_test_summary();
}
