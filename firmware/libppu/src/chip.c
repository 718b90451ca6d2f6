/* Chip access through the chip window (ppu/chip_regs.h). Rows move as aligned words where
 * both sides allow it: one bus transaction per four columns. */
#include "ppu/ppu.h"

static void copy_in(uint32_t base, uint8_t* dst, unsigned n) {
  unsigned i = 0;
  if (((uintptr_t)dst & 3u) == 0)
    for (; i + 4 <= n; i += 4) *(uint32_t*)(dst + i) = PPU_CHIP32(base + i);
  for (; i < n; ++i) dst[i] = PPU_CHIP8(base + i);
}

static void copy_out(uint32_t base, const uint8_t* src, unsigned n) {
  unsigned i = 0;
  if (((uintptr_t)src & 3u) == 0)
    for (; i + 4 <= n; i += 4) PPU_CHIP32(base + i) = *(const uint32_t*)(src + i);
  for (; i < n; ++i) PPU_CHIP8(base + i) = src[i];
}

void ppu_weights_get_row(unsigned row, uint8_t* w, unsigned n) {
  copy_in(PPU_CHIP_WEIGHTS + row * PPU_CHIP_ROW_STRIDE, w, n);
}
void ppu_weights_set_row(unsigned row, const uint8_t* w, unsigned n) {
  copy_out(PPU_CHIP_WEIGHTS + row * PPU_CHIP_ROW_STRIDE, w, n);
}
void ppu_labels_get_row(unsigned row, uint8_t* l, unsigned n) {
  copy_in(PPU_CHIP_LABELS + row * PPU_CHIP_ROW_STRIDE, l, n);
}
void ppu_labels_set_row(unsigned row, const uint8_t* l, unsigned n) {
  copy_out(PPU_CHIP_LABELS + row * PPU_CHIP_ROW_STRIDE, l, n);
}

void ppu_row_set_sign(unsigned row, int inhibitory) {
  PPU_CHIP32(PPU_CHIP_ROW_CONFIG + 4u * row) = inhibitory ? 1u : 0u;
}
int ppu_row_sign(unsigned row) { return (int)(PPU_CHIP32(PPU_CHIP_ROW_CONFIG + 4u * row) & 1u); }

void ppu_sensors_convert_row(unsigned row) { PPU_CHIP32(PPU_CHIP_CADC_CTRL) = row & 0xFFFFu; }
void ppu_cadc_convert_membranes(void) {
  PPU_CHIP32(PPU_CHIP_CADC_CTRL) = PPU_CHIP_CADC_MEMBRANE_MODE;
}
int ppu_cadc_busy(void) { return (int)(PPU_CHIP32(PPU_CHIP_CADC_STATUS) & 1u); }

void ppu_cadc_results(uint8_t* causal, uint8_t* acausal, unsigned n) {
  if (causal) copy_in(PPU_CHIP_CADC_CAUSAL, causal, n);
  if (acausal) copy_in(PPU_CHIP_CADC_ACAUSAL, acausal, n);
}

void ppu_sensors_read_row(unsigned row, uint8_t* causal, uint8_t* acausal, unsigned n) {
  ppu_sensors_convert_row(row);
  ppu_cadc_results(causal, acausal, n); /* the first read stalls until the conversion is done */
}

void ppu_sensors_reset_row(unsigned row) { PPU_CHIP32(PPU_CHIP_SENSOR_RESET) = row & 0xFFFFu; }
void ppu_sensors_reset_all(void) { PPU_CHIP32(PPU_CHIP_SENSOR_RESET) = PPU_CHIP_SENSOR_RESET_ALL; }

void ppu_neuron_param_write(unsigned neuron, unsigned cell, uint16_t code) {
  PPU_CHIP16(PPU_CHIP_PARAMETERS + neuron * PPU_CHIP_NEURON_PARAM_STRIDE + 2u * cell) = code;
}
uint16_t ppu_neuron_param_read(unsigned neuron, unsigned cell) {
  return PPU_CHIP16(PPU_CHIP_PARAMETERS + neuron * PPU_CHIP_NEURON_PARAM_STRIDE + 2u * cell);
}

void ppu_rate_counters_read(uint8_t* counts, unsigned n) {
  copy_in(PPU_CHIP_RATE_COUNTERS, counts, n);
}
