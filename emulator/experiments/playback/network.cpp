#include "emulator/experiments/playback/network.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <boost/random/exponential_distribution.hpp>

#include "emulator/experiments/wiring.hpp"
#include "hw/common/error.hpp"
#include "hw/common/rng.hpp"

namespace salvo::experiments {

using namespace config;

const Fields<InputSpec>& input_fields() {
  using S = InputSpec;
  static const Fields<S> f = {
      choice("type", &S::type, {"poisson", "regular", "file"}, "spike train kind"),
      field("rate_hz", &S::rate_hz, 0.0, 1.25e8, "rate per row (hardware time)"),
      field("half", &S::half, 0, 1, "chip half whose rows receive the events"),
      field("first_row", &S::first_row, 0, 1023,
            "first synapse row driven (each row gets its own independent train)"),
      field("rows", &S::rows, 1, 1024, "number of consecutive rows driven"),
      field("address", &S::address, -1, 63,
            "6-bit synapse address carried by the events (-1: row % drivers.rows_per_driver, so "
            "every row of a driver has its own)"),
      field("start_us", &S::start_us, 0.0, 1e9, "first possible event time"),
      field("file", &S::file,
            "CSV with header time_us,row (type: file); path relative to the experiment file"),
  };
  return f;
}

const Fields<ConnectionSpec>& connection_fields() {
  using S = ConnectionSpec;
  static const Fields<S> f = {
      field("half", &S::half, 0, 1, "chip half"),
      field("first_row", &S::first_row, 0, 1023, "first synapse row"),
      field("rows", &S::rows, 1, 1024, "number of rows"),
      field("first_column", &S::first_column, 0, 1023, "first neuron column"),
      field("columns", &S::columns, 1, 1024, "number of columns"),
      field("weight", &S::weight, 0, 255,
            "6-bit weight code (checked against synapses.weight_bits)"),
      field("weight_max", &S::weight_max, -1, 255,
            "if >= 0: weights drawn uniformly in [weight, weight_max]"),
      field("probability", &S::probability, 0.0, 1.0, "connection probability per synapse"),
      field("address", &S::address, -1, 63,
            "6-bit synapse address label (-1: row % drivers.rows_per_driver, matching inputs with "
            "address -1)"),
      choice("sign", &S::sign, {"excitatory", "inhibitory"}, "sign of these rows"),
  };
  return f;
}

const Fields<RecordSpec>& record_fields() {
  using S = RecordSpec;
  static const Fields<S> f = {
      field("membrane_neuron", &S::membrane_neuron, -1, 2047,
            "neuron whose membrane the MADC records (-1: none)"),
      field("spikes", &S::spikes, "record spikes to spikes.csv"),
  };
  return f;
}

namespace {

// Rows (and columns) of one block inside the chip.
void check_block(const Checker& check, const std::string& key, int half, int first_row, int rows,
                 const int* first_column, const int* columns) {
  const ChipConfig& chip = check.chip;
  check.require(half < chip.halves, key + ".half",
                fmt::format("{} does not exist on this chip", half),
                fmt::format("0..{}", chip.halves - 1));
  const int n_rows = chip.synapses.rows_per_half;
  check.require(first_row + rows <= n_rows, key + ".rows",
                fmt::format("rows {}..{} out of range", first_row, first_row + rows - 1),
                fmt::format("0..{} on chip '{}'", n_rows - 1, chip.name));
  if (!first_column) return;
  const int cols = chip.neurons.per_half;
  check.require(
      *first_column + *columns <= cols, key + ".columns",
      fmt::format("columns {}..{} out of range", *first_column, *first_column + *columns - 1),
      fmt::format("0..{} on chip '{}'", cols - 1, chip.name));
}

}  // namespace

void check_network(const std::vector<InputSpec>& inputs,
                   const std::vector<ConnectionSpec>& connections, const RecordSpec& record,
                   const Checker& check) {
  const int wmax_chip = (1 << check.chip.synapses.weight_bits) - 1;
  for (std::size_t k = 0; k < connections.size(); ++k) {
    const auto& c = connections[k];
    const std::string key = fmt::format("connections.{}", k);
    check_block(check, key, c.half, c.first_row, c.rows, &c.first_column, &c.columns);
    check.require(
        c.weight <= wmax_chip, key + ".weight",
        fmt::format("{} does not fit {}-bit weights", c.weight, check.chip.synapses.weight_bits),
        fmt::format("0..{}", wmax_chip));
    check.require(c.weight_max <= wmax_chip, key + ".weight_max",
                  fmt::format("{} does not fit {}-bit weights", c.weight_max,
                              check.chip.synapses.weight_bits),
                  fmt::format("0..{}, or -1", wmax_chip));
    check.require(c.weight_max < 0 || c.weight_max >= c.weight, key + ".weight_max",
                  fmt::format("{} is below weight {}", c.weight_max, c.weight), ">= weight, or -1");
  }
  for (std::size_t k = 0; k < inputs.size(); ++k) {
    const auto& in = inputs[k];
    const std::string key = fmt::format("inputs.{}", k);
    if (in.type == "file") {
      check.require(in.half < check.chip.halves, key + ".half",
                    fmt::format("{} does not exist on this chip", in.half),
                    fmt::format("0..{}", check.chip.halves - 1));
      check.require(!in.file.empty(), key + ".file", "missing",
                    "a CSV path with header time_us,row");
    } else {
      check_block(check, key, in.half, in.first_row, in.rows, nullptr, nullptr);
    }
  }
  const int neurons = check.chip.halves * check.chip.neurons.per_half;
  check.require(
      record.membrane_neuron < neurons, "record.membrane_neuron",
      fmt::format("{} does not exist on chip '{}'", record.membrane_neuron, check.chip.name),
      fmt::format("-1..{}", neurons - 1));
}

void apply_connections(AnalogCore& core, const std::vector<ConnectionSpec>& connections,
                       std::uint64_t seed) {
  Engine eng = make_engine(seed, Stream::kExperiment, 1);
  for (const auto& c : connections) {
    auto& syn = core.synapses(c.half);
    const bool inh = c.sign == "inhibitory";
    for (int r = c.first_row; r < c.first_row + c.rows; ++r) {
      syn.set_row_sign(
          r, inh ? SynapseArray::RowSign::kInhibitory : SynapseArray::RowSign::kExcitatory);
      const int address = row_address(core, r, c.address);
      for (int col = c.first_column; col < c.first_column + c.columns; ++col) {
        if (c.probability < 1.0 && draw_uniform01(eng) >= c.probability) continue;
        int weight = c.weight;
        if (c.weight_max >= 0)
          weight = c.weight + static_cast<int>(draw_uniform01(eng) * (c.weight_max - c.weight + 1));
        syn.set_weight(r, col, std::min(weight, std::max(c.weight, c.weight_max)));
        syn.set_label(r, col, address);
      }
    }
  }
}

namespace {

// Events of an input CSV (header time_us,row), up to duration_us.
void read_input_file(const AnalogCore& core, const InputSpec& in, const std::string& key,
                     const std::string& file, double duration_us, std::vector<Event>& events) {
  std::filesystem::path path(in.file);
  if (path.is_relative()) path = std::filesystem::path(file).parent_path() / path;
  std::ifstream f(path);
  if (!f) throw UserError(fmt::format("{}: {}.file: cannot read '{}'", file, key, path.string()));
  std::string line;
  std::getline(f, line);
  if (line.rfind("time_us,row", 0) != 0)
    throw UserError(
        fmt::format("{}:1: header must be 'time_us,row' ({} in {})", path.string(), key, file));
  int lineno = 1;
  const int rows = core.config().synapses.rows_per_half;
  const int rpd = core.config().drivers.rows_per_driver;
  // The fields are read as config values are (config::parse_number): all of each field one
  // number, the row an integer in range — a stream read took "1.5" as row 1 and "0x1" as 0.
  const config::SchemaNode time_kind = config::Float(0, 0, std::nullopt, "");
  const config::SchemaNode row_kind = config::Int(0, 0, rows - 1, "");
  while (std::getline(f, line)) {
    ++lineno;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    const auto comma = line.find(',');
    if (comma == std::string::npos || line.find(',', comma + 1) != std::string::npos)
      throw UserError(
          fmt::format("{}:{}: expected 'time_us,row', got '{}'", path.string(), lineno, line));
    auto field = [&](const std::string& text, const config::SchemaNode& kind, const char* name) {
      double value = 0;
      const std::string problem = config::parse_number(text, kind, value);
      if (!problem.empty())
        throw UserError(fmt::format("{}:{}: {}: {} (allowed: {})", path.string(), lineno, name,
                                    problem, config::range_text(kind)));
      return value;
    };
    const double t = field(line.substr(0, comma), time_kind, "time_us");
    const int row = static_cast<int>(field(line.substr(comma + 1), row_kind, "row"));
    if (t < duration_us)
      events.push_back(
          {t, AnalogCore::row_label(in.half, row, rpd, row_address(core, row, in.address))});
  }
}

}  // namespace

std::vector<Event> make_inputs(const AnalogCore& core, const std::vector<InputSpec>& inputs,
                               const std::string& file, std::uint64_t seed, double duration_us) {
  std::vector<Event> events;
  const int rpd = core.config().drivers.rows_per_driver;
  for (std::size_t k = 0; k < inputs.size(); ++k) {
    const InputSpec& in = inputs[k];
    if (in.type == "file") {
      read_input_file(core, in, fmt::format("experiment.inputs.{}", k), file, duration_us, events);
      continue;
    }
    if (in.rate_hz <= 0) continue;
    const double mean_isi_us = 1e6 / in.rate_hz;
    for (int r = in.first_row; r < in.first_row + in.rows; ++r) {
      const std::uint16_t label =
          AnalogCore::row_label(in.half, r, rpd, row_address(core, r, in.address));
      BulkEngine eng = make_bulk_engine(seed, Stream::kHostInput,
                                        (k << 20) | static_cast<std::uint64_t>(in.half * 1024 + r));
      if (in.type == "regular") {
        // Rows are staggered evenly over one period so a block of rows does not fire in lockstep.
        const double phase = mean_isi_us * (r - in.first_row) / in.rows;
        for (double t = in.start_us + phase; t < duration_us; t += mean_isi_us)
          events.push_back({t, label});
      } else {
        boost::random::exponential_distribution<double> isi(1.0 / mean_isi_us);
        for (double t = in.start_us + isi(eng); t < duration_us; t += isi(eng))
          events.push_back({t, label});
      }
    }
  }
  std::stable_sort(events.begin(), events.end(),
                   [](const Event& a, const Event& b) { return a.t_us < b.t_us; });
  return events;
}

}  // namespace salvo::experiments
