// `salvo calibrate`: calibrates one chip instance through its own observables and writes
// calibration.json (codes for `salvo run --calibration`), summary.json (times, usable neurons,
// the oracle spread ratios) and calibration.png (before/after per quantity).
#include <cstdio>
#include <cstdlib>
#include <iostream>

#include <fmt/format.h>
#include <boost/program_options.hpp>

#include "emulator/calibration/calibrate.hpp"
#include "emulator/cli/cli_util.hpp"
#include "emulator/cli/commands.hpp"
#include "emulator/config/config.hpp"
#include "emulator/output/run_output.hpp"
#include "emulator/session/session.hpp"
#include "hw/common/error.hpp"

namespace salvo::cli {

namespace po = boost::program_options;

namespace {

void plot(const std::string& dir) {
  const std::string py = output::find_plot_python();
  if (py.empty()) {
    std::fprintf(stderr, "salvo calibrate: no python3 with matplotlib: calibration.png skipped\n");
    return;
  }
  const std::string script = config::locate("tools/plot_calibration.py");
  const std::string cmd = fmt::format("'{}' '{}' '{}'", py, script, dir);
  if (std::system(cmd.c_str()) != 0)
    std::fprintf(stderr, "salvo calibrate: %s failed: calibration.png skipped\n", cmd.c_str());
}

}  // namespace

int cmd_calibrate(const Args& args) {
  po::options_description desc(
      "usage: salvo calibrate [--chip FILE] [--seed N] [--set chip.KEY=VALUE]... [--out DIR] "
      "[--no-plots]\n\n"
      "Calibrates one chip instance (seed N = the instance of `salvo run --seed N`) through what\n"
      "the chip exposes (CADC, MADC, rate counters, spike times). Targets: neurons.* and\n"
      "calibration.* of the chip config. Writes DIR/calibration.json, summary.json, oracle.csv,\n"
      "calibration.png.\n\noptions");
  std::string chip_file, out_dir;
  std::uint64_t seed = 1;
  std::vector<std::string> sets;
  desc.add_options()("help,h", "this help")(
      "chip", po::value(&chip_file), "chip variant YAML (default configs/chips/reference.yaml)")(
      "seed", po::value(&seed), "chip-instance seed (default 1)")(
      "out", po::value(&out_dir), "output directory (default out/calibration)")(
      "set", po::value(&sets)->composing(), "override chip.KEY=VALUE (repeatable)")(
      "no-plots", "skip calibration.png");
  po::variables_map vm = parse_options("calibrate", desc, args);
  if (vm.count("help")) {
    std::cout << desc;
    return 0;
  }
  if (chip_file.empty()) chip_file = config::default_chip_file();
  if (out_dir.empty()) out_dir = "out/calibration";
  for (const auto& s : sets)
    if (s.rfind("chip.", 0) != 0)
      throw OptionError("calibrate", "--set", fmt::format("'{}' is not a chip key", s),
                        "chip.KEY=VALUE");
  config::ResolvedConfig cfg = config::load_chip(chip_file, sets);
  cfg.seed = seed;
  output::fs::create_directories(out_dir);
  output::Progress progress("calibrate", 0, "µs");
  session::RunContext ctx(cfg, out_dir, progress);
  session::Session session(ctx);
  const auto run = calibration::calibrate_chip(
      session.core(), [&session](double t) { session.advance_to(t); }, cfg,
      [](const calibration::StepReport& r) {
        std::fprintf(stderr, "%s\n", calibration::describe(r).c_str());
      });
  progress.finish();
  calibration::write_run(run, out_dir);
  const char* no_plots_env = std::getenv("SALVO_NO_PLOTS");
  if (!vm.count("no-plots") && !(no_plots_env && std::string(no_plots_env) == "1")) plot(out_dir);
  const auto& s = run.summary;
  std::printf("calibrate %s (seed %llu): %d neurons in %.2f s wall, %.1f ms emulated\n",
              cfg.chip_config.name.c_str(), static_cast<unsigned long long>(seed),
              s["neurons"].get<int>(), s["wall_time_s"].get<double>(),
              s["emulated_time_us"].get<double>() / 1000.0);
  std::printf("  usable %.4f", s["usable_fraction"].get<double>());
  for (const auto& [k, v] : s.items())
    if (k.rfind("spread_ratio_", 0) == 0) std::printf("  %s %.3f", k.c_str() + 13, v.get<double>());
  std::printf("\n  results: %s\n", out_dir.c_str());
  return 0;
}

}  // namespace salvo::cli
