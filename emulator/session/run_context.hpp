// What an experiment gets from `salvo run`: the resolved configs, the seed, the output
// directory, a progress line, and the places to put its metrics and run statistics.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>
#include <nlohmann/json.hpp>

#include "emulator/config/config.hpp"
#include "emulator/output/run_output.hpp"
#include "emulator/trace/chip_trace.hpp"

namespace salvo::calibration {
struct Calibration;
}

namespace salvo::session {

struct RunStats {
  double emulated_time_us = 0;
  std::uint64_t spikes = 0;
  std::uint64_t bus_events = 0;
  std::uint64_t bus_dropped = 0;
  std::uint64_t ppu_instructions = 0;
  std::uint64_t ppu_cycles = 0;
  double ppu_busy_fraction = 0;
  // Host work (docs/performance.md): time steps, those whose halves ran side by side, and
  // neuron block-steps (8 neurons each) in all, skipped asleep, replayed on demand.
  std::uint64_t steps = 0;
  std::uint64_t parallel_steps = 0;
  int threads = 1;
  std::uint64_t block_steps = 0;
  std::uint64_t block_steps_skipped = 0;
  std::uint64_t block_steps_replayed = 0;
};

class RunContext {
 public:
  RunContext(const config::ResolvedConfig& cfg, output::fs::path out_dir, output::Progress& prog)
      : config(cfg),
        chip(cfg.chip_config),
        exp(cfg.experiment),
        seed(cfg.seed),
        out(std::move(out_dir)),
        progress(prog) {}

  const config::ResolvedConfig& config;
  const ChipConfig& chip;
  const YAML::Node& exp;
  std::uint64_t seed;
  output::fs::path out;
  output::Progress& progress;

  nlohmann::json metrics = nlohmann::json::object();
  nlohmann::json extra = nlohmann::json::object();  // further summary.json sections
  RunStats stats;
  std::vector<std::string> summary_lines;  // the short human summary printed at the end
  // `salvo run --gdb PORT`: the firmware waits at its first instruction for gdb (-1 = off);
  // the experiment that starts a processor sets gdb_used.
  int gdb_port = -1;
  bool gdb_used = false;
  // `salvo run --calibration`: written into the chip when the Session is built, before the
  // experiment configures anything (null: the host's uncalibrated ideal codes).
  std::shared_ptr<const calibration::Calibration> calibration;
  // `salvo run --profile`: every started firmware is profiled; its flat profile per processor
  // (half -> text) is printed at the end, profile.csv (profile_ppu<h>.csv) written to out.
  bool profile = false;
  std::map<int, std::string> profiles;
  // `salvo run --trace FILE ...`: the VCD waveform of the run (path empty = off).
  trace::TraceOptions trace;
};

}  // namespace salvo::session
