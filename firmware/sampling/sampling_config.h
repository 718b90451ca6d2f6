/* The parameter block the host writes into processor memory before the sampling firmware
 * starts (symbol `sampling_config`); the firmware keeps its shadow weights and biases in it,
 * so the host reads them back at the end. Shared by the firmware (C) and the emulator (C++).
 *
 * Fixed point: Boltzmann weights, biases, target moments and learning rates in Q16.16;
 * sensor sums in Q8 LSB; k_mul converts a Q8 LSB sum of (a + g·c) of one iteration to ⟨z z⟩
 * in Q16 as (sum * k_mul) >> 32 (k_mul = k_ij / T / 256 · 2^48). */
#ifndef SALVO_SAMPLING_CONFIG_H
#define SALVO_SAMPLING_CONFIG_H

#include <stdint.h>

#define SAMPLING_CONFIG_MAGIC 0x534D5031u /* "SMP1" */
#define SAMPLING_MAX_N 12

typedef struct {
  uint32_t magic;
  uint32_t n;                   /* neurons */
  uint32_t iterations;          /* learning iterations to run */
  uint32_t reads_per_iteration; /* sensor + rate-counter reads per iteration */
  uint32_t read_period_us;      /* timer period of the reads */
  uint32_t baseline_samples;    /* CADC zero: conversions of a freshly reset row (<= 256) */
  uint32_t leak_cell;           /* parameter-memory cell of the leak voltage */
  uint32_t code_max;            /* largest parameter code */
  uint32_t w_max;               /* largest weight code */
  uint32_t sal;                 /* 1: SAL term on */
  int32_t eta_w_q16, eta_b_q16, eta_sal_q16;
  uint32_t p_mul_q24;              /* tau_on / T · 2^24: rate-counter sum -> p in Q16 after >> 8 */
  uint8_t exc_row[SAMPLING_MAX_N]; /* neuron k's excitatory row (inhibitory = +1) */
  uint8_t column[SAMPLING_MAX_N];  /* neuron k's column */
  uint16_t neuron[SAMPLING_MAX_N]; /* neuron k's index for parameters and rate counters */
  int32_t target_corr_q16[SAMPLING_MAX_N][SAMPLING_MAX_N]; /* ⟨z_i z_j⟩* */
  int32_t target_mean_q16[SAMPLING_MAX_N];                 /* ⟨z_i⟩* */
  int64_t k_mul[SAMPLING_MAX_N][SAMPLING_MAX_N];           /* [post i][pre j] */
  uint16_t gain_q8[SAMPLING_MAX_N][SAMPLING_MAX_N];        /* acausal/causal ratio g */
  int32_t codes_pos_q8[SAMPLING_MAX_N][SAMPLING_MAX_N];    /* weight codes per unit W > 0 */
  int32_t codes_neg_q8[SAMPLING_MAX_N][SAMPLING_MAX_N];    /* codes per unit |W|, W < 0 */
  int32_t u0_q8[SAMPLING_MAX_N];                           /* leak code at b = 0 */
  int32_t alpha_q8[SAMPLING_MAX_N];                        /* leak codes per unit b */
  int32_t w_q16[SAMPLING_MAX_N][SAMPLING_MAX_N];           /* shadow W (in and out) */
  int32_t b_q16[SAMPLING_MAX_N];                           /* shadow b (in and out) */
} sampling_config_t;

typedef struct {
  uint32_t iterations;
  uint32_t reads;
  uint32_t overruns;        /* reads that took longer than the read period */
  uint32_t max_read_cycles; /* longest read (+ update) */
  uint32_t update_cycles_lo, update_cycles_hi;
} sampling_stats_t;

#endif
