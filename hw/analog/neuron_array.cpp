#include "hw/analog/neuron_array.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

#include <boost/math/quadrature/gauss.hpp>

#include "hw/common/error.hpp"

namespace salvo {

namespace {

// The common path is written with GCC/Clang vector extensions (kLanes doubles, the SSE2 /
// NEON width): auto-vectorisation at -O2 keeps its FP selects as branches under
// -ftrapping-math, and explicit vectors keep it portable and predictable.
constexpr int kLanes = 2;
typedef double Vd __attribute__((vector_size(kLanes * sizeof(double))));
inline Vd load(const double* p) {
  Vd x;
  std::memcpy(&x, p, sizeof x);
  return x;
}
typedef std::int64_t Vi __attribute__((vector_size(kLanes * sizeof(std::int64_t))));
inline void store(double* p, Vd x) { std::memcpy(p, &x, sizeof x); }
inline Vi loadi(const std::int64_t* p) {
  Vi x;
  std::memcpy(&x, p, sizeof x);
  return x;
}
// Lane-generic loads and stores for the common path's 2-lane (SSE2) and 4-lane (AVX2) bodies.
// -Wpsabi: the 32-byte vectors never cross a call boundary (always inlined); GCC reports it at
// the end of the file, so it stays off for this file (no push/pop).
#pragma GCC diagnostic ignored "-Wpsabi"
typedef double Vd4 __attribute__((vector_size(4 * sizeof(double))));
typedef std::int64_t Vi4 __attribute__((vector_size(4 * sizeof(std::int64_t))));
template <class V>
__attribute__((always_inline)) inline V vload(const void* p) {
  V x;
  std::memcpy(&x, p, sizeof x);
  return x;
}
template <class V>
__attribute__((always_inline)) inline void vstore(void* p, V x) {
  std::memcpy(p, &x, sizeof x);
}
bool g_wide_common_path = false;  // set below: AVX2 where the CPU has it
constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr int kMaxTaylorTerms = 40;
// A neuron whose reset is above its threshold and that has no refractory period would
// spike forever inside one step; it is held at reset after this many.
constexpr int kMaxSpikesPerStep = 64;
// Taylor pieces are at most this long in units of the fastest rate: terms fall by >= 2x.
constexpr double kTaylorPiece = 0.5;
constexpr int kMaxRk4Substeps = 1000;
constexpr double kMaxExpArgument = 80.0;  // keeps exp() finite; the rails clamp V anyway

enum : std::uint8_t { kExponential = 1, kAdaptation = 2 };

double rate_of(double tau_us) { return std::isinf(tau_us) ? 0.0 : 1.0 / tau_us; }

// (1 - exp(-x)) / x, 1 at x = 0, accurate for small x.
double phi(double x) { return x == 0.0 ? 1.0 : -std::expm1(-x) / x; }

double max_abs(const double* y) {
  double m = 0.0;
  for (int j = 0; j < 5; ++j) m = std::max(m, std::fabs(y[j]));
  return m;
}

}  // namespace

// ---------------------------------------------------------------------------------------
// The linear part y' = A y + c, y = (V, w, I_exc, I_inh, I_noise).

namespace {

struct LinearView {
  double g_m, inv_c, adapt, a_w, g_w, g_e, g_i, g_n;
};

inline void apply_a(const LinearView& L, const double* y, double* out) {
  out[0] = -L.g_m * y[0] - L.adapt * L.inv_c * y[1] + L.inv_c * (y[2] - y[3] + y[4]);
  out[1] = L.a_w * y[0] - L.g_w * y[1];
  out[2] = -L.g_e * y[2];
  out[3] = -L.g_i * y[3];
  out[4] = -L.g_n * y[4];
}

// out = (A y) / k, each entry rounded as apply_a's and then multiplied by 1/k, in registers:
// storing the entries one by one and reloading them for the division made the Taylor loop
// stall on store forwarding.
inline void apply_a_over_k(const LinearView& L, const double* y, double inv_k, double* out) {
  const double o0 = -L.g_m * y[0] - L.adapt * L.inv_c * y[1] + L.inv_c * (y[2] - y[3] + y[4]);
  const double o1 = L.a_w * y[0] - L.g_w * y[1];
  const double o2 = -L.g_e * y[2];
  const double o3 = -L.g_i * y[3];
  const double o4 = -L.g_n * y[4];
  out[0] = o0 * inv_k;
  out[1] = o1 * inv_k;
  out[2] = o2 * inv_k;
  out[3] = o3 * inv_k;
  out[4] = o4 * inv_k;
}

// 1/k for the Taylor terms (the same correctly rounded quotients as dividing at run time).
struct InverseIntegers {
  double v[kMaxTaylorTerms + 1];
  constexpr InverseIntegers() : v() {
    for (int k = 1; k <= kMaxTaylorTerms; ++k) v[k] = 1.0 / k;
  }
};
constexpr InverseIntegers kInverse{};

// The exact solution over one short piece as its Taylor polynomial y(s) = sum_j e[j] s^j,
// truncated where the terms fall below round-off: exact to machine precision for any
// (also degenerate, e.g. tau_mem == tau_syn) set of time constants.
struct TaylorPiece {
  int terms = 0;
  double e[kMaxTaylorTerms + 1][5];

