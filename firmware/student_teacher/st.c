/* The student-teacher forward rule on the plasticity processor (experiment `student-teacher`,
 * forward_executor: firmware).
 *
 * The host plays the inputs and the nudge and sequences the phases through the mailbox
 * (st_config.h); this program does the rest with what the chip exposes: it resets and reads
 * the rate counters of the hidden and output neurons (every 1 ms, before the 8-bit counters
 * saturate), keeps each phase's counts, and on the update command changes the forward
 * weights by the shared kernel (st_kernel.h):
 *   W2[h][k] += eta_o · (target_k − free_k) · free_h,   W1[i][h] += eta_h · err_h · in_i,
 * err_h = (nudged_h − ref_h) · scale, ref = the free phase or the second B-on phase of the gated
 * errors (scale ½ for the symmetric ones); W1 is skipped while the host freezes it. Signed
 * Q16.16 shadow weights, stochastically rounded codes on the exc/inh row pairs.
 * The rounding draws come from the kernel's xorshift32 (seeded by the host), so that the host,
 * given the same counts, computes the same codes (the experiment checks it after every update). */
#include <stdint.h>
#include <stdio.h>

#include <ppu/chip_regs.h>
#include <ppu/ppu.h>

#include "st_config.h"
#include "st_kernel.h"

/* In .data, not .bss: crt0 zeroes .bss after the host has written the blocks. */
volatile st_config_t st_config __attribute__((section(".data")));
volatile st_task_t st_task __attribute__((section(".data")));
volatile st_stats_t st_stats;

static int32_t shadow1[ST_MAX_IN][ST_MAX_HID];  /* W1, Q16.16 */
static int32_t shadow2[ST_MAX_HID][ST_MAX_OUT]; /* W2, Q16.16 */
static int32_t err[ST_MAX_HID > ST_MAX_OUT ? ST_MAX_HID : ST_MAX_OUT];
static uint8_t w_exc[ST_MAX_HID > ST_MAX_OUT ? ST_MAX_HID : ST_MAX_OUT];
static uint8_t w_inh[ST_MAX_HID > ST_MAX_OUT ? ST_MAX_HID : ST_MAX_OUT];
static uint32_t randoms[2 * (ST_MAX_HID > ST_MAX_OUT ? ST_MAX_HID : ST_MAX_OUT)];
static uint32_t rng;
static uint64_t update_cycles;
static volatile uint32_t rung;

static unsigned n_neurons(void) { return st_config.n_hid + st_config.n_out; }
static unsigned column(unsigned k) {
  return k < st_config.n_hid ? st_config.hid_column[k] : st_config.out_column[k - st_config.n_hid];
}

/* The phases' counts are kept in st_stats.count itself (16 bits, saturating; the host reads
 * them there), which leaves the memory for the third phase. */
static void count_start(unsigned phase) {
  unsigned k;
  for (k = 0; k < n_neurons(); ++k) {
    ppu_rate_counter_reset(column(k));
    st_stats.count[phase][k] = 0;
  }
}

static void count_add(unsigned phase) {
  unsigned k;
  for (k = 0; k < n_neurons(); ++k) {
    unsigned c = column(k);
    uint32_t v = st_stats.count[phase][k] + (uint32_t)ppu_rate_counter_read(c);
    ppu_rate_counter_reset(c);
    st_stats.count[phase][k] = (uint16_t)(v > 0xFFFFu ? 0xFFFFu : v);
  }
}

static int32_t count(unsigned phase, unsigned k) { return (int32_t)st_stats.count[phase][k]; }

/* One pre row (excitatory row `row`, the inhibitory one below it) onto n posts. */
static void update_row(const st_params_t* p, unsigned n, int32_t pre_count, int32_t* shadow,
                       unsigned row, volatile const uint8_t* cols) {
  unsigned j;
  for (j = 0; j < 2 * n; ++j) randoms[j] = sal_xorshift32(&rng);
  st_update_row(p, (int)n, pre_count, err, shadow, w_exc, w_inh, randoms);
  for (j = 0; j < n; ++j) {
    ppu_weight_set(row, cols[j], w_exc[j]);
    ppu_weight_set(row + 1, cols[j], w_inh[j]);
  }
}

