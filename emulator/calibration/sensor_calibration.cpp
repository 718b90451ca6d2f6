#include "emulator/calibration/sensor_calibration.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "emulator/calibration/oracle.hpp"

namespace salvo::calibration {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr int kReads = 8;            // conversions averaged per row readout
constexpr int kProbeReps = 10;       // repetitions that find when the neurons have fired
constexpr double kFarUs = 6.0;       // the far pair's Δt beyond the near one
constexpr double kTriggerRows = 16;  // rows (weight 63) that make the neurons fire

double median(std::vector<double> v) {
  v.erase(std::remove_if(v.begin(), v.end(), [](double x) { return !std::isfinite(x); }), v.end());
  if (v.empty()) return kNaN;
  std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
  return v[v.size() / 2];
}

double channel_mean(double a, double b) {
  if (std::isfinite(a) && std::isfinite(b)) return 0.5 * (a + b);
  return std::isfinite(a) ? a : b;
}

}  // namespace

double choose_trims(const std::vector<double>& value, int bits, double step, double clip_lo,
                    double clip_hi, double design, std::vector<std::uint8_t>& code) {
  const int nominal = 1 << (bits - 1), codes = 1 << bits;
  code.assign(value.size(), static_cast<std::uint8_t>(nominal));
  if (!std::isfinite(median(value)) || step <= 0) return design;
  auto pick = [&](double v, double target) {
    int best = nominal;
    double err = std::numeric_limits<double>::infinity();
    for (int k = 0; k < codes; ++k) {
      const double e =
          std::abs(std::clamp(v * (1 + step * (k - nominal)), clip_lo, clip_hi) - target);
      if (e < err) err = e, best = k;
    }
    return best;
  };
  // The target is searched on at most ~8k of the values (evenly spaced): the mean of the
  // trimmed values must stay at the design value (the trims reach further down than up, so
  // aiming at the design value itself would lower the mean).
  std::vector<double> sample;
  const std::size_t stride = std::max<std::size_t>(1, value.size() / 8192);
  for (std::size_t i = 0; i < value.size(); i += stride)
    if (std::isfinite(value[i])) sample.push_back(value[i]);
  double best_target = design, best_miss = std::numeric_limits<double>::infinity();
  for (double f = 0.85; f <= 1.25 + 1e-9; f += 0.0025) {
    double mean = 0;
    for (double v : sample)
      mean += std::clamp(v * (1 + step * (pick(v, f * design) - nominal)), clip_lo, clip_hi);
    const double miss = std::abs(mean / sample.size() - design);
    if (miss < best_miss) best_miss = miss, best_target = f * design;
  }
  for (std::size_t i = 0; i < value.size(); ++i)
    if (std::isfinite(value[i])) code[i] = static_cast<std::uint8_t>(pick(value[i], best_target));
  return best_target;
}

SensorCalibrator::SensorCalibrator(Bench& bench, const ChipConfig& chip)
    : b_(bench),
      chip_(chip),
      halves_(bench.core().halves()),
      rows_(chip.synapses.rows_per_half),
      cols_(bench.core().neurons_per_half()),
      rpd_(chip.drivers.rows_per_driver) {}

double SensorCalibrator::send_offset(int half, int driver_index) const {
  return ((half * static_cast<int>(order_.size()) + driver_index) / buses_) * spacing_us_;
}

void SensorCalibrator::wire(const Pass& pass) {
  AnalogCore& core = b_.core();
  core.select_drivers_by_index();
  Crossbar& x = core.crossbar();
  x.disable_all();
  // The measured rows' events go to the buses by the low bits of their synapse address (their
  // weights are 0: the address selects nothing else), so a pre block is `buses` times shorter.
  buses_ = x.buses() >= 4 ? 4 : x.buses() >= 2 ? 2 : 1;
  for (int b = 0; b < buses_; ++b) x.set_node(core.inputs().host, b, true, buses_ - 1, b);
  for (int h = 0; h < halves_; ++h) {
    SynapseArray& s = core.synapses(h);
    for (int row = 0; row < rows_; ++row)
      for (int c = 0; c < s.columns(); ++c) s.set_weight(row, c, 0);
    for (int d : pass.trigger_drivers)
      for (int a = 0; a < rpd_; ++a) {
        s.set_row_sign(d * rpd_ + a, SynapseArray::RowSign::kExcitatory);
        for (int c = 0; c < s.columns(); ++c) {
          s.set_weight(d * rpd_ + a, c, 63);
          s.set_label(d * rpd_ + a, c, 0);
        }
      }
  }
  order_ = pass.measured_drivers;
  span_us_ = ((halves_ * static_cast<int>(order_.size()) + buses_ - 1) / buses_) * spacing_us_;
}

