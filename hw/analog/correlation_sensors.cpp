#include "hw/analog/correlation_sensors.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

#include "hw/common/error.hpp"

#if defined(__x86_64__) && defined(__GNUC__)
#include <emmintrin.h>
#endif

namespace salvo {

namespace {

// GCC vector extensions: the sweep loops below need float exp and masked selects, which GCC -O2
// (very-cheap cost model, no -ffast-math) does not vectorise on its own. Element-wise the
// operations are the same IEEE float operations as the scalar tail (no FMA contraction: ISO
// C++ mode, and the AVX2 variant does not enable FMA), so results depend neither on where a
// synapse falls in a block nor on which variant runs.
// 8-lane blocks: one AVX2 register, or two SSE2 registers on baseline x86-64.
// -Wpsabi: the 32-byte vector helpers are internal and always inlined, no ABI boundary. GCC
// reports it at the end of the file, so it stays off for this file (no push/pop).
#pragma GCC diagnostic ignored "-Wpsabi"
typedef float V8f __attribute__((vector_size(32)));
typedef std::int32_t V8i __attribute__((vector_size(32)));
typedef double V4d __attribute__((vector_size(32)));

typedef float V4f __attribute__((vector_size(16)));
typedef std::int32_t V4i __attribute__((vector_size(16)));

// Same steps and constants as detail::exp_nonpositive, on a vector of floats VF (VI: the int
// vector of the same lane count).
template <class VF, class VI>
__attribute__((always_inline)) inline VF exp_nonpositive_v(VF x) {
  const VF zero = {};
  const VF one = zero + 1.0f;
  const VF lo = zero - 87.0f;
  const VI under = x < lo;
  const VF below = under ? zero : one;
  x = under ? lo : x;
  const float kMagic = 12582912.0f;
  const VF n = (x * 1.44269504088896341f + kMagic) - kMagic;
  VF r = x - n * 0.693359375f;
  r = r + n * 2.12194440e-4f;
  VF p = zero + 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  const VI bits = (__builtin_convertvector(n, VI) + 127) << 23;
  VF scale;
  std::memcpy(&scale, &bits, sizeof scale);
  return p * scale * below;
}

// Whether any lane of a compare result is set (all ones).
template <class VI>
__attribute__((always_inline)) inline bool any_lane(VI m) {
#if defined(__x86_64__) && defined(__GNUC__)
  V4i m4;
  if constexpr (sizeof(VI) == 32) {
    m4 = __builtin_shufflevector(m, m, 0, 1, 2, 3) | __builtin_shufflevector(m, m, 4, 5, 6, 7);
  } else {
    static_assert(sizeof(VI) == 16, "4- or 8-lane blocks");
    m4 = m;
  }
  __m128 f;  // baseline SSE2 movmskps, usable from every variant
  std::memcpy(&f, &m4, sizeof f);
  return _mm_movemask_ps(f) != 0;
#else
  std::int32_t any = 0;
  for (std::size_t k = 0; k < sizeof(VI) / sizeof(std::int32_t); ++k) any |= m[k];
  return any != 0;
#endif
}

// The lanes of one block: pair mask, kernel, saturating add (dt, since_prev as float vectors).
template <class VF, class VI>
__attribute__((always_inline)) inline void pair_block(float* acc, const float* amp,
                                                      const float* nit, VF dt, VF since_prev,
                                                      float range) {
  const VF zero = {};
  const VI pairs = (dt > zero) & (since_prev > zero);
  // A block where no synapse pairs would add exact zeros: skip it (partners that never fired
  // or fired before this side's previous spike; common when only part of a row is active).
  if (!any_lane(pairs)) return;
  const VF pair = pairs ? (zero + 1.0f) : zero;
  VF a, k, x;
  std::memcpy(&a, amp, sizeof a);
  std::memcpy(&k, nit, sizeof k);
  std::memcpy(&x, acc, sizeof x);
  const VF v = x + pair * a * exp_nonpositive_v<VF, VI>(dt * k);
  const VF out = v < range ? v : (zero + range);
  std::memcpy(acc, &out, sizeof out);
}

// One pre (or post) spike at t_us against the last partner spike times `partner` of a row (or
// column): a pair where the partner fired after t_prev (this side's previous spike) and
// strictly before t_us (Δt = 0 adds nothing, as the reference code's kernel is 0 there).
// Branch-free inside a block; a block without any pair is skipped — first by `block_last`, the
// latest partner spike of each 8 partners (none of them after t_prev: no pair), then lane by lane.
// W = 8 lanes for AVX2 (one register), W = 4 for baseline SSE2 (GCC splits 8-lane vectors
// poorly without AVX). The pairing test runs on float differences (double-vector compares lower
// badly on SSE2): both differences are >= 1e-10 µs or exactly 0 for any realistic time, far
// above float underflow, and NaN (−inf − −inf: never fired) compares false.
template <int W>
__attribute__((always_inline)) inline void pair_sweep_body(
    float* __restrict acc, const float* __restrict amp, const float* __restrict nit,
    const double* __restrict partner, const double* __restrict block_last, int n, double t_prev,
    double t_us, float range) {
  static_assert(detail::kSweepGroup % W == 0, "a lane block lies inside one partner group");
  int i = 0;
  for (; i + W <= n; i += W) {
    if (!(block_last[i / detail::kSweepGroup] > t_prev)) continue;
    V4d tp0;
    std::memcpy(&tp0, partner + i, sizeof tp0);
    const V4f dt0 = __builtin_convertvector(t_us - tp0, V4f);
    const V4f sp0 = __builtin_convertvector(tp0 - t_prev, V4f);
    if constexpr (W == 8) {
      V4d tp1;
      std::memcpy(&tp1, partner + i + 4, sizeof tp1);
      const V4f dt1 = __builtin_convertvector(t_us - tp1, V4f);
      const V4f sp1 = __builtin_convertvector(tp1 - t_prev, V4f);
      const V8f dt = __builtin_shufflevector(dt0, dt1, 0, 1, 2, 3, 4, 5, 6, 7);
      const V8f since_prev = __builtin_shufflevector(sp0, sp1, 0, 1, 2, 3, 4, 5, 6, 7);
      pair_block<V8f, V8i>(acc + i, amp + i, nit + i, dt, since_prev, range);
    } else {
      pair_block<V4f, V4i>(acc + i, amp + i, nit + i, dt0, sp0, range);
    }
  }
  for (; i < n; ++i) {
    const double tp = partner[i];
    const float dt = static_cast<float>(t_us - tp);
    const float since_prev = static_cast<float>(tp - t_prev);
    const float pair = (dt > 0.0f && since_prev > 0.0f) ? 1.0f : 0.0f;
    const float inc = pair * amp[i] * detail::exp_nonpositive(dt * nit[i]);
    const float v = acc[i] + inc;
    acc[i] = v < range ? v : range;
  }
}

void pair_sweep_generic(float* acc, const float* amp, const float* nit, const double* partner,
                        const double* block_last, int n, double t_prev, double t_us, float range) {
  pair_sweep_body<4>(acc, amp, nit, partner, block_last, n, t_prev, t_us, range);
}

#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target("avx2"))) void pair_sweep_avx2(float* acc, const float* amp, const float* nit,
                                                     const double* partner,
                                                     const double* block_last, int n, double t_prev,
                                                     double t_us, float range) {
  pair_sweep_body<8>(acc, amp, nit, partner, block_last, n, t_prev, t_us, range);
}
#endif

using SweepFn = void (*)(float*, const float*, const float*, const double*, const double*, int,
                         double, double, float);

SweepFn select_sweep(bool allow_avx2) {
#if defined(__x86_64__) && defined(__GNUC__)
  if (allow_avx2 && __builtin_cpu_supports("avx2")) return pair_sweep_avx2;
#endif
  (void)allow_avx2;
  return pair_sweep_generic;
}

SweepFn g_sweep = select_sweep(true);

inline void pair_sweep(float* acc, const float* amp, const float* nit, const double* partner,
                       const double* block_last, int n, double t_prev, double t_us, float range) {
  g_sweep(acc, amp, nit, partner, block_last, n, t_prev, t_us, range);
}

}  // namespace

