#include "emulator/experiments/sal_network.hpp"
#include "salvo_paths.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "emulator/experiments/chip_setup.hpp"
#include "firmware/sal/sal_kernel.h"
#include "hw/common/error.hpp"
#include "hw/common/rng.hpp"

namespace salvo::experiments {

using namespace config;

std::vector<std::pair<std::string, SchemaNode>> sal_common_keys() {
  return {
      {"executor",
       Enum("firmware", {"firmware", "host"},
            "who runs the plasticity rule: the firmware on the emulated processor, or the host "
            "calling the same C kernel at the same times (an ideal processor)")},
      {"v_leak_mV",
       Float(750.0, 0.0, 1200.0,
             "leak target of the network neurons (noise-driven regime near threshold)")},
      {"v_reset_mV", Float(700.0, 0.0, 1200.0, "reset target of the network neurons")},
      {"v_threshold_mV", Float(800.0, 0.0, 1200.0, "threshold target of the network neurons")},
      {"target_rate_hz", Float(15000.0, 0.0, 1e6,
                               "rate calibration: each neuron's leak code is tuned until it fires "
                               "at this rate under the noise "
                               "(0 = off, the uncalibrated leak targets stay)")},
      {"calibration_window_us",
       Float(2000.0, 10.0, 1e6, "measurement window per calibration iteration")},
      {"calibration_iterations", Int(10, 1, 50, "bisection steps of the rate calibration")},
      {"noise_rate_exc_hz",
       Float(60000.0, 0.0, 1e8, "excitatory Poisson noise per neuron (hardware time)")},
      {"noise_rate_inh_hz", Float(60000.0, 0.0, 1e8, "inhibitory Poisson noise per neuron")},
      {"noise_weight_exc", Int(20, 0, 63, "weight code of the excitatory noise synapses")},
      {"noise_weight_inh", Int(20, 0, 63, "weight code of the inhibitory noise synapses")},
      {"update_period_us", Float(100.0, 1.0, 1e6, "time between plasticity updates")},
      {"eta",
       Float(4.0, 0.0, 1000.0, "learning rate: shadow-weight codes per LSB of (acausal − causal)")},
      {"eta_decay_us",
       Float(0.0, 0.0, 1e9, "learning rate decays as 1/(1 + t/eta_decay_us); 0 = constant")},
      {"sensor_gain_calibration_us",
       Float(0.0, 0.0, 1e9,
             "before learning, with the neurons uncoupled for this long: measure each plastic "
             "synapse's acausal/causal sensor-gain ratio against the recorded spikes and divide "
             "it out of the updates (0 = off)")},
      {"remove_common_mode", Bool(false, "subtract each row's mean (a − c) before the update")},
      {"homeostasis_gain",
       Float(0.0, 0.0, 64.0,
             "rate homeostasis during learning, run with every update: leak-code change per "
             "spike of difference between target_rate_hz · update_period_us and each neuron's "
             "rate counter (0 = off)")},
      {"sample_period_us",
       Float(1000.0, 1.0, 1e9, "how often weights are written to the time series")},
  };
}

SalNetwork setup_sal_network(AnalogCore& core, const YAML::Node& exp, int neurons,
                             const std::string& file) {
  const auto& cfg = core.config();
  SalNetwork net;
  net.rows_per_driver = cfg.drivers.rows_per_driver;
  const int per_half = core.neurons_per_half();
  const int rows = cfg.synapses.rows_per_half;
  if (net.rows_per_driver < 2)
    throw UserError(
        fmt::format("{}: SAL experiments need 2 rows per synapse driver (exc/inh pair); "
                    "chip.drivers.rows_per_driver "
                    "is {} (allowed: >= 2)",
                    file, net.rows_per_driver));
  // Neurons, one driver each, plus two noise drivers at the end of the array.
  if (neurons > per_half || neurons > 64 ||
      net.rows_per_driver * neurons + 2 * net.rows_per_driver > rows)
    throw UserError(
        fmt::format("{}: the network needs {} neurons and {} synapse rows but chip '{}' has {} "
                    "neurons and {} rows "
                    "per half (allowed: at most 64 neurons, 2 rows each plus 4 noise rows)",
                    file, neurons, net.rows_per_driver * neurons + 4, cfg.name, per_half, rows));
  for (int k = 0; k < neurons; ++k) net.columns.push_back(k);
  // Operating point through the parameter memory (ideal codes; each circuit's mismatch
  // then moves its true values).
  for (int k = 0; k < neurons; ++k) {
    const int neuron = net.half * per_half + k;
    core.set_voltage_target(neuron, VoltageCell::kLeak, exp["v_leak_mV"].as<double>());
    core.set_voltage_target(neuron, VoltageCell::kReset, exp["v_reset_mV"].as<double>());
    core.set_voltage_target(neuron, VoltageCell::kThreshold, exp["v_threshold_mV"].as<double>());
  }
  default_routing(core);
  auto& syn = core.synapses(net.half);
  for (int k = 0; k < neurons; ++k) {
    const int neuron = net.half * per_half + net.columns[k];
    core.set_neuron_label(neuron,
                          AnalogCore::row_label(net.half, net.exc_row(k), net.rows_per_driver, 0));
    syn.set_row_sign(net.exc_row(k), SynapseArray::RowSign::kExcitatory);
    syn.set_row_sign(net.inh_row(k), SynapseArray::RowSign::kInhibitory);
    for (int c = 0; c < per_half; ++c) {
      syn.set_label(net.exc_row(k), c, 0);
      syn.set_label(net.inh_row(k), c, 0);
    }
  }
  // Noise: one driver for excitatory, one for inhibitory noise; column c's noise synapse
  // answers address c, the sources draw a random address per event.
  const int noise_exc_row = rows - 2 * net.rows_per_driver;
  const int noise_inh_row = rows - net.rows_per_driver;
  syn.set_row_sign(noise_exc_row, SynapseArray::RowSign::kExcitatory);
  syn.set_row_sign(noise_inh_row, SynapseArray::RowSign::kInhibitory);
  const int wexc = exp["noise_weight_exc"].as<int>(), winh = exp["noise_weight_inh"].as<int>();
  for (int k = 0; k < neurons; ++k) {
    const int c = net.columns[k];
    syn.set_label(noise_exc_row, c, k);
    syn.set_weight(noise_exc_row, c, std::min(wexc, syn.weight_max()));
    syn.set_label(noise_inh_row, c, k);
    syn.set_weight(noise_inh_row, c, std::min(winh, syn.weight_max()));
  }
  // Addresses 0..63 are drawn; columns exist for `neurons` of them, so each neuron's train
  // is an independent thinning at rate/64 of its source.
  const double re = exp["noise_rate_exc_hz"].as<double>() * 64.0;
  const double ri = exp["noise_rate_inh_hz"].as<double>() * 64.0;
  if (re > 0) {
    auto& src = core.add_background();
    src.configure(BackgroundSource::Mode::kPoisson, re,
                  AnalogCore::row_label(net.half, noise_exc_row, net.rows_per_driver, 0));
    src.set_random_address_mask(0x3F);
  }
  if (ri > 0) {
    auto& src = core.add_background();
    src.configure(BackgroundSource::Mode::kPoisson, ri,
                  AnalogCore::row_label(net.half, noise_inh_row, net.rows_per_driver, 0));
    src.set_random_address_mask(0x3F);
  }
  return net;
}

std::vector<double> calibrate_rates(RunContext& ctx, Chip& chip, const SalNetwork& net,
                                    const YAML::Node& exp) {
  AnalogCore& core = chip.core();
  const int n = static_cast<int>(net.columns.size());
  const double target = exp["target_rate_hz"].as<double>();
  const double window = exp["calibration_window_us"].as<double>();
  std::vector<double> rates(n, 0.0);
  auto measure = [&]() {
    const double t0 = core.now_us();
    core.reset_rate_counters();
    const double now = sc_core::sc_time_stamp().to_seconds() * 1e6;
    if (t0 + window > now) sc_core::sc_start(sc_core::sc_time(t0 + window - now, sc_core::SC_US));
    core.advance_to(t0 + window);
    for (int k = 0; k < n; ++k)
      rates[k] =
          core.rate_counter(net.half * core.neurons_per_half() + net.columns[k]) / (window * 1e-6);
    ctx.progress.update(core.now_us());
  };
  if (target <= 0) return rates;
  const int leak_cell = ParameterMemory::cell_index(VoltageCell::kLeak);
  // Codes (~1.2 mV each), halved whenever the direction flips: 64 + 32 + … reaches ±150 mV,
  // enough for twice the reference leak and threshold spreads.
  std::vector<int> step(n, 64);
  std::vector<int> last_dir(n, 0);
  for (int it = 0; it < exp["calibration_iterations"].as<int>(); ++it) {
    measure();
    for (int k = 0; k < n; ++k) {
      const int neuron = net.half * core.neurons_per_half() + net.columns[k];
      const int dir = rates[k] < target ? 1 : -1;
      if (last_dir[k] != 0 && dir != last_dir[k]) step[k] = std::max(1, step[k] / 2);
      last_dir[k] = dir;
      const int code = std::clamp(core.parameters().code(neuron, leak_cell) + dir * step[k], 0,
                                  core.parameters().code_max());
      core.write_parameter(neuron, leak_cell, code);
    }
  }
  measure();
  return rates;
}

void set_signed_weight(AnalogCore& core, const SalNetwork& net, int pre, int post, int w) {
  auto& syn = core.synapses(net.half);
  const int wm = syn.weight_max();
  w = std::clamp(w, -wm, wm);
  syn.set_weight(net.exc_row(pre), net.columns[post], w > 0 ? w : 0);
  syn.set_weight(net.inh_row(pre), net.columns[post], w < 0 ? -w : 0);
}

int signed_weight(AnalogCore& core, const SalNetwork& net, int pre, int post) {
  auto& syn = core.synapses(net.half);
  return syn.weight(net.exc_row(pre), net.columns[post]) -
         syn.weight(net.inh_row(pre), net.columns[post]);
}

double effective_weight(AnalogCore& core, const SalNetwork& net, int pre, int post) {
  return core.effective_weight_mV(net.half, net.exc_row(pre), net.columns[post]) +
         core.effective_weight_mV(net.half, net.inh_row(pre), net.columns[post]);
}

HostPlasticity::HostPlasticity(AnalogCore& core, const SalNetwork& net,
                               std::vector<PlasticSynapse> plastic, const SalSchedule& schedule,
                               std::uint64_t seed)
    : core_(core),
      net_(net),
      plastic_(std::move(plastic)),
      sched_(schedule),
      pres_(pre_neurons(plastic_)),
      rng_(static_cast<std::uint32_t>(mix_seed(seed ^ 0x5A15EEDULL)) | 1u) {
  const int cols = core_.neurons_per_half();
  shadow_.assign(net_.columns.size(), std::vector<std::int32_t>(cols, 0));
  for (const auto& p : plastic_)
    shadow_[p.pre][net_.columns[p.post]] = signed_weight(core_, net_, p.pre, p.post) * SAL_ONE;
  d_sum_.assign(net_.columns.size(), std::vector<double>(cols, 0.0));
  s_sum_ = d_sum_;
  c_gain_.assign(net_.columns.size(), std::vector<std::uint16_t>(cols, 256));
}

SalSchedule sal_schedule(const YAML::Node& e) {
  SalSchedule s{e["update_period_us"].as<double>(), e["eta"].as<double>(),
                e["eta_decay_us"].as<double>(), e["remove_common_mode"].as<bool>()};
  s.homeostasis_gain = e["homeostasis_gain"].as<double>();
  s.target_rate_hz = e["target_rate_hz"].as<double>();
  return s;
}

std::vector<int> pre_neurons(const std::vector<PlasticSynapse>& plastic) {
  std::vector<int> pres;
  for (const auto& p : plastic)
    if (std::find(pres.begin(), pres.end(), p.pre) == pres.end()) pres.push_back(p.pre);
  return pres;
}

void HostPlasticity::start(double t_us) {
  const int leak = ParameterMemory::cell_index(VoltageCell::kLeak);
  homeo_code_q8_.clear();
  for (int c : net_.columns) {
    const int neuron = net_.half * core_.neurons_per_half() + c;
    homeo_code_q8_.push_back(core_.parameters().code(neuron, leak) << 8);
    core_.reset_rate_counter(neuron);
  }
  const int cols = core_.neurons_per_half();
  auto& sens = core_.sensors(net_.half);
  auto& adc = core_.cadc(net_.half);
  // CADC zero in Q8: average of 1024 readings of a freshly reset row (offsets are per column).
  sens.reset_all(t_us);
  std::vector<std::uint8_t> c(cols), a(cols);
  std::vector<int> sum_c(cols, 0), sum_a(cols, 0);
  const int n = 1024;  // σ of the zero = readout noise / 32: well below one update's signal
  for (int k = 0; k < n; ++k) {
    adc.convert_row(sens, net_.exc_row(pres_.empty() ? 0 : pres_[0]), t_us, c.data(), a.data());
    for (int i = 0; i < cols; ++i) {
      sum_c[i] += c[i];
      sum_a[i] += a[i];
    }
  }
  base_c_.resize(cols);
  base_a_.resize(cols);
  for (int i = 0; i < cols; ++i) {
    base_c_[i] = static_cast<std::uint16_t>((sum_c[i] * (1 << SAL_BASE_Q) + n / 2) / n);
    base_a_[i] = static_cast<std::uint16_t>((sum_a[i] * (1 << SAL_BASE_Q) + n / 2) / n);
  }
}

void run_updates(RunContext& ctx, Chip& chip, HostPlasticity* plasticity, double until_us,
                 double period_us, const std::function<void(double)>& on_step) {
  AnalogCore& core = chip.core();
  const double step = period_us > 0 ? period_us : 100.0;
  for (double t = core.now_us() + step; t <= until_us + 1e-9; t += step) {
    const double now = sc_core::sc_time_stamp().to_seconds() * 1e6;
    if (t > now) sc_core::sc_start(sc_core::sc_time(t - now, sc_core::SC_US));
    core.advance_to(t);
    if (period_us > 0 && plasticity) plasticity->update(core.now_us());
    if (on_step) on_step(core.now_us());
    ctx.progress.update(core.now_us());
  }
}

void HostPlasticity::load_shadow_from_chip() {
  for (const auto& p : plastic_)
    shadow_[p.pre][net_.columns[p.post]] = signed_weight(core_, net_, p.pre, p.post) * SAL_ONE;
}

void HostPlasticity::set_gains(const std::vector<double>& gains) {
  if (gains.size() != plastic_.size())
    throw InternalError("HostPlasticity::set_gains: one gain per plastic synapse expected");
  for (std::size_t k = 0; k < plastic_.size(); ++k)
    c_gain_[plastic_[k].pre][net_.columns[plastic_[k].post]] =
        sal_gain_q8_from_q6(sal_gain_q6(gains[k]));
}

std::uint8_t sal_gain_q6(double g) {
  return static_cast<std::uint8_t>(std::clamp<long>(std::lround(g * 64), 1, 255));
}

SensorGainCalibration calibrate_sensor_gains(RunContext& ctx, Chip& chip, const SalNetwork& net,
                                             const std::vector<PlasticSynapse>& plastic,
                                             double window_us) {
  AnalogCore& core = chip.core();
  auto& sens = core.sensors(net.half);
  auto& adc = core.cadc(net.half);
  const int cols = core.neurons_per_half();
  const int n = static_cast<int>(net.columns.size());
  const std::vector<int> pres = pre_neurons(plastic);
  // Averaged conversions: the readout noise (≈ 1 LSB) falls to ≈ 1/8 LSB with 64.
  constexpr int kReads = 64;
  auto read_avg = [&](int row, double t, std::vector<double>& c, std::vector<double>& a) {
    std::vector<std::uint8_t> cc(cols), aa(cols);
    c.assign(cols, 0.0);
    a.assign(cols, 0.0);
    for (int k = 0; k < kReads; ++k) {
      adc.convert_row(sens, row, t, cc.data(), aa.data());
      for (int i = 0; i < cols; ++i) {
        c[i] += cc[i] / double(kReads);
        a[i] += aa[i] / double(kReads);
      }
    }
  };
  const double t0 = core.now_us();
  std::vector<int> rows;
  for (int pre : pres) {
    rows.push_back(net.exc_row(pre));
    rows.push_back(net.inh_row(pre));
  }
  for (int row : rows) sens.reset_row(row, t0);
  const std::size_t first_spike = core.spikes().size();
  const double now = sc_core::sc_time_stamp().to_seconds() * 1e6;
  if (t0 + window_us > now)
    sc_core::sc_start(sc_core::sc_time(t0 + window_us - now, sc_core::SC_US));
  core.advance_to(t0 + window_us);
  ctx.progress.update(core.now_us());
  const double t1 = core.now_us();
  // Stored charge per sensor: (zero − reading) with the zero read right after a reset.
  std::vector<std::vector<double>> stored_c(rows.size()), stored_a(rows.size());
  std::vector<double> c, a, zc, za;
  for (std::size_t r = 0; r < rows.size(); ++r) {
    read_avg(rows[r], t1, c, a);
    sens.reset_row(rows[r], t1);
    read_avg(rows[r], t1, zc, za);
    stored_c[r].resize(cols);
    stored_a[r].resize(cols);
    for (int i = 0; i < cols; ++i) {
      stored_c[r][i] = zc[i] - c[i];
      stored_a[r][i] = za[i] - a[i];
    }
  }
  // Ideal sensors (nominal A and τ, no mismatch or noise) fed the recorded spikes: row k is
  // network neuron k as pre, column k as post (pre and post reach the sensors with equal delay).
  CorrelationSensorParams ideal = CorrelationSensorParams::from_config(core.config());
  ideal.rows = n;
  ideal.columns = n;
  ideal.sigma_amplitude = ideal.sigma_tau = ideal.readout_noise_lsb = 0;
  ideal.range_lsb = 1e9;
  ideal.baseline_lsb = 1e9;
  ideal.drift_lsb_per_ms = 0;
  std::vector<int> neuron_of_column(cols, -1);
  for (int k = 0; k < n; ++k) neuron_of_column[net.columns[k]] = k;
  const auto& spikes = core.spikes();
  std::vector<std::pair<double, int>> events;
  for (std::size_t i = first_spike; i < spikes.size(); ++i) {
    const int col = spikes[i].neuron - net.half * core.neurons_per_half();
    if (col < 0 || col >= cols || neuron_of_column[col] < 0) continue;
    events.emplace_back(spikes[i].t_us, neuron_of_column[col]);
  }
  std::sort(events.begin(), events.end());
  const double rate_per_us = events.size() / (n * (t1 - t0));
  SensorGainCalibration cal;
  double stored_sum = 0;
  int stored_n = 0;
  // All pre events of one instant before its post events, as the chip delivers them.
  CorrelationSensors replay(ideal, 0);
  for (std::size_t i = 0; i < events.size();) {
    std::size_t j = i;
    while (j < events.size() && events[j].first == events[i].first) ++j;
    for (std::size_t q = i; q < j; ++q) replay.on_pre(events[q].second, events[q].first);
    for (std::size_t q = i; q < j; ++q) replay.on_post(events[q].second, events[q].first);
    i = j;
  }
  for (const auto& p : plastic) {
    const int r = static_cast<int>(std::find(pres.begin(), pres.end(), p.pre) - pres.begin());
    const int col = net.columns[p.post];
    const double ideal_c = replay.accumulated_lsb(SensorChannel::kCausal, p.pre, p.post, t1);
    const double ideal_a = replay.accumulated_lsb(SensorChannel::kAcausal, p.pre, p.post, t1);
    const double meas_c = stored_c[2 * r][col] + stored_c[2 * r + 1][col];
    const double meas_a = stored_a[2 * r][col] + stored_a[2 * r + 1][col];
    stored_sum += meas_c + meas_a;
    stored_n += 4;
    double g = 1.0;
    if (ideal_a > 0 && ideal_c > 0 && meas_a > 0 && meas_c > 0)
      g = (meas_a / ideal_a) / (meas_c / ideal_c);
    cal.gain.push_back(g);
    // Oracle: chance pairs at rate r weigh a sensor by A·E[e^(−Δt/τ)] = A·rτ/(1 + rτ).
    double true_a = 0, true_c = 0;
    auto chance = [&](SensorChannel ch, int row) {
      const double tau = sens.tau_us(ch, row, col);
      return sens.amplitude_lsb(ch, row, col) * tau / (1 + rate_per_us * tau);
    };
    for (int row : {net.exc_row(p.pre), net.inh_row(p.pre)}) {
      true_a += chance(SensorChannel::kAcausal, row);
      true_c += chance(SensorChannel::kCausal, row);
    }
    cal.true_gain.push_back(true_a / true_c);
  }
  cal.stored_lsb_mean = stored_n ? stored_sum / stored_n : 0.0;
  return cal;
}

void HostPlasticity::update(double t_us) {
  const int cols = core_.neurons_per_half();
  auto& sens = core_.sensors(net_.half);
  auto& adc = core_.cadc(net_.half);
  auto& syn = core_.synapses(net_.half);
  std::vector<std::uint8_t> c(cols), a(cols), exc(cols), inh(cols);
  std::vector<std::int32_t> d(cols), s(cols);
  std::vector<std::uint32_t> random(2 * cols);
  const double decay =
      sched_.eta_decay_us > 0
          ? 1.0 / (1.0 + static_cast<double>(updates_) * sched_.period_us / sched_.eta_decay_us)
          : 1.0;
  sal_params_t p{};
  sal_rule_params(sched_.rule, static_cast<std::int32_t>(std::lround(sched_.eta * decay * SAL_ONE)),
                  &p);
  p.w_max = syn.weight_max();
  p.signed_pairs = 1;
  p.remove_common_mode = sched_.remove_common_mode ? 1 : 0;
  for (int pre : pres_) {
    std::fill(d.begin(), d.end(), 0);
    std::fill(s.begin(), s.end(), 0);
    for (int row : {net_.exc_row(pre), net_.inh_row(pre)}) {
      adc.convert_row(sens, row, t_us, c.data(), a.data());
      sal_add_signals(cols, c.data(), a.data(), base_c_.data(), base_a_.data(), d.data(), s.data());
      sens.reset_row(row, t_us);
    }
    // The kernel sees only this pre neuron's plastic synapses (their row-mean is the
    // common mode), gathered into contiguous arrays as the firmware keeps them.
    std::vector<int> posts;
    for (const auto& ps : plastic_)
      if (ps.pre == pre) posts.push_back(net_.columns[ps.post]);
    const int n = static_cast<int>(posts.size());
    std::vector<std::int32_t> dn(n), sn(n);
    std::vector<std::int32_t> shadow(n);
    for (int k = 0; k < n; ++k) {
      dn[k] = d[posts[k]];
      sn[k] = s[posts[k]];
      shadow[k] = shadow_[pre][posts[k]];
    }
    for (int k = 0; k < n; ++k) {
      d_sum_[pre][k] += dn[k] / 256.0;  // Q8 → LSB
      s_sum_[pre][k] += sn[k] / 256.0;
    }
    for (int k = 0; k < 2 * n; ++k) random[k] = sal_xorshift32(&rng_);
    std::vector<std::uint16_t> gain(n, 256);
    for (int k = 0; k < n; ++k) gain[k] = c_gain_[pre][posts[k]];
    sal_update_row(&p, n, dn.data(), sn.data(), gain.data(), shadow.data(), exc.data(), inh.data(),
                   random.data());
    for (int k = 0; k < n; ++k) {
      shadow_[pre][posts[k]] = sal_shadow_load(sal_shadow_store(shadow[k]));  // firmware storage
      syn.set_weight(net_.exc_row(pre), posts[k], exc[k]);
      syn.set_weight(net_.inh_row(pre), posts[k], inh[k]);
    }
  }
  if (sched_.homeostasis_gain > 0) {
    // The firmware's arithmetic (sal_kernel.h), so both executors regulate alike.
    const int leak = ParameterMemory::cell_index(VoltageCell::kLeak);
    const std::int32_t target = sched_.homeostasis_target_count();
    const std::int32_t gain = sched_.homeostasis_gain_q8();
    for (std::size_t k = 0; k < net_.columns.size(); ++k) {
      const int neuron = net_.half * core_.neurons_per_half() + net_.columns[k];
      const int code = sal_homeostasis_step(core_.rate_counter(neuron), target, gain,
                                            core_.parameters().code_max(), &homeo_code_q8_[k]);
      core_.reset_rate_counter(neuron);
      core_.write_parameter(neuron, leak, code);
    }
  }
  ++updates_;
}

}  // namespace salvo::experiments

