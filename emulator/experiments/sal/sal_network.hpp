// The network of the SAL experiments (and `sampling`): neurons with recurrent signed synapses
// (one synapse driver per presynaptic neuron, its two rows an excitatory and an inhibitory
// copy: w = w_exc − w_inh), independent Poisson noise for every neuron from the on-chip
// background sources (random synapse addresses split one source into independent trains), and
// the effective-weight oracle.
#pragma once

#include <vector>

#include "emulator/experiments/experiment.hpp"
#include "emulator/experiments/sal/sal_params.hpp"
#include "hw/chip/analog_core.hpp"

namespace salvo::experiments {

struct SalNetwork {
  int half = 0;
  std::vector<int> columns;  // neuron columns in use (index = network neuron id)
  int rows_per_driver = 2;
  // Network neuron k's outgoing synapses live on driver k: rows 2k (exc) and 2k+1 (inh).
  int exc_row(int pre) const { return rows_per_driver * pre; }
  int inh_row(int pre) const { return rows_per_driver * pre + 1; }
  // Chip-global index of network neuron k.
  int neuron(const AnalogCore& core, int k) const {
    return half * core.neurons_per_half() + columns[k];
  }
};

// Whether `neurons` network neurons fit the chip (key: the experiment key that sets the size).
void check_sal_network(int neurons, const std::string& key, const Checker& check);

// Wires the network: operating point, neuron labels, drivers, noise rows and sources.
SalNetwork setup_sal_network(AnalogCore& core, const NeuronDrive& drive, int neurons);

// A synapse pre → post (network neuron ids) that learns.
struct PlasticSynapse {
  int pre, post;
};

// The distinct pre neurons of `plastic`, in order of first appearance (the kernel's row order).
std::vector<int> pre_neurons(const std::vector<PlasticSynapse>& plastic);

// Programs the signed weight code w (−w_max..w_max) of synapse pre → post.
void set_signed_weight(AnalogCore& core, const SalNetwork& net, int pre, int post, int w);
int signed_weight(AnalogCore& core, const SalNetwork& net, int pre, int post);
// Oracle: PSP peak (mV) at post caused by one spike of pre, both rows included.
double effective_weight(AnalogCore& core, const SalNetwork& net, int pre, int post);

}  // namespace salvo::experiments
