#include "emulator/calibration/calibrate.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include <fmt/format.h>

#include "emulator/calibration/bench.hpp"
#include "emulator/calibration/oracle.hpp"
#include "emulator/output/run_output.hpp"
#include "hw/common/error.hpp"

namespace salvo::calibration {

namespace {

// Residuals against the drawn offsets (the oracle) over the channels that can be measured: a
// channel whose offset puts the sensor baseline at the top code reads the top code whatever
// its offset (counted, not hidden).
nlohmann::json cadc_residuals(AnalogCore& core, const Calibration& cal, double baseline) {
  nlohmann::json out;
  const SensorChannel ch[2] = {SensorChannel::kCausal, SensorChannel::kAcausal};
  const std::vector<std::vector<double>>* m[2] = {&cal.cadc_causal_offset_lsb,
                                                  &cal.cadc_acausal_offset_lsb};
  const char* name[2] = {"causal", "acausal"};
  for (int k = 0; k < 2; ++k) {
    double s2 = 0;
    int n = 0, clipped = 0;
    for (int h = 0; h < core.halves(); ++h)
      for (int c = 0; c < core.neurons_per_half(); ++c) {
        const double est = (*m[k])[h][c];
        if (est + baseline >= core.cadc(h).max_code() - 0.5) {
          ++clipped;
          continue;
        }
        const double e = est - core.cadc(h).offset_lsb(ch[k], c);
        s2 += e * e;
        ++n;
      }
    out[std::string(name[k]) + "_residual_rms_lsb"] = n ? std::sqrt(s2 / n) : 0.0;
    out[std::string(name[k]) + "_unmeasurable_channels"] = clipped;
  }
  return out;
}

nlohmann::json rate_summary(const std::vector<double>& rates, double target) {
  int within = 0;
  for (double r : rates) within += (r >= 0.95 * target && r <= 1.05 * target) ? 1 : 0;
  return {{"target_hz", target},
          {"fraction_within_5pct", rates.empty() ? 0.0 : double(within) / rates.size()}};
}

// An exclusive flock on `path` (created if missing) for this object's lifetime: the processes
// of a sweep that need the same instance's calibration at once take turns, so the instance is
// calibrated once and the others read the cached file.
class CacheLock {
 public:
  explicit CacheLock(const output::fs::path& path) {
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0)
      throw RunFailure(fmt::format("calibration cache: cannot open the lock {}: {}", path.string(),
                                   std::strerror(errno)));
    if (::flock(fd_, LOCK_EX | LOCK_NB) == 0) return;
    std::fprintf(stderr, "calibrate: waiting for another process calibrating this instance (%s)\n",
                 path.c_str());
    while (::flock(fd_, LOCK_EX) != 0)
      if (errno != EINTR)
        throw RunFailure(fmt::format("calibration cache: cannot lock {}: {}", path.string(),
                                     std::strerror(errno)));
  }
  CacheLock(const CacheLock&) = delete;
  CacheLock& operator=(const CacheLock&) = delete;
  ~CacheLock() { ::close(fd_); }  // closing releases the lock

 private:
  int fd_ = -1;
};

}  // namespace

std::string describe(const StepReport& r) {
  return fmt::format("calibrate: {:<22} {:8.1f} µs emulated, {:6.2f} s wall, {} write rounds",
                     r.name, r.emulated_us, r.wall_s, r.write_rounds);
}

