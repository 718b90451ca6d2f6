// Host-side helpers shared by experiments: map the config's network description (inputs,
// connections, recording) onto a chip, run the SystemC kernel with a progress line, and
// write the standard recordings (spikes.csv, membrane.csv, rate_counters.csv).
#pragma once

#include <vector>

#include <yaml-cpp/yaml.h>

#include "emulator/experiments/run_context.hpp"
#include "hw/chip/chip.hpp"

namespace salvo::experiments {

// Every driver answers its own row label; crossbar inputs reach the bus numbered after the
// target driver (label bits [7:6]) so traffic spreads over all buses.
void default_routing(AnalogCore& core);

// Applies `connections` (weights, labels, row signs); validates rows/columns/weights against
// the chip and throws UserError naming the experiment key.
void apply_connections(AnalogCore& core, const YAML::Node& connections, const std::string& file,
                       std::uint64_t seed);

// Host-link playback events for `inputs` up to duration_us (validated like connections).
std::vector<Event> make_inputs(const AnalogCore& core, const YAML::Node& inputs,
                               const std::string& file, std::uint64_t seed, double duration_us);

// Runs the kernel to `until_us` in chunks, updating ctx.progress, and levels the core.
void run_kernel(RunContext& ctx, Chip& chip, double until_us);

// spikes.csv (time_us,neuron), membrane.csv (time_us,code,v_mV), rate_counters.csv.
void write_recordings(RunContext& ctx, AnalogCore& core);

// Fills ctx.stats from the core.
void collect_stats(RunContext& ctx, AnalogCore& core);

// Address label of row `row` when the config says -1 (each row of a driver its own).
int row_address(const AnalogCore& core, int row, int configured);

}  // namespace salvo::experiments
