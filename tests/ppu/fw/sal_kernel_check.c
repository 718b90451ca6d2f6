/* Runs the shared SAL kernel on fixed pseudo-random inputs and prints every result, for
 * tests/test_sal_kernel.cpp to compare with the host's computation of the same inputs. */
#include <stdio.h>

#include "../../../firmware/sal/sal_kernel.h"

int main(void) {
  uint32_t rng = 2463534242u;
  enum { N = 32 };
  static int32_t shadow[N], d[N], s[N];
  static uint8_t exc[N], inh[N];
  static uint32_t random[2 * N];
  sal_params_t p = {0};
  int i, round;
  for (i = 0; i < N; ++i) shadow[i] = (int32_t)(sal_xorshift32(&rng) % (127u << 16)) - (63 << 16);
  p.eta_sal_q16 = 6554;
  p.w_max = 63;
  p.signed_pairs = 1;
  p.remove_common_mode = 1;
  printf("BEGIN\n");
  for (round = 0; round < 20; ++round) {
    for (i = 0; i < N; ++i) {
      d[i] = (int32_t)(sal_xorshift32(&rng) % 4001u) - 2000;
      s[i] = (int32_t)(sal_xorshift32(&rng) % 4001u);
    }
    for (i = 0; i < 2 * N; ++i) random[i] = sal_xorshift32(&rng);
    sal_update_row(&p, N, d, s, 0, shadow, exc, inh, random);
    for (i = 0; i < N; ++i) printf("%ld %d %d\n", (long)shadow[i], exc[i], inh[i]);
  }
  printf("END\n");
  return 0;
}
