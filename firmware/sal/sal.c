/* Spike-based alignment learning on the plasticity processor.
 *
 * Every period (timer-scheduled): for each plastic pre neuron, convert and read the causal
 * and acausal sensor rows of its excitatory and inhibitory synapse rows, reset them, update
 * the shadow weights (stored in Q8, computed in Q16) with the shared kernel (sal_kernel.h) and
 * write the stochastically rounded codes back to both rows (w = w_exc - w_inh); then the rate
 * homeostasis. Parameters come from `sal_config`,
 * written by the host before start; nothing is recompiled per run. */
#include <stdint.h>
#include <stdio.h>

#include <ppu/chip_regs.h>
#include <ppu/ppu.h>

#include "sal_config.h"
#include "sal_kernel.h"

/* The image's rule: SAL here; firmware/stdp builds this program with SAL_RULE_STDP. */
#ifndef SAL_RULE
#define SAL_RULE SAL_RULE_SAL
#endif

/* In .data, not .bss: crt0 zeroes .bss after the host has written the block. */
volatile sal_config_t sal_config __attribute__((section(".data")));
volatile sal_stats_t sal_stats;

volatile sal_gain_table_t sal_gain __attribute__((section(".data")));

static int16_t shadow[SAL_MAX_PRE][SAL_MAX_POST]; /* Q8 storage (sal_shadow_store) */
/* CADC zero per column (Q8) for the columns base_lo .. base_lo + 2*SAL_MAX_POST - 1. */
static uint16_t base_c[2 * SAL_MAX_POST], base_a[2 * SAL_MAX_POST];
static unsigned base_lo;
#ifndef SAL_VECTOR
static int32_t shadow_row[SAL_MAX_POST]; /* Q16 working copy of one row */
static uint16_t gain_row[SAL_MAX_POST];
static uint8_t causal[SAL_MAX_POST] __attribute__((aligned(4)));
static uint8_t acausal[SAL_MAX_POST] __attribute__((aligned(4)));
static uint8_t w_exc[SAL_MAX_POST] __attribute__((aligned(4)));
static uint8_t w_inh[SAL_MAX_POST] __attribute__((aligned(4)));
static int32_t d_q8[SAL_MAX_POST], s_q8[SAL_MAX_POST];
static uint32_t randoms[2 * SAL_MAX_POST];
#endif
static int32_t homeo_code_q8[64]; /* leak codes of the homeostasis neurons, Q8 */
static uint64_t update_cycles;

#ifndef SAL_VECTOR
/* Chip accesses cost far more than arithmetic: move four columns per access when the
 * column range is word aligned. */
static void read_row(unsigned row, unsigned first, unsigned n) {
  unsigned i;
  ppu_sensors_convert_row(row);
  if ((first & 3u) == 0 && (n & 3u) == 0) {
    for (i = 0; i < n; i += 4) { /* the first read stalls until the conversion is done */
      *(uint32_t*)(void*)&causal[i] = PPU_CHIP32(PPU_CHIP_CADC_CAUSAL + first + i);
      *(uint32_t*)(void*)&acausal[i] = PPU_CHIP32(PPU_CHIP_CADC_ACAUSAL + first + i);
    }
    return;
  }
  for (i = 0; i < n; ++i) {
    causal[i] = PPU_CHIP8(PPU_CHIP_CADC_CAUSAL + first + i);
    acausal[i] = PPU_CHIP8(PPU_CHIP_CADC_ACAUSAL + first + i);
  }
}

static void write_row(unsigned row, unsigned first, unsigned n, const uint8_t* w) {
  unsigned i;
  if ((first & 3u) == 0 && (n & 3u) == 0) {
    for (i = 0; i < n; i += 4)
      PPU_CHIP32(PPU_CHIP_WEIGHTS + row * PPU_CHIP_ROW_STRIDE + first + i) =
          *(const uint32_t*)(const void*)&w[i];
    return;
  }
  for (i = 0; i < n; ++i)
    PPU_CHIP8(PPU_CHIP_WEIGHTS + row * PPU_CHIP_ROW_STRIDE + first + i) = w[i];
}
#endif

