// Correlation sensor and CADC micro-benchmarks. items_per_second counts synapse visits: a pre
// event sweeps one row (columns() visits), a post event one column (rows() visits).
//   cmake --build build --target bench_sensors && build/bench/bench_sensors
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "hw/analog/column_adc.hpp"
#include "hw/analog/correlation_sensors.hpp"
#include "hw/common/rng.hpp"

namespace {

using salvo::ColumnAdc;
using salvo::ColumnAdcParams;
using salvo::CorrelationSensorParams;
using salvo::CorrelationSensors;

CorrelationSensorParams reference_params(int n, double drift_lsb_per_ms) {
  CorrelationSensorParams p;
  p.rows = n;
  p.columns = n;
  p.sigma_amplitude = 0.2;
  p.sigma_tau = 0.15;
  p.readout_noise_lsb = 1.0;
  p.drift_lsb_per_ms = drift_lsb_per_ms;
  return p;
}

// The no-drift sweep is branch-free, so its cost does not depend on how many synapses pair:
// plain back-to-back events measure it without timer pauses.
void BM_OnPre(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  CorrelationSensors s(reference_params(n, 0.0), 1);
  for (int c = 0; c < n; ++c) s.on_post(c, 0.5);
  double t = 1.0;
  int row = 0;
  for (auto _ : state) {
    s.on_pre(row, t);
    row = (row + 1) % n;
    t += 0.01;
  }
  state.SetItemsProcessed(state.iterations() * n);
}
BENCHMARK(BM_OnPre)->Arg(256)->Arg(32);

// The same with the baseline x86-64 (SSE2) sweep forced, as on a CPU without AVX2.
void BM_OnPreBaselineSse2(benchmark::State& state) {
  salvo::detail::use_wide_sweep(false);
  BM_OnPre(state);
  salvo::detail::use_wide_sweep(true);
}
BENCHMARK(BM_OnPreBaselineSse2)->Arg(256);

void BM_OnPost(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  CorrelationSensors s(reference_params(n, 0.0), 1);
  for (int r = 0; r < n; ++r) s.on_pre(r, 0.5);
  double t = 1.0;
  int col = 0;
  for (auto _ : state) {
    s.on_post(col, t);
    col = (col + 1) % n;
    t += 0.01;
  }
  state.SetItemsProcessed(state.iterations() * n);
}
BENCHMARK(BM_OnPost)->Arg(256)->Arg(32);

// Worst case, every visit forms a pair: each iteration fires all columns, then all rows; every
// post pairs causally with every row's last pre and every pre acausally with every column's
// post (2·n² visits per iteration). With drift on this is the branchy path's worst case.
void BM_AllPairRound(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  CorrelationSensors s(reference_params(n, static_cast<double>(state.range(1))), 1);
  double t = 0.0;
  for (auto _ : state) {
    t += 1.0;
    for (int c = 0; c < n; ++c) s.on_post(c, t);
    t += 1.0;
    for (int r = 0; r < n; ++r) s.on_pre(r, t);
  }
  state.SetItemsProcessed(state.iterations() * 2 * n * n);
}
BENCHMARK(BM_AllPairRound)->Args({256, 0})->Args({256, 1})->Args({32, 0});

// A realistic mix without timer pauses: Poisson-like pre events on random rows and post events
// on random columns (half each), as the lead's simulation delivers them.
void BM_MixedSpikeTrain(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  CorrelationSensors s(reference_params(n, static_cast<double>(state.range(1))), 1);
  salvo::Engine eng = salvo::make_engine(1, salvo::Stream::kExperiment, 0);
  std::vector<std::pair<bool, int>> ev(1 << 14);
  for (auto& e : ev) {
    e.first = salvo::draw_uniform01(eng) < 0.5;
    e.second = static_cast<int>(salvo::draw_uniform01(eng) * n);
  }
  double t = 0.0;
  std::size_t k = 0;
  for (auto _ : state) {
    t += 0.05;
    const auto& e = ev[k++ & (ev.size() - 1)];
    if (e.first)
      s.on_pre(e.second, t);
    else
      s.on_post(e.second, t);
  }
  state.SetItemsProcessed(state.iterations() * n);
}
BENCHMARK(BM_MixedSpikeTrain)->Args({256, 0})->Args({256, 1});

// The end-to-end benchmark's load (configs/experiments/benchmark-e2e.yaml): both halves of the
// reference chip, 100 ns steps, every row a 200 kHz Poisson input (p = 0.02 per step) and
// every column a ~310 kHz neuron (p = 0.031), spike times uniform inside the step, pre before
// post at equal times. A pre-generated trace of 4096 steps is replayed (times keep rising).
void BM_E2eLikeSteps(benchmark::State& state) {
  constexpr int kN = 256, kSteps = 4096;
  constexpr double kDt = 0.1;
  CorrelationSensors half0(reference_params(kN, 0.0), 1, 0), half1(reference_params(kN, 0.0), 1, 1);
  salvo::Engine eng = salvo::make_engine(1, salvo::Stream::kExperiment, 0);
  struct Ev {
    double frac;
    bool pre;
    int index;
  };
  std::vector<std::vector<Ev>> trace(kSteps);
  std::size_t visits = 0;
  for (auto& step : trace) {
    for (int i = 0; i < 2 * kN; ++i) {
      const bool pre = i < kN;
      if (salvo::draw_uniform01(eng) < (pre ? 0.02 : 0.031))
        step.push_back({salvo::draw_uniform01(eng) * kDt, pre, i % kN});
    }
    std::sort(step.begin(), step.end(), [](const Ev& a, const Ev& b) {
      return a.frac < b.frac || (a.frac == b.frac && a.pre && !b.pre);
    });
    visits += step.size() * kN;
  }
  double t0 = 0.0;
  std::size_t k = 0;
  for (auto _ : state) {
    for (CorrelationSensors* s : {&half0, &half1}) {
      for (const Ev& e : trace[k % kSteps]) {
        if (e.pre)
          s->on_pre(e.index, t0 + e.frac);
        else
          s->on_post(e.index, t0 + e.frac);
      }
    }
    t0 += kDt;
    ++k;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(2 * visits / kSteps * state.iterations()));
}
BENCHMARK(BM_E2eLikeSteps);

// The same with the baseline x86-64 (SSE2) sweep forced, as on a CPU without AVX2.
void BM_E2eLikeStepsBaselineSse2(benchmark::State& state) {
  salvo::detail::use_wide_sweep(false);
  BM_E2eLikeSteps(state);
  salvo::detail::use_wide_sweep(true);
}
BENCHMARK(BM_E2eLikeStepsBaselineSse2);

void BM_CadcConvertRow(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  CorrelationSensors s(reference_params(n, 0.0), 1);
  ColumnAdcParams ap;
  ap.columns = n;
  ap.offset_sigma_lsb = 15.0;
  ColumnAdc adc(ap, 1);
  std::vector<std::uint8_t> cc(static_cast<std::size_t>(n)), ac(static_cast<std::size_t>(n));
  int row = 0;
  for (auto _ : state) {
    adc.convert_row(s, row, 0.0, cc.data(), ac.data());
    benchmark::DoNotOptimize(cc.data());
    row = (row + 1) % n;
  }
  state.SetItemsProcessed(state.iterations() * 2 * n);  // channels converted
}
BENCHMARK(BM_CadcConvertRow)->Arg(256);

void BM_ResetRow(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  CorrelationSensors s(reference_params(n, 0.0), 1);
  int row = 0;
  for (auto _ : state) {
    s.reset_row(row, 0.0);
    row = (row + 1) % n;
  }
  state.SetItemsProcessed(state.iterations() * n);
}
BENCHMARK(BM_ResetRow)->Arg(256);

}  // namespace