CalibrationRun calibrate_chip(AnalogCore& core, const std::function<void(double)>& advance,
                              const config::ResolvedConfig& cfg,
                              const NeuronCalibrator::Progress& progress) {
  const auto t0 = std::chrono::steady_clock::now();
  const double e0 = core.now_us();
  CalibrationRun run;
  Calibration& cal = run.calibration;
  cal.chip_name = cfg.chip_config.name;
  cal.seed = cfg.seed;
  cal.chip_hash = chip_hash(cfg.chip);
  Bench bench(core, advance);
  NeuronCalibrator nc(bench, cfg.chip_config, progress);
  nc.run(cal);
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double emulated = core.now_us() - e0;
  nlohmann::json& s = run.summary;
  s["chip"] = cal.chip_name;
  s["seed"] = cal.seed;
  s["chip_hash"] = cal.chip_hash;
  s["neurons"] = cal.neurons.size();
  s["wall_time_s"] = wall;
  s["emulated_time_us"] = emulated;
  s["parameter_write_rounds"] = bench.write_rounds();
  // Hardware-equivalent: the emulated time plus the settling every write round needs on a chip.
  s["hardware_time_s"] =
      emulated * 1e-6 + bench.write_rounds() * cfg.chip_config.calibration.settle_us * 1e-6;
  s["usable_fraction"] = double(cal.usable_count()) / cal.neurons.size();
  nlohmann::json bad = nlohmann::json::array();
  for (std::size_t i = 0; i < cal.neurons.size(); ++i)
    if (!cal.neurons[i].usable) bad.push_back({{"neuron", i}, {"reasons", cal.neurons[i].reasons}});
  s["unusable"] = bad;
  nlohmann::json steps = nlohmann::json::array();
  for (const auto& r : nc.steps())
    steps.push_back({{"name", r.name},
                     {"emulated_us", r.emulated_us},
                     {"wall_s", r.wall_s},
                     {"write_rounds", r.write_rounds}});
  s["steps"] = steps;
  // The hidden truth, after the fact (never seen by the procedures).
  const OracleValues ov = oracle_values(cfg.chip_config, cfg.seed, cal);
  s.update(oracle_metrics(cfg.chip_config, ov));
  s["cadc"] = cadc_residuals(core, cal, cfg.chip_config.sensors.baseline_lsb);
  if (cal.rate_hz > 0) s["rate"] = rate_summary(nc.final_rates_hz(), cal.rate_hz);
  run.oracle_csv = oracle_csv(ov);
  return run;
}

void write_run(const CalibrationRun& run, const std::string& dir) {
  output::fs::create_directories(dir);
  run.calibration.write((output::fs::path(dir) / "calibration.json").string());
  output::write_json_atomic(output::fs::path(dir) / "summary.json", run.summary);
  output::write_file_atomic(output::fs::path(dir) / "oracle.csv", run.oracle_csv);
}

std::shared_ptr<const Calibration> resolve_calibration(const std::string& spec,
                                                       const config::ResolvedConfig& cfg) {
  const std::string hash = chip_hash(cfg.chip);
  const int n = cfg.chip_config.neurons_total();
  if (spec != "auto") {
    auto c = std::make_shared<Calibration>(Calibration::read(spec));
    c->check_belongs(spec, cfg.chip_config.name, cfg.seed, hash, n);
    return c;
  }
  const char* env = std::getenv("SALVO_CALIBRATION_CACHE");
  const output::fs::path root(env && *env ? env : "out/calibrations");
  const std::string name = fmt::format("{}-{}-seed{}", cfg.chip_config.name, hash, cfg.seed);
  const output::fs::path dir = root / name;
  const output::fs::path file = dir / "calibration.json";
  output::fs::create_directories(root);
  const CacheLock lock(root / (name + ".lock"));
  if (output::fs::exists(file)) {
    auto c = std::make_shared<Calibration>(Calibration::read(file.string()));
    c->check_belongs(file.string(), cfg.chip_config.name, cfg.seed, hash, n);
    return c;
  }
  AnalogCore core(cfg.chip_config, cfg.seed);
  CalibrationRun run = calibrate_chip(
      core, [&core](double t) { core.advance_to(t); }, cfg,
      [](const StepReport& r) { std::fprintf(stderr, "%s\n", describe(r).c_str()); });
  write_run(run, dir.string());
  return std::make_shared<const Calibration>(std::move(run.calibration));
}

}  // namespace salvo::calibration
