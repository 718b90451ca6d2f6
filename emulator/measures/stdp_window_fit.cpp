#include "emulator/measures/stdp_window_fit.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "hw/common/error.hpp"

namespace salvo::measures {

namespace {

double residual_sum(const std::vector<double>& x, const std::vector<double>& y, double a,
                    double k) {
  double s = 0.0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double r = y[i] - a * std::exp(-k * x[i]);
    s += r * r;
  }
  return s;
}

// Weighted least squares of ln y = ln A − k·x with weights y². Returns false when the points do
// not determine a line (fewer than 2 distinct x).
bool log_linear_start(const std::vector<double>& x, const std::vector<double>& y, double floor,
                      double& a, double& k) {
  double sw = 0.0, sx = 0.0, sl = 0.0, sxx = 0.0, sxl = 0.0;
  int n = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    if (!(y[i] > floor) || !(y[i] > 0.0)) continue;
    const double w = y[i] * y[i];
    const double l = std::log(y[i]);
    sw += w;
    sx += w * x[i];
    sl += w * l;
    sxx += w * x[i] * x[i];
    sxl += w * x[i] * l;
    ++n;
  }
  if (n < 2) return false;
  const double det = sw * sxx - sx * sx;
  if (!(det > 1e-12 * sw * sxx)) return false;
  const double slope = (sw * sxl - sx * sl) / det;
  const double intercept = (sl - slope * sx) / sw;
  a = std::exp(intercept);
  k = -slope;
  return std::isfinite(a) && std::isfinite(k);
}

double mean_of(const std::vector<double>& v) {
  double s = 0.0;
  for (double x : v) s += x;
  return v.empty() ? std::nan("") : s / static_cast<double>(v.size());
}

double rel_sd_of(const std::vector<double>& v) {
  if (v.size() < 2) return std::nan("");
  const double m = mean_of(v);
  double s = 0.0;
  for (double x : v) s += (x - m) * (x - m);
  return std::sqrt(s / static_cast<double>(v.size() - 1)) / m;
}

}  // namespace

ExpWindowFit fit_exp_window(const std::vector<double>& abs_dt_us, const std::vector<double>& value,
                            const WindowFitOptions& options) {
  if (abs_dt_us.size() != value.size())
    throw InternalError("fit_exp_window: " + std::to_string(abs_dt_us.size()) + " Δt values but " +
                        std::to_string(value.size()) + " readouts");
  ExpWindowFit fit;
  std::vector<double> x, y;
  for (std::size_t i = 0; i < value.size(); ++i) {
    const double xi = std::abs(abs_dt_us[i]);
    if (!(xi > 0.0) || !std::isfinite(value[i]) || value[i] >= options.saturation_level) continue;
    x.push_back(xi);
    y.push_back(value[i]);
  }
  fit.points = static_cast<int>(x.size());
  double a = 0.0, k = 0.0;
  if (x.size() < 3 || !log_linear_start(x, y, options.noise_floor, a, k) || !(k > 0.0) ||
      !(a > 0.0))
    return fit;

  // Levenberg–Marquardt on r_i = y_i − A·e^(−k x_i) (Marquardt's diagonal scaling).
  double s = residual_sum(x, y, a, k);
  double lambda = 1e-3;
  bool converged = false;
  int it = 0;
  for (; it < options.max_iterations; ++it) {
    double jaa = 0.0, jak = 0.0, jkk = 0.0, ga = 0.0, gk = 0.0;
    for (std::size_t i = 0; i < x.size(); ++i) {
      const double e = std::exp(-k * x[i]);
      const double r = y[i] - a * e;
      const double da = -e;            // ∂r/∂A
      const double dk = a * x[i] * e;  // ∂r/∂k
      jaa += da * da;
      jak += da * dk;
      jkk += dk * dk;
      ga += da * r;
      gk += dk * r;
    }
    bool accepted = false;
    for (int tries = 0; tries < 30 && !accepted; ++tries) {
      const double m00 = jaa * (1.0 + lambda), m11 = jkk * (1.0 + lambda), m01 = jak;
      const double det = m00 * m11 - m01 * m01;
      if (!(det > 0.0)) {
        lambda *= 10.0;
        continue;
      }
      const double step_a = -(m11 * ga - m01 * gk) / det;
      const double step_k = -(m00 * gk - m01 * ga) / det;
      const double a_new = a + step_a, k_new = k + step_k;
      const double s_new = k_new > 0.0 ? residual_sum(x, y, a_new, k_new) : HUGE_VAL;
      if (s_new <= s) {
        const double rel = (s - s_new) / std::max(s, 1e-300);
        const bool small_step =
            std::abs(step_a) <= 1e-10 * std::abs(a) && std::abs(step_k) <= 1e-10 * std::abs(k);
        a = a_new;
        k = k_new;
        s = s_new;
        lambda = std::max(lambda / 3.0, 1e-12);
        accepted = true;
        if (rel < 1e-14 || small_step) converged = true;
      } else {
        lambda *= 4.0;
      }
    }
    // No downhill step even with heavy damping: we sit at the minimum (to rounding).
    if (!accepted) converged = true;
    if (converged) break;
  }
  fit.iterations = it + 1;
  fit.amplitude = a;
  fit.tau_us = 1.0 / k;
  fit.rms_residual = std::sqrt(s / static_cast<double>(x.size()));
  fit.ok = converged && a > 0.0 && fit.tau_us >= options.tau_min_us &&
           fit.tau_us <= options.tau_max_us && std::isfinite(fit.rms_residual);
  return fit;
}

