/* The chip window: what the plasticity processor reaches of its chip half, at
 * PPU_CHIP_BASE (0x4000_0000) + the offsets below (docs/memory-map.md). Mirrors
 * hw/chip/memory_map.hpp. Arrays allow byte, halfword and aligned word accesses
 * (a word covers 4 consecutive columns, little-endian). */
#ifndef PPU_CHIP_REGS_H
#define PPU_CHIP_REGS_H

#include <stdint.h>

#include "ppu/regs.h"

#define PPU_CHIP_WEIGHTS 0x00000u /* + row*256 + col: weight byte, 6-bit (upper bits read 0) */
#define PPU_CHIP_LABELS 0x10000u  /* + row*256 + col: address label byte, 6-bit */
#define PPU_CHIP_CADC_CTRL \
  0x20000u /* W: bits[15:0] row, bit 16 membrane mode: start a row conversion */
#define PPU_CHIP_CADC_STATUS 0x20004u /* R: bit 0 busy */
#define PPU_CHIP_SENSOR_RESET                                                                     \
  0x20008u                             /* W: row index resets that row's sensors; 0xFFFF all rows \
                                        */
#define PPU_CHIP_CADC_CAUSAL 0x21000u  /* + col: causal result byte of the last conversion */
#define PPU_CHIP_CADC_ACAUSAL 0x21400u /* + col: acausal result byte; reads stall while busy */
#define PPU_CHIP_PARAMETERS                                            \
  0x30000u /* + neuron*64 + cell*2: 16-bit code (10-bit value 0..1022) \
            */
#define PPU_CHIP_RATE_COUNTERS \
  0x40000u /* + neuron: 8-bit saturating count; a byte write resets it */
#define PPU_CHIP_RATE_RESET_ALL 0x41000u  /* W: any value resets all rate counters */
#define PPU_CHIP_ROW_CONFIG 0x50000u      /* + row*4: bit 0 sign (0 excitatory, 1 inhibitory) */
#define PPU_CHIP_INFO_HALF 0x60000u       /* R: this processor's half index */
#define PPU_CHIP_INFO_NEURONS 0x60004u    /* R: neurons (= synapse columns) per half */
#define PPU_CHIP_INFO_ROWS 0x60008u       /* R: synapse rows per half */
#define PPU_CHIP_INFO_WEIGHT_MAX 0x6000Cu /* R: largest weight code */
#define PPU_CHIP_INFO_CADC_MAX 0x60010u   /* R: largest CADC result code */

#define PPU_CHIP_ROW_STRIDE 256u
#define PPU_CHIP_NEURON_PARAM_STRIDE 64u
#define PPU_CHIP_CADC_MEMBRANE_MODE (1u << 16)
#define PPU_CHIP_SENSOR_RESET_ALL 0xFFFFu
#define PPU_CHIP_VOLTAGE_CELLS 8u /* cells 0..7 are voltages, 8..23 currents */
#define PPU_CHIP_CURRENT_CELLS 16u
#define PPU_CHIP_CODE_MAX 1022u

#define PPU_CHIP8(off) (*(volatile uint8_t*)(uintptr_t)(PPU_CHIP_BASE + (off)))
#define PPU_CHIP16(off) (*(volatile uint16_t*)(uintptr_t)(PPU_CHIP_BASE + (off)))
#define PPU_CHIP32(off) (*(volatile uint32_t*)(uintptr_t)(PPU_CHIP_BASE + (off)))

#endif
