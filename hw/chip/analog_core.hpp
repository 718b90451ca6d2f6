// AnalogCore: the chip's analog and event-routing side as one plain C++ object — neuron
// circuits, synapse arrays with their correlation sensors and CADCs, the routing crossbar,
// event buses, background sources, host-link playback and recording. It advances in whole
// time steps (all neurons per step, events in timestamp order per step) and can be caught
// up to any later time on demand, which is how the SystemC Chip and the processors use it.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <vector>

#include "hw/analog/column_adc.hpp"
#include "hw/analog/correlation_sensors.hpp"
#include "hw/analog/neuron_array.hpp"
#include "hw/analog/neuron_circuits.hpp"
#include "hw/analog/parameter_memory.hpp"
#include "hw/analog/synapse_array.hpp"
#include "hw/common/chip_config.hpp"
#include "hw/common/worker_pool.hpp"
#include "hw/routing/background_source.hpp"
#include "hw/routing/crossbar.hpp"
#include "hw/routing/event.hpp"
#include "hw/routing/event_bus.hpp"

namespace salvo {

struct RecordedSpike {
  double t_us;
  int neuron;
};

struct MadcSample {
  double t_us;
  int code;
  double v_mV;
};

// Where a spike came from: crossbar input indices.
struct CrossbarInputs {
  int first_neuron_output = 0;
  int first_background = 0;
  int host = 0;
};

class AnalogCore {
 public:
  AnalogCore(const ChipConfig& config, std::uint64_t seed);
  ~AnalogCore();
  AnalogCore(const AnalogCore&) = delete;
  AnalogCore& operator=(const AnalogCore&) = delete;

  const ChipConfig& config() const { return cfg_; }
  int halves() const { return cfg_.halves; }
  int neurons_per_half() const { return cfg_.neurons.per_half; }
  int neurons_total() const { return cfg_.neurons_total(); }
  double dt_us() const { return cfg_.neurons.dt_us; }

  SynapseArray& synapses(int half) { return *synapses_.at(half); }
  CorrelationSensors& sensors(int half) { return *sensors_.at(half); }
  ColumnAdc& cadc(int half) { return *cadc_.at(half); }
  NeuronArray& neurons() { return *neurons_; }
  ParameterMemory& parameters() { return *parameters_; }
  const NeuronCircuits& circuits() const { return *circuits_; }
  Crossbar& crossbar() { return *crossbar_; }
  EventBus& bus(int b) { return *buses_.at(b); }
  int bus_count() const { return static_cast<int>(buses_.size()); }
  const CrossbarInputs& inputs() const { return inputs_; }

  // Label a neuron's spikes carry on the buses, and whether its output reaches the
  // crossbar at all (recording and rate counters see every spike regardless).
  void set_neuron_label(int neuron, std::uint16_t label, bool routed = true);
  // Routes every crossbar input to the bus it is numbered after (input % buses).
  void route_all_inputs_round_robin();
  // Label rows: row r of half h is selected by label ((h<<7 | r/2) << 6 | address).
  static std::uint16_t row_label(int half, int row, int rows_per_driver, int address);
  // Configures every driver of every half to answer its own row_label() select.
  void select_drivers_by_index();

  // The next free background source (configure() it); UserError past background.sources.
  BackgroundSource& add_background();
  // The background sources added so far (id = order of add_background()).
  int background_count() const { return static_cast<int>(background_.size()); }
  BackgroundSource& background(int id) { return background_.at(static_cast<std::size_t>(id)); }
  // Host-link playback events (any order; sorted here).
  void add_playback(std::vector<Event> events);

