#include "emulator/experiments/sampling/sensor_reader.hpp"

#include <algorithm>

#include "emulator/calibration/cadc_zero.hpp"

namespace salvo::experiments {

SensorReader::SensorReader(AnalogCore& core, const SalNetwork& net)
    : core_(core), net_(net), n_(static_cast<int>(net.columns.size())) {
  clear();
}

void SensorReader::clear() {
  c.assign(static_cast<std::size_t>(n_) * n_, 0.0);
  a = c;
  counts.assign(n_, 0.0);
}

void SensorReader::calibrate_zero(double t_us) {
  const auto zero = calibration::cadc_zero(core_, net_.half, net_.exc_row(0), t_us, 1024);
  const int cols = core_.neurons_per_half();
  base_c_.resize(cols);
  base_a_.resize(cols);
  for (int k = 0; k < cols; ++k) {
    base_c_[k] = zero.causal_lsb(k);
    base_a_[k] = zero.acausal_lsb(k);
  }
}

void SensorReader::read(double t_us) {
  const int cols = core_.neurons_per_half();
  auto& sens = core_.sensors(net_.half);
  auto& adc = core_.cadc(net_.half);
  std::vector<std::uint8_t> cc(cols), aa(cols);
  for (int j = 0; j < n_; ++j)
    for (int row : {net_.exc_row(j), net_.inh_row(j)}) {
      adc.convert_row(sens, row, t_us, cc.data(), aa.data());
      for (int i = 0; i < n_; ++i) {
        if (i == j) continue;
        const int col = net_.columns[i];
        c[i * n_ + j] += base_c_[col] - cc[col];
        a[i * n_ + j] += base_a_[col] - aa[col];
        if (cc[col] <= 2 || aa[col] <= 2) ++saturated;
      }
      sens.reset_row(row, t_us);
    }
  for (int k = 0; k < n_; ++k) {
    const int neuron = net_.neuron(core_, k);
    counts[k] += core_.rate_counter(neuron);
    core_.reset_rate_counter(neuron);
  }
}

std::vector<std::vector<double>> spikes_in(const AnalogCore& core, const SalNetwork& net, double t0,
                                           double t1, double tau_on) {
  const int n = static_cast<int>(net.columns.size());
  std::vector<std::vector<double>> out(n);
  const auto& sp = core.spikes();
  auto it = std::lower_bound(sp.begin(), sp.end(), t0 - tau_on,
                             [](const RecordedSpike& s, double t) { return s.t_us < t; });
  const int base = net.half * core.neurons_per_half();  // columns are 0..n-1
  for (; it != sp.end() && it->t_us < t1; ++it) {
    const int k = it->neuron - base;
    if (k >= 0 && k < n) out[k].push_back(it->t_us);
  }
  return out;
}

}  // namespace salvo::experiments
