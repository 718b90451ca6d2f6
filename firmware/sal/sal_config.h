/* The parameter block the host writes into processor memory before the SAL firmware starts
 * (symbol `sal_config`), and the results block it reads back (symbol `sal_stats`). Shared by
 * the firmware (C) and the emulator (C++), so the layout cannot drift. */
#ifndef SALVO_SAL_CONFIG_H
#define SALVO_SAL_CONFIG_H

#include <stdint.h>

#define SAL_CONFIG_MAGIC 0x53414C31u /* "SAL1" */
/* Plastic synapses are held as 16-bit (Q8) shadow weights plus a byte of sensor-gain ratio:
 * 32 x 32 of them take 3 KiB of the reference 16 KiB memory; the 256 KiB variant's image is
 * built with 64 x 64. */
#ifndef SAL_MAX_PRE
#define SAL_MAX_PRE 32
#endif
#ifndef SAL_MAX_POST
#define SAL_MAX_POST 32
#endif

typedef struct {
  uint32_t magic;              /* SAL_CONFIG_MAGIC once the host has filled the block */
  uint32_t period_us;          /* time between updates */
  int32_t eta_q16;             /* SAL learning rate, shadow codes (Q16.16) per LSB of (a - c) */
  uint32_t eta_decay_us;       /* eta(t) = eta / (1 + t / eta_decay_us); 0 = constant */
  uint32_t updates;            /* how many updates to run, then exit(0) */
  uint32_t remove_common_mode; /* 1: subtract each row's mean (a - c) */
  uint32_t w_max;              /* largest weight code */
  uint32_t baseline_samples;   /* conversions averaged for the CADC zero (1..256) */
  uint32_t n_pre;              /* plastic presynaptic neurons (<= 128: a whole 256-row half) */
  uint8_t pre_exc_row[128];    /* their excitatory row (the inhibitory one follows) */
  uint8_t post_first[128];     /* first postsynaptic column of each */
  uint16_t post_count[128];    /* number of consecutive postsynaptic columns (<= 256) */
  /* Rate homeostasis (sal_kernel.h: sal_homeostasis_step), run with every update. */
  uint32_t homeo_count;     /* neurons under homeostasis (0 = off) */
  uint32_t homeo_target;    /* target spikes per update period */
  int32_t homeo_gain_q8;    /* leak-code change (Q8) per spike of error */
  uint32_t leak_cell;       /* parameter-memory cell of the leak voltage */
  uint32_t code_max;        /* largest parameter code */
  uint8_t homeo_neuron[64]; /* neuron index within the half */
  uint32_t use_gains;       /* 1: the host filled `sal_gain` (sensor-gain calibration) */
} sal_config_t;

/* Per-synapse acausal/causal sensor-gain ratios, Q6 (64 = 1.0), [pre][post] in the order of
 * sal_config's pre neurons and their columns (symbol `sal_gain`, written by the host). */
typedef uint8_t sal_gain_table_t[SAL_MAX_PRE][SAL_MAX_POST];

typedef struct {
  uint32_t updates;          /* updates done */
  uint32_t row_updates;      /* pre neurons updated (each two sensor rows) */
  uint32_t update_cycles_lo; /* busy cycles spent inside updates */
  uint32_t update_cycles_hi;
  uint32_t max_update_cycles; /* the longest single update */
  uint32_t overruns;          /* updates that took longer than the period */
  uint32_t homeo_code_sum;    /* sum of the homeostasis neurons' leak codes after the last update */
} sal_stats_t;

#endif /* SALVO_SAL_CONFIG_H */
