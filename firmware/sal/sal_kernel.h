/* SAL / Hebbian weight-update kernel in portable C (no libc, integer arithmetic only).
 *
 * The same code runs in the plasticity processor's firmware (firmware/sal/sal.c) and on the
 * host, where tests check the firmware against it and the `host` executor of the SAL
 * experiments uses it as an ideal, zero-cost processor. Weights are kept as signed shadow
 * weights in Q16.16 (code units); the chip gets their stochastically rounded 6-bit codes,
 * split into an excitatory and an inhibitory row (w = w_exc - w_inh).
 *
 * One update of synapse (pre j -> post i), with causal/acausal readouts c, a in CADC LSB
 * (baseline minus code: pairs pull the storage down), is
 *     d      = (a - c)                      SAL term, anti-Hebbian causal, Hebbian acausal
 *     h      = target - (a + c)             optional Hebbian term
 *     shadow += eta_sal * d + eta_hebb * h  (eta in Q16.16 code units per LSB)
 *     shadow  = clip(shadow, -w_max, w_max)
 * and the rows receive round_stochastic(max(shadow, 0)), round_stochastic(max(-shadow, 0)).
 */
#ifndef SALVO_SAL_KERNEL_H
#define SALVO_SAL_KERNEL_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SAL_Q 16
#define SAL_ONE (1 << SAL_Q)

typedef struct {
  int32_t eta_sal_q16;        /* shadow change (Q16.16 codes) per LSB of (a - c) */
  int32_t eta_hebb_q16;       /* shadow change per LSB of (target - (a + c)); 0 = off */
  int32_t hebb_target;        /* target of (a + c) in LSB for the Hebbian term */
  int32_t w_max;              /* largest weight code (63 for 6-bit weights) */
  int32_t signed_pairs;       /* 1: shadow is signed, exc/inh row pair; 0: one excitatory row */
  int32_t remove_common_mode; /* 1: subtract the row mean of (a - c) before the update */
  int32_t eta_causal_q16;     /* further linear terms: shadow change per LSB of c ... */
  int32_t eta_acausal_q16;    /* ... and of a (Hebbian STDP: +eta_plus, -eta_minus) */
} sal_params_t;

/* The rules the firmware images implement, as kernel parameters for learning rate eta:
 *   SAL            dw = eta (a - c)   anti-Hebbian causal, Hebbian acausal (firmware/sal)
 *   Hebbian STDP   dw = eta (c - a)   causal pairs potentiate, acausal depress (firmware/stdp)
 * Both see the same sensors, CADC zero, shadow weights and rounding; only the sign of the
 * pairing's effect differs, which is what makes STDP the baseline. */
#define SAL_RULE_SAL 0
#define SAL_RULE_STDP 1

static inline void sal_rule_params(int rule, int32_t eta_q16, sal_params_t* p) {
  p->eta_sal_q16 = 0;
  p->eta_causal_q16 = 0;
  p->eta_acausal_q16 = 0;
  if (rule == SAL_RULE_STDP) {
    p->eta_causal_q16 = eta_q16;
    p->eta_acausal_q16 = -eta_q16;
  } else {
    p->eta_sal_q16 = eta_q16;
  }
}

/* xorshift32 state for stochastic rounding when no hardware generator is used. */
static inline uint32_t sal_xorshift32(uint32_t* s) {
  uint32_t x = *s;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  *s = x;
  return x;
}

/* Rounds a non-negative Q16.16 value to an integer code: floor + 1 with probability frac,
 * using the top 16 bits of `random` (unbiased: E[code] = value). */
static inline int32_t sal_round_stochastic(int32_t q16, uint32_t random) {
  int32_t whole = q16 >> SAL_Q;
  uint32_t frac = (uint32_t)q16 & (SAL_ONE - 1);
  return whole + ((random >> 16) < frac ? 1 : 0);
}

static inline int32_t sal_clip(int32_t v, int32_t lo, int32_t hi) {
  return v < lo ? lo : (v > hi ? hi : v);
}

/* CADC zero levels are kept in Q8 (code * 256, averaged over many conversions of freshly
 * reset sensors): a per-update signal is a fraction of an LSB, so a baseline rounded to
 * whole codes would bias every update by up to half an LSB. */
#define SAL_BASE_Q 8

/* Adds one row's signals to d[] (a - c) and s[] (a + c), in Q8 LSB: a = base_a - acausal
 * code, c = base_c - causal code. Called once per sensor row; for an exc/inh row pair both
 * rows see the same pre/post neurons, so both are added (twice the pairs, half the noise). */
static inline void sal_add_signals(int n, const uint8_t* causal, const uint8_t* acausal,
                                   const uint16_t* base_c_q8, const uint16_t* base_a_q8,
                                   int32_t* d_q8, int32_t* s_q8) {
  int i;
  for (i = 0; i < n; ++i) {
    int32_t c = (int32_t)base_c_q8[i] - ((int32_t)causal[i] << SAL_BASE_Q);
    int32_t a = (int32_t)base_a_q8[i] - ((int32_t)acausal[i] << SAL_BASE_Q);
    d_q8[i] += a - c;
    s_q8[i] += a + c;
  }
}