namespace detail {
bool use_wide_sweep(bool allow) {
  g_sweep = select_sweep(allow);
  return g_sweep != pair_sweep_generic;
}
}  // namespace detail

CorrelationSensorParams CorrelationSensorParams::from_config(const ChipConfig& chip) {
  CorrelationSensorParams p;
  p.rows = chip.synapses.rows_per_half;
  p.columns = chip.neurons.per_half;
  const SensorConfig& s = chip.sensors;
  p.tau_us = s.tau_us;
  p.tau_min_us = s.tau_min_us;
  p.tau_max_us = s.tau_max_us;
  p.amplitude_lsb = s.amplitude_lsb;
  p.trim_bits = s.trim_bits;
  p.trim_step_tau = s.trim_step_tau;
  p.trim_step_amplitude = s.trim_step_amplitude;
  p.baseline_lsb = s.baseline_lsb;
  p.range_lsb = s.range_lsb;
  p.drift_lsb_per_ms = s.drift_lsb_per_ms;
  p.reset_time_us = s.reset_time_us;
  p.sigma_amplitude = chip.mismatch.sensor_amplitude * chip.mismatch.scale;
  p.sigma_tau = chip.mismatch.sensor_tau * chip.mismatch.scale;
  p.readout_noise_lsb = chip.noise.sensor_readout_lsb;
  return p;
}

