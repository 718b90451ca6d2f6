// `salvo compare A.yaml B.yaml`: two chip variants on the same experiment and seeds
// (emulator/compare/variant_compare.hpp).
#include <iostream>

#include <boost/algorithm/string.hpp>
#include <boost/program_options.hpp>

#include "emulator/cli/cli_util.hpp"
#include "emulator/cli/commands.hpp"
#include "emulator/compare/variant_compare.hpp"
#include "hw/common/error.hpp"

namespace salvo::cli {

namespace po = boost::program_options;

namespace {

std::vector<std::uint64_t> parse_seeds(const std::string& text) {
  std::vector<std::string> parts;
  boost::split(parts, text, boost::is_any_of(","));
  std::vector<std::uint64_t> seeds;
  for (const auto& p : parts) {
    std::size_t used = 0;
    unsigned long long v = 0;
    try {
      v = std::stoull(p, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (p.empty() || used != p.size() || p[0] == '-')
      throw OptionError("compare", "--seeds", "'" + text + "' is not a list of seeds",
                        "comma-separated non-negative integers, e.g. 1,2,3");
    seeds.push_back(v);
  }
  return seeds;
}

}  // namespace

int cmd_compare(const Args& args) {
  po::options_description desc(
      "usage: salvo compare A.yaml B.yaml [--experiment FILE] [--seeds 1,2,3] [--out DIR]\n"
      "                     [--set KEY=VALUE]... [--no-plots]\n\n"
      "Runs the experiment on both chip variants for every seed (each run its own process, in\n"
      "OUT/<variant>/s<seed>) and writes the side-by-side table of medians and interquartile\n"
      "ranges (metrics, processor load, energy, power, area) to OUT/compare.txt and\n"
      "OUT/compare.csv, and OUT/compare.png.\n\noptions");
  compare::CompareOptions o;
  std::string seeds = "1";
  bool no_plots = false;
  std::vector<std::string> chips;
  desc.add_options()("help,h", "this help")("chips", po::value(&chips), "the two chip variants")(
      "experiment", po::value(&o.experiment), "experiment YAML (default: salvo run's)")(
      "seeds", po::value(&seeds), "comma-separated seeds (default 1)")(
      "out", po::value(&o.out_dir), "output directory (default out/compare/<A>_vs_<B>)")(
      "set", po::value(&o.sets)->composing(), "override KEY=VALUE for every run (repeatable)")(
      "no-plots", po::bool_switch(&no_plots), "no compare.png");
  po::positional_options_description positional;
  positional.add("chips", 2);
  const po::variables_map vm = parse_options("compare", desc, args, &positional);
  if (vm.count("help")) {
    std::cout << desc;
    return 0;
  }
  if (chips.size() != 2)
    throw UserError(
        "salvo compare: needs two chip variants (allowed: salvo compare A.yaml B.yaml [options])");
  o.chip_a = chips[0];
  o.chip_b = chips[1];
  o.seeds = parse_seeds(seeds);
  o.plots = !no_plots;
  return compare::run_compare(o);
}

}  // namespace salvo::cli
