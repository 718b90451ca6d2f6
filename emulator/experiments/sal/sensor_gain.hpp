// Sensor-gain calibration of the plastic synapses, the way a host calibrates a chip: with the
// network's recurrent weights at zero (the caller's job), the neurons fire independently under
// their noise for window_us; every plastic pre neuron's two sensor rows are then read (averaged
// conversions minus the CADC zero) and compared with what ideal sensors would have stored for
// the same recorded spikes (the nearest-neighbour rule replayed with the nominal A and τ). The
// result per plastic synapse (in `plastic` order) is the acausal-to-causal gain ratio g: the SAL
// term a − g·c then weighs both directions alike despite the sensors' amplitude and τ mismatch.
// Replaying the recorded spikes removes the chance pairs' Poisson noise from the estimate; what
// is left is the CADC readout noise (≈ 1 LSB per read, averaged) against ≈ 50 LSB stored.
#pragma once

#include <cstdint>
#include <vector>

#include "emulator/experiments/sal/sal_network.hpp"
#include "emulator/session/session.hpp"

namespace salvo::experiments {

struct SensorGainCalibration {
  std::vector<double> gain;       // a/c ratio per plastic synapse
  std::vector<double> true_gain;  // the same ratio from the oracle's drawn A (for the report)
  double stored_lsb_mean = 0;     // mean stored charge per sensor at the read
};
SensorGainCalibration calibrate_sensor_gains(session::Session& s, const SalNetwork& net,
                                             const std::vector<PlasticSynapse>& plastic,
                                             double window_us);

// Q6 byte of a gain ratio as the firmware stores it (sal_config.h: sal_gain).
std::uint8_t sal_gain_q6(double g);

}  // namespace salvo::experiments
