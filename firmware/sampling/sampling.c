/* Sampling-network learning on the plasticity processor (experiment `sampling`).
 *
 * Every read period (timer task): convert and read both sensor rows of every neuron's
 * synapse driver, reset them, accumulate a and c per synapse (Q8 LSB above the CADC zero),
 * read and reset the rate counters. After `reads_per_iteration` reads, the update
 *     S_ij = k_ij (a + g c) / T,  D_ij = k_ij (a − g c) / T
 *     W_ij += η_W (⟨z_i z_j⟩* − S_ij) + η_SAL D_ij,   b_i += η_b (⟨z_i⟩* − r_i τ_on)
 * in fixed point (sampling_config.h), then the signed codes (stochastic rounding with the
 * hardware random generator) go to both rows and the leak codes u0 + α b to the parameter
 * memory. The host computed the same rule in double precision (executor: host). */
#include <stdint.h>
#include <stdio.h>

#include <ppu/chip_regs.h>
#include <ppu/ppu.h>

#include "sal_kernel.h"
#include "sampling_config.h"

#define N_MAX SAMPLING_MAX_N

/* In .data, not .bss: crt0 zeroes .bss after the host has written the block. */
volatile sampling_config_t sampling_config __attribute__((section(".data")));
volatile sampling_stats_t sampling_stats;

static int32_t a_sum[N_MAX][N_MAX], c_sum[N_MAX][N_MAX]; /* [post i][pre j], Q8 LSB */
static uint32_t counts[N_MAX];
static uint16_t base_c[N_MAX], base_a[N_MAX]; /* CADC zero per neuron column, Q8 */
static uint32_t reads_in_iteration;
static uint64_t busy_cycles;

static void calibrate_baseline(void) {
  unsigned k, i, n = sampling_config.baseline_samples ? sampling_config.baseline_samples : 1;
  unsigned row = sampling_config.exc_row[0];
  uint32_t sc[N_MAX] = {0}, sa[N_MAX] = {0};
  if (n > 256) n = 256;
  for (k = 0; k < n; ++k) {
    ppu_sensors_reset_row(row);
    ppu_sensors_convert_row(row);
    for (i = 0; i < sampling_config.n; ++i) {
      sc[i] += PPU_CHIP8(PPU_CHIP_CADC_CAUSAL + sampling_config.column[i]);
      sa[i] += PPU_CHIP8(PPU_CHIP_CADC_ACAUSAL + sampling_config.column[i]);
    }
  }
  for (i = 0; i < sampling_config.n; ++i) {
    base_c[i] = (uint16_t)((sc[i] * 256u + n / 2) / n);
    base_a[i] = (uint16_t)((sa[i] * 256u + n / 2) / n);
  }
}

static void read_sensors(void) {
  unsigned n = sampling_config.n, j, i, r;
  for (j = 0; j < n; ++j)
    for (r = 0; r < 2; ++r) {
      unsigned row = sampling_config.exc_row[j] + r;
      ppu_sensors_convert_row(row);
      for (i = 0; i < n; ++i) {
        int32_t cc, aa;
        if (i == j) continue;
        cc = PPU_CHIP8(PPU_CHIP_CADC_CAUSAL + sampling_config.column[i]); /* stalls while busy */
        aa = PPU_CHIP8(PPU_CHIP_CADC_ACAUSAL + sampling_config.column[i]);
        c_sum[i][j] += (int32_t)base_c[i] - (cc << SAL_BASE_Q);
        a_sum[i][j] += (int32_t)base_a[i] - (aa << SAL_BASE_Q);
      }
      ppu_sensors_reset_row(row);
    }
  for (i = 0; i < n; ++i) {
    counts[i] += ppu_rate_counter_read(sampling_config.neuron[i]);
    ppu_rate_counter_reset(sampling_config.neuron[i]);
  }
}

static int32_t mul_q16(int32_t a, int32_t b) { return (int32_t)(((int64_t)a * b) >> 16); }

/* Stochastically rounded signed code of W (Q16) at `per_q8` codes per unit; clips the shadow. */
static int32_t weight_code(volatile int32_t* w, int32_t pos_q8, int32_t neg_q8, int32_t w_max) {
  int32_t per = *w >= 0 ? pos_q8 : neg_q8;
  int64_t code_q16 = ((int64_t)*w * per) >> 8;
  int64_t lim = (int64_t)w_max << SAL_Q;
  int32_t mag;
  if (per <= 0) return 0;
  if (code_q16 > lim || code_q16 < -lim) {
    /* |W| = w_max / per (Q16 = (w_max << 24) / per_q8) */
    int32_t wl = (int32_t)(((uint32_t)w_max << 24) / (uint32_t)per);
    *w = *w >= 0 ? wl : -wl;
    code_q16 = code_q16 > 0 ? lim : -lim;
  }
  mag = sal_round_stochastic((int32_t)(code_q16 < 0 ? -code_q16 : code_q16), ppu_random());
  if (mag > w_max) mag = w_max;
  return code_q16 < 0 ? -mag : mag;
}

