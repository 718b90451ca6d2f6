// Experiment `sampling`: N neurons (default 7), all-to-all signed synapses (exc/inh row pairs),
// each neuron driven by its own Poisson noise from the background sources, with refractory time
// τ_on so that z_i = 1 for τ_on after each spike. The host maps a Boltzmann machine onto the
// chip (per-neuron activation functions, sampling_calibration.hpp) and runs the learning loop:
// per iteration the network samples for sample_us while the correlation sensors and the rate
// counters are read every read_period_us; then
//   ΔW_ij = η_W (⟨z_i z_j⟩* − S_ij) + η_SAL·D_ij,   Δb_i = η_b (⟨z_i⟩* − r_i τ_on)
// with S_ij = k·(a_ij + c_ij)/T and D_ij = k·(a_ij − c_ij)/T from synapse j → i's sensors, k
// calibrated against the spike-derived ⟨z_i z_j⟩ of the initial validation run. Shadow weights
// and biases are kept in Boltzmann units on the host; the chip gets stochastically rounded
// signed codes and nearest leak codes.
#include "emulator/experiments/sampling.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <numeric>

#include <fmt/format.h>

#include "emulator/experiments/boltzmann.hpp"
#include "emulator/experiments/chip_setup.hpp"
#include "emulator/experiments/sal_network.hpp"
#include "emulator/experiments/sampling_calibration.hpp"
#include "emulator/experiments/sampling_firmware.hpp"
#include "hw/common/error.hpp"
#include "hw/common/rng.hpp"

namespace salvo::experiments {

using namespace config;

namespace {

struct SensorReader {
  AnalogCore& core;
  const SalNetwork& net;
  int n;
  std::vector<double> base_c, base_a;  // CADC zero per column, LSB (from Q8)
  std::vector<double> c, a;            // accumulated LSB per [post i * n + pre j]
  std::vector<double> counts;          // rate-counter sums per neuron
  std::uint64_t saturated = 0;         // readouts at the bottom of the range

