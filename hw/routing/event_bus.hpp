// EventBus: one of the chip's event buses carrying labels from the crossbar to the synapse
// drivers. Modelled as a FIFO of finite depth in front of a transmitter that sends one
// event per 1/throughput, followed by a fixed latency; an event arriving at a full FIFO is
// dropped and counted. Exact queueing arithmetic on event times, no time stepping;
// abstracted away: the bus clock grid (times are continuous) and back-pressure.
#pragma once

#include <algorithm>
#include <cstdint>
#include <deque>
#include <limits>

#include "hw/common/chip_config.hpp"
#include "hw/routing/event.hpp"

namespace salvo {

struct EventBusParams {
  double throughput_mevents_per_s = 125.0;  // buses.throughput_mevents_per_s
  int fifo_depth = 64;                      // buses.fifo_depth
  double latency_us = 0.5;                  // buses.latency_us

  static EventBusParams from_config(const ChipConfig& cfg);
};

class EventBus {
 public:
  explicit EventBus(const EventBusParams& params, int index = 0);

  // An event reaches the FIFO at t_us (calls must come in non-decreasing t_us). It is
  // accepted if fewer than fifo_depth events are held at t_us; an event is held from its
  // arrival until its transmission ends. Accepted event k leaves the FIFO (starts
  // transmission) at departure_k = max(t_k, departure_{k-1} + service_time_us()) and is
  // delivered at departure_k + latency_us. Returns false if the event was dropped.
  bool offer(double t_us, std::uint16_t label);

  // Appends, in order, every accepted event whose delivery time is <= t_us (Event::t_us is
  // the delivery time) and removes them from the bus.
  void pop_until(double t_us, EventList& out);

  // Delivery time of the oldest event still on the bus; +infinity when empty.
  double next_delivery_us() const {
    return in_flight_.empty() ? std::numeric_limits<double>::infinity() : in_flight_.front().t_us;
  }
  // Events accepted but not yet popped.
  std::size_t in_flight() const { return in_flight_.size(); }
  // Events held in the FIFO at t_us (t_us not earlier than the last offer).
  int occupancy(double t_us);
  // The same without releasing anything (observers, tracing).
  int held_at(double t_us) const {
    return static_cast<int>(std::count_if(held_until_us_.begin(), held_until_us_.end(),
                                          [t_us](double u) { return u > t_us; }));
  }

  std::uint64_t offered() const { return offered_; }
  std::uint64_t accepted() const { return offered_ - dropped_; }
  std::uint64_t delivered() const { return delivered_; }
  std::uint64_t dropped() const { return dropped_; }
  void reset_counters() { offered_ = delivered_ = dropped_ = 0; }

  double service_time_us() const { return service_us_; }
  double latency_us() const { return params_.latency_us; }
  int fifo_depth() const { return params_.fifo_depth; }
  int index() const { return index_; }

 private:
  void release_until(double t_us);

  EventBusParams params_;
  int index_;
  double service_us_;
  double last_arrival_us_ = -std::numeric_limits<double>::infinity();
  double last_departure_us_ = -std::numeric_limits<double>::infinity();
  std::deque<double> held_until_us_;  // transmission end of each event held in the FIFO
  std::deque<Event> in_flight_;       // accepted, delivery time in t_us, not yet popped
  std::uint64_t offered_ = 0, delivered_ = 0, dropped_ = 0;
};

}  // namespace salvo