static void program(void) {
  unsigned n = sampling_config.n, i, j;
  int32_t w_max = (int32_t)sampling_config.w_max;
  for (i = 0; i < n; ++i)
    for (j = 0; j < n; ++j) {
      int32_t code;
      unsigned row = sampling_config.exc_row[j], col = sampling_config.column[i];
      if (i == j) continue;
      code = weight_code(&sampling_config.w_q16[i][j], sampling_config.codes_pos_q8[i][j],
                         sampling_config.codes_neg_q8[i][j], w_max);
      PPU_CHIP8(PPU_CHIP_WEIGHTS + row * PPU_CHIP_ROW_STRIDE + col) =
          (uint8_t)(code > 0 ? code : 0);
      PPU_CHIP8(PPU_CHIP_WEIGHTS + (row + 1) * PPU_CHIP_ROW_STRIDE + col) =
          (uint8_t)(code < 0 ? -code : 0);
    }
  for (i = 0; i < n; ++i) {
    int32_t u_q8 =
        sampling_config.u0_q8[i] + mul_q16(sampling_config.alpha_q8[i], sampling_config.b_q16[i]);
    int32_t code = (u_q8 + 128) >> 8;
    if (code < 0) code = 0;
    if (code > (int32_t)sampling_config.code_max) code = (int32_t)sampling_config.code_max;
    ppu_neuron_param_write(sampling_config.neuron[i], sampling_config.leak_cell, (uint16_t)code);
  }
}

static void update(void) {
  unsigned n = sampling_config.n, i, j;
  for (i = 0; i < n; ++i) {
    for (j = 0; j < n; ++j) {
      int32_t cg, s, d, dw;
      if (i == j) continue;
      cg = (int32_t)(((int64_t)c_sum[i][j] * sampling_config.gain_q8[i][j]) >> 8);
      s = (int32_t)(((int64_t)(a_sum[i][j] + cg) * sampling_config.k_mul[i][j]) >> 32);
      d = (int32_t)(((int64_t)(a_sum[i][j] - cg) * sampling_config.k_mul[i][j]) >> 32);
      dw = mul_q16(sampling_config.eta_w_q16, sampling_config.target_corr_q16[i][j] - s);
      if (sampling_config.sal) dw += mul_q16(sampling_config.eta_sal_q16, d);
      sampling_config.w_q16[i][j] += dw;
      a_sum[i][j] = c_sum[i][j] = 0;
    }
    {
      int32_t p_q16 = (int32_t)((counts[i] * sampling_config.p_mul_q24) >> 8);
      sampling_config.b_q16[i] +=
          mul_q16(sampling_config.eta_b_q16, sampling_config.target_mean_q16[i] - p_q16);
      counts[i] = 0;
    }
  }
  program();
}

static void tick(void* arg) {
  uint64_t c0 = ppu_cycles();
  uint32_t used;
  (void)arg;
  read_sensors();
  sampling_stats.reads++;
  if (++reads_in_iteration >= sampling_config.reads_per_iteration) {
    reads_in_iteration = 0;
    update();
    if (++sampling_stats.iterations >= sampling_config.iterations) ppu_scheduler_stop();
  }
  used = (uint32_t)(ppu_cycles() - c0);
  busy_cycles += used;
  sampling_stats.update_cycles_lo = (uint32_t)busy_cycles;
  sampling_stats.update_cycles_hi = (uint32_t)(busy_cycles >> 32);
  if (used > sampling_stats.max_read_cycles) sampling_stats.max_read_cycles = used;
  if ((uint64_t)used * 1000000u > (uint64_t)sampling_config.read_period_us * ppu_clock_hz())
    sampling_stats.overruns++;
}

int main(void) {
  if (sampling_config.magic != SAMPLING_CONFIG_MAGIC) {
    printf("sampling: no parameter block (magic 0x%08lx)\n", (unsigned long)sampling_config.magic);
    return 3;
  }
  if (sampling_config.n < 1 || sampling_config.n > N_MAX) {
    printf("sampling: n %lu out of range 1..%d\n", (unsigned long)sampling_config.n, N_MAX);
    return 4;
  }
  if (sampling_config.reads_per_iteration < 1 || sampling_config.iterations < 1) return 5;
  calibrate_baseline();
  ppu_sensors_reset_all();
  ppu_rate_counters_reset_all();
  ppu_task_every_us(sampling_config.read_period_us, tick, 0);
  ppu_scheduler_run();
  printf("sampling: done, %lu iterations\n", (unsigned long)sampling_stats.iterations);
  return 0;
}