void SensorCalibrator::read_rows(const Pass& pass,
                                 std::array<std::vector<std::vector<float>>, 2>& out,
                                 std::vector<std::vector<char>>& clipped) {
  std::vector<double> c, a;
  std::vector<char> clip;
  for (auto& ch : out) ch.assign(halves_, std::vector<float>(rows_ * cols_, 0.0f));
  clipped.assign(halves_, std::vector<char>(rows_ * cols_, 0));
  for (int h = 0; h < halves_; ++h)
    for (int d : pass.measured_drivers)
      for (int row = d * rpd_; row < (d + 1) * rpd_; ++row) {
        b_.read_sensor_row(h, row, kReads, c, a, clip);
        for (int col = 0; col < cols_; ++col) {
          out[0][h][row * cols_ + col] = static_cast<float>(c[col]);
          out[1][h][row * cols_ + col] = static_cast<float>(a[col]);
          clipped[h][row * cols_ + col] = clip[col];
        }
      }
  // The halves convert in parallel; one row conversion reads both channels of every column.
  b_.wait(kReads * rpd_ * pass.measured_drivers.size() * b_.core().cadc(0).conversion_time_us());
}

namespace {

// Playback of `reps` repetitions from t0: the trigger block at t_k, the measured rows' pre
// spikes at t_k + early and t_k + late (each block staggered by spacing_us_ so that the bus
// never queues them: a queued event would reach the sensors later than the host assumes).
std::vector<Event> schedule(const std::vector<int>& trig, const std::vector<int>& measured,
                            int halves, int rpd, int buses, double t0, int reps, double period,
                            double spacing, double early, double late, bool pre) {
  std::vector<Event> ev;
  for (int k = 0; k < reps; ++k) {
    const double tk = t0 + k * period;
    int j = 0;
    for (int h = 0; h < halves; ++h)
      for (int d : trig)
        ev.push_back({tk + (j++) * spacing, AnalogCore::row_label(h, d * rpd, rpd, 0)});
    if (!pre) continue;
    j = 0;
    for (int h = 0; h < halves; ++h)
      for (int d : measured) {
        const std::uint16_t label = AnalogCore::row_label(h, d * rpd, rpd, j % buses);
        ev.push_back({tk + early + (j / buses) * spacing, label});
        ev.push_back({tk + late + (j / buses) * spacing, label});
        ++j;
      }
  }
  return ev;
}

}  // namespace

void SensorCalibrator::post_times(Block& b, const std::vector<std::vector<double>>& spikes,
                                  double t0) {
  const double lat = chip_.buses.latency_us, tau0 = chip_.sensors.tau_us;
  const double lo = b.early_us + span_us_ + lat, hi = b.late_us + lat;  // pre blocks at the sensors
  b.reps.assign(halves_, std::vector<double>(cols_, 0.0));
  b.u_causal = b.w_acausal = b.reps;
  b.bad.assign(halves_, std::vector<char>(cols_, 0));
  for (int h = 0; h < halves_; ++h)
    for (int c = 0; c < cols_; ++c) {
      std::vector<double> first(reps_, kNaN), last(reps_, kNaN);
      for (double t : spikes[h * cols_ + c]) {
        const double ts = t + chip_.sensors.post_delay_us;
        const int k = static_cast<int>(std::floor((ts - t0 - b.early_us + 1.0) / period_us_));
        if (k < 0 || k >= reps_) continue;
        const double u = ts - (t0 + k * period_us_);
        if (u <= lo || u >= hi) b.bad[h][c] = 1;
        if (!(first[k] <= u)) first[k] = u;
        if (!(last[k] >= u)) last[k] = u;
        posts_sum_ += 1;
      }
      double su = 0, sw = 0, n = 0;
      for (int k = 0; k < reps_; ++k)
        if (std::isfinite(first[k])) {
          su += std::exp(-first[k] / tau0);
          sw += std::exp(last[k] / tau0);
          ++n;
        }
      posts_n_ += reps_;
      b.reps[h][c] = n;
      b.u_causal[h][c] = n > 0 ? -tau0 * std::log(su / n) : kNaN;
      b.w_acausal[h][c] = n > 0 ? tau0 * std::log(sw / n) : kNaN;
    }
}

