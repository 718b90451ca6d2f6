// EventBus: FIFO + transmitter + latency against the queueing arithmetic: analytic burst
// delivery times, no drops below capacity, drops = offered - capacity above it, order.
#include "hw/routing/event_bus.hpp"

#include <gtest/gtest.h>

#include <boost/random/exponential_distribution.hpp>
#include <cmath>
#include <vector>

#include "hw/common/error.hpp"
#include "hw/common/rng.hpp"

namespace salvo {
namespace {

EventBusParams reference_bus() {
  EventBusParams p;
  p.throughput_mevents_per_s = 125.0;  // one event per 8 ns
  p.fifo_depth = 64;
  p.latency_us = 0.5;
  return p;
}

TEST(EventBus, IsolatedEventArrivesAfterTheLatency) {
  EventBus bus(reference_bus());
  EXPECT_TRUE(bus.offer(1.0, 7));
  EXPECT_TRUE(bus.offer(3.0, 8));
  EXPECT_DOUBLE_EQ(bus.next_delivery_us(), 1.5);
  EventList out;
  bus.pop_until(1.4999, out);
  EXPECT_TRUE(out.empty());
  bus.pop_until(1.5, out);  // delivery time <= t is included
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], (Event{1.5, 7}));
  bus.pop_until(10.0, out);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[1], (Event{3.5, 8}));
  EXPECT_TRUE(std::isinf(bus.next_delivery_us()));
  EXPECT_EQ(bus.delivered(), 2u);
}

TEST(EventBus, BurstIsServedOnePerServiceTimeAndOverflowIsDropped) {
  auto p = reference_bus();
  p.fifo_depth = 4;
  EventBus bus(p);
  const double T = 1.0 / 125.0;
  int accepted = 0;
  for (int k = 0; k < 10; ++k) accepted += bus.offer(2.0, static_cast<std::uint16_t>(k));
  // A simultaneous burst fills exactly fifo_depth slots (a slot is held until its event's
  // transmission ends), the rest is dropped.
  EXPECT_EQ(accepted, 4);
  EXPECT_EQ(bus.offered(), 10u);
  EXPECT_EQ(bus.dropped(), 6u);
  EXPECT_EQ(bus.occupancy(2.0), 4);
  EXPECT_EQ(bus.occupancy(2.0 + 1.5 * T), 3);  // first transmission ended at 2 + T
  // Two transmissions have ended at 2 + 2T: two slots are free again.
  EXPECT_TRUE(bus.offer(2.0 + 2 * T, 100));
  EXPECT_TRUE(bus.offer(2.0 + 2 * T, 101));
  EXPECT_FALSE(bus.offer(2.0 + 2 * T, 102));
  EventList out;
  bus.pop_until(100.0, out);
  ASSERT_EQ(out.size(), 6u);
  const std::vector<std::uint16_t> labels = {0, 1, 2, 3, 100, 101};
  for (std::size_t k = 0; k < out.size(); ++k) {
    // Departures back to back from the burst time: delivery = 2 + k T + latency.
    EXPECT_NEAR(out[k].t_us, 2.0 + static_cast<double>(k) * T + 0.5, 1e-12) << k;
    EXPECT_EQ(out[k].label, labels[k]);
  }
}

TEST(EventBus, ArrivalsExactlyAtTheServiceRateNeverQueue) {
  auto p = reference_bus();
  p.fifo_depth = 1;
  EventBus bus(p);
  const double T = 1.0 / 125.0;
  for (int k = 0; k < 100000; ++k) ASSERT_TRUE(bus.offer(k * T, 1)) << k;
  EventList out;
  bus.pop_until(1e9, out);
  ASSERT_EQ(out.size(), 100000u);
  for (int k = 0; k < 100000; k += 997)
    EXPECT_NEAR(out[static_cast<std::size_t>(k)].t_us, k * T + 0.5, 1e-9);
}

// Poisson arrivals at `load` times the bus throughput over `duration_us`.
void run_poisson(EventBus& bus, double load, double duration_us, std::uint64_t seed,
                 EventList& out) {
  Engine eng = make_engine(seed, Stream::kExperiment, 0);
  boost::random::exponential_distribution<double> isi(load / bus.service_time_us());
  std::uint16_t label = 0;
  for (double t = isi(eng); t < duration_us; t += isi(eng)) {
    bus.offer(t, label++);
    bus.pop_until(t, out);  // drain as a consumer would, interleaved with arrivals
  }
  bus.pop_until(duration_us + 1e6, out);
}

TEST(EventBus, BelowCapacityNothingIsDroppedAndOrderIsKept) {
  EventBus bus(reference_bus());
  EventList out;
  run_poisson(bus, 0.5, 2000.0, 1, out);  // ~125 000 events at half the throughput
  EXPECT_GT(bus.offered(), 100000u);
  EXPECT_EQ(bus.dropped(), 0u);
  EXPECT_EQ(bus.delivered(), bus.offered());
  ASSERT_EQ(out.size(), bus.offered());
  for (std::size_t k = 1; k < out.size(); ++k) {
    ASSERT_EQ(out[k].label, static_cast<std::uint16_t>(out[k - 1].label + 1)) << k;
    // Never two deliveries closer than one service time.
    ASSERT_GE(out[k].t_us - out[k - 1].t_us, bus.service_time_us() * (1 - 1e-9)) << k;
  }
}

TEST(EventBus, AboveCapacityDropsAreOfferedMinusCapacity) {
  for (double load : {1.5, 2.0, 4.0}) {
    EventBus bus(reference_bus());
    EventList out;
    const double duration_us = 1000.0;
    run_poisson(bus, load, duration_us, 2, out);
    const double capacity = duration_us / bus.service_time_us();  // events the bus can send
    const double expected = static_cast<double>(bus.offered()) - capacity;
    EXPECT_NEAR(static_cast<double>(bus.dropped()), expected, 0.05 * expected) << "load " << load;
    EXPECT_EQ(bus.accepted(), bus.delivered());
    for (std::size_t k = 1; k < out.size(); ++k)
      ASSERT_LT(static_cast<std::uint16_t>(out[k].label - out[k - 1].label), 0x8000u)
          << "order broken at " << k;
  }
}

TEST(EventBus, OutOfOrderOfferIsAnInternalError) {
  EventBus bus(reference_bus());
  bus.offer(5.0, 1);
  EXPECT_THROW(bus.offer(4.0, 2), InternalError);
}

TEST(EventBus, RejectsInvalidParameters) {
  auto p = reference_bus();
  p.fifo_depth = 0;
  EXPECT_THROW(EventBus{p}, UserError);
  p = reference_bus();
  p.throughput_mevents_per_s = 0.0;
  EXPECT_THROW(EventBus{p}, UserError);
  p = reference_bus();
  p.latency_us = -1.0;
  try {
    EventBus bus(p, 3);
    ADD_FAILURE();
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("event bus 3: buses.latency_us"), std::string::npos)
        << e.what();
  }
}

TEST(EventBus, ParamsFromConfig) {
  ChipConfig cfg;
  cfg.buses.throughput_mevents_per_s = 50.0;
  cfg.buses.fifo_depth = 8;
  cfg.buses.latency_us = 0.25;
  EventBus bus(EventBusParams::from_config(cfg));
  EXPECT_DOUBLE_EQ(bus.service_time_us(), 0.02);
  EXPECT_EQ(bus.fifo_depth(), 8);
  EXPECT_DOUBLE_EQ(bus.latency_us(), 0.25);
}

}  // namespace
}  // namespace salvo