// ---- firmware executor ------------------------------------------------------------------

#include "emulator/experiments/processor_stats.hpp"
#include "firmware/sal/sal_config.h"
#include "hw/ppu/gdb_server.hpp"
#include "hw/ppu/plasticity_processor.hpp"

namespace salvo::experiments {

void run_learning(RunContext& ctx, Chip& chip, HostPlasticity* host, FirmwarePlasticity* firmware,
                  const SalNetwork& net, const std::vector<PlasticSynapse>& plastic,
                  const SalSchedule& schedule, double duration_us, double sample_period_us,
                  const std::function<void(double)>& on_sample, const std::vector<double>& gains) {
  AnalogCore& core = chip.core();
  const double t0 = core.now_us();
  const double end = t0 + duration_us;
  // Experiments that know their whole schedule set a larger total up front.
  ctx.progress.set_total(std::max(end, ctx.progress.total()));
  double next_sample = t0;
  auto sample = [&](double t) {
    if (on_sample && t + 1e-9 >= next_sample) {
      on_sample(t);
      next_sample += sample_period_us;
    }
  };
  sample(t0);
  if (host || plastic.empty()) {
    const bool updates = host && (!plastic.empty() || schedule.homeostasis_gain > 0);
    if (updates) host->start(t0);
    run_updates(ctx, chip, host, end, updates ? schedule.period_us : 0.0, sample);
    return;
  }
  const auto updates = static_cast<std::uint32_t>(std::floor(duration_us / schedule.period_us));
  firmware->start(net, plastic, schedule, updates, 256, gains);
  auto advance = [&](double t) {
    const double now = sc_core::sc_time_stamp().to_seconds() * 1e6;
    if (t > now) sc_core::sc_start(sc_core::sc_time(t - now, sc_core::SC_US));
    core.advance_to(t);
    ctx.progress.update(t);
    firmware->check();
  };
  const double step = std::min(sample_period_us, 1000.0);
  for (double t = t0 + step; t <= end + 1e-9; t += step) {
    advance(t);
    sample(t);
  }
  // The program started its timer after calibrating the CADC zero: let it finish.
  for (double t = end + 100; !firmware->ended() && t <= end + duration_us; t += 100) advance(t);
  if (!firmware->ended()) {
    collect_stats(ctx, core);
    firmware->report(ctx);
    throw RunFailure(fmt::format(
        "sal firmware did not finish {} updates in twice their time: the processor is too slow "
        "for update_period_us = {} (see ppu_cycles_per_row_update)",
        updates, schedule.period_us));
  }
  firmware->check();
  firmware->report(ctx);
}

std::string firmware_image(const std::string& name) {
  return std::string(SALVO_FIRMWARE_DIR) + "/" + name;
}

struct FirmwarePlasticity::Impl {
  std::unique_ptr<ppu::PlasticityProcessor> ppu;
  std::string elf;
  int param_code_max = 0;
  int gdb_port = -1;
  std::unique_ptr<ppu::GdbServer> gdb;
  int weight_bits = 6;
  std::uint32_t homeo_count = 0;  // neurons under the firmware's homeostasis
  bool started = false;
};

FirmwarePlasticity::FirmwarePlasticity(Chip& chip, const ChipConfig& config, std::uint64_t seed,
                                       const std::string& elf_path, int gdb_port)
    : impl_(std::make_unique<Impl>()) {
  impl_->gdb_port = gdb_port;
  if (!std::filesystem::exists(elf_path))
    throw UserError(
        fmt::format("{}: firmware image not found (build it with `cmake --build build`, or set "
                    "experiment.executor: host)",
                    elf_path));
  impl_->elf = elf_path;
  impl_->param_code_max = config.parameter_memory.code_max;
  impl_->weight_bits = config.synapses.weight_bits;
  auto params = ppu::PlasticityProcessorParams::from_config(config.processor, seed, 0);
  impl_->ppu = std::make_unique<ppu::PlasticityProcessor>("ppu0", params);
  impl_->ppu->chip_socket.bind(chip.window(0));
  // The program is loaded when it starts: loaded before the simulation it would run at once.
}

FirmwarePlasticity::~FirmwarePlasticity() = default;

void FirmwarePlasticity::start(const SalNetwork& net, const std::vector<PlasticSynapse>& plastic,
                               const SalSchedule& schedule, std::uint32_t updates,
                               std::uint32_t baseline_samples, const std::vector<double>& gains) {
  sal_config_t cfg{};
  cfg.magic = SAL_CONFIG_MAGIC;
  cfg.period_us = static_cast<std::uint32_t>(std::lround(schedule.period_us));
  cfg.eta_q16 = static_cast<std::int32_t>(std::lround(schedule.eta * SAL_ONE));
  cfg.eta_decay_us = static_cast<std::uint32_t>(std::lround(schedule.eta_decay_us));
  cfg.updates = updates;
  cfg.remove_common_mode = schedule.remove_common_mode ? 1 : 0;
  cfg.w_max = static_cast<std::uint32_t>((1 << impl_->weight_bits) - 1);
  if (cfg.w_max > 127)
    throw UserError(fmt::format(
        "{}: chip.synapses.weight_bits = {}: the firmware stores shadow weights as Q8 int16 "
        "(allowed: <= 7 bits, or experiment.executor: host)",
        impl_->elf, impl_->weight_bits));
  cfg.baseline_samples = baseline_samples;
  // Group the plastic synapses by pre neuron: each needs one consecutive column range.
  const std::vector<int> pres = pre_neurons(plastic);
  if (pres.size() > 64)
    throw UserError("sal firmware: more than 64 plastic pre neurons (allowed: <= 64)");
  cfg.n_pre = static_cast<std::uint32_t>(pres.size());
  sal_gain_table_t gain_table{};
  cfg.use_gains = gains.empty() ? 0 : 1;
  for (std::size_t j = 0; j < pres.size(); ++j) {
    int lo = 1 << 30, hi = -1, count = 0;
    for (const auto& p : plastic) {
      if (p.pre != pres[j]) continue;
      lo = std::min(lo, net.columns[p.post]);
      hi = std::max(hi, net.columns[p.post]);
      ++count;
    }
    if (hi - lo + 1 != count)
      throw InternalError(
          "sal firmware: plastic synapses of a pre neuron must target consecutive columns");
    if (!gains.empty()) {
      if (gains.size() != plastic.size())
        throw InternalError("sal firmware: one sensor gain per plastic synapse expected");
      if (j >= SAL_MAX_PRE || count > SAL_MAX_POST)
        throw UserError(fmt::format("{}: the gain table holds {} x {} synapses", impl_->elf,
                                    SAL_MAX_PRE, SAL_MAX_POST));
      for (std::size_t k = 0; k < plastic.size(); ++k)
        if (plastic[k].pre == pres[j])
          gain_table[j][net.columns[plastic[k].post] - lo] = sal_gain_q6(gains[k]);
    }
    cfg.pre_exc_row[j] = static_cast<std::uint8_t>(net.exc_row(pres[j]));
    cfg.post_first[j] = static_cast<std::uint8_t>(lo);
    cfg.post_count[j] = static_cast<std::uint8_t>(count);
  }
  if (schedule.homeostasis_gain > 0) {
    cfg.homeo_count = static_cast<std::uint32_t>(net.columns.size());
    cfg.homeo_target = static_cast<std::uint32_t>(schedule.homeostasis_target_count());
    cfg.homeo_gain_q8 = schedule.homeostasis_gain_q8();
    cfg.leak_cell = static_cast<std::uint32_t>(ParameterMemory::cell_index(VoltageCell::kLeak));
    cfg.code_max = static_cast<std::uint32_t>(impl_->param_code_max);
    for (std::size_t k = 0; k < net.columns.size(); ++k)
      cfg.homeo_neuron[k] = static_cast<std::uint8_t>(net.columns[k]);
  }
  impl_->homeo_count = cfg.homeo_count;
  auto& ppu = *impl_->ppu;
  ppu.load_elf(impl_->elf);
  const auto addr = ppu.symbol("sal_config");
  if (!addr)
    throw UserError(fmt::format("{}: no symbol 'sal_config' (not the SAL firmware?)", impl_->elf));
  if (!ppu.write_memory(*addr, &cfg, sizeof cfg))
    throw UserError(
        fmt::format("{}: cannot write the parameter block at 0x{:08x}", impl_->elf, *addr));
  if (!gains.empty()) {
    const auto gaddr = ppu.symbol("sal_gain");
    if (!gaddr || !ppu.write_memory(*gaddr, &gain_table, sizeof gain_table))
      throw UserError(fmt::format("{}: cannot write the sensor-gain table `sal_gain`", impl_->elf));
  }
  ppu.start();
  if (impl_->gdb_port >= 0) {
    // The program sits at its entry point until gdb connects and continues.
    impl_->gdb = std::make_unique<ppu::GdbServer>(ppu);
    const int port = impl_->gdb->listen(impl_->gdb_port);
    std::fprintf(stderr, "salvo run: %s waits for gdb on 127.0.0.1:%d (target remote :%d)\n",
                 impl_->elf.c_str(), port, port);
    std::fflush(stderr);
    impl_->gdb->accept();
    ppu.attach_debugger(impl_->gdb.get());
  }
  impl_->started = true;
}

bool FirmwarePlasticity::ended() const { return impl_->ppu->ended(); }

void FirmwarePlasticity::check() const {
  check_program_end(*impl_->ppu, impl_->elf, impl_->started);
}

void FirmwarePlasticity::report(RunContext& ctx) const {
  auto& ppu = *impl_->ppu;
  record_processor_stats(ctx, ppu);
  sal_stats_t s{};
  if (const auto addr = ppu.symbol("sal_stats")) ppu.read_memory(*addr, &s, sizeof s);
  const double cycles = firmware_cycles(s.update_cycles_lo, s.update_cycles_hi);
  ctx.metrics["ppu_updates"] = s.updates;
  ctx.metrics["ppu_cycles_per_row_update"] = s.row_updates ? cycles / s.row_updates : 0.0;
  ctx.metrics["ppu_max_update_cycles"] = s.max_update_cycles;
  ctx.metrics["ppu_update_overruns"] = s.overruns;
  if (impl_->homeo_count)
    ctx.metrics["homeostasis_leak_code_mean"] =
        static_cast<double>(s.homeo_code_sum) / impl_->homeo_count;
}

}  // namespace salvo::experiments