void CorrelationSensorParams::validate() const {
  auto bad = [](const std::string& key, const std::string& allowed) {
    throw UserError("chip config: " + key + " must be " + allowed);
  };
  if (rows < 1) bad("chip.synapses.rows_per_half", ">= 1");
  if (columns < 1) bad("chip.neurons.per_half", ">= 1");
  if (!(tau_min_us > 0.0)) bad("chip.sensors.tau_min_us", "> 0");
  if (!(tau_max_us >= tau_min_us)) bad("chip.sensors.tau_max_us", ">= chip.sensors.tau_min_us");
  if (!(tau_us >= tau_min_us && tau_us <= tau_max_us))
    bad("chip.sensors.tau_us", "within [tau_min_us, tau_max_us]");
  if (!(amplitude_lsb >= 0.0)) bad("chip.sensors.amplitude_lsb", ">= 0");
  if (trim_bits < 1 || trim_bits > 8) bad("chip.sensors.trim_bits", "in 1..8");
  const double half_codes = static_cast<double>(1 << (trim_bits - 1));
  if (!(trim_step_tau >= 0.0 && trim_step_tau * half_codes < 1.0))
    bad("chip.sensors.trim_step_tau", ">= 0 and < 1/2^(trim_bits-1)");
  if (!(trim_step_amplitude >= 0.0 && trim_step_amplitude * half_codes < 1.0))
    bad("chip.sensors.trim_step_amplitude", ">= 0 and < 1/2^(trim_bits-1)");
  if (!(range_lsb >= 0.0)) bad("chip.sensors.range_lsb", ">= 0");
  if (!(drift_lsb_per_ms >= 0.0)) bad("chip.sensors.drift_lsb_per_ms", ">= 0");
  if (!(drift_tau_ms >= 0.0)) bad("chip.sensors.drift_tau_ms", ">= 0 (0 = no exponential drift)");
  if (!(sigma_amplitude >= 0.0)) bad("chip.mismatch.sensor_amplitude", ">= 0");
  if (!(sigma_tau >= 0.0)) bad("chip.mismatch.sensor_tau", ">= 0");
  if (!(readout_noise_lsb >= 0.0)) bad("chip.noise.sensor_readout_lsb", ">= 0");
}

