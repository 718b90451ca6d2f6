/* Local peripherals of the plasticity processor (docs/memory-map.md). Mirrors
 * hw/ppu/processor_peripherals.hpp; offsets from PPU_PERIPH_BASE. */
#ifndef PPU_REGS_H
#define PPU_REGS_H

#include <stdint.h>

#define PPU_SRAM_BASE 0x80000000u
#define PPU_PERIPH_BASE 0x10000000u
#define PPU_CHIP_BASE 0x40000000u

#define PPU_CONSOLE_TX 0x000u     /* W: one character to the emulator log */
#define PPU_CONSOLE_STATUS 0x004u /* R: bit 0 ready (always 1) */
#define PPU_MTIME_LO 0x100u       /* RW: timer, counts processor clock cycles */
#define PPU_MTIME_HI 0x104u
#define PPU_MTIMECMP_LO 0x108u /* RW: machine timer interrupt when mtime >= mtimecmp */
#define PPU_MTIMECMP_HI 0x10Cu
#define PPU_MSIP 0x110u          /* RW: bit 0 = machine software interrupt pending */
#define PPU_TIMER_FREQ_HZ 0x114u /* R: mtime ticks per second */
#define PPU_RNG_VALUE 0x200u     /* R: 32 fresh random bits per read */
#define PPU_CYCLE_LO 0x300u      /* R: clock cycles since the program started (busy + asleep) */
#define PPU_CYCLE_HI 0x304u
#define PPU_SLEEP_CYCLE_LO 0x308u /* R: cycles spent asleep in WFI */
#define PPU_SLEEP_CYCLE_HI 0x30Cu
#define PPU_MBOX_STATUS 0x400u   /* R: bit 0 host message pending, bit 1 our message unread */
#define PPU_MBOX_DOORBELL 0x404u /* W: notify the host */
#define PPU_MBOX_ACK 0x408u      /* W: acknowledge the host message (clears the interrupt) */
#define PPU_MBOX_TO_PPU 0x480u   /* R: + 4*i, i < PPU_MAILBOX_WORDS, written by the host */
#define PPU_MBOX_FROM_PPU 0x4C0u /* RW: + 4*i, read by the host */
#define PPU_ID 0x500u            /* R: processor index (= mhartid) */
#define PPU_MEMORY_SIZE 0x504u   /* R: local SRAM in bytes */
#define PPU_CLOCK_HZ 0x508u      /* R: processor clock */
#define PPU_MAILBOX_WORDS 16u

#define PPU_REG32(off) (*(volatile uint32_t*)(uintptr_t)(PPU_PERIPH_BASE + (off)))

#endif
