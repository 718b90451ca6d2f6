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
  bool usable = true;
  std::vector<std::string> reasons;  // why not usable ("leak: ...")
  void fail(const std::string& reason) {
    usable = false;
    reasons.push_back(reason);
  }
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

  int usable_count() const;
  nlohmann::json to_json() const;
  static Calibration from_json(const nlohmann::json& j, const std::string& file);
  void write(const std::string& path) const;  // atomically
  static Calibration read(const std::string& path);

  // ConfigError (exit 2) naming `file` unless this calibration belongs to (chip, seed, hash).
  void check_belongs(const std::string& file, const std::string& chip_name, std::uint64_t seed,
                     const std::string& chip_hash, int neurons) const;
  // Writes every neuron's calibrated codes into the chip (all cells, all neurons).
  void apply(AnalogCore& core) const;
};

// A stable hash (FNV-1a 64, hex) of the resolved chip config: any key that differs (another
// variant, another --set) gives another hash.
std::string chip_hash(const YAML::Node& resolved_chip);

}  // namespace salvo::calibration