static void update(int w1_frozen) {
  const unsigned nh = st_config.n_hid, no = st_config.n_out;
  unsigned h, i;
  uint64_t c0 = ppu_cycles();
  uint32_t used;
  st_params_t p;
  p.w_max = (int32_t)st_config.w_max;
  /* Output layer: error = target − free count (Q8), pre = the hidden neuron's free count. */
  p.eta_q16 = st_config.eta_output_q16;
  for (h = 0; h < no; ++h) err[h] = st_task.target_q8[h] - count(0, nh + h) * (1 << ST_ERR_Q);
  for (h = 0; h < nh; ++h)
    update_row(&p, no, count(0, h), shadow2[h], st_config.hid_exc_row[h], st_config.out_column);
  /* Hidden layer: error = the nudged phase's count minus the reference phase's (what arrived
   * through B), pre = input count. */
  if (st_config.hidden_learns && !w1_frozen) {
    const unsigned ref = st_config.hidden_ref_phase;
    p.eta_q16 = st_config.eta_hidden_q16;
    for (h = 0; h < nh; ++h) err[h] = (count(1, h) - count(ref, h)) * st_config.hidden_err_scale;
    for (i = 0; i < st_config.n_in; ++i)
      update_row(&p, nh, st_task.input_count[i], shadow1[i], st_config.in_exc_row[i],
                 st_config.hid_column);
  }
  used = (uint32_t)(ppu_cycles() - c0);
  update_cycles += used;
  st_stats.update_cycles_lo = (uint32_t)update_cycles;
  st_stats.update_cycles_hi = (uint32_t)(update_cycles >> 32);
  if (used > st_stats.max_update_cycles) st_stats.max_update_cycles = used;
  st_stats.updates++;
}

static void on_mailbox(void) { rung = 1; }

static void load_shadow(void) {
  unsigned i, h, k;
  for (i = 0; i < st_config.n_in; ++i)
    for (h = 0; h < st_config.n_hid; ++h) {
      unsigned row = st_config.in_exc_row[i], col = st_config.hid_column[h];
      shadow1[i][h] =
          ((int32_t)ppu_weight_get(row, col) - (int32_t)ppu_weight_get(row + 1, col)) * SAL_ONE;
    }
  for (h = 0; h < st_config.n_hid; ++h)
    for (k = 0; k < st_config.n_out; ++k) {
      unsigned row = st_config.hid_exc_row[h], col = st_config.out_column[k];
      shadow2[h][k] =
          ((int32_t)ppu_weight_get(row, col) - (int32_t)ppu_weight_get(row + 1, col)) * SAL_ONE;
    }
}

int main(void) {
  if (st_config.magic != ST_CONFIG_MAGIC) {
    printf("st: no parameter block (st_config.magic = 0x%08lx)\n", (unsigned long)st_config.magic);
    return 3;
  }
  if (st_config.n_in < 1 || st_config.n_in > ST_MAX_IN || st_config.n_hid < 1 ||
      st_config.n_hid > ST_MAX_HID || st_config.n_out < 1 || st_config.n_out > ST_MAX_OUT) {
    printf("st: sizes %lu -> %lu -> %lu out of range (<= %d, %d, %d)\n",
           (unsigned long)st_config.n_in, (unsigned long)st_config.n_hid,
           (unsigned long)st_config.n_out, ST_MAX_IN, ST_MAX_HID, ST_MAX_OUT);
    return 4;
  }
  if (st_config.hidden_ref_phase >= ST_PHASES || st_config.hidden_ref_phase == 1) {
    printf("st: hidden_ref_phase %lu (allowed 0 or 2)\n",
           (unsigned long)st_config.hidden_ref_phase);
    return 6;
  }
  rng = st_config.rng_seed;
  load_shadow();
  ppu_set_mailbox_handler(on_mailbox);
  for (;;) {
    uint32_t cmd, arg;
    /* Interrupts off between the check and WFI, so a ring cannot slip in between; WFI still
     * wakes on the pending interrupt and the handler runs once they are on again. */
    ppu_irq_disable();
    while (!rung) {
      ppu_wfi();
      ppu_irq_enable();
      ppu_irq_disable();
    }
    rung = 0;
    ppu_irq_enable();
    cmd = ppu_mailbox_read(0);
    arg = ppu_mailbox_read(1);
    if ((cmd == ST_CMD_COUNT_START || cmd == ST_CMD_COUNT_ADD) && arg >= ST_PHASES) {
      printf("st: phase %lu (allowed 0..%d)\n", (unsigned long)arg, ST_PHASES - 1);
      return 5;
    }
    if (cmd == ST_CMD_COUNT_START) count_start(arg);
    if (cmd == ST_CMD_COUNT_ADD) count_add(arg);
    if (cmd == ST_CMD_UPDATE) update((int)(arg & 1u));
    st_stats.commands++;
    ppu_mailbox_write(0, ppu_mailbox_read(2));
    ppu_mailbox_ring();
    if (cmd == ST_CMD_STOP) break;
    if (cmd < ST_CMD_COUNT_START || cmd > ST_CMD_STOP) {
      printf("st: unknown command %lu\n", (unsigned long)cmd);
      return 5;
    }
  }
  printf("st: done, %lu updates\n", (unsigned long)st_stats.updates);
  return 0;
}
