// `salvo run`: one experiment on one emulated chip instance.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <boost/program_options.hpp>

#include "emulator/calibration/calibrate.hpp"
#include "emulator/cli/cli_util.hpp"
#include "emulator/cli/commands.hpp"
#include "emulator/config/config.hpp"
#include "emulator/experiments/registry.hpp"
#include "emulator/output/run_dir.hpp"
#include "emulator/output/run_output.hpp"
#include "emulator/session/run_context.hpp"
#include "hw/chip/analog_core.hpp"
#include "hw/common/error.hpp"
#include "hw/common/worker_pool.hpp"

namespace salvo::cli {

namespace po = boost::program_options;

namespace {

// --threads, else $SALVO_THREADS (sweeps set it for their points), else every available CPU.
int run_threads(const po::variables_map& vm) {
  const config::SchemaNode kind = config::Int(1, 1, 256, "");
  if (const auto n = number_option(vm, "run", "threads", kind)) return static_cast<int>(*n);
  if (const char* env = std::getenv("SALVO_THREADS"); env && *env)
    return static_cast<int>(parse_number_or_throw(env, "run", "SALVO_THREADS", kind));
  return WorkerPool::available_cpus();
}

nlohmann::json summary_json(const config::ResolvedConfig& cfg, const session::RunContext& ctx,
                            double wall) {
  const std::string name = cfg.experiment["name"].as<std::string>();
  const std::uint64_t seed = cfg.seed;
  return {
      {"salvo_version", SALVO_VERSION},
      {"chip",
       {{"name", cfg.chip_config.name},
        {"file", cfg.chip_file},
        {"neurons", cfg.chip_config.neurons_total()},
        {"synapses", cfg.chip_config.synapses_total()},
        {"mismatch_scale", cfg.chip_config.mismatch.scale}}},
      {"experiment", {{"name", name}, {"file", cfg.experiment_file}}},
      {"seed", seed},
      {"emulated_time_us", ctx.stats.emulated_time_us},
      {"wall_time_s", wall},
      {"spikes", ctx.stats.spikes},
      {"bus", {{"events", ctx.stats.bus_events}, {"dropped", ctx.stats.bus_dropped}}},
      {"ppu",
       {{"instructions", ctx.stats.ppu_instructions},
        {"cycles", ctx.stats.ppu_cycles},
        {"busy_fraction", ctx.stats.ppu_busy_fraction}}},
      {"host",
       {{"threads", ctx.stats.threads},
        {"steps", ctx.stats.steps},
        {"parallel_steps", ctx.stats.parallel_steps},
        {"neuron_block_steps", ctx.stats.block_steps},
        {"neuron_block_steps_skipped", ctx.stats.block_steps_skipped},
        {"neuron_block_steps_replayed", ctx.stats.block_steps_replayed}}},
      {"metrics", ctx.metrics},
  };
}

// The host side of --profile: how much of the chip was stepped, on how many threads.
void print_host_work(const session::RunStats& s) {
  const auto share = [](std::uint64_t part, std::uint64_t whole) {
    return whole ? 100.0 * static_cast<double>(part) / static_cast<double>(whole) : 0.0;
  };
  std::printf(
      "host: %llu steps on %d thread(s), %.1f %% with the halves side by side; neuron blocks "
      "asleep (skipped) %.1f %% of %llu block-steps, %.2f %% of those replayed on demand\n",
      static_cast<unsigned long long>(s.steps), s.threads, share(s.parallel_steps, s.steps),
      share(s.block_steps_skipped, s.block_steps), static_cast<unsigned long long>(s.block_steps),
      share(s.block_steps_replayed, s.block_steps_skipped));
}

void print_result(const config::ResolvedConfig& cfg, const session::RunContext& ctx, double wall,
                  const std::string& out_dir) {
  std::printf("%s on %s (seed %llu): %.1f µs emulated in %.2f s wall",
              cfg.experiment["name"].as<std::string>().c_str(), cfg.chip_config.name.c_str(),
              static_cast<unsigned long long>(cfg.seed), ctx.stats.emulated_time_us, wall);
  if (ctx.stats.emulated_time_us > 0)
    std::printf(" (%.3f s wall per ms)", wall / (ctx.stats.emulated_time_us / 1000.0));
  std::printf("\n");
  for (const auto& line : ctx.summary_lines) std::printf("  %s\n", line.c_str());
  for (const auto& [half, text] : ctx.profiles) std::printf("%s", text.c_str());
  if (ctx.profile) print_host_work(ctx.stats);
  std::printf("  results: %s\n", out_dir.c_str());
}

// The files and overrides given on the command line (the numbers are read separately).
struct RunFiles {
  std::string chip_file, experiment_file, out_dir, calibration;
  std::vector<std::string> sets;
  std::string trace_path, trace_neurons, trace_signals, trace_window;
};

po::options_description run_options(RunFiles& f) {
  po::options_description desc(
      "usage: salvo run [EXPERIMENT_FILE] [--chip FILE] [--experiment FILE] [--seed N] [--out "
      "DIR] [--set KEY=VALUE]... [--calibration PATH|auto] [--no-plots] [--gdb PORT] "
      "[--profile] [--trace VCD [--trace-neurons LIST] [--trace-signals LIST] "
      "[--trace-window T0:T1]] [--threads N] "
      "[--force]\n\n"
      "Runs one experiment on one emulated chip instance. With no options: the default\n"
      "experiment on configs/chips/reference.yaml. The experiment file may be given as the one\n"
      "positional argument instead of --experiment. Results go to --out (default\n"
      "out/<experiment>); the files of an earlier run there are removed first, other files stay\n"
      "(docs/architecture.md, \"Output directories\").\n\n"
      "options");
  desc.add_options()("help,h", "this help")(
      "chip", po::value(&f.chip_file), "chip variant YAML (default configs/chips/reference.yaml)")(
      "experiment", po::value(&f.experiment_file),
      "experiment YAML (default: the default experiment); also the positional argument")(
      "seed", po::value<std::string>(), "chip-instance and noise seed, 0 .. 2^53 (default 1)")(
      "out", po::value(&f.out_dir), "output directory")(
      "calibration", po::value(&f.calibration),
      "start from a calibration: a calibration.json of `salvo calibrate` for this chip config and "
      "seed, or 'auto' (calibrate first, cached in $SALVO_CALIBRATION_CACHE, default "
      "out/calibrations)")("set", po::value(&f.sets)->composing(),
                           "override KEY=VALUE, e.g. chip.mismatch.scale=0 (repeatable)")(
      "no-plots", "skip the PNG plots (sweeps, benchmarks)")(
      "force", "write into --out even if it holds results no salvo run recorded (they stay)")(
      "gdb", po::value<std::string>(),
      "the plasticity firmware waits at its first instruction for gdb-multiarch on "
      "127.0.0.1:PORT (0 = any free port; `target remote :PORT`)")(
      "profile",
      "profile the plasticity firmware: a flat profile per function (instructions, cycles, calls, "
      "CADC and chip-window stalls) printed and written to profile.csv in the output directory; "
      "results are unchanged, the processor runs several times slower")(
      "trace", po::value(&f.trace_path),
      "write a VCD waveform (GTKWave) of the run in hardware time: membranes, spikes, buses, "
      "processors, CADC, parameter writes")(
      "trace-neurons", po::value(&f.trace_neurons),
      "neurons whose membrane and spikes are traced, e.g. 0-7,40 (default 0-7)")(
      "trace-signals", po::value(&f.trace_signals),
      "what to trace: membrane,spikes,bus,ppu,cadc,capmem (default all)")(
      "trace-window", po::value(&f.trace_window),
      "hardware-time window in µs, T0:T1 (either side may be empty; default the whole run)")(
      "threads", po::value<std::string>(),
      "host threads advancing the chip halves in parallel; a thread without a half draws "
      "the membrane noise ahead (default: $SALVO_THREADS, else the CPUs available; results "
      "are identical for every N; on a machine busy with other work use 1)");
  return desc;
}

}  // namespace

int cmd_run(const Args& args) {
  RunFiles f;
  const po::options_description desc = run_options(f);
  std::string &chip_file = f.chip_file, &experiment_file = f.experiment_file, &out_dir = f.out_dir;
  std::uint64_t seed = 1;
  po::positional_options_description positional;
  positional.add("experiment", 1);
  po::variables_map vm = parse_options("run", desc, args, &positional);
  if (vm.count("help")) {
    std::cout << desc << "\nexperiments:\n";
    for (const auto& e : experiments::all())
      std::cout << fmt::format("  {:14} {}\n", e.name, e.summary);
    return 0;
  }
  if (const auto s = number_option(vm, "run", "seed", config::Int(1, 0, 1L << 53, "")))
    seed = static_cast<std::uint64_t>(*s);
  const int gdb_port =
      static_cast<int>(number_option(vm, "run", "gdb", config::Int(0, 0, 65535, "")).value_or(-1));
  const trace::TraceOptions trace_options =
      trace::parse_trace_options(f.trace_path, f.trace_neurons, f.trace_signals, f.trace_window);
  if (!trace_options.enabled() &&
      (vm.count("trace-neurons") || vm.count("trace-signals") || vm.count("trace-window")))
    throw OptionError("run", "--trace-neurons/--trace-signals/--trace-window", "needs --trace FILE",
                      "--trace out.vcd");
  AnalogCore::set_default_threads(run_threads(vm));
  if (chip_file.empty()) chip_file = config::default_chip_file();
  if (experiment_file.empty()) experiment_file = config::default_experiment_file();
  const auto cfg = config::load(chip_file, experiment_file, f.sets, seed);
  const std::string name = cfg.experiment["name"].as<std::string>();
  if (out_dir.empty()) out_dir = "out/" + name;
  const auto run_dir = output::RunDirectory::claim(out_dir, vm.count("force") > 0);
  output::write_file_atomic(output::fs::path(out_dir) / "config.yaml", config::to_yaml(cfg));

  // Experiments without a fixed duration (a measurement protocol) set the total themselves.
  const double duration =
      cfg.experiment["duration_us"] ? cfg.experiment["duration_us"].as<double>() : 0.0;
  output::Progress progress(name, duration, "µs");
  session::RunContext ctx(cfg, out_dir, progress);
  ctx.gdb_port = gdb_port;
  if (!f.calibration.empty())
    ctx.calibration = calibration::resolve_calibration(f.calibration, cfg);
  ctx.profile = vm.count("profile") > 0;
  ctx.trace = trace_options;
  spdlog::info("run: experiment '{}' on chip '{}' (seed {}), output in {}", name,
               cfg.chip_config.name, seed, out_dir);
  const auto t0 = std::chrono::steady_clock::now();
  int exit_code = 0;
  std::string failure;
  try {
    experiments::find(name)->make(cfg.experiment)->run(ctx);
  } catch (const RunFailure& e) {
    exit_code = e.exit_code();
    failure = e.what();
  }
  progress.finish();
  if (gdb_port >= 0 && !ctx.gdb_used)
    spdlog::warn("run: --gdb: experiment '{}' ran no firmware on the processor (executor: host?)",
                 name);
  if (ctx.profile && ctx.profiles.empty())
    spdlog::warn(
        "run: --profile: experiment '{}' ran no firmware on the processor (executor: host?)", name);
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  nlohmann::json summary = summary_json(cfg, ctx, wall);
  summary["status"] = exit_code == 0 ? "ok" : "failed";
  if (!f.calibration.empty()) summary["calibration"] = f.calibration;
  for (const auto& [k, v] : ctx.extra.items()) summary[k] = v;
  if (!failure.empty()) summary["failure"] = failure;
  output::write_json_atomic(output::fs::path(out_dir) / "summary.json", summary);
  // Sweeps set SALVO_NO_PLOTS=1 for their points: a python start per point is their largest
  // overhead.
  const char* no_plots_env = std::getenv("SALVO_NO_PLOTS");
  if (!vm.count("no-plots") && !(no_plots_env && std::string(no_plots_env) == "1")) {
    const std::string note = output::render_plots(out_dir);
    if (!note.empty()) spdlog::warn("{}", note);
  }
  run_dir.seal();

  print_result(cfg, ctx, wall, out_dir);
  if (exit_code != 0) std::fprintf(stderr, "salvo: %s\n", failure.c_str());
  return exit_code;
}

}  // namespace salvo::cli