CorrelationSensors::CorrelationSensors(const CorrelationSensorParams& params, std::uint64_t seed,
                                       int half)
    : p_(params),
      rows_(params.rows),
      cols_(params.columns),
      drift_on_(params.drift_lsb_per_ms > 0.0 || params.drift_tau_ms > 0.0),
      drift_rate_lsb_per_us_(params.drift_lsb_per_ms * 1e-3),
      drift_tau_us_(params.drift_tau_ms * 1e3),
      range_(static_cast<float>(params.range_lsb)),
      noise_engine_(make_engine(seed, Stream::kSensorNoise, static_cast<std::uint64_t>(half))) {
  p_.validate();
  if (half < 0) throw InternalError("CorrelationSensors: negative half index");
  const std::size_t n = static_cast<std::size_t>(rows_) * static_cast<std::size_t>(cols_);
  acausal_acc_.assign(n, 0.0f);
  acausal_amp_.assign(n, 0.0f);
  acausal_neg_inv_tau_.assign(n, 0.0f);
  causal_acc_.assign(n, 0.0f);
  causal_amp_.assign(n, 0.0f);
  causal_neg_inv_tau_.assign(n, 0.0f);
  if (drift_on_) {
    acausal_touch_us_.assign(n, 0.0);
    causal_touch_us_.assign(n, 0.0);
  }
  last_pre_us_.assign(static_cast<std::size_t>(rows_), kNever);
  last_post_us_.assign(static_cast<std::size_t>(cols_), kNever);
  last_pre_group_us_.assign(
      static_cast<std::size_t>((rows_ + detail::kSweepGroup - 1) / detail::kSweepGroup), kNever);
  last_post_group_us_.assign(
      static_cast<std::size_t>((cols_ + detail::kSweepGroup - 1) / detail::kSweepGroup), kNever);
  amp_trim_.assign(n, static_cast<std::uint8_t>(nominal_trim_code()));
  tau_trim_.assign(n, static_cast<std::uint8_t>(nominal_trim_code()));
  enable_.assign(n, 1);

  // One engine per drawn quantity so switching one spread off (σ = 0; draw_normal still
  // consumes the engine) or adding a quantity never shifts the others.
  const double sigma[4] = {p_.sigma_amplitude, p_.sigma_tau, p_.sigma_amplitude, p_.sigma_tau};
  std::vector<float>* dest[4] = {&amp_mm_[0], &tau_mm_[0], &amp_mm_[1], &tau_mm_[1]};
  for (int q = 0; q < 4; ++q) {
    Engine eng = make_engine(seed, Stream::kSensorMismatch,
                             4 * static_cast<std::uint64_t>(half) + static_cast<std::uint64_t>(q));
    std::vector<float>& v = *dest[q];
    v.resize(n);
    for (std::size_t i = 0; i < n; ++i) {
      // A factor below 0 would invert the circuit; it is clipped (a > 5σ event at 20 %).
      v[i] = static_cast<float>(std::max(0.0, 1.0 + draw_normal(eng, sigma[q])));
    }
  }
  for (int r = 0; r < rows_; ++r)
    for (int c = 0; c < cols_; ++c) refresh_synapse(r, c);
}

double CorrelationSensors::amplitude_lsb(SensorChannel ch, int row, int col) const {
  check_row(row);
  check_col(col);
  const std::size_t i = idx_rc(row, col);
  const int k = static_cast<int>(amp_trim_[i]) - nominal_trim_code();
  return p_.amplitude_lsb * static_cast<double>(amp_mm_[static_cast<int>(ch)][i]) *
         (1.0 + p_.trim_step_amplitude * k);
}

double CorrelationSensors::tau_us(SensorChannel ch, int row, int col) const {
  check_row(row);
  check_col(col);
  const std::size_t i = idx_rc(row, col);
  const int k = static_cast<int>(tau_trim_[i]) - nominal_trim_code();
  const double tau = p_.tau_us * static_cast<double>(tau_mm_[static_cast<int>(ch)][i]) *
                     (1.0 + p_.trim_step_tau * k);
  return std::clamp(tau, p_.tau_min_us, p_.tau_max_us);
}

double CorrelationSensors::amplitude_mismatch(SensorChannel ch, int row, int col) const {
  check_row(row);
  check_col(col);
  return amp_mm_[static_cast<int>(ch)][idx_rc(row, col)];
}

double CorrelationSensors::tau_mismatch(SensorChannel ch, int row, int col) const {
  check_row(row);
  check_col(col);
  return tau_mm_[static_cast<int>(ch)][idx_rc(row, col)];
}

void CorrelationSensors::refresh_synapse(int row, int col) {
  const std::size_t rc = idx_rc(row, col);
  const std::size_t cr = idx_cr(row, col);
  const bool on = enable_[rc] != 0;
  causal_amp_[cr] = on ? static_cast<float>(amplitude_lsb(SensorChannel::kCausal, row, col)) : 0.0f;
  causal_neg_inv_tau_[cr] = static_cast<float>(-1.0 / tau_us(SensorChannel::kCausal, row, col));
  acausal_amp_[rc] =
      on ? static_cast<float>(amplitude_lsb(SensorChannel::kAcausal, row, col)) : 0.0f;
  acausal_neg_inv_tau_[rc] = static_cast<float>(-1.0 / tau_us(SensorChannel::kAcausal, row, col));
}

