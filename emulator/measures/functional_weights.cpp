#include "emulator/measures/functional_weights.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <deque>
#include <limits>

#include <fmt/format.h>

#include "hw/common/error.hpp"

namespace salvo::measures {

namespace {

void check(double t_begin, double t_end, const FunctionalOptions& o) {
  if (!(t_end > t_begin))
    throw UserError(fmt::format(
        "functional weights: analysis interval [{}, {}) µs is empty (allowed: t_end > t_begin)",
        t_begin, t_end));
  if (!(o.d0_us > 0) || !(o.d1_us > o.d0_us))
    throw UserError(fmt::format(
        "functional weights: window [{}, {}) µs after the pre spike (allowed: 0 < d0 < d1)",
        o.d0_us, o.d1_us));
  if (!(o.kernel_tau_us >= 0))
    throw UserError(
        fmt::format("functional weights: kernel_tau_us {} (allowed: 0 = count, or a positive time)",
                    o.kernel_tau_us));
  if (o.chance == FunctionalOptions::Chance::kShiftedWindow && !(o.shift_us >= o.d1_us - o.d0_us))
    throw UserError(fmt::format(
        "functional weights: control window shift {} µs overlaps the window (allowed: >= {})",
        o.shift_us, o.d1_us - o.d0_us));
}

// How far after a pre spike the counting reaches: its window, or its control window.
double reach(const FunctionalOptions& o) {
  return o.chance == FunctionalOptions::Chance::kShiftedWindow ? o.shift_us + o.d1_us : o.d1_us;
}

// Weight of a post spike at `lag` after the window's pre spike (lag within [d0, d1)).
double kernel(const FunctionalOptions& o, double lag) {
  return o.kernel_tau_us > 0 ? std::exp(-lag / o.kernel_tau_us) : 1.0;
}

// ∫ kernel over the window: the chance expectation per unit post rate.
double window_weight(const FunctionalOptions& o) {
  return o.kernel_tau_us > 0 ? o.kernel_tau_us * (std::exp(-o.d0_us / o.kernel_tau_us) -
                                                  std::exp(-o.d1_us / o.kernel_tau_us))
                             : o.d1_us - o.d0_us;
}

std::vector<double> times_of(const std::vector<RecordedSpike>& spikes, int neuron, double t0,
                             double t1) {
  std::vector<double> t;
  for (const auto& s : spikes)
    if (s.neuron == neuron && s.t_us >= t0 && s.t_us < t1) t.push_back(s.t_us);
  std::sort(t.begin(), t.end());
  return t;
}

FunctionalWeight finish(std::size_t n_pre, std::size_t n_post, double observed, double control,
                        double g2_sum, double window_fraction_per_pre, const FunctionalOptions& o) {
  FunctionalWeight f;
  f.n_pre = n_pre;
  f.n_post = n_post;
  if (n_pre == 0) return f;
  const double n = static_cast<double>(n_pre);
  f.observed_per_pre = observed / n;
  f.chance_per_pre = o.chance == FunctionalOptions::Chance::kRate
                         ? static_cast<double>(n_post) * window_fraction_per_pre
                         : control / n;
  f.extra_per_pre = f.observed_per_pre - f.chance_per_pre;
  f.stderr = std::sqrt(std::max(0.0, g2_sum));
  return f;
}

}  // namespace

FunctionalWeight functional_weight(const std::vector<RecordedSpike>& spikes, int pre, int post,
                                   double t_begin_us, double t_end_us, const FunctionalOptions& o) {
  check(t_begin_us, t_end_us, o);
  const std::vector<double> pre_t = times_of(spikes, pre, t_begin_us, t_end_us - reach(o));
  const std::vector<double> post_t = times_of(spikes, post, t_begin_us, t_end_us);
  const bool shifted = o.chance == FunctionalOptions::Chance::kShiftedWindow;
  const double n = static_cast<double>(pre_t.size());
  const double chance_weight_over_t = window_weight(o) / (t_end_us - t_begin_us);
  // Everything from the post spikes' side: c(s) = Σ k(s − t) over the pre spikes whose window
  // [t + lag + d0, t + lag + d1) contains s, i.e. s − lag − d1 < t <= s − lag − d0.
  const auto windows_containing = [&](double s, double lag) {
    const auto lo = std::upper_bound(pre_t.begin(), pre_t.end(), s - lag - o.d1_us);
    const auto hi = std::upper_bound(pre_t.begin(), pre_t.end(), s - lag - o.d0_us);
    double c = 0;
    for (auto it = lo; it != hi; ++it) c += kernel(o, s - *it - lag);
    return c;
  };
  double observed = 0, control = 0, g2 = 0;
  for (double s : post_t) {
    const double c = windows_containing(s, 0.0);
    const double k = shifted ? windows_containing(s, o.shift_us) : 0.0;
    observed += c;
    control += k;
    const double cc = shifted ? k : n * chance_weight_over_t;
    g2 += (c - cc) * (c - cc);
  }
  if (n > 0) g2 /= n * n;
  return finish(pre_t.size(), post_t.size(), observed, control, g2, chance_weight_over_t, o);
}

std::vector<double> FunctionalMatrix::extra_per_pre() const {
  std::vector<double> m(entries.size());
  for (std::size_t k = 0; k < entries.size(); ++k) m[k] = entries[k].extra_per_pre;
  return m;
}

namespace {

// Neuron id → index in `neurons` (−1: not in the set); ids must be >= 0 and distinct.
std::vector<int> index_of(const std::vector<int>& neurons) {
  int max_id = -1;
  for (int id : neurons) {
    if (id < 0)
      throw UserError(fmt::format("functional weights: neuron id {} (allowed: >= 0)", id));
    max_id = std::max(max_id, id);
  }
  std::vector<int> index(static_cast<std::size_t>(max_id) + 1, -1);
  for (std::size_t k = 0; k < neurons.size(); ++k) {
    if (index[neurons[k]] >= 0)
      throw UserError(fmt::format("functional weights: neuron {} listed twice", neurons[k]));
    index[neurons[k]] = static_cast<int>(k);
  }
  return index;
}

// One pass over the time-sorted spikes of the set: per (pre, post) pair the window sums c and
// control sums c' of every post spike, and the sums of c², c·c', c'² that form Σ g(s)².
class PairAccumulator {
 public:
  // group_of[k]: the group of index k when only pairs across groups count; empty: all pairs.
  PairAccumulator(std::size_t n, const FunctionalOptions& o, double last_pre,
                  const std::vector<int>& group_of)
      : n_(n),
        o_(o),
        shifted_(o.chance == FunctionalOptions::Chance::kShiftedWindow),
        last_pre_(last_pre),
        group_of_(group_of),
        n_pre(n, 0),
        n_post(n, 0),
        observed(n * n, 0.0),
        control(n * n, 0.0),
        sum_c2(n * n, 0.0),
        sum_cc(n * n, 0.0),
        sum_k2(n * n, 0.0),
        c_now_(n, 0.0),
        k_now_(n, 0.0),
        is_touched_(n, 0),
        active_(group_of.empty() ? 1
                                 : static_cast<std::size_t>(
                                       *std::max_element(group_of.begin(), group_of.end())) +
                                       1) {}

