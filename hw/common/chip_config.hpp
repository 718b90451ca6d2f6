// ChipConfig: the plain-data description of one chip variant, filled from
// configs/chips/*.yaml by emulator/config. The hardware models read only this struct. The
// member initialisers are the reference design and the schema's defaults: every key is declared
// once more, with its range and meaning, in the field table of emulator/config/chip_schema.cpp.
#pragma once

#include <cstdint>
#include <string>

namespace salvo {

struct NeuronConfig {
  int per_half = 256;
  double dt_us = 0.1;        // integration step of the analog core
  bool adaptation = false;   // AdEx adaptation current on by default for every neuron
  bool exponential = false;  // AdEx exponential term on by default for every neuron
  double c_mem_pF = 2.2;     // membrane capacitance (6-bit selectable on the chip)
  int c_mem_bits = 6;
  // Operating point the host maps to parameter-memory codes (the "typical targets").
  double tau_mem_us = 10.0;
  double tau_syn_exc_us = 5.0;
  double tau_syn_inh_us = 5.0;
  double t_ref_us = 2.0;
  double v_leak_mV = 600.0;
  double v_reset_mV = 620.0;
  double v_threshold_mV = 800.0;
  double v_exp_mV = 780.0;   // AdEx V_T
  double delta_t_mV = 10.0;  // AdEx slope factor
  double adapt_a_nS = 0.0;   // AdEx subthreshold adaptation
  double adapt_b_nA = 0.0;   // AdEx spike-triggered adaptation
  double tau_adapt_us = 100.0;
  double v_min_mV = 0.0;  // supply rails clamp the membrane
  double v_max_mV = 1200.0;
};

struct ParameterMemoryConfig {
  int voltage_cells_per_neuron = 8;
  int current_cells_per_neuron = 16;
  int code_bits = 10;
  int code_max = 1022;
  double voltage_full_scale_mV = 1200.0;
  double current_full_scale_nA = 1000.0;
};

struct SynapseConfig {
  int rows_per_half = 256;
  int weight_bits = 6;
  int label_bits = 6;
  double i_lsb_nA = 0.4;  // synaptic current amplitude per weight LSB
};

struct DriverConfig {
  int per_half = 128;
  int rows_per_driver = 2;
};

struct SensorConfig {
  double tau_us = 5.0;
  double tau_min_us = 2.0;
  double tau_max_us = 30.0;
  double amplitude_lsb = 0.5;  // per pair, in CADC LSB equivalents
  int trim_bits = 2;
  double trim_step_tau = 0.1;  // relative change per trim step
  double trim_step_amplitude = 0.1;
  double baseline_lsb = 220.0;    // accumulator rest value as read by the CADC
  double range_lsb = 220.0;       // how far below baseline the capacitor can be pulled
  double drift_lsb_per_ms = 0.0;  // slow leak back towards baseline
  double reset_time_us = 1.0;
  double post_delay_us = 0.5;  // delay of the post pulse reaching the sensors
  bool enabled = true;         // false: no pairing at all (cost studies)
};

struct CadcConfig {
  int bits = 8;
  double sample_rate_msps = 1.85;
  int channels_per_column = 2;
};

struct MadcConfig {
  int bits = 10;
  double sample_rate_msps = 10.0;
  double v_full_scale_mV = 1200.0;
};

struct RateCounterConfig {
  int bits = 8;
};

struct RoutingConfig {
  int label_bits = 16;
  int neuron_outputs = 8;
  int background_inputs = 8;
  int host_inputs = 1;
};

struct BusConfig {
  int count = 4;
  double throughput_mevents_per_s = 125.0;
  int fifo_depth = 64;
  double latency_us = 0.5;
  double clock_mhz = 125.0;  // spike timestamps are resolved to this clock
};

struct BackgroundConfig {
  int sources = 8;
  double max_rate_mevents_per_s = 125.0;
};

// The optional vector unit (hw/ppu/vector_unit.hpp): width and cycle cost per operation.
struct VectorConfig {
  bool enabled = false;
  int bytes = 128;  // register width, a power of two in 16..256
  int alu_cycles = 1;
  int mul_cycles = 2;
  int round_cycles = 2;
  int reduce_cycles = 4;
  int sram_access_cycles = 2;
  int sram_bytes_per_cycle = 16;
  int chip_access_cycles = 20;  // one row segment through the chip window (BSS-2: 20 ± 2)
};

struct ProcessorConfig {
  double clock_mhz = 250.0;
  int memory_kib = 16;
  int memory_max_kib = 256;
  double quantum_us = 1.0;  // how far the processor may run ahead of the kernel
  std::uint64_t watchdog_instructions = 2'000'000'000ULL;
  VectorConfig vector;
};

struct HostLinkConfig {
  double playback_rate_mevents_per_s = 125.0;
  double record_rate_mevents_per_s = 125.0;
};

// Relative (σ/mean) or absolute (σ in the named unit) spreads of the fixed-pattern
// mismatch, each multiplied by `scale` (0 = an ideal chip).
struct MismatchConfig {
  double scale = 1.0;
  double tau_mem = 0.20;
  double tau_syn = 0.15;
  double v_leak_mV = 20.0;
  double v_reset_mV = 15.0;
  double v_threshold_mV = 25.0;
  double syn_gain = 0.10;
  double weight_dac = 0.03;
  double sensor_amplitude = 0.20;
  double sensor_tau = 0.15;
  double cadc_offset_lsb = 15.0;
  double capmem_gain = 0.02;
  double capmem_offset_mV = 5.0;
  // A SHORTCUT no chip has: the drawn spreads of leak, reset, threshold and τ_mem shrunk to
  // calix's bars (CalibrationBars) instead of calibrating. The real thing is `salvo calibrate` /
  // `salvo run --calibration` (emulator/calibration), which measures through the chip.
  bool shortcut_bars = false;
};

struct NoiseConfig {
  double membrane_mV_rms = 1.0;
  double membrane_tau_us = 1.0;  // correlation time of the OU noise current
  double sensor_readout_lsb = 1.0;
};

// `salvo calibrate`: the targets beyond the neurons.* ones (leak, reset, threshold, τ_mem, τ_syn,
// refractory come from NeuronConfig), the tolerances that decide whether a neuron is usable,
// and the measurement settings (emulator/calibration, docs/calibration.md).
struct CalibrationConfig {
  double synaptic_strength = 1.0;  // target synaptic input gain (PSP charge per weight code)
  double rate_hz = 0.0;            // target-rate mode: leak tuned to this free firing rate (0 off)
  double rate_window_us = 2000.0;  // rate-counter window per rate measurement
  double voltage_tolerance_mV = 6.0;  // leak / reset / threshold: |measured - target| allowed
  double relative_tolerance = 0.08;  // τ_mem, τ_syn, strength, refractory: relative error allowed
  double rate_tolerance = 0.05;      // target-rate mode: relative rate error allowed
  double settle_us = 20000.0;  // hardware settling after a parameter write (counted, not emulated)
  bool sensors = true;         // correlation sensors: measure A and τ per synapse, set the trims
};

// Cost-model coefficients (docs/codesign.md lists each default's source or how it was
// estimated): dynamic energy per counted event, static power per block, area per element.
struct CostEnergyConfig {
  double synaptic_event_pJ = 12.7;      // per synapse reached by a row event (ODIN, 28 nm)
  double spike_pJ = 22.0;               // per neuron spike (HiAER-IFAT)
  double cadc_conversion_pJ = 1.5;      // per channel conversion (estimate)
  double parameter_write_pJ = 5.0;      // per parameter-memory cell write (estimate)
  double instruction_pJ = 15.0;         // per scalar processor instruction (estimate)
  double vector_instruction_pJ = 15.0;  // issue of one vector instruction (estimate)
  double vector_lane_op_pJ = 0.5;       // per lane operation (estimate)
};
struct CostStaticConfig {
  double neuron_uW = 150.0;       // per neuron circuit incl. its parameter cells (estimate)
  double cadc_channel_uW = 10.0;  // per CADC channel (estimate)
  double processor_mW = 5.0;      // scalar core (estimate)
  double vector_byte_uW = 50.0;   // per byte of vector width (estimate)
  double sram_kib_uW = 20.0;      // per KiB of processor memory (estimate)
};
struct CostAreaConfig {
  double neuron_um2 = 2500.0;       // per neuron circuit with its parameter cells (estimate)
  double synapse_um2 = 60.0;        // per synapse: 6-bit weight, label, DAC (estimate)
  double sensor_um2 = 20.0;         // per synapse's causal + acausal sensor (estimate)
  double cadc_channel_um2 = 400.0;  // per CADC channel (estimate)
  double processor_um2 = 100000.0;  // scalar core (estimate)
  double vector_byte_um2 = 2000.0;  // per byte of vector width (lanes + registers; estimate)
  double sram_kib_um2 = 6000.0;     // per KiB of processor memory (65 nm bit cell; estimate)
};
struct CostConfig {
  CostEnergyConfig energy;
  CostStaticConfig static_power;
  CostAreaConfig area;
};

struct ChipConfig {
  std::string name = "unnamed";
  std::string source_file;  // the YAML it came from (for messages)
  int halves = 2;
  NeuronConfig neurons;
  ParameterMemoryConfig parameter_memory;
  SynapseConfig synapses;
  DriverConfig drivers;
  SensorConfig sensors;
  CadcConfig cadc;
  MadcConfig madc;
  RateCounterConfig rate_counters;
  RoutingConfig routing;
  BusConfig buses;
  BackgroundConfig background;
  ProcessorConfig processor;
  HostLinkConfig host_link;
  MismatchConfig mismatch;
  NoiseConfig noise;
  CalibrationConfig calibration;
  CostConfig cost;

  int neurons_total() const { return halves * neurons.per_half; }
  int rows_total() const { return halves * synapses.rows_per_half; }
  long synapses_total() const {
    return static_cast<long>(halves) * synapses.rows_per_half * neurons.per_half;
  }
};

}  // namespace salvo
