#include "emulator/trace/chip_trace.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>

#include <fmt/format.h>

#include "hw/chip/chip.hpp"
#include "hw/common/error.hpp"
#include "hw/ppu/plasticity_processor.hpp"

namespace salvo::trace {
namespace {

constexpr double kPsPerUs = 1e6;
// The processor runs ahead of the analog core by up to a quantum: it is traced from this
// long before the window (its observer makes it single-step, several times slower).
constexpr double kPpuLeadUs = 20.0;

std::uint64_t ps_of_us(double t_us) {
  return static_cast<std::uint64_t>(std::llround(t_us * kPsPerUs));
}
std::uint64_t ps_of(const sc_core::sc_time& t) {
  return static_cast<std::uint64_t>(std::llround(t.to_seconds() * 1e12));
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  for (std::string x; std::getline(ss, x, sep);) out.push_back(x);
  return out;
}

bool parse_uint(const std::string& s, long& v) {
  if (s.empty() || s.find_first_not_of("0123456789") != std::string::npos || s.size() > 9)
    return false;
  v = std::stol(s);
  return true;
}

bool parse_double(const std::string& s, double& v) {
  try {
    std::size_t used = 0;
    v = std::stod(s, &used);
    return used == s.size() && std::isfinite(v) && v >= 0;
  } catch (const std::exception&) {
    return false;
  }
}

}  // namespace

TraceOptions parse_trace_options(const std::string& path, const std::string& neurons,
                                 const std::string& signals, const std::string& window) {
  TraceOptions o;
  o.path = path;
  if (!neurons.empty()) {
    for (const std::string& part : split(neurons, ',')) {
      const auto range = split(part, '-');
      long a = 0, b = 0;
      const bool ok = (range.size() == 1 && parse_uint(range[0], a) && (b = a, true)) ||
                      (range.size() == 2 && parse_uint(range[0], a) && parse_uint(range[1], b));
      if (!ok || b < a)
        throw OptionError("run", "--trace-neurons",
                          fmt::format("'{}' is not a neuron list", neurons),
                          "comma-separated indices and ranges, e.g. 0-7,40");
      for (long n = a; n <= b; ++n) o.neurons.push_back(static_cast<int>(n));
    }
    std::sort(o.neurons.begin(), o.neurons.end());
    o.neurons.erase(std::unique(o.neurons.begin(), o.neurons.end()), o.neurons.end());
  }
  if (!signals.empty()) {
    o.signals = 0;
    static const std::pair<const char*, Signal> kNames[] = {
        {"membrane", kMembrane}, {"spikes", kSpikes}, {"bus", kBus},
        {"ppu", kPpu},           {"cadc", kCadc},     {"capmem", kCapmem}};
    for (const std::string& name : split(signals, ',')) {
      const auto it = std::find_if(std::begin(kNames), std::end(kNames),
                                   [&](const auto& p) { return name == p.first; });
      if (it == std::end(kNames))
        throw OptionError("run", "--trace-signals", fmt::format("unknown signal '{}'", name),
                          "membrane, spikes, bus, ppu, cadc, capmem (comma-separated)");
      o.signals |= it->second;
    }
  }
  if (!window.empty()) {
    const auto colon = window.find(':');
    const std::string a = colon == std::string::npos ? "" : window.substr(0, colon);
    const std::string b = colon == std::string::npos ? "" : window.substr(colon + 1);
    bool ok = colon != std::string::npos;
    if (ok && !a.empty()) ok = parse_double(a, o.t0_us);
    if (ok && !b.empty()) ok = parse_double(b, o.t1_us);
    if (!ok || !(o.t1_us > o.t0_us))
      throw OptionError("run", "--trace-window", fmt::format("'{}' is not a time window", window),
                        "t0_us:t1_us with 0 <= t0_us < t1_us (either side may be empty)");
  }
  return o;
}

// All observers in one place: the analog core's step callback, the chip's traffic and one
// trace sink per processor.
class ChipTrace::Observers : public ChipObserver {
 public:
  Observers(Chip& chip, const std::vector<ppu::PlasticityProcessor*>& processors, TraceOptions o)
      : chip_(chip), opt_(std::move(o)), dt_us_(chip.core().dt_us()) {
    AnalogCore& core = chip.core();
    const int total = core.neurons_total();
    if (opt_.neurons.empty())
      for (int n = 0; n < std::min(8, total); ++n) opt_.neurons.push_back(n);
    for (int n : opt_.neurons)
      if (n >= total)
        throw OptionError("run", "--trace-neurons", fmt::format("neuron {} is not on the chip", n),
                          fmt::format("0 .. {}", total - 1));
    const unsigned s = opt_.signals;
    for (int n : opt_.neurons) {
      const std::string scope = fmt::format("chip.neuron{}", n);
      membrane_.push_back(s & kMembrane ? vcd_.add(scope, "v_mV", VcdWriter::Kind::kReal) : -1);
      spike_.push_back(s & kSpikes ? vcd_.add(scope, "spike", VcdWriter::Kind::kWire) : -1);
    }
    if (s & kSpikes) {
      is_traced_.assign(static_cast<std::size_t>(total), -1);
      for (std::size_t i = 0; i < opt_.neurons.size(); ++i)
        is_traced_[opt_.neurons[i]] = static_cast<int>(i);
    }
    if (s & kBus) {
      for (int b = 0; b < core.bus_count(); ++b) {
        const std::string scope = fmt::format("chip.bus{}", b);
        bus_occupancy_.push_back(vcd_.add(scope, "occupancy", VcdWriter::Kind::kWire, 16));
        bus_dropped_.push_back(vcd_.add(scope, "dropped", VcdWriter::Kind::kWire, 32));
      }
    }
    if (s & kCadc) {
      for (int h = 0; h < core.halves(); ++h) {
        const std::string scope = fmt::format("chip.cadc{}", h);
        cadc_busy_.push_back(vcd_.add(scope, "busy", VcdWriter::Kind::kWire));
        cadc_row_.push_back(vcd_.add(scope, "row", VcdWriter::Kind::kWire, 16));
      }
    }
    if (s & kCapmem) {
      capmem_write_ = vcd_.add("chip.capmem", "write", VcdWriter::Kind::kWire);
      capmem_neuron_ = vcd_.add("chip.capmem", "neuron", VcdWriter::Kind::kWire, 16);
      capmem_cell_ = vcd_.add("chip.capmem", "cell", VcdWriter::Kind::kWire, 8);
      capmem_code_ = vcd_.add("chip.capmem", "code", VcdWriter::Kind::kWire, 16);
    }
    if (s & kPpu) {
      for (std::size_t i = 0; i < processors.size(); ++i) {
        const std::string scope = fmt::format("ppu{}", i);
        ppu_.push_back(std::make_unique<Ppu>(*this, *processors[i],
                                             vcd_.add(scope, "pc", VcdWriter::Kind::kWire, 32),
                                             vcd_.add(scope, "state", VcdWriter::Kind::kWire, 2)));
      }
    }
    if (s & (kCadc | kCapmem)) chip.set_observer(this);
    core.set_step_observer([this](double t) { on_step(t); });
  }