  // Writes a parameter-memory code (as the processor or host does) and re-derives that
  // neuron's circuit, with its mismatch, immediately.
  void write_parameter(int neuron, int cell, int code);
  // Host-side mapping of a voltage target to a code: the ideal inverse transfer (uncalibrated),
  // or a calibration's per-neuron fitted lines once set_voltage_map() installed them (a map
  // returning < 0 falls back to the ideal code).
  void set_voltage_target(int neuron, VoltageCell cell, double target_mV);
  using VoltageMap = std::function<int(int neuron, VoltageCell cell, double target_mV)>;
  void set_voltage_map(VoltageMap map) { voltage_map_ = std::move(map); }
  // The same for a current cell's circuit parameter (τ_mem, τ_syn, t_ref in µs, synaptic gain):
  // the ideal code, or the calibration's per-neuron line (set_current_map) when it has one.
  void set_current_target(int neuron, CurrentCell cell, double parameter);
  using CurrentMap = std::function<int(int neuron, CurrentCell cell, double parameter)>;
  void set_current_map(CurrentMap map) { current_map_ = std::move(map); }

  // Membrane ADC: one selected neuron, sampled at madc.sample_rate_msps (-1: off).
  void select_madc(int neuron);

  // Host threads that advance the halves side by side within each step (at most halves()
  // are used). Results are identical for every thread count: each half owns its neurons,
  // synapses, sensors and noise stream, and everything shared runs on the caller.
  void set_threads(int threads);
  int threads() const { return pool_ ? pool_->threads() : 1; }
  // What set_threads() a new AnalogCore starts with (1 unless changed, e.g. by
  // `salvo run --threads`).
  static void set_default_threads(int threads);
  static int default_threads();
  // With more than one thread, a window of steps (step_window) runs its halves side by side
  // only when the previous window's work of every half (a count of what it did, weighted by
  // typical costs in ns: kWorkNs*) was at least this much; otherwise the caller runs them
  // one after the other.
  // Where a half runs never changes what it computes. 0: always side by side.
  static constexpr double kParallelMinWorkNs = 2000.0;
  void set_parallel_min_work_ns(double ns) { parallel_min_work_ns_ = ns; }
  // Steps whose halves went to the pool so far.
  std::uint64_t parallel_steps() const { return parallel_steps_; }
  std::uint64_t steps() const { return steps_; }

  double now_us() const { return t_us_; }
  // Advances every block in whole steps while a step ends at or before t_us.
  void advance_to(double t_us);

  // 8-bit (config) saturating spike counters per neuron.
  int rate_counter(int neuron) const { return rate_counters_.at(neuron); }
  void reset_rate_counter(int neuron) { rate_counters_.at(neuron) = 0; }
  void reset_rate_counters();

  // Called after every step with its end time (tracing; empty = none).
  void set_step_observer(std::function<void(double t_us)> fn) { step_observer_ = std::move(fn); }

  void set_record_spikes(bool on) { record_spikes_ = on; }
  const std::vector<RecordedSpike>& spikes() const { return spikes_; }
  const std::vector<MadcSample>& madc_samples() const { return madc_; }
  std::uint64_t spike_count() const { return spike_count_; }
  // Activity counters for the cost model: synapses reached by row events (a row event
  // reaches every synapse of its row), parameter-memory cell writes.
  std::uint64_t synaptic_events() const;
  std::uint64_t parameter_writes() const { return parameter_writes_; }
  std::uint64_t bus_offered() const;
  std::uint64_t bus_dropped() const;

  // The effective weight oracle: peak PSP (mV) at the post neuron caused by one event on
  // synapse (half,row,col) at its current code, from the true drawn circuit parameters.
  double effective_weight_mV(int half, int row, int col);

 private:
  // Steps advance in windows of up to window_steps(): the halves run the window's steps
  // (side by side, see set_threads), then the caller does the serial part of each step
  // (spikes to the crossbar and buses, counters) in order. Results equal step by step.
  static constexpr int kMaxWindowSteps = 8;
  int window_steps() const;
  void step_window(int steps);
  void run_half_window(int half, int steps);
  // One step of one half: the step's bus deliveries in, its spikes (time order) out.
  void step_half(int half, double t0, double t1, const std::vector<Event>& delivered,
                 std::vector<NeuronSpike>& spikes);
  // The serial part of step `j` of the window (the step that ends at (steps_ + 1)·dt).
  void finish_step(std::size_t j);
  // Whether this window's halves go to the pool (see set_parallel_min_work_ns).
  bool parallel_window() const;
  // Typical host costs (ns, one core) of a half's step: an awake 8-neuron block (noise draws
  // and common path), a spike (rare path), a synapse reached by a row event, a sensor visit.
  static constexpr double kWorkNsPerAwakeBlock = 40.0;
  static constexpr double kWorkNsPerSpike = 400.0;
  static constexpr double kWorkNsPerSynapse = 0.15;
  static constexpr double kWorkNsPerSensorVisit = 0.8;

