#include "hw/routing/crossbar.hpp"

#include <string>

#include "hw/common/error.hpp"

namespace salvo {

CrossbarParams CrossbarParams::from_config(const ChipConfig& cfg) {
  CrossbarParams p;
  p.halves = cfg.halves;
  p.neurons_per_half = cfg.neurons.per_half;
  p.neuron_outputs = cfg.routing.neuron_outputs;
  p.background_inputs = cfg.routing.background_inputs;
  p.host_inputs = cfg.routing.host_inputs;
  p.buses = cfg.buses.count;
  return p;
}

Crossbar::Crossbar(const CrossbarParams& params) : params_(params) {
  auto bad = [](const std::string& key, int v, const std::string& allowed) {
    throw UserError("crossbar: " + key + " = " + std::to_string(v) + "; allowed " + allowed);
  };
  if (params.halves < 1) bad("halves", params.halves, ">= 1");
  if (params.neurons_per_half < 1) bad("neurons.per_half", params.neurons_per_half, ">= 1");
  if (params.neuron_outputs < 1) bad("routing.neuron_outputs", params.neuron_outputs, ">= 1");
  if (params.background_inputs < 0)
    bad("routing.background_inputs", params.background_inputs, ">= 0");
  if (params.host_inputs < 0) bad("routing.host_inputs", params.host_inputs, ">= 0");
  if (params.buses < 1 || params.buses > 64) bad("buses.count", params.buses, "1..64");

  nodes_.assign(static_cast<std::size_t>(inputs()) * params.buses, Node{});
  const int n = neurons();
  neuron_label_.assign(static_cast<std::size_t>(n), 0);
  neuron_output_.resize(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    neuron_output_[static_cast<std::size_t>(i)] =
        static_cast<int>(static_cast<long long>(i) * params.neuron_outputs / n);
  }
}

void Crossbar::check_input(int input, const char* what) const {
  if (input < 0 || input >= inputs()) {
    throw UserError(std::string("crossbar: ") + what + " input " + std::to_string(input) +
                    " out of range; allowed 0.." + std::to_string(inputs() - 1));
  }
}

void Crossbar::check_neuron(int neuron) const {
  if (neuron < 0 || neuron >= neurons()) {
    throw UserError("crossbar: neuron " + std::to_string(neuron) + " out of range; allowed 0.." +
                    std::to_string(neurons() - 1));
  }
}

int Crossbar::neuron_output_input(int output) const {
  if (output < 0 || output >= params_.neuron_outputs) {
    throw UserError("crossbar: neuron output " + std::to_string(output) +
                    " out of range; allowed 0.." + std::to_string(params_.neuron_outputs - 1));
  }
  return output;
}

int Crossbar::background_input(int source) const {
  if (source < 0 || source >= params_.background_inputs) {
    throw UserError("crossbar: background source " + std::to_string(source) +
                    " out of range; allowed 0.." + std::to_string(params_.background_inputs - 1));
  }
  return params_.neuron_outputs + source;
}

int Crossbar::host_input(int link) const {
  if (link < 0 || link >= params_.host_inputs) {
    throw UserError("crossbar: host link " + std::to_string(link) + " out of range; allowed 0.." +
                    std::to_string(params_.host_inputs - 1));
  }
  return params_.neuron_outputs + params_.background_inputs + link;
}

int Crossbar::neuron_output_of(int neuron) const {
  check_neuron(neuron);
  return neuron_output_[static_cast<std::size_t>(neuron)];
}

void Crossbar::set_neuron_label(int neuron, int label) {
  check_neuron(neuron);
  if (label < 0 || label > 0xFFFF) {
    throw UserError("crossbar: label " + std::to_string(label) + " of neuron " +
                    std::to_string(neuron) + " out of range; allowed 0..65535");
  }
  neuron_label_[static_cast<std::size_t>(neuron)] = static_cast<std::uint16_t>(label);
}

std::uint16_t Crossbar::neuron_label(int neuron) const {
  check_neuron(neuron);
  return neuron_label_[static_cast<std::size_t>(neuron)];
}

void Crossbar::set_node(int input, int bus, bool enabled, int mask, int target) {
  check_input(input, "node of");
  if (bus < 0 || bus >= params_.buses) {
    throw UserError("crossbar: bus " + std::to_string(bus) + " out of range; allowed 0.." +
                    std::to_string(params_.buses - 1));
  }
  if (mask < 0 || mask > 0xFFFF || target < 0 || target > 0xFFFF) {
    throw UserError("crossbar: node (input " + std::to_string(input) + ", bus " +
                    std::to_string(bus) + ") mask/target out of range; allowed 0..65535");
  }
  nodes_[static_cast<std::size_t>(input) * params_.buses + bus] =
      Node{enabled, static_cast<std::uint16_t>(mask), static_cast<std::uint16_t>(target)};
}

Crossbar::Node Crossbar::node(int input, int bus) const {
  check_input(input, "node of");
  if (bus < 0 || bus >= params_.buses) {
    throw UserError("crossbar: bus " + std::to_string(bus) + " out of range; allowed 0.." +
                    std::to_string(params_.buses - 1));
  }
  return nodes_[static_cast<std::size_t>(input) * params_.buses + bus];
}

void Crossbar::disable_all() {
  for (auto& n : nodes_) n = Node{};
}

std::uint64_t Crossbar::route_neuron_spike(int neuron, std::uint16_t* label) const {
  check_neuron(neuron);
  const auto n = static_cast<std::size_t>(neuron);
  *label = neuron_label_[n];
  return route(neuron_output_[n], neuron_label_[n]);
}

}  // namespace salvo
