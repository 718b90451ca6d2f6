#include "emulator/experiments/sampling/sampling.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <numeric>

#include <fmt/format.h>

#include "emulator/experiments/sampling/sampling_firmware.hpp"
#include "emulator/session/session.hpp"
#include "firmware/sampling/sampling_config.h"
#include "hw/common/error.hpp"

namespace salvo::experiments {

using namespace config;

const Fields<SamplingParams>& Sampling::fields() {
  using P = SamplingParams;
  static const Fields<P> f = [] {
    Fields<P> f = {
        duration_field<P>("not used by sampling: the run length follows from the calibrations, "
                          "validation_us and iterations x sample_us"),
        field("neurons", &P::neurons, 1, 12, "sampling neurons (2^N states; N <= 12)"),
        choice("sal", &P::sal, {"on", "off"}, "SAL term in the learning rule"),
        choice("executor", &P::executor, {"host", "firmware"},
               "who computes the rule: the host (reading sensors and rate counters as the firmware "
               "would), or the firmware build/firmware/sampling.elf on the emulated processor"),
        field("sigma_init", &P::sigma_init, 0.0, 10.0,
              "initial asymmetry noise: i.i.d. N(0, sigma_init^2) per direction on top of the "
              "symmetric part (Boltzmann units)"),
        field("sigma_sym", &P::sigma_sym, 0.0, 10.0,
              "symmetric part of the initial weights N(0, sigma_sym^2)"),
        field("target_seed", &P::target_seed, 0, 1000000000,
              "seed of the target W*, b* (uniform [-1, 1])"),
        field("eta_w", &P::eta_w, 0.0, 100.0, "learning rate of the Hebbian (wake-sleep) term"),
        field("eta_b", &P::eta_b, 0.0, 100.0, "learning rate of the biases"),
        field("eta_sal", &P::eta_sal, 0.0, 100.0, "learning rate of the SAL term (sal: on)"),
        field("iterations", &P::iterations, 0, 10000000, "learning iterations"),
        field("sample_us", &P::sample_us, 1.0, 1e9, "sampling time per iteration"),
        field("read_period_us", &P::read_period_us, 1.0, 1e9,
              "sensors (CADC) and 8-bit rate counters are read and reset this often"),
        field("validation_us", &P::validation_us, 1.0, 1e9,
              "initial and final validation sampling (D_KL); the initial one also calibrates the "
              "coincidence scale of S_ij"),
        field("dkl_every", &P::dkl_every, 1, 1000000,
              "iterations per dkl.csv row (D_KL over them)"),
        field("grid_us", &P::grid_us, 0.01, 1000.0, "time grid on which states are sampled"),
        field("pseudo_count", &P::pseudo_count, 1e-6, 1e6,
              "grid samples added to every state before D_KL (> 0: keeps D_KL finite when a "
              "state is never visited)"),
        field("tau_on_us", &P::tau_on_us, 0.5, 1000.0,
              "refractory time = on-state of a sampling neuron, set through the parameter memory"),
        field("tau_syn_us", &P::tau_syn_us, 1.0, 1000.0, "synaptic time constant (≈ tau_on)"),
        field("tau_mem_us", &P::tau_mem_us, 2.2, 1000.0,
              "membrane time constant (short: fast response)"),
        choice("sensor_calibration", &P::sensor_calibration, {"none", "gain", "full"},
               "correlation-sensor calibration with the neurons uncoupled (chance coincidences "
               "only): none = raw sensors, one global scale for S (their mismatch is the paper's "
               "plasticity noise); gain = per synapse the acausal/causal ratio g, SAL uses a − "
               "g·c; full = gain and a per-synapse scale of S against the spike-derived ⟨z_i "
               "z_j⟩"),
        field("sensor_calibration_us", &P::sensor_calibration_us, 1.0, 1e9,
              "length of the sensor calibration phase"),
        field("activation_file", &P::activation_file,
              "activation.json of an earlier run on the same chip and seed (skips the activation "
              "measurement)"),
        field("activation_window_us", &P::activation_window_us, 10.0, 1e9,
              "window per activation point"),
        field("activation_points", &P::activation_points, 3, 200, "points of the activation sweep"),
        field("activation_step_codes", &P::activation_step_codes, 1.0, 200.0,
              "leak-code spacing of the activation sweep"),
    };
    for (auto& k : neuron_drive_fields<P>(
             {}, "initial leak target (the calibration moves it)",
             "reset target (well below threshold: mismatch must not lift it above)"))
      f.push_back(std::move(k));
    return f;
  }();
  return f;
}

void Sampling::check(const Params& p, const Checker& check) {
  check_sal_network(p.neurons, "neurons", check);
  if (p.executor != "firmware") return;
  check.require(p.neurons <= SAMPLING_MAX_N, "neurons",
                fmt::format("{} neurons do not fit the sampling firmware", p.neurons),
                fmt::format("1..{}, or executor: host", SAMPLING_MAX_N));
  // The firmware reads every read period and updates every sample_us / read_period_us reads.
  const double reads = p.sample_us / std::min(p.read_period_us, p.sample_us);
  check.require(std::fabs(reads - std::round(reads)) < 1e-9 * reads, "sample_us",
                fmt::format("{} µs is not a whole number of read periods ({} µs)", p.sample_us,
                            p.read_period_us),
                "a multiple of experiment.read_period_us (executor: firmware)");
}

void Sampling::run(RunContext& ctx) {
  session::Session s(ctx, on_firmware() ? 1 : 0);
  wire(s);
  activation(s);
  init_machine(s);
  calibrate_sensors(s);
  validate_initial(s);
  if (on_firmware() && p_.iterations > 0)
    learn_on_firmware(s);
  else
    learn_on_host(s);
  validate_final(s);
  s.finish();
  write_metrics(s);
}

void Sampling::wire(session::Session& s) {
  net_ = setup_sal_network(s.core(), p_, n());
  try {
    set_sampling_time_constants(s.core(), net_, {p_.tau_on_us, p_.tau_syn_us, p_.tau_mem_us});
  } catch (const UserError& err) {
    throw UserError(fmt::format("{}: experiment.tau_on_us/tau_syn_us/tau_mem_us: {}",
                                s.ctx().config.experiment_file, err.what()));
  }
}

void Sampling::activation(session::Session& s) {
  RunContext& ctx = s.ctx();
  const std::string& file = ctx.config.experiment_file;
  const std::string& act_file = p_.activation_file;
  if (!act_file.empty()) {
    std::ifstream f(act_file);
    if (!f)
      throw UserError(
          fmt::format("{}: experiment.activation_file: cannot read '{}'", file, act_file));
    try {
      cal_ = ActivationCalibration::from_json(nlohmann::json::parse(f));
    } catch (const std::exception& err) {
      throw UserError(
          fmt::format("{}: experiment.activation_file '{}': {}", file, act_file, err.what()));
    }
    if (cal_.chip_name != ctx.chip.name || cal_.seed != ctx.seed ||
        static_cast<int>(cal_.neurons.size()) != n() ||
        std::fabs(cal_.tau_on_us - p_.tau_on_us) > 1e-9)
      throw UserError(fmt::format(
          "{}: experiment.activation_file '{}' was measured on chip '{}' seed {} with {} neurons, "
          "tau_on {} µs (allowed: the same chip, seed, neurons and tau_on_us as this run)",
          file, act_file, cal_.chip_name, cal_.seed, cal_.neurons.size(), cal_.tau_on_us));
  } else {
    ActivationOptions opt;
    opt.tau_on_us = p_.tau_on_us;
    opt.read_period_us = read_us();
    opt.window_us = p_.activation_window_us;
    opt.points = p_.activation_points;
    opt.step_codes = p_.activation_step_codes;
    cal_ = measure_activation(s, net_, opt);
  }
  output::write_file_atomic(ctx.out / "activation.json", cal_.to_json().dump(1) + "\n");
  double alpha_mean = 0, rms_max = 0, max_err = 0;
  int fits_ok = 0;
  for (const auto& a : cal_.neurons) {
    alpha_mean += a.fit.alpha * cal_.mV_per_code / n();
    rms_max = std::max(rms_max, a.fit.rms_error);
    max_err = std::max(max_err, a.fit.max_error);
    fits_ok += a.fit.ok ? 1 : 0;
  }
  ctx.metrics["activation_alpha_mean_mV"] = alpha_mean;
  ctx.metrics["activation_fit_rms_max"] = rms_max;
  ctx.metrics["activation_fit_max_error"] = max_err;
  ctx.metrics["activation_fits_ok"] = fits_ok;
  if (fits_ok != n())
    ctx.summary_lines.push_back(fmt::format(
        "warning: {} of {} neurons have no usable activation function (activation.json: p does "
        "not follow the leak, e.g. reset above threshold); they stay in the network",
        n() - fits_ok, n()));
  map_ = std::make_unique<BoltzmannMapping>(
      s.core(), net_, cal_, SamplingNeuronParams{p_.tau_on_us, p_.tau_syn_us, p_.tau_mem_us});
  ctx.metrics["psp_kappa"] = map_->kappa();
}

void Sampling::init_machine(session::Session& s) {
  target_ = boltzmann::draw_target(n(), p_.target_seed);
  p_star_ = boltzmann::distribution(target_);
  mom_star_ = boltzmann::moments(p_star_, n());
  model_ = boltzmann::draw_initial(n(), s.seed(), p_.sigma_sym, p_.sigma_init);
  round_eng_.emplace(make_engine(s.seed(), Stream::kExperiment, 0x5A3917));
  codes_.assign(static_cast<std::size_t>(n()) * n(), 0);
  reader_ = std::make_unique<SensorReader>(s.core(), net_);
  reader_->calibrate_zero(s.now_us());
}

void Sampling::program(AnalogCore& core) {
  const int nn = n();
  const int wm = core.synapses(net_.half).weight_max();
  auto& pm = core.parameters();
  const int leak_cell = ParameterMemory::cell_index(VoltageCell::kLeak);
  for (int i = 0; i < nn; ++i)
    for (int j = 0; j < nn; ++j) {
      if (i == j) continue;
      double c = map_->weight_code(i, j, model_.weight(i, j));
      if (std::fabs(c) > wm) {  // clip the shadow to the representable range
        model_.weight(i, j) *= wm / std::fabs(c);
        c = std::copysign(wm, c);
      }
      const double fl = std::floor(c);
      const int code = static_cast<int>(fl) + (draw_uniform01(*round_eng_) < c - fl ? 1 : 0);
      codes_[i * nn + j] = std::clamp(code, -wm, wm);
      set_signed_weight(core, net_, j, i, codes_[i * nn + j]);
    }
  for (int i = 0; i < nn; ++i) {
    double u = map_->bias_code(i, model_.b[i]);
    if (u < 0 || u > pm.code_max()) {
      u = std::clamp(u, 0.0, static_cast<double>(pm.code_max()));
      model_.b[i] = map_->bias_of_code(i, u);
    }
    core.write_parameter(net_.neuron(core, i), leak_cell, static_cast<int>(std::lround(u)));
  }
}

std::vector<double> Sampling::effective(AnalogCore& core) const {
  const int nn = n();
  std::vector<double> w(static_cast<std::size_t>(nn) * nn, 0.0);
  for (int i = 0; i < nn; ++i)
    for (int j = 0; j < nn; ++j)
      if (i != j) w[i * nn + j] = map_->effective_weight(core, i, j);
  return w;
}

double Sampling::code_asymmetry() const {
  std::vector<double> w(codes_.begin(), codes_.end());
  return boltzmann::asymmetry(w, n());
}

std::pair<double, double> Sampling::sample(session::Session& s, double duration) {
  AnalogCore& core = s.core();
  reader_->clear();
  const double t0 = core.now_us(), t1 = t0 + duration;
  core.reset_rate_counters();
  core.sensors(net_.half).reset_all(t0);
  for (double t = t0 + read_us(); t <= t1 + 1e-9; t += read_us()) {
    s.advance_to(t);
    reader_->read(core.now_us());
  }
  if (core.now_us() < t1 - 1e-9) {
    s.advance_to(t1);
    reader_->read(core.now_us());
  }
  return {t0, core.now_us()};
}

double Sampling::dkl_of(AnalogCore& core, double t0, double t1, std::vector<double>* p_out) const {
  const auto counts = boltzmann::state_counts(spikes_in(core, net_, t0, t1, p_.tau_on_us), n(),
                                              p_.tau_on_us, t0, t1, p_.grid_us);
  const auto p = boltzmann::normalise_counts(counts, p_.pseudo_count);
  if (p_out) *p_out = p;
  return boltzmann::kl_divergence(p_star_, p);
}

void Sampling::calibrate_sensors(session::Session& s) {
  // Recurrent weights 0 (still from the activation measurement), every neuron at its p = ½
  // leak, so the sensors see chance coincidences only. Per synapse j → i: g_ij = A/C (the two
  // sensors' amplitude/τ mismatch; SAL then uses a − g·c) and k_ij = spike-derived ⟨z_i z_j⟩ /
  // ((A + g·C)/T) (the Hebbian estimate's own scale).
  AnalogCore& core = s.core();
  RunContext& ctx = s.ctx();
  const int nn = n();
  const std::string& mode = p_.sensor_calibration;
  const double t_sens = mode == "none" ? 0.0 : p_.sensor_calibration_us;
  const double learning = on_firmware() && p_.iterations > 0
                              ? p_.iterations * std::lround(p_.sample_us / read_us()) * read_us()
                              : p_.iterations * p_.sample_us;
  s.plan(core.now_us() + t_sens + 2 * p_.validation_us + learning);
  g_.assign(static_cast<std::size_t>(nn) * nn, 1.0);
  k_syn_.assign(g_.size(), 0.0);
  if (mode != "none") {
    const int leak_cell = ParameterMemory::cell_index(VoltageCell::kLeak);
    for (int i = 0; i < nn; ++i)
      for (int j = 0; j < nn; ++j)
        if (i != j) set_signed_weight(core, net_, j, i, 0);
    for (int i = 0; i < nn; ++i)
      core.write_parameter(net_.neuron(core, i), leak_cell,
                           static_cast<int>(std::lround(map_->bias_code(i, 0.0))));
    auto [s0, s1] = sample(s, t_sens);
    const auto counts = boltzmann::state_counts(spikes_in(core, net_, s0, s1, p_.tau_on_us), nn,
                                                p_.tau_on_us, s0, s1, p_.grid_us);
    const auto mom = boltzmann::moments(boltzmann::normalise_counts(counts, 0.0), nn);
    std::vector<double> gains;
    for (int i = 0; i < nn; ++i)
      for (int j = 0; j < nn; ++j) {
        if (i == j) continue;
        const double A = reader_->a[i * nn + j], C = reader_->c[i * nn + j];
        g_[i * nn + j] = (A > 0 && C > 0) ? std::clamp(A / C, 0.25, 4.0) : 1.0;
        gains.push_back(g_[i * nn + j]);
        const double S = (A + g_[i * nn + j] * C) / (s1 - s0);
        if (mode == "full" && S > 0) k_syn_[i * nn + j] = mom.corr[i * nn + j] / S;
      }
    double gm = 0, gv = 0;
    for (double x : gains) gm += x / gains.size();
    for (double x : gains) gv += (x - gm) * (x - gm) / gains.size();
    ctx.metrics["sensor_gain_mean"] = gm;
    ctx.metrics["sensor_gain_spread"] = std::sqrt(gv) / gm;
  }
  program(core);
}

void Sampling::validate_initial(session::Session& s) {
  // The initial validation also calibrates the global coincidence scale k of S_ij
  // (sensor_calibration none/gain).
  AnalogCore& core = s.core();
  RunContext& ctx = s.ctx();
  const int nn = n();
  w_eff0_ = effective(core);
  asym0_ = boltzmann::asymmetry(w_eff0_, nn);
  asym_codes0_ = code_asymmetry();
  auto [v0, v1] = sample(s, p_.validation_us);
  dkl0_ = dkl_of(core, v0, v1, &p_initial_);
  mom0_ = boltzmann::moments(p_initial_, nn);
  const auto& rd = *reader_;
  double sum_zz = 0, sum_s = 0;
  for (int i = 0; i < nn; ++i)
    for (int j = 0; j < nn; ++j)
      if (i != j) {
        sum_zz += mom0_.corr[i * nn + j];
        sum_s += (rd.a[i * nn + j] + g_[i * nn + j] * rd.c[i * nn + j]) / (v1 - v0);
      }
  if (sum_s <= 0) throw RunFailure("coincidence calibration: the correlation sensors saw no pairs");
  const double k_scale = sum_zz / sum_s;  // ⟨z_i z_j⟩ per LSB/µs of (a + g·c)
  if (p_.sensor_calibration != "full") std::fill(k_syn_.begin(), k_syn_.end(), k_scale);
  double err2 = 0, ref2 = 0;
  for (int i = 0; i < nn; ++i)
    for (int j = 0; j < nn; ++j)
      if (i != j) {
        const double sv =
            k_syn_[i * nn + j] * (rd.a[i * nn + j] + g_[i * nn + j] * rd.c[i * nn + j]) / (v1 - v0);
        err2 += (sv - mom0_.corr[i * nn + j]) * (sv - mom0_.corr[i * nn + j]);
        ref2 += mom0_.corr[i * nn + j] * mom0_.corr[i * nn + j];
      }
  ctx.metrics["coincidence_scale"] = k_scale;
  ctx.metrics["coincidence_fit_rel_error"] = ref2 > 0 ? std::sqrt(err2 / ref2) : 0.0;
  dkl_csv_ = std::make_unique<output::CsvWriter>(ctx.out / "dkl.csv",
                                                 std::vector<std::string>{"iteration", "dkl"});
  asym_csv_ = std::make_unique<output::CsvWriter>(
      ctx.out / "asymmetry.csv",
      std::vector<std::string>{"iteration", "asymmetry_effective", "asymmetry_codes_div100",
                               "asymmetry_shadow"});
  dkl_csv_->row(0, dkl0_);
  asym_csv_->row(0, asym0_, asym_codes0_ / 100, boltzmann::asymmetry(model_));
  window_start_ = core.now_us();
}

void Sampling::learn_on_host(session::Session& s) {
  AnalogCore& core = s.core();
  const int nn = n();
  const double eta_sal = p_.sal == "on" ? p_.eta_sal : 0.0;
  for (int it = 1; it <= p_.iterations; ++it) {
    auto [t0, t1] = sample(s, p_.sample_us);
    const double T = t1 - t0;
    const auto& rd = *reader_;
    for (int i = 0; i < nn; ++i) {
      for (int j = 0; j < nn; ++j) {
        if (i == j) continue;
        const double a = rd.a[i * nn + j], c = g_[i * nn + j] * rd.c[i * nn + j];
        const double sv = k_syn_[i * nn + j] * (a + c) / T;
        const double d = k_syn_[i * nn + j] * (a - c) / T;
        model_.weight(i, j) += p_.eta_w * (mom_star_.corr[i * nn + j] - sv) + eta_sal * d;
      }
      model_.b[i] += p_.eta_b * (mom_star_.mean[i] - rd.counts[i] * p_.tau_on_us / T);
    }
    program(core);
    asym_csv_->row(it, boltzmann::asymmetry(effective(core), nn), code_asymmetry() / 100,
                   boltzmann::asymmetry(model_));
    if (it % p_.dkl_every == 0 || it == p_.iterations) {
      dkl_csv_->row(it, dkl_of(core, window_start_, core.now_us(), nullptr));
      window_start_ = core.now_us();
    }
  }
}

void Sampling::learn_on_firmware(session::Session& s) {
  // The same rule on the processor: it reads every read period and updates every
  // sample_us / read_period_us reads; the host only watches, window by window.
  AnalogCore& core = s.core();
  const int nn = n();
  const int reads = std::max(1, static_cast<int>(std::lround(p_.sample_us / read_us())));
  SamplingFirmwareParams fp;
  fp.n = nn;
  fp.iterations = p_.iterations;
  fp.reads_per_iteration = reads;
  fp.read_period_us = read_us();
  fp.tau_on_us = p_.tau_on_us;
  fp.eta_w = p_.eta_w;
  fp.eta_b = p_.eta_b;
  fp.eta_sal = p_.sal == "on" ? p_.eta_sal : 0.0;
  fp.sal = p_.sal == "on";
  fp.leak_cell = ParameterMemory::cell_index(VoltageCell::kLeak);
  fp.code_max = core.parameters().code_max();
  fp.w_max = core.synapses(net_.half).weight_max();
  for (int i = 0; i < nn; ++i) {
    fp.exc_row.push_back(net_.exc_row(i));
    fp.column.push_back(net_.columns[i]);
    fp.neuron.push_back(net_.neuron(core, i));
    fp.target_mean.push_back(mom_star_.mean[i]);
    fp.u0_code.push_back(map_->bias_code(i, 0.0));
    fp.alpha_code.push_back(map_->bias_code(i, 1.0) - map_->bias_code(i, 0.0));
    fp.b.push_back(model_.b[i]);
  }
  fp.target_corr = mom_star_.corr;
  fp.k = k_syn_;
  fp.g = g_;
  fp.w = model_.w;
  for (int i = 0; i < nn; ++i)
    for (int j = 0; j < nn; ++j) {
      fp.codes_pos.push_back(i == j ? 0.0 : map_->weight_code(i, j, 1.0));
      fp.codes_neg.push_back(i == j ? 0.0 : -map_->weight_code(i, j, -1.0));
    }
  SamplingFirmware firmware(s.firmware(), session::firmware_image("sampling.elf"));
  firmware.start(fp);
  const double window = p_.dkl_every * p_.sample_us;
  const double t_limit = core.now_us() + 2.0 * p_.iterations * p_.sample_us + 10000;
  int done_before = 0;
  while (!firmware.ended() && core.now_us() < t_limit) {
    s.advance_to(core.now_us() + window);
    const int done = static_cast<int>(firmware.iterations_done());
    std::vector<double> wsh, bsh;
    firmware.read_shadow(wsh, bsh);
    for (int i = 0; i < nn; ++i)
      for (int j = 0; j < nn; ++j)
        codes_[i * nn + j] = i == j ? 0 : signed_weight(core, net_, j, i);
    asym_csv_->row(done, boltzmann::asymmetry(effective(core), nn), code_asymmetry() / 100,
                   boltzmann::asymmetry(wsh, nn));
    if (done > done_before)
      dkl_csv_->row(done, dkl_of(core, window_start_, core.now_us(), nullptr));
    done_before = done;
    window_start_ = core.now_us();
  }
  if (!firmware.ended())
    throw RunFailure(fmt::format(
        "sampling firmware did not finish {} iterations in twice their time", p_.iterations));
  firmware.read_shadow(model_.w, model_.b);
  for (int i = 0; i < nn; ++i)
    for (int j = 0; j < nn; ++j) codes_[i * nn + j] = i == j ? 0 : signed_weight(core, net_, j, i);
  firmware.report(s.ctx());
}

void Sampling::validate_final(session::Session& s) {
  AnalogCore& core = s.core();
  RunContext& ctx = s.ctx();
  const int nn = n();
  dkl_csv_->close();
  asym_csv_->close();
  const auto w_eff1 = effective(core);
  auto [f0, f1] = sample(s, p_.validation_us);
  std::vector<double> p_final;
  const double dkl1 = dkl_of(core, f0, f1, &p_final);
  const auto mom1 = boltzmann::moments(p_final, nn);
  // Distribution table sorted by p*.
  std::vector<int> order(p_star_.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](int x, int y) { return p_star_[x] > p_star_[y]; });
  output::CsvWriter dist(ctx.out / "distribution.csv",
                         {"rank", "state", "p_target", "p_initial", "p_final"});
  for (std::size_t r = 0; r < order.size(); ++r)
    dist.row(r, order[r], p_star_[order[r]], p_initial_[order[r]], p_final[order[r]]);
  dist.close();
  output::CsvWriter wcsv(ctx.out / "sampling_weights.csv",
                         {"post", "pre", "target", "shadow_final", "effective_initial",
                          "effective_final", "code_final"});
  for (int i = 0; i < nn; ++i)
    for (int j = 0; j < nn; ++j)
      if (i != j)
        wcsv.row(i, j, target_.weight(i, j), model_.weight(i, j), w_eff0_[i * nn + j],
                 w_eff1[i * nn + j], codes_[i * nn + j]);
  wcsv.close();
  auto mean_abs_diff = [&](const std::vector<double>& x, const std::vector<double>& y) {
    double sum = 0;
    for (std::size_t k = 0; k < x.size(); ++k) sum += std::fabs(x[k] - y[k]) / x.size();
    return sum;
  };
  ctx.metrics["dkl_initial"] = dkl0_;
  ctx.metrics["dkl_final"] = dkl1;
  ctx.metrics["asymmetry_initial"] = asym0_;
  ctx.metrics["asymmetry_final"] = boltzmann::asymmetry(w_eff1, nn);
  ctx.metrics["mean_error_initial"] = mean_abs_diff(mom_star_.mean, mom0_.mean);
  ctx.metrics["mean_error_final"] = mean_abs_diff(mom_star_.mean, mom1.mean);
  ctx.metrics["corr_error_initial"] = mean_abs_diff(mom_star_.corr, mom0_.corr);
  ctx.metrics["corr_error_final"] = mean_abs_diff(mom_star_.corr, mom1.corr);
  double rate = 0;
  for (double c : reader_->counts) rate += c / ((f1 - f0) * 1e-6) / nn;
  ctx.metrics["rate_final_mean_hz"] = rate;
}