  void build(const LinearView& L, const double* c, const double* y0, double h) {
    for (int j = 0; j < 5; ++j) e[0][j] = y0[j];
    apply_a(L, y0, e[1]);
    for (int j = 0; j < 5; ++j) e[1][j] += c[j];
    const double ref = std::max({max_abs(y0), max_abs(e[1]) * h, 1e-300});
    double hk = h;
    terms = 2;
    for (int k = 2; k <= kMaxTaylorTerms; ++k) {
      if (max_abs(e[k - 1]) * hk <= 1e-17 * ref) break;
      apply_a_over_k(L, e[k - 1], kInverse.v[k], e[k]);
      hk *= h;
      terms = k + 1;
    }
  }
  void eval(double s, double* y) const {
    for (int j = 0; j < 5; ++j) {
      double acc = e[terms - 1][j];
      for (int k = terms - 2; k >= 0; --k) acc = acc * s + e[k][j];
      y[j] = acc;
    }
  }
  double v(double s) const {
    double acc = e[terms - 1][0];
    for (int k = terms - 2; k >= 0; --k) acc = acc * s + e[k][0];
    return acc;
  }
  double dv(double s) const {
    double acc = (terms - 1) * e[terms - 1][0];
    for (int k = terms - 2; k >= 1; --k) acc = acc * s + k * e[k][0];
    return acc;
  }
};

int pieces_for(double h, double rate_bound) {
  const double x = h * rate_bound / kTaylorPiece;
  return x <= 1.0 ? 1 : static_cast<int>(std::ceil(std::min(x, 1e9)));
}

void propagate(const LinearView& L, double rate_bound, const double* c, double* y, double h) {
  const int pieces = pieces_for(h, rate_bound);
  const double hp = h / pieces;
  TaylorPiece T;
  for (int p = 0; p < pieces; ++p) {
    T.build(L, c, y, hp);
    T.eval(hp, y);
  }
}

// col[j] = the state one step (h) after the unit state e_j, without constant terms: column j
// of the one-step propagator.
void unit_responses(const LinearView& L, double rate_bound, double h, double col[5][5]) {
  const double zero[5] = {0, 0, 0, 0, 0};
  for (int j = 0; j < 5; ++j) {
    double y[5] = {0, 0, 0, 0, 0};
    y[j] = 1.0;
    propagate(L, rate_bound, zero, y, h);
    for (int r = 0; r < 5; ++r) col[j][r] = y[r];
  }
}

// Root of f on [lo, hi] with f(lo) < 0 <= f(hi): Newton steps kept inside the bracket,
// bisection where Newton would leave it. f_df(s, &df) returns f(s) and sets df = f'(s).
template <class F>
double find_crossing(F f_df, double lo, double hi, double f_lo, double f_hi) {
  double s = lo + (hi - lo) * (-f_lo) / (f_hi - f_lo);
  if (!(s > lo && s < hi)) s = 0.5 * (lo + hi);
  for (int it = 0; it < 100; ++it) {
    double df = 0.0;
    const double f = f_df(s, &df);
    if (f >= 0.0) {
      hi = s;
    } else {
      lo = s;
    }
    if (f == 0.0) return s;
    if (df > 0.0) {
      // Converged when the Newton correction is below 1e-12 µs: far below any use of a
      // spike time and well above the round-off of f.
      const double next = s - f / df;
      if (std::fabs(next - s) <= 1e-12) return std::min(std::max(next, lo), hi);
      if (next > lo && next < hi) {
        s = next;
        continue;
      }
    }
    const double next = 0.5 * (lo + hi);
    if (hi - lo <= 1e-12) return next;
    s = next;
  }
  return s;
}

}  // namespace

// ---------------------------------------------------------------------------------------

NeuronArray::NeuronArray(int neurons, double dt_us, std::uint64_t seed)
    : NeuronArray(std::vector<NeuronCircuitParams>(neurons < 0 ? 0 : neurons), dt_us, seed) {
  if (neurons < 0) throw UserError("NeuronArray: neuron count must be >= 0");
}

NeuronArray::NeuronArray(const std::vector<NeuronCircuitParams>& params, double dt_us,
                         std::uint64_t seed, int group_size)
    : dt_us_(dt_us), seed_(seed) {
  if (!(dt_us > 0.0) || !std::isfinite(dt_us)) {
    throw UserError("neurons.dt_us = " + std::to_string(dt_us) + ": must be a positive time");
  }
  if (group_size < 0) throw InternalError("NeuronArray: negative group size");
  const int n = static_cast<int>(params.size());
  group_size_ = std::max(1, group_size > 0 ? std::min(group_size, n) : n);
  group_stride_ = (group_size_ + kBlock - 1) / kBlock * kBlock;
  groups_ = (n + group_size_ - 1) / group_size_;
  init(params);
}

int NeuronArray::idx(int neuron) const {
  if (neuron < 0 || neuron >= n_) {
    throw InternalError("NeuronArray: neuron " + std::to_string(neuron) + " out of range 0.." +
                        std::to_string(n_ - 1));
  }
  return neuron / group_size_ * group_stride_ + neuron % group_size_;
}

void NeuronArray::init(const std::vector<NeuronCircuitParams>& params) {
  n_ = static_cast<int>(params.size());
  n_pad_ = groups_ * group_stride_;
  const std::size_t np = static_cast<std::size_t>(n_pad_);
  const std::size_t nb = np / kBlock;
  params_.assign(np, NeuronCircuitParams{});
  for (int k = 0; k < n_; ++k) params_[static_cast<std::size_t>(idx(k))] = params[k];
  noise_.assign(np, MembraneNoiseCoefficients{});
  lin_.assign(np, Linear{});
  refr_decay_.assign(np, RefractoryDecay{kNaN, 0.0, 0.0, 0.0, 0.0});
  blocks_ = nb;
  state_.assign(2 * nb, StateBlock{});
  cur_buf_.assign(static_cast<std::size_t>(groups_), 0);
  CoefBlock inert{};
  for (int j = 0; j < kBlock; ++j) {
    inert.vth[j] = kInf;  // padding never spikes and is never clamped
    inert.vmin[j] = -kInf;
    inert.vmax[j] = kInf;
  }
  coef_.assign(nb, inert);
  refr_.assign(np, -kInf);
  exc_in_.assign(np, 0.0);
  inh_in_.assign(np, 0.0);
  xi_.assign(np, 0.0);
  xi2_.assign(np, 0.0);
  kappa_.assign(np, 0.0);
  kappa2_.assign(np, 0.0);
  block_flag_.assign(nb, 0);
  block_exp_.assign(nb, 0);
  block_second_draw_.assign(nb, 0);
  noise_normals_.assign(noise_seeds());
  asleep_.assign(nb, 0);
  asleep_from_step_.assign(nb, 0);
  asleep_from_us_.assign(nb, 0.0);
  group_steps_.assign(static_cast<std::size_t>(groups_), 0);
  asleep_count_.assign(static_cast<std::size_t>(groups_), 0);
  awake_list_.assign(static_cast<std::size_t>(groups_), {});
  sleep_stats_.assign(static_cast<std::size_t>(groups_), SleepStats{});
  block_real_.assign(nb, 0);
  for (int k = 0; k < n_pad_; ++k) block_real_[k / kBlock] += real_slot(k) ? 1 : 0;
  kind_.assign(np, 0);
  for (int k = 0; k < n_; ++k) derive(idx(k));
  reset();
}

void NeuronArray::set_params(int neuron, const NeuronCircuitParams& p) {
  const int i = awake_idx(neuron);
  const NeuronCircuitParams old = params_[i];
  const bool before[3] = {noise_on_, noise_second_draw_, any_adaptation_};
  params_[i] = p;
  try {
    derive(i);
  } catch (...) {
    params_[i] = old;
    derive(i);
    throw;
  }
  const bool after[3] = {noise_on_, noise_second_draw_, any_adaptation_};
  if (std::equal(before, before + 3, after)) return;
  // Whether blocks draw noise and which common path runs is decided array-wide: sleeping
  // blocks first replay the steps they skipped as those ran then.
  noise_on_ = before[0], noise_second_draw_ = before[1], any_adaptation_ = before[2];
  for (int b = 0; b < static_cast<int>(asleep_.size()); ++b)
    if (asleep_[b]) wake(b);
  noise_on_ = after[0], noise_second_draw_ = after[1], any_adaptation_ = after[2];
}

namespace {

void check(bool ok, int neuron, const char* what) {
  if (!ok) {
    throw UserError("neuron " + std::to_string(neuron) + ": " + what);
  }
}

// The checks of one neuron's parameters (UserError naming the neuron and the rule).
void validate(const NeuronCircuitParams& p, int neuron) {
  auto positive_tau = [](double t) { return t > 0.0; };  // +inf allowed, NaN rejected
  check(p.c_mem_pF > 0.0 && std::isfinite(p.c_mem_pF), neuron, "c_mem_pF must be > 0");
  check(positive_tau(p.tau_mem_us), neuron, "tau_mem_us must be > 0");
  check(positive_tau(p.tau_syn_exc_us), neuron, "tau_syn_exc_us must be > 0");
  check(positive_tau(p.tau_syn_inh_us), neuron, "tau_syn_inh_us must be > 0");
  check(p.t_ref_us >= 0.0, neuron, "t_ref_us must be >= 0");
  check(std::isfinite(p.v_leak_mV) && std::isfinite(p.v_reset_mV) &&
            !std::isnan(p.v_threshold_mV) && std::isfinite(p.v_exp_mV),
        neuron, "potentials must be finite");
  check(p.v_min_mV < p.v_max_mV, neuron, "v_min_mV must be below v_max_mV");
  check(!p.exponential || (p.delta_t_mV >= 0.0 && std::isfinite(p.delta_t_mV)), neuron,
        "delta_t_mV must be >= 0");
  check(!p.adaptation || (p.adapt_a_nS >= 0.0 && std::isfinite(p.adapt_a_nS)), neuron,
        "adapt_a_nS must be >= 0");
  check(!p.adaptation || std::isfinite(p.adapt_b_nA), neuron, "adapt_b_nA must be finite");
  check(!p.adaptation || positive_tau(p.tau_adapt_us), neuron, "tau_adapt_us must be > 0");
  check(std::isfinite(p.syn_gain_exc) && std::isfinite(p.syn_gain_inh), neuron,
        "synaptic gains must be finite");
  check(std::isfinite(p.i_offset_nA), neuron, "i_offset_nA must be finite");
  check(p.noise_v_rms_mV >= 0.0 && std::isfinite(p.noise_v_rms_mV), neuron,
        "noise_v_rms_mV must be >= 0");
  check(p.noise_v_rms_mV == 0.0 || (p.noise_tau_us > 0.0 && std::isfinite(p.noise_tau_us)), neuron,
        "noise_tau_us must be a positive finite time");
}

// Membrane noise: exact OU update of the current; the membrane gets the regression of its
// in-step response on the innovation (one normal draw per neuron and step). g_m, g_n: the
// membrane and noise-current rates, h: the step; all zero without noise.
MembraneNoiseCoefficients membrane_noise(const NeuronCircuitParams& p, double g_m, double g_n,
                                         double h) {
  MembraneNoiseCoefficients nc{};
  if (p.noise_v_rms_mV > 0.0) {
    const double c_pF = p.c_mem_pF;
    nc.sigma_i_nA =
        NeuronArray::noise_current_for_v_rms(p.noise_v_rms_mV, c_pF, p.tau_mem_us, p.noise_tau_us);
    nc.decay = std::exp(-g_n * h);
    const double var_i = nc.sigma_i_nA * nc.sigma_i_nA * -std::expm1(-2.0 * g_n * h);
    const double diffusion = 2.0 * nc.sigma_i_nA * nc.sigma_i_nA * g_n;  // s^2 of dI = s dW
    const double a = std::min(g_m, g_n), b = std::max(g_m, g_n);
    // g(r): membrane response at lag r to a unit current impulse filtered by the OU decay.
    auto g = [a, b](double r) { return std::exp(-a * r) * r * phi((b - a) * r); };
    using Gauss = boost::math::quadrature::gauss<double, 20>;
    const double cov =
        diffusion / c_pF *
        Gauss::integrate([&](double r) { return std::exp(-g_n * r) * g(r); }, 0.0, h);
    const double var_v =
        diffusion / (c_pF * c_pF) * Gauss::integrate([&](double r) { return g(r) * g(r); }, 0.0, h);
    nc.innovation_nA = std::sqrt(var_i);
    nc.v_share_mV = nc.innovation_nA > 0.0 ? cov / nc.innovation_nA : 0.0;
    nc.v_residual_mV2 = std::max(0.0, var_v - nc.v_share_mV * nc.v_share_mV);
    // Stationary variance the omitted part would remove: residual / (1 - exp(-2 h / tau_m)).
    const double keep = -std::expm1(-2.0 * g_m * h);
    nc.residual_fraction =
        keep > 0.0 ? nc.v_residual_mV2 / (keep * p.noise_v_rms_mV * p.noise_v_rms_mV) : kInf;
    nc.second_draw = nc.residual_fraction > NeuronArray::kNoiseResidualLimit;
  }
  return nc;
}

}  // namespace

void NeuronArray::derive(int i) {
  const NeuronCircuitParams& p = params_[i];
  validate(p, neuron_of(i));

  refr_decay_[static_cast<std::size_t>(i)].r = kNaN;  // its factors belong to the old rates
  Linear& L = lin_[i];
  L.g_m = rate_of(p.tau_mem_us);
  L.inv_c = 1.0 / p.c_mem_pF;
  L.adapt = p.adaptation ? 1.0 : 0.0;
  L.g_w = p.adaptation ? rate_of(p.tau_adapt_us) : 0.0;
  L.a_w = p.adaptation ? 1e-3 * p.adapt_a_nS * L.g_w : 0.0;  // nS·mV = pA -> nA
  L.g_e = rate_of(p.tau_syn_exc_us);
  L.g_i = rate_of(p.tau_syn_inh_us);
  L.g_n = p.noise_v_rms_mV > 0.0 ? rate_of(p.noise_tau_us) : 0.0;
  L.rate_bound =
      std::max({L.g_m + L.g_w, std::sqrt(L.g_m * L.g_w + L.inv_c * L.a_w), L.g_e, L.g_i, L.g_n});
  L.half_step_decay_e = std::exp(-0.5 * L.g_e * dt_us_);
  L.half_step_decay_i = std::exp(-0.5 * L.g_i * dt_us_);
  L.half_step_decay_n = std::exp(-0.5 * L.g_n * dt_us_);
  const bool exponential = p.exponential && p.delta_t_mV > 0.0;
  kind_[i] = static_cast<std::uint8_t>((exponential ? kExponential : 0) |
                                       (p.adaptation ? kAdaptation : 0));

  const LinearView view{L.g_m, L.inv_c, L.adapt, L.a_w, L.g_w, L.g_e, L.g_i, L.g_n};
  const double h = dt_us_;
  double col[5][5];
  unit_responses(view, L.rate_bound, h, col);
  CoefBlock& cb = coef_[i / kBlock];
  const int j = i % kBlock;
  cb.pvv[j] = col[0][0];
  cb.pvw[j] = col[1][0];
  cb.pve[j] = col[2][0];
  cb.pvi[j] = col[3][0];
  cb.pvn[j] = col[4][0];
  cb.pwv[j] = col[0][1];
  cb.pww[j] = col[1][1];
  cb.pwe[j] = col[2][1];
  cb.pwi[j] = col[3][1];
  cb.pwn[j] = col[4][1];
  cb.de[j] = std::exp(-L.g_e * h);
  cb.di[j] = std::exp(-L.g_i * h);
  // (V, w) one step after rest under the constant terms c.
  auto from_rest = [&](const double* c, double& v, double& w) {
    double y[5] = {0, 0, 0, 0, 0};
    propagate(view, L.rate_bound, c, y, h);
    v = y[0];
    w = y[1];
  };
  double c[5];
  constants(i, 0.0, c);
  from_rest(c, cb.kv[j], cb.kw[j]);
  const double unit[5] = {L.inv_c, 0, 0, 0, 0};
  double r_v, r_w;  // response to a unit constant current over one step
  from_rest(unit, r_v, r_w);

  const MembraneNoiseCoefficients& nc = noise_[i] = membrane_noise(p, L.g_m, L.g_n, h);
  const double r_lif = h * phi(L.g_m * h) * L.inv_c;
  kappa_[i] = nc.v_share_mV / r_lif;
  kappa2_[i] = nc.second_draw ? std::sqrt(nc.v_residual_mV2) / r_lif : 0.0;
  cb.nv[j] = kappa_[i] * r_v;
  cb.nw[j] = kappa_[i] * r_w;
  cb.nv2[j] = kappa2_[i] * r_v;
  cb.nw2[j] = kappa2_[i] * r_w;
  cb.qn[j] = nc.innovation_nA;
  cb.dn[j] = nc.decay;
  cb.ge[j] = p.syn_gain_exc;
  cb.gi[j] = p.syn_gain_inh;
  cb.vr[j] = p.v_reset_mV;
  cb.vth[j] = p.v_threshold_mV;
  cb.vmin[j] = p.v_min_mV;
  cb.vmax[j] = p.v_max_mV;
  cb.exp_mask[j] = exponential ? -1 : 0;
  cb.adapt_mask[j] = p.adaptation ? -1 : 0;

  update_flags(i);
  if (!any_adaptation_) sync_constant_w();
}

// The array's and neuron i's block's flags after neuron i changed: noise, second draws,
// adaptation, exponential terms.
void NeuronArray::update_flags(int i) {
  const bool second_draw = noise_[i].second_draw;
  noise_on_ = false;
  noise_second_draw_ = false;
  any_adaptation_ = false;
  for (int k = 0; k < n_pad_; ++k) {
    if (!real_slot(k)) continue;
    noise_on_ = noise_on_ || noise_[k].innovation_nA > 0.0;
    noise_second_draw_ = noise_second_draw_ || noise_[k].second_draw;
    any_adaptation_ = any_adaptation_ || params_[k].adaptation;
  }
  if (!second_draw) xi2_[i] = 0.0;  // its second term is zero: keep it exactly so
  block_second_draw_[i / kBlock] &= static_cast<std::uint8_t>(~(1u << (i % kBlock)));
  if (second_draw) block_second_draw_[i / kBlock] |= static_cast<std::uint8_t>(1u << (i % kBlock));
  block_exp_[i / kBlock] = 0;
  for (int k = i / kBlock * kBlock; k < (i / kBlock + 1) * kBlock; ++k) {
    if (real_slot(k) && (kind_[k] & kExponential))
      block_exp_[i / kBlock] |= static_cast<std::uint8_t>(1u << (k % kBlock));
  }
}

// Without adaptation anywhere the common path leaves w alone, so both state buffers must
// hold the same (constant) w.
void NeuronArray::sync_constant_w() {
  for (int b = 0; b < static_cast<int>(blocks_); ++b) {
    std::copy(std::begin(cur(b).w), std::end(cur(b).w), std::begin(nxt(b).w));
  }
}

void NeuronArray::constants(int i, double i_extra_nA, double* c) const {
  const Linear& L = lin_[i];
  const NeuronCircuitParams& p = params_[i];
  c[0] = L.g_m * p.v_leak_mV + L.inv_c * (p.i_offset_nA + i_extra_nA);
  c[1] = -L.a_w * p.v_leak_mV;
  c[2] = c[3] = c[4] = 0.0;
}

double NeuronArray::noise_current_for_v_rms(double v_rms_mV, double c_mem_pF, double tau_mem_us,
                                            double tau_noise_us) {
  // sigma_V^2 = sigma_I^2 / C^2 * tau_m^2 tau_n / (tau_m + tau_n), written with rates so that
  // tau_m = infinity (no leak) gives 0 rather than NaN.
  const double g_m = rate_of(tau_mem_us), g_n = rate_of(tau_noise_us);
  return v_rms_mV * c_mem_pF * std::sqrt(g_m * (g_m + g_n));
}

void NeuronArray::set_rk4_rate_step(double rate_step) {
  if (!(rate_step > 0.0 && rate_step <= 1.0)) {
    throw UserError("NeuronArray: RK4 rate step " + std::to_string(rate_step) + " outside (0, 1]");
  }
  rk4_rate_step_ = rate_step;
}

NeuronState NeuronArray::state(int neuron) const {
  const int i = awake_idx(neuron);
  const StateBlock& s = cur(i / kBlock);
  const int j = i % kBlock;
  return NeuronState{s.v[j], s.w[j], s.ie[j], s.ii[j], s.in[j], refr_[i]};
}

void NeuronArray::set_state(int neuron, const NeuronState& st) {
  const int i = awake_idx(neuron);
  StateBlock& s = cur(i / kBlock);
  const int j = i % kBlock;
  s.v[j] = st.v_mV;
  s.w[j] = st.w_nA;
  nxt(i / kBlock).w[j] = st.w_nA;  // see sync_constant_w
  s.ie[j] = st.i_exc_nA;
  s.ii[j] = st.i_inh_nA;
  s.in[j] = st.i_noise_nA;
  refr_[i] = st.refractory_until_us;
}

std::vector<std::uint64_t> NeuronArray::noise_seeds() const {
  std::vector<std::uint64_t> seeds(blocks_);
  for (std::size_t b = 0; b < blocks_; ++b)
    seeds[b] = engine_seed(seed_, Stream::kMembraneNoise, b);
  return seeds;
}

void NeuronArray::reset() {
  for (int i = 0; i < n_pad_; ++i) {
    StateBlock& s = cur(i / kBlock);
    const int j = i % kBlock;
    s.v[j] = real_slot(i) ? params_[i].v_leak_mV : 0.0;
    s.w[j] = s.ie[j] = s.ii[j] = s.in[j] = 0.0;
    nxt(i / kBlock).w[j] = 0.0;
    exc_in_[i] = inh_in_[i] = xi_[i] = xi2_[i] = 0.0;
    refr_[i] = -kInf;
  }
  noise_normals_.reset(noise_seeds());
  std::fill(asleep_.begin(), asleep_.end(), 0);
  std::fill(asleep_count_.begin(), asleep_count_.end(), 0);
  wake_all_lists();
  std::fill(group_steps_.begin(), group_steps_.end(), 0);
}

void NeuronArray::wake_all_lists() {
  for (int g = 0; g < groups_; ++g) {
    std::vector<int>& list = awake_list_[static_cast<std::size_t>(g)];
    list.clear();
    const int b0 = group_base(g) / kBlock;
    for (int b = b0; b < b0 + group_stride_ / kBlock; ++b) list.push_back(b);
  }
}

// ---------------------------------------------------------------------------------------
// One step.

void NeuronArray::step(double t_start_us, std::vector<NeuronSpike>& out) {
  const std::size_t first = out.size();
  for (int g = 0; g < groups_; ++g) step_group(g, t_start_us, out);
  if (groups_ > 1 && out.size() - first > 1) {
    std::sort(out.begin() + static_cast<std::ptrdiff_t>(first), out.end(),
              [](const NeuronSpike& a, const NeuronSpike& b) {
                return a.time_us < b.time_us || (a.time_us == b.time_us && a.neuron < b.neuron);
              });
  }
  end_step();
}

void NeuronArray::end_step() {
  for (std::uint8_t& buf : cur_buf_) buf ^= 1;
}

void NeuronArray::draw_noise(int b) {
  // N(0, 1) draws neuron by neuron from the block's own stream: xi of every neuron, directly
  // followed by xi2 for the neurons that need a second draw (only those: the others' second
  // term is zero). One block of draws, then spread out.
  const int base = b * kBlock;
  const int real = block_real_[static_cast<std::size_t>(b)];
  const unsigned second = block_second_draw_[static_cast<std::size_t>(b)];
  double scratch[2 * kBlock];
  // Bits set in the 8-bit mask, in a few integer operations (__builtin_popcount is a libgcc
  // call on the x86-64 baseline, without the POPCNT instruction).
  unsigned bits = second - ((second >> 1) & 0x55u);
  bits = (bits & 0x33u) + ((bits >> 2) & 0x33u);
  bits = (bits + (bits >> 4)) & 0x0Fu;
  const double* z = noise_normals_.next(b, real + static_cast<int>(bits), scratch);
  double* __restrict xi = xi_.data() + base;
  double* __restrict xi2 = xi2_.data() + base;
  if (second == 0) {
    std::copy_n(z, real, xi);
    return;
  }
  for (int k = 0, q = 0; k < real; ++k) {
    xi[k] = z[q++];
    if ((second >> k) & 1u) xi2[k] = z[q++];
  }
}

void NeuronArray::common_step(double t0, double t_end, const int* blocks, int count) {
  const int noise = noise_on_ ? (noise_second_draw_ ? 2 : 1) : 0;
  if (any_adaptation_) {
    noise == 2   ? common_path<true, 2>(t0, t_end, blocks, count)
    : noise == 1 ? common_path<true, 1>(t0, t_end, blocks, count)
                 : common_path<true, 0>(t0, t_end, blocks, count);
  } else {
    noise == 2   ? common_path<false, 2>(t0, t_end, blocks, count)
    : noise == 1 ? common_path<false, 1>(t0, t_end, blocks, count)
                 : common_path<false, 0>(t0, t_end, blocks, count);
  }
}

void NeuronArray::add_inputs(int group, float* exc, float* inh) {
  const int n = std::min(group_size_, n_ - group * group_size_);
  const int base = group_base(group);
  for (int k0 = 0; k0 < n; k0 += kBlock) {
    const int len = std::min(kBlock, n - k0);
    // Blocks without input (all bits zero) are left alone: adding +0 changes nothing.
    if (len == kBlock) {
      static_assert(kBlock == 8, "two 4-lane vectors per block");
      typedef std::uint32_t V4u __attribute__((vector_size(16)));
      V4u e0, e1, h0, h1;
      std::memcpy(&e0, exc + k0, sizeof e0);
      std::memcpy(&e1, exc + k0 + 4, sizeof e1);
      std::memcpy(&h0, inh + k0, sizeof h0);
      std::memcpy(&h1, inh + k0 + 4, sizeof h1);
      const V4u m = (e0 | e1) | (h0 | h1);
      std::uint64_t lo, hi;
      std::memcpy(&lo, &m, sizeof lo);
      std::memcpy(&hi, reinterpret_cast<const char*>(&m) + sizeof lo, sizeof hi);
      if ((lo | hi) == 0) continue;
    } else {
      std::uint32_t bits = 0;
      for (int k = k0; k < k0 + len; ++k) {
        std::uint32_t e, h;
        std::memcpy(&e, exc + k, sizeof e);
        std::memcpy(&h, inh + k, sizeof h);
        bits |= e | h;
      }
      if (bits == 0) continue;
    }
    const int b = (base + k0) / kBlock;
    if (asleep_[static_cast<std::size_t>(b)]) wake(b);
    for (int k = k0; k < k0 + len; ++k) {
      exc_in_[base + k] += exc[k];
      inh_in_[base + k] += inh[k];
      exc[k] = inh[k] = 0.0f;
    }
  }
}

void NeuronArray::set_sleep(bool on) {
  if (!on)
    for (int b = 0; b < static_cast<int>(asleep_.size()); ++b)
      if (asleep_[b]) wake(b);
  sleep_on_ = on;
}

// Replays the steps block b skipped, exactly as step_group would have run them (same draws
// from the block's stream, same common path), inputs being zero all that time.
void NeuronArray::wake(int b) {
  const std::size_t bs = static_cast<std::size_t>(b);
  asleep_[bs] = 0;
  const std::size_t group = static_cast<std::size_t>(b * kBlock / group_stride_);
  --asleep_count_[group];
  std::vector<int>& list = awake_list_[group];
  list.insert(std::lower_bound(list.begin(), list.end(), b), b);
  SleepStats& stats = sleep_stats_[group];
  const std::uint64_t steps = group_steps_[group] - asleep_from_step_[bs];
  stats.replayed += steps;
  // Inputs that arrived for the coming step wait until the replay is done.
  double ein[kBlock], iin[kBlock];
  const int base = b * kBlock;
  std::copy_n(exc_in_.data() + base, kBlock, ein);
  std::copy_n(inh_in_.data() + base, kBlock, iin);
  std::fill_n(exc_in_.data() + base, kBlock, 0.0);
  std::fill_n(inh_in_.data() + base, kBlock, 0.0);
  for (std::uint64_t k = 0; k < steps; ++k) {
    const double t0 = asleep_from_us_[bs] + static_cast<double>(k) * dt_us_;
    if (noise_on_) draw_noise(b);
    common_step(t0, t0 + dt_us_, &b, 1);
    for (unsigned m = block_flag_[bs]; m != 0; m &= m - 1) {
      // A crossing while asleep (the margin makes this practically impossible): the state
      // follows it, the spike itself is too late to deliver.
      stats.late_scratch.clear();
      advance_slow(base + __builtin_ctz(m), t0, stats.late_scratch);
      stats.late_spikes += stats.late_scratch.size();
    }
    block_flag_[bs] = 0;
    cur(b) = nxt(b);
  }
  std::copy_n(ein, kBlock, exc_in_.data() + base);
  std::copy_n(iin, kBlock, inh_in_.data() + base);
}

// Whether block b (state just computed into nxt(b), the step ending at t_end) may sleep.
bool NeuronArray::may_sleep(int b, double t_end) const {
  if (block_flag_[b] != 0 || block_exp_[b] != 0) return false;
  const StateBlock& s = nxt(b);
  for (int j = 0; j < kBlock; ++j) {
    const int i = b * kBlock + j;
    if (!real_slot(i)) continue;
    const NeuronCircuitParams& p = params_[i];
    const Linear& L = lin_[i];
    if (p.adaptation || refr_[i] > t_end || exc_in_[i] != 0.0 || inh_in_[i] != 0.0) return false;
    if (!(L.g_m > 0.0)) return false;
    // Upper bound of the noiseless membrane from now on: the larger of V and the rest
    // potential, plus the full charge still in the excitatory and noise currents (no leak).
    const double v_rest = p.v_leak_mV + p.i_offset_nA * L.inv_c / L.g_m;
    auto charge = [](double i_nA, double g) { return i_nA == 0.0 ? 0.0 : i_nA / g; };
    const double v_up =
        std::max(s.v[j], v_rest) +
        L.inv_c * (charge(std::max(s.ie[j], 0.0), L.g_e) + charge(std::max(-s.ii[j], 0.0), L.g_i) +
                   charge(std::fabs(s.in[j]), L.g_n));
    // The noise adds a Gaussian of at most the stationary spread.
    if (!(v_up + kSleepMarginSigma * 1.05 * p.noise_v_rms_mV < p.v_threshold_mV)) return false;
  }
  return true;
}

void NeuronArray::step_group(int group, double t_start_us, std::vector<NeuronSpike>& out) {
  const double t0 = t_start_us;
  const double t_end = t0 + dt_us_;
  const int base = group_base(group);
  const int group_end = base + std::min(group_size_, n_ - group * group_size_);
  const int b0 = base / kBlock, b1 = (base + group_stride_) / kBlock;
  std::uint64_t& steps = group_steps_[static_cast<std::size_t>(group)];
  if (asleep_count_[static_cast<std::size_t>(group)] == b1 - b0) {
    // Every block asleep: nothing below would touch a block (no draws, no common or rare
    // path, no sleep check), only the counts move.
    ++steps;
    sleep_stats_[static_cast<std::size_t>(group)].skipped += static_cast<std::uint64_t>(b1 - b0);
    return;
  }

  // Only the awake blocks are visited (asleep ones have no draws, no flags).
  std::vector<int>& awake = awake_list_[static_cast<std::size_t>(group)];
  const int n_awake = static_cast<int>(awake.size());
  if (noise_on_)
    for (int b : awake) draw_noise(b);

  common_step(t0, t_end, awake.data(), n_awake);

  // Rare path: exponential term, refractoriness ending inside the step, adaptation while
  // refractory, and every threshold crossing (spike time resolved inside the step).
  const std::size_t first = out.size();
  // The common path marked exactly the neurons that need it (one bit each), in neuron order.
  for (int b : awake) {
    for (unsigned m = block_flag_[b]; m != 0; m &= m - 1) {
      const int i = b * kBlock + __builtin_ctz(m);
      if (i >= group_end) break;
      advance_slow(i, t0, out);
    }
  }
  if (out.size() - first > 1) {
    std::sort(out.begin() + static_cast<std::ptrdiff_t>(first), out.end(),
              [](const NeuronSpike& a, const NeuronSpike& b) {
                return a.time_us < b.time_us || (a.time_us == b.time_us && a.neuron < b.neuron);
              });
  }
  ++steps;
  // Idle blocks go to sleep (checked every few steps: the test costs about a step).
  if (sleep_on_ && steps % kSleepCheckSteps == 0) {
    int kept = 0;
    for (int b : awake) {
      if (!may_sleep(b, t_end)) {
        awake[static_cast<std::size_t>(kept++)] = b;
        continue;
      }
      asleep_[b] = 1;
      ++asleep_count_[static_cast<std::size_t>(group)];
      asleep_from_step_[b] = steps;
      asleep_from_us_[b] = t_end;
      cur(b) = nxt(b);  // both current
    }
    awake.resize(static_cast<std::size_t>(kept));
  }
  sleep_stats_[static_cast<std::size_t>(group)].skipped +=
      static_cast<std::uint64_t>(asleep_count_[static_cast<std::size_t>(group)]);
}

// Every neuron as if linear and free (or held at reset for the whole step), exactly, with
// the one-step propagators; flags the blocks that hold a neuron needing the rare path.
template <class VD, class VI, bool kAdaptation, int kNoise>
__attribute__((always_inline)) inline void NeuronArray::common_path_body(double t0, double t_end,
                                                                         const int* blocks,
                                                                         int count) {
  constexpr int kL = static_cast<int>(sizeof(VD) / sizeof(double));
  // Every block of one call belongs to one group (step_group, wake): one pair of buffers.
  const unsigned buf =
      count > 0 ? cur_buf_[static_cast<std::size_t>(group_of_block(blocks[0]))] : 0u;
  StateBlock* __restrict cur = state_.data() + block_state(buf, 0);
  StateBlock* __restrict nxt = state_.data() + block_state(buf ^ 1u, 0);
  const CoefBlock* __restrict coef = coef_.data();
  double* __restrict ein = exc_in_.data();
  double* __restrict iin = inh_in_.data();
  const double* __restrict xi = xi_.data();
  const double* __restrict xi2 = xi2_.data();
  const double* __restrict refr = refr_.data();
  std::uint8_t* __restrict flag = block_flag_.data();
  const VD zero_v = {};
  const VD t0_v = zero_v + t0;
  const VD t_end_v = zero_v + t_end;
  for (int q = 0; q < count; ++q) {
    const int b = blocks[q];
    StateBlock& s = cur[b];
    StateBlock& o = nxt[b];
    const CoefBlock& c = coef[b];
    const int base = b * kBlock;
    unsigned need_rare = block_exp_[b];
    for (int j = 0; j < kBlock; j += kL) {
      const VD e0 = vload<VD>(s.ie + j) + vload<VD>(c.ge + j) * vload<VD>(ein + base + j);
      const VD h0 = vload<VD>(s.ii + j) + vload<VD>(c.gi + j) * vload<VD>(iin + base + j);
      vstore(ein + base + j, zero_v);
      vstore(iin + base + j, zero_v);
      vstore(s.ie + j, e0);  // the rare path starts from the state after the input jumps
      vstore(s.ii + j, h0);
      const VD v0 = vload<VD>(s.v + j), n0 = vload<VD>(s.in + j);
      VD vl = vload<VD>(c.pvv + j) * v0 + vload<VD>(c.pve + j) * e0 + vload<VD>(c.pvi + j) * h0 +
              vload<VD>(c.pvn + j) * n0 + vload<VD>(c.kv + j);
      VD nn = vload<VD>(c.dn + j) * n0;
      if (kNoise == 2) {
        const VD x = vload<VD>(xi + base + j);
        vl += vload<VD>(c.nv + j) * x + vload<VD>(c.nv2 + j) * vload<VD>(xi2 + base + j);
        nn += vload<VD>(c.qn + j) * x;
      } else if (kNoise == 1) {
        const VD x = vload<VD>(xi + base + j);
        vl += vload<VD>(c.nv + j) * x;
        nn += vload<VD>(c.qn + j) * x;
      }
      if (kAdaptation) {
        const VD w0 = vload<VD>(s.w + j);
        vl += vload<VD>(c.pvw + j) * w0;
        VD wl = vload<VD>(c.pwv + j) * v0 + vload<VD>(c.pww + j) * w0 + vload<VD>(c.pwe + j) * e0 +
                vload<VD>(c.pwi + j) * h0 + vload<VD>(c.pwn + j) * n0 + vload<VD>(c.kw + j);
        if (kNoise == 2) {
          wl += vload<VD>(c.nw + j) * vload<VD>(xi + base + j) +
                vload<VD>(c.nw2 + j) * vload<VD>(xi2 + base + j);
        } else if (kNoise == 1) {
          wl += vload<VD>(c.nw + j) * vload<VD>(xi + base + j);
        }
        vstore(o.w + j, wl);
      }  // else w is constant and both buffers hold it (see sync_constant_w)
      vstore(o.ie + j, vload<VD>(c.de + j) * e0);
      vstore(o.ii + j, vload<VD>(c.di + j) * h0);
      vstore(o.in + j, nn);
      const VD r = vload<VD>(refr + base + j);
      vl = r >= t_end_v ? vload<VD>(c.vr + j) : vl;  // held at reset all step
      const VD lo = vload<VD>(c.vmin + j), hi = vload<VD>(c.vmax + j);
      vl = vl < lo ? lo : vl;
      vl = vl > hi ? hi : vl;
      vstore(o.v + j, vl);
      VI refractory_ends = (r > t0_v) & (r < t_end_v);
      if (kAdaptation) refractory_ends |= (r > t0_v) & vload<VI>(c.adapt_mask + j);
      const VI need = (vl >= vload<VD>(c.vth + j)) | refractory_ends;
      for (int l = 0; l < kL; ++l) need_rare |= static_cast<unsigned>(need[l] & 1) << (j + l);
    }
    flag[b] = static_cast<std::uint8_t>(need_rare);
  }
}

template <bool kAdaptation, int kNoise>
void NeuronArray::common_path(double t0, double t_end, const int* blocks, int count) {
#if defined(__x86_64__) && defined(__GNUC__) && !defined(SALVO_NO_WIDE_ISA)
  if (g_wide_common_path) {
    common_path_avx2<kAdaptation, kNoise>(t0, t_end, blocks, count);
    return;
  }
#endif
  common_path_body<Vd, Vi, kAdaptation, kNoise>(t0, t_end, blocks, count);
}

#if defined(__x86_64__) && defined(__GNUC__) && !defined(SALVO_NO_WIDE_ISA)
// The same body on 4-lane vectors (one AVX2 register): the same IEEE operations lane by lane
// (no FMA: ISO C++ mode does not contract, and the target adds AVX2 only), so both variants
// give identical numbers.
template <bool kAdaptation, int kNoise>
__attribute__((target("avx2"))) void NeuronArray::common_path_avx2(double t0, double t_end,
                                                                   const int* blocks, int count) {
  common_path_body<Vd4, Vi4, kAdaptation, kNoise>(t0, t_end, blocks, count);
}
#endif

void NeuronArray::advance_slow(int i, double t0, std::vector<NeuronSpike>& out) {
  const NeuronCircuitParams& p = params_[i];
  const int b = i / kBlock, j = i % kBlock;
  const StateBlock& s = cur(b);
  double y[5] = {s.v[j], s.w[j], s.ie[j], s.ii[j], s.in[j]};
  const double t_end = t0 + dt_us_;
  const double xi = xi_[i];
  const double i_noise_step = kappa_[i] * xi + kappa2_[i] * xi2_[i];  // in-step noise current
  const bool exponential = (kind_[i] & kExponential) != 0;
  double t = t0;
  int spikes = 0;
  while (t < t_end) {
    if (refr_[i] > t) {
      const double until = std::min(refr_[i], t_end);
      refractory_segment(i, y, until - t);
      t = until;
      continue;
    }
    double s_spike = 0.0;
    const bool spiked = exponential ? free_exponential(i, i_noise_step, y, t_end - t, &s_spike)
                                    : free_linear(i, i_noise_step, y, t_end - t, &s_spike);
    if (!spiked) break;
    t = std::min(t + s_spike, t_end);
    out.push_back(NeuronSpike{t, neuron_of(i)});
    y[0] = p.v_reset_mV;
    if (p.adaptation) y[1] += p.adapt_b_nA;
    refr_[i] = t + p.t_ref_us;
    if (++spikes >= kMaxSpikesPerStep) {
      refr_[i] = std::max(refr_[i], t_end);
      refractory_segment(i, y, t_end - t);
      break;
    }
  }
  y[4] += coef_[b].qn[j] * xi;  // the exact OU innovation of this step
  y[0] = std::min(std::max(y[0], p.v_min_mV), p.v_max_mV);
  StateBlock& o = nxt(b);
  o.v[j] = y[0];
  o.w[j] = y[1];
  o.ie[j] = y[2];
  o.ii[j] = y[3];
  o.in[j] = y[4];
}

void NeuronArray::refractory_segment(int i, double* y, double r) {
  const Linear& L = lin_[i];
  const NeuronCircuitParams& p = params_[i];
  const bool adapting = p.adaptation && L.g_w > 0.0;
  RefractoryDecay& d = refr_decay_[static_cast<std::size_t>(i)];
  if (!(d.r == r)) {
    d.r = r;
    d.e = std::exp(-L.g_e * r);
    d.i = std::exp(-L.g_i * r);
    d.n = std::exp(-L.g_n * r);
    d.w = adapting ? std::exp(-L.g_w * r) : 0.0;
  }
  y[0] = p.v_reset_mV;
  if (adapting) {
    const double w_inf = 1e-3 * p.adapt_a_nS * (p.v_reset_mV - p.v_leak_mV);
    y[1] = w_inf + (y[1] - w_inf) * d.w;
  }
  y[2] *= d.e;
  y[3] *= d.i;
  y[4] *= d.n;
}

bool NeuronArray::free_linear(int i, double i_extra_nA, double* y, double h, double* s_spike) {
  const Linear& L = lin_[i];
  const double vth = params_[i].v_threshold_mV;
  if (y[0] >= vth) {
    *s_spike = 0.0;
    return true;
  }
  const LinearView view{L.g_m, L.inv_c, L.adapt, L.a_w, L.g_w, L.g_e, L.g_i, L.g_n};
  double c[5];
  constants(i, i_extra_nA, c);
  const int pieces = pieces_for(h, L.rate_bound);
  const double hp = h / pieces;
  TaylorPiece T;
  double offset = 0.0;
  for (int piece = 0; piece < pieces; ++piece) {
    T.build(view, c, y, hp);
    const double v_end = T.v(hp);
    if (v_end >= vth) {
      const double s = find_crossing(
          [&](double x, double* df) {
            *df = T.dv(x);
            return T.v(x) - vth;
          },
          0.0, hp, y[0] - vth, v_end - vth);
      T.eval(s, y);
      *s_spike = offset + s;
      return true;
    }
    T.eval(hp, y);
    offset += hp;
  }
  return false;
}

namespace {

// The exponential-term path integrates only (V, w) with RK4; the synaptic and noise currents
// are exponentials known in closed form and enter as forcing, exactly.
struct VwSystem {
  double g_m, inv_c, adapt, a_w, g_w;
  double c_v, c_w;  // affine terms (leak, offset and in-step noise currents; adaptation)
  double delta, v_t;
};

inline double exp_term(const VwSystem& S, double v) {
  return std::exp(std::min((v - S.v_t) / S.delta, kMaxExpArgument));
}

// dV/dt and dw/dt at (v, w) with total synaptic current i_syn (nA) and e = exp_term(v).
inline void rhs_vw(const VwSystem& S, double v, double w, double i_syn, double e, double* dv,
                   double* dw) {
  *dv = -S.g_m * v + S.g_m * S.delta * e - S.adapt * S.inv_c * w + S.inv_c * i_syn + S.c_v;
  *dw = S.a_w * v - S.g_w * w + S.c_w;
}

// One RK4 step of size h from (v, w) given the derivative there (k1) and the synaptic
// current at h/2 and h.
inline void rk4_vw(const VwSystem& S, double v, double w, double ih, double i1, double h,
                   double k1v, double k1w, double* v_out, double* w_out) {
  double k2v, k2w, k3v, k3w, k4v, k4w;
  double vs = v + 0.5 * h * k1v, ws = w + 0.5 * h * k1w;
  rhs_vw(S, vs, ws, ih, exp_term(S, vs), &k2v, &k2w);
  vs = v + 0.5 * h * k2v;
  ws = w + 0.5 * h * k2w;
  rhs_vw(S, vs, ws, ih, exp_term(S, vs), &k3v, &k3w);
  vs = v + h * k3v;
  ws = w + h * k3w;
  rhs_vw(S, vs, ws, i1, exp_term(S, vs), &k4v, &k4w);
  *v_out = v + h / 6.0 * (k1v + 2.0 * (k2v + k3v) + k4v);
  *w_out = w + h / 6.0 * (k1w + 2.0 * (k2w + k3w) + k4w);
}

}  // namespace

bool NeuronArray::free_exponential(int i, double i_extra_nA, double* y, double h, double* s_spike) {
  const Linear& L = lin_[i];
  const NeuronCircuitParams& p = params_[i];
  const double vth = p.v_threshold_mV;
  if (y[0] >= vth) {
    *s_spike = 0.0;
    return true;
  }
  double c[5];
  constants(i, i_extra_nA, c);
  const VwSystem S{L.g_m, L.inv_c, L.adapt, L.a_w, L.g_w, c[0], c[1], p.delta_t_mV, p.v_exp_mV};
  // Stiffness of the (V, w) block; the currents are exact forcing and do not count.
  const double rate_vw = std::max(L.g_m + L.g_w, std::sqrt(L.g_m * L.g_w + L.inv_c * L.a_w));
  double offset = 0.0;
  int substeps = 0;
  // Current decays over hs / 2; a whole step (the common case) uses the stored ones.
  double hs_cached = dt_us_;
  double de = L.half_step_decay_e, di = L.half_step_decay_i, dn = L.half_step_decay_n;
  while (offset < h) {
    const double remaining = h - offset;
    const double e0 = exp_term(S, y[0]);
    // Fastest local rate: the (V, w) block plus the exponential term's own Jacobian.
    const double rate = rate_vw + L.g_m * e0;
    int n = static_cast<int>(std::ceil(std::min(remaining * rate / rk4_rate_step_, 1e9)));
    n = std::max(1, std::min(n, kMaxRk4Substeps - substeps));
    const double hs = n == 1 ? remaining : remaining / n;
    if (hs != hs_cached) {
      de = std::exp(-0.5 * L.g_e * hs);
      di = std::exp(-0.5 * L.g_i * hs);
      dn = std::exp(-0.5 * L.g_n * hs);
      hs_cached = hs;
    }
    const double i0 = y[2] - y[3] + y[4];
    const double ih = y[2] * de - y[3] * di + y[4] * dn;
    const double i1 = y[2] * de * de - y[3] * di * di + y[4] * dn * dn;
    double k1v, k1w, v1, w1;
    rhs_vw(S, y[0], y[1], i0, e0, &k1v, &k1w);
    rk4_vw(S, y[0], y[1], ih, i1, hs, k1v, k1w, &v1, &w1);
    ++substeps;
    if (v1 >= vth) {
      // Crossing inside this substep: Newton on the RK4 solution from the substep start
      // (the same one-step map the integrator uses), safeguarded by bisection.
      auto at = [&](double x, double* v, double* w, double* ie, double* ii, double* in) {
        const double he = std::exp(-0.5 * L.g_e * x), hi = std::exp(-0.5 * L.g_i * x),
                     hn = std::exp(-0.5 * L.g_n * x);
        *ie = y[2] * he * he;
        *ii = y[3] * hi * hi;
        *in = y[4] * hn * hn;
        rk4_vw(S, y[0], y[1], y[2] * he - y[3] * hi + y[4] * hn, *ie - *ii + *in, x, k1v, k1w, v,
               w);
      };
      const double s = find_crossing(
          [&](double x, double* df) {
            double v, w, ie, ii, in, dw;
            at(x, &v, &w, &ie, &ii, &in);
            rhs_vw(S, v, w, ie - ii + in, exp_term(S, v), df, &dw);
            return v - vth;
          },
          0.0, hs, y[0] - vth, v1 - vth);
      at(s, &y[0], &y[1], &y[2], &y[3], &y[4]);
      *s_spike = offset + s;
      return true;
    }
    y[0] = std::min(std::max(v1, p.v_min_mV), p.v_max_mV);
    y[1] = w1;
    y[2] *= de * de;
    y[3] *= di * di;
    y[4] *= dn * dn;
    offset = n == 1 ? h : offset + hs;
  }
  return false;
}

namespace detail {
bool use_wide_common_path(bool allow) {
#if defined(__x86_64__) && defined(__GNUC__) && !defined(SALVO_NO_WIDE_ISA)
  g_wide_common_path = allow && __builtin_cpu_supports("avx2");
#else
  (void)allow;
#endif
  return g_wide_common_path;
}
}  // namespace detail

namespace {
const bool kWideCommonPathAtStart = detail::use_wide_common_path(true);
}  // namespace

}  // namespace salvo
