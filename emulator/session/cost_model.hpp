// The cost model of a chip variant (docs/codesign.md): area and static power from the variant
// alone, energy of a run from its activity counters, all with the coefficients of the chip
// config's `cost:` block. Blocks: neurons, synapses, sensors, cadc, parameter_memory,
// processor, vector, sram.
#pragma once

#include <cstdint>

#include <nlohmann/json.hpp>

#include "hw/common/chip_config.hpp"

namespace salvo::session {

// What a run did, summed over the chip (every half, every processor).
struct ActivityCounters {
  double time_us = 0;                  // emulated time: static power integrates over it
  std::uint64_t spikes = 0;            // neuron spikes
  std::uint64_t synaptic_events = 0;   // synapses reached by row events
  std::uint64_t cadc_conversions = 0;  // row conversions (each: every channel of a half)
  std::uint64_t parameter_writes = 0;  // parameter-memory cell writes
  std::uint64_t instructions = 0;      // processor instructions retired, vector ones included
  std::uint64_t vector_instructions = 0;
  std::uint64_t vector_lane_ops = 0;
};

// CADC channels of one half (cadc.channels_per_column per column).
int cadc_channels_per_half(const ChipConfig& chip);

// {"neurons": mm², …, "total": mm²}
nlohmann::json area_mm2(const ChipConfig& chip);
// {"neurons": mW, …, "total": mW}
nlohmann::json static_power_mW(const ChipConfig& chip);
// {"activity": {...counters}, "energy_uJ": {"neurons": …, "total": …}, "power_mW": average,
//  "static_power_mW": total, "area_mm2": {...}}: dynamic energy per event plus static power
// over the emulated time, per block.
nlohmann::json run_cost(const ChipConfig& chip, const ActivityCounters& a);

}  // namespace salvo::session
