#include "hw/chip/analog_core.hpp"

#include <algorithm>
#include <cmath>
#include <iterator>

#include <fmt/format.h>

#include "hw/common/error.hpp"

namespace salvo {

namespace {

// Timestamps on the chip resolve to one cycle of the event clock.
double quantise(double t_us, double clock_us) { return std::floor(t_us / clock_us) * clock_us; }

}  // namespace

AnalogCore::AnalogCore(const ChipConfig& config, std::uint64_t seed)
    : cfg_(config),
      seed_(seed),
      bus_clock_us_(1.0 / config.buses.clock_mhz),
      post_delay_us_(config.sensors.post_delay_us) {
  for (int h = 0; h < cfg_.halves; ++h) {
    synapses_.push_back(
        std::make_unique<SynapseArray>(SynapseArrayParams::from_config(cfg_), seed, h));
    sensors_.push_back(
        std::make_unique<CorrelationSensors>(CorrelationSensorParams::from_config(cfg_), seed, h));
    cadc_.push_back(std::make_unique<ColumnAdc>(ColumnAdcParams::from_config(cfg_), seed, h));
  }
  // Parameter memory holds the host's (uncalibrated) codes for the config's targets; each
  // circuit turns its cell values into parameters with its own mismatch.
  parameters_ = std::make_unique<ParameterMemory>(cfg_, seed);
  write_target_codes(cfg_, *parameters_);
  circuits_ = std::make_unique<NeuronCircuits>(cfg_, seed);
  // One neuron group (and membrane-noise stream) per half, so the halves can step in parallel.
  neurons_ = std::make_unique<NeuronArray>(circuits_->all_params(*parameters_), cfg_.neurons.dt_us,
                                           seed, cfg_.neurons.per_half);
  crossbar_ = std::make_unique<Crossbar>(CrossbarParams::from_config(cfg_));
  for (int b = 0; b < cfg_.buses.count; ++b)
    buses_.push_back(std::make_unique<EventBus>(EventBusParams::from_config(cfg_), b));
  inputs_.first_neuron_output = crossbar_->neuron_output_input(0);
  inputs_.first_background =
      cfg_.routing.background_inputs > 0 ? crossbar_->background_input(0) : -1;
  inputs_.host = cfg_.routing.host_inputs > 0 ? crossbar_->host_input(0) : -1;
  const int n = neurons_total();
  neuron_label_.assign(n, 0);
  neuron_routed_.assign(n, 0);
  rate_counters_.assign(n, 0);
  rate_counter_max_ =
      cfg_.rate_counters.bits >= 31 ? 0x7FFFFFFF : (1 << cfg_.rate_counters.bits) - 1;
  exc_pending_.assign(n, 0.f);
  inh_pending_.assign(n, 0.f);
  half_.resize(static_cast<std::size_t>(cfg_.halves));
  set_threads(default_threads());
}

namespace {
int g_default_threads = 1;
}  // namespace

void AnalogCore::set_default_threads(int threads) {
  if (threads < 1) throw InternalError("AnalogCore: default thread count must be >= 1");
  g_default_threads = threads;
}

int AnalogCore::default_threads() { return g_default_threads; }

// The pool's helpers call into neurons_ (noise drawn ahead): they stop first.
AnalogCore::~AnalogCore() { pool_.reset(); }

void AnalogCore::set_threads(int threads) {
  if (threads < 1) throw InternalError("AnalogCore: thread count must be >= 1");
  const int used = std::min(threads, halves());
  if (used == this->threads()) return;
  pool_ = used > 1 ? std::make_unique<WorkerPool>(used) : nullptr;
  // A helper without a half to run draws the membrane noise ahead (the same numbers).
  if (pool_)
    pool_->set_idle_work(
        [](void* neurons) { return static_cast<NeuronArray*>(neurons)->produce_noise(); },
        neurons_.get());
}

std::uint16_t AnalogCore::row_label(int half, int row, int rows_per_driver, int address) {
  return make_label(static_cast<unsigned>((half << 7) | (row / rows_per_driver)),
                    static_cast<unsigned>(address));
}

void AnalogCore::select_drivers_by_index() {
  for (int h = 0; h < halves(); ++h) {
    auto& s = synapses(h);
    for (int d = 0; d < s.drivers(); ++d) s.set_driver(d, (h << 7) | d, 0xFF);
  }
}

void AnalogCore::set_neuron_label(int neuron, std::uint16_t label, bool routed) {
  crossbar_->set_neuron_label(neuron, label);
  neuron_label_.at(neuron) = label;
  neuron_routed_.at(neuron) = routed ? 1 : 0;
}

void AnalogCore::route_all_inputs_round_robin() {
  crossbar_->disable_all();
  for (int i = 0; i < crossbar_->inputs(); ++i)
    crossbar_->set_node(i, i % crossbar_->buses(), true, 0, 0);
}

BackgroundSource& AnalogCore::add_background() {
  const int id = static_cast<int>(background_.size());
  if (id >= cfg_.background.sources)
    throw UserError(fmt::format(
        "{}: chip.background.sources: the experiment needs more than {} background sources "
        "(allowed: at most chip.background.sources)",
        cfg_.source_file, cfg_.background.sources));
  background_.emplace_back(BackgroundSourceParams::from_config(cfg_), seed_, id);
  return background_.back();
}

void AnalogCore::add_playback(std::vector<Event> events) {
  playback_.insert(playback_.end(), events.begin(), events.end());
  std::stable_sort(playback_.begin() + static_cast<long>(playback_next_), playback_.end(),
                   [](const Event& a, const Event& b) { return a.t_us < b.t_us; });
}

void AnalogCore::write_parameter(int neuron, int cell, int code) {
  ++parameter_writes_;
  write_parameter_code(*parameters_, *circuits_, *neurons_, neuron, cell, code);
}

void AnalogCore::set_voltage_target(int neuron, VoltageCell cell, double target_mV) {
  const int mapped = voltage_map_ ? voltage_map_(neuron, cell, target_mV) : -1;
  write_parameter(neuron, ParameterMemory::cell_index(cell),
                  mapped >= 0 ? mapped : parameters_->ideal_code(cell, target_mV));
}

void AnalogCore::set_current_target(int neuron, CurrentCell cell, double parameter) {
  const int mapped = current_map_ ? current_map_(neuron, cell, parameter) : -1;
  write_parameter(neuron, parameters_->cell_index(cell),
                  mapped >= 0 ? mapped : parameters_->ideal_code(cell, parameter));
}

void AnalogCore::select_madc(int neuron) {
  if (neuron >= neurons_total())
    throw UserError(fmt::format("MADC: neuron {} does not exist (allowed: -1..{})", neuron,
                                neurons_total() - 1));
  madc_neuron_ = neuron;
  if (neuron < 0) return;
  madc_start_step_ = steps_;
  madc_next_ = 0;
  // period/dt as a fraction p/q with a small q when there is one (10 MSPS at dt = 0.1 µs:
  // 1/1), so boundaries are integer arithmetic; otherwise floor(n·ratio) (never exact ties).
  const double ratio = 1.0 / (cfg_.madc.sample_rate_msps * dt_us());
  madc_rational_ = false;
  for (std::uint64_t q = 1; q <= 1000 && !madc_rational_; ++q) {
    const double x = ratio * static_cast<double>(q);
    if (x < 1e9 && std::fabs(x - std::round(x)) <= 1e-9 * std::max(1.0, x)) {
      madc_p_ = static_cast<std::uint64_t>(std::llround(x));
      madc_q_ = q;
      madc_rational_ = true;
    }
  }
  record_madc(steps_);  // the samples the current state already shows (sample 0: now)
}

void AnalogCore::record_madc(std::uint64_t steps_done) {
  const double dt = dt_us();
  const double period = 1.0 / cfg_.madc.sample_rate_msps;
  const int max_code = (1 << cfg_.madc.bits) - 1;
  for (;;) {
    const std::uint64_t n = madc_next_;
    std::uint64_t boundary;
    double t;
    if (madc_rational_) {
      // t_n = (start + n·p/q)·dt, split into whole steps and the rest so that a sample on a
      // boundary carries exactly that boundary's time (as now_us() computes it).
      const std::uint64_t whole = n * madc_p_ / madc_q_, rest = n * madc_p_ % madc_q_;
      boundary = madc_start_step_ + whole;
      t = static_cast<double>(boundary) * dt +
          static_cast<double>(rest) / static_cast<double>(madc_q_) * dt;
    } else {
      const double ratio = period / dt;
      boundary = madc_start_step_ + static_cast<std::uint64_t>(std::floor(n * ratio));
      t = static_cast<double>(madc_start_step_) * dt + static_cast<double>(n) * period;
    }
    if (boundary > steps_done) return;
    const double v = neurons_->v_mV(madc_neuron_);
    const int code = std::clamp(
        static_cast<int>(std::lround(v / cfg_.madc.v_full_scale_mV * max_code)), 0, max_code);
    madc_.push_back({t, code, code * cfg_.madc.v_full_scale_mV / max_code});
    ++madc_next_;
  }
}

void AnalogCore::reset_rate_counters() {
  std::fill(rate_counters_.begin(), rate_counters_.end(), 0);
}

std::uint64_t AnalogCore::synaptic_events() const {
  std::uint64_t n = 0;
  for (const auto& h : half_) n += h.synaptic_events;
  return n;
}

std::uint64_t AnalogCore::bus_offered() const {
  std::uint64_t n = 0;
  for (const auto& b : buses_) n += b->offered();
  return n;
}

std::uint64_t AnalogCore::bus_dropped() const {
  std::uint64_t n = 0;
  for (const auto& b : buses_) n += b->dropped();
  return n;
}

void AnalogCore::advance_to(double t_us) {
  const double dt = dt_us();
  // Step k ends at (k+1)·dt exactly (no accumulated rounding); a small tolerance lets
  // advancing to k·dt reach step k.
  auto fits = [&](std::uint64_t k) {
    return (static_cast<double>(steps_ + k)) * dt <= t_us + 1e-9 * dt;
  };
  const int window = window_steps();
  while (fits(1)) {
    int k = 1;
    while (k < window && fits(static_cast<std::uint64_t>(k) + 1)) ++k;
    step_window(k);
  }
}

int AnalogCore::window_steps() const {
  // A per-step observer (tracing) sees every step's state: windows of one step. (The MADC
  // samples its neuron inside the window, see run_half_window.)
  if (step_observer_) return 1;
  double latency = std::numeric_limits<double>::infinity();
  for (const auto& b : buses_) latency = std::min(latency, b->latency_us());
  // A window plus one whole step of margin (far above any rounding of event times) within
  // the smallest bus latency: then an event offered in a window's step is delivered after
  // the window's last step.
  const double fit = std::floor(latency / dt_us() + 1e-6) - 1.0;
  return static_cast<int>(std::clamp(fit, 1.0, static_cast<double>(kMaxWindowSteps)));
}

void AnalogCore::step_half(int h, double t0, double t1, const std::vector<Event>& delivered,
                           std::vector<NeuronSpike>& spikes) {
  const int per_half = neurons_per_half();
  HalfScratch& hs = half_[h];
  // Inputs delivered during the previous step act now.
  if (hs.pending)
    neurons_->add_inputs(h, exc_pending_.data() + h * per_half, inh_pending_.data() + h * per_half);
  // Bus deliveries inside this step [t0, t1) are converted into synaptic current jumps
  // now but act at the start of the next step: late by less than one step, never early.
  // Their exact times go to the correlation sensors (as pre spikes of the rows they hit),
  // in time order (`delivered` is sorted).
  hs.pre_events.clear();
  std::size_t rows_hit = 0;
  {
    float* exc = exc_pending_.data() + h * per_half;
    float* inh = inh_pending_.data() + h * per_half;
    auto& syn = *synapses_[h];
    for (const Event& e : delivered) {
      hs.rows_hit.clear();
      syn.deliver(e.label, exc, inh, hs.rows_hit);
      for (int r : hs.rows_hit) hs.pre_events.push_back({e.t_us, r});
      rows_hit += hs.rows_hit.size();
      hs.synaptic_events += hs.rows_hit.size() * static_cast<std::uint64_t>(per_half);
    }
  }

  spikes.clear();
  neurons_->step_group(h, t0, spikes);
  // Rows reached now add to the pending currents (all +0 otherwise: add_inputs consumed them).
  hs.pending = rows_hit > 0;
  const int rows = cfg_.synapses.rows_per_half;
  double work_ns = kWorkNsPerAwakeBlock * neurons_->awake_blocks(h) +
                   kWorkNsPerSpike * static_cast<double>(spikes.size()) +
                   kWorkNsPerSynapse * static_cast<double>(rows_hit * per_half);
  // Correlation sensors see pre (row) and post (column) spikes in one time order; at equal
  // times the pre spike goes first. Post spikes reach the sensors after
  // sensors.post_delay_us (the back-propagated pulse), matching the bus latency of the pre
  // spikes keeps the two directions of a reciprocal pair measured symmetrically.
  if (!cfg_.sensors.enabled) {
    hs.window_work_ns += work_ns;
    return;
  }
  const std::size_t posts_before = hs.post_pending.size() + spikes.size();
  CorrelationSensors& sensors = *sensors_[h];
  for (const NeuronSpike& sp : spikes)
    hs.post_pending.push_back({sp.time_us + post_delay_us_, sp.neuron - h * per_half});
  std::size_t ip = 0;
  const auto& pre = hs.pre_events;
  while (!hs.post_pending.empty() && hs.post_pending.front().t_us < t1) {
    const PostEvent pe = hs.post_pending.front();
    hs.post_pending.pop_front();
    for (; ip < pre.size() && pre[ip].t_us <= pe.t_us; ++ip)
      sensors.on_pre(pre[ip].row, pre[ip].t_us);
    sensors.on_post(pe.column, pe.t_us);
  }
  for (; ip < pre.size(); ++ip) sensors.on_pre(pre[ip].row, pre[ip].t_us);
  const std::size_t posts = posts_before - hs.post_pending.size();
  work_ns += kWorkNsPerSensorVisit * static_cast<double>(pre.size() * per_half + posts * rows);
  hs.window_work_ns += work_ns;
}

bool AnalogCore::parallel_window() const {
  if (!pool_) return false;
  double least = half_[0].window_work_ns;
  for (const HalfScratch& hs : half_) least = std::min(least, hs.window_work_ns);
  return least >= parallel_min_work_ns_;
}

void AnalogCore::run_half_window(int h, int k) {
  HalfScratch& hs = half_[static_cast<std::size_t>(h)];
  hs.window_work_ns = 0.0;
  for (int j = 0; j < k; ++j) {
    const auto jj = static_cast<std::size_t>(j);
    step_half(h, window_t_[jj], window_t_[jj + 1], window_delivered_[jj], hs.window_spikes[jj]);
    neurons_->end_step(h);
    // The MADC's neuron is in one half: that half samples it (only it touches madc_).
    if (madc_neuron_ >= 0 && madc_neuron_ / neurons_per_half() == h)
      record_madc(steps_ + static_cast<std::uint64_t>(j) + 1);
  }
}

void AnalogCore::step_window(int k) {
  // Every delivery of the window's steps is on the buses already (window_steps): popped
  // step by step as the steps would pop them.
  if (window_delivered_.size() < static_cast<std::size_t>(k)) {
    window_delivered_.resize(static_cast<std::size_t>(k));
    for (HalfScratch& hs : half_) hs.window_spikes.resize(static_cast<std::size_t>(k));
  }
  // The steps' bounds, once: step j is [window_t_[j], window_t_[j + 1]), its last time
  // window_last_[j].
  for (int j = 0; j <= k; ++j)
    window_t_[static_cast<std::size_t>(j)] =
        static_cast<double>(steps_ + static_cast<std::uint64_t>(j)) * dt_us();
  for (std::size_t j = 0; j < static_cast<std::size_t>(k); ++j) {
    window_last_[j] = std::nextafter(window_t_[j + 1], -1.0);
    std::vector<Event>& delivered = window_delivered_[j];
    delivered.clear();
    for (auto& b : buses_) b->pop_until(window_last_[j], delivered);
    // (std::stable_sort takes a temporary buffer from the heap even for one element.)
    if (delivered.size() > 1)
      std::stable_sort(delivered.begin(), delivered.end(),
                       [](const Event& a, const Event& b) { return a.t_us < b.t_us; });
  }

  // The halves share nothing within a window (their own neurons, noise stream, synapses and
  // sensors; what one half's spikes do to the other arrives through a bus, after the
  // window): each runs the window's steps in a row. What crosses between them (buses,
  // crossbar, counters) runs below, serially, step by step. Side by side only when every
  // half has enough to do: handing a half to another core costs about a microsecond (cache
  // lines between cores), more than a quiet half's steps.
  if (parallel_window()) {
    parallel_steps_ += static_cast<std::uint64_t>(k);
    pool_->run(halves(), [&](int h) { run_half_window(h, k); });
  } else {
    for (int h = 0; h < halves(); ++h) run_half_window(h, k);
  }
  for (int j = 0; j < k; ++j) finish_step(static_cast<std::size_t>(j));
  // Every 16 windows: if the steps drew noise the helpers had not drawn ahead, wake a
  // sleeping one.
  if (pool_ && (++windows_ & 15u) == 0 && neurons_->noise_consumer_fills() != noise_fills_seen_) {
    noise_fills_seen_ = neurons_->noise_consumer_fills();
    pool_->wake_idle();
  }
}

void AnalogCore::finish_step(std::size_t j) {
  const double t1 = window_t_[j + 1];
  const double before_t1 = window_last_[j];
  // One time order (then neuron) over the halves' sorted spike lists.
  step_spikes_.clear();
  step_spikes_.swap(half_[0].window_spikes[j]);
  for (int h = 1; h < halves(); ++h) {
    merged_.clear();
    const std::vector<NeuronSpike>& half_spikes = half_[h].window_spikes[j];
    std::merge(step_spikes_.begin(), step_spikes_.end(), half_spikes.begin(), half_spikes.end(),
               std::back_inserter(merged_), [](const NeuronSpike& a, const NeuronSpike& b) {
                 return a.time_us < b.time_us || (a.time_us == b.time_us && a.neuron < b.neuron);
               });
    step_spikes_.swap(merged_);
  }

  // Everything that enters the crossbar during [t0, t1): background, playback and the
  // neurons' own spikes, offered to the buses in timestamp order.
  offers_.clear();
  for (std::size_t s = 0; s < background_.size(); ++s) {
    if (!(background_[s].next_spike_us() <= before_t1)) continue;  // nothing due this step
    generated_.clear();
    background_[s].generate_until(before_t1, generated_);
    for (const Event& e : generated_)
      offers_.push_back({e.t_us, e.label, inputs_.first_background + static_cast<int>(s)});
  }
  while (playback_next_ < playback_.size() && playback_[playback_next_].t_us < t1) {
    const Event& e = playback_[playback_next_++];
    offers_.push_back({e.t_us, e.label, inputs_.host});
  }
  for (const NeuronSpike& sp : step_spikes_) {
    const double t = quantise(sp.time_us, bus_clock_us_);
    ++spike_count_;
    if (record_spikes_) spikes_.push_back({t, sp.neuron});
    int& rc = rate_counters_[sp.neuron];
    if (rc < rate_counter_max_) ++rc;
    // Spikes enter the crossbar at their exact time (like background and playback events,
    // so the buses see arrivals in order); with latency >= dt their delivery always falls
    // into a later step. Only the recorded timestamps resolve to the event clock.
    if (neuron_routed_[sp.neuron])
      offers_.push_back(
          {sp.time_us, neuron_label_[sp.neuron], crossbar_->neuron_output_of(sp.neuron)});
  }
  if (offers_.size() > 1)
    std::stable_sort(offers_.begin(), offers_.end(),
                     [](const Offer& a, const Offer& b) { return a.t_us < b.t_us; });
  for (const Offer& o : offers_) {
    std::uint32_t mask = crossbar_->route(o.input, o.label);
    for (int b = 0; mask; ++b, mask >>= 1)
      if (mask & 1u) buses_[b]->offer(o.t_us, o.label);
  }

  ++steps_;
  t_us_ = static_cast<double>(steps_) * dt_us();
  if (step_observer_) step_observer_(t_us_);
}

double AnalogCore::effective_weight_mV(int half, int row, int col) {
  // Peak of the PSP of a current-based exponential synapse on a leaky membrane:
  // V(t) = q/C · τm τs/(τm − τs) · (e^{−t/τm} − e^{−t/τs}), peak at t* = τmτs/(τm−τs)·ln(τm/τs).
  const auto& syn = synapses(half);
  const int neuron = half * neurons_per_half() + col;
  const auto& p = neurons_->params(neuron);
  const bool inh = syn.row_sign(row) == SynapseArray::RowSign::kInhibitory;
  const double gain = inh ? p.syn_gain_inh : p.syn_gain_exc;
  const double i0 = std::fabs(syn.amplitude_nA(row, col)) * gain;
  const double tm = p.tau_mem_us, ts = inh ? p.tau_syn_inh_us : p.tau_syn_exc_us;
  double peak;
  if (std::fabs(tm - ts) < 1e-9 * tm) {
    peak = i0 * tm / p.c_mem_pF * std::exp(-1.0);
  } else {
    const double tstar = tm * ts / (tm - ts) * std::log(tm / ts);
    peak = i0 / p.c_mem_pF * tm * ts / (tm - ts) * (std::exp(-tstar / tm) - std::exp(-tstar / ts));
  }
  return inh ? -peak : peak;
}

}  // namespace salvo
