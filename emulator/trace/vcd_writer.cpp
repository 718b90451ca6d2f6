#include "emulator/trace/vcd_writer.hpp"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>

#include <fmt/format.h>
#include <unistd.h>

#include "hw/common/error.hpp"

namespace salvo::trace {

std::string VcdWriter::identifier(int index) {
  std::string id;
  do {
    id += static_cast<char>('!' + index % 94);
    index /= 94;
  } while (index > 0);
  return id;
}

int VcdWriter::add(const std::string& scope, const std::string& name, Kind kind, int width,
                   double initial) {
  const int index = static_cast<int>(vars_.size());
  vars_.push_back(
      {scope, name, identifier(index), kind, kind == Kind::kReal ? 64 : width, initial});
  return index;
}

std::string VcdWriter::format_value(const Var& v, double r, std::uint64_t w) const {
  if (v.kind == Kind::kReal) return fmt::format("r{:.6g} {}\n", r, v.id);
  if (v.width == 1) return fmt::format("{}{}\n", w & 1u, v.id);
  std::string bits;
  for (int b = v.width - 1; b >= 0; --b) {
    const char c = ((w >> b) & 1u) ? '1' : '0';
    if (bits.empty() && c == '0' && b > 0) continue;  // leading zeros may be left out
    bits += c;
  }
  return fmt::format("b{} {}\n", bits, v.id);
}

void VcdWriter::write(const std::string& path, const std::string& comment) {
  std::stable_sort(changes_.begin(), changes_.end(),
                   [](const Change& a, const Change& b) { return a.t < b.t; });
  const std::string tmp = path + fmt::format(".tmp{}", ::getpid());
  std::FILE* f = std::fopen(tmp.c_str(), "w");
  if (!f) throw UserError(fmt::format("{}: cannot write the trace", path));
  std::string head =
      fmt::format("$comment {} $end\n$timescale {} ps $end\n", comment, timescale_ps_);
  // Scopes nest at the dots, in the order they were first used.
  std::vector<std::string> order;
  std::map<std::string, std::vector<int>> by_scope;
  for (int i = 0; i < static_cast<int>(vars_.size()); ++i) {
    if (!by_scope.count(vars_[i].scope)) order.push_back(vars_[i].scope);
    by_scope[vars_[i].scope].push_back(i);
  }
  auto split = [](const std::string& scope) {
    std::vector<std::string> parts;
    std::size_t pos = 0;
    for (;;) {
      const std::size_t dot = scope.find('.', pos);
      parts.push_back(scope.substr(pos, dot == std::string::npos ? std::string::npos : dot - pos));
      if (dot == std::string::npos) return parts;
      pos = dot + 1;
    }
  };
  // Same first components stay one scope: group by the first component's first use.
  std::stable_sort(order.begin(), order.end(), [&](const std::string& a, const std::string& b) {
    const auto pa = split(a)[0], pb = split(b)[0];
    auto first_use = [&](const std::string& p) {
      return std::find_if(order.begin(), order.end(),
                          [&](const std::string& s) { return split(s)[0] == p; }) -
             order.begin();
    };
    return first_use(pa) < first_use(pb);
  });
  std::vector<std::string> open;
  for (const std::string& scope : order) {
    const auto parts = split(scope);
    std::size_t common = 0;
    while (common < open.size() && common < parts.size() && open[common] == parts[common]) ++common;
    while (open.size() > common) {
      head += "$upscope $end\n";
      open.pop_back();
    }
    for (std::size_t k = common; k < parts.size(); ++k) {
      head += fmt::format("$scope module {} $end\n", parts[k]);
      open.push_back(parts[k]);
    }
    for (int i : by_scope[scope]) {
      const Var& v = vars_[i];
      head += fmt::format("$var {} {} {} {} $end\n", v.kind == Kind::kReal ? "real" : "wire",
                          v.width, v.id, v.name);
    }
  }
  while (!open.empty()) {
    head += "$upscope $end\n";
    open.pop_back();
  }
  // The dump starts at the first change (the trace window's start), reals at their first value.
  const std::uint64_t start = changes_.empty() ? 0 : changes_.front().t;
  head += fmt::format("$enddefinitions $end\n#{}\n$dumpvars\n", start);
  std::vector<double> last_r(vars_.size());
  std::vector<std::uint64_t> last_w(vars_.size());
  std::vector<bool> seen(vars_.size(), false);
  for (std::size_t i = 0; i < vars_.size(); ++i) {
    last_r[i] = vars_[i].initial;
    last_w[i] = static_cast<std::uint64_t>(vars_[i].initial);
  }
  for (const Change& c : changes_) {
    if (seen[c.var]) continue;
    seen[c.var] = true;
    if (vars_[c.var].kind == Kind::kReal || c.t == start) {
      last_r[c.var] = c.r;
      last_w[c.var] = c.w;
    }
  }
  for (std::size_t i = 0; i < vars_.size(); ++i)
    head += format_value(vars_[i], last_r[i], last_w[i]);
  head += "$end\n";
  std::fputs(head.c_str(), f);
  std::uint64_t now = start;
  std::string buf;
  for (const Change& c : changes_) {
    const Var& v = vars_[c.var];
    if (v.kind == Kind::kReal ? c.r == last_r[c.var] : c.w == last_w[c.var]) continue;
    last_r[c.var] = c.r;
    last_w[c.var] = c.w;
    if (c.t != now) {
      buf += fmt::format("#{}\n", c.t);
      now = c.t;
    }
    buf += format_value(v, c.r, c.w);
    if (buf.size() > (1u << 20)) {
      std::fputs(buf.c_str(), f);
      buf.clear();
    }
  }
  std::fputs(buf.c_str(), f);
  const bool ok = std::fflush(f) == 0 && !std::ferror(f);
  std::fclose(f);
  if (!ok) throw UserError(fmt::format("{}: write failed (disk full?)", tmp));
  std::filesystem::rename(tmp, path);
  changes_.clear();
}

}  // namespace salvo::trace
