#include "emulator/experiments/sal/sensor_gain.hpp"

#include <algorithm>
#include <cmath>

namespace salvo::experiments {

std::uint8_t sal_gain_q6(double g) {
  return static_cast<std::uint8_t>(std::clamp<long>(std::lround(g * 64), 1, 255));
}

namespace {

// What the uncoupled network stores in the plastic pre neurons' sensor rows (exc, inh per pre)
// over window_us: per row and column (zero − reading), the zero read right after a reset.
struct StoredCharge {
  double t0 = 0, t1 = 0;
  std::size_t first_spike = 0;
  std::vector<std::vector<double>> causal, acausal;  // [row index][column]
};

StoredCharge record_stored(session::Session& s, const SalNetwork& net, const std::vector<int>& pres,
                           double window_us) {
  AnalogCore& core = s.core();
  auto& sens = core.sensors(net.half);
  auto& adc = core.cadc(net.half);
  const int cols = core.neurons_per_half();
  // Averaged conversions: the readout noise (≈ 1 LSB) falls to ≈ 1/8 LSB with 64.
  constexpr int kReads = 64;
  auto read_avg = [&](int row, double t, std::vector<double>& c, std::vector<double>& a) {
    std::vector<std::uint8_t> cc(cols), aa(cols);
    c.assign(cols, 0.0);
    a.assign(cols, 0.0);
    for (int k = 0; k < kReads; ++k) {
      adc.convert_row(sens, row, t, cc.data(), aa.data());
      for (int i = 0; i < cols; ++i) {
        c[i] += cc[i] / double(kReads);
        a[i] += aa[i] / double(kReads);
      }
    }
  };
  const double t0 = core.now_us();
  std::vector<int> rows;
  for (int pre : pres) {
    rows.push_back(net.exc_row(pre));
    rows.push_back(net.inh_row(pre));
  }
  for (int row : rows) sens.reset_row(row, t0);
  StoredCharge out;
  out.t0 = t0;
  out.first_spike = core.spikes().size();
  s.advance_to(t0 + window_us);
  const double t1 = core.now_us();
  out.t1 = t1;
  auto& stored_c = out.causal;
  auto& stored_a = out.acausal;
  stored_c.resize(rows.size());
  stored_a.resize(rows.size());
  std::vector<double> c, a, zc, za;
  for (std::size_t r = 0; r < rows.size(); ++r) {
    read_avg(rows[r], t1, c, a);
    sens.reset_row(rows[r], t1);
    read_avg(rows[r], t1, zc, za);
    stored_c[r].resize(cols);
    stored_a[r].resize(cols);
    for (int i = 0; i < cols; ++i) {
      stored_c[r][i] = zc[i] - c[i];
      stored_a[r][i] = za[i] - a[i];
    }
  }
  return out;
}

}  // namespace

SensorGainCalibration calibrate_sensor_gains(session::Session& s, const SalNetwork& net,
                                             const std::vector<PlasticSynapse>& plastic,
                                             double window_us) {
  AnalogCore& core = s.core();
  auto& sens = core.sensors(net.half);
  const int cols = core.neurons_per_half();
  const int n = static_cast<int>(net.columns.size());
  const std::vector<int> pres = pre_neurons(plastic);
  const StoredCharge stored = record_stored(s, net, pres, window_us);
  const double t0 = stored.t0, t1 = stored.t1;
  const std::size_t first_spike = stored.first_spike;
  const auto& stored_c = stored.causal;
  const auto& stored_a = stored.acausal;
  // Ideal sensors (nominal A and τ, no mismatch or noise) fed the recorded spikes: row k is
  // network neuron k as pre, column k as post (pre and post reach the sensors with equal delay).
  CorrelationSensorParams ideal = CorrelationSensorParams::from_config(core.config());
  ideal.rows = n;
  ideal.columns = n;
  ideal.sigma_amplitude = ideal.sigma_tau = ideal.readout_noise_lsb = 0;
  ideal.range_lsb = 1e9;
  ideal.baseline_lsb = 1e9;
  ideal.drift_lsb_per_ms = 0;
  std::vector<int> neuron_of_column(cols, -1);
  for (int k = 0; k < n; ++k) neuron_of_column[net.columns[k]] = k;
  const auto& spikes = core.spikes();
  std::vector<std::pair<double, int>> events;
  for (std::size_t i = first_spike; i < spikes.size(); ++i) {
    const int col = spikes[i].neuron - net.half * core.neurons_per_half();
    if (col < 0 || col >= cols || neuron_of_column[col] < 0) continue;
    events.emplace_back(spikes[i].t_us, neuron_of_column[col]);
  }
  std::sort(events.begin(), events.end());
  const double rate_per_us = events.size() / (n * (t1 - t0));
  SensorGainCalibration cal;
  double stored_sum = 0;
  int stored_n = 0;
  // All pre events of one instant before its post events, as the chip delivers them.
  CorrelationSensors replay(ideal, 0);
  for (std::size_t i = 0; i < events.size();) {
    std::size_t j = i;
    while (j < events.size() && events[j].first == events[i].first) ++j;
    for (std::size_t q = i; q < j; ++q) replay.on_pre(events[q].second, events[q].first);
    for (std::size_t q = i; q < j; ++q) replay.on_post(events[q].second, events[q].first);
    i = j;
  }
  for (const auto& p : plastic) {
    const int r = static_cast<int>(std::find(pres.begin(), pres.end(), p.pre) - pres.begin());
    const int col = net.columns[p.post];
    const double ideal_c = replay.accumulated_lsb(SensorChannel::kCausal, p.pre, p.post, t1);
    const double ideal_a = replay.accumulated_lsb(SensorChannel::kAcausal, p.pre, p.post, t1);
    const double meas_c = stored_c[2 * r][col] + stored_c[2 * r + 1][col];
    const double meas_a = stored_a[2 * r][col] + stored_a[2 * r + 1][col];
    stored_sum += meas_c + meas_a;
    stored_n += 4;
    double g = 1.0;
    if (ideal_a > 0 && ideal_c > 0 && meas_a > 0 && meas_c > 0)
      g = (meas_a / ideal_a) / (meas_c / ideal_c);
    cal.gain.push_back(g);
    // Oracle: chance pairs at rate r weigh a sensor by A·E[e^(−Δt/τ)] = A·rτ/(1 + rτ).
    double true_a = 0, true_c = 0;
    auto chance = [&](SensorChannel ch, int row) {
      const double tau = sens.tau_us(ch, row, col);
      return sens.amplitude_lsb(ch, row, col) * tau / (1 + rate_per_us * tau);
    };
    for (int row : {net.exc_row(p.pre), net.inh_row(p.pre)}) {
      true_a += chance(SensorChannel::kAcausal, row);
      true_c += chance(SensorChannel::kCausal, row);
    }
    cal.true_gain.push_back(true_a / true_c);
  }
  cal.stored_lsb_mean = stored_n ? stored_sum / stored_n : 0.0;
  return cal;
}

}  // namespace salvo::experiments