void CorrelationSensors::check_row(int row) const {
  if (row < 0 || row >= rows_)
    throw InternalError("CorrelationSensors: row " + std::to_string(row) + " outside 0.." +
                        std::to_string(rows_ - 1));
}

void CorrelationSensors::check_col(int col) const {
  if (col < 0 || col >= cols_)
    throw InternalError("CorrelationSensors: column " + std::to_string(col) + " outside 0.." +
                        std::to_string(cols_ - 1));
}

void CorrelationSensors::check_time(double t_us) {
  if (!(t_us >= t_latest_us_))
    throw InternalError("CorrelationSensors: event at t=" + std::to_string(t_us) +
                        " us after one at t=" + std::to_string(t_latest_us_) +
                        " us (events must come in time order)");
  t_latest_us_ = t_us;
}

double CorrelationSensors::drifted(double acc, double dt_us) const {
  if (!(dt_us > 0.0) || acc <= 0.0) return acc;
  double x;
  if (drift_tau_us_ > 0.0) {
    // dx/dt = −x/τ − r  →  x(t) = (x0 + rτ)·e^(−t/τ) − rτ
    const double rt = drift_rate_lsb_per_us_ * drift_tau_us_;
    x = (acc + rt) * std::exp(-dt_us / drift_tau_us_) - rt;
  } else {
    x = acc - drift_rate_lsb_per_us_ * dt_us;
  }
  return x > 0.0 ? x : 0.0;
}

void CorrelationSensors::on_pre(int row, double t_us) {
  check_row(row);
  check_time(t_us);
  const std::size_t r = static_cast<std::size_t>(row);
  const double t_prev_pre = last_pre_us_[r];
  last_pre_us_[r] = t_us;
  last_pre_group_us_[r / detail::kSweepGroup] =
      t_us;  // events come in time order: the group's latest
  const std::size_t base = r * static_cast<std::size_t>(cols_);
  float* __restrict acc = acausal_acc_.data() + base;
  const float* __restrict amp = acausal_amp_.data() + base;
  const float* __restrict nit = acausal_neg_inv_tau_.data() + base;
  const double* __restrict post = last_post_us_.data();
  const float range = range_;
  const int n = cols_;
  if (!drift_on_) {
    pair_sweep(acc, amp, nit, post, last_post_group_us_.data(), n, t_prev_pre, t_us, range);
  } else {
    double* touch = acausal_touch_us_.data() + base;
    for (int c = 0; c < n; ++c) {
      const double tp = post[c];
      if (!(tp > t_prev_pre && tp < t_us) || amp[c] == 0.0f) continue;
      const float inc = amp[c] * detail::exp_nonpositive(static_cast<float>(t_us - tp) * nit[c]);
      const double v = drifted(acc[c], t_us - touch[c]) + inc;
      acc[c] = static_cast<float>(std::min(v, static_cast<double>(range)));
      touch[c] = t_us;
    }
  }
}

void CorrelationSensors::on_post(int col, double t_us) {
  check_col(col);
  check_time(t_us);
  const std::size_t c = static_cast<std::size_t>(col);
  const double t_prev_post = last_post_us_[c];
  last_post_us_[c] = t_us;
  last_post_group_us_[c / detail::kSweepGroup] = t_us;
  const std::size_t base = c * static_cast<std::size_t>(rows_);
  float* __restrict acc = causal_acc_.data() + base;
  const float* __restrict amp = causal_amp_.data() + base;
  const float* __restrict nit = causal_neg_inv_tau_.data() + base;
  const double* __restrict pre = last_pre_us_.data();
  const float range = range_;
  const int n = rows_;
  if (!drift_on_) {
    pair_sweep(acc, amp, nit, pre, last_pre_group_us_.data(), n, t_prev_post, t_us, range);
  } else {
    double* touch = causal_touch_us_.data() + base;
    for (int r = 0; r < n; ++r) {
      const double tp = pre[r];
      if (!(tp > t_prev_post && tp < t_us) || amp[r] == 0.0f) continue;
      const float inc = amp[r] * detail::exp_nonpositive(static_cast<float>(t_us - tp) * nit[r]);
      const double v = drifted(acc[r], t_us - touch[r]) + inc;
      acc[r] = static_cast<float>(std::min(v, static_cast<double>(range)));
      touch[r] = t_us;
    }
  }
}