  ChipConfig cfg_;
  std::uint64_t seed_;
  double t_us_ = 0.0;
  std::uint64_t steps_ = 0;
  std::function<void(double)> step_observer_;
  CrossbarInputs inputs_;
  std::vector<std::unique_ptr<SynapseArray>> synapses_;
  std::vector<std::unique_ptr<CorrelationSensors>> sensors_;
  std::vector<std::unique_ptr<ColumnAdc>> cadc_;
  std::unique_ptr<ParameterMemory> parameters_;
  std::unique_ptr<NeuronCircuits> circuits_;
  std::unique_ptr<NeuronArray> neurons_;
  std::unique_ptr<Crossbar> crossbar_;
  std::vector<std::unique_ptr<EventBus>> buses_;
  std::vector<BackgroundSource> background_;
  std::vector<Event> playback_;
  std::size_t playback_next_ = 0;

  std::vector<std::uint16_t> neuron_label_;
  std::vector<std::uint8_t> neuron_routed_;
  std::vector<int> rate_counters_;
  int rate_counter_max_;

  // Per-step scratch, kept to avoid allocation in the loop.
  std::vector<float> exc_pending_, inh_pending_;  // delivered this step, act next step
  struct PreEvent {
    double t_us;
    int row;
  };
  struct PostEvent {
    double t_us;
    int column;
  };
  struct HalfScratch {
    std::vector<PreEvent> pre_events;
    std::deque<PostEvent> post_pending;                   // post spikes on their way to the sensors
    std::vector<std::vector<NeuronSpike>> window_spikes;  // per step of the window
    std::vector<int> rows_hit;
    std::uint64_t synaptic_events = 0;
    double window_work_ns = 0.0;  // estimated host work of its last window (parallel_window)
    bool pending = false;         // rows reached in the last step: inputs for this one
  };
  std::vector<HalfScratch> half_;
  std::unique_ptr<WorkerPool> pool_;
  double parallel_min_work_ns_ = kParallelMinWorkNs;
  std::uint64_t parallel_steps_ = 0;
  std::uint64_t windows_ = 0;
  std::uint64_t noise_fills_seen_ = 0;  // neurons_->noise_consumer_fills() at the last look
  std::vector<NeuronSpike> step_spikes_, merged_;
  struct Offer {
    double t_us;
    std::uint16_t label;
    int input;
  };
  std::vector<Offer> offers_;
  std::vector<Event> generated_;
  std::vector<std::vector<Event>> window_delivered_;    // per step of the window
  std::array<double, kMaxWindowSteps + 1> window_t_{};  // step j of the window: [t_j, t_j+1)
  std::array<double, kMaxWindowSteps> window_last_{};   // the last time inside step j

  VoltageMap voltage_map_;
  CurrentMap current_map_;
  bool record_spikes_ = true;
  std::vector<RecordedSpike> spikes_;
  std::uint64_t spike_count_ = 0;
  std::uint64_t parameter_writes_ = 0;
  // MADC sample n (counted from select_madc) is due at madc_start_us_ + n·period and shows
  // the membrane at the last step boundary at or before that time: boundary
  // madc_start_step_ + floor(n·p/q), where p/q = period/dt (exact for commensurate rates).
  // Samples due by the end of step `steps_done` (the state now current).
  void record_madc(std::uint64_t steps_done);
  int madc_neuron_ = -1;
  std::uint64_t madc_start_step_ = 0;
  std::uint64_t madc_next_ = 0;  // index of the next sample
  std::uint64_t madc_p_ = 1, madc_q_ = 1;
  bool madc_rational_ = true;
  std::vector<MadcSample> madc_;
  double bus_clock_us_;
  double post_delay_us_;
};

}  // namespace salvo
