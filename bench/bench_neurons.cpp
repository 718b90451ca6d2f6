// Neuron-steps per second of NeuronArray for the reference chip's 512 neurons at dt = 0.1 µs.
// Every neuron gets its own constant drive (firing at 0 .. ~80 kHz hardware, like a busy
// network) so the rare path (spike-time search, refractoriness ending in a step) is included.
#include <benchmark/benchmark.h>

#include <vector>

#include <boost/random/normal_distribution.hpp>

#include "hw/analog/neuron_array.hpp"
#include "hw/analog/normal_stream.hpp"
#include "hw/common/rng.hpp"

namespace {

using salvo::NeuronArray;
using salvo::NeuronCircuitParams;
using salvo::NeuronSpike;

enum Model { kLifQuiet, kLif, kLifNoise, kAdaptation, kAdex, kAdexNoise };

std::vector<NeuronCircuitParams> population(Model m) {
  std::vector<NeuronCircuitParams> ps(512);
  for (int i = 0; i < 512; ++i) {
    NeuronCircuitParams& p = ps[static_cast<std::size_t>(i)];
    p.noise_v_rms_mV = (m == kLifNoise || m == kAdexNoise) ? 1.0 : 0.0;
    // Rheobase is 44 nA; 30 .. 90 nA spans silent to ~60 kHz.
    p.i_offset_nA = m == kLifQuiet ? 20.0 : 30.0 + 60.0 * ((i * 37) % 512) / 512.0;
    if (m == kAdaptation || m == kAdex || m == kAdexNoise) {
      p.adaptation = true;
      p.adapt_a_nS = 20.0;
      p.adapt_b_nA = 2.0;
      p.tau_adapt_us = 100.0;
      p.i_offset_nA += 20.0;
    }
    if (m == kAdex || m == kAdexNoise) p.exponential = true;
  }
  return ps;
}

void run(benchmark::State& state, Model m) {
  NeuronArray a(population(m), 0.1, 1);
  std::vector<NeuronSpike> out;
  out.reserve(4096);
  long k = 0;
  for (int w = 0; w < 2000; ++w) a.step(0.1 * static_cast<double>(k++), out);  // warm up
  std::size_t spikes = 0;
  for (auto _ : state) {
    out.clear();
    a.step(0.1 * static_cast<double>(k++), out);
    spikes += out.size();
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * a.size());
  // Mean firing rate in kHz of hardware time (1 step = 0.1 µs).
  state.counters["rate_kHz"] =
      1e4 * static_cast<double>(spikes) / (static_cast<double>(state.iterations()) * a.size());
}

void BM_LifSubthreshold512(benchmark::State& s) { run(s, kLifQuiet); }
void BM_Lif512(benchmark::State& s) { run(s, kLif); }
void BM_LifNoise512(benchmark::State& s) { run(s, kLifNoise); }
void BM_AdaptationOnly512(benchmark::State& s) { run(s, kAdaptation); }
void BM_AdEx512(benchmark::State& s) { run(s, kAdex); }
void BM_AdExNoise512(benchmark::State& s) { run(s, kAdexNoise); }

BENCHMARK(BM_LifSubthreshold512);
BENCHMARK(BM_Lif512);
BENCHMARK(BM_LifNoise512);
// The same with the common path's 2-lane body instead of the AVX2 one (same numbers).
void BM_LifNoise512Narrow(benchmark::State& s) {
  salvo::detail::use_wide_common_path(false);
  run(s, kLifNoise);
  salvo::detail::use_wide_common_path(true);
}
BENCHMARK(BM_LifNoise512Narrow);
BENCHMARK(BM_AdaptationOnly512);
BENCHMARK(BM_AdEx512);
BENCHMARK(BM_AdExNoise512);

// The membrane noise's 512 N(0, 1) draws of one step: one Boost normal_distribution call per
// number (as NeuronArray drew them before) against StandardNormalStream (same numbers).
// items_per_second = draws per CPU second.
void BM_NoiseDrawsBoostPerCall(benchmark::State& state) {
  salvo::Engine eng = salvo::make_engine(1, salvo::Stream::kMembraneNoise);
  boost::random::normal_distribution<double> normal(0.0, 1.0);
  std::vector<double> xi(512);
  for (auto _ : state) {
    for (double& x : xi) x = normal(eng);
    benchmark::DoNotOptimize(xi.data());
  }
  state.SetItemsProcessed(state.iterations() * 512);
}
void BM_NoiseDrawsStream(benchmark::State& state) {
  salvo::StandardNormalStream stream(salvo::engine_seed(1, salvo::Stream::kMembraneNoise));
  std::vector<double> xi(512);
  for (auto _ : state) {
    stream.fill(xi.data(), 512);
    benchmark::DoNotOptimize(xi.data());
  }
  state.SetItemsProcessed(state.iterations() * 512);
}
BENCHMARK(BM_NoiseDrawsBoostPerCall);
BENCHMARK(BM_NoiseDrawsStream);

}  // namespace
