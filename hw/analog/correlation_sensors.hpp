// CorrelationSensors: the causal and acausal correlation sensor of every synapse of one chip
// half. Each sensor is a storage capacitor pulled down by nearest-neighbour pre/post spike pairs
// with an exponential kernel; the CADC later reads its voltage. Abstracted away: the
// transistor-level trace circuits (we evaluate the kernel at the pair's Δt in closed form), the
// finite duration of the charge transfer, and temperature dependence of the mismatch.
//
// Plain C++ (no SystemC): the lead's SystemC module calls on_pre/on_post in time order and the
// CADC reads rows through read_row. See docs/models/correlation-sensors.md.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <new>
#include <vector>

#include "hw/common/chip_config.hpp"
#include "hw/common/rng.hpp"

namespace salvo {

enum class SensorChannel : int { kCausal = 0, kAcausal = 1 };

// Everything the sensor model needs, decoupled from the YAML schema so tests can build one
// directly. from_config() fills it from a ChipConfig (fields the ChipConfig lacks keep the
// defaults below).
struct CorrelationSensorParams {
  int rows = 256;     // synapse rows of the half (pre side)
  int columns = 256;  // neuron columns of the half (post side)

  double tau_us = 5.0;      // nominal kernel time constant
  double tau_min_us = 2.0;  // the circuit's τ range: drawn and trimmed τ are clipped into it
  double tau_max_us = 30.0;
  double amplitude_lsb = 0.5;  // nominal charge per pair at Δt → 0, in CADC LSB

  int trim_bits = 2;  // per-synapse trims of A and τ, offset binary: nominal code 2^(bits-1)
  double trim_step_tau = 0.1;  // relative change of τ per trim code step
  double trim_step_amplitude = 0.1;

  double baseline_lsb = 220.0;    // capacitor rest voltage as the CADC reads it
  double range_lsb = 220.0;       // how far below baseline pairs can pull it (then it saturates)
  double drift_lsb_per_ms = 0.0;  // linear leak back towards baseline (0 = none)
  double drift_tau_ms =
      0.0;  // exponential leak back towards baseline (0 = none) [not in ChipConfig]
  double reset_time_us = 1.0;  // informational: the lead models how long a reset takes

  // Fixed-pattern spreads (relative σ, already multiplied by mismatch.scale).
  double sigma_amplitude = 0.0;
  double sigma_tau = 0.0;
  // Temporal readout noise (σ in LSB), independent for every readout of every channel.
  double readout_noise_lsb = 0.0;

  static CorrelationSensorParams from_config(const ChipConfig& chip);
  // Throws UserError naming the chip.sensors key when a value is outside what the model allows.
  void validate() const;
};

namespace detail {
// Partners (rows or columns) per entry of the sweeps' latest-spike-per-group tables, and
// synapses per block of the interleaved hot arrays: [acc ×8][A ×8][−1/τ ×8].
constexpr int kSweepGroup = 8;
constexpr int kHotBlockFloats = 3 * kSweepGroup;

// Allocator for the hot arrays: 64-byte aligned, so no 8-float lane block straddles two cache
// lines.
template <class T>
struct CacheAlignedAllocator {
  using value_type = T;
  static constexpr std::size_t kAlign = 64;
  CacheAlignedAllocator() = default;
  template <class U>
  CacheAlignedAllocator(const CacheAlignedAllocator<U>&) {}  // NOLINT: rebind
  T* allocate(std::size_t n) {
    const std::size_t bytes = (n * sizeof(T) + kAlign - 1) / kAlign * kAlign;
    void* p = std::aligned_alloc(kAlign, bytes);
    if (p == nullptr) throw std::bad_alloc();
    return static_cast<T*>(p);
  }
  void deallocate(T* p, std::size_t) { std::free(p); }
  template <class U>
  bool operator==(const CacheAlignedAllocator<U>&) const {
    return true;
  }
};

// e^x for x <= 0 in float, branch-free so the per-row/per-column loops vectorise without
// -ffast-math (std::exp does not). Relative error < 3e-7 for x >= -87; 0 below.
inline float exp_nonpositive(float x) {
  const float below = x < -87.0f ? 0.0f : 1.0f;
  x = x < -87.0f ? -87.0f : x;
  // Round x·log2(e) to the nearest integer with the 1.5·2^23 trick (no SSE4.1 round needed).
  constexpr float kMagic = 12582912.0f;
  const float n = (x * 1.44269504088896341f + kMagic) - kMagic;
  // Cody–Waite reduction: r = x − n·ln2 in two parts keeps r exact to float precision.
  float r = x - n * 0.693359375f;
  r = r + n * 2.12194440e-4f;
  // Minimax polynomial for e^r on |r| <= ln2/2 (Cephes expf coefficients).
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  const std::int32_t bits = (static_cast<std::int32_t>(n) + 127) << 23;
  float scale;
  std::memcpy(&scale, &bits, sizeof scale);
  return p * scale * below;
}

// Test/benchmark hook: the pairing sweeps use AVX2 when the CPU has it (selected at start-up);
// use_wide_sweep(false) forces the baseline SSE2 variant. Both give bit-identical results.
// Returns whether the AVX2 variant is now in use.
bool use_wide_sweep(bool allow);

}  // namespace detail

class CorrelationSensors {
 public:
  // Draws the fixed-pattern mismatch of this half from (seed, Stream::kSensorMismatch,
  // 4·half + q), q = 0 causal A, 1 causal τ, 2 acausal A, 3 acausal τ (row-major synapse order);
  // readout noise comes from (seed, Stream::kSensorNoise, half).
  CorrelationSensors(const CorrelationSensorParams& params, std::uint64_t seed, int half = 0);