  // The next spike (time order) of the neuron with index q.
  void add(double t_us, int q) {
    ++n_post[q];
    for (auto& pending : active_)
      while (!pending.empty() && t_us >= pending.front().t + reach(o_)) pending.pop_front();
    // As a post spike: every active pre window that contains it (of the other groups only).
    // A pre neuron's spikes are all in one list, in time order, so each pair sums its terms
    // in the same order whatever the grouping.
    const std::size_t own = group_of_.empty() ? 0 : static_cast<std::size_t>(group_of_[q]);
    touched_.clear();
    for (std::size_t g = 0; g < active_.size(); ++g) {
      if (!group_of_.empty() && g == own) continue;
      for (const Active& a : active_[g]) {
        const double lag = t_us - a.t;
        const bool in_window = lag >= o_.d0_us && lag < o_.d1_us;
        const bool in_control =
            shifted_ && lag >= o_.shift_us + o_.d0_us && lag < o_.shift_us + o_.d1_us;
        if (!in_window && !in_control) continue;
        if (!is_touched_[a.pre]) {
          is_touched_[a.pre] = 1;
          touched_.push_back(a.pre);
        }
        if (in_window) c_now_[a.pre] += kernel(o_, lag);
        if (in_control) k_now_[a.pre] += kernel(o_, lag - o_.shift_us);
      }
    }
    for (int p : touched_) {
      const std::size_t e = static_cast<std::size_t>(p) * n_ + static_cast<std::size_t>(q);
      const double c = c_now_[p], k = k_now_[p];
      observed[e] += c;
      control[e] += k;
      sum_c2[e] += c * c;
      sum_cc[e] += c * k;
      sum_k2[e] += k * k;
      c_now_[p] = 0.0;
      k_now_[p] = 0.0;
      is_touched_[p] = 0;
    }
    // As a pre spike (its window starts d0 > 0 later, so it never counts itself).
    if (t_us < last_pre_) {
      ++n_pre[q];
      active_[own].push_back({t_us, q});
    }
  }

