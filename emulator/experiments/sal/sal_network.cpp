#include "emulator/experiments/sal/sal_network.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "emulator/experiments/wiring.hpp"

namespace salvo::experiments {

void check_sal_network(int neurons, const std::string& key, const Checker& check) {
  const ChipConfig& cfg = check.chip;
  const int rpd = cfg.drivers.rows_per_driver;
  if (rpd < 2)
    check.fail(key,
               fmt::format("SAL networks need 2 rows per synapse driver (exc/inh pair); "
                           "chip.drivers.rows_per_driver is {}",
                           rpd),
               "chip.drivers.rows_per_driver >= 2");
  const int per_half = cfg.neurons.per_half, rows = cfg.synapses.rows_per_half;
  // Neurons, one driver each, plus two noise drivers at the end of the array.
  if (neurons > per_half || neurons > 64 || rpd * neurons + 2 * rpd > rows)
    check.fail(key,
               fmt::format("the network needs {} neurons and {} synapse rows but chip '{}' has {} "
                           "neurons and {} rows per half",
                           neurons, rpd * neurons + 4, cfg.name, per_half, rows),
               "at most 64 neurons, 2 rows each plus 4 noise rows");
}

SalNetwork setup_sal_network(AnalogCore& core, const NeuronDrive& drive, int neurons) {
  const auto& cfg = core.config();
  SalNetwork net;
  net.rows_per_driver = cfg.drivers.rows_per_driver;
  const int per_half = core.neurons_per_half();
  const int rows = cfg.synapses.rows_per_half;
  for (int k = 0; k < neurons; ++k) net.columns.push_back(k);
  // Operating point through the parameter memory (ideal codes; each circuit's mismatch
  // then moves its true values).
  for (int k = 0; k < neurons; ++k) {
    const int neuron = net.neuron(core, k);
    core.set_voltage_target(neuron, VoltageCell::kLeak, drive.v_leak_mV);
    core.set_voltage_target(neuron, VoltageCell::kReset, drive.v_reset_mV);
    core.set_voltage_target(neuron, VoltageCell::kThreshold, drive.v_threshold_mV);
  }
  default_routing(core);
  auto& syn = core.synapses(net.half);
  for (int k = 0; k < neurons; ++k) {
    core.set_neuron_label(net.neuron(core, k),
                          AnalogCore::row_label(net.half, net.exc_row(k), net.rows_per_driver, 0));
    syn.set_row_sign(net.exc_row(k), SynapseArray::RowSign::kExcitatory);
    syn.set_row_sign(net.inh_row(k), SynapseArray::RowSign::kInhibitory);
    for (int c = 0; c < per_half; ++c) {
      syn.set_label(net.exc_row(k), c, 0);
      syn.set_label(net.inh_row(k), c, 0);
    }
  }
  // Noise: one driver for excitatory, one for inhibitory noise; column c's noise synapse
  // answers address c, the sources draw a random address per event.
  const int noise_exc_row = rows - 2 * net.rows_per_driver;
  const int noise_inh_row = rows - net.rows_per_driver;
  syn.set_row_sign(noise_exc_row, SynapseArray::RowSign::kExcitatory);
  syn.set_row_sign(noise_inh_row, SynapseArray::RowSign::kInhibitory);
  for (int k = 0; k < neurons; ++k) {
    const int c = net.columns[k];
    syn.set_label(noise_exc_row, c, k);
    syn.set_weight(noise_exc_row, c, std::min(drive.noise_weight_exc, syn.weight_max()));
    syn.set_label(noise_inh_row, c, k);
    syn.set_weight(noise_inh_row, c, std::min(drive.noise_weight_inh, syn.weight_max()));
  }
  // Addresses 0..63 are drawn; columns exist for `neurons` of them, so each neuron's train
  // is an independent thinning at rate/64 of its source.
  const double re = drive.noise_rate_exc_hz * 64.0;
  const double ri = drive.noise_rate_inh_hz * 64.0;
  if (re > 0) {
    auto& src = core.add_background();
    src.configure(BackgroundSource::Mode::kPoisson, re,
                  AnalogCore::row_label(net.half, noise_exc_row, net.rows_per_driver, 0));
    src.set_random_address_mask(0x3F);
  }
  if (ri > 0) {
    auto& src = core.add_background();
    src.configure(BackgroundSource::Mode::kPoisson, ri,
                  AnalogCore::row_label(net.half, noise_inh_row, net.rows_per_driver, 0));
    src.set_random_address_mask(0x3F);
  }
  return net;
}

std::vector<int> pre_neurons(const std::vector<PlasticSynapse>& plastic) {
  std::vector<int> pres;
  for (const auto& p : plastic)
    if (std::find(pres.begin(), pres.end(), p.pre) == pres.end()) pres.push_back(p.pre);
  return pres;
}

void set_signed_weight(AnalogCore& core, const SalNetwork& net, int pre, int post, int w) {
  auto& syn = core.synapses(net.half);
  const int wm = syn.weight_max();
  w = std::clamp(w, -wm, wm);
  syn.set_weight(net.exc_row(pre), net.columns[post], w > 0 ? w : 0);
  syn.set_weight(net.inh_row(pre), net.columns[post], w < 0 ? -w : 0);
}

int signed_weight(AnalogCore& core, const SalNetwork& net, int pre, int post) {
  auto& syn = core.synapses(net.half);
  return syn.weight(net.exc_row(pre), net.columns[post]) -
         syn.weight(net.inh_row(pre), net.columns[post]);
}

double effective_weight(AnalogCore& core, const SalNetwork& net, int pre, int post) {
  return core.effective_weight_mV(net.half, net.exc_row(pre), net.columns[post]) +
         core.effective_weight_mV(net.half, net.inh_row(pre), net.columns[post]);
}

}  // namespace salvo::experiments