  int rows() const { return rows_; }
  int columns() const { return cols_; }
  const CorrelationSensorParams& params() const { return p_; }
  double reset_time_us() const { return p_.reset_time_us; }

  // --- spike input (hot). Calls must come in non-decreasing time; at equal times deliver pre
  // events before post events (see docs: a Δt = 0 pair adds nothing, but the order decides
  // which of two earlier partners still pairs). Throws InternalError on time going backwards.
  // A pre spike of `row` at t_us: acausal pairs with the last post spike of every column.
  void on_pre(int row, double t_us);
  // A post spike of column `col` at t_us: causal pairs with the last pre spike of every row.
  void on_post(int col, double t_us);

  // --- processor side.
  // Noisy analog readout of one row as the CADC sees it: baseline − accumulated + noise, in LSB,
  // `columns()` values per channel. Each call draws fresh readout noise.
  void read_row(int row, double t_us, float* causal_lsb, float* acausal_lsb);
  // Back to baseline (accumulated charge 0). Pairing memory (last spike times) is untouched:
  // it belongs to the neurons and rows, not to the storage capacitor.
  void reset_row(int row, double t_us);
  void reset_all(double t_us);

  // --- configuration (processor/host writable).
  // Sensor enable per synapse (default on). A disabled synapse never accumulates.
  void set_enable(int row, int col, bool on);
  bool enabled(int row, int col) const;
  // 2-bit trims of A and τ per synapse, shared by both channels; codes 0..2^trim_bits-1.
  void set_trim(int row, int col, int amplitude_code, int tau_code);
  int amplitude_trim(int row, int col) const;
  int tau_trim(int row, int col) const;
  int nominal_trim_code() const { return 1 << (p_.trim_bits - 1); }

  // --- oracle (the emulator knows every hidden analog value).
  // Effective A (LSB per pair) and τ (µs) including mismatch and trims (regardless of enable).
  double amplitude_lsb(SensorChannel ch, int row, int col) const;
  double tau_us(SensorChannel ch, int row, int col) const;
  // Drawn mismatch factors (1 + σz) before trims and τ clipping.
  double amplitude_mismatch(SensorChannel ch, int row, int col) const;
  double tau_mismatch(SensorChannel ch, int row, int col) const;
  // Noiseless accumulated charge (≥ 0, ≤ range) and capacitor voltage at t_us (drift applied).
  double accumulated_lsb(SensorChannel ch, int row, int col, double t_us) const;
  double analog_lsb(SensorChannel ch, int row, int col, double t_us) const {
    return p_.baseline_lsb - accumulated_lsb(ch, row, col, t_us);
  }
  double last_pre_us(int row) const { return last_pre_us_[static_cast<std::size_t>(row)]; }
  double last_post_us(int col) const { return last_post_us_[static_cast<std::size_t>(col)]; }

