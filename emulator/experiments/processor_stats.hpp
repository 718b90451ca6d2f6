// How a plasticity program's run shows up in the results: the processor's own counters into
// RunContext::stats and `ppu_busy_fraction`, how it ended, and the 64-bit busy-cycle sums the
// firmware keeps as two 32-bit words. Shared by the SAL and the sampling executors.
#pragma once

#include <cstdint>
#include <string>

#include <fmt/format.h>

#include "emulator/experiments/run_context.hpp"
#include "hw/common/error.hpp"
#include "hw/ppu/plasticity_processor.hpp"

namespace salvo::experiments {

inline void record_processor_stats(RunContext& ctx, const ppu::PlasticityProcessor& ppu) {
  const auto st = ppu.stats();
  ctx.stats.ppu_instructions = st.instructions;
  ctx.stats.ppu_cycles = st.cycles;
  ctx.stats.ppu_busy_fraction = st.busy_fraction();
  ctx.metrics["ppu_busy_fraction"] = st.busy_fraction();
}

// Throws RunFailure if a started program has ended other than by exit(0): a trap, the
// watchdog, or a non-zero exit code (with its console output).
inline void check_program_end(const ppu::PlasticityProcessor& ppu, const std::string& elf,
                              bool started) {
  if (!started || !ppu.ended()) return;
  if (ppu.end_reason() == ppu::ProgramEnd::kExited && ppu.exit_code() == 0) return;
  if (ppu.end_reason() == ppu::ProgramEnd::kExited)
    throw RunFailure(fmt::format("firmware {} exited with code {}: {}", elf, ppu.exit_code(),
                                 ppu.console_output()));
  throw RunFailure(
      fmt::format("firmware {} stopped: {} {}", elf, ppu.end_message(), ppu.trap_report()));
}

inline double firmware_cycles(std::uint32_t lo, std::uint32_t hi) {
  return static_cast<double>((static_cast<std::uint64_t>(hi) << 32) | lo);
}

}  // namespace salvo::experiments