SensorCalibrator::Block SensorCalibrator::measure_block(const Pass& pass, double early,
                                                        double late) {
  AnalogCore& core = b_.core();
  Block b;
  b.early_us = early;
  b.late_us = late;
  for (int h = 0; h < halves_; ++h) core.sensors(h).reset_all(core.now_us());
  std::array<std::vector<std::vector<float>>, 2> zero, fin;
  std::vector<std::vector<char>> zclip;
  read_rows(pass, zero, zclip);
  const double t0 = core.now_us() + span_us_ + kFarUs + 12.0;
  core.add_playback(schedule(pass.trigger_drivers, pass.measured_drivers, halves_, rpd_, buses_, t0,
                             reps_, period_us_, spacing_us_, early, late, true));
  const auto spikes = b_.spike_times(t0 + reps_ * period_us_ - core.now_us());
  read_rows(pass, fin, b.clipped);
  for (int ch = 0; ch < 2; ++ch) {
    b.stored[ch] = zero[ch];
    for (int h = 0; h < halves_; ++h)
      for (std::size_t k = 0; k < fin[ch][h].size(); ++k) {
        b.stored[ch][h][k] = zero[ch][h][k] - fin[ch][h][k];
        b.clipped[h][k] |= zclip[h][k];
      }
  }
  post_times(b, spikes, t0);
  return b;
}

void SensorCalibrator::solve(const Pass& pass, const Block& a, const Block& b) {
  // Block a: near causal, far acausal; block b: far causal, near acausal.
  const double lat = chip_.buses.latency_us, range = chip_.sensors.range_lsb;
  for (int h = 0; h < halves_; ++h)
    for (std::size_t i = 0; i < pass.measured_drivers.size(); ++i) {
      const double o = send_offset(h, static_cast<int>(i)) + lat;
      const int d = pass.measured_drivers[i];
      for (int row = d * rpd_; row < (d + 1) * rpd_; ++row)
        for (int c = 0; c < cols_; ++c) {
          const int k = row * cols_ + c;
          const bool ok = !a.bad[h][c] && !b.bad[h][c] && a.reps[h][c] >= reps_ / 2 &&
                          b.reps[h][c] >= reps_ / 2;
          const int clip = a.clipped[h][k] | b.clipped[h][k];
          // ch 0 causal: Δt = post − pre; ch 1 acausal: Δt = pre − post.
          const double dn[2] = {a.u_causal[h][c] - (a.early_us + o),
                                (b.late_us + o) - b.w_acausal[h][c]};
          const double df[2] = {b.u_causal[h][c] - (b.early_us + o),
                                (a.late_us + o) - a.w_acausal[h][c]};
          const double vn[2] = {a.stored[0][h][k] / a.reps[h][c], b.stored[1][h][k] / b.reps[h][c]};
          const double vf[2] = {b.stored[0][h][k] / b.reps[h][c], a.stored[1][h][k] / a.reps[h][c]};
          const double sn[2] = {a.stored[0][h][k], b.stored[1][h][k]};
          for (int ch = 0; ch < 2; ++ch) {
            const double inv_tau = std::log(vn[ch] / vf[ch]) / (df[ch] - dn[ch]);
            const bool good = ok && !(clip & (1 << ch)) && vf[ch] > 0 && vn[ch] > vf[ch] &&
                              sn[ch] < 0.9 * range && std::isfinite(inv_tau) && inv_tau > 0;
            m_.tau_us[ch][h][k] = good ? static_cast<float>(1 / inv_tau) : NAN;
            m_.amplitude_lsb[ch][h][k] =
                good ? static_cast<float>(vn[ch] * std::exp(dn[ch] * inv_tau)) : NAN;
          }
        }
    }
}

