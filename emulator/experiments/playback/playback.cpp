#include "emulator/experiments/playback/playback.hpp"

#include <cmath>

#include <fmt/format.h>

#include "emulator/experiments/wiring.hpp"
#include "emulator/session/session.hpp"

namespace salvo::experiments {

using namespace config;

const Fields<PlaybackParams>& Playback::fields() {
  using P = PlaybackParams;
  static const Fields<P> f = {
      duration_field<P>(),
      list_of("inputs", &P::inputs, 0, input_fields(), "a host-link playback source", "[]",
              "host-link playback sources (none: the chip runs on its background sources)"),
      list_of("connections", &P::connections, 0, connection_fields(), "a block of synapses", "[]",
              "synapse blocks (weights, labels, row signs)"),
      block("record", &P::record, record_fields(), "what the host records"),
  };
  return f;
}

void Playback::check(const Params& p, const Checker& check) {
  check_network(p.inputs, p.connections, p.record, check);
}

void Playback::run(RunContext& ctx) {
  session::Session s(ctx);
  AnalogCore& core = s.core();
  default_routing(core);
  apply_connections(core, p_.connections, ctx.seed);
  core.add_playback(
      make_inputs(core, p_.inputs, ctx.config.experiment_file, ctx.seed, p_.duration_us));
  core.set_record_spikes(p_.record.spikes);
  core.select_madc(p_.record.membrane_neuron);
  s.plan(p_.duration_us);
  s.advance_to(p_.duration_us);
  s.finish();

  // Spikes per neuron over the whole chip.
  std::vector<double> count(core.neurons_total(), 0.0);
  for (const auto& sp : core.spikes()) count[sp.neuron] += 1;
  double mean = 0, var = 0;
  for (double c : count) mean += c;
  mean /= count.size();
  for (double c : count) var += (c - mean) * (c - mean);
  const double stdev = count.size() > 1 ? std::sqrt(var / (count.size() - 1)) : 0.0;
  const double rate_hz = mean / (p_.duration_us * 1e-6);
  ctx.metrics["spikes_per_neuron_mean"] = mean;
  ctx.metrics["spikes_per_neuron_std"] = stdev;
  ctx.metrics["rate_mean_hz"] = rate_hz;
  ctx.metrics["bus_events"] = core.bus_offered();
  ctx.metrics["bus_drops"] = core.bus_dropped();
  ctx.metrics["input_events"] = static_cast<double>(ctx.stats.bus_events);
  ctx.summary_lines.push_back(
      fmt::format("{} spikes, {:.2f} ± {:.2f} per neuron ({:.0f} Hz hardware mean rate)",
                  core.spike_count(), mean, stdev, rate_hz));
  ctx.summary_lines.push_back(
      fmt::format("bus: {} events offered, {} dropped", core.bus_offered(), core.bus_dropped()));
}

}  // namespace salvo::experiments
