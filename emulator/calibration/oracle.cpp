#include "emulator/calibration/oracle.hpp"

#include <algorithm>
#include <cmath>
#include <functional>

#include <fmt/format.h>

#include "hw/analog/neuron_circuits.hpp"

namespace salvo::calibration {

namespace {

using Getter = std::function<double(const NeuronCircuitParams&)>;

const std::vector<std::pair<std::string, Getter>>& getters() {
  static const std::vector<std::pair<std::string, Getter>> g = {
      // The resting potential the membrane settles to: E_L plus the offset current through the
      // leak (the cell behind i_offset cannot go below zero, so its offset stays).
      {"leak",
       [](const NeuronCircuitParams& p) {
         return p.v_leak_mV + p.i_offset_nA * p.tau_mem_us / p.c_mem_pF;
       }},
      {"reset", [](const NeuronCircuitParams& p) { return p.v_reset_mV; }},
      {"threshold", [](const NeuronCircuitParams& p) { return p.v_threshold_mV; }},
      {"tau_mem", [](const NeuronCircuitParams& p) { return p.tau_mem_us; }},
      {"tau_syn_exc", [](const NeuronCircuitParams& p) { return p.tau_syn_exc_us; }},
      {"tau_syn_inh", [](const NeuronCircuitParams& p) { return p.tau_syn_inh_us; }},
      {"synaptic_strength", [](const NeuronCircuitParams& p) { return p.syn_gain_exc; }},
      {"synaptic_strength_inh", [](const NeuronCircuitParams& p) { return p.syn_gain_inh; }},
      {"refractory", [](const NeuronCircuitParams& p) { return p.t_ref_us; }},
  };
  return g;
}

double target_of(const ChipConfig& c, const std::string& q) {
  if (q == "leak") return c.neurons.v_leak_mV;
  if (q == "reset") return c.neurons.v_reset_mV;
  if (q == "threshold") return c.neurons.v_threshold_mV;
  if (q == "tau_mem") return c.neurons.tau_mem_us;
  if (q == "tau_syn_exc") return c.neurons.tau_syn_exc_us;
  if (q == "tau_syn_inh") return c.neurons.tau_syn_inh_us;
  if (q == "refractory") return c.neurons.t_ref_us;
  return c.calibration.synaptic_strength;
}

std::vector<std::vector<double>> values_at(const NeuronCircuits& circ, const ParameterMemory& m) {
  std::vector<std::vector<double>> v(getters().size());
  for (int i = 0; i < m.neurons(); ++i) {
    const NeuronCircuitParams p = circ.params(i, m);
    for (std::size_t q = 0; q < getters().size(); ++q) v[q].push_back(getters()[q].second(p));
  }
  return v;
}

}  // namespace

const std::vector<std::string>& oracle_quantities() {
  static const std::vector<std::string> q = [] {
    std::vector<std::string> n;
    for (const auto& g : getters()) n.push_back(g.first);
    return n;
  }();
  return q;
}

OracleValues oracle_values(const ChipConfig& chip, std::uint64_t seed, const Calibration& cal) {
  ParameterMemory m(chip, seed);
  const NeuronCircuits circ(chip, seed);
  write_target_codes(chip, m);
  OracleValues v;
  v.names = oracle_quantities();
  v.before = values_at(circ, m);
  const int leak = ParameterMemory::cell_index(VoltageCell::kLeak);
  for (int i = 0; i < m.neurons(); ++i)
    for (std::size_t k = 0; k < cal.cells.size(); ++k) {
      int code = cal.neurons[i].codes[k];
      // In target-rate mode the leak code serves the rate; the leak quantity is judged at the
      // code its fitted line gives for the leak target.
      if (cal.cells[k] == leak && cal.rate_hz > 0)
        code = std::max(0, cal.neurons[i].leak.code_for(chip.neurons.v_leak_mV, m.code_max()));
      m.write(i, cal.cells[k], code);
    }
  v.after = values_at(circ, m);
  for (std::size_t k = 0; k < cal.cells.size(); ++k) {
    std::vector<int> codes;
    for (int i = 0; i < m.neurons(); ++i) codes.push_back(m.code(i, cal.cells[k]));
    std::nth_element(codes.begin(), codes.begin() + codes.size() / 2, codes.end());
    const int median = codes[codes.size() / 2];
    for (int i = 0; i < m.neurons(); ++i) m.write(i, cal.cells[k], median);
  }
  v.median = values_at(circ, m);
  return v;
}

double trimmed_std(std::vector<double> v, double trim) {
  std::sort(v.begin(), v.end());
  const std::size_t cut = static_cast<std::size_t>(std::floor(trim * v.size()));
  if (v.size() < 2 * cut + 2) return 0.0;
  double s = 0, s2 = 0;
  const std::size_t n = v.size() - 2 * cut;
  for (std::size_t k = cut; k < v.size() - cut; ++k) s += v[k];
  const double mean = s / n;
  for (std::size_t k = cut; k < v.size() - cut; ++k) s2 += (v[k] - mean) * (v[k] - mean);
  return std::sqrt(s2 / (n - 1));
}

nlohmann::json oracle_metrics(const ChipConfig& chip, const OracleValues& v) {
  nlohmann::json out = nlohmann::json::object(), detail = nlohmann::json::object();
  for (std::size_t q = 0; q < v.names.size(); ++q) {
    const double sa = trimmed_std(v.after[q]), sm = trimmed_std(v.median[q]);
    double mean = 0;
    for (double x : v.after[q]) mean += x / v.after[q].size();
    const double ratio = sm > 0 ? sa / sm : 0.0;
    out["spread_ratio_" + v.names[q]] = ratio;
    detail[v.names[q]] = {{"std_before", trimmed_std(v.before[q])},
                          {"std_after", sa},
                          {"std_median_code", sm},
                          {"mean_after", mean},
                          {"target", target_of(chip, v.names[q])}};
  }
  out["oracle"] = detail;
  return out;
}

std::string oracle_csv(const OracleValues& v) {
  std::string s = "neuron";
  for (const auto& n : v.names) s += fmt::format(",{0}_before,{0}_after", n);
  s += "\n";
  const std::size_t neurons = v.after.empty() ? 0 : v.after[0].size();
  for (std::size_t i = 0; i < neurons; ++i) {
    s += fmt::format("{}", i);
    for (std::size_t q = 0; q < v.names.size(); ++q)
      s += fmt::format(",{:.6g},{:.6g}", v.before[q][i], v.after[q][i]);
    s += "\n";
  }
  return s;
}

}  // namespace salvo::calibration
