#include "hw/ppu/firmware_profiler.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace salvo::ppu {
namespace {

bool is_label(const std::string& name) { return !name.empty() && name[0] != '.' && name[0] != '$'; }

double percent(std::uint64_t part, std::uint64_t whole) {
  return whole ? 100.0 * static_cast<double>(part) / static_cast<double>(whole) : 0.0;
}

}  // namespace

FirmwareProfiler::FirmwareProfiler(const ElfImage& image) {
  // Functions first (sized FUNC symbols), then code labels of assembly without a size (crt0's
  // _start, trap vectors): those reach up to the next symbol.
  std::uint64_t lo = ~std::uint64_t{0}, hi = 0;
  for (const auto& seg : image.segments()) {
    if (!seg.executable) continue;
    lo = std::min<std::uint64_t>(lo, seg.address);
    hi = std::max<std::uint64_t>(hi, std::uint64_t{seg.address} + seg.size);
  }
  auto in_code = [&](std::uint32_t a) { return a >= lo && a < hi; };
  for (const auto& s : image.symbols())
    if (s.function && s.size && is_label(s.name) && in_code(s.address))
      functions_.push_back({s.name, s.address, s.size, {}});
  for (const auto& s : image.symbols())
    if (!s.function && s.size == 0 && is_label(s.name) && in_code(s.address))
      functions_.push_back({s.name, s.address, 0, {}});
  // Aliases (two names, one address): keep the first function name.
  std::stable_sort(functions_.begin(), functions_.end(), [](const Function& a, const Function& b) {
    return a.address < b.address || (a.address == b.address && a.size > b.size);
  });
  functions_.erase(
      std::unique(functions_.begin(), functions_.end(),
                  [](const Function& a, const Function& b) { return a.address == b.address; }),
      functions_.end());
  functions_.push_back({"[unknown]", 0, 0, {}});
  if (hi > lo) {
    span_base_ = static_cast<std::uint32_t>(lo);
    span_size_ = static_cast<std::uint32_t>(hi - lo);
    slot_function_.assign((span_size_ + 1) / 2, -1);
    slot_stats_.resize((span_size_ + 1) / 2);
  }
}

int FirmwareProfiler::lookup(std::uint32_t pc) const {
  const int unknown = static_cast<int>(functions_.size()) - 1;
  // The sized function containing pc, else the closest label below pc not inside a function.
  int label = unknown;
  for (int i = 0; i < unknown; ++i) {
    const Function& f = functions_[i];
    if (f.address > pc) break;
    if (f.size) {
      if (pc - f.address < f.size) return i;
    } else {
      label = i;
    }
  }
  if (label != unknown) {
    // A label only covers code up to the next symbol.
    for (int i = label + 1; i < unknown; ++i)
      if (functions_[i].address <= pc) return unknown;
  }
  return label;
}

int FirmwareProfiler::function_of(std::uint32_t pc) {
  const std::uint32_t off = pc - span_base_;
  if (off < span_size_) {
    int& slot = slot_function_[off >> 1];
    if (slot < 0) slot = lookup(pc);
    return slot;
  }
  return lookup(pc);
}

void FirmwareProfiler::on_instruction(std::uint32_t pc, std::uint64_t cycles,
                                      std::uint64_t retired) {
  const int fi = function_of(pc);
  Function& f = functions_[fi];
  ProfileRow& s = f.stats;
  if (fi != last_function_ && pc == f.address) ++s.calls;
  last_function_ = fi;
  s.instructions += retired;
  s.cycles += cycles;
  s.cadc_stall_cycles += pending_cadc_;
  s.chip_stall_cycles += pending_chip_;
  const std::uint64_t stall = pending_cadc_ + pending_chip_;
  pending_cadc_ = pending_chip_ = 0;
  total_cycles_ += cycles;
  total_instructions_ += retired;
  const std::uint32_t off = pc - span_base_;
  PcStats* p = nullptr;
  if (off < span_size_) {
    p = &slot_stats_[off >> 1];
  } else {
    auto it = std::find_if(outside_.begin(), outside_.end(),
                           [pc](const auto& e) { return e.first == pc; });
    if (it == outside_.end()) {
      outside_.push_back({pc, {}});
      it = outside_.end() - 1;
    }
    p = &it->second;
  }
  p->instructions += retired;
  p->cycles += cycles;
  p->stall += stall;
}

