// Synapse visits per second: one row event reaching N columns counts N visits (the figure
// the issue asks for). Reference geometry 256 x 256 with random weights and labels, events
// spread over all drivers, so the array (320 KiB per half) streams through the caches the
// way a real run does. The routing blocks on the same event path (background source,
// crossbar, event bus) are measured here too, in events per second.
#include <benchmark/benchmark.h>

#include <boost/random/exponential_distribution.hpp>
#include <vector>

#include "hw/analog/synapse_array.hpp"
#include "hw/common/rng.hpp"
#include "hw/routing/background_source.hpp"
#include "hw/routing/crossbar.hpp"
#include "hw/routing/event.hpp"
#include "hw/routing/event_bus.hpp"

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

// Delivers the 4096 labels round and round; items = synapses visited (rows reached × 256).
void deliver_loop(benchmark::State& state, SynapseArray& a,
                  const std::vector<std::uint16_t>& labels, std::size_t rows_reserved) {
  std::vector<float> exc(256, 0.0f), inh(exc);
  std::vector<int> rows;
  rows.reserve(rows_reserved);
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

// The end-to-end benchmark's array: all labels 0 and every event addressed to 0 (uniform rows
// add every amplitude without a label compare).
void BM_SynapseDeliverUniformLabels(benchmark::State& state) {
  SynapseArray a = make_array(256);
  const std::vector<std::uint8_t> zeros(256, 0);
  for (int r = 0; r < a.rows(); ++r) a.set_label_row(r, zeros.data());
  auto labels = make_labels(4096);
  for (auto& l : labels) l = static_cast<std::uint16_t>(l & ~0x3Fu);
  deliver_loop(state, a, labels, 64);
}
BENCHMARK(BM_SynapseDeliverUniformLabels);

// All drivers answer every event (mask 0): 256 rows per event, the best case for the
// inner loop and the worst case per event.
void BM_SynapseDeliverAllRows(benchmark::State& state) {
  SynapseArray a = make_array(256);
  for (int d = 0; d < a.drivers(); ++d) a.set_driver(d, 0, 0);
  const auto labels = make_labels(4096);
  deliver_loop(state, a, labels, 512);
}
BENCHMARK(BM_SynapseDeliverAllRows);

// Poisson background generation at 1 MEvent/s, events per second of wall time.
void BM_BackgroundPoisson(benchmark::State& state) {
  salvo::BackgroundSource s(salvo::BackgroundSourceParams{}, 1, 0);
  s.configure(salvo::BackgroundSource::Mode::kPoisson, 1e6, 3);
  salvo::EventList out;
  out.reserve(256);
  double t = 0.0;
  std::int64_t events = 0;
  for (auto _ : state) {
    out.clear();
    t += 100.0;  // ~100 events per call
    s.generate_until(t, out);
    events += static_cast<std::int64_t>(out.size());
  }
  state.SetItemsProcessed(events);
}
BENCHMARK(BM_BackgroundPoisson);

// Crossbar decision for one event (17 inputs x 4 buses, reference chip).
void BM_CrossbarRoute(benchmark::State& state) {
  salvo::Crossbar x(salvo::CrossbarParams{});
  for (int i = 0; i < x.inputs(); ++i)
    for (int b = 0; b < x.buses(); ++b) x.set_node(i, b, true, 0xC000, b << 14);
  const auto labels = make_labels(4096);
  std::size_t i = 0;
  std::uint64_t acc = 0;
  for (auto _ : state) {
    acc += x.route(static_cast<int>(i % 17), labels[i & 4095]);
    ++i;
  }
  benchmark::DoNotOptimize(acc);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CrossbarRoute);

// One event through a bus (offer + pop) at 80 % load with Poisson arrivals.
void BM_EventBusOfferPop(benchmark::State& state) {
  salvo::EventBus bus(salvo::EventBusParams{});
  salvo::Engine eng = salvo::make_engine(9, salvo::Stream::kExperiment, 0);
  std::vector<double> gaps(4096);
  for (auto& g : gaps)
    g = -std::log(1.0 - salvo::draw_uniform01(eng)) * bus.service_time_us() / 0.8;
  salvo::EventList out;
  out.reserve(1024);
  double t = 0.0;
  std::size_t i = 0;
  for (auto _ : state) {
    t += gaps[i & 4095];
    bus.offer(t, static_cast<std::uint16_t>(i));
    if ((++i & 255) == 0) {
      out.clear();
      bus.pop_until(t, out);
    }
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EventBusOfferPop);

}  // namespace
