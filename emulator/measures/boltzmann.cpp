#include "emulator/measures/boltzmann.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "hw/common/rng.hpp"

namespace salvo::boltzmann {

Machine make_machine(int n) {
  if (n < 1 || n > 20) throw std::invalid_argument("boltzmann: n must be 1..20");
  Machine m;
  m.n = n;
  m.w.assign(static_cast<std::size_t>(n) * n, 0.0);
  m.b.assign(n, 0.0);
  return m;
}

double log_weight(const Machine& m, std::uint32_t s) {
  double e = 0;
  for (int i = 0; i < m.n; ++i) {
    if (!(s >> i & 1u)) continue;
    e += m.b[i];
    // ½ Σ_{i,j} z_i W_ij z_j over i ≠ j (the diagonal is ignored: z_i² = z_i would make it a
    // bias, and the machines here have none).
    for (int j = 0; j < m.n; ++j)
      if (j != i && (s >> j & 1u)) e += 0.5 * m.weight(i, j);
  }
  return e;
}

std::vector<double> distribution(const Machine& m) {
  const std::size_t states = std::size_t{1} << m.n;
  std::vector<double> p(states);
  double mx = -std::numeric_limits<double>::infinity();
  for (std::size_t s = 0; s < states; ++s) {
    p[s] = log_weight(m, static_cast<std::uint32_t>(s));
    mx = std::max(mx, p[s]);
  }
  double z = 0;
  for (auto& v : p) z += (v = std::exp(v - mx));
  for (auto& v : p) v /= z;
  return p;
}

Moments moments(const std::vector<double>& p, int n) {
  Moments mo;
  mo.mean.assign(n, 0.0);
  mo.corr.assign(static_cast<std::size_t>(n) * n, 0.0);
  for (std::size_t s = 0; s < p.size(); ++s) {
    for (int i = 0; i < n; ++i) {
      if (!(s >> i & 1u)) continue;
      mo.mean[i] += p[s];
      for (int j = 0; j < n; ++j)
        if (s >> j & 1u) mo.corr[static_cast<std::size_t>(i) * n + j] += p[s];
    }
  }
  return mo;
}

std::vector<double> normalise_counts(const std::vector<double>& counts, double pseudo_count) {
  double total = 0;
  for (double c : counts) total += c + pseudo_count;
  std::vector<double> p(counts.size(), 0.0);
  if (total <= 0) return p;
  for (std::size_t s = 0; s < counts.size(); ++s) p[s] = (counts[s] + pseudo_count) / total;
  return p;
}

double kl_divergence(const std::vector<double>& p, const std::vector<double>& q) {
  if (p.size() != q.size()) throw std::invalid_argument("kl_divergence: sizes differ");
  double d = 0;
  for (std::size_t s = 0; s < p.size(); ++s) {
    if (p[s] <= 0) continue;
    if (q[s] <= 0) return std::numeric_limits<double>::infinity();
    d += p[s] * std::log(p[s] / q[s]);
  }
  return d;
}

std::vector<double> state_counts(const std::vector<std::vector<double>>& spikes, int n,
                                 double tau_on_us, double t0_us, double t1_us, double dt_us) {
  if (dt_us <= 0) throw std::invalid_argument("state_counts: dt must be > 0");
  const auto samples = static_cast<std::size_t>(std::max(0.0, std::ceil((t1_us - t0_us) / dt_us)));
  std::vector<std::uint32_t> state(samples, 0);
  auto grid = [&](std::size_t k) { return t0_us + (static_cast<double>(k) + 0.5) * dt_us; };
  for (int i = 0; i < n && i < static_cast<int>(spikes.size()); ++i) {
    for (double s : spikes[i]) {
      // First grid index with t_k ≥ s, then every t_k < s + tau_on.
      double k0 = std::ceil((s - t0_us) / dt_us - 0.5);
      if (k0 < 0) k0 = 0;
      for (auto k = static_cast<std::size_t>(k0); k < samples && grid(k) < s + tau_on_us; ++k)
        if (grid(k) >= s) state[k] |= 1u << i;
    }
  }
  std::vector<double> counts(std::size_t{1} << n, 0.0);
  for (std::size_t k = 0; k < samples; ++k)
    if (grid(k) < t1_us) counts[state[k]] += 1;
  return counts;
}

Machine draw_target(int n, std::uint64_t seed, double w_range, double b_range) {
  Machine m = make_machine(n);
  Engine eng = make_engine(seed, Stream::kExperiment, 0xB0172);
  for (int i = 0; i < n; ++i)
    for (int j = i + 1; j < n; ++j)
      m.weight(i, j) = m.weight(j, i) = w_range * (2 * draw_uniform01(eng) - 1);
  for (int i = 0; i < n; ++i) m.b[i] = b_range * (2 * draw_uniform01(eng) - 1);
  return m;
}

Machine draw_initial(int n, std::uint64_t seed, double sigma_sym, double sigma_init) {
  Machine m = make_machine(n);
  Engine eng = make_engine(seed, Stream::kExperiment, 0xB0173);
  for (int i = 0; i < n; ++i)
    for (int j = i + 1; j < n; ++j) {
      const double sym = draw_normal(eng, sigma_sym);
      m.weight(i, j) = sym + draw_normal(eng, sigma_init);
      m.weight(j, i) = sym + draw_normal(eng, sigma_init);
    }
  return m;
}

double asymmetry(const std::vector<double>& w, int n) {
  std::vector<double> d;
  for (int i = 0; i < n; ++i)
    for (int j = i + 1; j < n; ++j)
      d.push_back(w[static_cast<std::size_t>(i) * n + j] - w[static_cast<std::size_t>(j) * n + i]);
  if (d.empty()) return 0.0;
  double mean = 0;
  for (double x : d) mean += x / d.size();
  double var = 0;
  for (double x : d) var += (x - mean) * (x - mean) / d.size();
  return var;
}

double asymmetry(const Machine& m) { return asymmetry(m.w, m.n); }

}  // namespace salvo::boltzmann
