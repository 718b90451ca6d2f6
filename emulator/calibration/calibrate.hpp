// `salvo calibrate` and `salvo run --calibration`: one full calibration of a chip instance (the
// NeuronCalibrator's steps on a Bench), its summary (wall and emulated time, usable neurons,
// the oracle spread ratios, CADC residuals, rates), and the cache `--calibration auto` uses.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "emulator/calibration/calibration.hpp"
#include "emulator/calibration/neuron_calibration.hpp"
#include "emulator/config/config.hpp"

namespace salvo::calibration {

struct CalibrationRun {
  Calibration calibration;
  nlohmann::json summary;
  std::string oracle_csv;
};

// Calibrates the chip `core` is (of config cfg, instance cfg.seed); `advance(t)` lets time
// pass. The summary's oracle part is computed after the procedures are done.
CalibrationRun calibrate_chip(AnalogCore& core, const std::function<void(double)>& advance,
                              const config::ResolvedConfig& cfg,
                              const NeuronCalibrator::Progress& progress = {});

// Writes calibration.json, summary.json, oracle.csv into dir (atomically).
void write_run(const CalibrationRun& run, const std::string& dir);

// Names the calibration procedures in the `auto` cache: a calibration cached by an older
// procedure is not reused (bump it whenever the procedures' results change).
inline constexpr const char* kProcedureVersion = "p4";

// `--calibration PATH|auto` for the instance of cfg: PATH is read and checked (ConfigError
// unless it belongs to this chip config and seed); auto calibrates on a chip of its own (no
// processors) unless $SALVO_CALIBRATION_CACHE (default out/calibrations) already holds one for
// this chip hash and seed.
std::shared_ptr<const Calibration> resolve_calibration(const std::string& spec,
                                                       const config::ResolvedConfig& cfg);

// A one-line progress report of a step.
std::string describe(const StepReport& r);

}  // namespace salvo::calibration
