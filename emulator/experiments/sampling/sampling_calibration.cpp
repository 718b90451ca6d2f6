#include "emulator/experiments/sampling/sampling_calibration.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "hw/common/error.hpp"

namespace salvo::experiments {

double logistic(double z) { return 1.0 / (1.0 + std::exp(-z)); }

namespace {

// Start values: linear regression of logit(p) on x over the points inside (0.03, 0.97); without
// a rising slope there, the middle of the sweep and a tenth of its width.
void logistic_start(const std::vector<double>& x, const std::vector<double>& p, std::size_t n,
                    double& u0, double& alpha) {
  double sx = 0, sy = 0, sxx = 0, sxy = 0, m = 0;
  for (std::size_t k = 0; k < n; ++k) {
    if (p[k] <= 0.03 || p[k] >= 0.97) continue;
    const double y = std::log(p[k] / (1 - p[k]));
    sx += x[k];
    sy += y;
    sxx += x[k] * x[k];
    sxy += x[k] * y;
    m += 1;
  }
  double slope = 0;
  if (m >= 2 && m * sxx - sx * sx > 0) slope = (m * sxy - sx * sy) / (m * sxx - sx * sx);
  if (slope > 0) {
    alpha = 1 / slope;
    u0 = (sx - alpha * sy) / m;  // mean(x) − α·mean(y)
  } else {
    u0 = 0.5 * (x.front() + x[n - 1]);
    alpha = std::max(1e-3, 0.1 * std::fabs(x[n - 1] - x.front()));
  }
}

// Levenberg–Marquardt on Σ (σ((x − u0)/α) − p)², from (u0, alpha).
void logistic_refine(const std::vector<double>& x, const std::vector<double>& p, std::size_t n,
                     double& u0, double& alpha) {
  auto cost = [&](double a, double b) {
    double c = 0;
    for (std::size_t k = 0; k < n; ++k) {
      const double r = logistic((x[k] - a) / b) - p[k];
      c += r * r;
    }
    return c;
  };
  double lambda = 1e-3, c0 = cost(u0, alpha);
  for (int it = 0; it < 200; ++it) {
    double j11 = 0, j12 = 0, j22 = 0, g1 = 0, g2 = 0;
    for (std::size_t k = 0; k < n; ++k) {
      const double z = (x[k] - u0) / alpha;
      const double s = logistic(z);
      const double ds = s * (1 - s);
      const double du = -ds / alpha, da = -ds * z / alpha;
      const double r = s - p[k];
      j11 += du * du;
      j12 += du * da;
      j22 += da * da;
      g1 += du * r;
      g2 += da * r;
    }
    bool improved = false;
    for (int tries = 0; tries < 20 && !improved; ++tries) {
      const double a11 = j11 * (1 + lambda), a22 = j22 * (1 + lambda);
      const double det = a11 * a22 - j12 * j12;
      if (det <= 0) {
        lambda *= 10;
        continue;
      }
      const double d1 = -(a22 * g1 - j12 * g2) / det, d2 = -(a11 * g2 - j12 * g1) / det;
      const double nu = u0 + d1, na = alpha + d2;
      const double c1 = na > 0 ? cost(nu, na) : c0 + 1;
      if (c1 < c0) {
        improved = true;
        const bool done = c0 - c1 < 1e-14 * (1 + c0);
        u0 = nu;
        alpha = na;
        c0 = c1;
        lambda = std::max(1e-9, lambda / 3);
        if (done) it = 1000;
      } else {
        lambda *= 10;
      }
    }
    if (!improved) break;
  }
}

}  // namespace

LogisticFit fit_logistic(const std::vector<double>& x, const std::vector<double>& p) {
  LogisticFit f;
  const std::size_t n = std::min(x.size(), p.size());
  if (n < 3) return f;
  double u0 = 0, alpha = 0;
  logistic_start(x, p, n, u0, alpha);
  logistic_refine(x, p, n, u0, alpha);
  f.u0 = u0;
  f.alpha = alpha;
  double ss = 0, mx = 0;
  for (std::size_t k = 0; k < n; ++k) {
    const double r = logistic((x[k] - u0) / alpha) - p[k];
    ss += r * r;
    mx = std::max(mx, std::fabs(r));
  }
  f.rms_error = std::sqrt(ss / n);
  f.max_error = mx;
  const double lo = std::min(x.front(), x[n - 1]), hi = std::max(x.front(), x[n - 1]);
  // A usable activation function: the crossing inside the sweep, a slope that spans it
  // (α below half the sweep) and p rising over most of [0, 1]. A neuron whose reset sits above
  // its threshold, say, fires at a fixed rate whatever its leak and fails this.
  const auto [pmin, pmax] = std::minmax_element(p.begin(), p.begin() + n);
  f.ok = alpha > 0 && std::isfinite(u0) && u0 >= lo && u0 <= hi && alpha < 0.5 * (hi - lo) &&
         *pmax - *pmin > 0.5;
  return f;
}

double psp_kappa(double tau_syn_us, double tau_mem_us, double tau_on_us) {
  // V(t) ∝ (e^{−t/τs} − e^{−t/τm}) / (τs − τm) (τs ≠ τm; equal τ: t·e^{−t/τ}); numerically.
  auto v = [&](double t) {
    if (std::fabs(tau_syn_us - tau_mem_us) < 1e-9) return t * std::exp(-t / tau_syn_us);
    return (std::exp(-t / tau_syn_us) - std::exp(-t / tau_mem_us)) / (tau_syn_us - tau_mem_us);
  };
  const int steps = 20000;
  const double t_end = std::max(tau_on_us, 10 * std::max(tau_syn_us, tau_mem_us));
  double peak = 0, mean = 0;
  for (int k = 0; k <= steps; ++k) {
    const double t = t_end * k / steps;
    peak = std::max(peak, v(t));
  }
  const int on_steps = 5000;
  for (int k = 0; k < on_steps; ++k) mean += v(tau_on_us * (k + 0.5) / on_steps) / on_steps;
  return peak > 0 ? mean / peak : 0.0;
}

void set_sampling_time_constants(AnalogCore& core, const SalNetwork& net,
                                 const SamplingNeuronParams& p) {
  for (int c : net.columns) {
    const int neuron = net.half * core.neurons_per_half() + c;
    // Through the calibration's per-neuron lines when one is applied (else the ideal codes).
    core.set_current_target(neuron, CurrentCell::kRefractoryBias, p.tau_on_us);
    core.set_current_target(neuron, CurrentCell::kSynExcBias, p.tau_syn_us);
    core.set_current_target(neuron, CurrentCell::kSynInhBias, p.tau_syn_us);
    core.set_current_target(neuron, CurrentCell::kLeakBias, p.tau_mem_us);
  }
}

namespace {

// Runs the chip to t_us, reading (and resetting) the 8-bit rate counters every read period.
void run_counting(session::Session& s, const SalNetwork& net, double until_us,
                  double read_period_us, std::vector<double>& counts) {
  AnalogCore& core = s.core();
  const int n = static_cast<int>(net.columns.size());
  while (core.now_us() < until_us - 1e-9) {
    const double t = std::min(until_us, core.now_us() + read_period_us);
    s.advance_to(t);
    for (int k = 0; k < n; ++k) {
      const int neuron = net.half * core.neurons_per_half() + net.columns[k];
      counts[k] += core.rate_counter(neuron);
      core.reset_rate_counter(neuron);
    }
  }
}

}  // namespace

ActivationCalibration measure_activation(session::Session& s, const SalNetwork& net,
                                         const ActivationOptions& opt) {
  AnalogCore& core = s.core();
  auto& pm = core.parameters();
  const int n = static_cast<int>(net.columns.size());
  const int leak = ParameterMemory::cell_index(VoltageCell::kLeak);
  auto neuron_of = [&](int k) { return net.half * core.neurons_per_half() + net.columns[k]; };
  const int code_max = pm.code_max();
  auto measure = [&](double window) {
    std::vector<double> counts(n, 0.0);
    core.reset_rate_counters();
    run_counting(s, net, core.now_us() + window, opt.read_period_us, counts);
    for (auto& c : counts) c *= opt.tau_on_us / window;
    return counts;
  };
  // Bisection towards p = ½ (step halves whenever the direction flips).
  std::vector<int> step(n, 16), last_dir(n, 0), centre(n);
  for (int k = 0; k < n; ++k) centre[k] = pm.code(neuron_of(k), leak);
  for (int it = 0; it < opt.bisect_iterations; ++it) {
    const auto p = measure(opt.bisect_window_us);
    for (int k = 0; k < n; ++k) {
      const int dir = p[k] < 0.5 ? 1 : -1;
      if (last_dir[k] != 0 && dir != last_dir[k]) step[k] = std::max(1, step[k] / 2);
      last_dir[k] = dir;
      centre[k] = std::clamp(centre[k] + dir * step[k], 0, code_max);
      core.write_parameter(neuron_of(k), leak, centre[k]);
    }
  }
  ActivationCalibration cal;
  cal.chip_name = core.config().name;
  cal.seed = s.seed();
  cal.tau_on_us = opt.tau_on_us;
  cal.mV_per_code = pm.ideal_value(leak, 1) - pm.ideal_value(leak, 0);
  cal.neurons.resize(n);
  for (int q = 0; q < opt.points; ++q) {
    const double off = (q - 0.5 * (opt.points - 1)) * opt.step_codes;
    for (int k = 0; k < n; ++k) {
      const int code = std::clamp(static_cast<int>(std::lround(centre[k] + off)), 0, code_max);
      core.write_parameter(neuron_of(k), leak, code);
      cal.neurons[k].codes.push_back(code);
    }
    // Let the membrane settle on the new leak (a few τ) before counting.
    std::vector<double> discard(n, 0.0);
    run_counting(s, net, core.now_us() + 100, opt.read_period_us, discard);
    const auto p = measure(opt.window_us);
    for (int k = 0; k < n; ++k) cal.neurons[k].p.push_back(p[k]);
  }
  for (int k = 0; k < n; ++k) {
    auto& a = cal.neurons[k];
    std::vector<double> x(a.codes.begin(), a.codes.end());
    a.fit = fit_logistic(x, a.p);
    core.write_parameter(neuron_of(k), leak, centre[k]);
  }
  return cal;
}

nlohmann::json ActivationCalibration::to_json() const {
  nlohmann::json j;
  j["chip"] = chip_name;
  j["seed"] = seed;
  j["tau_on_us"] = tau_on_us;
  j["mV_per_code"] = mV_per_code;
  j["model"] = "p = 1 / (1 + exp(-(leak_code - u0) / alpha)), p = rate * tau_on";
  auto& arr = j["neurons"] = nlohmann::json::array();
  for (const auto& a : neurons)
    arr.push_back({{"u0_code", a.fit.u0},
                   {"alpha_code", a.fit.alpha},
                   {"rms_error", a.fit.rms_error},
                   {"max_error", a.fit.max_error},
                   {"fit_ok", a.fit.ok},
                   {"codes", a.codes},
                   {"p", a.p}});
  return j;
}

ActivationCalibration ActivationCalibration::from_json(const nlohmann::json& j) {
  ActivationCalibration c;
  c.chip_name = j.at("chip").get<std::string>();
  c.seed = j.at("seed").get<std::uint64_t>();
  c.tau_on_us = j.at("tau_on_us").get<double>();
  c.mV_per_code = j.at("mV_per_code").get<double>();
  for (const auto& a : j.at("neurons")) {
    NeuronActivation n;
    n.codes = a.at("codes").get<std::vector<int>>();
    n.p = a.at("p").get<std::vector<double>>();
    n.fit.u0 = a.at("u0_code").get<double>();
    n.fit.alpha = a.at("alpha_code").get<double>();
    n.fit.rms_error = a.at("rms_error").get<double>();
    n.fit.max_error = a.at("max_error").get<double>();
    n.fit.ok = a.at("fit_ok").get<bool>();
    c.neurons.push_back(std::move(n));
  }
  return c;
}

BoltzmannMapping::BoltzmannMapping(AnalogCore& core, const SalNetwork& net,
                                   const ActivationCalibration& cal, const SamplingNeuronParams& p)
    : n_(static_cast<int>(net.columns.size())),
      net_(net),
      kappa_(psp_kappa(p.tau_syn_us, p.tau_mem_us, p.tau_on_us)) {
  if (static_cast<int>(cal.neurons.size()) != n_)
    throw UserError(fmt::format("activation calibration holds {} neurons, the network has {}",
                                cal.neurons.size(), n_));
  const double code_max = core.parameters().code_max();
  for (const auto& a : cal.neurons) {
    double u0 = a.fit.u0, alpha = a.fit.alpha;
    // A fit that diverged (few or flat points) gives numbers no leak code can carry: such a
    // neuron keeps the middle of its sweep (its p = ½ bisection code) and a slope of an eighth
    // of the sweep, so it stays in the network at a sane operating point (it is reported as
    // not fitted in activation_fits_ok).
    if (!std::isfinite(u0) || u0 < 0 || u0 > code_max || !std::isfinite(alpha) || alpha <= 0) {
      const auto [lo, hi] =
          a.codes.empty() ? std::pair<int, int>{0, 0}
                          : std::pair<int, int>{*std::min_element(a.codes.begin(), a.codes.end()),
                                                *std::max_element(a.codes.begin(), a.codes.end())};
      u0 = a.codes.empty() ? 0.5 * code_max : 0.5 * (lo + hi);
      alpha = std::max(1.0, (hi - lo) / 8.0);
    }
    u0_.push_back(u0);
    alpha_code_.push_back(alpha);
    alpha_mV_.push_back(alpha * cal.mV_per_code);
  }
  // PSP per code from the oracle at full code (then the rows are restored).
  auto& syn = core.synapses(net.half);
  const int wm = syn.weight_max();
  psp_exc_.assign(static_cast<std::size_t>(n_) * n_, 0.0);
  psp_inh_ = psp_exc_;
  for (int j = 0; j < n_; ++j)
    for (int i = 0; i < n_; ++i) {
      if (i == j) continue;
      const int col = net.columns[i];
      const int we = syn.weight(net.exc_row(j), col), wi = syn.weight(net.inh_row(j), col);
      syn.set_weight(net.exc_row(j), col, wm);
      syn.set_weight(net.inh_row(j), col, wm);
      psp_exc_[i * n_ + j] = core.effective_weight_mV(net.half, net.exc_row(j), col) / wm;
      psp_inh_[i * n_ + j] = core.effective_weight_mV(net.half, net.inh_row(j), col) / wm;
      syn.set_weight(net.exc_row(j), col, we);
      syn.set_weight(net.inh_row(j), col, wi);
    }
}

double BoltzmannMapping::bias_code(int i, double b) const { return u0_[i] + alpha_code_[i] * b; }

double BoltzmannMapping::bias_of_code(int i, double code) const {
  return (code - u0_[i]) / alpha_code_[i];
}

double BoltzmannMapping::weight_code(int i, int j, double w) const {
  const double per_code = w >= 0 ? psp_exc_[i * n_ + j] : -psp_inh_[i * n_ + j];
  if (per_code <= 0) return 0.0;
  return w * alpha_mV_[i] / (kappa_ * per_code);
}

double BoltzmannMapping::effective_weight(AnalogCore& core, int i, int j) const {
  return kappa_ * experiments::effective_weight(core, net_, j, i) / alpha_mV_[i];
}

}  // namespace salvo::experiments