  // Σ g(s)² / n_pre² of pair e = (p, q): the spread of the per-post-spike estimates.
  double g2(std::size_t p, std::size_t q, double w_over_t) const {
    const std::size_t e = p * n_ + q;
    const double np = static_cast<double>(n_pre[p]);
    if (!(np > 0)) return 0.0;
    double g = 0.0;
    if (shifted_) {
      g = sum_c2[e] - 2 * sum_cc[e] + sum_k2[e];
    } else {
      // Σ (c − N·w/T)² = Σc² − 2 (N w/T) Σc + n_post (N w/T)²
      const double cc = np * w_over_t;
      g = sum_c2[e] - 2 * cc * observed[e] + static_cast<double>(n_post[q]) * cc * cc;
    }
    return g / (np * np);
  }

 private:
  struct Active {
    double t;
    int pre;
  };
  std::size_t n_;
  const FunctionalOptions& o_;
  bool shifted_;
  double last_pre_;
  const std::vector<int>& group_of_;

 public:
  std::vector<std::size_t> n_pre, n_post;
  std::vector<double> observed, control, sum_c2, sum_cc, sum_k2;

 private:
  std::vector<double> c_now_, k_now_;
  std::vector<std::uint8_t> is_touched_;
  std::vector<int> touched_;
  // Active pre spikes, one list per group: those whose window or control window may still
  // contain a later spike.
  std::vector<std::deque<Active>> active_;
};

}  // namespace

namespace {

// The matrix over `neurons`; with `groups` (one per neuron) only the pairs across groups.
FunctionalMatrix pair_matrix(const std::vector<RecordedSpike>& spikes,
                             const std::vector<int>& neurons, const std::vector<int>& groups,
                             double t_begin_us, double t_end_us, const FunctionalOptions& o) {
  check(t_begin_us, t_end_us, o);
  const std::size_t n = neurons.size();
  FunctionalMatrix m;
  m.neurons = neurons;
  m.entries.assign(n * n, FunctionalWeight{});
  if (n == 0) return m;
  const std::vector<int> index = index_of(neurons);
  const auto idx = [&](int id) {
    return id >= 0 && static_cast<std::size_t>(id) < index.size() ? index[id] : -1;
  };

  // The spikes of the set inside the interval, time-sorted (core.spikes() already is).
  std::vector<RecordedSpike> sp;
  for (const auto& s : spikes)
    if (s.t_us >= t_begin_us && s.t_us < t_end_us && idx(s.neuron) >= 0) sp.push_back(s);
  const auto earlier = [](const RecordedSpike& a, const RecordedSpike& b) {
    return a.t_us < b.t_us;
  };
  if (!std::is_sorted(sp.begin(), sp.end(), earlier))
    std::stable_sort(sp.begin(), sp.end(), earlier);

  PairAccumulator acc(n, o, t_end_us - reach(o), groups);
  for (const auto& s : sp) acc.add(s.t_us, idx(s.neuron));

  const double w_over_t = window_weight(o) / (t_end_us - t_begin_us);
  constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  for (std::size_t p = 0; p < n; ++p)
    for (std::size_t q = 0; q < n; ++q) {
      const std::size_t e = p * n + q;
      if (!groups.empty() && groups[p] == groups[q]) {
        m.entries[e] = FunctionalWeight{kNaN, kNaN, kNaN, kNaN, acc.n_pre[p], acc.n_post[q]};
        continue;
      }
      m.entries[e] = finish(acc.n_pre[p], acc.n_post[q], acc.observed[e], acc.control[e],
                            acc.g2(p, q, w_over_t), w_over_t, o);
    }
  return m;
}

}  // namespace

FunctionalMatrix functional_matrix(const std::vector<RecordedSpike>& spikes,
                                   const std::vector<int>& neurons, double t_begin_us,
                                   double t_end_us, const FunctionalOptions& o) {
  return pair_matrix(spikes, neurons, {}, t_begin_us, t_end_us, o);
}

FunctionalMatrix functional_matrix_between(const std::vector<RecordedSpike>& spikes,
                                           const std::vector<int>& neurons,
                                           const std::vector<int>& groups, double t_begin_us,
                                           double t_end_us, const FunctionalOptions& o) {
  if (groups.size() != neurons.size())
    throw UserError(fmt::format("functional weights: {} groups for {} neurons (allowed: one each)",
                                groups.size(), neurons.size()));
  for (int g : groups)
    if (g < 0 || g > 1023)
      throw UserError(fmt::format("functional weights: group {} (allowed: 0 ... 1023)", g));
  return pair_matrix(spikes, neurons, groups, t_begin_us, t_end_us, o);
}

std::vector<double> cross_correlogram(const std::vector<RecordedSpike>& spikes, int pre, int post,
                                      double t_begin_us, double t_end_us, double bin_us,
                                      double max_lag_us) {
  if (!(bin_us > 0) || !(max_lag_us >= bin_us) || !(t_end_us - t_begin_us > 2 * max_lag_us))
    throw UserError(fmt::format(
        "cross-correlogram: bin {} µs, max lag {} µs, interval [{}, {}) µs (allowed: 0 < bin <= "
        "max lag, interval longer than 2 × max lag)",
        bin_us, max_lag_us, t_begin_us, t_end_us));
  const int bins = static_cast<int>(std::lround(2 * max_lag_us / bin_us));
  const std::vector<double> pre_t =
      times_of(spikes, pre, t_begin_us + max_lag_us, t_end_us - max_lag_us);
  const std::vector<double> post_t = times_of(spikes, post, t_begin_us, t_end_us);
  std::vector<double> h(bins, 0.0);
  if (pre_t.empty()) return h;
  for (double t : pre_t) {
    auto it = std::lower_bound(post_t.begin(), post_t.end(), t - max_lag_us);
    for (; it != post_t.end() && *it < t + max_lag_us; ++it) {
      const int b = static_cast<int>(std::floor((*it - t + max_lag_us) / bin_us));
      if (b >= 0 && b < bins) h[b] += 1;
    }
  }
  const double chance = static_cast<double>(post_t.size()) / (t_end_us - t_begin_us) * bin_us;
  for (double& v : h) v = v / static_cast<double>(pre_t.size()) - chance;
  return h;
}

double asymmetry(double a, double b) {
  const double mean = 0.5 * (std::fabs(a) + std::fabs(b));
  return mean > 0 ? std::fabs(a - b) / mean : 0.0;
}

double asymmetry_stderr(double a, double sa, double b, double sb) {
  const double m = 0.5 * (std::fabs(a) + std::fabs(b));
  if (!(m > 0)) return 0.0;
  const double s = a >= b ? 1.0 : -1.0;
  const double d = std::fabs(a - b);
  const double sign_a = a >= 0 ? 1.0 : -1.0, sign_b = b >= 0 ? 1.0 : -1.0;
  const double da = s / m - d * 0.5 * sign_a / (m * m);
  const double db = -s / m - d * 0.5 * sign_b / (m * m);
  return std::sqrt(da * da * sa * sa + db * db * sb * sb);
}

}  // namespace salvo::measures