void Sampling::write_metrics(session::Session& s) {
  RunContext& ctx = s.ctx();
  ctx.metrics["asymmetry_codes_initial"] = asym_codes0_;
  ctx.metrics["asymmetry_codes_final"] = code_asymmetry();
  ctx.metrics["asymmetry_shadow_final"] = boltzmann::asymmetry(model_);
  ctx.metrics["sensor_saturated_reads"] = reader_->saturated;
  double alpha_mean = ctx.metrics["activation_alpha_mean_mV"].get<double>();
  ctx.summary_lines.push_back(fmt::format(
      "{} neurons, SAL {}, sigma_init {}: D_KL {:.3f} -> {:.3f} after {} iterations of {} µs", n(),
      p_.sal, p_.sigma_init, dkl0_, ctx.metrics["dkl_final"].get<double>(), p_.iterations,
      p_.sample_us));
  ctx.summary_lines.push_back(fmt::format(
      "effective asymmetry Var(W_ij - W_ji) {:.4f} -> {:.4f}; codes {:.2f} -> {:.2f}", asym0_,
      ctx.metrics["asymmetry_final"].get<double>(), asym_codes0_, code_asymmetry()));
  ctx.summary_lines.push_back(fmt::format(
      "activation: alpha {:.2f} mV mean, logistic fit rms <= {:.3f}; S scale fit error {:.0f} %",
      alpha_mean, ctx.metrics["activation_fit_rms_max"].get<double>(),
      100 * ctx.metrics["coincidence_fit_rel_error"].get<double>()));
}

}  // namespace salvo::experiments
