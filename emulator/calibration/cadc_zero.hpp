// CADC zero: what one column's causal and acausal channels read for freshly reset sensors —
// each channel's offset, which the host subtracts from later readings. Averaged over many
// conversions and kept in Q8 (1/256 LSB), as the firmware keeps it (firmware/libppu), so host
// and processor executors subtract the same numbers.
#pragma once

#include <cstdint>
#include <vector>

#include "hw/chip/analog_core.hpp"

namespace salvo::calibration {

struct CadcZero {
  std::vector<std::uint16_t> causal_q8, acausal_q8;  // per column of the half
  double causal_lsb(int column) const { return causal_q8[column] / 256.0; }
  double acausal_lsb(int column) const { return acausal_q8[column] / 256.0; }
};

// Resets every sensor of `half` at t_us and averages `reads` conversions of `row` (any row:
// the offsets are per column). σ of the zero = readout noise / √reads.
CadcZero cadc_zero(AnalogCore& core, int half, int row, double t_us, int reads = 1024);

}  // namespace salvo::calibration
