#include "emulator/calibration/bench.hpp"

#include <algorithm>
#include <cmath>

namespace salvo::calibration {

Bench::Bench(AnalogCore& core, std::function<void(double)> advance)
    : core_(core),
      advance_(std::move(advance)),
      n_(core.neurons_total()),
      per_half_(core.neurons_per_half()),
      code_max_(core.parameters().code_max()) {
  const double dt = core.dt_us();
  cadc_interval_us_ = std::ceil(core.cadc(0).conversion_time_us() / dt - 1e-9) * dt;
  cadc_mV_per_lsb_ = core.cadc(0).params().v_full_scale_mV / core.cadc(0).max_code();
  offsets_.assign(core.halves(), std::vector<double>(per_half_, 0.0));
  clear_clipped();
}

void Bench::write(int cell, const std::vector<int>& codes) {
  for (int i = 0; i < n_; ++i) core_.write_parameter(i, cell, std::clamp(codes[i], 0, code_max_));
  ++write_rounds_;
}

std::vector<int> Bench::codes(int cell) const {
  std::vector<int> c(n_);
  for (int i = 0; i < n_; ++i) c[i] = core_.parameters().code(i, cell);
  return c;
}

std::vector<int> Bench::cadc_codes() {
  std::vector<int> out(n_);
  std::vector<double> v(per_half_);
  std::vector<std::uint8_t> codes(per_half_);
  for (int h = 0; h < core_.halves(); ++h) {
    // The causal channel of each column samples its neuron's membrane (the chip's sample
    // and hold); the host sees only the codes.
    for (int c = 0; c < per_half_; ++c) v[c] = core_.neurons().v_mV(h * per_half_ + c);
    core_.cadc(h).convert_membranes(v.data(), codes.data());
    for (int c = 0; c < per_half_; ++c) {
      out[h * per_half_ + c] = codes[c];
      if (codes[c] == 0 || codes[c] == core_.cadc(h).max_code()) clipped_[h * per_half_ + c] = 1;
    }
  }
  wait(cadc_interval_us_);
  return out;
}

std::vector<std::vector<double>> Bench::cadc_trace_mV(int samples) {
  std::vector<std::vector<double>> trace(samples, std::vector<double>(n_));
  for (int k = 0; k < samples; ++k) {
    const std::vector<int> codes = cadc_codes();
    for (int i = 0; i < n_; ++i)
      trace[k][i] = (codes[i] - offsets_[i / per_half_][i % per_half_]) * cadc_mV_per_lsb_;
  }
  return trace;
}

std::vector<double> Bench::cadc_mean_mV(double window_us) {
  const int samples = std::max(1, static_cast<int>(std::lround(window_us / cadc_interval_us_)));
  std::vector<double> mean(n_, 0.0);
  for (const auto& row : cadc_trace_mV(samples))
    for (int i = 0; i < n_; ++i) mean[i] += row[i] / samples;
  return mean;
}

std::vector<double> Bench::madc_each_mV() {
  std::vector<double> v(n_);
  const double period = 1.0 / core_.config().madc.sample_rate_msps;
  const double t0 = now_us();
  for (int i = 0; i < n_; ++i) {
    const std::size_t before = core_.madc_samples().size();
    core_.select_madc(i);
    while (core_.madc_samples().size() == before) wait(period);
    v[i] = core_.madc_samples().back().v_mV;
  }
  core_.select_madc(-1);
  // One conversion per neuron takes one sample period: the MADC delivers a neuron's first
  // sample at the moment it is selected, so without a Session between the selections (the
  // `--calibration auto` path advances the core directly) no time would pass at all.
  const double t_end = t0 + n_ * period;
  if (now_us() < t_end) wait(t_end - now_us());
  return v;
}

void Bench::read_sensor_row(int half, int row, int reads, std::vector<double>& causal,
                            std::vector<double>& acausal, std::vector<char>& clipped) {
  ColumnAdc& adc = core_.cadc(half);
  causal.assign(per_half_, 0.0);
  acausal.assign(per_half_, 0.0);
  clipped.assign(per_half_, 0);
  std::vector<std::uint8_t> c(per_half_), a(per_half_);
  const int top = adc.max_code();
  for (int k = 0; k < reads; ++k) {
    adc.convert_row(core_.sensors(half), row, core_.now_us(), c.data(), a.data());
    for (int i = 0; i < per_half_; ++i) {
      causal[i] += c[i] / double(reads);
      acausal[i] += a[i] / double(reads);
      if (c[i] == 0 || c[i] == top) clipped[i] |= 1;
      if (a[i] == 0 || a[i] == top) clipped[i] |= 2;
    }
  }
}

std::vector<int> Bench::count_spikes(double window_us) {
  core_.reset_rate_counters();
  wait(window_us);
  std::vector<int> c(n_);
  for (int i = 0; i < n_; ++i) c[i] = core_.rate_counter(i);
  return c;
}

std::vector<std::vector<double>> Bench::spike_times(double window_us) {
  const std::size_t first = core_.spikes().size();
  core_.set_record_spikes(true);
  wait(window_us);
  core_.set_record_spikes(false);
  std::vector<std::vector<double>> t(n_);
  const auto& s = core_.spikes();
  for (std::size_t k = first; k < s.size(); ++k) t[s[k].neuron].push_back(s[k].t_us);
  return t;
}

}  // namespace salvo::calibration