/* Updates the shadow weights of one pre neuron's `n` synapses from its signals and writes
 * the codes. c_gain_q8: per-synapse causal-sensor gain correction (Q8, 256 = none) or NULL.
 * random: one 32-bit number per output code (2n with signed_pairs).
 * Returns the sum of |d| in Q8 LSB (a diagnostic of how much correlation the row saw). */
static inline int32_t sal_update_row(const sal_params_t* p, int n, const int32_t* d_q8,
                                     const int32_t* s_q8, const uint16_t* c_gain_q8,
                                     int32_t* shadow, uint8_t* exc, uint8_t* inh,
                                     const uint32_t* random) {
  int32_t common_q8 = 0;
  int32_t activity = 0;
  int64_t lo = p->signed_pairs ? -((int64_t)p->w_max << SAL_Q) : 0;
  int64_t hi = (int64_t)p->w_max << SAL_Q;
  int i;
  /* With a sensor-gain correction g (Q8), the SAL term is a - g c, from a = (s + d) / 2 and
   * c = (s - d) / 2: g is the ratio of chance-level acausal to causal sums measured while
   * the neurons were uncoupled, so it cancels the two sensors' amplitude mismatch. */
#define SAL_D(k)                                                          \
  (c_gain_q8 ? (((int64_t)s_q8[k] + d_q8[k]) / 2 -                        \
                ((((int64_t)s_q8[k] - d_q8[k]) / 2) * c_gain_q8[k] >> 8)) \
             : (int64_t)d_q8[k])
  if (p->remove_common_mode && n > 0) {
    /* 32-bit on purpose: |d| < 2^20 per synapse and n <= 64, and a 64-bit division would
     * pull libgcc's 2 KiB __divdi3 into the 16 KiB firmware. */
    int32_t sum = 0;
    for (i = 0; i < n; ++i) sum += (int32_t)SAL_D(i);
    common_q8 = sum / n;
  }
  for (i = 0; i < n; ++i) {
    int64_t d = SAL_D(i) - common_q8;
    int64_t delta = ((int64_t)p->eta_sal_q16 * d) >> SAL_BASE_Q;
    int64_t v;
    if (p->eta_causal_q16 || p->eta_acausal_q16) {
      int64_t a_q8 = ((int64_t)s_q8[i] + d_q8[i]) / 2, c_q8 = ((int64_t)s_q8[i] - d_q8[i]) / 2;
      delta +=
          ((int64_t)p->eta_causal_q16 * c_q8 + (int64_t)p->eta_acausal_q16 * a_q8) >> SAL_BASE_Q;
    }
    if (p->eta_hebb_q16)
      delta += ((int64_t)p->eta_hebb_q16 * (((int64_t)p->hebb_target << SAL_BASE_Q) - s_q8[i])) >>
               SAL_BASE_Q;
    v = (int64_t)shadow[i] + delta;
    v = v < lo ? lo : (v > hi ? hi : v);
    shadow[i] = (int32_t)v;
    activity += d_q8[i] < 0 ? -d_q8[i] : d_q8[i];
    if (p->signed_pairs) {
      int32_t pos = shadow[i] > 0 ? shadow[i] : 0;
      int32_t neg = shadow[i] < 0 ? -shadow[i] : 0;
      exc[i] = (uint8_t)sal_clip(sal_round_stochastic(pos, random[2 * i]), 0, p->w_max);
      inh[i] = (uint8_t)sal_clip(sal_round_stochastic(neg, random[2 * i + 1]), 0, p->w_max);
    } else {
      exc[i] = (uint8_t)sal_clip(sal_round_stochastic(shadow[i], random[i]), 0, p->w_max);
    }
  }
  return activity;
#undef SAL_D
}

/* Shadow weights are stored with 8 fractional bits (int16: ±63 codes fit), which halves their
 * memory against Q16 — 32 x 32 of them take 2 KiB of the reference 16 KiB. The kernel computes
 * in Q16; both executors round the result to storage precision after every update. */
static inline int16_t sal_shadow_store(int32_t q16) { return (int16_t)((q16 + 128) >> 8); }
static inline int32_t sal_shadow_load(int16_t stored) { return (int32_t)stored * 256; }

/* Per-synapse sensor-gain ratios (acausal/causal) are stored in Q6 bytes (64 = 1.0, 1.6 %
 * steps up to 3.98: twice the reference spread still fits) and passed to sal_update_row in
 * Q8. */
static inline uint16_t sal_gain_q8_from_q6(uint8_t q6) { return (uint16_t)(q6 << 2); }

/* Rate homeostasis, one integral-controller step per update period for one neuron: the leak
 * code (kept in Q8 so that small corrections accumulate) moves by gain_q8 / 256 codes per
 * spike of difference between the target count and the rate counter's count. Learning the
 * feedback changes every neuron's input (aligned feedback closes an excitatory loop), so
 * without this the operating point drifts and with it each neuron's sensitivity.
 * Returns the new leak code (0..code_max). */
static inline int32_t sal_homeostasis_step(int32_t count, int32_t target, int32_t gain_q8,
                                           int32_t code_max, int32_t* code_q8) {
  int32_t v = *code_q8 + gain_q8 * (target - count);
  int32_t hi = code_max << 8;
  v = v < 0 ? 0 : (v > hi ? hi : v);
  *code_q8 = v;
  return (v + 128) >> 8;
}

#ifdef __cplusplus
}
#endif

#endif /* SALVO_SAL_KERNEL_H */
