#include "hw/routing/background_source.hpp"

#include <cmath>
#include <string>

#include <boost/random/exponential_distribution.hpp>

#include "hw/common/error.hpp"

namespace salvo {

BackgroundSourceParams BackgroundSourceParams::from_config(const ChipConfig& cfg) {
  BackgroundSourceParams p;
  p.max_rate_hz = cfg.background.max_rate_mevents_per_s * 1e6;
  return p;
}

BackgroundSource::BackgroundSource(const BackgroundSourceParams& params, std::uint64_t seed, int id)
    : params_(params),
      seed_(seed),
      id_(id),
      engine_(make_bulk_engine(seed, Stream::kBackground, static_cast<std::uint64_t>(id))),
      address_engine_(make_bulk_engine(seed, Stream::kBackground,
                                       0x10000ULL + static_cast<std::uint64_t>(id))) {}

void BackgroundSource::configure(Mode mode, double rate_hz, std::uint16_t label, double start_us,
                                 double phase_us) {
  const std::string me = "background source " + std::to_string(id_);
  if (!(rate_hz >= 0.0) || rate_hz > params_.max_rate_hz) {
    throw UserError(me + ": rate " + std::to_string(rate_hz) + " Hz out of range; allowed 0.." +
                    std::to_string(params_.max_rate_hz) +
                    " Hz (background.max_rate_mevents_per_s)");
  }
  if (!(phase_us >= 0.0) || !std::isfinite(phase_us)) {
    throw UserError(me + ": phase " + std::to_string(phase_us) + " us; allowed >= 0");
  }
  if (!std::isfinite(start_us)) {
    throw UserError(me + ": start time must be finite");
  }
  mode_ = mode;
  phase_us_ = phase_us;
  rate_hz_ = rate_hz;
  label_ = label;
  k_ = 0;
  if (rate_hz == 0.0) {
    next_us_ = std::numeric_limits<double>::infinity();
    return;
  }
  period_us_ = 1e6 / rate_hz;
  if (mode == Mode::kRegular) {
    origin_us_ = start_us + phase_us;
    next_us_ = origin_us_;
  } else {
    next_us_ = start_us;
    schedule_next();
  }
}

void BackgroundSource::reseed(std::uint64_t key, double start_us) {
  // Streams disjoint from the power-on ones (indices id and 0x10000 + id).
  const std::uint64_t base = (key + 1) << 20;
  engine_ = make_bulk_engine(seed_, Stream::kBackground, base + static_cast<std::uint64_t>(id_));
  address_engine_ = make_bulk_engine(seed_, Stream::kBackground,
                                     base + 0x10000ULL + static_cast<std::uint64_t>(id_));
  configure(mode_, rate_hz_, label_, start_us, phase_us_);
}

void BackgroundSource::schedule_next() {
  if (mode_ == Mode::kRegular) {
    ++k_;
    next_us_ = origin_us_ + static_cast<double>(k_) * period_us_;
  } else {
    boost::random::exponential_distribution<double> isi(1.0 / period_us_);
    next_us_ += isi(engine_);
  }
}

void BackgroundSource::generate_until(double t_us, EventList& out) {
  while (next_us_ <= t_us) {
    std::uint16_t label = label_;
    if (random_mask_) {
      // A stream of its own, so switching addresses on does not change the spike times.
      const auto r = static_cast<std::uint16_t>(address_engine_() & 0xFFFF);
      label = static_cast<std::uint16_t>((label_ & ~random_mask_) | (r & random_mask_));
    }
    out.push_back(Event{next_us_, label});
    ++emitted_;
    schedule_next();
  }
}

}  // namespace salvo
