// Calibration: the result of `salvo calibrate` for one chip instance — per neuron the chosen
// parameter-memory codes of every calibrated cell (and the fitted code -> voltage lines of the
// voltage cells), per CADC channel the measured offset, which neurons reached their targets
// (the others with the reason), and the identity of the instance it belongs to: chip name,
// seed and a hash of the resolved chip config. A file from another instance or variant is
// refused (ConfigError, exit 2). Stored as JSON (nlohmann-json).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>
#include <nlohmann/json.hpp>

#include "hw/chip/analog_core.hpp"

namespace salvo::calibration {

// A fitted straight line code -> measured value (mV for voltage cells).
struct CodeLine {
  double code0 = 0;
  double value0 = 0;
  double per_code = 0;
  // The code for `value` on this line (rounded, clamped to 0..code_max); -1 if the line is flat.
  int code_for(double value, int code_max) const;
};

struct NeuronCalibration {
  std::vector<int> codes;  // one per Calibration::cells entry
  CodeLine leak, reset, threshold;
  // Current cells: 1/τ_mem, 1/τ_syn exc and inh, 1/t_ref (1/µs) and the synaptic gains over
  // their codes (flat when not fitted: a target set later then gets the ideal code).
  CodeLine inv_tau_mem, inv_tau_syn_exc, inv_tau_syn_inh, inv_refractory, gain_exc, gain_inh;
  bool usable = true;
  std::vector<std::string> reasons;  // why not usable ("leak: ...")
  void fail(const std::string& reason) {
    usable = false;
    reasons.push_back(reason);
  }
};

// Correlation sensors: what was measured at the nominal trims (per channel, the medians over the
// measured synapses: the chip's global amplitude and τ) and the per-synapse trims chosen. Empty
// trims: the sensors were not calibrated (the variant has no trims, or an older file).
struct SensorCalibration {
  double amplitude_causal_lsb = 0, amplitude_acausal_lsb = 0;  // per pair at Δt → 0
  double tau_causal_us = 0, tau_acausal_us = 0;
  double amplitude_target_lsb = 0, tau_target_us = 0;  // what the trims aim at (both channels)
  int unmeasured = 0;                                  // synapses left at the nominal trims
  int columns = 0;                                     // of a half (row length of the trims)
  // [half][row * columns + column]: trim codes 0..2^trim_bits - 1.
  std::vector<std::vector<std::uint8_t>> amplitude_trim, tau_trim;
  bool empty() const { return amplitude_trim.empty(); }
};

struct Calibration {
  static constexpr const char* kFormat = "salvo-calibration-1";
  std::string chip_name;
  std::uint64_t seed = 0;
  std::string chip_hash;
  std::vector<int> cells;  // parameter-memory cell indices, in codes order
  std::vector<std::string> cell_names;
  std::vector<NeuronCalibration> neurons;
  // Per half, per column: the measured CADC channel offsets (LSB).
  std::vector<std::vector<double>> cadc_causal_offset_lsb, cadc_acausal_offset_lsb;
  double rate_hz = 0;  // target-rate mode target (0: not run)
  SensorCalibration sensors;

  int usable_count() const;
  nlohmann::json to_json() const;
  static Calibration from_json(const nlohmann::json& j, const std::string& file);
  void write(const std::string& path) const;  // atomically
  static Calibration read(const std::string& path);

  // ConfigError (exit 2) naming `file` unless this calibration belongs to (chip, seed, hash).
  void check_belongs(const std::string& file, const std::string& chip_name, std::uint64_t seed,
                     const std::string& chip_hash, int neurons) const;
  // Writes every neuron's calibrated codes into the chip (all cells, all neurons) and the
  // sensor trims (when calibrated).
  void apply(AnalogCore& core) const;
};

// A stable hash (FNV-1a 64, hex) of the resolved chip config: any key that differs (another
// variant, another --set) gives another hash.
std::string chip_hash(const YAML::Node& resolved_chip);

}  // namespace salvo::calibration
