#include "emulator/experiments/chip_setup.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <boost/random/exponential_distribution.hpp>

#include "emulator/output/run_output.hpp"
#include "hw/common/error.hpp"
#include "hw/common/rng.hpp"

namespace salvo::experiments {

void default_routing(AnalogCore& core) {
  core.select_drivers_by_index();
  auto& xbar = core.crossbar();
  xbar.disable_all();
  const int buses = xbar.buses();
  const bool pow2 = (buses & (buses - 1)) == 0;
  for (int i = 0; i < xbar.inputs(); ++i) {
    for (int b = 0; b < buses; ++b) {
      if (pow2)
        xbar.set_node(i, b, true, (buses - 1) << 6, b << 6);
      else
        xbar.set_node(i, b, b == i % buses, 0, 0);
    }
  }
}

int row_address(const AnalogCore& core, int row, int configured) {
  return configured >= 0 ? configured : row % core.config().drivers.rows_per_driver;
}

namespace {

void check_block(const AnalogCore& core, const YAML::Node& c, const std::string& key,
                 const std::string& file, bool with_columns) {
  const int half = c["half"].as<int>();
  if (half >= core.halves())
    throw UserError(fmt::format("{}: {}.half: {} does not exist on this chip (allowed: 0..{})",
                                file, key, half, core.halves() - 1));
  const int rows = core.config().synapses.rows_per_half;
  const int first = c["first_row"].as<int>(), n = c["rows"].as<int>();
  if (first + n > rows)
    throw UserError(fmt::format("{}: {}: rows {}..{} out of range (allowed: 0..{} on chip '{}')",
                                file, key, first, first + n - 1, rows - 1, core.config().name));
  if (with_columns) {
    const int cols = core.neurons_per_half();
    const int fc = c["first_column"].as<int>(), nc = c["columns"].as<int>();
    if (fc + nc > cols)
      throw UserError(
          fmt::format("{}: {}: columns {}..{} out of range (allowed: 0..{} on chip '{}')", file,
                      key, fc, fc + nc - 1, cols - 1, core.config().name));
  }
}

}  // namespace

void apply_connections(AnalogCore& core, const YAML::Node& connections, const std::string& file,
                       std::uint64_t seed) {
  Engine eng = make_engine(seed, Stream::kExperiment, 1);
  for (std::size_t k = 0; k < connections.size(); ++k) {
    const YAML::Node c = connections[k];
    const std::string key = fmt::format("experiment.connections.{}", k);
    check_block(core, c, key, file, true);
    const int half = c["half"].as<int>();
    auto& syn = core.synapses(half);
    const int w = c["weight"].as<int>(), wmax = c["weight_max"].as<int>();
    for (int v : {w, wmax})
      if (v > syn.weight_max())
        throw UserError(
            fmt::format("{}: {}.weight: {} does not fit {}-bit weights (allowed: 0..{})", file, key,
                        v, core.config().synapses.weight_bits, syn.weight_max()));
    if (wmax >= 0 && wmax < w)
      throw UserError(
          fmt::format("{}: {}.weight_max: {} is below weight {} (allowed: >= weight, or -1)", file,
                      key, wmax, w));
    const double prob = c["probability"].as<double>();
    const bool inh = c["sign"].as<std::string>() == "inhibitory";
    const int r0 = c["first_row"].as<int>(), c0 = c["first_column"].as<int>();
    for (int r = r0; r < r0 + c["rows"].as<int>(); ++r) {
      syn.set_row_sign(
          r, inh ? SynapseArray::RowSign::kInhibitory : SynapseArray::RowSign::kExcitatory);
      const int address = row_address(core, r, c["address"].as<int>());
      for (int col = c0; col < c0 + c["columns"].as<int>(); ++col) {
        if (prob < 1.0 && draw_uniform01(eng) >= prob) continue;
        int weight = w;
        if (wmax >= 0) weight = w + static_cast<int>(draw_uniform01(eng) * (wmax - w + 1));
        syn.set_weight(r, col, std::min(weight, std::max(w, wmax)));
        syn.set_label(r, col, address);
      }
    }
  }
}

std::vector<Event> make_inputs(const AnalogCore& core, const YAML::Node& inputs,
                               const std::string& file, std::uint64_t seed, double duration_us) {
  std::vector<Event> events;
  const int rpd = core.config().drivers.rows_per_driver;
  for (std::size_t k = 0; k < inputs.size(); ++k) {
    const YAML::Node in = inputs[k];
    const std::string key = fmt::format("experiment.inputs.{}", k);
    const std::string type = in["type"].as<std::string>();
    const int half = in["half"].as<int>();
    if (type == "file") {
      const std::string name = in["file"].as<std::string>();
      if (name.empty())
        throw UserError(fmt::format(
            "{}: {}.file: missing (allowed: a CSV path with header time_us,row)", file, key));
      std::filesystem::path path(name);
      if (path.is_relative()) path = std::filesystem::path(file).parent_path() / path;
      std::ifstream f(path);
      if (!f)
        throw UserError(fmt::format("{}: {}.file: cannot read '{}'", file, key, path.string()));
      std::string line;
      std::getline(f, line);
      if (line.rfind("time_us,row", 0) != 0)
        throw UserError(
            fmt::format("{}:1: header must be 'time_us,row' ({} in {})", path.string(), key, file));
      int lineno = 1;
      const int rows = core.config().synapses.rows_per_half;
      while (std::getline(f, line)) {
        ++lineno;
        if (line.empty()) continue;
        std::stringstream ss(line);
        double t;
        char comma;
        int row;
        if (!(ss >> t >> comma >> row) || comma != ',' || t < 0)
          throw UserError(
              fmt::format("{}:{}: expected 'time_us,row' with time >= 0", path.string(), lineno));
        if (row < 0 || row >= rows)
          throw UserError(fmt::format("{}:{}: row {} out of range (allowed: 0..{})", path.string(),
                                      lineno, row, rows - 1));
        if (t < duration_us)
          events.push_back(
              {t, AnalogCore::row_label(half, row, rpd,
                                        row_address(core, row, in["address"].as<int>()))});
      }
      continue;
    }
    check_block(core, in, key, file, false);
    const double rate_hz = in["rate_hz"].as<double>();
    const double start = in["start_us"].as<double>();
    if (rate_hz <= 0) continue;
    const double mean_isi_us = 1e6 / rate_hz;
    for (int r = in["first_row"].as<int>(); r < in["first_row"].as<int>() + in["rows"].as<int>();
         ++r) {
      const std::uint16_t label =
          AnalogCore::row_label(half, r, rpd, row_address(core, r, in["address"].as<int>()));
      Engine eng = make_engine(seed, Stream::kHostInput,
                               (k << 20) | static_cast<std::uint64_t>(half * 1024 + r));
      if (type == "regular") {
        // Rows are staggered evenly over one period so a block of rows does not fire in lockstep.
        const double phase = mean_isi_us * (r - in["first_row"].as<int>()) / in["rows"].as<int>();
        for (double t = start + phase; t < duration_us; t += mean_isi_us)
          events.push_back({t, label});
      } else {
        boost::random::exponential_distribution<double> isi(1.0 / mean_isi_us);
        for (double t = start + isi(eng); t < duration_us; t += isi(eng))
          events.push_back({t, label});
      }
    }
  }
  std::stable_sort(events.begin(), events.end(),
                   [](const Event& a, const Event& b) { return a.t_us < b.t_us; });
  return events;
}

void run_kernel(RunContext& ctx, Chip& chip, double until_us) {
  const double start_us = sc_core::sc_time_stamp().to_seconds() * 1e6;
  const double total = until_us - start_us;
  const int chunks = 100;
  for (int i = 1; i <= chunks; ++i) {
    const double target = start_us + total * i / chunks;
    const double now = sc_core::sc_time_stamp().to_seconds() * 1e6;
    if (target > now) sc_core::sc_start(sc_core::sc_time(target - now, sc_core::SC_US));
    chip.core().advance_to(target);
    ctx.progress.update(target);
  }
  ctx.stats.emulated_time_us = chip.core().now_us();
}

void write_recordings(RunContext& ctx, AnalogCore& core) {
  {
    output::CsvWriter f(ctx.out / "spikes.csv", {"time_us", "neuron"});
    for (const auto& s : core.spikes()) f.row(s.t_us, s.neuron);
    f.close();
  }
  if (!core.madc_samples().empty()) {
    output::CsvWriter f(ctx.out / "membrane.csv", {"time_us", "code", "v_mV"});
    for (const auto& s : core.madc_samples()) f.row(s.t_us, s.code, s.v_mV);
    f.close();
  }
  output::CsvWriter f(ctx.out / "rate_counters.csv", {"neuron", "count"});
  for (int n = 0; n < core.neurons_total(); ++n) f.row(n, core.rate_counter(n));
  f.close();
}

void collect_stats(RunContext& ctx, AnalogCore& core) {
  ctx.stats.emulated_time_us = core.now_us();
  ctx.stats.spikes = core.spike_count();
  ctx.stats.bus_events = core.bus_offered();
  ctx.stats.bus_dropped = core.bus_dropped();
}

}  // namespace salvo::experiments
