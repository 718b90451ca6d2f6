// Firmware executor of the `sampling` experiment: the learning loop of sampling.cpp running as
// firmware/sampling/sampling.c on half 0's plasticity processor. The host fills the parameter
// block `sampling_config` (targets, sensor calibration, mapping, initial shadow weights), starts
// the program, and reads the shadow weights and biases back when it has run its iterations.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "emulator/session/firmware_host.hpp"

namespace salvo::experiments {

// What the host hands the firmware, in plain doubles (converted to fixed point here).
struct SamplingFirmwareParams {
  int n = 0;
  int iterations = 0;
  int reads_per_iteration = 0;
  double read_period_us = 0;
  double tau_on_us = 0;
  double eta_w = 0, eta_b = 0, eta_sal = 0;
  bool sal = true;
  int leak_cell = 0, code_max = 1022, w_max = 63;
  std::vector<int> exc_row, column, neuron;
  std::vector<double> target_corr, target_mean;  // [i*n+j], [i]
  std::vector<double> k, g;                      // per synapse [post i * n + pre j]
  std::vector<double> codes_pos, codes_neg;      // weight codes per unit W (> 0, < 0)
  std::vector<double> u0_code, alpha_code;       // per neuron
  std::vector<double> w, b;                      // initial shadow
};

// A thin adapter: fills and reads the firmware's blocks on the session's FirmwareHost.
class SamplingFirmware {
 public:
  SamplingFirmware(session::FirmwareHost& host, std::string elf_path)
      : host_(host), elf_(std::move(elf_path)) {}
  // Loads the program, writes `sampling_config` and starts it at the current time.
  void start(const SamplingFirmwareParams& p);
  bool ended() const { return host_.ended(); }
  // Shadow weights and biases now in the parameter block (Boltzmann units).
  void read_shadow(std::vector<double>& w, std::vector<double>& b) const;
  std::uint32_t iterations_done() const;
  void report(session::RunContext& ctx) const;

 private:
  session::FirmwareHost& host_;
  std::string elf_;
  int n_ = 0;
};

}  // namespace salvo::experiments
