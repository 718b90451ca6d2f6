#include "hw/routing/event_bus.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "hw/common/error.hpp"

namespace salvo {

namespace {
// Times closer than this fraction of a service time count as equal, so that rounding in
// accumulated departure times cannot keep a slot occupied that is exactly free (e.g. for
// arrivals exactly at the service rate).
constexpr double kTimeTolerance = 1e-9;
}  // namespace

EventBusParams EventBusParams::from_config(const ChipConfig& cfg) {
  EventBusParams p;
  p.throughput_mevents_per_s = cfg.buses.throughput_mevents_per_s;
  p.fifo_depth = cfg.buses.fifo_depth;
  p.latency_us = cfg.buses.latency_us;
  return p;
}

EventBus::EventBus(const EventBusParams& params, int index)
    : params_(params), index_(index), service_us_(0.0) {
  const std::string me = "event bus " + std::to_string(index);
  if (!(params.throughput_mevents_per_s > 0.0) || !std::isfinite(params.throughput_mevents_per_s)) {
    throw UserError(me + ": buses.throughput_mevents_per_s = " +
                    std::to_string(params.throughput_mevents_per_s) + "; allowed > 0");
  }
  if (params.fifo_depth < 1) {
    throw UserError(me + ": buses.fifo_depth = " + std::to_string(params.fifo_depth) +
                    "; allowed >= 1");
  }
  if (!(params.latency_us >= 0.0) || !std::isfinite(params.latency_us)) {
    throw UserError(me + ": buses.latency_us = " + std::to_string(params.latency_us) +
                    "; allowed >= 0");
  }
  service_us_ = 1.0 / params.throughput_mevents_per_s;  // MEvent/s = events per µs
}

void EventBus::release_until(double t_us) {
  const double t = t_us + kTimeTolerance * service_us_;
  while (!held_until_us_.empty() && held_until_us_.front() <= t) held_until_us_.pop_front();
}

int EventBus::occupancy(double t_us) {
  release_until(t_us);
  return static_cast<int>(held_until_us_.size());
}

bool EventBus::offer(double t_us, std::uint16_t label) {
  if (t_us < last_arrival_us_ - kTimeTolerance * service_us_) {
    throw InternalError("event bus " + std::to_string(index_) + ": event offered at " +
                        std::to_string(t_us) + " us after one at " +
                        std::to_string(last_arrival_us_) + " us (arrivals must be time-ordered)");
  }
  last_arrival_us_ = std::max(last_arrival_us_, t_us);
  ++offered_;
  release_until(t_us);
  if (static_cast<int>(held_until_us_.size()) >= params_.fifo_depth) {
    ++dropped_;
    return false;
  }
  // An arrival within the tolerance of the transmitter becoming free departs at its own
  // time, so rounding in back-to-back departures never accumulates.
  const double free_us = last_departure_us_ + service_us_;
  const double departure = t_us >= free_us - kTimeTolerance * service_us_ ? t_us : free_us;
  last_departure_us_ = departure;
  held_until_us_.push_back(departure + service_us_);
  in_flight_.push_back(Event{departure + params_.latency_us, label});
  return true;
}

void EventBus::pop_until(double t_us, EventList& out) {
  while (!in_flight_.empty() && in_flight_.front().t_us <= t_us) {
    out.push_back(in_flight_.front());
    in_flight_.pop_front();
    ++delivered_;
  }
}

}  // namespace salvo
