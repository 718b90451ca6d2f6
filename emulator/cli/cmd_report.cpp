// `salvo report`: statistics and plots of a finished sweep (see emulator/sweep/sweep_report.hpp).
#include <iostream>

#include <boost/program_options.hpp>

#include "emulator/cli/cli_util.hpp"
#include "emulator/cli/commands.hpp"
#include "emulator/sweep/sweep_report.hpp"
#include "hw/common/error.hpp"

namespace salvo::cli {

namespace po = boost::program_options;

int cmd_report(const Args& args) {
  po::options_description desc(
      "usage: salvo report SWEEP_DIR [--x AXIS] [--no-plots] [--all]\n\n"
      "Per condition and axis value: n, mean with 95 % confidence interval, standard deviation,\n"
      "median, quartiles, min and max of every metric of a sweep, in SWEEP_DIR/report.csv, and\n"
      "one plot per metric (median against the axis, quartile band, one line per condition) in\n"
      "SWEEP_DIR/report_<metric>.png. When the runs write loss.csv or angle.csv, also the\n"
      "median and quartiles of those curves per condition and axis values (report_curves.csv,\n"
      "report_curve_<file>_<column>.png). Also merges the rows of --shard runs into sweep.csv.\n\n"
      "options");
  sweep::ReportOptions o;
  bool no_plots = false;
  desc.add_options()("help,h", "this help")("dir", po::value(&o.dir),
                                            "the sweep's output directory")(
      "x", po::value(&o.x_axis), "the axis on the plots' x axis (default: the first axis)")(
      "no-plots", po::bool_switch(&no_plots), "only report.csv (no plots, no curves)")(
      "all", po::bool_switch(&o.plot_all), "also plot summary.* figures and wall_time_s");
  po::positional_options_description positional;
  positional.add("dir", 1);
  const po::variables_map vm = parse_options("report", desc, args, &positional);
  if (vm.count("help")) {
    std::cout << desc;
    return 0;
  }
  if (o.dir.empty())
    throw UserError("salvo report: missing SWEEP_DIR (allowed: salvo report SWEEP_DIR [options])");
  o.plots = !no_plots;
  return sweep::run_report(o);
}

}  // namespace salvo::cli
