/* Forward-weight update of the student-teacher experiment in portable C (no libc, integer
 * arithmetic only), so that a plasticity-processor firmware and the host executor
 * (emulator/experiments/sal/student_teacher.cpp) compute identical weights.
 *
 * The rule is local: a synapse pre -> post changes by the product of the post neuron's error
 * and the pre neuron's activity, both spike counts over the same measurement window
 *     shadow += eta * err_post * count_pre        (eta in Q16.16 codes per count^2)
 * where err is, for an output neuron, its target count (written by the host, Q8) minus its
 * free-phase count, and for a hidden neuron its nudged-phase count minus its free-phase count
 * (the change that arrived through the feedback synapses). Shadow weights are signed Q16.16
 * codes, clipped to +-w_max, and the exc/inh row pair gets their stochastically rounded
 * magnitudes exactly as the SAL kernel does (firmware/sal/sal_kernel.h).
 */
#ifndef SALVO_ST_KERNEL_H
#define SALVO_ST_KERNEL_H

#include <stdint.h>

#include "../sal/sal_kernel.h"

#ifdef __cplusplus
extern "C" {
#endif

#define ST_ERR_Q 8 /* errors in Q8 counts (a target count need not be whole) */

typedef struct {
  int32_t eta_q16; /* shadow change (Q16.16 codes) per (error count x pre count) */
  int32_t w_max;   /* largest weight code (63 for 6-bit weights) */
} st_params_t;

/* Updates one pre neuron's (or input row's) n synapses onto posts 0..n-1: err_q8[i] is post
 * i's error (Q8 counts), pre_count the pre side's count, shadow[] its signed Q16.16 weights.
 * Writes the codes of the excitatory and inhibitory rows; random: 2n 32-bit numbers. */
static inline void st_update_row(const st_params_t* p, int n, int32_t pre_count,
                                 const int32_t* err_q8, int32_t* shadow, uint8_t* exc, uint8_t* inh,
                                 const uint32_t* random) {
  const int64_t lim = (int64_t)p->w_max << SAL_Q;
  int i;
  for (i = 0; i < n; ++i) {
    int64_t delta = ((int64_t)p->eta_q16 * err_q8[i] * pre_count) >> ST_ERR_Q;
    int64_t v = (int64_t)shadow[i] + delta;
    int32_t pos, neg;
    v = v < -lim ? -lim : (v > lim ? lim : v);
    shadow[i] = (int32_t)v;
    pos = shadow[i] > 0 ? shadow[i] : 0;
    neg = shadow[i] < 0 ? -shadow[i] : 0;
    exc[i] = (uint8_t)sal_clip(sal_round_stochastic(pos, random[2 * i]), 0, p->w_max);
    inh[i] = (uint8_t)sal_clip(sal_round_stochastic(neg, random[2 * i + 1]), 0, p->w_max);
  }
}

#ifdef __cplusplus
}
#endif

#endif /* SALVO_ST_KERNEL_H */
