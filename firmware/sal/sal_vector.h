/* The SAL update of one pre neuron on the vector unit (included by sal.c when built with
 * SAL_VECTOR; needs ppu/vector.h's PPU_VECTOR_BYTES for the hardware unit, or runs on the
 * scalar fallback). Same arithmetic as sal_kernel.h's sal_update_row for the SAL rule with
 * signed pairs and no Hebbian term, lane by lane in 32-bit lanes, and the same random draws
 * in the same order (all excitatory codes of the row, then all inhibitory ones), so both
 * images give the same weights from the same seed (tests/test_sal_vector.cpp).
 *
 * Vector registers: 1-11 temporaries, 20-26 constants. */
#include <ppu/vector.h>

#if SAL_RULE != SAL_RULE_SAL
#error "the vector SAL update implements the SAL rule only"
#endif

#define W PPU_V_W
#define H PPU_V_H
#define B PPU_V_B

static uint8_t vcausal[2][SAL_MAX_POST] __attribute__((aligned(4)));
static uint8_t vacausal[2][SAL_MAX_POST] __attribute__((aligned(4)));
static int32_t vd_buf[SAL_MAX_POST]; /* per-synapse SAL term D, then |shadow| of the inh row */
static uint8_t vexc[SAL_MAX_POST] __attribute__((aligned(4)));
static uint8_t vinh[SAL_MAX_POST] __attribute__((aligned(4)));

/* Converts a sensor row and copies its segment's causal and acausal results (one burst per
 * vector) into local memory; then resets the row's sensors. */
static void vread_row(unsigned row, unsigned first, unsigned n, unsigned r) {
  unsigned k, vl;
  ppu_sensors_convert_row(row);
  for (k = 0; k < n; k += vl) {
    vl = PPU_VSETVL(B, n - k);
    PPU_VLD(B, B, 1, PPU_CHIP_BASE + PPU_CHIP_CADC_CAUSAL + first + k);
    PPU_VLD(B, B, 2, PPU_CHIP_BASE + PPU_CHIP_CADC_ACAUSAL + first + k);
    PPU_VST(B, B, 1, &vcausal[r][k]);
    PPU_VST(B, B, 2, &vacausal[r][k]);
  }
  ppu_sensors_reset_row(row);
}

/* x / 2 rounded towards zero (C's division), in place on register v (t: a temporary). */
#define VHALF(v, t)                     \
  do {                                  \
    PPU_VOPI(PPU_VOP_SRL, W, t, v, 31); \
    PPU_VOP(PPU_VOP_ADD, W, v, v, t);   \
    PPU_VOPI(PPU_VOP_SRA, W, v, v, 1);  \
  } while (0)

/* D = a - g c (or a - c) for columns k.. of this chunk into v5; d and s as in sal_add_signals. */
static void vsignal_chunk(unsigned j, unsigned first, unsigned k) {
  unsigned r;
  PPU_VLD(W, H, 3, &base_c[first - base_lo + k]);
  PPU_VLD(W, H, 4, &base_a[first - base_lo + k]);
  PPU_VOP(PPU_VOP_XOR, W, 5, 5, 5); /* d */
  PPU_VOP(PPU_VOP_XOR, W, 6, 6, 6); /* s */
  for (r = 0; r < 2; ++r) {
    PPU_VLD(W, B, 1, &vcausal[r][k]);
    PPU_VOPI(PPU_VOP_SLL, W, 1, 1, 8);
    PPU_VOP(PPU_VOP_SUB, W, 1, 3, 1); /* c = base_c - causal << 8 */
    PPU_VLD(W, B, 2, &vacausal[r][k]);
    PPU_VOPI(PPU_VOP_SLL, W, 2, 2, 8);
    PPU_VOP(PPU_VOP_SUB, W, 2, 4, 2); /* a */
    PPU_VOP(PPU_VOP_SUB, W, 7, 2, 1);
    PPU_VOP(PPU_VOP_ADD, W, 5, 5, 7); /* d += a - c */
    PPU_VOP(PPU_VOP_ADD, W, 7, 2, 1);
    PPU_VOP(PPU_VOP_ADD, W, 6, 6, 7); /* s += a + c */
  }
  if (sal_config.use_gains) {
    PPU_VLD(W, B, 8, &sal_gain[j][k]);
    PPU_VOPI(PPU_VOP_SLL, W, 8, 8, 2); /* Q6 -> Q8 */
    PPU_VOP(PPU_VOP_ADD, W, 9, 6, 5);
    VHALF(9, 11); /* a = (s + d) / 2 */
    PPU_VOP(PPU_VOP_SUB, W, 10, 6, 5);
    VHALF(10, 11); /* c = (s - d) / 2 */
    PPU_VOP(PPU_VOP_MUL, W, 10, 10, 8);
    PPU_VOPI(PPU_VOP_SRA, W, 10, 10, 8); /* g c */
    PPU_VOP(PPU_VOP_SUB, W, 5, 9, 10);
  }
}