double CorrelationSensors::accumulated_lsb(SensorChannel ch, int row, int col, double t_us) const {
  check_row(row);
  check_col(col);
  if (ch == SensorChannel::kCausal) {
    const std::size_t i = idx_cr(row, col);
    const double a = causal_acc_[i];
    return drift_on_ ? drifted(a, t_us - causal_touch_us_[i]) : a;
  }
  const std::size_t i = idx_rc(row, col);
  const double a = acausal_acc_[i];
  return drift_on_ ? drifted(a, t_us - acausal_touch_us_[i]) : a;
}

void CorrelationSensors::read_row(int row, double t_us, float* causal_lsb, float* acausal_lsb) {
  check_row(row);
  const double base = p_.baseline_lsb;
  for (int c = 0; c < cols_; ++c) {
    const std::size_t i = idx_cr(row, c);
    const double a = causal_acc_[i];
    causal_lsb[c] =
        static_cast<float>(base - (drift_on_ ? drifted(a, t_us - causal_touch_us_[i]) : a));
  }
  for (int c = 0; c < cols_; ++c) {
    const std::size_t i = idx_rc(row, c);
    const double a = acausal_acc_[i];
    acausal_lsb[c] =
        static_cast<float>(base - (drift_on_ ? drifted(a, t_us - acausal_touch_us_[i]) : a));
  }
  // Temporal noise, fixed draw order (all causal columns, then all acausal) so runs are
  // reproducible. The engine has no other consumer, so σ = 0 may skip the draws.
  const double sigma = p_.readout_noise_lsb;
  if (sigma > 0.0) {
    boost::random::normal_distribution<float> normal(0.0f, static_cast<float>(sigma));
    for (int c = 0; c < cols_; ++c) causal_lsb[c] += normal(noise_engine_);
    for (int c = 0; c < cols_; ++c) acausal_lsb[c] += normal(noise_engine_);
  }
}

void CorrelationSensors::reset_row(int row, double t_us) {
  check_row(row);
  for (int c = 0; c < cols_; ++c) {
    causal_acc_[idx_cr(row, c)] = 0.0f;
    acausal_acc_[idx_rc(row, c)] = 0.0f;
    if (drift_on_) {
      causal_touch_us_[idx_cr(row, c)] = t_us;
      acausal_touch_us_[idx_rc(row, c)] = t_us;
    }
  }
}

void CorrelationSensors::reset_all(double t_us) {
  std::fill(causal_acc_.begin(), causal_acc_.end(), 0.0f);
  std::fill(acausal_acc_.begin(), acausal_acc_.end(), 0.0f);
  if (drift_on_) {
    std::fill(causal_touch_us_.begin(), causal_touch_us_.end(), t_us);
    std::fill(acausal_touch_us_.begin(), acausal_touch_us_.end(), t_us);
  }
}

void CorrelationSensors::set_enable(int row, int col, bool on) {
  check_row(row);
  check_col(col);
  enable_[idx_rc(row, col)] = on ? 1 : 0;
  refresh_synapse(row, col);
}

bool CorrelationSensors::enabled(int row, int col) const {
  check_row(row);
  check_col(col);
  return enable_[idx_rc(row, col)] != 0;
}

void CorrelationSensors::set_trim(int row, int col, int amplitude_code, int tau_code) {
  check_row(row);
  check_col(col);
  const int max_code = (1 << p_.trim_bits) - 1;
  if (amplitude_code < 0 || amplitude_code > max_code || tau_code < 0 || tau_code > max_code)
    throw UserError("correlation sensor trim code must be in 0.." + std::to_string(max_code) +
                    " (got amplitude " + std::to_string(amplitude_code) + ", tau " +
                    std::to_string(tau_code) + ")");
  amp_trim_[idx_rc(row, col)] = static_cast<std::uint8_t>(amplitude_code);
  tau_trim_[idx_rc(row, col)] = static_cast<std::uint8_t>(tau_code);
  refresh_synapse(row, col);
}

int CorrelationSensors::amplitude_trim(int row, int col) const {
  check_row(row);
  check_col(col);
  return amp_trim_[idx_rc(row, col)];
}

int CorrelationSensors::tau_trim(int row, int col) const {
  check_row(row);
  check_col(col);
  return tau_trim_[idx_rc(row, col)];
}

}  // namespace salvo
