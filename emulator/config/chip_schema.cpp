// The chip-variant schema: every block of the reference chip, with its defaults (the
// reference design), ranges and units. configs/chips/*.yaml are checked against it.
#include <fmt/format.h>

#include "emulator/config/config.hpp"
#include "hw/common/error.hpp"

namespace salvo::config {

const SchemaNode& chip_schema() {
  static const SchemaNode schema = Map({
      {"name", String("unnamed", "name of the chip variant (reported in results)")},
      {"halves", Int(2, 1, 2, "chip halves, each with its own neurons, synapse array and processor")},
      {"neurons", Map({
           {"per_half", Int(256, 1, 256, "neuron circuits (columns) per half")},
           {"dt_us", Float(0.1, 0.001, 1.0, "integration time step of the analog core (hardware µs)")},
           {"adaptation", Bool(false, "AdEx adaptation current enabled (false: LIF)")},
           {"exponential", Bool(false, "AdEx exponential spike-initiation term enabled")},
           {"c_mem_pF", Float(2.2, 0.1, 10.0, "membrane capacitance")},
           {"c_mem_bits", Int(6, 1, 8, "resolution of the selectable membrane capacitance")},
           {"tau_mem_us", Float(10.0, 0.5, 200.0, "target membrane time constant")},
           {"tau_syn_exc_us", Float(5.0, 0.2, 100.0, "target excitatory synaptic time constant")},
           {"tau_syn_inh_us", Float(5.0, 0.2, 100.0, "target inhibitory synaptic time constant")},
           {"t_ref_us", Float(2.0, 0.0, 100.0, "target refractory period")},
           {"v_leak_mV", Float(600.0, 0.0, 1200.0, "target leak (resting) potential")},
           {"v_reset_mV", Float(620.0, 0.0, 1200.0, "target reset potential")},
           {"v_threshold_mV", Float(800.0, 0.0, 1200.0, "target spike threshold")},
           {"v_exp_mV", Float(780.0, 0.0, 1200.0, "AdEx exponential threshold V_T")},
           {"delta_t_mV", Float(10.0, 0.5, 100.0, "AdEx slope factor Δ_T")},
           {"adapt_a_nS", Float(0.0, 0.0, 100.0, "AdEx subthreshold adaptation conductance a")},
           {"adapt_b_nA", Float(0.0, 0.0, 100.0, "AdEx spike-triggered adaptation increment b")},
           {"tau_adapt_us", Float(100.0, 1.0, 10000.0, "AdEx adaptation time constant")},
           {"v_min_mV", Float(0.0, 0.0, 1200.0, "lower supply rail the membrane cannot cross")},
           {"v_max_mV", Float(1200.0, 0.0, 1200.0, "upper supply rail")},
       }, "neuron circuits (AdEx, reducible to LIF)")},
      {"parameter_memory", Map({
           {"voltage_cells_per_neuron", Int(8, 1, 64, "capacitive voltage cells per neuron")},
           {"current_cells_per_neuron", Int(16, 1, 64, "capacitive current cells per neuron")},
           {"code_bits", Int(10, 4, 16, "resolution of a cell's code")},
           {"code_max", Int(1022, 1, 65535, "largest valid code")},
           {"voltage_full_scale_mV", Float(1200.0, 1.0, 5000.0, "voltage at code_max")},
           {"current_full_scale_nA", Float(1000.0, 1.0, 100000.0, "current at code_max")},
       }, "analog parameter memory (capacitive cells)")},
      {"synapses", Map({
           {"rows_per_half", Int(256, 2, 256, "synapse rows per half")},
           {"weight_bits", Int(6, 1, 8, "weight resolution")},
           {"label_bits", Int(6, 1, 8, "address label resolution")},
           {"i_lsb_nA", Float(0.4, 0.0, 100.0, "synaptic current amplitude per weight LSB")},
       }, "synapse array")},
      {"drivers", Map({
           {"per_half", Int(128, 1, 512, "synapse drivers per half")},
           {"rows_per_driver", Int(2, 1, 8, "rows driven by one driver")},
       }, "synapse drivers")},
      {"sensors", Map({
           {"enabled", Bool(true, "correlation sensors pair spikes (false: switched off, e.g. to measure their cost)")},
           {"tau_us", Float(5.0, 0.1, 1000.0, "correlation kernel time constant")},
           {"tau_min_us", Float(2.0, 0.1, 1000.0, "smallest tunable kernel time constant")},
           {"tau_max_us", Float(30.0, 0.1, 1000.0, "largest tunable kernel time constant")},
           {"amplitude_lsb", Float(0.5, 0.0, 100.0, "accumulator step per spike pair at Δt = 0 (CADC LSB)")},
           {"trim_bits", Int(2, 0, 4, "per-synapse trim resolution of amplitude and τ")},
           {"trim_step_tau", Float(0.1, 0.0, 1.0, "relative change of τ per trim step")},
           {"trim_step_amplitude", Float(0.1, 0.0, 1.0, "relative change of amplitude per trim step")},
           {"baseline_lsb", Float(220.0, 0.0, 255.0, "accumulator rest value as read by the CADC")},
           {"range_lsb", Float(220.0, 0.0, 255.0, "how far below the baseline the storage can be pulled")},
           {"drift_lsb_per_ms", Float(0.0, 0.0, 1e6, "slow drift of stored correlation back to the baseline")},
           {"reset_time_us", Float(1.0, 0.0, 1000.0, "time a sensor reset takes")},
           {"post_delay_us", Float(0.5, 0.0, 100.0,
                                   "delay of a neuron's spike reaching its column's sensors; equal to buses.latency_us "
                                   "the two directions of a reciprocal pair are measured symmetrically")},
       }, "correlation sensors (one causal and one acausal accumulator per synapse)")},
      {"cadc", Map({
           {"bits", Int(8, 1, 16, "resolution")},
           {"sample_rate_msps", Float(1.85, 0.001, 1000.0, "conversions per second per channel")},
           {"channels_per_column", Int(2, 1, 4, "causal and acausal")},
       }, "column-parallel ADC")},
      {"madc", Map({
           {"bits", Int(10, 1, 16, "resolution")},
           {"sample_rate_msps", Float(10.0, 0.001, 1000.0, "membrane samples per second")},
           {"v_full_scale_mV", Float(1200.0, 1.0, 5000.0, "voltage at full code")},
       }, "membrane ADC (one selected neuron)")},
      {"rate_counters", Map({
           {"bits", Int(8, 1, 32, "counter width (saturating)")},
       }, "per-neuron spike counters")},
      {"routing", Map({
           {"label_bits", Int(16, 16, 16, "spike label width (the crossbar and synapse drivers use 16-bit labels)")},
           {"neuron_outputs", Int(8, 1, 64, "crossbar inputs from neuron blocks")},
           {"background_inputs", Int(8, 0, 64, "crossbar inputs from background sources")},
           {"host_inputs", Int(1, 0, 8, "crossbar inputs from the host link")},
       }, "event routing crossbar")},
      {"buses", Map({
           {"count", Int(4, 1, 64, "event buses")},
           {"throughput_mevents_per_s", Float(125.0, 0.001, 10000.0, "events per second per bus")},
           {"fifo_depth", Int(64, 1, 1 << 20, "events a bus FIFO holds before it drops")},
           {"latency_us", Float(0.5, 0.0, 100.0, "delay from entering a bus to reaching the synapse drivers")},
           {"clock_mhz", Float(125.0, 1.0, 10000.0, "event clock; spike timestamps resolve to one cycle")},
       }, "event buses")},
      {"background", Map({
           {"sources", Int(8, 0, 64, "background spike sources")},
           {"max_rate_mevents_per_s", Float(125.0, 0.0, 10000.0, "highest rate of one source")},
       }, "on-chip background spike sources")},
      {"processor", Map({
           {"clock_mhz", Float(250.0, 1.0, 5000.0, "plasticity processor clock")},
           {"memory_kib", Int(16, 1, 4096, "local memory")},
           {"memory_max_kib", Int(256, 1, 4096, "largest memory of the variant family")},
           {"quantum_us", Float(1.0, 0.001, 1000.0, "how far the processor may run ahead of the chip")},
           {"watchdog_instructions", Int(2000000000L, 1, 1000000000000L, "instruction budget before the watchdog stops a run")},
       }, "plasticity processor (RV32IMC + Zicsr), one per half")},
      {"host_link", Map({
           {"playback_rate_mevents_per_s", Float(125.0, 0.001, 10000.0, "host input events per second")},
           {"record_rate_mevents_per_s", Float(125.0, 0.001, 10000.0, "recorded events per second")},
       }, "host link")},
      {"mismatch", Map({
           {"scale", Float(1.0, 0.0, 10.0, "multiplies every spread below (0 = an ideal chip)")},
           {"tau_mem", Float(0.20, 0.0, 2.0, "relative σ of τ_mem")},
           {"tau_syn", Float(0.15, 0.0, 2.0, "relative σ of τ_syn")},
           {"v_leak_mV", Float(20.0, 0.0, 500.0, "σ of the leak potential")},
           {"v_reset_mV", Float(15.0, 0.0, 500.0, "σ of the reset potential")},
           {"v_threshold_mV", Float(25.0, 0.0, 500.0, "σ of the threshold")},
           {"syn_gain", Float(0.10, 0.0, 2.0, "relative σ of each neuron's synaptic input gain")},
           {"weight_dac", Float(0.03, 0.0, 2.0, "relative σ of each synapse's weight DAC")},
           {"sensor_amplitude", Float(0.20, 0.0, 2.0, "relative σ of each correlation sensor's amplitude")},
           {"sensor_tau", Float(0.15, 0.0, 2.0, "relative σ of each correlation sensor's τ")},
           {"cadc_offset_lsb", Float(15.0, 0.0, 255.0, "σ of each CADC channel's offset")},
           {"capmem_gain", Float(0.02, 0.0, 2.0, "relative σ of each parameter cell's gain")},
           {"capmem_offset_mV", Float(5.0, 0.0, 500.0, "σ of each parameter cell's offset")},
           {"calibrated", Bool(false, "apply the calibration bars (spreads reduced as on the real system)")},
       }, "fixed-pattern mismatch, drawn once per chip instance from the seed")},
      {"noise", Map({
           {"membrane_mV_rms", Float(1.0, 0.0, 100.0, "membrane noise (Ornstein–Uhlenbeck current)")},
           {"membrane_tau_us", Float(1.0, 0.01, 1000.0, "correlation time of the membrane noise current")},
           {"sensor_readout_lsb", Float(1.0, 0.0, 100.0, "σ of the correlation readout noise")},
       }, "temporal noise (differs every run unless the seed is fixed)")},
  });
  return schema;
}

namespace {

double num(const YAML::Node& n, const char* a, const char* b) { return n[a][b].as<double>(); }
int integer(const YAML::Node& n, const char* a, const char* b) { return n[a][b].as<int>(); }
bool flag(const YAML::Node& n, const char* a, const char* b) { return n[a][b].as<bool>(); }

}  // namespace

void check_chip(const YAML::Node& r, const YAML::Node& original, const Origin& origin) {
  auto fail = [&](const std::string& path, const std::string& problem, const std::string& allowed) {
    fail_at(find(original, path), "chip." + path, origin, problem, allowed);
  };
  if (num(r, "neurons", "v_reset_mV") >= num(r, "neurons", "v_threshold_mV"))
    fail("neurons.v_threshold_mV",
         fmt::format("threshold {} mV is not above reset {} mV",
                     num(r, "neurons", "v_threshold_mV"), num(r, "neurons", "v_reset_mV")),
         "v_threshold_mV > v_reset_mV");
  if (num(r, "neurons", "v_min_mV") >= num(r, "neurons", "v_max_mV"))
    fail("neurons.v_max_mV", "upper rail is not above the lower rail", "v_max_mV > v_min_mV");
  const double tmin = num(r, "sensors", "tau_min_us"), tmax = num(r, "sensors", "tau_max_us");
  const double tau = num(r, "sensors", "tau_us");
  if (tau < tmin || tau > tmax)
    fail("sensors.tau_us", fmt::format("{} µs is outside the tunable range", tau),
         fmt::format("[{}, {}] from sensors.tau_min_us/tau_max_us", tmin, tmax));
  const int rows = integer(r, "synapses", "rows_per_half");
  const int drivers = integer(r, "drivers", "per_half"),
            per = integer(r, "drivers", "rows_per_driver");
  if (drivers * per != rows)
    fail("drivers.per_half",
         fmt::format("{} drivers × {} rows = {} rows, but synapses.rows_per_half is {}", drivers,
                     per, drivers * per, rows),
         fmt::format("drivers.per_half × drivers.rows_per_driver == {}", rows));
  if (num(r, "buses", "latency_us") < num(r, "neurons", "dt_us"))
    fail("buses.latency_us",
         "shorter than one analog time step (events would act before they were sent)",
         fmt::format(">= neurons.dt_us = {}", num(r, "neurons", "dt_us")));
  if (integer(r, "processor", "memory_kib") > integer(r, "processor", "memory_max_kib"))
    fail("processor.memory_kib", "larger than processor.memory_max_kib",
         fmt::format("<= {}", integer(r, "processor", "memory_max_kib")));
  const int code_bits = integer(r, "parameter_memory", "code_bits");
  if (integer(r, "parameter_memory", "code_max") >= (1 << code_bits))
    fail("parameter_memory.code_max", "does not fit the code width",
         fmt::format("< 2^code_bits = {}", 1 << code_bits));
  if (num(r, "sensors", "range_lsb") > num(r, "sensors", "baseline_lsb"))
    fail("sensors.range_lsb", "storage range reaches below zero", "<= sensors.baseline_lsb");
}

ChipConfig chip_from(const YAML::Node& r, const std::string& source_file) {
  ChipConfig c;
  c.name = r["name"].as<std::string>();
  c.source_file = source_file;
  c.halves = r["halves"].as<int>();
  auto& n = c.neurons;
  n.per_half = integer(r, "neurons", "per_half");
  n.dt_us = num(r, "neurons", "dt_us");
  n.adaptation = flag(r, "neurons", "adaptation");
  n.exponential = flag(r, "neurons", "exponential");
  n.c_mem_pF = num(r, "neurons", "c_mem_pF");
  n.c_mem_bits = integer(r, "neurons", "c_mem_bits");
  n.tau_mem_us = num(r, "neurons", "tau_mem_us");
  n.tau_syn_exc_us = num(r, "neurons", "tau_syn_exc_us");
  n.tau_syn_inh_us = num(r, "neurons", "tau_syn_inh_us");
  n.t_ref_us = num(r, "neurons", "t_ref_us");
  n.v_leak_mV = num(r, "neurons", "v_leak_mV");
  n.v_reset_mV = num(r, "neurons", "v_reset_mV");
  n.v_threshold_mV = num(r, "neurons", "v_threshold_mV");
  n.v_exp_mV = num(r, "neurons", "v_exp_mV");
  n.delta_t_mV = num(r, "neurons", "delta_t_mV");
  n.adapt_a_nS = num(r, "neurons", "adapt_a_nS");
  n.adapt_b_nA = num(r, "neurons", "adapt_b_nA");
  n.tau_adapt_us = num(r, "neurons", "tau_adapt_us");
  n.v_min_mV = num(r, "neurons", "v_min_mV");
  n.v_max_mV = num(r, "neurons", "v_max_mV");
  auto& p = c.parameter_memory;
  p.voltage_cells_per_neuron = integer(r, "parameter_memory", "voltage_cells_per_neuron");
  p.current_cells_per_neuron = integer(r, "parameter_memory", "current_cells_per_neuron");
  p.code_bits = integer(r, "parameter_memory", "code_bits");
  p.code_max = integer(r, "parameter_memory", "code_max");
  p.voltage_full_scale_mV = num(r, "parameter_memory", "voltage_full_scale_mV");
  p.current_full_scale_nA = num(r, "parameter_memory", "current_full_scale_nA");
  c.synapses.rows_per_half = integer(r, "synapses", "rows_per_half");
  c.synapses.weight_bits = integer(r, "synapses", "weight_bits");
  c.synapses.label_bits = integer(r, "synapses", "label_bits");
  c.synapses.i_lsb_nA = num(r, "synapses", "i_lsb_nA");
  c.drivers.per_half = integer(r, "drivers", "per_half");
  c.drivers.rows_per_driver = integer(r, "drivers", "rows_per_driver");
  auto& s = c.sensors;
  s.tau_us = num(r, "sensors", "tau_us");
  s.tau_min_us = num(r, "sensors", "tau_min_us");
  s.tau_max_us = num(r, "sensors", "tau_max_us");
  s.amplitude_lsb = num(r, "sensors", "amplitude_lsb");
  s.trim_bits = integer(r, "sensors", "trim_bits");
  s.trim_step_tau = num(r, "sensors", "trim_step_tau");
  s.trim_step_amplitude = num(r, "sensors", "trim_step_amplitude");
  s.baseline_lsb = num(r, "sensors", "baseline_lsb");
  s.range_lsb = num(r, "sensors", "range_lsb");
  s.drift_lsb_per_ms = num(r, "sensors", "drift_lsb_per_ms");
  s.reset_time_us = num(r, "sensors", "reset_time_us");
  s.post_delay_us = num(r, "sensors", "post_delay_us");
  s.enabled = flag(r, "sensors", "enabled");
  c.cadc.bits = integer(r, "cadc", "bits");
  c.cadc.sample_rate_msps = num(r, "cadc", "sample_rate_msps");
  c.cadc.channels_per_column = integer(r, "cadc", "channels_per_column");
  c.madc.bits = integer(r, "madc", "bits");
  c.madc.sample_rate_msps = num(r, "madc", "sample_rate_msps");
  c.madc.v_full_scale_mV = num(r, "madc", "v_full_scale_mV");
  c.rate_counters.bits = integer(r, "rate_counters", "bits");
  c.routing.label_bits = integer(r, "routing", "label_bits");
  c.routing.neuron_outputs = integer(r, "routing", "neuron_outputs");
  c.routing.background_inputs = integer(r, "routing", "background_inputs");
  c.routing.host_inputs = integer(r, "routing", "host_inputs");
  c.buses.count = integer(r, "buses", "count");
  c.buses.throughput_mevents_per_s = num(r, "buses", "throughput_mevents_per_s");
  c.buses.fifo_depth = integer(r, "buses", "fifo_depth");
  c.buses.latency_us = num(r, "buses", "latency_us");
  c.buses.clock_mhz = num(r, "buses", "clock_mhz");
  c.background.sources = integer(r, "background", "sources");
  c.background.max_rate_mevents_per_s = num(r, "background", "max_rate_mevents_per_s");
  c.processor.clock_mhz = num(r, "processor", "clock_mhz");
  c.processor.memory_kib = integer(r, "processor", "memory_kib");
  c.processor.memory_max_kib = integer(r, "processor", "memory_max_kib");
  c.processor.quantum_us = num(r, "processor", "quantum_us");
  c.processor.watchdog_instructions = r["processor"]["watchdog_instructions"].as<std::uint64_t>();
  c.host_link.playback_rate_mevents_per_s = num(r, "host_link", "playback_rate_mevents_per_s");
  c.host_link.record_rate_mevents_per_s = num(r, "host_link", "record_rate_mevents_per_s");
  auto& m = c.mismatch;
  m.scale = num(r, "mismatch", "scale");
  m.tau_mem = num(r, "mismatch", "tau_mem");
  m.tau_syn = num(r, "mismatch", "tau_syn");
  m.v_leak_mV = num(r, "mismatch", "v_leak_mV");
  m.v_reset_mV = num(r, "mismatch", "v_reset_mV");
  m.v_threshold_mV = num(r, "mismatch", "v_threshold_mV");
  m.syn_gain = num(r, "mismatch", "syn_gain");
  m.weight_dac = num(r, "mismatch", "weight_dac");
  m.sensor_amplitude = num(r, "mismatch", "sensor_amplitude");
  m.sensor_tau = num(r, "mismatch", "sensor_tau");
  m.cadc_offset_lsb = num(r, "mismatch", "cadc_offset_lsb");
  m.capmem_gain = num(r, "mismatch", "capmem_gain");
  m.capmem_offset_mV = num(r, "mismatch", "capmem_offset_mV");
  m.calibrated = flag(r, "mismatch", "calibrated");
  c.noise.membrane_mV_rms = num(r, "noise", "membrane_mV_rms");
  c.noise.membrane_tau_us = num(r, "noise", "membrane_tau_us");
  c.noise.sensor_readout_lsb = num(r, "noise", "sensor_readout_lsb");
  return c;
}

}  // namespace salvo::config
