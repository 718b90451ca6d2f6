// Rate calibration: each neuron's leak code is tuned until it fires at a target rate under its
// present input (rate counters only, all neurons in parallel). Steps of initial_step codes
// (64 ≈ 75 mV by default), halved whenever a neuron's direction flips: 64 + 32 + … reaches
// ±150 mV, enough for twice the reference leak and threshold spreads. Used by the experiments
// (SAL's operating point under noise) and by `salvo calibrate`'s target-rate mode.
#pragma once

#include <functional>
#include <vector>

#include "emulator/session/session.hpp"

namespace salvo::calibration {

struct RateCalibrationOptions {
  double target_hz = 15000.0;  // <= 0: measure once, change nothing
  double window_us = 2000.0;   // per measurement
  int iterations = 10;         // bisection steps (then one final measurement)
  int initial_step = 64;       // codes
};

// Returns the rates of the last measurement, per entry of `neurons` (chip-global indices);
// `advance(t)` lets hardware time pass up to t.
std::vector<double> calibrate_rates(AnalogCore& core, const std::function<void(double)>& advance,
                                    const std::vector<int>& neurons,
                                    const RateCalibrationOptions& options);
std::vector<double> calibrate_rates(session::Session& s, const std::vector<int>& neurons,
                                    const RateCalibrationOptions& options);

}  // namespace salvo::calibration
