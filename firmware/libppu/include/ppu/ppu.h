/* libppu: the hardware-access library of the plasticity processor.
 * printf() goes to the console device (the emulator log, "[info] ppu0: ..."); main()'s
 * return value ends the program through the HTIF tohost word (Spike convention). */
#ifndef PPU_PPU_H
#define PPU_PPU_H

#include <stdint.h>

#include "ppu/chip_regs.h"
#include "ppu/regs.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- program end ---------------------------------------------------------------------- */
/* Ends the program: tohost = (code << 1) | 1, so code 0 is "pass". Does not return. */
void ppu_exit(int code) __attribute__((noreturn));

/* ---- console -------------------------------------------------------------------------- */
void ppu_putc(char c);
void ppu_puts(const char* s); /* no newline appended */

/* ---- identification ------------------------------------------------------------------- */
static inline uint32_t ppu_id(void) { return PPU_REG32(PPU_ID); }
static inline uint32_t ppu_memory_size(void) { return PPU_REG32(PPU_MEMORY_SIZE); }
static inline uint32_t ppu_clock_hz(void) { return PPU_REG32(PPU_CLOCK_HZ); }

/* ---- cycle counter, timer ------------------------------------------------------------- */
/* Clock cycles since the program started, busy and asleep (a consistent 64-bit read). */
uint64_t ppu_cycles(void);
/* Cycles spent asleep in WFI. */
uint64_t ppu_sleep_cycles(void);
/* mtime: ticks at ppu_timer_hz() (the processor clock). */
uint64_t ppu_mtime(void);
static inline uint32_t ppu_timer_hz(void) { return PPU_REG32(PPU_TIMER_FREQ_HZ); }
uint64_t ppu_time_us(void);
/* Arms the machine timer interrupt for mtime >= when (UINT64_MAX disarms). */
void ppu_timer_set(uint64_t when);
/* Sleeps (WFI, the processor clock keeps time) for the given time. */
void ppu_delay_cycles(uint64_t cycles);
void ppu_delay_us(uint32_t us);

/* ---- interrupts ----------------------------------------------------------------------- */
static inline void ppu_irq_enable(void) { __asm__ volatile("csrsi mstatus, 8" ::: "memory"); }
static inline void ppu_irq_disable(void) { __asm__ volatile("csrci mstatus, 8" ::: "memory"); }
static inline void ppu_wfi(void) { __asm__ volatile("wfi" ::: "memory"); }
/* Called in interrupt context on every machine timer interrupt (after the scheduler's work). */
void ppu_set_timer_handler(void (*handler)(void));
/* Called in interrupt context when the host rings the mailbox (machine external interrupt). */
void ppu_set_mailbox_handler(void (*handler)(void));

/* ---- periodic scheduler (timer interrupt driven) -------------------------------------- */
#define PPU_MAX_TASKS 8
/* Registers fn(arg) to run every period_us, first after one period. Returns the task id, or
 * -1 if the table is full or the period is 0. */
int ppu_task_every_us(uint32_t period_us, void (*fn)(void* arg), void* arg);
void ppu_task_cancel(int id);
/* Runs due tasks in thread context, sleeping in WFI in between, until ppu_scheduler_stop()
 * (from a task or an interrupt handler). Returns the number of periods tasks overran. */
uint32_t ppu_scheduler_run(void);
void ppu_scheduler_stop(void);

/* ---- mailbox to the host -------------------------------------------------------------- */
static inline uint32_t ppu_mailbox_read(unsigned i) { return PPU_REG32(PPU_MBOX_TO_PPU + 4u * i); }
static inline void ppu_mailbox_write(unsigned i, uint32_t v) {
  PPU_REG32(PPU_MBOX_FROM_PPU + 4u * i) = v;
}
static inline int ppu_mailbox_pending(void) { return PPU_REG32(PPU_MBOX_STATUS) & 1u; }
static inline void ppu_mailbox_ack(void) { PPU_REG32(PPU_MBOX_ACK) = 1u; }
static inline void ppu_mailbox_ring(void) { PPU_REG32(PPU_MBOX_DOORBELL) = 1u; }

/* ---- random numbers ------------------------------------------------------------------- */
static inline uint32_t ppu_random(void) { return PPU_REG32(PPU_RNG_VALUE); }
/* Uniform in [0, n) without modulo bias (n > 0). */
uint32_t ppu_random_below(uint32_t n);

/* ---- chip access (this processor's chip half) ----------------------------------------- */
static inline uint8_t ppu_weight_get(unsigned row, unsigned col) {
  return PPU_CHIP8(PPU_CHIP_WEIGHTS + row * PPU_CHIP_ROW_STRIDE + col);
}
static inline void ppu_weight_set(unsigned row, unsigned col, uint8_t w) {
  PPU_CHIP8(PPU_CHIP_WEIGHTS + row * PPU_CHIP_ROW_STRIDE + col) = w;
}
/* Whole rows (ncols columns from column 0; word accesses where possible). */
void ppu_weights_get_row(unsigned row, uint8_t* weights, unsigned ncols);
void ppu_weights_set_row(unsigned row, const uint8_t* weights, unsigned ncols);
void ppu_labels_get_row(unsigned row, uint8_t* labels, unsigned ncols);
void ppu_labels_set_row(unsigned row, const uint8_t* labels, unsigned ncols);
/* Row sign: 0 excitatory, 1 inhibitory. */
void ppu_row_set_sign(unsigned row, int inhibitory);
int ppu_row_sign(unsigned row);

/* Correlation sensors through the column ADC. */
void ppu_sensors_convert_row(unsigned row); /* start a conversion of both channels */
void ppu_cadc_convert_membranes(void);      /* start a membrane-voltage conversion */
int ppu_cadc_busy(void);
/* Converts `row` and reads ncols causal and acausal results (reading stalls until done). */
void ppu_sensors_read_row(unsigned row, uint8_t* causal, uint8_t* acausal, unsigned ncols);
/* Results of the last conversion without starting a new one. */
void ppu_cadc_results(uint8_t* causal, uint8_t* acausal, unsigned ncols);
void ppu_sensors_reset_row(unsigned row);
void ppu_sensors_reset_all(void);

/* Analog parameter memory: cells 0..7 voltages, 8..23 currents; codes 0..1022. */
void ppu_neuron_param_write(unsigned neuron, unsigned cell, uint16_t code);
uint16_t ppu_neuron_param_read(unsigned neuron, unsigned cell);

/* Rate counters (8-bit, saturating). */
static inline uint8_t ppu_rate_counter_read(unsigned neuron) {
  return PPU_CHIP8(PPU_CHIP_RATE_COUNTERS + neuron);
}
static inline void ppu_rate_counter_reset(unsigned neuron) {
  PPU_CHIP8(PPU_CHIP_RATE_COUNTERS + neuron) = 0;
}
static inline void ppu_rate_counters_reset_all(void) { PPU_CHIP32(PPU_CHIP_RATE_RESET_ALL) = 1u; }
void ppu_rate_counters_read(uint8_t* counts, unsigned nneurons);

#ifdef __cplusplus
}
#endif

#endif