static void calibrate_baseline(void) {
  /* Offsets are per CADC channel (column): average many conversions of a freshly reset row. */
  /* Sums of up to 256 8-bit codes fit the uint16 baseline arrays themselves. */
  unsigned k, i, j, lo = 255, hi = 0,
                    n = sal_config.baseline_samples ? sal_config.baseline_samples : 1;
  if (n > 256) n = 256;
  for (j = 0; j < sal_config.n_pre; ++j) { /* only the columns any update reads */
    unsigned first = sal_config.post_first[j], last = first + sal_config.post_count[j];
    if (first < lo) lo = first;
    if (last > hi) hi = last;
  }
  base_lo = lo;
  for (k = 0; k < n; ++k) {
    /* A freshly reset row each time: correlations collected while calibrating would bias it. */
    ppu_sensors_reset_row(sal_config.pre_exc_row[0]);
    ppu_sensors_convert_row(sal_config.pre_exc_row[0]);
    for (i = lo; i < hi; ++i) {
      base_c[i - lo] = (uint16_t)(base_c[i - lo] + PPU_CHIP8(PPU_CHIP_CADC_CAUSAL + i));
      base_a[i - lo] = (uint16_t)(base_a[i - lo] + PPU_CHIP8(PPU_CHIP_CADC_ACAUSAL + i));
    }
  }
  for (i = 0; i < hi - lo; ++i) {
    base_c[i] = (uint16_t)(((uint32_t)base_c[i] * 256u + n / 2) / n);
    base_a[i] = (uint16_t)(((uint32_t)base_a[i] * 256u + n / 2) / n);
  }
}

#ifndef SAL_VECTOR
/* One pre neuron: both sensor rows, the kernel on its columns, both weight rows. */
static void update_pre(const sal_params_t* p, unsigned j) {
  unsigned row = sal_config.pre_exc_row[j];
  unsigned first = sal_config.post_first[j], n = sal_config.post_count[j];
  unsigned i;
  for (i = 0; i < n; ++i) d_q8[i] = s_q8[i] = 0;
  read_row(row, first, n);
  ppu_sensors_reset_row(row);
  sal_add_signals((int)n, causal, acausal, base_c + (first - base_lo), base_a + (first - base_lo),
                  d_q8, s_q8);
  read_row(row + 1, first, n);
  ppu_sensors_reset_row(row + 1);
  sal_add_signals((int)n, causal, acausal, base_c + (first - base_lo), base_a + (first - base_lo),
                  d_q8, s_q8);
  /* Draw order: every excitatory code of the row, then every inhibitory one — the order the
   * vector variant's rounding takes them in, so both images give the same weights. */
  for (i = 0; i < n; ++i) randoms[2 * i] = ppu_random();
  for (i = 0; i < n; ++i) randoms[2 * i + 1] = ppu_random();
  for (i = 0; i < n; ++i) {
    shadow_row[i] = sal_shadow_load(shadow[j][i]);
    gain_row[i] = sal_gain_q8_from_q6(sal_gain[j][i]);
  }
  sal_update_row(p, (int)n, d_q8, s_q8, sal_config.use_gains ? gain_row : 0, shadow_row, w_exc,
                 w_inh, randoms);
  for (i = 0; i < n; ++i) shadow[j][i] = sal_shadow_store(shadow_row[i]);
  write_row(row, first, n, w_exc);
  write_row(row + 1, first, n, w_inh);
}
#else
#include "sal_vector.h"
#endif

