// Crossbar: the chip's event-routing matrix between event sources and the event buses.
// Inputs are the neuron event outputs (each serving a contiguous block of neurons), the
// background sources and the host link; every (input, bus) node is a mask-and-compare
// filter on the 16-bit label. Abstracted away: the crossbar's own arbitration and timing
// (it forwards in zero time; the buses model throughput, FIFO depth and latency).
#pragma once

#include <cstdint>
#include <vector>

#include "hw/common/chip_config.hpp"

namespace salvo {

struct CrossbarParams {
  int halves = 2;              // halves
  int neurons_per_half = 256;  // neurons.per_half
  int neuron_outputs = 8;      // routing.neuron_outputs (per chip)
  int background_inputs = 8;   // routing.background_inputs
  int host_inputs = 1;         // routing.host_inputs
  int buses = 4;               // buses.count (at most 64: route() returns a bit mask)

  static CrossbarParams from_config(const ChipConfig& cfg);
};

class Crossbar {
 public:
  // One filter node: an event with label L passes to the bus iff enabled && (L & mask) == target.
  struct Node {
    bool enabled = false;
    std::uint16_t mask = 0;
    std::uint16_t target = 0;
  };

  // Initial state: every node disabled (mask 0, target 0), every neuron label 0.
  explicit Crossbar(const CrossbarParams& params);

  // Input numbering: neuron outputs first, then background sources, then host links.
  int inputs() const {
    return static_cast<int>(params_.neuron_outputs + params_.background_inputs +
                            params_.host_inputs);
  }
  int buses() const { return params_.buses; }
  int neurons() const { return params_.halves * params_.neurons_per_half; }
  int neuron_output_input(int output) const;  // 0 .. neuron_outputs-1
  int background_input(int source) const;     // neuron_outputs + source
  int host_input(int link = 0) const;         // neuron_outputs + background_inputs + link

  // Neuron n (chip-global: half * neurons_per_half + column) belongs to neuron output
  // n * neuron_outputs / neurons(): contiguous blocks, so on the reference chip outputs
  // 0-3 serve half 0 and 4-7 half 1, 64 neurons each.
  int neuron_output_of(int neuron) const;

  // Per-neuron 16-bit output label (what the neuron's spikes carry into the crossbar).
  void set_neuron_label(int neuron, int label);
  std::uint16_t neuron_label(int neuron) const;

  void set_node(int input, int bus, bool enabled, int mask, int target);
  Node node(int input, int bus) const;
  void disable_all();

  // Bit b set iff an event with `label` from `input` is forwarded to bus b.
  // A target bit outside the mask never matches (as on the chip), so such a node passes nothing.
  std::uint64_t route(int input, std::uint16_t label) const {
    if (input < 0 || input >= inputs()) check_input(input, "route from");
    const Node* n = nodes_.data() + static_cast<std::size_t>(input) * params_.buses;
    std::uint64_t out = 0;
    for (int b = 0; b < params_.buses; ++b) {
      out |= static_cast<std::uint64_t>(n[b].enabled && (label & n[b].mask) == n[b].target) << b;
    }
    return out;
  }
  // A spike of neuron n: its label (returned in *label) routed from its neuron output.
  std::uint64_t route_neuron_spike(int neuron, std::uint16_t* label) const;

  const CrossbarParams& params() const { return params_; }

 private:
  void check_input(int input, const char* what) const;
  void check_neuron(int neuron) const;

  CrossbarParams params_;
  std::vector<Node> nodes_;  // [input][bus]
  std::vector<std::uint16_t> neuron_label_;
  std::vector<int> neuron_output_;  // input index per neuron, precomputed
};

}  // namespace salvo