static void update_pre(const sal_params_t* p, unsigned j) {
  unsigned row = sal_config.pre_exc_row[j];
  unsigned first = sal_config.post_first[j], n = sal_config.post_count[j];
  unsigned k, vl;
  int32_t sum = 0, common = 0;
  vread_row(row, first, n, 0);
  vread_row(row + 1, first, n, 1);
  for (k = 0; k < n; k += vl) {
    vl = PPU_VSETVL(W, n - k);
    vsignal_chunk(j, first, k);
    PPU_VST(W, W, 5, &vd_buf[k]);
    sum += PPU_VREDSUM(W, 5);
  }
  if (p->remove_common_mode && n > 0) common = sum / (int32_t)n;
  PPU_VSPLAT(W, 20, common);
  PPU_VSPLAT(W, 21, p->eta_sal_q16);
  PPU_VSPLAT(W, 22, -(p->w_max << SAL_Q));
  PPU_VSPLAT(W, 23, p->w_max << SAL_Q);
  PPU_VSPLAT(W, 24, 128);
  PPU_VSPLAT(W, 25, p->w_max);
  PPU_VSPLAT(W, 26, 0);
  for (k = 0; k < n; k += vl) {
    vl = PPU_VSETVL(W, n - k);
    PPU_VLD(W, W, 5, &vd_buf[k]);
    PPU_VOP(PPU_VOP_SUB, W, 5, 5, 20);
    PPU_VOPI(PPU_VOP_SLL, W, 5, 5, 8);
    PPU_VOP(PPU_VOP_MULH, W, 5, 21, 5); /* delta = eta d >> 8 (Q16 x Q16) */
    PPU_VLDS(W, H, 6, &shadow[j][k]);
    PPU_VOPI(PPU_VOP_SLL, W, 6, 6, 8); /* Q8 storage -> Q16 */
    PPU_VOP(PPU_VOP_ADDS, W, 6, 6, 5);
    PPU_VOP(PPU_VOP_MAX, W, 6, 6, 22);
    PPU_VOP(PPU_VOP_MIN, W, 6, 6, 23); /* shadow, clipped */
    PPU_VOP(PPU_VOP_ADD, W, 7, 6, 24);
    PPU_VOPI(PPU_VOP_SRA, W, 7, 7, 8);
    PPU_VST(W, H, 7, &shadow[j][k]); /* sal_shadow_store */
    PPU_VOP(PPU_VOP_MAX, W, 8, 6, 26);
    PPU_VOPI(PPU_VOP_SRND, W, 8, 8, SAL_Q);
    PPU_VOP(PPU_VOP_MIN, W, 8, 8, 25);
    PPU_VST(W, B, 8, &vexc[k]);
    PPU_VOP(PPU_VOP_SUB, W, 9, 26, 6);
    PPU_VOP(PPU_VOP_MAX, W, 9, 9, 26);
    PPU_VST(W, W, 9, &vd_buf[k]);
  }
  for (k = 0; k < n; k += vl) {
    vl = PPU_VSETVL(W, n - k);
    PPU_VLD(W, W, 9, &vd_buf[k]);
    PPU_VOPI(PPU_VOP_SRND, W, 9, 9, SAL_Q);
    PPU_VOP(PPU_VOP_MIN, W, 9, 9, 25);
    PPU_VST(W, B, 9, &vinh[k]);
  }
  for (k = 0; k < n; k += vl) {
    vl = PPU_VSETVL(B, n - k);
    PPU_VLD(B, B, 1, &vexc[k]);
    PPU_VLD(B, B, 2, &vinh[k]);
    PPU_VST(B, B, 1, PPU_CHIP_BASE + PPU_CHIP_WEIGHTS + row * PPU_CHIP_ROW_STRIDE + first + k);
    PPU_VST(B, B, 2,
            PPU_CHIP_BASE + PPU_CHIP_WEIGHTS + (row + 1) * PPU_CHIP_ROW_STRIDE + first + k);
  }
}

#undef W
#undef H
#undef B