std::vector<ProfileRow> FirmwareProfiler::rows() const {
  std::vector<ProfileRow> out;
  for (const Function& f : functions_) {
    if (f.stats.cycles == 0 && f.stats.instructions == 0) continue;
    ProfileRow r = f.stats;
    r.function = f.name;
    r.address = f.address;
    r.size = f.size;
    out.push_back(std::move(r));
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const ProfileRow& a, const ProfileRow& b) { return a.cycles > b.cycles; });
  return out;
}

std::vector<ProfilePcRow> FirmwareProfiler::pc_rows() const {
  std::vector<ProfilePcRow> out;
  auto add = [&](std::uint32_t pc, const PcStats& s) {
    if (s.cycles == 0 && s.instructions == 0) return;
    const Function& f = functions_[lookup(pc)];
    const std::string where =
        f.size || f.address ? fmt::format("{}+0x{:x}", f.name, pc - f.address) : f.name;
    out.push_back({pc, where, s.instructions, s.cycles, s.stall});
  };
  for (std::size_t i = 0; i < slot_stats_.size(); ++i)
    add(span_base_ + static_cast<std::uint32_t>(2 * i), slot_stats_[i]);
  for (const auto& [pc, s] : outside_) add(pc, s);
  std::sort(out.begin(), out.end(),
            [](const ProfilePcRow& a, const ProfilePcRow& b) { return a.pc < b.pc; });
  return out;
}

std::string FirmwareProfiler::format(std::uint64_t busy_cycles, std::uint64_t sleep_cycles,
                                     std::size_t max_rows) const {
  const auto r = rows();
  std::string s = fmt::format(
      "flat profile: {} instructions, {} busy cycles ({} attributed to functions), {} cycles "
      "asleep in WFI\n",
      total_instructions_, busy_cycles, total_cycles_, sleep_cycles);
  s += fmt::format("{:>7} {:>12} {:>12} {:>9} {:>10} {:>11} {:>11}  {}\n", "%cyc", "cycles",
                   "instr", "calls", "cyc/call", "cadc_stall", "chip_stall", "function");
  for (std::size_t i = 0; i < r.size() && i < max_rows; ++i) {
    const ProfileRow& p = r[i];
    s += fmt::format("{:7.2f} {:12} {:12} {:9} {:>10} {:11} {:11}  {}\n",
                     percent(p.cycles, total_cycles_), p.cycles, p.instructions, p.calls,
                     p.calls ? fmt::format("{:.0f}", static_cast<double>(p.cycles) /
                                                         static_cast<double>(p.calls))
                             : std::string("-"),
                     p.cadc_stall_cycles, p.chip_stall_cycles, p.function);
  }
  if (r.size() > max_rows)
    s += fmt::format("  ({} more functions in profile.csv)\n", r.size() - max_rows);
  if (busy_cycles > total_cycles_)
    s += fmt::format("  {} cycles unattributed (interrupt entries)\n", busy_cycles - total_cycles_);
  return s;
}

std::string FirmwareProfiler::csv() const {
  std::string s =
      "function,address,size,instructions,cycles,percent,calls,cycles_per_call,cadc_stall_cycles,"
      "chip_stall_cycles\n";
  for (const ProfileRow& p : rows())
    s += fmt::format("{},0x{:08x},{},{},{},{:.4f},{},{:.1f},{},{}\n", p.function, p.address, p.size,
                     p.instructions, p.cycles, percent(p.cycles, total_cycles_), p.calls,
                     p.calls ? static_cast<double>(p.cycles) / static_cast<double>(p.calls) : 0.0,
                     p.cadc_stall_cycles, p.chip_stall_cycles);
  return s;
}

std::string FirmwareProfiler::pc_csv() const {
  std::string s = "pc,where,instructions,cycles,stall_cycles\n";
  for (const ProfilePcRow& p : pc_rows())
    s += fmt::format("0x{:08x},{},{},{},{}\n", p.pc, p.where, p.instructions, p.cycles,
                     p.stall_cycles);
  return s;
}

}  // namespace salvo::ppu
