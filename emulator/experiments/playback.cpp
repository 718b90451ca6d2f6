#include "emulator/experiments/playback.hpp"

#include <cmath>

#include <fmt/format.h>

#include "emulator/experiments/chip_setup.hpp"
#include "emulator/experiments/network_schema.hpp"
#include "emulator/experiments/run_context.hpp"
#include "hw/common/error.hpp"

namespace salvo::experiments {

using namespace config;

namespace {

class Playback : public Experiment {
 public:
  void run(RunContext& ctx) override {
    const double duration = ctx.exp["duration_us"].as<double>();
    Chip chip("chip", ctx.chip, ctx.seed);
    AnalogCore& core = chip.core();
    default_routing(core);
    apply_connections(core, ctx.exp["connections"], ctx.config.experiment_file, ctx.seed);
    core.add_playback(
        make_inputs(core, ctx.exp["inputs"], ctx.config.experiment_file, ctx.seed, duration));
    core.set_record_spikes(ctx.exp["record"]["spikes"].as<bool>());
    core.select_madc(ctx.exp["record"]["membrane_neuron"].as<int>());
    run_kernel(ctx, chip, duration);
    write_recordings(ctx, core);
    collect_stats(ctx, core);

    // Spikes per neuron over the whole chip.
    std::vector<double> count(core.neurons_total(), 0.0);
    for (const auto& s : core.spikes()) count[s.neuron] += 1;
    double mean = 0, var = 0;
    for (double c : count) mean += c;
    mean /= count.size();
    for (double c : count) var += (c - mean) * (c - mean);
    const double stdev = count.size() > 1 ? std::sqrt(var / (count.size() - 1)) : 0.0;
    ctx.metrics["spikes_per_neuron_mean"] = mean;
    ctx.metrics["spikes_per_neuron_std"] = stdev;
    ctx.metrics["rate_mean_hz"] = mean / (duration * 1e-6);
    ctx.metrics["bus_events"] = core.bus_offered();
    ctx.metrics["bus_drops"] = core.bus_dropped();
    ctx.metrics["input_events"] = static_cast<double>(ctx.stats.bus_events);
    ctx.summary_lines.push_back(
        fmt::format("{} spikes, {:.2f} ± {:.2f} per neuron ({:.0f} Hz hardware mean rate)",
                    core.spike_count(), mean, stdev, mean / (duration * 1e-6)));
    ctx.summary_lines.push_back(
        fmt::format("bus: {} events offered, {} dropped", core.bus_offered(), core.bus_dropped()));
  }
};

}  // namespace

ExperimentInfo playback_info() {
  auto keys = common_keys("playback", 1000.0);
  keys.push_back({"inputs", List(input_schema(), "[]", "host-link playback sources")});
  keys.push_back({"connections",
                  List(connection_schema(), "[]", "synapse blocks (weights, labels, row signs)")});
  keys.push_back({"record", record_schema()});
  ExperimentInfo info;
  info.name = "playback";
  info.summary =
      "a network from the config driven by host input spikes; records spikes, a membrane trace, "
      "rate counters";
  info.schema = Map(keys);
  info.make = [] { return std::make_unique<Playback>(); };
  return info;
}

}  // namespace salvo::experiments
