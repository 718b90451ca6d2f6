// Synapse visits per second: one row event reaching N columns counts N visits (the figure
// the issue asks for). Reference geometry 256 x 256 with random weights and labels, events
// spread over all drivers, so the array (320 KiB per half) streams through the caches the
// way a real run does.
#include <benchmark/benchmark.h>

#include <vector>

#include "hw/analog/synapse_array.hpp"
#include "hw/common/rng.hpp"
#include "hw/routing/event.hpp"

namespace {

using salvo::SynapseArray;

SynapseArray make_array(int columns) {
  salvo::SynapseArrayParams p;
  p.columns = columns;
  p.weight_dac_sigma = 0.03;
  SynapseArray a(p, 1, 0);
  salvo::Engine eng = salvo::make_engine(7, salvo::Stream::kExperiment, 0);
  for (int r = 0; r < a.rows(); ++r) {
    if (r % 4 == 3) a.set_row_sign(r, SynapseArray::RowSign::kInhibitory);
    for (int c = 0; c < a.columns(); ++c) {
      a.set_weight(r, c, static_cast<int>(salvo::draw_uniform01(eng) * 64));
      a.set_label(r, c, static_cast<int>(salvo::draw_uniform01(eng) * 64));
    }
  }
  return a;
}

std::vector<std::uint16_t> make_labels(int n) {
  salvo::Engine eng = salvo::make_engine(8, salvo::Stream::kExperiment, 0);
  std::vector<std::uint16_t> labels(static_cast<std::size_t>(n));
  for (auto& l : labels)
    l = salvo::make_label(static_cast<unsigned>(salvo::draw_uniform01(eng) * 128),
                          static_cast<unsigned>(salvo::draw_uniform01(eng) * 64));
  return labels;
}

// deliver() on the default drivers: every event reaches one driver = 2 rows.
void BM_SynapseDeliver(benchmark::State& state) {
  const int columns = static_cast<int>(state.range(0));
  SynapseArray a = make_array(columns);
  const auto labels = make_labels(4096);
  std::vector<float> exc(static_cast<std::size_t>(columns), 0.0f), inh(exc);
  std::vector<int> rows;
  rows.reserve(64);
  std::size_t i = 0;
  std::int64_t visits = 0;
  for (auto _ : state) {
    rows.clear();
    const int hit = a.deliver(labels[i], exc.data(), inh.data(), rows);
    visits += static_cast<std::int64_t>(hit) * columns;
    i = (i + 1) & 4095;
  }
  benchmark::DoNotOptimize(exc.data());
  benchmark::DoNotOptimize(inh.data());
  state.SetItemsProcessed(visits);
}
BENCHMARK(BM_SynapseDeliver)->Arg(256)->Arg(32);

// All drivers answer every event (mask 0): 256 rows per event, the best case for the
// inner loop and the worst case per event.
void BM_SynapseDeliverAllRows(benchmark::State& state) {
  SynapseArray a = make_array(256);
  for (int d = 0; d < a.drivers(); ++d) a.set_driver(d, 0, 0);
  const auto labels = make_labels(4096);
  std::vector<float> exc(256, 0.0f), inh(exc);
  std::vector<int> rows;
  rows.reserve(512);
  std::size_t i = 0;
  std::int64_t visits = 0;
  for (auto _ : state) {
    rows.clear();
    visits += static_cast<std::int64_t>(a.deliver(labels[i], exc.data(), inh.data(), rows)) * 256;
    i = (i + 1) & 4095;
  }
  benchmark::DoNotOptimize(exc.data());
  state.SetItemsProcessed(visits);
}
BENCHMARK(BM_SynapseDeliverAllRows);

}  // namespace
