/* The blocks the host and the student-teacher firmware (st.c) share: `st_config` (written
 * once before start), `st_task` (the current pattern's target and input counts, written before
 * each update command) and `st_stats` (the firmware's counts and statistics, read by the host).
 * Shared by the firmware (C) and the emulator (C++), so the layout cannot drift.
 *
 * Commands arrive through the mailbox: word 0 the command, word 1 its argument, word 2 a
 * sequence number the firmware writes back to its word 0 (and rings) once the command is done. */
#ifndef SALVO_ST_CONFIG_H
#define SALVO_ST_CONFIG_H

#include <stdint.h>

#define ST_CONFIG_MAGIC 0x53545431u /* "STT1" */
#ifndef ST_MAX_IN
#define ST_MAX_IN 32
#endif
#ifndef ST_MAX_HID
#define ST_MAX_HID 32
#endif
#ifndef ST_MAX_OUT
#define ST_MAX_OUT 16
#endif

#define ST_PHASES 3 /* 0 free, 1 nudged, 2 the second B-on phase of the gated errors */

enum {
  ST_CMD_COUNT_START = 1, /* arg phase (< ST_PHASES): reset the counters and that phase's counts */
  ST_CMD_COUNT_ADD = 2,   /* arg phase: add the rate counters to its counts, reset the counters */
  ST_CMD_UPDATE = 3,      /* the forward update from the phases' counts and st_task; arg bit 0:
                             W1 frozen for this update (W2 only) */
  ST_CMD_STOP = 4         /* exit(0) */
};

typedef struct {
  uint32_t magic;
  uint32_t n_in, n_hid, n_out;
  uint32_t hidden_learns; /* 0: W1 frozen (feedback none; no nudged phase) */
  int32_t eta_hidden_q16; /* W1: shadow codes (Q16.16) per (count change x input count) */
  int32_t eta_output_q16; /* W2: per (count error x hidden count) */
  uint32_t w_max;         /* largest weight code */
  uint32_t rng_seed;      /* xorshift32 state of the stochastic rounding (the host's too) */
  /* A hidden neuron's error (Q8) = (phase-1 count - phase-hidden_ref_phase count) x
   * hidden_err_scale: reference phase 0 (free) and 256 for hidden_error free, 2 and 256 for
   * reference, 2 and 128 (half the difference) for symmetric. */
  uint32_t hidden_ref_phase;
  int32_t hidden_err_scale;
  uint8_t in_exc_row[ST_MAX_IN];   /* input i's excitatory row (the inhibitory one follows) */
  uint8_t hid_exc_row[ST_MAX_HID]; /* hidden neuron h's excitatory row */
  uint8_t hid_column[ST_MAX_HID];  /* its column (= neuron index within the half) */
  uint8_t out_column[ST_MAX_OUT];
} st_config_t;

typedef struct {
  int32_t target_q8[ST_MAX_OUT];   /* output k's target count over the window, Q8 */
  uint16_t input_count[ST_MAX_IN]; /* input i's count over the window (the host plays them) */
} st_task_t;

typedef struct {
  uint32_t commands;
  uint32_t updates;
  /* Counts of the last measurement per phase: hidden 0..n_hid-1, then the outputs. */
  uint16_t count[ST_PHASES][ST_MAX_HID + ST_MAX_OUT];
  uint32_t update_cycles_lo, update_cycles_hi; /* busy cycles inside updates */
  uint32_t max_update_cycles;
} st_stats_t;

#endif /* SALVO_ST_CONFIG_H */
