/* Cycle counter, timer and the timer-interrupt-driven periodic scheduler. */
#include "ppu/ppu.h"

uint64_t ppu_cycles(void) {
  uint32_t hi, lo;
  do {
    hi = PPU_REG32(PPU_CYCLE_HI);
    lo = PPU_REG32(PPU_CYCLE_LO);
  } while (hi != PPU_REG32(PPU_CYCLE_HI));
  return ((uint64_t)hi << 32) | lo;
}

uint64_t ppu_sleep_cycles(void) {
  uint32_t hi, lo;
  do {
    hi = PPU_REG32(PPU_SLEEP_CYCLE_HI);
    lo = PPU_REG32(PPU_SLEEP_CYCLE_LO);
  } while (hi != PPU_REG32(PPU_SLEEP_CYCLE_HI));
  return ((uint64_t)hi << 32) | lo;
}

uint64_t ppu_mtime(void) {
  uint32_t hi, lo;
  do {
    hi = PPU_REG32(PPU_MTIME_HI);
    lo = PPU_REG32(PPU_MTIME_LO);
  } while (hi != PPU_REG32(PPU_MTIME_HI));
  return ((uint64_t)hi << 32) | lo;
}

uint64_t ppu_time_us(void) { return ppu_mtime() / (ppu_timer_hz() / 1000000u); }

void ppu_timer_set(uint64_t when) {
  /* Raise the high word first so no intermediate value is in the past. */
  PPU_REG32(PPU_MTIMECMP_HI) = 0xFFFFFFFFu;
  PPU_REG32(PPU_MTIMECMP_LO) = (uint32_t)when;
  PPU_REG32(PPU_MTIMECMP_HI) = (uint32_t)(when >> 32);
}

static inline void mie_set(uint32_t bits) {
  __asm__ volatile("csrs mie, %0" ::"r"(bits) : "memory");
}

void ppu_delay_cycles(uint64_t cycles) {
  const uint64_t until = ppu_mtime() + cycles;
  /* WFI wakes on a pending interrupt enabled in mie even with mstatus.MIE = 0; keep the
   * global enable as it was. The scheduler's deadline (if any) is restored afterwards. */
  uint32_t mie_old;
  __asm__ volatile("csrr %0, mie" : "=r"(mie_old));
  uint32_t mstatus_old;
  __asm__ volatile("csrrci %0, mstatus, 8" : "=r"(mstatus_old)::"memory");
  uint64_t cmp_old = ((uint64_t)PPU_REG32(PPU_MTIMECMP_HI) << 32) | PPU_REG32(PPU_MTIMECMP_LO);
  ppu_timer_set(until);
  mie_set(1u << 7);
  while (ppu_mtime() < until) ppu_wfi();
  ppu_timer_set(cmp_old);
  __asm__ volatile("csrw mie, %0" ::"r"(mie_old) : "memory");
  if (mstatus_old & 8u) ppu_irq_enable();
}

void ppu_delay_us(uint32_t us) { ppu_delay_cycles((uint64_t)us * (ppu_timer_hz() / 1000000u)); }

/* ---- interrupts and the scheduler ----------------------------------------------------- */

struct task {
  void (*fn)(void*);
  void* arg;
  uint64_t period; /* mtime ticks */
  uint64_t due;
};

static struct task tasks[PPU_MAX_TASKS];
static volatile uint32_t timer_fired;
static volatile uint32_t scheduler_running;
static void (*timer_handler)(void);
static void (*mailbox_handler)(void);

void ppu_set_timer_handler(void (*handler)(void)) { timer_handler = handler; }
void ppu_set_mailbox_handler(void (*handler)(void)) {
  mailbox_handler = handler;
  if (handler) mie_set(1u << 11);
}

void ppu_timer_interrupt(void) {
  ppu_timer_set(UINT64_MAX); /* clears mip.MTIP */
  timer_fired = 1;
  if (timer_handler) timer_handler();
}

void ppu_mailbox_interrupt(void) {
  if (mailbox_handler) mailbox_handler();
  ppu_mailbox_ack();
}

int ppu_task_every_us(uint32_t period_us, void (*fn)(void*), void* arg) {
  if (period_us == 0 || !fn) return -1;
  const uint64_t period = (uint64_t)period_us * (ppu_timer_hz() / 1000000u);
  for (int i = 0; i < PPU_MAX_TASKS; ++i) {
    if (!tasks[i].fn) {
      tasks[i].arg = arg;
      tasks[i].period = period;
      tasks[i].due = ppu_mtime() + period;
      tasks[i].fn = fn;
      return i;
    }
  }
  return -1;
}

void ppu_task_cancel(int id) {
  if (id >= 0 && id < PPU_MAX_TASKS) tasks[id].fn = 0;
}

void ppu_scheduler_stop(void) { scheduler_running = 0; }

uint32_t ppu_scheduler_run(void) {
  uint32_t overruns = 0;
  scheduler_running = 1;
  mie_set(1u << 7);
  ppu_irq_enable();
  while (scheduler_running) {
    uint64_t now = ppu_mtime();
    uint64_t next = UINT64_MAX;
    for (int i = 0; i < PPU_MAX_TASKS && scheduler_running; ++i) {
      struct task* t = &tasks[i];
      if (!t->fn) continue;
      if (now >= t->due) {
        t->fn(t->arg);
        t->due += t->period;
        now = ppu_mtime();
        while (t->due <= now) { /* keep the phase; count the periods we missed */
          t->due += t->period;
          ++overruns;
        }
      }
      if (t->fn && t->due < next) next = t->due;
    }
    if (!scheduler_running || next == UINT64_MAX) break;
    /* Sleep until the timer interrupt. Interrupts are off between the check and WFI so the
     * interrupt cannot slip in between; WFI still wakes on it and the ISR runs after. */
    timer_fired = 0;
    ppu_timer_set(next);
    ppu_irq_disable();
    while (!timer_fired) {
      ppu_wfi();
      ppu_irq_enable();
      ppu_irq_disable();
    }
    ppu_irq_enable();
  }
  ppu_timer_set(UINT64_MAX);
  return overruns;
}

uint32_t ppu_random_below(uint32_t n) {
  /* Lemire's multiply-shift with rejection. */
  uint64_t m = (uint64_t)ppu_random() * n;
  uint32_t low = (uint32_t)m;
  if (low < n) {
    const uint32_t threshold = (0u - n) % n;
    while (low < threshold) {
      m = (uint64_t)ppu_random() * n;
      low = (uint32_t)m;
    }
  }
  return (uint32_t)(m >> 32);
}
