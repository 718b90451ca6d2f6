#include "emulator/calibration/neuron_calibration.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "emulator/calibration/cadc_zero.hpp"
#include "emulator/calibration/rate_calibration.hpp"

namespace salvo::calibration {

namespace {

int vcell(VoltageCell c) { return ParameterMemory::cell_index(c); }

CodeLine line_through(double c0, double v0, double c1, double v1) {
  return {c0, v0, c1 != c0 ? (v1 - v0) / (c1 - c0) : 0.0};
}

// The least-squares line through three (code, value) points, anchored at c[anchor].
CodeLine line_fit(const std::array<double, 3>& c, const std::array<double, 3>& v, int anchor) {
  const double cm = (c[0] + c[1] + c[2]) / 3, vm = (v[0] + v[1] + v[2]) / 3;
  double sxx = 0, sxy = 0;
  for (int k = 0; k < 3; ++k) {
    sxx += (c[k] - cm) * (c[k] - cm);
    sxy += (c[k] - cm) * (v[k] - vm);
  }
  const double slope = sxx > 0 ? sxy / sxx : 0.0;
  return {c[anchor], vm + slope * (c[anchor] - cm), slope};
}

// For targets set later far from the calibrated point (e.g. the sampling network's τ_syn of
// 20 µs against the calibrated 5 µs): the line through the origin and the fitted value at the
// chosen code. The measured slopes come from codes ~40 % apart and are too noisy to extrapolate
// 4x; a bias current is proportional to its code up to the cell's offset (~2 % at the
// calibrated points), so the proportional law extrapolates better (tests/test_calibration.cpp).
CodeLine through_origin(const CodeLine& l, int code) {
  const double v = l.value0 + (code - l.code0) * l.per_code;
  return {static_cast<double>(code), v, code > 0 ? v / code : 0.0};
}

// Weight of the synaptic-input test rows (halved where the response clips the CADC).
constexpr int kSynWeight = 24;

// Settling of the membrane after a leak change (several τ_mem of an uncalibrated neuron).
constexpr double kSettleUs = 120.0;
constexpr double kMeanUs = 200.0;

}  // namespace

std::vector<int> calibrated_cells(const ParameterMemory& m) {
  return {vcell(VoltageCell::kLeak),
          vcell(VoltageCell::kReset),
          vcell(VoltageCell::kThreshold),
          m.cell_index(CurrentCell::kLeakBias),
          m.cell_index(CurrentCell::kSynExcBias),
          m.cell_index(CurrentCell::kSynInhBias),
          m.cell_index(CurrentCell::kSynGainExc),
          m.cell_index(CurrentCell::kSynGainInh),
          m.cell_index(CurrentCell::kRefractoryBias)};
}

NeuronCalibrator::NeuronCalibrator(Bench& bench, const ChipConfig& chip, Progress progress)
    : b_(bench), chip_(chip), progress_(std::move(progress)), n_(bench.neurons()) {}

int NeuronCalibrator::code_of(int neuron, int cell) const {
  return b_.core().parameters().code(neuron, cell);
}

void NeuronCalibrator::keep(int cell, const std::vector<int>& codes) {
  b_.write(cell, codes);
  const auto& cells = out_->cells;
  const auto k =
      static_cast<std::size_t>(std::find(cells.begin(), cells.end(), cell) - cells.begin());
  for (int i = 0; i < n_; ++i) out_->neurons[i].codes[k] = code_of(i, cell);
}

void NeuronCalibrator::restore(int cell) {
  const auto& cells = out_->cells;
  const auto k =
      static_cast<std::size_t>(std::find(cells.begin(), cells.end(), cell) - cells.begin());
  std::vector<int> codes(n_);
  for (int i = 0; i < n_; ++i) codes[i] = out_->neurons[i].codes[k];
  b_.write(cell, codes);
}

std::vector<int> NeuronCalibrator::leak_codes_for(double v_mV) const {
  std::vector<int> c(n_);
  for (int i = 0; i < n_; ++i) {
    const int k = out_->neurons[i].leak.code_for(v_mV, b_.code_max());
    c[i] = k >= 0 ? k : b_.core().parameters().ideal_code(VoltageCell::kLeak, v_mV);
  }
  return c;
}

void NeuronCalibrator::step(const std::string& name, const std::function<void()>& fn) {
  const auto t0 = std::chrono::steady_clock::now();
  const double e0 = b_.now_us();
  const int w0 = b_.write_rounds();
  fn();
  StepReport r{name, b_.now_us() - e0,
               std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(),
               b_.write_rounds() - w0};
  steps_.push_back(r);
  if (progress_) progress_(r);
}

void NeuronCalibrator::run(Calibration& out) {
  out_ = &out;
  const ParameterMemory& pm = b_.core().parameters();
  out.cells = calibrated_cells(pm);
  out.cell_names.clear();
  for (int c : out.cells) out.cell_names.push_back(pm.cell_name(c));
  out.neurons.assign(n_, NeuronCalibration{});
  for (int i = 0; i < n_; ++i)
    for (int c : out.cells) out.neurons[i].codes.push_back(code_of(i, c));
  b_.core().set_record_spikes(false);
  step("cadc_offsets", [&] { cadc_offsets(); });
  step("leak", [&] { leak(); });
  step("reset", [&] { reset(); });
  step("tau_mem", [&] { tau_mem(); });
  step("threshold", [&] { threshold(); });
  step("tau_syn_exc+strength", [&] { synapses(false); });
  step("tau_syn_inh+strength", [&] { synapses(true); });
  step("refractory", [&] { refractory(); });
  if (chip_.calibration.rate_hz > 0) step("rate", [&] { rate(); });
  // Leave the chip at the calibrated operating point.
  out.apply(b_.core());
  b_.wait(kSettleUs);
}

// ---------------------------------------------------------------------------------------
// CADC: sensor mode (freshly reset sensors read the design baseline plus the channel offset,
// both channels) and membrane mode (membranes held still at reset, read by the offset-free
// MADC as the reference; several reset levels dither the CADC's quantisation).

void NeuronCalibrator::cadc_offsets() {
  AnalogCore& core = b_.core();
  const double baseline = chip_.sensors.baseline_lsb;
  const int per_half = core.neurons_per_half();
  const int max_code = core.cadc(0).max_code();
  out_->cadc_causal_offset_lsb.assign(core.halves(), {});
  out_->cadc_acausal_offset_lsb.assign(core.halves(), {});
  constexpr int kReads = 1024;
  for (int h = 0; h < core.halves(); ++h) {
    const CadcZero z = cadc_zero(core, h, 0, core.now_us(), kReads);
    for (int c = 0; c < per_half; ++c) {
      out_->cadc_causal_offset_lsb[h].push_back(z.causal_lsb(c) - baseline);
      out_->cadc_acausal_offset_lsb[h].push_back(z.acausal_lsb(c) - baseline);
    }
  }
  b_.wait(kReads * core.cadc(0).conversion_time_us());  // the conversions take this long
  // Membrane mode against the MADC.
  const int reset = vcell(VoltageCell::kReset);
  b_.write(vcell(VoltageCell::kThreshold), 0);  // below reset: held at reset
  const int c0 = core.parameters().ideal_code(VoltageCell::kReset, 600.0);
  constexpr int kLevels = 12;
  std::vector<double> sum(n_, 0.0);
  for (int k = 0; k < kLevels; ++k) {
    b_.write(reset, c0 + k);
    b_.wait(5.0);
    const std::vector<double> v = b_.madc_each_mV();
    const std::vector<int> code = b_.cadc_codes();
    for (int i = 0; i < n_; ++i) sum[i] += code[i] - v[i] / b_.cadc_mV_per_lsb();
  }
  std::vector<std::vector<double>> off(core.halves(), std::vector<double>(per_half));
  for (int i = 0; i < n_; ++i) {
    off[i / per_half][i % per_half] = sum[i] / kLevels;
    // A channel whose sensor baseline saturates cannot be zeroed in sensor mode: use the
    // membrane-mode value (the same causal channel) and say so.
    double& s = out_->cadc_causal_offset_lsb[i / per_half][i % per_half];
    if (s + baseline >= max_code - 0.5) s = sum[i] / kLevels;
  }
  b_.set_cadc_offsets(off);
}

// ---------------------------------------------------------------------------------------

std::vector<double> NeuronCalibrator::leak_mV(const std::vector<int>& codes) {
  b_.write(vcell(VoltageCell::kLeak), codes);
  b_.wait(kSettleUs);
  return b_.cadc_mean_mV(kMeanUs);
}

void NeuronCalibrator::leak() {
  const ParameterMemory& pm = b_.core().parameters();
  b_.write(vcell(VoltageCell::kThreshold), b_.code_max());  // no spikes
  const double target = chip_.neurons.v_leak_mV;
  const int ca = pm.ideal_code(VoltageCell::kLeak, 350.0);
  const int cb = pm.ideal_code(VoltageCell::kLeak, 950.0);
  const auto va = leak_mV(std::vector<int>(n_, ca));
  const auto vb = leak_mV(std::vector<int>(n_, cb));
  std::vector<int> code(n_);
  for (int i = 0; i < n_; ++i) {
    out_->neurons[i].leak = line_through(ca, va[i], cb, vb[i]);
    code[i] = out_->neurons[i].leak.code_for(target, b_.code_max());
    if (code[i] < 0) code[i] = ca;
  }
  b_.clear_clipped();
  const auto v = leak_mV(code);
  for (int i = 0; i < n_; ++i) {
    if (b_.clipped()[i]) fail(i, "leak: the CADC clips at the target (outside its range)");
    CodeLine& l = out_->neurons[i].leak;
    l = {static_cast<double>(code[i]), v[i], l.per_code};  // re-anchored at the chosen code
    code[i] = l.code_for(target, b_.code_max());
    const double err = l.value0 + (code[i] - l.code0) * l.per_code - target;
    if (std::abs(err) > chip_.calibration.voltage_tolerance_mV)
      fail(i, fmt::format("leak: {:.1f} mV from the target at code {}", err, code[i]));
  }
  keep(vcell(VoltageCell::kLeak), code);
}

std::vector<double> NeuronCalibrator::reset_mV(const std::vector<int>& codes) {
  b_.write(vcell(VoltageCell::kReset), codes);
  b_.wait(5.0);
  return b_.madc_each_mV();
}

void NeuronCalibrator::reset() {
  const ParameterMemory& pm = b_.core().parameters();
  b_.write(vcell(VoltageCell::kThreshold), 0);  // below reset: the membrane stays at reset
  const double target = chip_.neurons.v_reset_mV;
  const int ca = pm.ideal_code(VoltageCell::kReset, 450.0);
  const int cb = pm.ideal_code(VoltageCell::kReset, 850.0);
  const auto va = reset_mV(std::vector<int>(n_, ca));
  const auto vb = reset_mV(std::vector<int>(n_, cb));
  std::vector<int> code(n_);
  for (int i = 0; i < n_; ++i) {
    out_->neurons[i].reset = line_through(ca, va[i], cb, vb[i]);
    code[i] = std::max(0, out_->neurons[i].reset.code_for(target, b_.code_max()));
  }
  const auto v = reset_mV(code);
  for (int i = 0; i < n_; ++i) {
    CodeLine& l = out_->neurons[i].reset;
    l = {static_cast<double>(code[i]), v[i], l.per_code};
    code[i] = l.code_for(target, b_.code_max());
    const double err = l.value0 + (code[i] - l.code0) * l.per_code - target;
    if (std::abs(err) > chip_.calibration.voltage_tolerance_mV)
      fail(i, fmt::format("reset: {:.1f} mV from the target at code {}", err, code[i]));
  }
  keep(vcell(VoltageCell::kReset), code);
  b_.write(vcell(VoltageCell::kThreshold), b_.code_max());
}

// ---------------------------------------------------------------------------------------
// τ_mem: the leak potential steps between two levels; τ = ∫ (V - V_end) dt / (V_start - V_end)
// over the CADC trace, down and up, averaged. 1/τ is straight in the leak-bias code.

std::vector<double> NeuronCalibrator::tau_mem_us(const std::vector<int>& codes) {
  b_.write(b_.core().parameters().cell_index(CurrentCell::kLeakBias), codes);
  const auto hi = leak_codes_for(900.0), lo = leak_codes_for(400.0);
  b_.write(vcell(VoltageCell::kLeak), hi);
  b_.wait(kSettleUs);
  std::vector<double> start = b_.cadc_mean_mV(40.0), tau(n_, 0.0);
  constexpr double kTraceUs = 150.0;
  const int samples = static_cast<int>(kTraceUs / b_.cadc_interval_us());
  const double h = b_.cadc_interval_us();
  for (const auto* level : {&lo, &hi}) {
    b_.write(vcell(VoltageCell::kLeak), *level);
    const auto trace = b_.cadc_trace_mV(samples);
    const auto end = b_.cadc_mean_mV(40.0);
    for (int i = 0; i < n_; ++i) {
      double area = 0;
      for (int k = 0; k + 1 < samples; ++k)
        area += 0.5 * h * (trace[k][i] + trace[k + 1][i] - 2 * end[i]);
      tau[i] += 0.5 * area / (start[i] - end[i]);
    }
    start = end;
  }
  b_.write(vcell(VoltageCell::kLeak), leak_codes_for(chip_.neurons.v_leak_mV));
  return tau;
}

void NeuronCalibrator::tau_mem() {
  const ParameterMemory& pm = b_.core().parameters();
  const double target = chip_.neurons.tau_mem_us;
  const int ca = pm.ideal_code(CurrentCell::kLeakBias, target);
  // A second code ~40 % more current (or less, at the top of the range).
  const int cb = ca * 1.4 <= b_.code_max() ? static_cast<int>(ca * 1.4) : ca * 5 / 7;
  const auto ta = tau_mem_us(std::vector<int>(n_, ca));
  const auto tb = tau_mem_us(std::vector<int>(n_, cb));
  inv_tau_mem_.assign(n_, {});
  std::vector<int> code(n_);
  for (int i = 0; i < n_; ++i) {
    inv_tau_mem_[i] = line_through(ca, 1.0 / ta[i], cb, 1.0 / tb[i]);
    code[i] = std::max(1, inv_tau_mem_[i].code_for(1.0 / target, b_.code_max()));
  }
  const auto t = tau_mem_us(code);
  for (int i = 0; i < n_; ++i) {
    CodeLine& l = inv_tau_mem_[i];
    l = line_fit({double(ca), double(cb), double(code[i])}, {1 / ta[i], 1 / tb[i], 1 / t[i]}, 2);
    code[i] = std::max(1, l.code_for(1.0 / target, b_.code_max()));
    out_->neurons[i].inv_tau_mem = through_origin(l, code[i]);
    const double predicted = 1.0 / (l.value0 + (code[i] - l.code0) * l.per_code);
    if (!(std::abs(predicted / target - 1.0) <= chip_.calibration.relative_tolerance))
      fail(i, fmt::format("tau_mem: {:.2f} µs at code {} (measured {:.2f} µs at {})", predicted,
                          code[i], t[i], static_cast<int>(l.code0)));
  }
  keep(pm.cell_index(CurrentCell::kLeakBias), code);
}

// ---------------------------------------------------------------------------------------
// Threshold: leak set (through its fitted line) to the target threshold; binary search over
// the threshold code for the highest code at which the neuron still fires within a window.

void NeuronCalibrator::threshold() {
  const ParameterMemory& pm = b_.core().parameters();
  const int cell = vcell(VoltageCell::kThreshold);
  const double target = chip_.neurons.v_threshold_mV;
  b_.write(vcell(VoltageCell::kLeak), leak_codes_for(target));
  const int c0 = pm.ideal_code(VoltageCell::kThreshold, target);
  const int span = 256;
  std::vector<int> lo(n_, std::max(0, c0 - span)), hi(n_, std::min(b_.code_max(), c0 + span));
  const std::vector<int> lo0 = lo, hi0 = hi;
  while (true) {
    std::vector<int> mid(n_);
    bool open = false;
    for (int i = 0; i < n_; ++i) {
      mid[i] = (lo[i] + hi[i]) / 2;
      open = open || hi[i] - lo[i] > 1;
    }
    if (!open) break;
    b_.write(cell, mid);
    b_.wait(60.0);
    const auto spikes = b_.count_spikes(100.0);
    for (int i = 0; i < n_; ++i) (spikes[i] > 0 ? lo[i] : hi[i]) = mid[i];
  }
  std::vector<int> code(n_);
  for (int i = 0; i < n_; ++i) {
    code[i] = hi[i];  // the lowest code at which it no longer fires
    if (lo[i] == lo0[i] || hi[i] == hi0[i])
      fail(i, fmt::format("threshold: out of reach of codes {}..{}", lo0[i], hi0[i]));
    out_->neurons[i].threshold = {static_cast<double>(code[i]), target,
                                  out_->neurons[i].leak.per_code};
  }
  keep(cell, code);
  b_.write(vcell(VoltageCell::kLeak), leak_codes_for(chip_.neurons.v_leak_mV));
}

// ---------------------------------------------------------------------------------------
// Synaptic inputs: R rows of one sign, every synapse at weight w, one event per row through the
// host link; the leak made slow (τ_mem ~100 µs) so the membrane integrates the input. From the
// CADC trace D(t) = V - V_rest: 1/τ_mem from the late decay, Y = D + ∫D/τ_mem (the leak put
// back) rises as 1 - exp(-t/τ_syn) to Y∞ = A τ_syn / C, so τ_syn = ∫(Y∞ - Y) dt / Y∞ and the gain
// from A = gain · R · w · i_lsb.

namespace {

struct SynRig {
  std::vector<int> rows;
};

// Every neuron's test rows at its own weight (`weight` per chip-global neuron).
SynRig wire_rows(AnalogCore& core, bool inhibitory, const std::vector<int>& weight) {
  SynRig rig;
  const int rows = core.config().synapses.rows_per_half;
  const int r = std::min(16, rows / 2);
  const int rpd = core.config().drivers.rows_per_driver;
  core.select_drivers_by_index();
  Crossbar& x = core.crossbar();
  x.disable_all();
  x.set_node(core.inputs().host, 0, true, 0, 0);
  for (int h = 0; h < core.halves(); ++h) {
    SynapseArray& s = core.synapses(h);
    for (int row = 0; row < rows; ++row)
      for (int c = 0; c < s.columns(); ++c) s.set_weight(row, c, 0);
    for (int k = 0; k < r; ++k) {
      const int row = (inhibitory ? r : 0) + k;
      s.set_row_sign(row, inhibitory ? SynapseArray::RowSign::kInhibitory
                                     : SynapseArray::RowSign::kExcitatory);
      for (int c = 0; c < s.columns(); ++c) {
        s.set_weight(row, c, weight[h * s.columns() + c]);
        s.set_label(row, c, row % rpd);
      }
      if (h == 0) rig.rows.push_back(row);
    }
  }
  return rig;
}

}  // namespace

namespace {

// τ_syn and Y∞ (see above) from one neuron's trace D (mV above rest, samples h apart; input from
// sample k0, synaptic current gone from k1 on).
// Least squares y = x·b over rows x (3 regressors); zeros if singular.
std::array<double, 3> lsq3(const std::vector<std::array<double, 3>>& x,
                           const std::vector<double>& y) {
  double a[3][4] = {};
  for (std::size_t r = 0; r < x.size(); ++r)
    for (int i = 0; i < 3; ++i) {
      for (int j = 0; j < 3; ++j) a[i][j] += x[r][i] * x[r][j];
      a[i][3] += x[r][i] * y[r];
    }
  for (int c = 0; c < 3; ++c) {  // Gauss-Jordan with partial pivoting
    int p = c;
    for (int r = c + 1; r < 3; ++r)
      if (std::abs(a[r][c]) > std::abs(a[p][c])) p = r;
    if (!(std::abs(a[p][c]) > 0)) return {0, 0, 0};
    for (int j = 0; j < 4; ++j) std::swap(a[c][j], a[p][j]);
    for (int r = 0; r < 3; ++r) {
      if (r == c) continue;
      const double f = a[r][c] / a[c][c];
      for (int j = c; j < 4; ++j) a[r][j] -= f * a[c][j];
    }
  }
  return {a[0][3] / a[0][0], a[1][3] / a[1][1], a[2][3] / a[2][2]};
}

// τ_syn and Y∞ from one neuron's trace D (mV from the first sample, samples h apart; input
// arriving at sample k0, synaptic current gone from k1 on). With S = ∫D, the membrane obeys
// D + S/τ_mem = β t + c + Y_syn(t): a constant drive β (offset currents: the slow leak moves
// the rest) and Y_syn = ∫I_syn/C. Late window: Y_syn = Y∞, so D = (Y∞ + c) - S/τ_mem + β t by
// least squares; before the input Y_syn = 0 gives c.
std::pair<double, double> syn_estimate(const std::vector<double>& d, double h, int k0, int k1,
                                       double t_arrive) {
  const int k2 = static_cast<int>(d.size()) - 1;
  std::vector<double> s(d.size(), 0.0);
  for (std::size_t k = 1; k < d.size(); ++k) s[k] = s[k - 1] + 0.5 * h * (d[k] + d[k - 1]);
  std::vector<std::array<double, 3>> x;
  std::vector<double> y;
  for (int k = k1; k <= k2; ++k) {
    x.push_back({1.0, -s[k], k * h});
    y.push_back(d[k]);
  }
  const auto b = lsq3(x, y);
  const double inv_tau = b[1], beta = b[2];
  auto yk = [&](int k) { return d[k] + inv_tau * s[k] - beta * k * h; };
  double c = 0;
  for (int k = 0; k < k0; ++k) c += yk(k) / k0;
  const double y_inf = b[0] - c;
  double area = 0;  // trapezoid from sample k0, then the time before the input arrived taken off
  for (int k = k0; k < k1; ++k) area += 0.5 * h * (2 * y_inf - (yk(k) - c) - (yk(k + 1) - c));
  return {area / y_inf - (t_arrive - k0 * h), y_inf};
}

}  // namespace

void NeuronCalibrator::syn_trace(bool inh, double rest_mV, SynMeasure& sum, double weight) {
  AnalogCore& core = b_.core();
  const SynRig rig = wire_rows(core, inh, syn_weight_);
  const int leak_bias = core.parameters().cell_index(CurrentCell::kLeakBias);
  const std::vector<int> fast = b_.codes(leak_bias);
  // The rest level, moved per neuron where its CADC channel offset would put the rest (inh,
  // high) or the response (exc, rising from low) outside the converter's codes.
  {
    std::vector<int> codes = leak_codes_for(rest_mV);
    const double lsb = b_.cadc_mV_per_lsb();
    const int per_half = core.neurons_per_half(), top = core.cadc(0).max_code();
    for (int i = 0; i < n_; ++i) {
      const double off = b_.cadc_offsets()[i / per_half][i % per_half];
      const double v =
          inh ? std::min(rest_mV, (top - off - 8) * lsb) : std::max(rest_mV, (8 - off) * lsb);
      if (v != rest_mV) {
        const int k = out_->neurons[i].leak.code_for(v, b_.code_max());
        if (k >= 0) codes[i] = k;
      }
    }
    b_.write(vcell(VoltageCell::kLeak), codes);
  }
  b_.wait(kSettleUs);
  std::vector<int> slow(n_);  // τ_mem ~10x longer: the membrane nearly integrates the input
  for (int i = 0; i < n_; ++i) slow[i] = std::max(1, fast[i] / 10);
  b_.write(leak_bias, slow);
  // One event per row (both halves interleaved) `lead` µs from now.
  const double h = b_.cadc_interval_us(), lead = 6.0;
  const double tp = b_.now_us() + lead;
  const int rpd = core.config().drivers.rows_per_driver;
  std::vector<Event> ev;
  for (int row : rig.rows)
    for (int half = 0; half < core.halves(); ++half)
      ev.push_back({tp, AnalogCore::row_label(half, row, rpd, row % rpd)});
  core.add_playback(ev);
  const auto trace = b_.cadc_trace_mV(static_cast<int>((lead + 110.0) / h));
  b_.write(leak_bias, fast);
  const int k0 = static_cast<int>(std::floor((lead + chip_.buses.latency_us) / h));
  const int k1 = static_cast<int>(50.0 / h) + k0;
  // Events act from the start of the step after they reach the synapses.
  const double t_arrive =
      (std::floor((lead + chip_.buses.latency_us) / core.dt_us() + 1e-9) + 1) * core.dt_us();
  std::vector<double> d(trace.size());
  for (int i = 0; i < n_; ++i) {
    const double amp = rig.rows.size() * syn_weight_[i] * chip_.synapses.i_lsb_nA;
    for (std::size_t k = 0; k < trace.size(); ++k) d[k] = trace[k][i] - trace[0][i];
    const auto [tau, y_inf] = syn_estimate(d, h, k0, k1, t_arrive);
    sum.tau_us[i] += weight * tau;
    sum.gain[i] += weight * std::abs(y_inf) * chip_.neurons.c_mem_pF / (tau * amp);
  }
}

NeuronCalibrator::SynMeasure NeuronCalibrator::syn_response(bool inh,
                                                            const std::vector<int>& tau_codes,
                                                            const std::vector<int>& gain_codes) {
  const ParameterMemory& pm = b_.core().parameters();
  b_.write(pm.cell_index(inh ? CurrentCell::kSynInhBias : CurrentCell::kSynExcBias), tau_codes);
  b_.write(pm.cell_index(inh ? CurrentCell::kSynGainInh : CurrentCell::kSynGainExc), gain_codes);
  b_.write(vcell(VoltageCell::kThreshold), b_.code_max());  // no spikes
  // The CADC quantises a plateau without dither: repeat from rest levels a quarter LSB apart.
  constexpr int kDither = 16;
  SynMeasure m{std::vector<double>(n_, 0.0), std::vector<double>(n_, 0.0)};
  for (int j = 0; j < kDither; ++j)
    syn_trace(inh, (inh ? 1000.0 : 250.0) + (j % 4) * b_.cadc_mV_per_lsb() / 4, m, 1.0 / kDither);
  return m;
}

void NeuronCalibrator::synapses(bool inh) {
  const ParameterMemory& pm = b_.core().parameters();
  const CurrentCell tau_cell = inh ? CurrentCell::kSynInhBias : CurrentCell::kSynExcBias;
  const CurrentCell gain_cell = inh ? CurrentCell::kSynGainInh : CurrentCell::kSynGainExc;
  const double tau_t = inh ? chip_.neurons.tau_syn_inh_us : chip_.neurons.tau_syn_exc_us;
  const double gain_t = chip_.calibration.synaptic_strength;
  const int ta = pm.ideal_code(tau_cell, tau_t), ga = pm.ideal_code(gain_cell, gain_t);
  const int tb = ta * 1.4 <= b_.code_max() ? static_cast<int>(ta * 1.4) : ta * 5 / 7;
  const int gb = ga * 1.3 <= b_.code_max() ? static_cast<int>(ga * 1.3) : ga * 10 / 13;
  // The test weight: 24, halved (twice at most) for a neuron whose response clips the CADC in
  // a probe at the larger-response codes (at 2x the reference mismatch ~15 % of the neurons).
  syn_weight_.assign(n_, kSynWeight);
  b_.write(pm.cell_index(tau_cell), std::vector<int>(n_, ta));
  b_.write(pm.cell_index(gain_cell), std::vector<int>(n_, std::max(ga, gb)));
  b_.write(vcell(VoltageCell::kThreshold), b_.code_max());
  for (int round = 0; round < 2; ++round) {
    b_.clear_clipped();
    SynMeasure probe{std::vector<double>(n_, 0.0), std::vector<double>(n_, 0.0)};
    syn_trace(inh, (inh ? 1000.0 : 250.0) + 0.75 * b_.cadc_mV_per_lsb(), probe, 1.0);
    for (int i = 0; i < n_; ++i)
      if (b_.clipped()[i]) syn_weight_[i] /= 2;
  }
  b_.clear_clipped();
  const auto a = syn_response(inh, std::vector<int>(n_, ta), std::vector<int>(n_, ga));
  const auto b = syn_response(inh, std::vector<int>(n_, tb), std::vector<int>(n_, gb));
  std::vector<CodeLine> lt(n_), lg(n_);
  std::vector<int> tc(n_), gc(n_);
  for (int i = 0; i < n_; ++i) {
    lt[i] = line_through(ta, 1.0 / a.tau_us[i], tb, 1.0 / b.tau_us[i]);
    lg[i] = line_through(ga, a.gain[i], gb, b.gain[i]);
    tc[i] = std::clamp(lt[i].code_for(1.0 / tau_t, b_.code_max()), ta / 3,
                       std::min(3 * ta, b_.code_max()));
    gc[i] =
        std::clamp(lg[i].code_for(gain_t, b_.code_max()), ga / 3, std::min(3 * ga, b_.code_max()));
  }
  const auto c = syn_response(inh, tc, gc);
  const char* q = inh ? "inh" : "exc";
  for (int i = 0; i < n_; ++i)
    if (b_.clipped()[i])
      fail(i, fmt::format("tau_syn_{}: the CADC clipped the response (outside its range)", q));
  const double tol = chip_.calibration.relative_tolerance;
  for (int i = 0; i < n_; ++i) {
    // All three measurements lie on the line (1/τ_syn and the gain are straight in their
    // codes): the least-squares line through them averages their noise.
    lt[i] = line_fit({double(ta), double(tb), double(tc[i])},
                     {1.0 / a.tau_us[i], 1.0 / b.tau_us[i], 1.0 / c.tau_us[i]}, 2);
    lg[i] = line_fit({double(ga), double(gb), double(gc[i])}, {a.gain[i], b.gain[i], c.gain[i]}, 2);
    tc[i] = std::max(1, lt[i].code_for(1.0 / tau_t, b_.code_max()));
    gc[i] = std::max(0, lg[i].code_for(gain_t, b_.code_max()));
    (inh ? out_->neurons[i].inv_tau_syn_inh : out_->neurons[i].inv_tau_syn_exc) =
        through_origin(lt[i], tc[i]);
    (inh ? out_->neurons[i].gain_inh : out_->neurons[i].gain_exc) = through_origin(lg[i], gc[i]);
    const double tp = 1.0 / (lt[i].value0 + (tc[i] - lt[i].code0) * lt[i].per_code);
    const double gp = lg[i].value0 + (gc[i] - lg[i].code0) * lg[i].per_code;
    if (!(std::abs(tp / tau_t - 1) <= tol))
      fail(i, fmt::format("tau_syn_{}: {:.2f} µs at code {}", q, tp, tc[i]));
    if (!(std::abs(gp / gain_t - 1) <= tol))
      fail(i, fmt::format("synaptic_strength_{}: {:.3f} at code {}", q, gp, gc[i]));
    // A fit that sends the code far outside the searched range is a failed measurement (e.g.
    // a clipped trace): such a neuron keeps the design codes rather than a wild one.
    if (tc[i] < ta / 3 || tc[i] > 3 * ta || gc[i] < ga / 3 || gc[i] > 3 * ga) {
      fail(i, fmt::format("tau_syn_{}: fit out of range, design codes kept", q));
      tc[i] = ta;
      gc[i] = ga;
    }
  }
  keep(pm.cell_index(tau_cell), tc);
  keep(pm.cell_index(gain_cell), gc);
  restore(vcell(VoltageCell::kThreshold));
  b_.write(vcell(VoltageCell::kLeak), leak_codes_for(chip_.neurons.v_leak_mV));
}

// ---------------------------------------------------------------------------------------
// Refractory time: with the threshold below the reset the neuron fires again the moment its
// refractory time ends, so the interval between its spikes is t_ref itself (no climb time to
// take off). t_ref = q / I with I straight in the code: 1/ISI is a line through two codes,
// checked at the chosen code and re-anchored there.

std::vector<double> NeuronCalibrator::isi_us(const std::vector<int>& codes) {
  b_.write(b_.core().parameters().cell_index(CurrentCell::kRefractoryBias), codes);
  b_.wait(10.0);
  const auto times = b_.spike_times(60.0);
  std::vector<double> isi(n_, std::numeric_limits<double>::quiet_NaN());
  for (int i = 0; i < n_; ++i)
    if (times[i].size() >= 3) isi[i] = (times[i].back() - times[i].front()) / (times[i].size() - 1);
  return isi;
}

void NeuronCalibrator::refractory() {
  const ParameterMemory& pm = b_.core().parameters();
  const double target = chip_.neurons.t_ref_us;
  b_.write(vcell(VoltageCell::kThreshold), 0);  // below reset: a spike as soon as t_ref ends
  const int top = b_.code_max(), ca = pm.ideal_code(CurrentCell::kRefractoryBias, target);
  const int cb = ca * 1.4 <= top ? static_cast<int>(ca * 1.4) : ca * 5 / 7;
  const auto ya = isi_us(std::vector<int>(n_, ca));
  const auto yb = isi_us(std::vector<int>(n_, cb));
  std::vector<int> code(n_);
  std::vector<CodeLine> line(n_);
  for (int i = 0; i < n_; ++i) {
    line[i] = line_through(ca, 1 / ya[i], cb, 1 / yb[i]);
    code[i] = line[i].code_for(1 / target, top);
    if (code[i] < 1) code[i] = ca;
  }
  const auto isi = isi_us(code);
  for (int i = 0; i < n_; ++i) {
    // Re-anchored at the chosen code, one more step along the line if it is closer.
    CodeLine& l = line[i];
    if (!(isi[i] > 0)) {
      fail(i, "refractory: no regular spikes with the threshold below the reset");
      code[i] = ca;
      continue;
    }
    l = {static_cast<double>(code[i]), 1 / isi[i], l.per_code};
    out_->neurons[i].inv_refractory = l;
    code[i] = std::max(1, l.code_for(1 / target, top));
    const double t = 1 / (l.value0 + (code[i] - l.code0) * l.per_code);
    if (!(std::abs(t / target - 1) <= chip_.calibration.relative_tolerance))
      fail(i, fmt::format("refractory: {:.2f} µs at code {}", t, code[i]));
  }
  keep(pm.cell_index(CurrentCell::kRefractoryBias), code);
  restore(vcell(VoltageCell::kThreshold));
}

// ---------------------------------------------------------------------------------------
// Target-rate mode (calix's rate calibration): the leak of every neuron is tuned, without
// input, until its rate counter shows the target rate.

void NeuronCalibrator::rate() {
  const double target = chip_.calibration.rate_hz;
  const NeuronConfig& nc = chip_.neurons;
  // Start from the leak the calibrated LIF needs: t_ref + τ ln((V-Vr)/(V-Vth)) = 1/rate.
  const double x = (1e6 / target - nc.t_ref_us) / nc.tau_mem_us;
  const double v0 =
      x > 0 ? (nc.v_threshold_mV * std::exp(x) - nc.v_reset_mV) / (std::exp(x) - 1) : nc.v_max_mV;
  b_.write(vcell(VoltageCell::kLeak), leak_codes_for(std::min(v0, nc.v_max_mV)));
  RateCalibrationOptions o;
  o.target_hz = target;
  const double max_count = (1 << chip_.rate_counters.bits) - 1;
  o.window_us = std::min(chip_.calibration.rate_window_us, 0.8 * max_count / target * 1e6);
  o.initial_step = 16;
  o.iterations = 8;
  std::vector<int> all(n_);
  for (int i = 0; i < n_; ++i) all[i] = i;
  rates_ = calibrate_rates(
      b_.core(), [&](double t) { b_.wait(t - b_.now_us()); }, all, o);
  for (int i = 0; i < n_; ++i)
    if (!(std::abs(rates_[i] / target - 1) <= chip_.calibration.rate_tolerance))
      fail(i, fmt::format("rate: {:.0f} Hz", rates_[i]));
  keep(vcell(VoltageCell::kLeak), b_.codes(vcell(VoltageCell::kLeak)));
  out_->rate_hz = target;
}

}  // namespace salvo::calibration
