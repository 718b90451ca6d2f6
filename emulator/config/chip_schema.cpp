// The chip-variant schema: every key of ChipConfig declared once, in one field table that yields
// the schema (ranges, units, meaning; defaults are ChipConfig's own initialisers — the reference
// design) and the parsing into ChipConfig. configs/chips/*.yaml are checked against it.
#include <fmt/format.h>

#include "emulator/config/config.hpp"
#include "emulator/config/fields.hpp"
#include "hw/common/error.hpp"

namespace salvo::config {

namespace {

const Fields<ChipConfig>& chip_fields() {
  // clang-format off
  static const Fields<ChipConfig> fields = {
      field("name", &ChipConfig::name, "name of the chip variant (reported in results)"),
      field("halves", &ChipConfig::halves, 1, 2, "chip halves, each with its own neurons, synapse array and processor"),
      block("neurons", &ChipConfig::neurons,
            Fields<NeuronConfig>{
                field("per_half", &NeuronConfig::per_half, 1, 256, "neuron circuits (columns) per half"),
                field("dt_us", &NeuronConfig::dt_us, 0.001, 1.0, "integration time step of the analog core (hardware µs)"),
                field("adaptation", &NeuronConfig::adaptation, "AdEx adaptation current enabled (false: LIF)"),
                field("exponential", &NeuronConfig::exponential, "AdEx exponential spike-initiation term enabled"),
                field("c_mem_pF", &NeuronConfig::c_mem_pF, 0.1, 10.0, "membrane capacitance"),
                field("c_mem_bits", &NeuronConfig::c_mem_bits, 1, 8, "resolution of the selectable membrane capacitance"),
                field("tau_mem_us", &NeuronConfig::tau_mem_us, 0.5, 200.0, "target membrane time constant"),
                field("tau_syn_exc_us", &NeuronConfig::tau_syn_exc_us, 0.2, 100.0, "target excitatory synaptic time constant"),
                field("tau_syn_inh_us", &NeuronConfig::tau_syn_inh_us, 0.2, 100.0, "target inhibitory synaptic time constant"),
                field("t_ref_us", &NeuronConfig::t_ref_us, 0.0, 100.0, "target refractory period"),
                field("v_leak_mV", &NeuronConfig::v_leak_mV, 0.0, 1200.0, "target leak (resting) potential"),
                field("v_reset_mV", &NeuronConfig::v_reset_mV, 0.0, 1200.0, "target reset potential"),
                field("v_threshold_mV", &NeuronConfig::v_threshold_mV, 0.0, 1200.0, "target spike threshold"),
                field("v_exp_mV", &NeuronConfig::v_exp_mV, 0.0, 1200.0, "AdEx exponential threshold V_T"),
                field("delta_t_mV", &NeuronConfig::delta_t_mV, 0.5, 100.0, "AdEx slope factor Δ_T"),
                field("adapt_a_nS", &NeuronConfig::adapt_a_nS, 0.0, 100.0, "AdEx subthreshold adaptation conductance a"),
                field("adapt_b_nA", &NeuronConfig::adapt_b_nA, 0.0, 100.0, "AdEx spike-triggered adaptation increment b"),
                field("tau_adapt_us", &NeuronConfig::tau_adapt_us, 1.0, 10000.0, "AdEx adaptation time constant"),
                field("v_min_mV", &NeuronConfig::v_min_mV, 0.0, 1200.0, "lower supply rail the membrane cannot cross"),
                field("v_max_mV", &NeuronConfig::v_max_mV, 0.0, 1200.0, "upper supply rail"),
            },
            "neuron circuits (AdEx, reducible to LIF)"),
      block("parameter_memory", &ChipConfig::parameter_memory,
            Fields<ParameterMemoryConfig>{
                field("voltage_cells_per_neuron", &ParameterMemoryConfig::voltage_cells_per_neuron, 1, 64, "capacitive voltage cells per neuron"),
                field("current_cells_per_neuron", &ParameterMemoryConfig::current_cells_per_neuron, 1, 64, "capacitive current cells per neuron"),
                field("code_bits", &ParameterMemoryConfig::code_bits, 4, 16, "resolution of a cell's code"),
                field("code_max", &ParameterMemoryConfig::code_max, 1, 65535, "largest valid code"),
                field("voltage_full_scale_mV", &ParameterMemoryConfig::voltage_full_scale_mV, 1.0, 5000.0, "voltage at code_max"),
                field("current_full_scale_nA", &ParameterMemoryConfig::current_full_scale_nA, 1.0, 100000.0, "current at code_max"),
            },
            "analog parameter memory (capacitive cells)"),
      block("synapses", &ChipConfig::synapses,
            Fields<SynapseConfig>{
                field("rows_per_half", &SynapseConfig::rows_per_half, 2, 256, "synapse rows per half"),
                field("weight_bits", &SynapseConfig::weight_bits, 1, 8, "weight resolution"),
                field("label_bits", &SynapseConfig::label_bits, 1, 8, "address label resolution"),
                field("i_lsb_nA", &SynapseConfig::i_lsb_nA, 0.0, 100.0, "synaptic current amplitude per weight LSB"),
            },
            "synapse array"),
      block("drivers", &ChipConfig::drivers,
            Fields<DriverConfig>{
                field("per_half", &DriverConfig::per_half, 1, 512, "synapse drivers per half"),
                field("rows_per_driver", &DriverConfig::rows_per_driver, 1, 8, "rows driven by one driver"),
            },
            "synapse drivers"),
      block("sensors", &ChipConfig::sensors,
            Fields<SensorConfig>{
                field("enabled", &SensorConfig::enabled, "correlation sensors pair spikes (false: switched off, e.g. to measure their cost)"),
                field("tau_us", &SensorConfig::tau_us, 0.1, 1000.0, "correlation kernel time constant"),
                field("tau_min_us", &SensorConfig::tau_min_us, 0.1, 1000.0, "smallest tunable kernel time constant"),
                field("tau_max_us", &SensorConfig::tau_max_us, 0.1, 1000.0, "largest tunable kernel time constant"),
                field("amplitude_lsb", &SensorConfig::amplitude_lsb, 0.0, 100.0, "accumulator step per spike pair at Δt = 0 (CADC LSB)"),
                field("trim_bits", &SensorConfig::trim_bits, 0, 4, "per-synapse trim resolution of amplitude and τ"),
                field("trim_step_tau", &SensorConfig::trim_step_tau, 0.0, 1.0, "relative change of τ per trim step"),
                field("trim_step_amplitude", &SensorConfig::trim_step_amplitude, 0.0, 1.0, "relative change of amplitude per trim step"),
                field("baseline_lsb", &SensorConfig::baseline_lsb, 0.0, 255.0, "accumulator rest value as read by the CADC"),
                field("range_lsb", &SensorConfig::range_lsb, 0.0, 255.0, "how far below the baseline the storage can be pulled"),
                field("drift_lsb_per_ms", &SensorConfig::drift_lsb_per_ms, 0.0, 1e6, "slow drift of stored correlation back to the baseline"),
                field("reset_time_us", &SensorConfig::reset_time_us, 0.0, 1000.0, "time a sensor reset takes"),
                field("post_delay_us", &SensorConfig::post_delay_us, 0.0, 100.0, "delay of a neuron's spike reaching its column's sensors; equal to buses.latency_us " "the two directions of a reciprocal pair are measured symmetrically"),
            },
            "correlation sensors (one causal and one acausal accumulator per synapse)"),
      block("cadc", &ChipConfig::cadc,
            Fields<CadcConfig>{
                field("bits", &CadcConfig::bits, 1, 16, "resolution"),
                field("sample_rate_msps", &CadcConfig::sample_rate_msps, 0.001, 1000.0, "conversions per second per channel"),
                field("channels_per_column", &CadcConfig::channels_per_column, 1, 4, "causal and acausal"),
            },
            "column-parallel ADC"),
      block("madc", &ChipConfig::madc,
            Fields<MadcConfig>{
                field("bits", &MadcConfig::bits, 1, 16, "resolution"),
                field("sample_rate_msps", &MadcConfig::sample_rate_msps, 0.001, 1000.0, "membrane samples per second"),
                field("v_full_scale_mV", &MadcConfig::v_full_scale_mV, 1.0, 5000.0, "voltage at full code"),
            },
            "membrane ADC (one selected neuron)"),
      block("rate_counters", &ChipConfig::rate_counters,
            Fields<RateCounterConfig>{
                field("bits", &RateCounterConfig::bits, 1, 32, "counter width (saturating)"),
            },
            "per-neuron spike counters"),
      block("routing", &ChipConfig::routing,
            Fields<RoutingConfig>{
                field("label_bits", &RoutingConfig::label_bits, 16, 16, "spike label width (the crossbar and synapse drivers use 16-bit labels)"),
                field("neuron_outputs", &RoutingConfig::neuron_outputs, 1, 64, "crossbar inputs from neuron blocks"),
                field("background_inputs", &RoutingConfig::background_inputs, 0, 64, "crossbar inputs from background sources"),
                field("host_inputs", &RoutingConfig::host_inputs, 0, 8, "crossbar inputs from the host link"),
            },
            "event routing crossbar"),
      block("buses", &ChipConfig::buses,
            Fields<BusConfig>{
                field("count", &BusConfig::count, 1, 64, "event buses"),
                field("throughput_mevents_per_s", &BusConfig::throughput_mevents_per_s, 0.001, 10000.0, "events per second per bus"),
                field("fifo_depth", &BusConfig::fifo_depth, 1, 1 << 20, "events a bus FIFO holds before it drops"),
                field("latency_us", &BusConfig::latency_us, 0.0, 100.0, "delay from entering a bus to reaching the synapse drivers"),
                field("clock_mhz", &BusConfig::clock_mhz, 1.0, 10000.0, "event clock; spike timestamps resolve to one cycle"),
            },
            "event buses"),
      block("background", &ChipConfig::background,
            Fields<BackgroundConfig>{
                field("sources", &BackgroundConfig::sources, 0, 64, "background spike sources"),
                field("max_rate_mevents_per_s", &BackgroundConfig::max_rate_mevents_per_s, 0.0, 10000.0, "highest rate of one source"),
            },
            "on-chip background spike sources"),
      block("processor", &ChipConfig::processor,
            Fields<ProcessorConfig>{
                field("clock_mhz", &ProcessorConfig::clock_mhz, 1.0, 5000.0, "plasticity processor clock"),
                field("memory_kib", &ProcessorConfig::memory_kib, 1, 4096, "local memory"),
                field("memory_max_kib", &ProcessorConfig::memory_max_kib, 1, 4096, "largest memory of the variant family"),
                field("quantum_us", &ProcessorConfig::quantum_us, 0.001, 1000.0, "how far the processor may run ahead of the chip"),
                field("watchdog_instructions", &ProcessorConfig::watchdog_instructions, 1, 1000000000000, "instruction budget before the watchdog stops a run"),
                block("vector", &ProcessorConfig::vector,
                      Fields<VectorConfig>{
                          field("enabled", &VectorConfig::enabled, "vector unit present (custom-0/1 instructions; without it they trap as illegal)"),
                          field("bytes", &VectorConfig::bytes, 16, 256, "vector register width in bytes, a power of two"),
                          field("alu_cycles", &VectorConfig::alu_cycles, 1, 1000, "cycles of a lane-wise add/sub/min/max/logic/compare/select/shift/splat"),
                          field("mul_cycles", &VectorConfig::mul_cycles, 1, 1000, "cycles of a lane-wise multiply (vmul, vmulf, vmulh)"),
                          field("round_cycles", &VectorConfig::round_cycles, 1, 1000, "cycles of a stochastic rounding (vsrnd)"),
                          field("reduce_cycles", &VectorConfig::reduce_cycles, 1, 1000, "cycles of a sum reduction (vredsum)"),
                          field("sram_access_cycles", &VectorConfig::sram_access_cycles, 1, 1000, "fixed cycles of a vector load/store to local memory"),
                          field("sram_bytes_per_cycle", &VectorConfig::sram_bytes_per_cycle, 1, 256, "local-memory bandwidth of vector loads/stores"),
                          field("chip_access_cycles", &VectorConfig::chip_access_cycles, 1, 10000, "cycles of a vector load/store of a row segment through the chip window (plus CADC wait)"),
                      },
                      "vector unit (docs/processor.md, vector extension)"),
            },
            "plasticity processor (RV32IMC + Zicsr), one per half"),
      block("host_link", &ChipConfig::host_link,
            Fields<HostLinkConfig>{
                field("playback_rate_mevents_per_s", &HostLinkConfig::playback_rate_mevents_per_s, 0.001, 10000.0, "host input events per second"),
                field("record_rate_mevents_per_s", &HostLinkConfig::record_rate_mevents_per_s, 0.001, 10000.0, "recorded events per second"),
            },
            "host link"),
      block("mismatch", &ChipConfig::mismatch,
            Fields<MismatchConfig>{
                field("scale", &MismatchConfig::scale, 0.0, 10.0, "multiplies every spread below (0 = an ideal chip)"),
                field("tau_mem", &MismatchConfig::tau_mem, 0.0, 2.0, "relative σ of τ_mem"),
                field("tau_syn", &MismatchConfig::tau_syn, 0.0, 2.0, "relative σ of τ_syn"),
                field("v_leak_mV", &MismatchConfig::v_leak_mV, 0.0, 500.0, "σ of the leak potential"),
                field("v_reset_mV", &MismatchConfig::v_reset_mV, 0.0, 500.0, "σ of the reset potential"),
                field("v_threshold_mV", &MismatchConfig::v_threshold_mV, 0.0, 500.0, "σ of the threshold"),
                field("syn_gain", &MismatchConfig::syn_gain, 0.0, 2.0, "relative σ of each neuron's synaptic input gain"),
                field("weight_dac", &MismatchConfig::weight_dac, 0.0, 2.0, "relative σ of each synapse's weight DAC"),
                field("sensor_amplitude", &MismatchConfig::sensor_amplitude, 0.0, 2.0, "relative σ of each correlation sensor's amplitude"),
                field("sensor_tau", &MismatchConfig::sensor_tau, 0.0, 2.0, "relative σ of each correlation sensor's τ"),
                field("cadc_offset_lsb", &MismatchConfig::cadc_offset_lsb, 0.0, 255.0, "σ of each CADC channel's offset"),
                field("capmem_gain", &MismatchConfig::capmem_gain, 0.0, 2.0, "relative σ of each parameter cell's gain"),
                field("capmem_offset_mV", &MismatchConfig::capmem_offset_mV, 0.0, 500.0, "σ of each parameter cell's offset"),
                field("shortcut_bars", &MismatchConfig::shortcut_bars, "SHORTCUT no chip has (was `calibrated`): leak/reset/threshold/τ_mem spreads shrunk to calix's bars instead of calibrating; salvo calibrate / run --calibration calibrate through the chip"),
            },
            "fixed-pattern mismatch, drawn once per chip instance from the seed"),
      block("noise", &ChipConfig::noise,
            Fields<NoiseConfig>{
                field("membrane_mV_rms", &NoiseConfig::membrane_mV_rms, 0.0, 100.0, "membrane noise (Ornstein–Uhlenbeck current)"),
                field("membrane_tau_us", &NoiseConfig::membrane_tau_us, 0.01, 1000.0, "correlation time of the membrane noise current"),
                field("sensor_readout_lsb", &NoiseConfig::sensor_readout_lsb, 0.0, 100.0, "σ of the correlation readout noise"),
            },
            "temporal noise (differs every run unless the seed is fixed)"),
      block("calibration", &ChipConfig::calibration,
            Fields<CalibrationConfig>{
                field("synaptic_strength", &CalibrationConfig::synaptic_strength, 0.05, 20.0, "target synaptic input gain of every neuron (1 = the design's PSP per weight code); the other targets are neurons.*"),
                field("rate_hz", &CalibrationConfig::rate_hz, 0.0, 1e7, "target-rate mode: each neuron's leak is tuned until it fires at this rate without input (0 = off; calix uses 100 kHz)"),
                field("rate_window_us", &CalibrationConfig::rate_window_us, 10.0, 1e6, "rate-counter window of one rate measurement"),
                field("voltage_tolerance_mV", &CalibrationConfig::voltage_tolerance_mV, 0.1, 500.0, "leak, reset, threshold: a neuron whose measured value misses its target by more is reported unusable"),
                field("relative_tolerance", &CalibrationConfig::relative_tolerance, 0.001, 10.0, "τ_mem, τ_syn, synaptic strength, refractory time: relative miss allowed before a neuron is reported unusable"),
                field("rate_tolerance", &CalibrationConfig::rate_tolerance, 0.001, 10.0, "target-rate mode: relative rate miss allowed"),
                field("sensors", &CalibrationConfig::sensors, "correlation sensors: measure amplitude and τ of every synapse through CADC reads after pre/post pairs, report the global values and set the per-synapse trims (false: skipped)"),
                field("settle_us", &CalibrationConfig::settle_us, 0.0, 1e7, "hardware settling time after each parameter-memory write round (counted into the hardware-equivalent calibration time, not emulated; calix waits ~20 ms)"),
            },
            "`salvo calibrate`: targets (with neurons.*), tolerances, measurement settings"),
      block("cost", &ChipConfig::cost,
            Fields<CostConfig>{
                block("energy_pJ", &CostConfig::energy,
                      Fields<CostEnergyConfig>{
                          field("synaptic_event", &CostEnergyConfig::synaptic_event_pJ, 0.0, 1e6, "per synapse reached by a row event (ODIN 12.7 pJ/SOP, Frenkel 2019)"),
                          field("spike", &CostEnergyConfig::spike_pJ, 0.0, 1e6, "per neuron spike (HiAER-IFAT 22 pJ, Park 2023)"),
                          field("cadc_conversion", &CostEnergyConfig::cadc_conversion_pJ, 0.0, 1e6, "per CADC channel conversion (estimate)"),
                          field("parameter_write", &CostEnergyConfig::parameter_write_pJ, 0.0, 1e6, "per parameter-memory cell write (estimate)"),
                          field("instruction", &CostEnergyConfig::instruction_pJ, 0.0, 1e6, "per processor instruction (estimate)"),
                          field("vector_instruction", &CostEnergyConfig::vector_instruction_pJ, 0.0, 1e6, "per vector instruction issued (estimate)"),
                          field("vector_lane_op", &CostEnergyConfig::vector_lane_op_pJ, 0.0, 1e6, "per vector lane operation (estimate)"),
                      },
                      "dynamic energy per counted event"),
                block("static_uW", &CostConfig::static_power,
                      Fields<CostStaticConfig>{
                          field("neuron", &CostStaticConfig::neuron_uW, 0.0, 1e6, "per neuron circuit (estimate)"),
                          field("cadc_channel", &CostStaticConfig::cadc_channel_uW, 0.0, 1e6, "per CADC channel (estimate)"),
                          field("processor", &CostStaticConfig::processor_mW, 0.0, 1e6, "per processor core, in mW (estimate)"),
                          field("vector_byte", &CostStaticConfig::vector_byte_uW, 0.0, 1e6, "per byte of vector width (estimate)"),
                          field("sram_kib", &CostStaticConfig::sram_kib_uW, 0.0, 1e6, "per KiB of processor memory (estimate)"),
                      },
                      "static power per block (µW; processor in mW)"),
                block("area_um2", &CostConfig::area,
                      Fields<CostAreaConfig>{
                          field("neuron", &CostAreaConfig::neuron_um2, 0.0, 1e9, "per neuron circuit (estimate)"),
                          field("synapse", &CostAreaConfig::synapse_um2, 0.0, 1e9, "per synapse (estimate)"),
                          field("sensor", &CostAreaConfig::sensor_um2, 0.0, 1e9, "per synapse's correlation sensors (estimate)"),
                          field("cadc_channel", &CostAreaConfig::cadc_channel_um2, 0.0, 1e9, "per CADC channel (estimate)"),
                          field("processor", &CostAreaConfig::processor_um2, 0.0, 1e9, "per processor core (estimate)"),
                          field("vector_byte", &CostAreaConfig::vector_byte_um2, 0.0, 1e9, "per byte of vector width (estimate)"),
                          field("sram_kib", &CostAreaConfig::sram_kib_um2, 0.0, 1e9, "per KiB of processor memory (estimate)"),
                      },
                      "area per element"),
            },
            "cost model (docs/codesign.md: defaults and their sources)"),
  };
  // clang-format on
  return fields;
}

}  // namespace

const SchemaNode& chip_schema() {
  static const SchemaNode schema = schema_of(chip_fields());
  return schema;
}

namespace {

double num(const YAML::Node& n, const char* a, const char* b) { return n[a][b].as<double>(); }
int integer(const YAML::Node& n, const char* a, const char* b) { return n[a][b].as<int>(); }

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
  {
    const int vb = r["processor"]["vector"]["bytes"].as<int>();
    if ((vb & (vb - 1)) != 0)
      fail("processor.vector.bytes", fmt::format("{} is not a power of two", vb),
           "16, 32, 64, 128 or 256");
  }
  const int code_bits = integer(r, "parameter_memory", "code_bits");
  if (integer(r, "parameter_memory", "code_max") >= (1 << code_bits))
    fail("parameter_memory.code_max", "does not fit the code width",
         fmt::format("< 2^code_bits = {}", 1 << code_bits));
  if (num(r, "sensors", "range_lsb") > num(r, "sensors", "baseline_lsb"))
    fail("sensors.range_lsb", "storage range reaches below zero", "<= sensors.baseline_lsb");
}

ChipConfig chip_from(const YAML::Node& r, const std::string& source_file) {
  ChipConfig c = read_fields(chip_fields(), r);
  c.source_file = source_file;
  return c;
}

}  // namespace salvo::config
