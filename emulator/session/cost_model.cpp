#include "emulator/session/cost_model.hpp"

namespace salvo::session {
namespace {

constexpr const char* kBlocks[] = {"neurons",          "synapses",  "sensors", "cadc",
                                   "parameter_memory", "processor", "vector",  "sram"};

nlohmann::json with_total(nlohmann::json blocks) {
  double total = 0;
  for (const char* b : kBlocks) {
    if (!blocks.contains(b)) blocks[b] = 0.0;
    total += blocks[b].get<double>();
  }
  blocks["total"] = total;
  return blocks;
}

double vector_bytes(const ChipConfig& chip) {
  return chip.processor.vector.enabled ? chip.processor.vector.bytes : 0.0;
}

}  // namespace

int cadc_channels_per_half(const ChipConfig& chip) {
  return chip.cadc.channels_per_column * chip.neurons.per_half;
}

nlohmann::json area_mm2(const ChipConfig& chip) {
  const CostAreaConfig& a = chip.cost.area;
  const double um2 = 1e-6, halves = chip.halves;
  const double synapses = static_cast<double>(chip.synapses_total());
  nlohmann::json j;
  j["neurons"] = a.neuron_um2 * chip.neurons_total() * um2;
  j["synapses"] = a.synapse_um2 * synapses * um2;
  j["sensors"] = chip.sensors.enabled ? a.sensor_um2 * synapses * um2 : 0.0;
  j["cadc"] = a.cadc_channel_um2 * cadc_channels_per_half(chip) * halves * um2;
  j["processor"] = a.processor_um2 * halves * um2;
  j["vector"] = a.vector_byte_um2 * vector_bytes(chip) * halves * um2;
  j["sram"] = a.sram_kib_um2 * chip.processor.memory_kib * halves * um2;
  return with_total(j);
}

nlohmann::json static_power_mW(const ChipConfig& chip) {
  const CostStaticConfig& s = chip.cost.static_power;
  const double uW = 1e-3, halves = chip.halves;
  nlohmann::json j;
  j["neurons"] = s.neuron_uW * chip.neurons_total() * uW;
  j["cadc"] = s.cadc_channel_uW * cadc_channels_per_half(chip) * halves * uW;
  j["processor"] = s.processor_mW * halves;
  j["vector"] = s.vector_byte_uW * vector_bytes(chip) * halves * uW;
  j["sram"] = s.sram_kib_uW * chip.processor.memory_kib * halves * uW;
  return with_total(j);
}

nlohmann::json run_cost(const ChipConfig& chip, const ActivityCounters& a) {
  const CostEnergyConfig& e = chip.cost.energy;
  const double pJ_to_uJ = 1e-6;
  const double scalar_instructions = static_cast<double>(
      a.instructions >= a.vector_instructions ? a.instructions - a.vector_instructions : 0);
  nlohmann::json dyn;
  dyn["neurons"] = e.spike_pJ * static_cast<double>(a.spikes) * pJ_to_uJ;
  dyn["synapses"] = e.synaptic_event_pJ * static_cast<double>(a.synaptic_events) * pJ_to_uJ;
  dyn["cadc"] = e.cadc_conversion_pJ * static_cast<double>(a.cadc_conversions) *
                cadc_channels_per_half(chip) * pJ_to_uJ;
  dyn["parameter_memory"] =
      e.parameter_write_pJ * static_cast<double>(a.parameter_writes) * pJ_to_uJ;
  dyn["processor"] = e.instruction_pJ * scalar_instructions * pJ_to_uJ;
  dyn["vector"] = (e.vector_instruction_pJ * static_cast<double>(a.vector_instructions) +
                   e.vector_lane_op_pJ * static_cast<double>(a.vector_lane_ops)) *
                  pJ_to_uJ;
  const nlohmann::json stat = static_power_mW(chip);
  nlohmann::json energy;
  for (const char* b : kBlocks) {
    // mW × µs = nJ = 1e-3 µJ
    const double st = stat.contains(b) ? stat[b].get<double>() * a.time_us * 1e-3 : 0.0;
    energy[b] = (dyn.contains(b) ? dyn[b].get<double>() : 0.0) + st;
  }
  energy = with_total(energy);
  nlohmann::json out;
  out["activity"] = {{"time_us", a.time_us},
                     {"spikes", a.spikes},
                     {"synaptic_events", a.synaptic_events},
                     {"cadc_conversions", a.cadc_conversions},
                     {"parameter_writes", a.parameter_writes},
                     {"instructions", a.instructions},
                     {"vector_instructions", a.vector_instructions},
                     {"vector_lane_ops", a.vector_lane_ops}};
  out["energy_uJ"] = energy;
  // µJ / µs = W
  out["power_mW"] = a.time_us > 0 ? energy["total"].get<double>() / a.time_us * 1e3 : 0.0;
  out["static_power_mW"] = stat["total"];
  out["area_mm2"] = area_mm2(chip);
  return out;
}

}  // namespace salvo::session
