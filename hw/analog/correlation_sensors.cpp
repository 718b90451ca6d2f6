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
typedef std::int64_t V4l __attribute__((vector_size(32)));
constexpr double kInfD = std::numeric_limits<double>::infinity();

typedef float V4f __attribute__((vector_size(16)));
typedef std::int32_t V4i __attribute__((vector_size(16)));

// e^x for −87 <= x <= 0: the steps and constants of detail::exp_nonpositive after its clamp,
// on a vector of floats VF (VI: the int vector of the same lane count).
template <class VF, class VI>
__attribute__((always_inline)) inline VF exp_clamped_v(VF x) {
  const float kMagic = 12582912.0f;
  const VF n = (x * 1.44269504088896341f + kMagic) - kMagic;
  VF r = x - n * 0.693359375f;
  r = r + n * 2.12194440e-4f;
  VF p = (VF{} + 1.9875691500e-4f) * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  const VI bits = (__builtin_convertvector(n, VI) + 127) << 23;
  VF scale;
  std::memcpy(&scale, &bits, sizeof scale);
  return p * scale;
}

// Whether any lane of a 4 × 64-bit compare result is set (all ones).
__attribute__((always_inline)) inline bool any_lane(const V4l& m) {
  typedef std::int64_t V2l __attribute__((vector_size(16)));
  const V2l m2 = __builtin_shufflevector(m, m, 0, 1) | __builtin_shufflevector(m, m, 2, 3);
#if defined(__x86_64__) && defined(__GNUC__)
  __m128d f;  // baseline SSE2 movmskpd, usable from every variant
  std::memcpy(&f, &m2, sizeof f);
  return _mm_movemask_pd(f) != 0;
#else
  return (m2[0] | m2[1]) != 0;
#endif
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

// Four partners of pass 1: the float Δt = t_us − tp where the partner pairs (t_prev < tp <
// t_us; never = −inf does not), +inf where not; `any` set if one pairs. AVX2 (W = 8) compares
// the double times and converts once; baseline SSE2 (W = 4) compares the float differences,
// because GCC scalarises double-vector compares there. Same pairs either way: differences of
// realistic times are >= 1e-10 µs or exactly 0, far above float underflow, and NaN (−inf −
// −inf) compares false.
template <int W>
__attribute__((always_inline)) inline V4f pair_dt4(const double* partner, V4d t_prev, V4d t_us,
                                                   bool& any) {
  V4d tp;
  std::memcpy(&tp, partner, sizeof tp);
  if constexpr (W == 8) {
    const V4l pairs = (tp > t_prev) & (tp < t_us);
    any |= any_lane(pairs);
    return __builtin_convertvector(pairs ? t_us - tp : V4d{} + kInfD, V4f);
  } else {
    const V4f zero = {};
    const V4f d = __builtin_convertvector(t_us - tp, V4f);
    const V4f since_prev = __builtin_convertvector(tp - t_prev, V4f);
    const V4i pairs = (d > zero) & (since_prev > zero);
    any |= any_lane(pairs);
    return pairs ? d : zero + static_cast<float>(kInfD);
  }
}

// Pass 1 of a sweep, per 8-partner block b with a partner that fired after t_prev
// (`group_last`): Δt of every partner (pair_dt4) into `dt`, and b appended to `blocks` where at
// least one partner pairs; the hot lines of listed blocks are prefetched. Returns the number of
// blocks listed.
template <int W>
__attribute__((always_inline)) inline int pair_deltas(
    const float* line, const double* __restrict partner, const double* __restrict group_last,
    int n_pad, double t_prev, double t_us, float* __restrict dt, std::int32_t* __restrict blocks) {
  constexpr int kG = detail::kSweepGroup;
  // Broadcast once (GCC builds a V4d from a scalar through the stack on SSE2).
  const V4d t_prev_v = V4d{} + t_prev, t_us_v = V4d{} + t_us;
  int count = 0;
  for (int b = 0; b < n_pad / kG; ++b) {
    if (!(group_last[b] > t_prev)) continue;
    // The hot block (1.5 cache lines) is likely in L3 only: fetch it while pass 1 goes on.
    const float* blk = line + detail::kHotBlockFloats * b;
    __builtin_prefetch(blk, 1);
    __builtin_prefetch(blk + detail::kHotBlockFloats - 1, 1);
    bool any = false;
    for (int h = 0; h < kG; h += 4) {
      const V4f out = pair_dt4<W>(partner + kG * b + h, t_prev_v, t_us_v, any);
      std::memcpy(dt + kG * b + h, &out, sizeof out);
    }
    blocks[count] = b;
    count += any ? 1 : 0;
  }
  return count;
}

// Pass 2, the lanes of one block: acc += A·e^(Δt·(−1/τ)), saturating at range. Δt = +inf (no
// pair) gives an exponent below −87: the lane adds an exact +0. Bit-identical to the scalar
// form acc + (pair·A)·(e^x·below) with pair, below ∈ {0, 1} (A, e^x finite and >= 0): the
// factor `below` is folded into A instead of multiplied in.
template <class VF, class VI>
__attribute__((always_inline)) inline VF pair_kernel(VF x0, VF a, VF k, VF d, float range) {
  const VF zero = {};
  const VF lo = zero - 87.0f;
  VF x = d * k;
  const VI under = x < lo;
  x = under ? lo : x;
  const VF a_eff = under ? zero : a;
  const VF v = x0 + exp_clamped_v<VF, VI>(x) * a_eff;
  return v < range ? v : (zero + range);
}

template <class VF, class VI>
__attribute__((always_inline)) inline void pair_lanes(float* acc, const float* d, float range) {
  constexpr int kG = detail::kSweepGroup;
  VF dv, a, k, x0;
  std::memcpy(&dv, d, sizeof dv);
  std::memcpy(&a, acc + kG, sizeof a);
  std::memcpy(&k, acc + 2 * kG, sizeof k);
  std::memcpy(&x0, acc, sizeof x0);
  const VF out = pair_kernel<VF, VI>(x0, a, k, dv, range);
  std::memcpy(acc, &out, sizeof out);
}

// K blocks at once (AVX2): K independent dependency chains in one basic block, which the
// compiler interleaves; one block alone is latency-bound.
template <int K>
__attribute__((always_inline)) inline void pair_lanes_k(float* line, const float* dt,
                                                        const std::int32_t* blocks, float range) {
  constexpr int kG = detail::kSweepGroup;
  V8f out[K];
  for (int j = 0; j < K; ++j) {
    const float* acc = line + detail::kHotBlockFloats * blocks[j];
    V8f dv, a, k, x;
    std::memcpy(&dv, dt + kG * blocks[j], sizeof dv);
    std::memcpy(&a, acc + kG, sizeof a);
    std::memcpy(&k, acc + 2 * kG, sizeof k);
    std::memcpy(&x, acc, sizeof x);
    out[j] = pair_kernel<V8f, V8i>(x, a, k, dv, range);
  }
  for (int j = 0; j < K; ++j)
    std::memcpy(line + detail::kHotBlockFloats * blocks[j], &out[j], sizeof out[j]);
}

// One pre (or post) spike at t_us against the last partner spike times `partner` of a row (or
// column) whose interleaved hot blocks start at `line`: a pair where the partner fired after
// t_prev (this side's previous spike) and strictly before t_us (Δt = 0 adds nothing, as the
// reference code's kernel is 0 there). Pass 1 lists the blocks with a pair, pass 2 runs the
// kernel over them without data-dependent branches. W = 8 lanes for AVX2 (one register), W = 4
// for baseline SSE2 (GCC splits 8-lane vectors poorly without AVX).
template <int W>
__attribute__((always_inline)) inline void pair_sweep_body(float* __restrict line,
                                                           const double* __restrict partner,
                                                           const double* __restrict group_last,
                                                           int n_pad, double t_prev, double t_us,
                                                           float range, float* __restrict dt,
                                                           std::int32_t* __restrict blocks) {
  const int count = pair_deltas<W>(line, partner, group_last, n_pad, t_prev, t_us, dt, blocks);
  constexpr int kG = detail::kSweepGroup;
  constexpr int kB = detail::kHotBlockFloats;
  constexpr int KK = 2;
  int i = 0;
  if constexpr (W == 8) {
    for (; i + KK <= count; i += KK) pair_lanes_k<KK>(line, dt, blocks + i, range);
  }
  for (; i < count; ++i) {
    for (int h = 0; h < kG; h += W) {
      float* acc = line + kB * blocks[i] + h;
      const float* d = dt + kG * blocks[i] + h;
      if constexpr (W == 8) {
        pair_lanes<V8f, V8i>(acc, d, range);
      } else {
        pair_lanes<V4f, V4i>(acc, d, range);
      }
    }
  }
}

void pair_sweep_generic(float* line, const double* partner, const double* group_last, int n_pad,
                        double t_prev, double t_us, float range, float* dt, std::int32_t* blocks) {
  pair_sweep_body<4>(line, partner, group_last, n_pad, t_prev, t_us, range, dt, blocks);
}

#if defined(__x86_64__) && defined(__GNUC__) && !defined(SALVO_NO_WIDE_ISA)
__attribute__((target("avx2"))) void pair_sweep_avx2(float* line, const double* partner,
                                                     const double* group_last, int n_pad,
                                                     double t_prev, double t_us, float range,
                                                     float* dt, std::int32_t* blocks) {
  pair_sweep_body<8>(line, partner, group_last, n_pad, t_prev, t_us, range, dt, blocks);
}
#endif

using SweepFn = void (*)(float*, const double*, const double*, int, double, double, float, float*,
                         std::int32_t*);

SweepFn select_sweep(bool allow_avx2) {
#if defined(__x86_64__) && defined(__GNUC__) && !defined(SALVO_NO_WIDE_ISA)
  if (allow_avx2 && __builtin_cpu_supports("avx2")) return pair_sweep_avx2;
#endif
  (void)allow_avx2;
  return pair_sweep_generic;
}

SweepFn g_sweep = select_sweep(true);

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
      rows_pad_((params.rows + detail::kSweepGroup - 1) / detail::kSweepGroup *
                detail::kSweepGroup),
      cols_pad_((params.columns + detail::kSweepGroup - 1) / detail::kSweepGroup *
                detail::kSweepGroup),
      noise_engine_(
          make_bulk_engine(seed, Stream::kSensorNoise, static_cast<std::uint64_t>(half))) {
  p_.validate();
  if (half < 0) throw InternalError("CorrelationSensors: negative half index");
  const std::size_t n = static_cast<std::size_t>(rows_) * static_cast<std::size_t>(cols_);
  const std::size_t n_acausal =
      static_cast<std::size_t>(rows_) * static_cast<std::size_t>(cols_pad_);
  const std::size_t n_causal =
      static_cast<std::size_t>(cols_) * static_cast<std::size_t>(rows_pad_);
  // Padding synapses: A = 0, −1/τ = −1 (refresh_synapse overwrites every real one).
  auto init_hot = [](HotVector& hot, std::size_t synapses) {
    hot.assign(synapses / detail::kSweepGroup * detail::kHotBlockFloats, 0.0f);
    for (std::size_t i = 2 * detail::kSweepGroup; i < hot.size(); i += detail::kHotBlockFloats)
      std::fill_n(hot.begin() + static_cast<std::ptrdiff_t>(i), detail::kSweepGroup, -1.0f);
  };
  init_hot(acausal_hot_, n_acausal);
  init_hot(causal_hot_, n_causal);
  if (drift_on_) {
    acausal_touch_us_.assign(n_acausal, 0.0);
    causal_touch_us_.assign(n_causal, 0.0);
  }
  last_pre_us_.assign(static_cast<std::size_t>(rows_pad_), kNever);
  last_post_us_.assign(static_cast<std::size_t>(cols_pad_), kNever);
  last_pre_group_us_.assign(static_cast<std::size_t>(rows_pad_ / detail::kSweepGroup), kNever);
  last_post_group_us_.assign(static_cast<std::size_t>(cols_pad_ / detail::kSweepGroup), kNever);
  sweep_dt_.assign(static_cast<std::size_t>(std::max(rows_pad_, cols_pad_)), 0.0f);
  sweep_blocks_.assign(sweep_dt_.size() / detail::kSweepGroup, 0);
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
  const bool on = enable_[idx_rc(row, col)] != 0;
  constexpr std::size_t kAmp = detail::kSweepGroup, kNit = 2 * detail::kSweepGroup;
  const std::size_t c = causal_at(row, col);
  const std::size_t a = acausal_at(row, col);
  causal_hot_[c + kAmp] =
      on ? static_cast<float>(amplitude_lsb(SensorChannel::kCausal, row, col)) : 0.0f;
  causal_hot_[c + kNit] = static_cast<float>(-1.0 / tau_us(SensorChannel::kCausal, row, col));
  acausal_hot_[a + kAmp] =
      on ? static_cast<float>(amplitude_lsb(SensorChannel::kAcausal, row, col)) : 0.0f;
  acausal_hot_[a + kNit] = static_cast<float>(-1.0 / tau_us(SensorChannel::kAcausal, row, col));
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

void CorrelationSensors::drift_sweep(float* line, double* touch, const double* partner, int n,
                                     double t_prev, double t_us) {
  constexpr int kG = detail::kSweepGroup;
  for (int j = 0; j < n; ++j) {
    float& acc = line[j / kG * detail::kHotBlockFloats + j % kG];
    const float amp = (&acc)[kG];
    const float nit = (&acc)[2 * kG];
    const double tp = partner[j];
    if (!(tp > t_prev && tp < t_us) || amp == 0.0f) continue;
    const float inc = amp * detail::exp_nonpositive(static_cast<float>(t_us - tp) * nit);
    const double v = drifted(acc, t_us - touch[j]) + inc;
    acc = static_cast<float>(std::min(v, static_cast<double>(range_)));
    touch[j] = t_us;
  }
}

void CorrelationSensors::on_pre(int row, double t_us) {
  check_row(row);
  check_time(t_us);
  const std::size_t r = static_cast<std::size_t>(row);
  const double t_prev_pre = last_pre_us_[r];
  last_pre_us_[r] = t_us;
  last_pre_group_us_[r / detail::kSweepGroup] =
      t_us;  // events come in time order: the group's latest
  float* line = acausal_hot_.data() + acausal_at(row, 0);
  if (!drift_on_) {
    g_sweep(line, last_post_us_.data(), last_post_group_us_.data(), cols_pad_, t_prev_pre, t_us,
            range_, sweep_dt_.data(), sweep_blocks_.data());
  } else {
    drift_sweep(line, acausal_touch_us_.data() + acausal_touch_at(row, 0), last_post_us_.data(),
                cols_, t_prev_pre, t_us);
  }
}

void CorrelationSensors::on_post(int col, double t_us) {
  check_col(col);
  check_time(t_us);
  const std::size_t c = static_cast<std::size_t>(col);
  const double t_prev_post = last_post_us_[c];
  last_post_us_[c] = t_us;
  last_post_group_us_[c / detail::kSweepGroup] = t_us;
  float* line = causal_hot_.data() + causal_at(0, col);
  if (!drift_on_) {
    g_sweep(line, last_pre_us_.data(), last_pre_group_us_.data(), rows_pad_, t_prev_post, t_us,
            range_, sweep_dt_.data(), sweep_blocks_.data());
  } else {
    drift_sweep(line, causal_touch_us_.data() + causal_touch_at(0, col), last_pre_us_.data(), rows_,
                t_prev_post, t_us);
  }
}

double CorrelationSensors::accumulated_lsb(SensorChannel ch, int row, int col, double t_us) const {
  check_row(row);
  check_col(col);
  if (ch == SensorChannel::kCausal) {
    const double a = causal_hot_[causal_at(row, col)];
    return drift_on_ ? drifted(a, t_us - causal_touch_us_[causal_touch_at(row, col)]) : a;
  }
  const double a = acausal_hot_[acausal_at(row, col)];
  return drift_on_ ? drifted(a, t_us - acausal_touch_us_[acausal_touch_at(row, col)]) : a;
}

void CorrelationSensors::read_row(int row, double t_us, float* causal_lsb, float* acausal_lsb) {
  check_row(row);
  const double base = p_.baseline_lsb;
  if (!drift_on_) {
    // Causal: one value per column line (stride of a whole line); acausal: the row's line.
    const float* causal = causal_hot_.data() + causal_at(row, 0);
    const float* acausal = acausal_hot_.data() + acausal_at(row, 0);
    const std::size_t line =
        static_cast<std::size_t>(rows_pad_ / detail::kSweepGroup) * detail::kHotBlockFloats;
    for (int c = 0; c < cols_; ++c)
      causal_lsb[c] = static_cast<float>(base - causal[static_cast<std::size_t>(c) * line]);
    for (int c = 0; c < cols_; ++c)
      acausal_lsb[c] = static_cast<float>(
          base -
          acausal[c / detail::kSweepGroup * detail::kHotBlockFloats + c % detail::kSweepGroup]);
  } else {
    for (int c = 0; c < cols_; ++c)
      causal_lsb[c] =
          static_cast<float>(base - accumulated_lsb(SensorChannel::kCausal, row, c, t_us));
    for (int c = 0; c < cols_; ++c)
      acausal_lsb[c] =
          static_cast<float>(base - accumulated_lsb(SensorChannel::kAcausal, row, c, t_us));
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
  float* causal = causal_hot_.data() + causal_at(row, 0);
  float* acausal = acausal_hot_.data() + acausal_at(row, 0);
  const std::size_t line =
      static_cast<std::size_t>(rows_pad_ / detail::kSweepGroup) * detail::kHotBlockFloats;
  for (int c = 0; c < cols_; ++c) causal[static_cast<std::size_t>(c) * line] = 0.0f;
  for (int b = 0; b < cols_pad_ / detail::kSweepGroup; ++b)
    std::fill_n(acausal + b * detail::kHotBlockFloats, detail::kSweepGroup, 0.0f);
  if (drift_on_) {
    for (int c = 0; c < cols_; ++c) {
      causal_touch_us_[causal_touch_at(row, c)] = t_us;
      acausal_touch_us_[acausal_touch_at(row, c)] = t_us;
    }
  }
}

void CorrelationSensors::reset_all(double t_us) {
  for (HotVector* hot : {&causal_hot_, &acausal_hot_})
    for (std::size_t i = 0; i < hot->size(); i += detail::kHotBlockFloats)
      std::fill_n(hot->begin() + static_cast<std::ptrdiff_t>(i), detail::kSweepGroup, 0.0f);
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
