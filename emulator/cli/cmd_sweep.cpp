// `salvo sweep`: many runs (grid x conditions x seeds), each point an isolated `salvo run`
// process; resumable, and the same spec runs under mpirun or as a Slurm job array.
#include <cstdio>
#include <iostream>

#include <fmt/format.h>
#include <boost/program_options.hpp>

#include "emulator/cli/cli_util.hpp"
#include "emulator/cli/commands.hpp"
#include "emulator/sweep/sweep_runner.hpp"
#include "hw/common/error.hpp"

namespace salvo::cli {

namespace po = boost::program_options;

namespace {

void parse_shard(const std::string& text, int& index, int& count) {
  const auto slash = text.find('/');
  try {
    if (slash == std::string::npos) throw std::invalid_argument("no slash");
    std::size_t used_i = 0, used_n = 0;
    index = std::stoi(text.substr(0, slash), &used_i);
    count = std::stoi(text.substr(slash + 1), &used_n);
    if (used_i != slash || used_n != text.size() - slash - 1) throw std::invalid_argument("junk");
  } catch (const std::exception&) {
    throw UserError(
        fmt::format("salvo sweep: --shard '{}' is not i/n (allowed: i/n with 0 <= i < n, "
                    "e.g. --shard $SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT)",
                    text));
  }
  if (count < 1 || index < 0 || index >= count)
    throw UserError(
        fmt::format("salvo sweep: --shard {}: the index must be in 0 ... {} (allowed: i/n "
                    "with 0 <= i < n)",
                    text, count - 1));
}

}  // namespace

int cmd_sweep(const Args& args) {
  po::options_description desc(
      "usage: salvo sweep SPEC [--out DIR] [--jobs N] [--resume] [--timeout S] [--shard i/n] "
      "[--mpi]\n\n"
      "Runs every point of a sweep spec (axes x conditions x seeds, see docs/sweeps.md) as its "
      "own\n"
      "`salvo run` process and collects one row per point in DIR/sweep.csv. `salvo report DIR`\n"
      "then gives medians, quartiles and confidence intervals per condition and axis value.\n\n"
      "options");
  sweep::SweepOptions o;
  std::string shard;
  desc.add_options()("help,h", "this help")("spec", po::value(&o.spec_file),
                                            "the sweep spec (YAML)")(
      "out,o", po::value(&o.out_dir), "output directory (default out/sweeps/<spec name>)")(
      "jobs,j", po::value<std::string>(),
      "points run at once (default: the CPUs available; per rank with --mpi)")(
      "resume", po::bool_switch(&o.resume), "run only the points without a result in DIR")(
      "retry-failed", po::bool_switch(&o.retry_failed),
      "with --resume: also rerun failed and timed-out points")(
      "timeout", po::value<std::string>(),
      "per-point time limit in seconds, 0 = none (default: the spec's timeout_s)")(
      "shard", po::value(&shard), "run only slice i of n (0 <= i < n), e.g. one Slurm array task")(
      "mpi", po::bool_switch(&o.mpi), "spread the points over the ranks of an mpirun job")(
      "dry-run", po::bool_switch(&o.dry_run), "list every point's id and command, run nothing");
  po::positional_options_description positional;
  positional.add("spec", 1);
  const po::variables_map vm = parse_options("sweep", desc, args, &positional);
  if (vm.count("help")) {
    std::cout << desc;
    return 0;
  }
  if (o.spec_file.empty())
    throw UserError(
        "salvo sweep: missing SPEC (allowed: salvo sweep SPEC [options]; see salvo sweep --help)");
  o.timeout_s = number_option(vm, "sweep", "timeout", config::Float(0, 0, 1e9, "")).value_or(-1);
  o.jobs = static_cast<unsigned>(
      number_option(vm, "sweep", "jobs", config::Int(1, 1, 4096, "")).value_or(0));
  if (!shard.empty()) parse_shard(shard, o.shard_index, o.shard_count);
  if (o.mpi && o.shard_count > 0)
    throw UserError("salvo sweep: --mpi and --shard together (allowed: one of them)");
  return sweep::run_sweep(o);
}

}  // namespace salvo::cli