  SensorReader(AnalogCore& core_, const SalNetwork& net_) : core(core_), net(net_) {
    n = static_cast<int>(net.columns.size());
    clear();
  }
  void clear() {
    c.assign(static_cast<std::size_t>(n) * n, 0.0);
    a = c;
    counts.assign(n, 0.0);
  }
  // CADC zero: the mean of 1024 conversions of freshly reset sensors, kept in Q8 as the
  // firmware does (docs/experiments.md, finding 1).
  void calibrate_zero(double t_us) {
    const int cols = core.neurons_per_half();
    auto& sens = core.sensors(net.half);
    auto& adc = core.cadc(net.half);
    sens.reset_all(t_us);
    std::vector<std::uint8_t> cc(cols), aa(cols);
    std::vector<long> sc(cols, 0), sa(cols, 0);
    const int reps = 1024;
    for (int r = 0; r < reps; ++r) {
      adc.convert_row(sens, net.exc_row(0), t_us, cc.data(), aa.data());
      for (int k = 0; k < cols; ++k) {
        sc[k] += cc[k];
        sa[k] += aa[k];
      }
    }
    base_c.resize(cols);
    base_a.resize(cols);
    for (int k = 0; k < cols; ++k) {
      base_c[k] = std::lround(sc[k] * 256.0 / reps) / 256.0;
      base_a[k] = std::lround(sa[k] * 256.0 / reps) / 256.0;
    }
  }
  // Reads (and resets) both rows of every pre neuron and the rate counters.
  void read(double t_us) {
    const int cols = core.neurons_per_half();
    auto& sens = core.sensors(net.half);
    auto& adc = core.cadc(net.half);
    std::vector<std::uint8_t> cc(cols), aa(cols);
    for (int j = 0; j < n; ++j)
      for (int row : {net.exc_row(j), net.inh_row(j)}) {
        adc.convert_row(sens, row, t_us, cc.data(), aa.data());
        for (int i = 0; i < n; ++i) {
          if (i == j) continue;
          const int col = net.columns[i];
          c[i * n + j] += base_c[col] - cc[col];
          a[i * n + j] += base_a[col] - aa[col];
          if (cc[col] <= 2 || aa[col] <= 2) ++saturated;
        }
        sens.reset_row(row, t_us);
      }
    for (int k = 0; k < n; ++k) {
      const int neuron = net.half * core.neurons_per_half() + net.columns[k];
      counts[k] += core.rate_counter(neuron);
      core.reset_rate_counter(neuron);
    }
  }
};

// Spike times per network neuron in [t0, t1) (plus τ_on before t0, whose on-state reaches in).
std::vector<std::vector<double>> spikes_in(const AnalogCore& core, const SalNetwork& net, double t0,
                                           double t1, double tau_on) {
  const int n = static_cast<int>(net.columns.size());
  std::vector<std::vector<double>> out(n);
  const auto& sp = core.spikes();
  auto it = std::lower_bound(sp.begin(), sp.end(), t0 - tau_on,
                             [](const RecordedSpike& s, double t) { return s.t_us < t; });
  const int base = net.half * core.neurons_per_half();  // columns are 0..n-1
  for (; it != sp.end() && it->t_us < t1; ++it) {
    const int k = it->neuron - base;
    if (k >= 0 && k < n) out[k].push_back(it->t_us);
  }
  return out;
}

class Sampling : public Experiment {
 public:
  void run(RunContext& ctx) override {
    const YAML::Node& e = ctx.exp;
    const std::string file = ctx.config.experiment_file;
    const int n = e["neurons"].as<int>();
    const bool sal = e["sal"].as<std::string>() == "on";
    const bool use_firmware = e["executor"].as<std::string>() == "firmware";
    const SamplingNeuronParams np{e["tau_on_us"].as<double>(), e["tau_syn_us"].as<double>(),
                                  e["tau_mem_us"].as<double>()};
    const double tau_on = np.tau_on_us;
    const int iterations = e["iterations"].as<int>();
    const double sample_us = e["sample_us"].as<double>();
    const double read_us = std::min(e["read_period_us"].as<double>(), sample_us);
    const double validation_us = e["validation_us"].as<double>();
    const double eta_w = e["eta_w"].as<double>(), eta_b = e["eta_b"].as<double>();
    const double eta_sal = sal ? e["eta_sal"].as<double>() : 0.0;
    const double grid_us = e["grid_us"].as<double>();
    const double pseudo = e["pseudo_count"].as<double>();
    const int dkl_every = e["dkl_every"].as<int>();

    Chip chip("chip", ctx.chip, ctx.seed, use_firmware ? 1 : 0);
    std::unique_ptr<SamplingFirmware> firmware;
    if (use_firmware)
      firmware = std::make_unique<SamplingFirmware>(chip, ctx.chip, ctx.seed,
                                                    firmware_image("sampling.elf"));
    AnalogCore& core = chip.core();
    SalNetwork net = setup_sal_network(core, e, n, file);
    try {
      set_sampling_time_constants(core, net, np);
    } catch (const UserError& err) {
      throw UserError(
          fmt::format("{}: experiment.tau_on_us/tau_syn_us/tau_mem_us: {}", file, err.what()));
    }
    auto& pm = core.parameters();
    const int leak_cell = ParameterMemory::cell_index(VoltageCell::kLeak);
    auto neuron_of = [&](int k) { return net.half * core.neurons_per_half() + net.columns[k]; };

    // --- activation functions (measured, or loaded from an earlier run's activation.json)
    ActivationCalibration cal;
    const std::string act_file = e["activation_file"].as<std::string>();
    if (!act_file.empty()) {
      std::ifstream f(act_file);
      if (!f)
        throw UserError(
            fmt::format("{}: experiment.activation_file: cannot read '{}'", file, act_file));
      try {
        cal = ActivationCalibration::from_json(nlohmann::json::parse(f));
      } catch (const std::exception& err) {
        throw UserError(
            fmt::format("{}: experiment.activation_file '{}': {}", file, act_file, err.what()));
      }
      if (cal.chip_name != ctx.chip.name || cal.seed != ctx.seed ||
          static_cast<int>(cal.neurons.size()) != n || std::fabs(cal.tau_on_us - tau_on) > 1e-9)
        throw UserError(fmt::format(
            "{}: experiment.activation_file '{}' was measured on chip '{}' seed {} with {} "
            "neurons, tau_on {} µs (allowed: the same chip, seed, neurons and tau_on_us as this "
            "run)",
            file, act_file, cal.chip_name, cal.seed, cal.neurons.size(), cal.tau_on_us));
    } else {
      ActivationOptions opt;
      opt.tau_on_us = tau_on;
      opt.read_period_us = read_us;
      opt.window_us = e["activation_window_us"].as<double>();
      opt.points = e["activation_points"].as<int>();
      opt.step_codes = e["activation_step_codes"].as<double>();
      cal = measure_activation(ctx, chip, net, opt);
    }
    std::ofstream(ctx.out / "activation.json") << cal.to_json().dump(1) << "\n";
    double alpha_mean = 0, rms_max = 0, max_err = 0;
    int fits_ok = 0;
    for (const auto& a : cal.neurons) {
      alpha_mean += a.fit.alpha * cal.mV_per_code / n;
      rms_max = std::max(rms_max, a.fit.rms_error);
      max_err = std::max(max_err, a.fit.max_error);
      fits_ok += a.fit.ok ? 1 : 0;
    }
    ctx.metrics["activation_alpha_mean_mV"] = alpha_mean;
    ctx.metrics["activation_fit_rms_max"] = rms_max;
    ctx.metrics["activation_fit_max_error"] = max_err;
    ctx.metrics["activation_fits_ok"] = fits_ok;
    if (fits_ok != n)
      ctx.summary_lines.push_back(fmt::format(
          "warning: {} of {} neurons have no usable activation function (activation.json: p "
          "does not follow the leak, e.g. reset above threshold); they stay in the network",
          n - fits_ok, n));

    BoltzmannMapping map(core, net, cal, np);
    ctx.metrics["psp_kappa"] = map.kappa();

    // --- target and initial machine
    const auto target = boltzmann::draw_target(n, e["target_seed"].as<std::uint64_t>());
    const auto p_star = boltzmann::distribution(target);
    const auto mom_star = boltzmann::moments(p_star, n);
    auto model = boltzmann::draw_initial(n, ctx.seed, e["sigma_sym"].as<double>(),
                                         e["sigma_init"].as<double>());
    Engine round_eng = make_engine(ctx.seed, Stream::kExperiment, 0x5A3917);
    const int wm = core.synapses(net.half).weight_max();
    std::vector<int> codes(static_cast<std::size_t>(n) * n, 0);
    auto program = [&]() {
      for (int i = 0; i < n; ++i)
        for (int j = 0; j < n; ++j) {
          if (i == j) continue;
          double c = map.weight_code(i, j, model.weight(i, j));
          if (std::fabs(c) > wm) {  // clip the shadow to the representable range
            model.weight(i, j) *= wm / std::fabs(c);
            c = std::copysign(wm, c);
          }
          const double fl = std::floor(c);
          const int code = static_cast<int>(fl) + (draw_uniform01(round_eng) < c - fl ? 1 : 0);
          codes[i * n + j] = std::clamp(code, -wm, wm);
          set_signed_weight(core, net, j, i, codes[i * n + j]);
        }
      for (int i = 0; i < n; ++i) {
        double u = map.bias_code(i, model.b[i]);
        if (u < 0 || u > pm.code_max()) {
          u = std::clamp(u, 0.0, static_cast<double>(pm.code_max()));
          model.b[i] = map.bias_of_code(i, u);
        }
        core.write_parameter(neuron_of(i), leak_cell, static_cast<int>(std::lround(u)));
      }
    };
    auto effective = [&]() {
      std::vector<double> w(static_cast<std::size_t>(n) * n, 0.0);
      for (int i = 0; i < n; ++i)
        for (int j = 0; j < n; ++j)
          if (i != j) w[i * n + j] = map.effective_weight(core, i, j);
      return w;
    };
    auto code_asym = [&]() {
      std::vector<double> w(codes.begin(), codes.end());
      return boltzmann::asymmetry(w, n);
    };
    SensorReader reader(core, net);
    reader.calibrate_zero(core.now_us());
    auto advance = [&](double t) {
      const double now = sc_core::sc_time_stamp().to_seconds() * 1e6;
      if (t > now) sc_core::sc_start(sc_core::sc_time(t - now, sc_core::SC_US));
      core.advance_to(t);
      ctx.progress.update(t);
    };
    // Samples for `duration`, reading sensors and counters every read period.
    auto sample = [&](double duration) {
      reader.clear();
      const double t0 = core.now_us(), t1 = t0 + duration;
      core.reset_rate_counters();
      core.sensors(net.half).reset_all(t0);
      for (double t = t0 + read_us; t <= t1 + 1e-9; t += read_us) {
        advance(t);
        reader.read(core.now_us());
      }
      if (core.now_us() < t1 - 1e-9) {
        advance(t1);
        reader.read(core.now_us());
      }
      return std::pair<double, double>(t0, core.now_us());
    };
    auto dkl_of = [&](double t0, double t1, std::vector<double>* p_out) {
      const auto counts =
          boltzmann::state_counts(spikes_in(core, net, t0, t1, tau_on), n, tau_on, t0, t1, grid_us);
      const auto p = boltzmann::normalise_counts(counts, pseudo);
      if (p_out) *p_out = p;
      return boltzmann::kl_divergence(p_star, p);
    };

    // --- sensor calibration: recurrent weights 0 (still from the activation measurement),
    // every neuron at its p = ½ leak, so the sensors see chance coincidences only. Per synapse
    // j → i: g_ij = A/C (the two sensors' amplitude/τ mismatch; SAL then uses a − g·c) and
    // k_ij = spike-derived ⟨z_i z_j⟩ / ((A + g·C)/T) (the Hebbian estimate's own scale).
    const std::string sens_cal = e["sensor_calibration"].as<std::string>();
    const double t_total_start = core.now_us();
    const double t_sens = sens_cal == "none" ? 0.0 : e["sensor_calibration_us"].as<double>();
    ctx.progress.set_total(t_total_start + t_sens + 2 * validation_us + iterations * sample_us);
    std::vector<double> g(static_cast<std::size_t>(n) * n, 1.0), k_syn(g.size(), 0.0);
    if (sens_cal != "none") {
      for (int i = 0; i < n; ++i)
        for (int j = 0; j < n; ++j)
          if (i != j) set_signed_weight(core, net, j, i, 0);
      for (int i = 0; i < n; ++i)
        core.write_parameter(neuron_of(i), leak_cell,
                             static_cast<int>(std::lround(map.bias_code(i, 0.0))));
      auto [s0, s1] = sample(t_sens);
      const auto counts =
          boltzmann::state_counts(spikes_in(core, net, s0, s1, tau_on), n, tau_on, s0, s1, grid_us);
      const auto mom = boltzmann::moments(boltzmann::normalise_counts(counts, 0.0), n);
      std::vector<double> gains;
      for (int i = 0; i < n; ++i)
        for (int j = 0; j < n; ++j) {
          if (i == j) continue;
          const double A = reader.a[i * n + j], C = reader.c[i * n + j];
          g[i * n + j] = (A > 0 && C > 0) ? std::clamp(A / C, 0.25, 4.0) : 1.0;
          gains.push_back(g[i * n + j]);
          const double S = (A + g[i * n + j] * C) / (s1 - s0);
          if (sens_cal == "full" && S > 0) k_syn[i * n + j] = mom.corr[i * n + j] / S;
        }
      double gm = 0, gv = 0;
      for (double x : gains) gm += x / gains.size();
      for (double x : gains) gv += (x - gm) * (x - gm) / gains.size();
      ctx.metrics["sensor_gain_mean"] = gm;
      ctx.metrics["sensor_gain_spread"] = std::sqrt(gv) / gm;
    }
    program();

    // --- initial validation; it also calibrates the global coincidence scale k of S_ij
    // (sensor_calibration none/gain).
    const auto w_eff0 = effective();
    const double asym0 = boltzmann::asymmetry(w_eff0, n), asym_codes0 = code_asym();
    auto [v0, v1] = sample(validation_us);
    std::vector<double> p_initial;
    const double dkl0 = dkl_of(v0, v1, &p_initial);
    const auto mom0 = boltzmann::moments(p_initial, n);
    double sum_zz = 0, sum_s = 0;
    for (int i = 0; i < n; ++i)
      for (int j = 0; j < n; ++j)
        if (i != j) {
          sum_zz += mom0.corr[i * n + j];
          sum_s += (reader.a[i * n + j] + g[i * n + j] * reader.c[i * n + j]) / (v1 - v0);
        }
    if (sum_s <= 0)
      throw RunFailure("coincidence calibration: the correlation sensors saw no pairs");
    const double k_scale = sum_zz / sum_s;  // ⟨z_i z_j⟩ per LSB/µs of (a + g·c)
    if (sens_cal != "full") std::fill(k_syn.begin(), k_syn.end(), k_scale);
    double err2 = 0, ref2 = 0;
    for (int i = 0; i < n; ++i)
      for (int j = 0; j < n; ++j)
        if (i != j) {
          const double s = k_syn[i * n + j] *
                           (reader.a[i * n + j] + g[i * n + j] * reader.c[i * n + j]) / (v1 - v0);
          err2 += (s - mom0.corr[i * n + j]) * (s - mom0.corr[i * n + j]);
          ref2 += mom0.corr[i * n + j] * mom0.corr[i * n + j];
        }
    ctx.metrics["coincidence_scale"] = k_scale;
    ctx.metrics["coincidence_fit_rel_error"] = ref2 > 0 ? std::sqrt(err2 / ref2) : 0.0;

    // --- learning
    output::CsvWriter dkl_csv(ctx.out / "dkl.csv", {"iteration", "dkl"});
    output::CsvWriter asym_csv(
        ctx.out / "asymmetry.csv",
        {"iteration", "asymmetry_effective", "asymmetry_codes_div100", "asymmetry_shadow"});
    dkl_csv.row(0, dkl0);
    asym_csv.row(0, asym0, asym_codes0 / 100, boltzmann::asymmetry(model));
    double window_start = core.now_us();
    if (firmware && iterations > 0) {
      // The same rule on the processor: it reads every read period and updates every
      // sample_us / read_period_us reads; the host only watches, window by window.
      const int reads = std::max(1, static_cast<int>(std::lround(sample_us / read_us)));
      SamplingFirmwareParams fp;
      fp.n = n;
      fp.iterations = iterations;
      fp.reads_per_iteration = reads;
      fp.read_period_us = read_us;
      fp.tau_on_us = tau_on;
      fp.eta_w = eta_w;
      fp.eta_b = eta_b;
      fp.eta_sal = eta_sal;
      fp.sal = sal;
      fp.leak_cell = leak_cell;
      fp.code_max = pm.code_max();
      fp.w_max = wm;
      for (int i = 0; i < n; ++i) {
        fp.exc_row.push_back(net.exc_row(i));
        fp.column.push_back(net.columns[i]);
        fp.neuron.push_back(neuron_of(i));
        fp.target_mean.push_back(mom_star.mean[i]);
        fp.u0_code.push_back(map.bias_code(i, 0.0));
        fp.alpha_code.push_back(map.bias_code(i, 1.0) - map.bias_code(i, 0.0));
        fp.b.push_back(model.b[i]);
      }
      fp.target_corr = mom_star.corr;
      fp.k = k_syn;
      fp.g = g;
      fp.w = model.w;
      for (int i = 0; i < n; ++i)
        for (int j = 0; j < n; ++j) {
          fp.codes_pos.push_back(i == j ? 0.0 : map.weight_code(i, j, 1.0));
          fp.codes_neg.push_back(i == j ? 0.0 : -map.weight_code(i, j, -1.0));
        }
      firmware->start(fp);
      const double window = dkl_every * sample_us;
      const double t_start = core.now_us();
      const double t_limit = t_start + 2.0 * iterations * sample_us + 10000;
      int done_before = 0;
      while (!firmware->ended() && core.now_us() < t_limit) {
        advance(core.now_us() + window);
        firmware->check();
        const int done = static_cast<int>(firmware->iterations_done());
        std::vector<double> wsh, bsh;
        firmware->read_shadow(wsh, bsh);
        for (int i = 0; i < n; ++i)
          for (int j = 0; j < n; ++j)
            codes[i * n + j] = i == j ? 0 : signed_weight(core, net, j, i);
        asym_csv.row(done, boltzmann::asymmetry(effective(), n), code_asym() / 100,
                     boltzmann::asymmetry(wsh, n));
        if (done > done_before) dkl_csv.row(done, dkl_of(window_start, core.now_us(), nullptr));
        done_before = done;
        window_start = core.now_us();
      }
      firmware->check();
      if (!firmware->ended())
        throw RunFailure(fmt::format(
            "sampling firmware did not finish {} iterations in twice their time", iterations));
      firmware->read_shadow(model.w, model.b);
      for (int i = 0; i < n; ++i)
        for (int j = 0; j < n; ++j) codes[i * n + j] = i == j ? 0 : signed_weight(core, net, j, i);
      firmware->report(ctx);
    }
    for (int it = 1; it <= (firmware ? 0 : iterations); ++it) {
      auto [t0, t1] = sample(sample_us);
      const double T = t1 - t0;
      for (int i = 0; i < n; ++i) {
        for (int j = 0; j < n; ++j) {
          if (i == j) continue;
          const double a = reader.a[i * n + j], c = g[i * n + j] * reader.c[i * n + j];
          const double s = k_syn[i * n + j] * (a + c) / T;
          const double d = k_syn[i * n + j] * (a - c) / T;
          model.weight(i, j) += eta_w * (mom_star.corr[i * n + j] - s) + eta_sal * d;
        }
        model.b[i] += eta_b * (mom_star.mean[i] - reader.counts[i] * tau_on / T);
      }
      program();
      asym_csv.row(it, boltzmann::asymmetry(effective(), n), code_asym() / 100,
                   boltzmann::asymmetry(model));
      if (it % dkl_every == 0 || it == iterations) {
        dkl_csv.row(it, dkl_of(window_start, core.now_us(), nullptr));
        window_start = core.now_us();
      }
    }
    dkl_csv.close();
    asym_csv.close();

    // --- final validation
    const auto w_eff1 = effective();
    auto [f0, f1] = sample(validation_us);
    std::vector<double> p_final;
    const double dkl1 = dkl_of(f0, f1, &p_final);
    const auto mom1 = boltzmann::moments(p_final, n);

    // Distribution table sorted by p*.
    std::vector<int> order(p_star.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(),
                     [&](int x, int y) { return p_star[x] > p_star[y]; });
    output::CsvWriter dist(ctx.out / "distribution.csv",
                           {"rank", "state", "p_target", "p_initial", "p_final"});
    for (std::size_t r = 0; r < order.size(); ++r)
      dist.row(r, order[r], p_star[order[r]], p_initial[order[r]], p_final[order[r]]);
    dist.close();
    {
      output::CsvWriter wcsv(ctx.out / "sampling_weights.csv",
                             {"post", "pre", "target", "shadow_final", "effective_initial",
                              "effective_final", "code_final"});
      for (int i = 0; i < n; ++i)
        for (int j = 0; j < n; ++j)
          if (i != j)
            wcsv.row(i, j, target.weight(i, j), model.weight(i, j), w_eff0[i * n + j],
                     w_eff1[i * n + j], codes[i * n + j]);
      wcsv.close();
    }
    collect_stats(ctx, core);
    write_recordings(ctx, core);

    auto mean_abs_diff = [&](const std::vector<double>& x, const std::vector<double>& y) {
      double s = 0;
      for (std::size_t k = 0; k < x.size(); ++k) s += std::fabs(x[k] - y[k]) / x.size();
      return s;
    };
    const double asym1 = boltzmann::asymmetry(w_eff1, n);
    ctx.metrics["dkl_initial"] = dkl0;
    ctx.metrics["dkl_final"] = dkl1;
    ctx.metrics["asymmetry_initial"] = asym0;
    ctx.metrics["asymmetry_final"] = asym1;
    ctx.metrics["asymmetry_codes_initial"] = asym_codes0;
    ctx.metrics["asymmetry_codes_final"] = code_asym();
    ctx.metrics["asymmetry_shadow_final"] = boltzmann::asymmetry(model);
    ctx.metrics["mean_error_initial"] = mean_abs_diff(mom_star.mean, mom0.mean);
    ctx.metrics["mean_error_final"] = mean_abs_diff(mom_star.mean, mom1.mean);
    ctx.metrics["corr_error_initial"] = mean_abs_diff(mom_star.corr, mom0.corr);
    ctx.metrics["corr_error_final"] = mean_abs_diff(mom_star.corr, mom1.corr);
    ctx.metrics["sensor_saturated_reads"] = reader.saturated;
    double rate = 0;
    for (double c : reader.counts) rate += c / ((f1 - f0) * 1e-6) / n;
    ctx.metrics["rate_final_mean_hz"] = rate;
    ctx.summary_lines.push_back(fmt::format(
        "{} neurons, SAL {}, sigma_init {}: D_KL {:.3f} -> {:.3f} after {} iterations of {} µs", n,
        sal ? "on" : "off", e["sigma_init"].as<double>(), dkl0, dkl1, iterations, sample_us));
    ctx.summary_lines.push_back(
        fmt::format("effective asymmetry Var(W_ij - W_ji) {:.4f} -> {:.4f}; codes {:.2f} -> {:.2f}",
                    asym0, asym1, asym_codes0, code_asym()));
    ctx.summary_lines.push_back(fmt::format(
        "activation: alpha {:.2f} mV mean, logistic fit rms <= {:.3f}; S scale fit error {:.0f} %",
        alpha_mean, rms_max, 100 * ctx.metrics["coincidence_fit_rel_error"].get<double>()));
  }
};

}  // namespace

ExperimentInfo sampling_info() {
  auto keys = common_keys("sampling", 1.0);
  for (auto& k : keys)
    if (k.first == "duration_us")
      k.second = Float(1.0, 0.001, 1e9,
                       "not used by sampling: the run length follows from the calibrations, "
                       "validation_us and iterations x sample_us");
  keys.push_back({"neurons", Int(7, 1, 12, "sampling neurons (2^N states; N <= 12)")});
  keys.push_back({"sal", Enum("on", {"on", "off"}, "SAL term in the learning rule")});
  keys.push_back({"executor", Enum("host", {"host", "firmware"},
                                   "who computes the rule: the host (reading sensors and rate "
                                   "counters as the firmware would), or the firmware "
                                   "build/firmware/sampling.elf on the emulated processor")});
  keys.push_back({"sigma_init", Float(0.4, 0.0, 10.0,
                                      "initial asymmetry noise: i.i.d. N(0, sigma_init^2) per "
                                      "direction on top of the symmetric part (Boltzmann units)")});
  keys.push_back({"sigma_sym", Float(0.2, 0.0, 10.0,
                                     "symmetric part of the initial weights N(0, sigma_sym^2)")});
  keys.push_back(
      {"target_seed", Int(1, 0, 1000000000, "seed of the target W*, b* (uniform [-1, 1])")});
  keys.push_back(
      {"eta_w", Float(0.1, 0.0, 100.0, "learning rate of the Hebbian (wake-sleep) term")});
  keys.push_back({"eta_b", Float(0.1, 0.0, 100.0, "learning rate of the biases")});
  keys.push_back({"eta_sal", Float(0.1, 0.0, 100.0, "learning rate of the SAL term (sal: on)")});
  keys.push_back({"iterations", Int(100, 0, 10000000, "learning iterations")});
  keys.push_back({"sample_us", Float(5000.0, 1.0, 1e9, "sampling time per iteration")});
  keys.push_back({"read_period_us",
                  Float(1000.0, 1.0, 1e9,
                        "sensors (CADC) and 8-bit rate counters are read and reset this often")});
  keys.push_back(
      {"validation_us", Float(100000.0, 1.0, 1e9,
                              "initial and final validation sampling (D_KL); the initial "
                              "one also calibrates the coincidence scale of S_ij")});
  keys.push_back({"dkl_every", Int(10, 1, 1000000, "iterations per dkl.csv row (D_KL over them)")});
  keys.push_back({"grid_us", Float(1.0, 0.01, 1000.0, "time grid on which states are sampled")});
  keys.push_back({"pseudo_count", Float(1.0, 0.0, 1e6,
                                        "grid samples added to every state before D_KL "
                                        "(keeps D_KL finite when a state is never visited)")});
  keys.push_back({"tau_on_us", Float(20.0, 0.5, 1000.0,
                                     "refractory time = on-state of a sampling neuron, set "
                                     "through the parameter memory")});
  keys.push_back({"tau_syn_us", Float(20.0, 1.0, 1000.0, "synaptic time constant (≈ tau_on)")});
  keys.push_back(
      {"tau_mem_us", Float(2.5, 2.2, 1000.0, "membrane time constant (short: fast response)")});
  keys.push_back(
      {"sensor_calibration",
       Enum("full", {"none", "gain", "full"},
            "correlation-sensor calibration with the neurons uncoupled (chance coincidences "
            "only): none = raw sensors, one global scale for S (their mismatch is the paper's "
            "plasticity noise); gain = per synapse the acausal/causal ratio g, SAL uses a − g·c; "
            "full = gain and a per-synapse scale of S against the spike-derived ⟨z_i z_j⟩")});
  keys.push_back({"sensor_calibration_us",
                  Float(100000.0, 1.0, 1e9, "length of the sensor calibration phase")});
  keys.push_back(
      {"activation_file", String("",
                                 "activation.json of an earlier run on the same chip and seed "
                                 "(skips the activation measurement)")});
  keys.push_back({"activation_window_us", Float(5000.0, 10.0, 1e9, "window per activation point")});
  keys.push_back({"activation_points", Int(15, 3, 200, "points of the activation sweep")});
  keys.push_back({"activation_step_codes",
                  Float(5.0, 1.0, 200.0, "leak-code spacing of the activation sweep")});
  // Network operating point and noise (read by setup_sal_network).
  for (auto& k : sal_common_keys()) {
    static const std::vector<std::string> used = {
        "v_leak_mV",         "v_reset_mV",       "v_threshold_mV",  "noise_rate_exc_hz",
        "noise_rate_inh_hz", "noise_weight_exc", "noise_weight_inh"};
    if (std::find(used.begin(), used.end(), k.first) == used.end()) continue;
    if (k.first == "v_leak_mV")
      k.second = Float(800.0, 0.0, 1200.0, "initial leak target (the calibration moves it)");
    if (k.first == "v_reset_mV")
      k.second = Float(720.0, 0.0, 1200.0,
                       "reset target (well below threshold: mismatch must not lift it above)");
    keys.push_back(k);
  }
  ExperimentInfo info;
  info.name = "sampling";
  info.summary =
      "spiking Boltzmann machine (LIF sampling under noise) learns a target distribution; "
      "Hebbian rule from the correlation sensors with or without SAL";
  info.schema = Map(keys);
  info.make = [] { return std::make_unique<Sampling>(); };
  return info;
}

}  // namespace salvo::experiments
