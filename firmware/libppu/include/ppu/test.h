/* Firmware unit tests on the plasticity processor (docs/processor.md, "Firmware unit tests").
 *
 *   #include <ppu/test.h>
 *   PPU_TEST(random_below_stays_below) {
 *     for (int i = 0; i < 100; ++i) PPU_ASSERT_LT(ppu_random_below(7), 7);
 *   }
 *   int main(void) { PPU_RUN(random_below_stays_below); return ppu_test_summary(); }
 *
 * A failed assertion prints "FAIL <test>: <file>:<line>: <expression> (<values>)" on the
 * console and ends the program at once through HTIF tohost with the line number as exit code
 * (`salvo ppu-run` prints "exit code <line>" and exits 1). ppu_test_summary()
 * prints "<n> tests passed" and returns 0, which main returns (tohost = 1: pass).
 * Register the program with salvo_add_firmware_test() (cmake/salvo_firmware_test.cmake): it
 * builds the ELF and adds a ctest that runs it with `salvo ppu-run`. */
#ifndef PPU_TEST_H
#define PPU_TEST_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Reports a failed assertion and ends the program (exit code = line). */
void ppu_test_fail(const char* file, int line, const char* expr, const char* values)
    __attribute__((noreturn));
void ppu_test_fail_int(const char* file, int line, const char* expr, long long lhs, long long rhs)
    __attribute__((noreturn));
void ppu_test_begin(const char* name);
void ppu_test_end(void);
int ppu_test_summary(void);

#define PPU_TEST(name) static void name(void)
#define PPU_RUN(name)      \
  do {                     \
    ppu_test_begin(#name); \
    name();                \
    ppu_test_end();        \
  } while (0)

#define PPU_ASSERT(cond) ((cond) ? (void)0 : ppu_test_fail(__FILE__, __LINE__, #cond, ""))

/* Integer comparisons report both values. */
#define PPU_ASSERT_CMP_(a, op, b)                                               \
  do {                                                                          \
    const long long ppu_a_ = (long long)(a), ppu_b_ = (long long)(b);           \
    if (!(ppu_a_ op ppu_b_))                                                    \
      ppu_test_fail_int(__FILE__, __LINE__, #a " " #op " " #b, ppu_a_, ppu_b_); \
  } while (0)
#define PPU_ASSERT_EQ(a, b) PPU_ASSERT_CMP_(a, ==, b)
#define PPU_ASSERT_NE(a, b) PPU_ASSERT_CMP_(a, !=, b)
#define PPU_ASSERT_LT(a, b) PPU_ASSERT_CMP_(a, <, b)
#define PPU_ASSERT_LE(a, b) PPU_ASSERT_CMP_(a, <=, b)
#define PPU_ASSERT_GT(a, b) PPU_ASSERT_CMP_(a, >, b)
#define PPU_ASSERT_GE(a, b) PPU_ASSERT_CMP_(a, >=, b)

#ifdef __cplusplus
}
#endif

#endif /* PPU_TEST_H */
