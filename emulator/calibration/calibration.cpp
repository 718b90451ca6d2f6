#include "emulator/calibration/calibration.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <fstream>
#include <memory>

#include <fmt/format.h>

#include "emulator/output/run_output.hpp"
#include "hw/common/error.hpp"

namespace salvo::calibration {

int CodeLine::code_for(double value, int code_max) const {
  if (!(std::abs(per_code) > 1e-12)) return -1;
  const double c = code0 + (value - value0) / per_code;
  if (!std::isfinite(c)) return -1;
  return std::clamp(static_cast<int>(std::lround(c)), 0, code_max);
}

int Calibration::usable_count() const {
  return static_cast<int>(std::count_if(neurons.begin(), neurons.end(),
                                        [](const NeuronCalibration& n) { return n.usable; }));
}

namespace {

nlohmann::json line_json(const CodeLine& l) {
  return {{"code0", l.code0}, {"value0", l.value0}, {"per_code", l.per_code}};
}

CodeLine line_from(const nlohmann::json& j) {
  return {j.at("code0").get<double>(), j.at("value0").get<double>(),
          j.at("per_code").get<double>()};
}

// Trims as one string per row, a hex digit per synapse (compact: 2 x 256 x 256 synapses).
nlohmann::json trims_json(const std::vector<std::vector<std::uint8_t>>& t, int columns) {
  nlohmann::json halves = nlohmann::json::array();
  for (const auto& h : t) {
    nlohmann::json rows = nlohmann::json::array();
    for (std::size_t r = 0; columns > 0 && r * columns < h.size(); ++r) {
      std::string row;
      for (int c = 0; c < columns; ++c) row += "0123456789abcdef"[h[r * columns + c] & 15];
      rows.push_back(row);
    }
    halves.push_back(rows);
  }
  return halves;
}

std::vector<std::vector<std::uint8_t>> trims_from(const nlohmann::json& j) {
  std::vector<std::vector<std::uint8_t>> t;
  for (const auto& h : j) {
    t.emplace_back();
    for (const auto& row : h)
      for (char ch : row.get<std::string>())
        t.back().push_back(static_cast<std::uint8_t>(
            std::isdigit(static_cast<unsigned char>(ch)) ? ch - '0' : ch - 'a' + 10));
  }
  return t;
}

nlohmann::json sensors_json(const SensorCalibration& s) {
  const int cols = s.columns;
  nlohmann::json j = {{"amplitude_causal_lsb", s.amplitude_causal_lsb},
                      {"amplitude_acausal_lsb", s.amplitude_acausal_lsb},
                      {"tau_causal_us", s.tau_causal_us},
                      {"tau_acausal_us", s.tau_acausal_us},
                      {"amplitude_target_lsb", s.amplitude_target_lsb},
                      {"tau_target_us", s.tau_target_us},
                      {"unmeasured", s.unmeasured},
                      {"columns", cols}};
  j["amplitude_trim"] = trims_json(s.amplitude_trim, cols);
  j["tau_trim"] = trims_json(s.tau_trim, cols);
  return j;
}

SensorCalibration sensors_from(const nlohmann::json& j) {
  SensorCalibration s;
  s.amplitude_causal_lsb = j.at("amplitude_causal_lsb").get<double>();
  s.amplitude_acausal_lsb = j.at("amplitude_acausal_lsb").get<double>();
  s.tau_causal_us = j.at("tau_causal_us").get<double>();
  s.tau_acausal_us = j.at("tau_acausal_us").get<double>();
  s.amplitude_target_lsb = j.at("amplitude_target_lsb").get<double>();
  s.tau_target_us = j.at("tau_target_us").get<double>();
  s.unmeasured = j.at("unmeasured").get<int>();
  s.columns = j.at("columns").get<int>();
  s.amplitude_trim = trims_from(j.at("amplitude_trim"));
  s.tau_trim = trims_from(j.at("tau_trim"));
  return s;
}

}  // namespace

nlohmann::json Calibration::to_json() const {
  nlohmann::json ns = nlohmann::json::array();
  for (const auto& n : neurons)
    ns.push_back({{"codes", n.codes},
                  {"leak_line", line_json(n.leak)},
                  {"reset_line", line_json(n.reset)},
                  {"threshold_line", line_json(n.threshold)},
                  {"current_lines",
                   {{"inv_tau_mem", line_json(n.inv_tau_mem)},
                    {"inv_tau_syn_exc", line_json(n.inv_tau_syn_exc)},
                    {"inv_tau_syn_inh", line_json(n.inv_tau_syn_inh)},
                    {"inv_refractory", line_json(n.inv_refractory)},
                    {"gain_exc", line_json(n.gain_exc)},
                    {"gain_inh", line_json(n.gain_inh)}}},
                  {"usable", n.usable},
                  {"reasons", n.reasons}});
  nlohmann::json out = {{"format", kFormat},
                        {"chip", chip_name},
                        {"seed", seed},
                        {"chip_hash", chip_hash},
                        {"cells", cells},
                        {"cell_names", cell_names},
                        {"rate_hz", rate_hz},
                        {"cadc",
                         {{"causal_offset_lsb", cadc_causal_offset_lsb},
                          {"acausal_offset_lsb", cadc_acausal_offset_lsb}}},
                        {"neurons", ns}};
  if (!sensors.empty()) out["sensors"] = sensors_json(sensors);
  return out;
}

Calibration Calibration::from_json(const nlohmann::json& j, const std::string& file) {
  if (!j.is_object() || j.value("format", "") != kFormat)
    throw ConfigError(file, "format", "not a salvo calibration file", kFormat);
  Calibration c;
  try {
    c.chip_name = j.at("chip").get<std::string>();
    c.seed = j.at("seed").get<std::uint64_t>();
    c.chip_hash = j.at("chip_hash").get<std::string>();
    c.cells = j.at("cells").get<std::vector<int>>();
    c.cell_names = j.at("cell_names").get<std::vector<std::string>>();
    c.rate_hz = j.at("rate_hz").get<double>();
    c.cadc_causal_offset_lsb =
        j.at("cadc").at("causal_offset_lsb").get<decltype(c.cadc_causal_offset_lsb)>();
    c.cadc_acausal_offset_lsb =
        j.at("cadc").at("acausal_offset_lsb").get<decltype(c.cadc_acausal_offset_lsb)>();
    for (const auto& n : j.at("neurons")) {
      NeuronCalibration nc;
      nc.codes = n.at("codes").get<std::vector<int>>();
      nc.leak = line_from(n.at("leak_line"));
      nc.reset = line_from(n.at("reset_line"));
      nc.threshold = line_from(n.at("threshold_line"));
      if (n.contains("current_lines")) {
        const auto& cl = n.at("current_lines");
        nc.inv_tau_mem = line_from(cl.at("inv_tau_mem"));
        nc.inv_tau_syn_exc = line_from(cl.at("inv_tau_syn_exc"));
        nc.inv_tau_syn_inh = line_from(cl.at("inv_tau_syn_inh"));
        nc.inv_refractory = line_from(cl.at("inv_refractory"));
        nc.gain_exc = line_from(cl.at("gain_exc"));
        nc.gain_inh = line_from(cl.at("gain_inh"));
      }
      nc.usable = n.at("usable").get<bool>();
      nc.reasons = n.at("reasons").get<std::vector<std::string>>();
      if (nc.codes.size() != c.cells.size())
        throw ConfigError(file, "neurons.codes", "a neuron's code count differs from 'cells'");
      c.neurons.push_back(std::move(nc));
    }
    if (j.contains("sensors")) c.sensors = sensors_from(j.at("sensors"));
  } catch (const nlohmann::json::exception& e) {
    throw ConfigError(file, "calibration", fmt::format("malformed: {}", e.what()),
                      "a file written by salvo calibrate");
  }
  return c;
}

void Calibration::write(const std::string& path) const {
  output::write_json_atomic(path, to_json());
}

Calibration Calibration::read(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw ConfigError(path, "--calibration", "cannot be read", "a calibration.json");
  nlohmann::json j;
  try {
    in >> j;
  } catch (const nlohmann::json::exception& e) {
    throw ConfigError(path, "--calibration", fmt::format("not JSON: {}", e.what()),
                      "a calibration.json written by salvo calibrate");
  }
  return from_json(j, path);
}

void Calibration::check_belongs(const std::string& file, const std::string& chip, std::uint64_t s,
                                const std::string& hash, int n) const {
  if (chip_name != chip)
    throw ConfigError(file, "chip", fmt::format("calibration of chip '{}'", chip_name),
                      fmt::format("a calibration of chip '{}'", chip));
  if (seed != s)
    throw ConfigError(file, "seed", fmt::format("calibration of chip instance (seed) {}", seed),
                      fmt::format("a calibration made with --seed {}", s));
  if (chip_hash != hash)
    throw ConfigError(file, "chip_hash",
                      fmt::format("calibration of another chip config (hash {})", chip_hash),
                      fmt::format("hash {} (same variant file and --set chip.* overrides)", hash));
  if (static_cast<int>(neurons.size()) != n)
    throw ConfigError(file, "neurons", fmt::format("{} neurons", neurons.size()),
                      fmt::format("{}", n));
}

void Calibration::apply(AnalogCore& core) const {
  for (std::size_t n = 0; n < neurons.size(); ++n)
    for (std::size_t k = 0; k < cells.size(); ++k)
      core.write_parameter(static_cast<int>(n), cells[k], neurons[n].codes[k]);
  for (std::size_t h = 0; h < sensors.amplitude_trim.size(); ++h) {
    CorrelationSensors& sens = core.sensors(static_cast<int>(h));
    const int cols = sens.columns();
    for (int r = 0; r < sens.rows(); ++r)
      for (int c = 0; c < cols; ++c) {
        const std::size_t k = static_cast<std::size_t>(r) * cols + c;
        sens.set_trim(r, c, sensors.amplitude_trim[h][k], sensors.tau_trim[h][k]);
      }
  }
  // Voltage targets an experiment sets later go through the fitted lines.
  auto lines = std::make_shared<std::vector<std::array<CodeLine, 3>>>();
  for (const auto& n : neurons) lines->push_back({n.leak, n.reset, n.threshold});
  const int code_max = core.parameters().code_max();
  auto current = std::make_shared<std::vector<std::array<CodeLine, 6>>>();
  for (const auto& n : neurons)
    current->push_back({n.inv_tau_mem, n.inv_tau_syn_exc, n.inv_tau_syn_inh, n.inv_refractory,
                        n.gain_exc, n.gain_inh});
  core.set_current_map([current, code_max](int neuron, CurrentCell cell, double p) {
    if (neuron < 0 || neuron >= static_cast<int>(current->size())) return -1;
    const auto& l = (*current)[static_cast<std::size_t>(neuron)];
    switch (cell) {  // the time constants' lines are in 1/µs; a code of 0 means no current
      case CurrentCell::kLeakBias:
        return p > 0 ? l[0].code_for(1 / p, code_max) : -1;
      case CurrentCell::kSynExcBias:
        return p > 0 ? l[1].code_for(1 / p, code_max) : -1;
      case CurrentCell::kSynInhBias:
        return p > 0 ? l[2].code_for(1 / p, code_max) : -1;
      case CurrentCell::kRefractoryBias:
        return p > 0 ? l[3].code_for(1 / p, code_max) : -1;
      case CurrentCell::kSynGainExc:
        return l[4].code_for(p, code_max);
      case CurrentCell::kSynGainInh:
        return l[5].code_for(p, code_max);
      default:
        return -1;
    }
  });
  core.set_voltage_map([lines, code_max](int neuron, VoltageCell cell, double target) {
    const int k = static_cast<int>(cell);
    if (k > 2 || neuron < 0 || neuron >= static_cast<int>(lines->size())) return -1;
    return (*lines)[static_cast<std::size_t>(neuron)][static_cast<std::size_t>(k)].code_for(
        target, code_max);
  });
}

std::string chip_hash(const YAML::Node& resolved_chip) {
  YAML::Emitter em;
  em << resolved_chip;
  std::uint64_t h = 1469598103934665603ull;
  for (const unsigned char ch : std::string(em.c_str())) {
    h ^= ch;
    h *= 1099511628211ull;
  }
  return fmt::format("{:016x}", h);
}

}  // namespace salvo::calibration
