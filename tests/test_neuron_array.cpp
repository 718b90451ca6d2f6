// NeuronArray against closed forms (LIF spike times, f-I curve, PSP shapes), against a
// tight Boost.Odeint reference (AdEx), and against the OU noise theory.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <limits>
#include <vector>

#include <boost/numeric/odeint.hpp>

#include "hw/analog/neuron_array.hpp"
#include "hw/common/error.hpp"

namespace salvo {
namespace {

NeuronCircuitParams lif() {
  NeuronCircuitParams p;  // the reference targets: tau 10/5/5 µs, t_ref 2 µs, 600/620/800 mV
  p.noise_v_rms_mV = 0.0;
  return p;
}

NeuronState at_rest(const NeuronCircuitParams& p) {
  NeuronState s;
  s.v_mV = p.v_leak_mV;
  return s;
}

std::vector<NeuronSpike> run(NeuronArray& a, double t_end_us, double t0_us = 0.0) {
  std::vector<NeuronSpike> out;
  const double dt = a.dt_us();
  const long steps = std::lround((t_end_us - t0_us) / dt);
  for (long k = 0; k < steps; ++k) a.step(t0_us + k * dt, out);
  return out;
}

// ---------------------------------------------------------------------------------------
// LIF with a constant current: spike times t = tau ln((Vinf - Vr) / (Vinf - Vth)) + t_ref.

struct LifCase {
  double i_nA;
  double dt_us;
};

class LifConstantInput : public ::testing::TestWithParam<LifCase> {};

TEST_P(LifConstantInput, SpikeTimesMatchClosedForm) {
  const LifCase c = GetParam();
  NeuronCircuitParams p = lif();
  p.i_offset_nA = c.i_nA;
  NeuronArray a({p}, c.dt_us, 1);
  NeuronState s = at_rest(p);
  s.v_mV = p.v_reset_mV;  // start as if just out of refractoriness
  a.set_state(0, s);
  const double v_inf = p.v_leak_mV + c.i_nA * p.tau_mem_us / p.c_mem_pF;
  const double t_free =
      p.tau_mem_us * std::log((v_inf - p.v_reset_mV) / (v_inf - p.v_threshold_mV));
  const double isi = t_free + p.t_ref_us;
  const auto spikes = run(a, 400.0);
  const int expected = static_cast<int>(std::floor((400.0 - t_free) / isi)) + 1;
  ASSERT_EQ(static_cast<int>(spikes.size()), expected);
  for (std::size_t k = 0; k < spikes.size(); ++k) {
    const double t_exact = t_free + static_cast<double>(k) * isi;
    // The brief's bar is 0.1 % of the interval; the integration is exact, so we also hold
    // it to round-off (1e-9 µs).
    EXPECT_LT(std::fabs(spikes[k].time_us - t_exact), 1e-3 * isi) << "spike " << k;
    EXPECT_NEAR(spikes[k].time_us, t_exact, 1e-9) << "spike " << k;
  }
}

INSTANTIATE_TEST_SUITE_P(Currents, LifConstantInput,
                         ::testing::Values(LifCase{45.0, 0.1}, LifCase{50.0, 0.1},
                                           LifCase{80.0, 0.1}, LifCase{200.0, 0.1},
                                           LifCase{60.0, 0.037}, LifCase{60.0, 1.3}));

TEST(NeuronArray, FiCurveMatchesAnalyticRate) {
  const double dt = 0.1;
  std::vector<double> currents;
  for (double i = 30.0; i <= 300.0; i += 15.0) currents.push_back(i);
  std::vector<NeuronCircuitParams> ps;
  for (double i : currents) {
    NeuronCircuitParams p = lif();
    p.i_offset_nA = i;
    ps.push_back(p);
  }
  NeuronArray a(ps, dt, 1);
  std::vector<std::vector<double>> times(ps.size());
  for (const auto& s : run(a, 1000.0))
    times[static_cast<std::size_t>(s.neuron)].push_back(s.time_us);
  for (std::size_t n = 0; n < ps.size(); ++n) {
    const NeuronCircuitParams& p = ps[n];
    const double v_inf = p.v_leak_mV + p.i_offset_nA * p.tau_mem_us / p.c_mem_pF;
    if (v_inf <= p.v_threshold_mV) {
      EXPECT_TRUE(times[n].empty()) << "below rheobase, I = " << p.i_offset_nA;
      continue;
    }
    const double rate_exact =
        1.0 /
        (p.tau_mem_us * std::log((v_inf - p.v_reset_mV) / (v_inf - p.v_threshold_mV)) + p.t_ref_us);
    ASSERT_GE(times[n].size(), 10u);
    const double rate = static_cast<double>(times[n].size() - 2) /
                        (times[n][times[n].size() - 2] - times[n].front());
    EXPECT_NEAR(rate / rate_exact, 1.0, 1e-9) << "I = " << p.i_offset_nA;
  }
}

// ---------------------------------------------------------------------------------------
// One input jump J at t = 0 from rest:
// V - E_L = J/C * tm ts / (tm - ts) (exp(-t/tm) - exp(-t/ts)), or J/C t exp(-t/tm) if equal.

double psp_exact(double j_nA, double c_pF, double tm, double ts, double t) {
  if (std::fabs(tm - ts) > 1e-3 * tm) {
    return j_nA / c_pF * tm * ts / (tm - ts) * (std::exp(-t / tm) - std::exp(-t / ts));
  }
  // Nearly equal (the difference form cancels): exp(-t/tm) (1 - exp(-t d)) / d, d -> 0 gives
  // the degenerate t exp(-t/tm).
  const double d = 1.0 / ts - 1.0 / tm;
  const double f = d == 0.0 ? t : -std::expm1(-t * d) / d;
  return j_nA / c_pF * std::exp(-t / tm) * f;
}

void check_psp(double tau_mem, double tau_syn, bool inhibitory, double gain) {
  NeuronCircuitParams p = lif();
  p.tau_mem_us = tau_mem;
  p.tau_syn_exc_us = tau_syn;
  p.tau_syn_inh_us = tau_syn;
  p.syn_gain_exc = gain;
  p.syn_gain_inh = gain;
  p.v_threshold_mV = 2000.0;
  NeuronArray a({p}, 0.1, 1);
  const double j = 20.0;
  if (inhibitory) {
    a.add_inh_input(0, j);
  } else {
    a.add_exc_input(0, j);
  }
  const double sign = inhibitory ? -1.0 : 1.0;
  std::vector<NeuronSpike> out;
  double worst = 0.0, peak = 0.0;
  for (int k = 0; k < 1000; ++k) {
    a.step(k * 0.1, out);
    const double t = (k + 1) * 0.1;
    const double exact = sign * psp_exact(j * gain, p.c_mem_pF, tau_mem, tau_syn, t);
    peak = std::max(peak, std::fabs(exact));
    worst = std::max(worst, std::fabs(a.v_mV(0) - p.v_leak_mV - exact));
    const double i_exact = j * gain * std::exp(-t / tau_syn);
    EXPECT_NEAR(inhibitory ? a.i_inh_nA(0) : a.i_exc_nA(0), i_exact, 1e-12 * j * gain);
  }
  EXPECT_TRUE(out.empty());
  // Brief: < 1 % of the peak; exact propagators: round-off (1e-9 of the peak).
  EXPECT_LT(worst, 1e-2 * peak);
  EXPECT_LT(worst, 1e-9 * peak) << "tm " << tau_mem << " ts " << tau_syn;
}

TEST(NeuronArray, PspMatchesDifferenceOfExponentials) {
  check_psp(10.0, 5.0, false, 1.0);
  check_psp(10.0, 2.0, false, 1.0);
  check_psp(3.0, 7.0, false, 1.0);
  check_psp(10.0, 5.0, true, 1.0);
  check_psp(10.0, 5.0, false, 1.7);  // the neuron's synaptic gain scales the jump
}

TEST(NeuronArray, PspDegenerateTauMemEqualsTauSyn) {
  check_psp(5.0, 5.0, false, 1.0);
  check_psp(10.0, 10.0, true, 1.0);
  // Nearly equal: the difference-of-exponentials form cancels badly, the propagator must not.
  check_psp(5.0, 5.0 * (1.0 + 1e-9), false, 1.0);
}

TEST(NeuronArray, ManyNeuronsEachFollowTheirOwnPsp) {
  // 13 neurons (not a multiple of the block size), all different time constants.
  std::vector<NeuronCircuitParams> ps;
  for (int n = 0; n < 13; ++n) {
    NeuronCircuitParams p = lif();
    p.tau_mem_us = 4.0 + n;
    p.tau_syn_exc_us = 1.0 + 0.5 * n;
    p.v_leak_mV = 500.0 + 10.0 * n;
    p.v_threshold_mV = 2000.0;
    ps.push_back(p);
  }
  NeuronArray a(ps, 0.1, 1);
  for (int n = 0; n < 13; ++n) a.add_exc_input(n, 5.0 + n);
  std::vector<NeuronSpike> out;
  for (int k = 0; k < 300; ++k) a.step(k * 0.1, out);
  for (int n = 0; n < 13; ++n) {
    const auto& p = ps[static_cast<std::size_t>(n)];
    const double exact = psp_exact(5.0 + n, p.c_mem_pF, p.tau_mem_us, p.tau_syn_exc_us, 30.0);
    EXPECT_NEAR(a.v_mV(n) - p.v_leak_mV, exact, 1e-9 * (5.0 + n)) << "neuron " << n;
  }
}

TEST(NeuronArray, PerfectIntegratorWithoutLeak) {
  NeuronCircuitParams p = lif();
  p.tau_mem_us = std::numeric_limits<double>::infinity();  // leak bias current of zero
  p.i_offset_nA = 2.2;                                     // 1 mV/µs
  p.v_threshold_mV = 2000.0;
  p.v_max_mV = 3000.0;
  NeuronArray a({p}, 0.1, 1);
  run(a, 50.0);
  EXPECT_NEAR(a.v_mV(0), p.v_leak_mV + 50.0, 1e-9);
}

TEST(NeuronArray, HeldAtResetForTheRefractoryPeriod) {
  NeuronCircuitParams p = lif();
  p.i_offset_nA = 100.0;
  p.t_ref_us = 3.05;
  NeuronArray a({p}, 0.1, 1);
  std::vector<NeuronSpike> out;
  double t = 0.0;
  int k = 0;
  while (out.empty()) a.step((k++) * 0.1, out);
  const double ts = out[0].time_us;
  EXPECT_DOUBLE_EQ(a.refractory_until_us(0), ts + p.t_ref_us);
  for (;; ++k) {
    t = k * 0.1;
    if (t + 0.1 > ts + p.t_ref_us) break;
    a.step(t, out);
    EXPECT_EQ(a.v_mV(0), p.v_reset_mV) << "t " << t;
    EXPECT_TRUE(a.refractory(0, t));
  }
  // The step in which refractoriness ends integrates the rest of it from V_reset exactly.
  a.step(t, out);
  const double v_inf = p.v_leak_mV + p.i_offset_nA * p.tau_mem_us / p.c_mem_pF;
  const double free = t + 0.1 - (ts + p.t_ref_us);
  EXPECT_NEAR(a.v_mV(0), v_inf + (p.v_reset_mV - v_inf) * std::exp(-free / p.tau_mem_us), 1e-9);
}

// A reset above the threshold sends the neuron down the rare path for every step of its
// refractory period: the currents decay exactly as exp(−t/τ) all the same, and a parameter
// change in the middle takes effect at once (no decay factor of the old τ is reused).
TEST(NeuronArray, ResetAboveThresholdDecaysTheCurrentsWithTheCurrentTau) {
  NeuronCircuitParams p = lif();
  p.v_reset_mV = p.v_threshold_mV + 10.0;
  p.t_ref_us = 20.0;
  NeuronArray a({p}, 0.1, 1);
  NeuronState s = at_rest(p);
  s.v_mV = p.v_reset_mV;
  s.i_exc_nA = 5.0;
  s.i_inh_nA = 2.0;
  s.refractory_until_us = 20.0;
  a.set_state(0, s);
  const auto first = run(a, 10.0);
  EXPECT_TRUE(first.empty());
  EXPECT_EQ(a.v_mV(0), p.v_reset_mV);
  EXPECT_NEAR(a.i_exc_nA(0), 5.0 * std::exp(-10.0 / p.tau_syn_exc_us), 1e-12);
  EXPECT_NEAR(a.i_inh_nA(0), 2.0 * std::exp(-10.0 / p.tau_syn_inh_us), 1e-12);
  const double ie = a.i_exc_nA(0), ii = a.i_inh_nA(0);
  p.tau_syn_exc_us = 2.0;
  a.set_params(0, p);
  const auto second = run(a, 15.0, 10.0);
  EXPECT_TRUE(second.empty());
  EXPECT_NEAR(a.i_exc_nA(0), ie * std::exp(-5.0 / 2.0), 1e-12);
  EXPECT_NEAR(a.i_inh_nA(0), ii * std::exp(-5.0 / p.tau_syn_inh_us), 1e-12);
  // Refractoriness over, the membrane above threshold fires at once.
  const auto third = run(a, 20.2, 15.0);
  ASSERT_EQ(third.size(), 1u);
  EXPECT_NEAR(third[0].time_us, 20.0, 1e-9);
}

TEST(NeuronArray, SpikesOfAStepAreOrderedByTime) {
  std::vector<NeuronCircuitParams> ps;
  for (int n = 0; n < 40; ++n) {
    NeuronCircuitParams p = lif();
    p.i_offset_nA = 60.0 + 3.7 * ((n * 17) % 40);
    ps.push_back(p);
  }
  NeuronArray a(ps, 0.5, 1);
  const auto spikes = run(a, 200.0);
  ASSERT_GT(spikes.size(), 100u);
  for (std::size_t k = 1; k < spikes.size(); ++k) {
    EXPECT_LE(spikes[k - 1].time_us, spikes[k].time_us);
  }
}

TEST(NeuronArray, RailsClampTheMembrane) {
  NeuronCircuitParams p = lif();
  p.v_min_mV = 450.0;
  NeuronArray a({p}, 0.1, 1);
  a.add_inh_input(0, 500.0);  // would pull the free membrane ~570 mV down
  std::vector<NeuronSpike> out;
  double lowest = 1e9;
  for (int k = 0; k < 200; ++k) {
    a.step(k * 0.1, out);
    lowest = std::min(lowest, a.v_mV(0));
  }
  EXPECT_EQ(lowest, 450.0);
}

TEST(NeuronArray, ParameterChangeRederivesThePropagators) {
  NeuronCircuitParams p = lif();
  p.v_threshold_mV = 2000.0;
  NeuronArray a({p}, 0.1, 1);
  NeuronState s = at_rest(p);
  s.v_mV = 700.0;
  a.set_state(0, s);
  run(a, 5.0);
  EXPECT_NEAR(a.v_mV(0), 600.0 + 100.0 * std::exp(-5.0 / 10.0), 1e-9);
  p.tau_mem_us = 2.0;
  a.set_params(0, p);
  EXPECT_NEAR(a.v_mV(0), 600.0 + 100.0 * std::exp(-5.0 / 10.0), 1e-12);  // state kept
  run(a, 10.0, 5.0);
  EXPECT_NEAR(a.v_mV(0), 600.0 + 100.0 * std::exp(-0.5) * std::exp(-5.0 / 2.0), 1e-9);
}

TEST(NeuronArray, InvalidParametersAreUserErrors) {
  NeuronArray a(2, 0.1, 1);
  NeuronCircuitParams p = lif();
  p.tau_mem_us = -1.0;
  EXPECT_THROW(a.set_params(1, p), UserError);
  p = lif();
  p.c_mem_pF = 0.0;
  EXPECT_THROW(a.set_params(1, p), UserError);
  EXPECT_THROW(NeuronArray(2, 0.0, 1), UserError);
  // The failed write left the old circuit in place.
  EXPECT_EQ(a.params(1).tau_mem_us, lif().tau_mem_us);
}

// ---------------------------------------------------------------------------------------
// AdEx against Boost.Odeint (dopri5, abs/rel 1e-10) with the same reset/refractory rules.

using OdeState = std::array<double, 4>;  // V, w, I_exc, I_inh

struct AdexOde {
  NeuronCircuitParams p;
  bool held = false;
  void operator()(const OdeState& x, OdeState& dx, double /*t*/) const {
    const double v = held ? p.v_reset_mV : x[0];
    const double g_m = 1.0 / p.tau_mem_us;
    double dv = -g_m * (v - p.v_leak_mV) +
                (-(p.adaptation ? x[1] : 0.0) + x[2] - x[3] + p.i_offset_nA) / p.c_mem_pF;
    if (p.exponential) {
      dv += g_m * p.delta_t_mV * std::exp((v - p.v_exp_mV) / p.delta_t_mV);
    }
    dx[0] = held ? 0.0 : dv;
    dx[1] = p.adaptation ? (1e-3 * p.adapt_a_nS * (v - p.v_leak_mV) - x[1]) / p.tau_adapt_us : 0.0;
    dx[2] = -x[2] / p.tau_syn_exc_us;
    dx[3] = -x[3] / p.tau_syn_inh_us;
  }
};

void ode_advance(AdexOde& sys, OdeState& x, double t0, double t1) {
  namespace odeint = boost::numeric::odeint;
  if (t1 <= t0) return;
  odeint::integrate_adaptive(
      odeint::make_controlled<odeint::runge_kutta_dopri5<OdeState>>(1e-10, 1e-10), sys, x, t0, t1,
      std::min(1e-3, t1 - t0));
}

struct OdeRun {
  std::vector<double> spikes;
  std::vector<double> v_grid;  // V at every 0.1 µs grid point
};

OdeRun ode_reference(const NeuronCircuitParams& p, OdeState x, double t_end, double grid) {
  AdexOde sys{p};
  OdeRun r;
  double t = 0.0, refr = -1.0;
  double next_grid = grid;
  while (t < t_end - 1e-12) {
    const double t1 = std::min(next_grid, t_end);
    if (refr > t) {
      const double until = std::min(refr, t1);
      sys.held = true;
      ode_advance(sys, x, t, until);
      x[0] = p.v_reset_mV;
      t = until;
    } else {
      sys.held = false;
      OdeState x1 = x;
      ode_advance(sys, x1, t, t1);
      // The exponential term can blow up to inf/NaN within one grid interval: that counts
      // as a crossing too (hence !(V < threshold)).
      if (!(x1[0] < p.v_threshold_mV)) {
        double lo = t, hi = t1;
        for (int it = 0; it < 80 && hi - lo > 1e-13; ++it) {
          const double mid = 0.5 * (lo + hi);
          OdeState xm = x;
          ode_advance(sys, xm, t, mid);
          (!(xm[0] < p.v_threshold_mV) ? hi : lo) = mid;
        }
        ode_advance(sys, x, t, hi);
        t = hi;
        r.spikes.push_back(t);
        x[0] = p.v_reset_mV;
        x[1] += p.adaptation ? p.adapt_b_nA : 0.0;
        refr = t + p.t_ref_us;
        continue;
      }
      x = x1;
      t = t1;
    }
    if (t >= next_grid - 1e-12) {
      r.v_grid.push_back(x[0]);
      next_grid += grid;
    }
  }
  return r;
}

NeuronCircuitParams adex() {
  NeuronCircuitParams p = lif();
  p.adaptation = true;
  p.exponential = true;
  p.v_exp_mV = 770.0;
  p.delta_t_mV = 10.0;
  p.v_threshold_mV = 820.0;  // V_T + 5 Δ_T: deep in the exponential upswing
  p.adapt_a_nS = 40.0;
  p.adapt_b_nA = 4.0;
  p.tau_adapt_us = 60.0;
  p.i_offset_nA = 60.0;
  return p;
}

struct OdeError {
  double v_mV = 0.0;  // worst |V - V_ref| on the grid before the first spike
  double t_us = 0.0;  // worst |t_spike - t_ref| over all spikes
};

OdeError compare_with_odeint(const NeuronCircuitParams& p, std::size_t min_spikes,
                             double rate_step = NeuronArray::kRk4RateStep) {
  const double dt = 0.1, t_end = 250.0;
  const OdeRun ref =
      ode_reference(p, OdeState{p.v_leak_mV, 0.0, 15.0 * p.syn_gain_exc, 0.0}, t_end, dt);
  OdeError err;
  NeuronArray a({p}, dt, 1);
  a.set_rk4_rate_step(rate_step);
  a.add_exc_input(0, 15.0);
  std::vector<NeuronSpike> out;
  for (std::size_t k = 0; k < ref.v_grid.size(); ++k) {
    a.step(static_cast<double>(k) * dt, out);
    if (!ref.spikes.empty() && (static_cast<double>(k) + 1) * dt >= ref.spikes[0] - dt) break;
    err.v_mV = std::max(err.v_mV, std::fabs(a.v_mV(0) - ref.v_grid[k]));
  }
  NeuronArray b({p}, dt, 1);
  b.set_rk4_rate_step(rate_step);
  b.add_exc_input(0, 15.0);
  const auto spikes = run(b, t_end);
  EXPECT_GE(ref.spikes.size(), min_spikes);
  EXPECT_EQ(spikes.size(), ref.spikes.size());
  for (std::size_t k = 0; k < std::min(spikes.size(), ref.spikes.size()); ++k) {
    err.t_us = std::max(err.t_us, std::fabs(spikes[k].time_us - ref.spikes[k]));
  }
  return err;
}

TEST(NeuronArray, AdaptationOnlyIsExactAgainstOdeint) {
  NeuronCircuitParams p = adex();
  p.exponential = false;
  p.v_threshold_mV = 800.0;
  // Linear: exact propagators; the bound is the reference's own tolerance.
  const OdeError e = compare_with_odeint(p, 5);
  EXPECT_LT(e.v_mV, 1e-7);
  EXPECT_LT(e.t_us, 1e-7);
}

// Worst spike-time difference between the integrator at `rate_step` and at a rate step 32x
// finer (a self-reference free of the Odeint tolerance floor).
double self_convergence_error(const NeuronCircuitParams& p, double rate_step) {
  std::vector<NeuronSpike> spikes[2];
  for (int r = 0; r < 2; ++r) {
    NeuronArray a({p}, 0.1, 1);
    a.set_rk4_rate_step(r == 0 ? rate_step : NeuronArray::kRk4RateStep / 32.0);
    a.add_exc_input(0, 15.0);
    spikes[r] = run(a, 250.0);
  }
  EXPECT_EQ(spikes[0].size(), spikes[1].size());
  double worst = 0.0;
  for (std::size_t k = 0; k < std::min(spikes[0].size(), spikes[1].size()); ++k) {
    worst = std::max(worst, std::fabs(spikes[0][k].time_us - spikes[1][k].time_us));
  }
  return worst;
}

// The exponential term: RK4 substeps with h * (fastest local rate) <= 0.1. Stated bound
// (docs/models/neurons.md): V within 1e-4 mV of the reference before the first spike,
// spike times within 1e-5 µs over 250 µs; halving the rate step cuts the error >= 4x.
void check_exponential_bound(const NeuronCircuitParams& p) {
  const OdeError e = compare_with_odeint(p, 5);
  EXPECT_LT(e.v_mV, 1e-4);
  EXPECT_LT(e.t_us, 1e-5);
  const double coarse = self_convergence_error(p, NeuronArray::kRk4RateStep);
  const double fine = self_convergence_error(p, 0.5 * NeuronArray::kRk4RateStep);
  EXPECT_LT(coarse, 1e-5);
  EXPECT_TRUE(fine < coarse / 4.0 || fine < 1e-8) << "coarse " << coarse << " fine " << fine;
  std::printf(
      "exponential term: |V - odeint| <= %.2g mV, |t - odeint| <= %.2g us, "
      "self-convergence %.2g -> %.2g us\n",
      e.v_mV, e.t_us, coarse, fine);
}

TEST(NeuronArray, AdexAgreesWithOdeintWithinTheRk4Bound) {
  check_exponential_bound(adex());
  NeuronCircuitParams p = adex();
  p.v_exp_mV = 780.0;  // the reference chip's V_T, threshold 2 Δ_T above
  p.v_threshold_mV = 800.0;
  check_exponential_bound(p);
}

TEST(NeuronArray, ExponentialTermAloneMatchesOdeint) {
  NeuronCircuitParams p = adex();
  p.adaptation = false;
  check_exponential_bound(p);
}

TEST(NeuronArray, AdaptationSwitchedAtRunTime) {
  NeuronCircuitParams p = adex();
  p.exponential = false;
  NeuronArray a({p, lif()}, 0.1, 1);
  run(a, 100.0);
  const double w = a.w_nA(0);
  ASSERT_GT(w, 1.0);
  NeuronCircuitParams off = p;
  off.adaptation = false;
  off.i_offset_nA = 0.0;
  off.v_threshold_mV = 2000.0;
  a.set_params(0, off);
  NeuronState s = a.state(0);
  s.v_mV = 700.0;
  s.i_exc_nA = s.i_inh_nA = 0.0;
  s.refractory_until_us = -std::numeric_limits<double>::infinity();
  a.set_state(0, s);
  run(a, 110.0, 100.0);
  EXPECT_EQ(a.w_nA(0), w);  // frozen, and no longer acting on V:
  EXPECT_NEAR(a.v_mV(0), 600.0 + 100.0 * std::exp(-10.0 / p.tau_mem_us), 1e-9);
  a.set_params(0, p);  // on again: w decays towards a (V - E_L) from where it was
  run(a, 110.1, 110.0);
  EXPECT_NE(a.w_nA(0), w);
}

TEST(NeuronArray, AdexShowsSpikeFrequencyAdaptation) {
  NeuronArray a({adex()}, 0.1, 1);
  const auto spikes = run(a, 400.0);
  ASSERT_GE(spikes.size(), 6u);
  double prev_isi = 0.0;
  for (std::size_t k = 1; k < 6; ++k) {
    const double isi = spikes[k].time_us - spikes[k - 1].time_us;
    EXPECT_GT(isi, prev_isi) << "ISI " << k;
    prev_isi = isi;
  }
  const double first = spikes[1].time_us - spikes[0].time_us;
  const double last = spikes.back().time_us - spikes[spikes.size() - 2].time_us;
  EXPECT_GT(last, 1.3 * first);
}

// ---------------------------------------------------------------------------------------
// Membrane noise.

struct NoiseStats {
  double v_rms, v_mean, i_rms;
};

NoiseStats noise_stats(double sigma_v, double tau_noise, std::uint64_t seed) {
  NeuronCircuitParams p = lif();
  p.v_threshold_mV = 1e9;
  p.noise_v_rms_mV = sigma_v;
  p.noise_tau_us = tau_noise;
  const int n = 256;
  NeuronArray a(std::vector<NeuronCircuitParams>(n, p), 0.1, seed);
  std::vector<NeuronSpike> out;
  double sv = 0.0, sv2 = 0.0, si2 = 0.0;
  long count = 0;
  for (int k = 0; k < 12000; ++k) {
    a.step(k * 0.1, out);
    if (k >= 1000 && k % 20 == 0) {
      for (int i = 0; i < n; ++i) {
        const double dv = a.v_mV(i) - p.v_leak_mV;
        sv += dv;
        sv2 += dv * dv;
        si2 += a.i_noise_nA(i) * a.i_noise_nA(i);
        ++count;
      }
    }
  }
  const double mean = sv / count;
  return NoiseStats{std::sqrt(sv2 / count - mean * mean), mean, std::sqrt(si2 / count)};
}

TEST(NeuronArray, OuNoiseGivesTheConfiguredMembraneRms) {
  // tau_noise = dt: the in-step part the one-draw regression misses is 8 % of the variance,
  // so the array takes a second draw; at 1 and 5 µs one draw leaves < 0.1 % out.
  for (double tau_noise : {0.1, 1.0, 5.0}) {
    NeuronCircuitParams p = lif();
    p.noise_v_rms_mV = 1.0;
    p.noise_tau_us = tau_noise;
    const NoiseStats s = noise_stats(1.0, tau_noise, 7);
    EXPECT_NEAR(s.v_rms, 1.0, 0.03) << "tau_noise " << tau_noise;
    EXPECT_NEAR(s.v_mean, 0.0, 0.03);
    const double sigma_i =
        NeuronArray::noise_current_for_v_rms(1.0, p.c_mem_pF, p.tau_mem_us, tau_noise);
    EXPECT_NEAR(s.i_rms / sigma_i, 1.0, 0.03);
    NeuronArray a({p}, 0.1, 1);
    const auto& nc = a.noise_coefficients(0);
    EXPECT_EQ(nc.second_draw, tau_noise < 0.5);
    if (!nc.second_draw) {
      EXPECT_LT(nc.residual_fraction, NeuronArray::kNoiseResidualLimit);
    }
  }
  EXPECT_NEAR(noise_stats(0.5, 1.0, 3).v_rms, 0.5, 0.015);
}

TEST(NeuronArray, NoiseIsReproducibleFromTheSeed) {
  NeuronCircuitParams p = lif();
  p.noise_v_rms_mV = 2.0;
  p.i_offset_nA = 43.0;  // V_inf 4.5 mV below threshold: noise decides the spikes
  std::vector<NeuronCircuitParams> ps(16, p);
  NeuronArray a(ps, 0.1, 11), b(ps, 0.1, 11), c(ps, 0.1, 12);
  const auto sa = run(a, 300.0), sb = run(b, 300.0), sc = run(c, 300.0);
  ASSERT_FALSE(sa.empty());
  ASSERT_EQ(sa.size(), sb.size());
  for (std::size_t k = 0; k < sa.size(); ++k) {
    EXPECT_EQ(sa[k].time_us, sb[k].time_us);
    EXPECT_EQ(sa[k].neuron, sb[k].neuron);
  }
  for (int i = 0; i < 16; ++i) EXPECT_EQ(a.v_mV(i), b.v_mV(i));
  bool differs = sa.size() != sc.size();
  for (std::size_t k = 0; !differs && k < sa.size(); ++k) differs = sa[k].time_us != sc[k].time_us;
  EXPECT_TRUE(differs);
  // reset() restarts the generator: the same run again.
  a.reset();
  const auto sa2 = run(a, 300.0);
  ASSERT_EQ(sa2.size(), sa.size());
  for (std::size_t k = 0; k < sa.size(); ++k) EXPECT_EQ(sa2[k].time_us, sa[k].time_us);
}

// Groups (the chip's halves) step independently, each with its own noise stream: group 0 is
// the same array as the first group's neurons alone; the order in which groups step within a
// step does not matter; neuron numbers and input buffers map across the per-group padding.
TEST(NeuronArray, GroupsStepIndependentlyWithTheirOwnNoiseStreams) {
  std::vector<NeuronCircuitParams> ps(20, lif());
  for (int i = 0; i < 20; ++i) {
    ps[i].noise_v_rms_mV = 2.0;
    ps[i].noise_tau_us = i % 3 == 0 ? 0.1 : 1.0;  // some neurons need the second draw
    ps[i].i_offset_nA = 40.0 + 0.5 * i;           // near rheobase: noise decides the spikes
  }
  NeuronArray split(ps, 0.1, 21, 12), reordered(ps, 0.1, 21, 12);
  NeuronArray first(std::vector<NeuronCircuitParams>(ps.begin(), ps.begin() + 12), 0.1, 21);
  EXPECT_EQ(split.groups(), 2);
  EXPECT_EQ(split.group_size(), 12);
  std::vector<NeuronSpike> s_split, s_reordered, s_first;
  for (int k = 0; k < 3000; ++k) {
    const double t = k * 0.1;
    if (k == 1000) {  // an input to a neuron of group 1
      split.add_exc_input(13, 80.0);
      reordered.add_exc_input(13, 80.0);
    }
    split.step(t, s_split);
    std::vector<NeuronSpike> g1, g0;
    reordered.step_group(1, t, g1);
    reordered.step_group(0, t, g0);
    reordered.end_step();
    g0.insert(g0.end(), g1.begin(), g1.end());
    std::sort(g0.begin(), g0.end(), [](const NeuronSpike& a, const NeuronSpike& b) {
      return a.time_us < b.time_us || (a.time_us == b.time_us && a.neuron < b.neuron);
    });
    s_reordered.insert(s_reordered.end(), g0.begin(), g0.end());
    first.step(t, s_first);
  }
  ASSERT_GT(s_split.size(), 50u);
  ASSERT_EQ(s_split.size(), s_reordered.size());
  for (std::size_t k = 0; k < s_split.size(); ++k) {
    EXPECT_EQ(s_split[k].time_us, s_reordered[k].time_us);
    EXPECT_EQ(s_split[k].neuron, s_reordered[k].neuron);
  }
  std::vector<NeuronSpike> g0_only;
  for (const auto& sp : s_split)
    if (sp.neuron < 12) g0_only.push_back(sp);
  ASSERT_EQ(g0_only.size(), s_first.size());
  for (std::size_t k = 0; k < s_first.size(); ++k) {
    EXPECT_EQ(g0_only[k].time_us, s_first[k].time_us);
    EXPECT_EQ(g0_only[k].neuron, s_first[k].neuron);
  }
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(split.v_mV(i), reordered.v_mV(i)) << i;
    if (i < 12) {
      EXPECT_EQ(split.v_mV(i), first.v_mV(i)) << i;
    }
  }
  // Only neuron 13 got the input: without it, every other neuron spikes exactly as before.
  NeuronArray no_input(ps, 0.1, 21, 12);
  std::vector<NeuronSpike> s_no_input;
  for (int k = 0; k < 3000; ++k) no_input.step(k * 0.1, s_no_input);
  auto train = [](const std::vector<NeuronSpike>& s, int n) {
    std::vector<double> t;
    for (const auto& sp : s)
      if (sp.neuron == n) t.push_back(sp.time_us);
    return t;
  };
  for (int n = 0; n < 20; ++n) {
    if (n == 13)
      EXPECT_NE(train(s_split, n), train(s_no_input, n));
    else
      EXPECT_EQ(train(s_split, n), train(s_no_input, n)) << n;
  }
  EXPECT_FALSE(train(s_split, 19).empty());
  NeuronState st = split.state(15);
  st.v_mV = 700.0;
  split.set_state(15, st);
  EXPECT_EQ(split.v_mV(15), 700.0);
  EXPECT_NE(split.v_mV(14), 700.0);
  EXPECT_NE(split.v_mV(16), 700.0);
}

// Idle blocks sleep and are replayed when touched: every spike and every state read is
// bit-identical to stepping all blocks all the time, whether a block wakes through input, a
// state read or a parameter write.
TEST(NeuronArray, SleepingIdleBlocksIsBitIdenticalToSteppingThem) {
  std::vector<NeuronCircuitParams> ps(64, lif());
  for (int i = 0; i < 64; ++i) {
    ps[i].noise_v_rms_mV = 1.0;
    ps[i].noise_tau_us = i % 5 == 0 ? 0.1 : 1.0;  // some need the second draw
    ps[i].v_leak_mV = 600.0 + (i % 7);
    if (i < 16) ps[i].i_offset_nA = 43.0 + 0.3 * i;  // blocks 0-1 busy: noise-driven spikes
  }
  NeuronArray asleep(ps, 0.1, 5, 40), awake(ps, 0.1, 5, 40);
  awake.set_sleep(false);
  std::vector<NeuronSpike> sa, sb;
  std::vector<double> reads_a, reads_b;
  for (int k = 0; k < 20000; ++k) {
    const double t = k * 0.1;
    if (k % 3000 == 1500) {  // a big input to an idle neuron: its block wakes and spikes
      asleep.add_exc_input(45, 250.0);
      awake.add_exc_input(45, 250.0);
    }
    if (k % 2500 == 700) {  // a state read of an idle neuron
      reads_a.push_back(asleep.v_mV(30));
      reads_b.push_back(awake.v_mV(30));
    }
    if (k == 9000) {  // a parameter write to an idle neuron
      NeuronCircuitParams p = ps[60];
      p.v_leak_mV = 640.0;
      asleep.set_params(60, p);
      awake.set_params(60, p);
    }
    asleep.step(t, sa);
    awake.step(t, sb);
  }
  ASSERT_GT(sa.size(), 100u);
  ASSERT_EQ(sa.size(), sb.size());
  int from_45 = 0;
  for (std::size_t k = 0; k < sa.size(); ++k) {
    EXPECT_EQ(sa[k].time_us, sb[k].time_us) << k;
    EXPECT_EQ(sa[k].neuron, sb[k].neuron) << k;
    from_45 += sa[k].neuron == 45;
  }
  EXPECT_GE(from_45, 5);
  EXPECT_EQ(reads_a, reads_b);
  for (int i = 0; i < 64; ++i) {
    const NeuronState x = asleep.state(i), y = awake.state(i);
    EXPECT_EQ(x.v_mV, y.v_mV) << i;
    EXPECT_EQ(x.i_exc_nA, y.i_exc_nA) << i;
    EXPECT_EQ(x.i_noise_nA, y.i_noise_nA) << i;
  }
  // Most idle block-steps were skipped, and nothing crossed threshold while asleep.
  EXPECT_GT(asleep.block_steps_skipped(), 20000u * 3);
  EXPECT_LT(asleep.block_steps_replayed(), asleep.block_steps_skipped());
  EXPECT_EQ(awake.block_steps_skipped(), 0u);
  EXPECT_EQ(asleep.late_spikes(), 0u);
}

// A block whose membrane may reach threshold (noise margin) never sleeps.
// The common path's AVX2 body (4 lanes) against its 2-lane body: the same numbers, with
// noise (one and two draws), adaptation, spikes and refractory ends in the mix.
TEST(NeuronArray, WideAndNarrowCommonPathsAgreeBitForBit) {
  std::vector<NeuronCircuitParams> ps(40, lif());
  for (int i = 0; i < 40; ++i) {
    ps[i].noise_v_rms_mV = 1.0;
    ps[i].noise_tau_us = i % 5 == 0 ? 0.1 : 1.0;  // some need the second draw
    ps[i].i_offset_nA = 42.0 + 0.25 * i;          // most spike, driven by the noise
    if (i % 3 == 0) {
      ps[i].adaptation = true;
      ps[i].adapt_a_nS = 20.0;
      ps[i].adapt_b_nA = 0.5;
    }
  }
  auto run = [&](bool wide, std::vector<double>* state) {
    detail::use_wide_common_path(wide);
    NeuronArray a(ps, 0.1, 7, 16);
    std::vector<NeuronSpike> spikes;
    for (int k = 0; k < 5000; ++k) {
      if (k % 50 == 0) a.add_exc_input(k % 40, 30.0);
      a.step(k * 0.1, spikes);
    }
    for (int i = 0; i < 40; ++i) {
      state->push_back(a.v_mV(i));
      state->push_back(a.w_nA(i));
    }
    detail::use_wide_common_path(true);
    return spikes;
  };
  std::vector<double> narrow_state, wide_state;
  const auto narrow = run(false, &narrow_state);
  if (!detail::use_wide_common_path(true)) GTEST_SKIP() << "CPU without AVX2";
  const auto wide = run(true, &wide_state);
  ASSERT_GT(narrow.size(), 200u);
  ASSERT_EQ(narrow.size(), wide.size());
  for (std::size_t k = 0; k < narrow.size(); ++k) {
    ASSERT_EQ(narrow[k].time_us, wide[k].time_us) << k;
    ASSERT_EQ(narrow[k].neuron, wide[k].neuron) << k;
  }
  EXPECT_EQ(narrow_state, wide_state);
}

TEST(NeuronArray, BlocksNearThresholdStayAwake) {
  NeuronCircuitParams p = lif();
  p.noise_v_rms_mV = 1.0;
  p.i_offset_nA = 42.0;  // V_inf 9 mV below threshold: within 12 sigma
  NeuronArray a(std::vector<NeuronCircuitParams>(8, p), 0.1, 3);
  std::vector<NeuronSpike> out;
  for (int k = 0; k < 2000; ++k) a.step(k * 0.1, out);
  EXPECT_EQ(a.block_steps_skipped(), 0u);
  p.i_offset_nA = 30.0;  // 64 mV below: sleeps
  NeuronArray b(std::vector<NeuronCircuitParams>(8, p), 0.1, 3);
  for (int k = 0; k < 2000; ++k) b.step(k * 0.1, out);
  EXPECT_GT(b.block_steps_skipped(), 1000u);
}

TEST(NeuronArray, NoNoiseWhenSigmaIsZero) {
  NeuronArray a(std::vector<NeuronCircuitParams>(4, lif()), 0.1, 5);
  run(a, 50.0);
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(a.v_mV(i), lif().v_leak_mV);
    EXPECT_EQ(a.i_noise_nA(i), 0.0);
  }
}

}  // namespace
}  // namespace salvo
