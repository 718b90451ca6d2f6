// How a plasticity program's run shows up in the results: the processor's own counters into
// RunContext::stats and `ppu_busy_fraction`, and the 64-bit busy-cycle sums the firmware keeps
// as two 32-bit words. Shared by the SAL and the sampling executors.
#pragma once

#include <cstdint>

#include "emulator/experiments/run_context.hpp"
#include "hw/ppu/plasticity_processor.hpp"

namespace salvo::experiments {

inline void record_processor_stats(RunContext& ctx, const ppu::PlasticityProcessor& ppu) {
  const auto st = ppu.stats();
  ctx.stats.ppu_instructions = st.instructions;
  ctx.stats.ppu_cycles = st.cycles;
  ctx.stats.ppu_busy_fraction = st.busy_fraction();
  ctx.metrics["ppu_busy_fraction"] = st.busy_fraction();
}

inline double firmware_cycles(std::uint32_t lo, std::uint32_t hi) {
  return static_cast<double>((static_cast<std::uint64_t>(hi) << 32) | lo);
}

}  // namespace salvo::experiments