  static constexpr double kNever = -std::numeric_limits<double>::infinity();

 private:
  std::size_t idx_rc(int row, int col) const {  // row-major (cold and oracle arrays)
    return static_cast<std::size_t>(row) * static_cast<std::size_t>(cols_) +
           static_cast<std::size_t>(col);
  }
  // Hot arrays: one line per row (acausal, swept by on_pre) or per column (causal, swept by
  // on_post), `pad` = partners per line rounded up to whole blocks. hot_acc is the index of a
  // synapse's charge; its A and −1/τ follow kSweepGroup and 2·kSweepGroup floats later.
  static std::size_t hot_acc(int line, int j, int pad) {
    const std::size_t blocks = static_cast<std::size_t>(pad / detail::kSweepGroup);
    return (static_cast<std::size_t>(line) * blocks +
            static_cast<std::size_t>(j / detail::kSweepGroup)) *
               detail::kHotBlockFloats +
           static_cast<std::size_t>(j % detail::kSweepGroup);
  }
  std::size_t acausal_at(int row, int col) const { return hot_acc(row, col, cols_pad_); }
  std::size_t causal_at(int row, int col) const { return hot_acc(col, row, rows_pad_); }
  // Index into the drift touch-time arrays (same lines, no interleaving).
  std::size_t acausal_touch_at(int row, int col) const {
    return static_cast<std::size_t>(row) * static_cast<std::size_t>(cols_pad_) +
           static_cast<std::size_t>(col);
  }
  std::size_t causal_touch_at(int row, int col) const {
    return static_cast<std::size_t>(col) * static_cast<std::size_t>(rows_pad_) +
           static_cast<std::size_t>(row);
  }
  void check_row(int row) const;
  void check_col(int col) const;
  void check_time(double t_us);
  void refresh_synapse(int row, int col);  // recompute hot A / −1/τ from mismatch, trims, enable
  // Drift of an accumulated value over dt_us (exact flow of dx/dt = −x/τ_d − r, floored at 0).
  double drifted(double acc, double dt_us) const;
  // The sweep of one spike at t_us with drift on (scalar): `line` and `touch` are the hot line
  // and touch times of the row (on_pre) or column (on_post), `partner` the other side's times.
  void drift_sweep(float* line, double* touch, const double* partner, int n, double t_prev,
                   double t_us);

  CorrelationSensorParams p_;
  int rows_;
  int cols_;
  bool drift_on_;
  double drift_rate_lsb_per_us_;
  double drift_tau_us_;
  float range_;

  int rows_pad_;  // rows_ / cols_ rounded up to whole kSweepGroup blocks
  int cols_pad_;

  // Hot per-channel arrays, interleaved per block of kSweepGroup synapses (see hot_acc).
  // Acausal: one line per row (on_pre sweeps a row); causal: one line per column (on_post
  // sweeps a column). A = enable ? A : 0, −1/τ, acc = charge (LSB). Padding synapses have
  // A = 0 and −1/τ = −1 and never pair.
  using HotVector = std::vector<float, detail::CacheAlignedAllocator<float>>;
  HotVector acausal_hot_, causal_hot_;
  // Last-touch time per accumulator, only maintained when drift is on (index *_touch_at).
  std::vector<double> acausal_touch_us_, causal_touch_us_;

  // Per row / column, padded with kNever (never fired) to rows_pad_ / cols_pad_.
  std::vector<double> last_pre_us_;
  std::vector<double> last_post_us_;
  // The latest of last_pre_us_ / last_post_us_ over each detail::kSweepGroup rows / columns: a
  // sweep skips a group whose partners all fired before this side's previous spike (no pair).
  std::vector<double> last_pre_group_us_, last_post_group_us_;
  // Sweep scratch: Δt per partner and the blocks with a pair (see pair_sweep).
  std::vector<float> sweep_dt_;
  std::vector<std::int32_t> sweep_blocks_;
  double t_latest_us_ = kNever;

  // Cold per-synapse state, row-major: mismatch factors per channel, trims, enable.
  std::vector<float> amp_mm_[2], tau_mm_[2];
  std::vector<std::uint8_t> amp_trim_, tau_trim_, enable_;

  BulkEngine noise_engine_;  // readout noise: Boost's mt19937_64 numbers, in blocks
};

}  // namespace salvo