static void update(void* arg) {
  sal_params_t p;
  unsigned j;
  uint64_t c0 = ppu_cycles();
  uint32_t decay_ms = sal_config.eta_decay_us / 1000u;
  int32_t eta = sal_config.eta_q16;
  (void)arg;
  if (decay_ms) {
    /* eta / (1 + t/decay) in 32-bit arithmetic (ms resolution, decay < 65 s). Time since the start
     * from the update count (the timer keeps the period exactly): ppu_time_us() would pull libgcc's
     * 1 KiB 64-bit division into the 16 KiB memory. */
    uint32_t t_ms = sal_stats.updates * sal_config.period_us / 1000u;
    uint32_t f_q16 = (decay_ms << 16) / (decay_ms + t_ms);
    eta = (int32_t)(((uint32_t)sal_config.eta_q16 >> 8) * (f_q16 >> 8));
  }
  sal_rule_params(SAL_RULE, eta, &p);
  p.eta_hebb_q16 = 0;
  p.hebb_target = 0;
  p.w_max = (int32_t)sal_config.w_max;
  p.signed_pairs = 1;
  p.remove_common_mode = (int32_t)sal_config.remove_common_mode;
  for (j = 0; j < sal_config.n_pre; ++j) {
    update_pre(&p, j);
    sal_stats.row_updates++;
  }
  if (sal_config.homeo_count) {
    uint32_t sum = 0;
    for (j = 0; j < sal_config.homeo_count; ++j) {
      unsigned neuron = sal_config.homeo_neuron[j];
      int32_t code = sal_homeostasis_step(
          (int32_t)ppu_rate_counter_read(neuron), (int32_t)sal_config.homeo_target,
          sal_config.homeo_gain_q8, (int32_t)sal_config.code_max, &homeo_code_q8[j]);
      ppu_rate_counter_reset(neuron);
      ppu_neuron_param_write(neuron, sal_config.leak_cell, (uint16_t)code);
      sum += (uint32_t)code;
    }
    sal_stats.homeo_code_sum = sum;
  }
  {
    uint32_t used = (uint32_t)(ppu_cycles() - c0);
    update_cycles += used;
    sal_stats.update_cycles_lo = (uint32_t)update_cycles;
    sal_stats.update_cycles_hi = (uint32_t)(update_cycles >> 32);
    if (used > sal_stats.max_update_cycles) sal_stats.max_update_cycles = used;
    if ((uint64_t)used * 1000000u > (uint64_t)sal_config.period_us * ppu_clock_hz())
      sal_stats.overruns++;
  }
  if (++sal_stats.updates >= sal_config.updates) ppu_scheduler_stop();
}

int main(void) {
  unsigned j, i;
  if (sal_config.magic != SAL_CONFIG_MAGIC) {
    printf("sal: no parameter block (sal_config.magic = 0x%08lx)\n",
           (unsigned long)sal_config.magic);
    return 3;
  }
  if (sal_config.n_pre == 0 || sal_config.n_pre > SAL_MAX_PRE || sal_config.n_pre > 128) {
    printf("sal: n_pre %lu out of range 1..%d\n", (unsigned long)sal_config.n_pre, SAL_MAX_PRE);
    return 4;
  }
  for (j = 0; j < sal_config.n_pre; ++j) {
    unsigned row = sal_config.pre_exc_row[j], first = sal_config.post_first[j];
    if (sal_config.post_count[j] > SAL_MAX_POST) return 5;
    for (i = 0; i < sal_config.post_count[j]; ++i) {
      int32_t w =
          (int32_t)ppu_weight_get(row, first + i) - (int32_t)ppu_weight_get(row + 1, first + i);
      shadow[j][i] = sal_shadow_store(w * SAL_ONE);
    }
  }
  {
    unsigned lo = 255, hi = 0;
    for (j = 0; j < sal_config.n_pre; ++j) {
      if (sal_config.post_first[j] < lo) lo = sal_config.post_first[j];
      if (sal_config.post_first[j] + sal_config.post_count[j] > hi)
        hi = sal_config.post_first[j] + sal_config.post_count[j];
    }
    if (hi - lo > 2 * SAL_MAX_POST) {
      printf("sal: postsynaptic columns %u..%u span more than %d\n", lo, hi - 1, 2 * SAL_MAX_POST);
      return 6;
    }
  }
  if (sal_config.homeo_count > 64) {
    printf("sal: homeo_count %lu out of range 0..64\n", (unsigned long)sal_config.homeo_count);
    return 7;
  }
  for (j = 0; j < sal_config.homeo_count; ++j) {
    unsigned neuron = sal_config.homeo_neuron[j];
    homeo_code_q8[j] = (int32_t)ppu_neuron_param_read(neuron, sal_config.leak_cell) << 8;
  }
  calibrate_baseline();
  printf("sal: %lu pre neurons, period %lu us, %lu updates\n", (unsigned long)sal_config.n_pre,
         (unsigned long)sal_config.period_us, (unsigned long)sal_config.updates);
  ppu_sensors_reset_all();
  for (j = 0; j < sal_config.homeo_count; ++j) ppu_rate_counter_reset(sal_config.homeo_neuron[j]);
  ppu_task_every_us(sal_config.period_us, update, 0);
  ppu_scheduler_run();
  /* Cycles per update are in sal_stats (the host reports them): a 64-bit division here would
   * pull libgcc's 1 KiB __udivdi3 into the 16 KiB memory. */
  printf("sal: done, %lu updates\n", (unsigned long)sal_stats.updates);
  return 0;
}
