// The hidden truth of a calibration: the drawn circuit parameters of the chip instance (the
// oracle, never seen by the procedures) at three sets of codes — the host's uncalibrated ideal
// codes ("before"), the calibrated codes ("after") and every neuron at the median calibrated
// code — and the spread ratios calix's hardware tests compute: std(after) / std(median code),
// 5 % trimmed each side.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "emulator/calibration/calibration.hpp"
#include "hw/common/chip_config.hpp"

namespace salvo::calibration {

// The quantities with a spread ratio (summary.json: spread_ratio_<name>).
const std::vector<std::string>& oracle_quantities();

struct OracleValues {
  std::vector<std::string> names;
  // values[q][neuron]
  std::vector<std::vector<double>> before, after, median;
};

OracleValues oracle_values(const ChipConfig& chip, std::uint64_t seed, const Calibration& cal);

// Standard deviation of the values with `trim` of them cut off each side (after sorting).
double trimmed_std(std::vector<double> v, double trim = 0.05);

// {"spread_ratio_<q>": ..., "oracle": {q: {std_before, std_after, std_median_code, mean_after,
// target}}}; targets from the chip config.
nlohmann::json oracle_metrics(const ChipConfig& chip, const OracleValues& v);

// neuron,<q>_before,<q>_after,... (the plot's input).
std::string oracle_csv(const OracleValues& v);

}  // namespace salvo::calibration