std::vector<SynapseWindowFit> fit_synapse_windows(const std::vector<SynapseWindow>& synapses,
                                                  const WindowFitOptions& options) {
  std::vector<SynapseWindowFit> out;
  out.reserve(synapses.size());
  std::vector<double> xc, yc, xa, ya;
  for (const SynapseWindow& s : synapses) {
    if (s.causal.size() != s.dt_us.size() || s.acausal.size() != s.dt_us.size())
      throw InternalError("fit_synapse_windows: channel and Δt lengths differ");
    xc.clear();
    yc.clear();
    xa.clear();
    ya.clear();
    for (std::size_t i = 0; i < s.dt_us.size(); ++i) {
      if (s.dt_us[i] > 0.0) {
        xc.push_back(s.dt_us[i]);
        yc.push_back(s.causal[i]);
      } else if (s.dt_us[i] < 0.0) {
        xa.push_back(-s.dt_us[i]);
        ya.push_back(s.acausal[i]);
      }
    }
    out.push_back({fit_exp_window(xc, yc, options), fit_exp_window(xa, ya, options)});
  }
  return out;
}

WindowFitSummary summarize_window_fits(const std::vector<SynapseWindowFit>& fits) {
  std::vector<double> tc, ta, ac, aa;
  WindowFitSummary sum;
  for (const SynapseWindowFit& f : fits) {
    if (f.causal.ok) {
      tc.push_back(f.causal.tau_us);
      ac.push_back(f.causal.amplitude);
    } else {
      ++sum.failed_causal;
    }
    if (f.acausal.ok) {
      ta.push_back(f.acausal.tau_us);
      aa.push_back(f.acausal.amplitude);
    } else {
      ++sum.failed_acausal;
    }
  }
  sum.fitted_causal = static_cast<int>(tc.size());
  sum.fitted_acausal = static_cast<int>(ta.size());
  sum.tau_causal_us = mean_of(tc);
  sum.tau_acausal_us = mean_of(ta);
  sum.tau_causal_spread = rel_sd_of(tc);
  sum.tau_acausal_spread = rel_sd_of(ta);
  sum.amplitude_causal = mean_of(ac);
  sum.amplitude_acausal = mean_of(aa);
  sum.amplitude_causal_spread = rel_sd_of(ac);
  sum.amplitude_acausal_spread = rel_sd_of(aa);
  return sum;
}

std::vector<WindowRow> window_table(const std::vector<SynapseWindow>& synapses) {
  std::vector<WindowRow> rows;
  if (synapses.empty()) return rows;
  const std::vector<double>& grid = synapses.front().dt_us;
  for (const SynapseWindow& s : synapses)
    if (s.dt_us != grid || s.causal.size() != grid.size() || s.acausal.size() != grid.size())
      throw InternalError("window_table: synapses do not share one Δt grid");
  const double n = static_cast<double>(synapses.size());
  for (std::size_t i = 0; i < grid.size(); ++i) {
    WindowRow row;
    row.dt_us = grid[i];
    double mc = 0.0, ma = 0.0;
    for (const SynapseWindow& s : synapses) {
      mc += s.causal[i];
      ma += s.acausal[i];
    }
    mc /= n;
    ma /= n;
    double vc = 0.0, va = 0.0;
    for (const SynapseWindow& s : synapses) {
      vc += (s.causal[i] - mc) * (s.causal[i] - mc);
      va += (s.acausal[i] - ma) * (s.acausal[i] - ma);
    }
    row.causal_mean = mc;
    row.acausal_mean = ma;
    row.causal_std = synapses.size() > 1 ? std::sqrt(vc / (n - 1.0)) : 0.0;
    row.acausal_std = synapses.size() > 1 ? std::sqrt(va / (n - 1.0)) : 0.0;
    rows.push_back(row);
  }
  return rows;
}

}  // namespace salvo::measures
