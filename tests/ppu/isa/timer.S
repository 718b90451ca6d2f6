# The machine timer (mtime/mtimecmp in the peripheral block) and software interrupt:
# direct and vectored mtvec, WFI with and without mstatus.MIE, interrupt priority.
#include "test_env.h"

#define PERIPH 0x10000000
#define MTIME_LO 0x100
#define MTIME_HI 0x104
#define MTIMECMP_LO 0x108
#define MTIMECMP_HI 0x10C
#define MSIP 0x110

/* mtimecmp = mtime + delta (high word parked at all-ones meanwhile). */
#define ARM_TIMER(delta)                                               \
  li t0, PERIPH;                                                       \
  li t1, -1;                                                           \
  sw t1, MTIMECMP_HI(t0);                                              \
  lw t1, MTIME_LO(t0);                                                 \
  addi t1, t1, delta;                                                  \
  sw t1, MTIMECMP_LO(t0);                                              \
  lw t1, MTIME_HI(t0);                                                 \
  sw t1, MTIMECMP_HI(t0);

#define DISARM_TIMER                                                   \
  li t0, PERIPH;                                                       \
  li t1, -1;                                                           \
  sw t1, MTIMECMP_HI(t0);                                              \
  sw t1, MTIMECMP_LO(t0);

CODE_BEGIN
  # The time CSR and the memory-mapped mtime are the same counter.
  li TESTNUM, 1
  li t0, PERIPH
  csrr a0, time
  lw a1, MTIME_LO(t0)
  sub a1, a1, a0
  bltz a1, fail
  li x4, 100
  bgeu a1, x4, fail

  # mtime advances with the processor clock.
  li TESTNUM, 2
  lw a0, MTIME_LO(t0)
  nop
  nop
  lw a1, MTIME_LO(t0)
  bgeu a0, a1, fail

  # Timer interrupt, direct mode: the handler runs with mcause = 0x80000007.
  li TESTNUM, 3
  li s10, 0
  li s11, 0
  ARM_TIMER(300)
  li t0, 0x80
  csrs mie, t0
  csrsi mstatus, 8
  li a0, 0
1: addi a0, a0, 1
  beqz s10, 1b
  csrci mstatus, 8
  li x4, 0x80000007
  bne s10, x4, fail
  la x4, 1b
  bltu s11, x4, fail     # mepc is inside the spin loop
  addi x4, x4, 8
  bgeu s11, x4, fail
  beqz a0, fail

  # Vectored mode: the timer interrupt enters at BASE + 4 * 7.
  li TESTNUM, 4
  la t0, vectors
  ori t0, t0, 1
  csrw mtvec, t0
  li s10, 0
  li s9, 0
  ARM_TIMER(200)
  csrsi mstatus, 8
1: beqz s10, 1b
  csrci mstatus, 8
  li x4, 0x80000007
  bne s10, x4, fail
  li x4, 7
  bne s9, x4, fail       # entered through slot 7
  la t0, trap_vector
  csrw mtvec, t0

  # WFI with MIE = 0 but MTIE = 1: wakes when the timer fires, takes no trap.
  li TESTNUM, 5
  li s10, 0
  ARM_TIMER(1000)
  wfi
  bnez s10, fail
  csrr a0, mip
  andi a0, a0, 0x80
  beqz a0, fail          # MTIP pending
  li t0, PERIPH
  lw a1, MTIME_LO(t0)
  lw a2, MTIMECMP_LO(t0)
  bltu a1, a2, fail      # time really passed
  DISARM_TIMER
  csrr a0, mip
  bnez a0, fail          # writing mtimecmp cleared MTIP

  # WFI with MIE = 1: the interrupt is taken with mepc = the instruction after WFI.
  li TESTNUM, 6
  li s10, 0
  ARM_TIMER(500)
  csrsi mstatus, 8
  wfi
after_wfi:
  csrci mstatus, 8
  li x4, 0x80000007
  bne s10, x4, fail
  la x4, after_wfi
  bne s11, x4, fail

  # Software interrupt through MSIP.
  li TESTNUM, 7
  li s10, 0
  li t0, 0x8
  csrs mie, t0
  csrsi mstatus, 8
  li t0, PERIPH
  li t1, 1
  sw t1, MSIP(t0)
  nop
  nop
  csrci mstatus, 8
  li x4, 0x80000003
  bne s10, x4, fail

  # Priority: software before timer when both are pending.
  li TESTNUM, 8
  li s10, 0
  li s5, 0
  li t0, PERIPH
  sw zero, MTIMECMP_HI(t0)
  sw zero, MTIMECMP_LO(t0)    # timer pending now
  li t1, 1
  sw t1, MSIP(t0)             # software pending too
  csrsi mstatus, 8
  nop
  nop
  csrci mstatus, 8
  li x4, 0x80000003
  bne s5, x4, fail            # first interrupt taken
  li x4, 0x80000007
  bne s10, x4, fail           # last interrupt taken

  csrw mie, zero
  PASS_FAIL

  .align 2
mtvec_handler:
  csrr s10, mcause
  csrr s11, mepc
  bnez s5, 1f
  mv s5, s10                  # remember the first cause
1:
  li t0, 0x80000007
  beq s10, t0, timer_irq
  li t0, 0x80000003
  beq s10, t0, soft_irq
  j fail
timer_irq:
  DISARM_TIMER
  mret
soft_irq:
  li t0, PERIPH
  sw zero, MSIP(t0)
  mret

  .align 6
  .option push
  .option norvc
vectors:
  j fail                      # 0: exceptions
  j fail
  j fail
  j fail                      # 3: software
  j fail
  j fail
  j fail
  j vector7                   # 7: timer
  j fail
vector7:
  li s9, 7
  j mtvec_handler
  .option pop

DATA_BEGIN