void SensorCalibrator::run(SensorCalibration& out) {
  for (int ch = 0; ch < 2; ++ch) {
    m_.amplitude_lsb[ch].assign(halves_, std::vector<float>(rows_ * cols_, NAN));
    m_.tau_us[ch].assign(halves_, std::vector<float>(rows_ * cols_, NAN));
  }
  const int drivers = rows_ / rpd_;
  const int trig = std::max(1, std::min(drivers / 2, static_cast<int>(kTriggerRows) / rpd_));
  Pass first, second;
  for (int d = 0; d < drivers; ++d) {
    (d >= drivers - trig ? first.trigger_drivers : first.measured_drivers).push_back(d);
    if (d < trig) second.trigger_drivers.push_back(d);
    if (d >= drivers - trig) second.measured_drivers.push_back(d);
  }
  for (const Pass* p : {&first, &second}) {
    wire(*p);
    // Near pairs: the pre block ends 0.3 µs before the trigger reaches the synapses, or starts
    // 0.3 µs after the latest post spike of any neuron in a probe (its response to the trigger).
    AnalogCore& core = b_.core();
    const double t0 = core.now_us() + 5.0;
    core.add_playback(schedule(p->trigger_drivers, {}, halves_, rpd_, buses_, t0, kProbeReps,
                               period_us_, spacing_us_, 0, 0, false));
    const auto probe = b_.spike_times(t0 + kProbeReps * period_us_ - core.now_us());
    // Per neuron its latest spike after a trigger; the 95th percentile over the neurons sets the
    // near acausal block (a neuron firing later is not used: its column is flagged).
    std::vector<double> w;
    for (int i = 0; i < halves_ * cols_; ++i) {
      double latest = -1;
      for (double t : probe[i]) latest = std::max(latest, std::fmod(t - t0, period_us_));
      if (latest >= 0) w.push_back(latest);
    }
    std::sort(w.begin(), w.end());
    const double w_hi = w.empty() ? 3.0 : w[static_cast<std::size_t>(0.95 * (w.size() - 1))];
    const double late_near = w_hi + chip_.sensors.post_delay_us - chip_.buses.latency_us + 0.3;
    const double early_near = -span_us_ - 0.3;
    const Block a = measure_block(*p, early_near, late_near + kFarUs);
    const Block b = measure_block(*p, early_near - kFarUs, late_near);
    for (const Block* x : {&a, &b})
      for (const auto& h : x->bad)
        m_.bad_columns += static_cast<int>(std::count(h.begin(), h.end(), 1));
    solve(*p, a, b);
  }
  m_.posts_per_trigger = posts_n_ > 0 ? posts_sum_ / posts_n_ : 0;
  // Global values (medians) and the trims.
  std::vector<double> amp[2], tau[2], amp_mean, tau_mean;
  out.unmeasured = 0;
  for (int h = 0; h < halves_; ++h)
    for (int k = 0; k < rows_ * cols_; ++k) {
      for (int ch = 0; ch < 2; ++ch) {
        amp[ch].push_back(m_.amplitude_lsb[ch][h][k]);
        tau[ch].push_back(m_.tau_us[ch][h][k]);
      }
      // A channel the CADC cannot read (baseline at the top code): the other one alone.
      amp_mean.push_back(channel_mean(amp[0].back(), amp[1].back()));
      tau_mean.push_back(channel_mean(tau[0].back(), tau[1].back()));
      out.unmeasured += std::isfinite(amp_mean.back()) ? 0 : 1;
    }
  out.amplitude_causal_lsb = median(amp[0]);
  out.amplitude_acausal_lsb = median(amp[1]);
  out.tau_causal_us = median(tau[0]);
  out.tau_acausal_us = median(tau[1]);
  out.columns = cols_;
  const SensorConfig& sc = chip_.sensors;
  std::vector<std::uint8_t> ta, tt;
  out.amplitude_target_lsb =
      choose_trims(amp_mean, sc.trim_bits, sc.trim_step_amplitude, 0.0,
                   std::numeric_limits<double>::infinity(), sc.amplitude_lsb, ta);
  out.tau_target_us = choose_trims(tau_mean, sc.trim_bits, sc.trim_step_tau, sc.tau_min_us,
                                   sc.tau_max_us, sc.tau_us, tt);
  out.amplitude_trim.assign(halves_, {});
  out.tau_trim.assign(halves_, {});
  for (int h = 0; h < halves_; ++h) {
    out.amplitude_trim[h].assign(ta.begin() + h * rows_ * cols_,
                                 ta.begin() + (h + 1) * rows_ * cols_);
    out.tau_trim[h].assign(tt.begin() + h * rows_ * cols_, tt.begin() + (h + 1) * rows_ * cols_);
  }
}

}  // namespace salvo::calibration