  ~Observers() override {
    chip_.set_observer(nullptr);
    chip_.core().set_step_observer(nullptr);
    for (auto& p : ppu_) p->processor.attach_trace(nullptr);
  }

  bool in_window(double t_us) const { return t_us >= opt_.t0_us && t_us <= opt_.t1_us; }

  void on_step(double t_us) {
    AnalogCore& core = chip_.core();
    const double t0 = t_us - dt_us_;
    // Processors: observed from shortly before the window to shortly after it.
    for (auto& p : ppu_) {
      const bool want = t_us >= opt_.t0_us - kPpuLeadUs && t0 <= opt_.t1_us + kPpuLeadUs;
      if (want != p->attached) {
        p->processor.attach_trace(want ? p.get() : nullptr);
        p->attached = want;
      }
    }
    if (!is_traced_.empty()) {
      const auto& spikes = core.spikes();
      for (; next_spike_ < spikes.size(); ++next_spike_) {
        const auto& sp = spikes[next_spike_];
        const int i = is_traced_[sp.neuron];
        if (i < 0 || !in_window(sp.t_us)) continue;
        vcd_.wire(ps_of_us(sp.t_us), spike_[i], 1);
        vcd_.wire(ps_of_us(sp.t_us + dt_us_), spike_[i], 0);
      }
    }
    if (!in_window(t_us)) return;
    const std::uint64_t t = ps_of_us(t_us);
    for (std::size_t i = 0; i < opt_.neurons.size(); ++i)
      if (membrane_[i] >= 0) vcd_.real(t, membrane_[i], core.neurons().v_mV(opt_.neurons[i]));
    for (std::size_t b = 0; b < bus_occupancy_.size(); ++b) {
      const EventBus& bus = core.bus(static_cast<int>(b));
      vcd_.wire(t, bus_occupancy_[b], static_cast<std::uint64_t>(bus.held_at(t_us)));
      vcd_.wire(t, bus_dropped_[b], bus.dropped());
    }
  }

