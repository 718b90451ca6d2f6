// BackgroundSource: one of the chip's on-chip spike generators feeding the crossbar, either
// regular (fixed period, optional phase) or Poisson, with a rate and a 16-bit label.
// The chip draws its Poisson spikes from a seeded pseudo-random generator compared every
// clock cycle; here the inter-spike intervals are drawn directly (Boost exponential,
// stream kBackground, index = source id) in continuous time, so the clock grid is abstracted.
#pragma once

#include <cstdint>
#include <limits>

#include "hw/common/chip_config.hpp"
#include "hw/common/rng.hpp"
#include "hw/routing/event.hpp"

namespace salvo {

struct BackgroundSourceParams {
  double max_rate_hz = 125e6;  // background.max_rate_mevents_per_s × 1e6

  static BackgroundSourceParams from_config(const ChipConfig& cfg);
};

class BackgroundSource {
 public:
  enum class Mode { kRegular, kPoisson };

  // Initial state: off (rate 0), regular mode, label 0.
  BackgroundSource(const BackgroundSourceParams& params, std::uint64_t seed, int id);

  // (Re)starts the source at start_us. Regular: spikes at start_us + phase_us + k / rate_hz
  // (k = 0, 1, ...), each time computed from k so intervals never drift. Poisson: the first
  // spike one exponential interval after start_us, then exponential intervals. rate_hz in
  // hardware time, 0 switches the source off; above max_rate_hz -> UserError. Times are
  // returned in microseconds.
  void configure(Mode mode, double rate_hz, std::uint16_t label, double start_us = 0.0,
                 double phase_us = 0.0);

  // Random address: each event's label bits under `mask` are drawn uniformly (as the chip's
  // generators do), splitting one Poisson source into independent Poisson trains, one per
  // address. 0 = the configured label unchanged.
  void set_random_address_mask(std::uint16_t mask) { random_mask_ = mask; }
  std::uint16_t random_address_mask() const { return random_mask_; }

  // Loads the generator's seed register with `key` and restarts it at start_us (rate, mode,
  // label and address mask unchanged): the same key gives the same spike train and addresses
  // again, as the chip's seeded generators do after a reset. Spikes not emitted yet are dropped.
  void reseed(std::uint64_t key, double start_us);

  // Appends every spike with time <= t_us not emitted yet, in time order.
  void generate_until(double t_us, EventList& out);

  // Time of the next spike not emitted yet; +infinity when off.
  double next_spike_us() const { return next_us_; }

  Mode mode() const { return mode_; }
  double rate_hz() const { return rate_hz_; }
  std::uint16_t label() const { return label_; }
  int id() const { return id_; }
  std::uint64_t emitted() const { return emitted_; }

 private:
  void schedule_next();

  BackgroundSourceParams params_;
  std::uint64_t seed_;
  int id_;
  BulkEngine engine_;
  Mode mode_ = Mode::kRegular;
  double rate_hz_ = 0.0;
  std::uint16_t label_ = 0;
  std::uint16_t random_mask_ = 0;
  BulkEngine address_engine_;
  double phase_us_ = 0.0;
  double origin_us_ = 0.0;  // regular: time of spike 0
  double period_us_ = 0.0;
  std::uint64_t k_ = 0;  // regular: index of the next spike
  double next_us_ = std::numeric_limits<double>::infinity();
  std::uint64_t emitted_ = 0;
};

}  // namespace salvo
