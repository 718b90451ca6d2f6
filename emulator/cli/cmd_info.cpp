// `salvo info`: the derived figures of a chip variant.
#include <cstdio>
#include <iostream>

#include <fmt/format.h>
#include <boost/program_options.hpp>
#include <nlohmann/json.hpp>

#include "emulator/cli/cli_util.hpp"
#include "emulator/cli/commands.hpp"
#include "emulator/config/config.hpp"
#include "emulator/session/cost_model.hpp"
#include "hw/chip/memory_map.hpp"

namespace salvo::cli {

namespace po = boost::program_options;

nlohmann::json chip_figures(const ChipConfig& c) {
  namespace mm = memory_map;
  const long rows = c.synapses.rows_per_half, cols = c.neurons.per_half;
  const double bus_bw = c.buses.count * c.buses.throughput_mevents_per_s;
  const int cells =
      c.parameter_memory.voltage_cells_per_neuron + c.parameter_memory.current_cells_per_neuron;
  auto region = [](std::uint32_t base, std::uint32_t offset, std::uint64_t size, const char* what) {
    return nlohmann::json{{"start", fmt::format("0x{:08x}", base + offset)},
                          {"end", fmt::format("0x{:08x}", base + offset + size - 1)},
                          {"size_bytes", size},
                          {"what", what}};
  };
  nlohmann::json map = nlohmann::json::array({
      region(mm::kSramBase, 0, c.processor.memory_kib * 1024ULL, "local SRAM (code, data, stack)"),
      region(mm::kPeripheralBase, 0, 0x1000,
             "processor peripherals (console, timer, mailbox, RNG)"),
      region(mm::kChipWindowBase, mm::kWeights, rows * mm::kRowStride,
             "synapse weights (row*256 + col)"),
      region(mm::kChipWindowBase, mm::kLabels, rows * mm::kRowStride,
             "synapse labels (row*256 + col)"),
      region(mm::kChipWindowBase, mm::kCadcCtrl, 0x10, "CADC control / status / sensor reset"),
      region(mm::kChipWindowBase, mm::kCadcCausal, cols, "CADC causal results"),
      region(mm::kChipWindowBase, mm::kCadcAcausal, cols, "CADC acausal results"),
      region(mm::kChipWindowBase, mm::kParameters, cols * mm::kNeuronParamStride,
             "neuron parameter memory"),
      region(mm::kChipWindowBase, mm::kRateCounters, cols, "rate counters"),
      region(mm::kChipWindowBase, mm::kRowConfig, rows * 4, "row configuration (sign)"),
  });
  return {
      {"name", c.name},
      {"halves", c.halves},
      {"neurons", c.neurons_total()},
      {"neurons_per_half", cols},
      {"synapse_rows", c.rows_total()},
      {"synapse_rows_per_half", rows},
      {"synapses", c.synapses_total()},
      {"synapse_drivers", c.halves * c.drivers.per_half},
      {"weight_bits", c.synapses.weight_bits},
      {"correlation_sensors", 2 * c.synapses_total()},
      {"cadc_channels", c.halves * cols * c.cadc.channels_per_column},
      {"cadc_row_conversion_us", 1.0 / c.cadc.sample_rate_msps},
      {"parameter_cells", static_cast<long>(c.neurons_total()) * cells},
      {"event_buses", c.buses.count},
      {"bus_bandwidth_mevents_per_s", bus_bw},
      {"bus_fifo_depth", c.buses.fifo_depth},
      {"background_sources", c.background.sources},
      {"processors", c.halves},
      {"processor_clock_mhz", c.processor.clock_mhz},
      {"processor_memory_kib", c.processor.memory_kib},
      {"time_step_us", c.neurons.dt_us},
      {"mismatch_scale", c.mismatch.scale},
      {"memory_map", map},
      {"vector_bytes", c.processor.vector.enabled ? c.processor.vector.bytes : 0},
      {"area_mm2", session::area_mm2(c)},
      {"static_power_mW", session::static_power_mW(c)},
  };
}

int cmd_info(const Args& args) {
  po::options_description desc(
      "usage: salvo info [--chip FILE] [--set KEY=VALUE]... [--json]\n\noptions");
  std::string chip_file;
  std::vector<std::string> sets;
  desc.add_options()("help,h", "this help")(
      "chip", po::value(&chip_file), "chip variant YAML (default configs/chips/reference.yaml)")(
      "set", po::value(&sets)->composing(), "override chip.KEY=VALUE (repeatable)")(
      "json", "print the figures as JSON");
  const auto vm = parse_options("info", desc, args);
  if (vm.count("help")) {
    std::cout << desc;
    return 0;
  }
  if (chip_file.empty()) chip_file = config::default_chip_file();
  const auto cfg = config::load_chip(chip_file, sets);
  const auto f = chip_figures(cfg.chip_config);
  if (vm.count("json")) {
    std::cout << f.dump(2) << "\n";
    return 0;
  }
  const auto& c = cfg.chip_config;
  std::cout << fmt::format("chip variant '{}' ({})\n", c.name, chip_file);
  std::cout << fmt::format("  halves                {}\n", c.halves);
  std::cout << fmt::format("  neurons               {} ({} per half)\n", c.neurons_total(),
                           c.neurons.per_half);
  std::cout << fmt::format("  synapse rows          {} ({} per half, {} drivers)\n", c.rows_total(),
                           c.synapses.rows_per_half, c.halves * c.drivers.per_half);
  std::cout << fmt::format("  synapses              {} ({}-bit weights)\n", c.synapses_total(),
                           c.synapses.weight_bits);
  std::cout << fmt::format("  correlation sensors   {} (2 per synapse, τ = {} µs)\n",
                           2 * c.synapses_total(), c.sensors.tau_us);
  std::cout << fmt::format("  CADC channels         {} ({}-bit, {:.3f} µs per row)\n",
                           f["cadc_channels"].get<long>(), c.cadc.bits,
                           1.0 / c.cadc.sample_rate_msps);
  std::cout << fmt::format("  parameter cells       {} ({}-bit)\n",
                           f["parameter_cells"].get<long>(), c.parameter_memory.code_bits);
  std::cout << fmt::format(
      "  event buses           {} × {} MEvent/s = {} MEvent/s, FIFO depth {}\n", c.buses.count,
      c.buses.throughput_mevents_per_s, f["bus_bandwidth_mevents_per_s"].get<double>(),
      c.buses.fifo_depth);
  std::cout << fmt::format("  background sources    {}\n", c.background.sources);
  std::cout << fmt::format("  processors            {} × RV32IMC @ {} MHz, {} KiB memory each\n",
                           c.halves, c.processor.clock_mhz, c.processor.memory_kib);
  if (c.processor.vector.enabled)
    std::cout << fmt::format("  vector unit           {} bytes per register ({} × 8-bit lanes)\n",
                             c.processor.vector.bytes, c.processor.vector.bytes);
  auto blocks = [](const nlohmann::json& j) {
    std::string s;
    for (const auto& [k, v] : j.items())
      if (k != "total" && v.get<double>() > 0)
        s += fmt::format("{}{} {:.3g}", s.empty() ? "" : ", ", k, v.get<double>());
    return s;
  };
  std::cout << fmt::format("  area (cost model)     {:.3f} mm² ({})\n",
                           f["area_mm2"]["total"].get<double>(), blocks(f["area_mm2"]));
  std::cout << fmt::format("  static power          {:.2f} mW ({})\n",
                           f["static_power_mW"]["total"].get<double>(),
                           blocks(f["static_power_mW"]));
  std::cout << fmt::format("  time step             {} µs; mismatch scale {}\n", c.neurons.dt_us,
                           c.mismatch.scale);
  std::cout << "  processor memory map (per half):\n";
  for (const auto& r : f["memory_map"])
    std::cout << fmt::format("    {} - {}  {:>8} B  {}\n", r["start"].get<std::string>(),
                             r["end"].get<std::string>(), r["size_bytes"].get<std::uint64_t>(),
                             r["what"].get<std::string>());
  return 0;
}

}  // namespace salvo::cli