  void on_cadc_conversion(int half, int row, double start_us, double end_us) override {
    if (cadc_busy_.empty() || !in_window(start_us)) return;
    vcd_.wire(ps_of_us(start_us), cadc_row_[half],
              static_cast<std::uint64_t>(row < 0 ? 0xFFFF : row));
    vcd_.wire(ps_of_us(start_us), cadc_busy_[half], 1);
    vcd_.wire(ps_of_us(end_us), cadc_busy_[half], 0);
  }

  void on_parameter_write(int neuron, int cell, int code, double t_us) override {
    if (capmem_write_ < 0 || !in_window(t_us)) return;
    const std::uint64_t t = ps_of_us(t_us);
    vcd_.wire(t, capmem_neuron_, static_cast<std::uint64_t>(neuron));
    vcd_.wire(t, capmem_cell_, static_cast<std::uint64_t>(cell));
    vcd_.wire(t, capmem_code_, static_cast<std::uint64_t>(code));
    vcd_.wire(t, capmem_write_, 1);
    vcd_.wire(t + ps_of_us(dt_us_), capmem_write_, 0);
  }

  // Processor state wire: 0 running, 1 asleep in WFI, 2 stalled on the CADC, 3 stalled on the
  // rest of the chip window.
  struct Ppu : ppu::ProcessorTraceSink {
    Ppu(Observers& o, ppu::PlasticityProcessor& p, int pc, int state)
        : owner(o), processor(p), pc_var(pc), state_var(state) {}
    void on_instruction(const sc_core::sc_time& start, const sc_core::sc_time& cycle,
                        std::uint32_t pc, std::uint64_t cycles, std::uint64_t stall_cycles,
                        bool cadc) override {
      const double t_us = start.to_seconds() * 1e6;
      if (!owner.in_window(t_us)) return;
      const std::uint64_t t = ps_of(start);
      owner.vcd_.wire(t, pc_var, pc);
      owner.vcd_.wire(t, state_var, 0);
      if (stall_cycles && stall_cycles <= cycles)
        owner.vcd_.wire(ps_of(start + cycle * static_cast<double>(cycles - stall_cycles)),
                        state_var, cadc ? 2 : 3);
    }
    void on_sleep(const sc_core::sc_time& from, const sc_core::sc_time& to) override {
      const double a = from.to_seconds() * 1e6, b = to.to_seconds() * 1e6;
      if (b < owner.opt_.t0_us || a > owner.opt_.t1_us) return;
      owner.vcd_.wire(ps_of_us(std::max(a, owner.opt_.t0_us)), state_var, 1);
      owner.vcd_.wire(ps_of(to), state_var, 0);
    }
    Observers& owner;
    ppu::PlasticityProcessor& processor;
    int pc_var, state_var;
    bool attached = false;
  };

  Chip& chip_;
  TraceOptions opt_;
  double dt_us_;
  VcdWriter vcd_;
  std::vector<int> membrane_, spike_, is_traced_;
  std::size_t next_spike_ = 0;
  std::vector<int> bus_occupancy_, bus_dropped_, cadc_busy_, cadc_row_;
  int capmem_write_ = -1, capmem_neuron_ = -1, capmem_cell_ = -1, capmem_code_ = -1;
  std::vector<std::unique_ptr<Ppu>> ppu_;
};

ChipTrace::ChipTrace(Chip& chip, const std::vector<ppu::PlasticityProcessor*>& processors,
                     TraceOptions options)
    : obs_(std::make_unique<Observers>(chip, processors, std::move(options))) {}

ChipTrace::~ChipTrace() = default;

std::string ChipTrace::write() {
  if (written_) return {};
  written_ = true;
  const auto& o = obs_->opt_;
  const std::size_t changes = obs_->vcd_.changes(), vars = obs_->vcd_.variables();
  obs_->vcd_.write(
      o.path, fmt::format("salvo run trace, hardware time, window {}:{} us", o.t0_us,
                          std::isinf(o.t1_us) ? std::string("end") : fmt::format("{}", o.t1_us)));
  return fmt::format("trace: {} ({} variables, {} changes)", o.path, vars, changes);
}

}  // namespace salvo::trace
