#include "emulator/experiments/sal/sal_executors.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "emulator/calibration/cadc_zero.hpp"
#include "emulator/experiments/sal/sensor_gain.hpp"
#include "firmware/sal/sal_config.h"
#include "firmware/sal/sal_kernel.h"
#include "hw/common/error.hpp"
#include "hw/common/rng.hpp"

namespace salvo::experiments {

// ---- host executor ----------------------------------------------------------------------

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

void HostPlasticity::start(double t_us) {
  const int leak = ParameterMemory::cell_index(VoltageCell::kLeak);
  homeo_code_q8_.clear();
  for (std::size_t k = 0; k < net_.columns.size(); ++k) {
    const int neuron = net_.neuron(core_, static_cast<int>(k));
    homeo_code_q8_.push_back(core_.parameters().code(neuron, leak) << 8);
    core_.reset_rate_counter(neuron);
  }
  // σ of the zero = readout noise / 32: well below one update's signal.
  const auto zero = calibration::cadc_zero(core_, net_.half,
                                           net_.exc_row(pres_.empty() ? 0 : pres_[0]), t_us, 1024);
  base_c_ = zero.causal_q8;
  base_a_ = zero.acausal_q8;
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
  if (sched_.homeostasis_gain > 0) homeostasis();
  ++updates_;
}

void HostPlasticity::homeostasis() {
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

// ---- firmware executor ------------------------------------------------------------------

FirmwarePlasticity::FirmwarePlasticity(session::FirmwareHost& host, const ChipConfig& config,
                                       std::string elf_path)
    : host_(host),
      elf_(std::move(elf_path)),
      param_code_max_(config.parameter_memory.code_max),
      weight_bits_(config.synapses.weight_bits) {}

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
  cfg.w_max = static_cast<std::uint32_t>((1 << weight_bits_) - 1);
  cfg.baseline_samples = baseline_samples;
  // Group the plastic synapses by pre neuron: each needs one consecutive column range.
  const std::vector<int> pres = pre_neurons(plastic);
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
        throw InternalError("sal firmware: the gain table is smaller than the checked network");
      for (std::size_t k = 0; k < plastic.size(); ++k)
        if (plastic[k].pre == pres[j])
          gain_table[j][net.columns[plastic[k].post] - lo] = sal_gain_q6(gains[k]);
    }
    cfg.pre_exc_row[j] = static_cast<std::uint8_t>(net.exc_row(pres[j]));
    cfg.post_first[j] = static_cast<std::uint8_t>(lo);
    cfg.post_count[j] = static_cast<std::uint16_t>(count);
  }
  if (schedule.homeostasis_gain > 0) {
    cfg.homeo_count = static_cast<std::uint32_t>(net.columns.size());
    cfg.homeo_target = static_cast<std::uint32_t>(schedule.homeostasis_target_count());
    cfg.homeo_gain_q8 = schedule.homeostasis_gain_q8();
    cfg.leak_cell = static_cast<std::uint32_t>(ParameterMemory::cell_index(VoltageCell::kLeak));
    cfg.code_max = static_cast<std::uint32_t>(param_code_max_);
    for (std::size_t k = 0; k < net.columns.size(); ++k)
      cfg.homeo_neuron[k] = static_cast<std::uint8_t>(net.columns[k]);
  }
  homeo_count_ = cfg.homeo_count;
  host_.load(elf_);
  host_.write_block("sal_config", cfg);
  if (!gains.empty()) host_.write_block("sal_gain", gain_table);
  host_.start();
}

void FirmwarePlasticity::report(RunContext& ctx) const {
  host_.record_stats(ctx);
  const auto s = host_.read_block<sal_stats_t>("sal_stats");
  const double cycles = session::firmware_cycles(s.update_cycles_lo, s.update_cycles_hi);
  ctx.metrics["ppu_updates"] = s.updates;
  ctx.metrics["ppu_cycles_per_row_update"] = s.row_updates ? cycles / s.row_updates : 0.0;
  ctx.metrics["ppu_max_update_cycles"] = s.max_update_cycles;
  ctx.metrics["ppu_update_overruns"] = s.overruns;
  if (homeo_count_)
    ctx.metrics["homeostasis_leak_code_mean"] =
        static_cast<double>(s.homeo_code_sum) / homeo_count_;
}

void check_sal_firmware(int plastic_pre, int plastic_post_per_pre, const std::string& key,
                        const Checker& check) {
  const int bits = check.chip.synapses.weight_bits;
  if (bits > 7)
    check.fail("executor",
               fmt::format("chip.synapses.weight_bits = {}: the firmware stores shadow weights as "
                           "Q8 int16",
                           bits),
               "<= 7 bits, or experiment.executor: host");
  if (plastic_pre > SAL_MAX_PRE || plastic_post_per_pre > SAL_MAX_POST)
    check.fail(key,
               fmt::format("the SAL firmware for {} KiB holds at most {} x {} plastic synapses",
                           check.chip.processor.memory_kib, SAL_MAX_PRE, SAL_MAX_POST),
               fmt::format("<= {} each, or executor: host", SAL_MAX_PRE));
}

// ---- the learning phase -----------------------------------------------------------------

void run_learning(session::Session& s, HostPlasticity* host, FirmwarePlasticity* firmware,
                  const SalNetwork& net, const std::vector<PlasticSynapse>& plastic,
                  const SalSchedule& schedule, double duration_us, double sample_period_us,
                  const std::function<void(double)>& on_sample, const std::vector<double>& gains) {
  const double t0 = s.now_us();
  const double end = t0 + duration_us;
  s.plan(std::max(end, s.planned_us()));
  // The time series on its own schedule, after the update when both fall together.
  std::vector<session::Periodic> tasks;
  if (on_sample) on_sample(t0);
  const session::Periodic sample{sample_period_us, [&](double t) {
                                   if (on_sample) on_sample(t);
                                 }};
  if (host || plastic.empty()) {
    const bool updates = host && (!plastic.empty() || schedule.homeostasis_gain > 0);
    if (updates) {
      host->start(t0);
      tasks.push_back({schedule.period_us, [&](double) { host->update(s.now_us()); }});
    }
    tasks.push_back(sample);
    s.run(end, tasks);
    return;
  }
  const auto updates = static_cast<std::uint32_t>(std::floor(duration_us / schedule.period_us));
  firmware->start(net, plastic, schedule, updates, 256, gains);
  s.run(end, {sample});
  // The program started its timer after calibrating the CADC zero: let it finish.
  if (!s.run_while([&] { return !firmware->ended(); }, 100.0, end + duration_us)) {
    s.collect_stats();
    firmware->report(s.ctx());
    throw RunFailure(fmt::format(
        "sal firmware did not finish {} updates in twice their time: the processor is too slow "
        "for update_period_us = {} (see ppu_cycles_per_row_update)",
        updates, schedule.period_us));
  }
  firmware->report(s.ctx());
}

}  // namespace salvo::experiments
