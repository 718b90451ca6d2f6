#include "emulator/calibration/calibrate.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>

#include <fmt/format.h>

#include "emulator/calibration/bench.hpp"
#include "emulator/calibration/oracle.hpp"
#include "emulator/calibration/sensor_calibration.hpp"
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

// Relative spread (5 % trimmed std / mean) of the finite values.
double rel_spread(const std::vector<double>& v) {
  std::vector<double> f;
  double mean = 0;
  for (double x : v)
    if (std::isfinite(x)) f.push_back(x), mean += x;
  return f.size() > 2 && mean != 0 ? trimmed_std(f) / (mean / f.size()) : 0.0;
}

double mean_of(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return v.empty() ? 0.0 : s / v.size();
}

// The sensors' hidden truth next to what the calibration measured and set: spread of the true
// amplitude and τ per channel and of the channel mean (the trims are shared by both channels)
// at the nominal trims, at the chosen trims, and at trims chosen from the true values (what
// ideal 2-bit trims could do); and how far the measurement was from the truth.
nlohmann::json sensor_summary(AnalogCore& core, const ChipConfig& chip, const SensorCalibration& sc,
                              const SensorMeasurement& m) {
  const SensorConfig& p = chip.sensors;
  const int nominal = 1 << (p.trim_bits - 1);
  const SensorChannel chs[2] = {SensorChannel::kCausal, SensorChannel::kAcausal};
  std::vector<double> amp[2], tau[2], amp_mean, tau_mean, err_a[2], err_t[2];
  for (int h = 0; h < core.halves(); ++h) {
    const CorrelationSensors& s = core.sensors(h);
    for (int r = 0; r < s.rows(); ++r)
      for (int c = 0; c < s.columns(); ++c) {
        const std::size_t k = static_cast<std::size_t>(r) * s.columns() + c;
        for (int ch = 0; ch < 2; ++ch) {
          amp[ch].push_back(p.amplitude_lsb * s.amplitude_mismatch(chs[ch], r, c));
          tau[ch].push_back(
              std::clamp(p.tau_us * s.tau_mismatch(chs[ch], r, c), p.tau_min_us, p.tau_max_us));
          const double ma = m.amplitude_lsb[ch][h][k], mt = m.tau_us[ch][h][k];
          if (std::isfinite(ma)) err_a[ch].push_back(ma / amp[ch].back() - 1);
          if (std::isfinite(mt)) err_t[ch].push_back(mt / tau[ch].back() - 1);
        }
        amp_mean.push_back(0.5 * (amp[0].back() + amp[1].back()));
        tau_mean.push_back(0.5 * (tau[0].back() + tau[1].back()));
      }
  }
  auto rms = [](const std::vector<double>& e) {
    double s = 0;
    for (double x : e) s += x * x;
    return e.empty() ? 0.0 : std::sqrt(s / e.size());
  };
  auto flat = [](const std::vector<std::vector<std::uint8_t>>& t) {
    std::vector<std::uint8_t> f;
    for (const auto& h : t) f.insert(f.end(), h.begin(), h.end());
    return f;
  };
  std::vector<std::uint8_t> ideal_a, ideal_t;
  choose_trims(amp_mean, p.trim_bits, p.trim_step_amplitude, 0.0,
               std::numeric_limits<double>::infinity(), p.amplitude_lsb, ideal_a);
  choose_trims(tau_mean, p.trim_bits, p.trim_step_tau, p.tau_min_us, p.tau_max_us, p.tau_us,
               ideal_t);
  // Spreads with trims `ta`, `tt` (empty: nominal).
  auto spreads = [&](const std::vector<std::uint8_t>& ta, const std::vector<std::uint8_t>& tt) {
    std::vector<double> a[3], t[3];
    for (std::size_t k = 0; k < amp_mean.size(); ++k) {
      const double fa = ta.empty() ? 1.0 : 1 + p.trim_step_amplitude * (ta[k] - nominal);
      const double ft = tt.empty() ? 1.0 : 1 + p.trim_step_tau * (tt[k] - nominal);
      for (int ch = 0; ch < 2; ++ch) {
        a[ch].push_back(amp[ch][k] * fa);
        t[ch].push_back(std::clamp(tau[ch][k] * ft, p.tau_min_us, p.tau_max_us));
      }
      a[2].push_back(0.5 * (a[0].back() + a[1].back()));
      t[2].push_back(0.5 * (t[0].back() + t[1].back()));
    }
    return nlohmann::json{{"amplitude_causal", rel_spread(a[0])},
                          {"amplitude_acausal", rel_spread(a[1])},
                          {"amplitude_channel_mean", rel_spread(a[2])},
                          {"tau_causal", rel_spread(t[0])},
                          {"tau_acausal", rel_spread(t[1])},
                          {"tau_channel_mean", rel_spread(t[2])},
                          {"amplitude_mean_lsb", mean_of(a[2])},
                          {"tau_mean_us", mean_of(t[2])}};
  };
  return {{"amplitude_causal_lsb", sc.amplitude_causal_lsb},
          {"amplitude_acausal_lsb", sc.amplitude_acausal_lsb},
          {"tau_causal_us", sc.tau_causal_us},
          {"tau_acausal_us", sc.tau_acausal_us},
          {"amplitude_target_lsb", sc.amplitude_target_lsb},
          {"tau_target_us", sc.tau_target_us},
          {"unmeasured_synapses", sc.unmeasured},
          {"posts_per_trigger", m.posts_per_trigger},
          {"bad_columns", m.bad_columns},
          {"measurement_error_rms",
           {{"amplitude_causal", rms(err_a[0])},
            {"amplitude_acausal", rms(err_a[1])},
            {"tau_causal", rms(err_t[0])},
            {"tau_acausal", rms(err_t[1])}}},
          {"spread_nominal_trims", spreads({}, {})},
          {"spread_calibrated_trims", spreads(flat(sc.amplitude_trim), flat(sc.tau_trim))},
          {"spread_ideal_trims", spreads(ideal_a, ideal_t)}};
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
  std::vector<StepReport> steps_done = nc.steps();
  SensorCalibrator sensors(bench, cfg.chip_config);
  if (cfg.chip_config.sensors.enabled && cfg.chip_config.calibration.sensors) {
    const auto w0 = std::chrono::steady_clock::now();
    const double s0 = core.now_us();
    sensors.run(cal.sensors);
    StepReport r{"sensors", core.now_us() - s0,
                 std::chrono::duration<double>(std::chrono::steady_clock::now() - w0).count(), 0};
    steps_done.push_back(r);
    if (progress) progress(r);
  }
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
  for (const auto& r : steps_done)
    steps.push_back({{"name", r.name},
                     {"emulated_us", r.emulated_us},
                     {"wall_s", r.wall_s},
                     {"write_rounds", r.write_rounds}});
  s["steps"] = steps;
  // The hidden truth, after the fact (never seen by the procedures).
  const OracleValues ov = oracle_values(cfg.chip_config, cfg.seed, cal);
  s.update(oracle_metrics(cfg.chip_config, ov));
  s["cadc"] = cadc_residuals(core, cal, cfg.chip_config.sensors.baseline_lsb);
  if (!cal.sensors.empty())
    s["sensors"] = sensor_summary(core, cfg.chip_config, cal.sensors, sensors.measured());
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
  const std::string name =
      fmt::format("{}-{}-seed{}-{}", cfg.chip_config.name, hash, cfg.seed, kProcedureVersion);
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
