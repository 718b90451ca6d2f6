#include "emulator/sweep/sweep_results.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include "hw/common/error.hpp"

namespace salvo::sweep {

namespace {

std::string host_name() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0) return "";
  return buf;
}

void flatten(const nlohmann::json& j, const std::string& prefix, bool in_metrics,
             std::vector<std::pair<std::string, std::string>>& out) {
  if (j.is_object()) {
    for (const auto& [k, v] : j.items()) flatten(v, prefix + "." + k, in_metrics, out);
  } else if (j.is_number()) {
    out.emplace_back(prefix, j.dump());
  } else if (j.is_boolean()) {
    out.emplace_back(prefix, j.get<bool>() ? "1" : "0");
  } else if (j.is_string() && in_metrics) {
    out.emplace_back(prefix, j.get<std::string>());
  }
  // Arrays (time series) belong in the run's own CSV files, not in a sweep row.
}

}  // namespace

nlohmann::json PointResult::to_json() const {
  nlohmann::json values_json = nlohmann::json::object();
  for (const auto& [k, v] : values) values_json[k] = v;
  return {{"index", index},
          {"id", id},
          {"condition", condition},
          {"axes", axis_values},
          {"seed", seed},
          {"status", status},
          {"exit_code", exit_code},
          {"signal", signal},
          {"wall_time_s", wall_time_s},
          {"error", error},
          {"stderr_tail", stderr_tail},
          {"host", host},
          {"values", values_json}};
}

PointResult PointResult::from_json(const nlohmann::json& j) {
  PointResult r;
  r.index = j.at("index").get<std::size_t>();
  r.id = j.at("id").get<std::string>();
  r.condition = j.at("condition").get<std::string>();
  r.axis_values = j.at("axes").get<std::vector<std::string>>();
  r.seed = j.at("seed").get<std::uint64_t>();
  r.status = j.at("status").get<std::string>();
  r.exit_code = j.at("exit_code").get<int>();
  r.signal = j.value("signal", "");
  r.wall_time_s = j.at("wall_time_s").get<double>();
  r.error = j.value("error", "");
  r.stderr_tail = j.value("stderr_tail", "");
  r.host = j.value("host", "");
  for (const auto& [k, v] : j.at("values").items()) r.values.emplace_back(k, v.get<std::string>());
  std::sort(r.values.begin(), r.values.end());
  return r;
}

nlohmann::json Manifest::to_json() const {
  nlohmann::json pts = nlohmann::json::array();
  for (const auto& p : points)
    pts.push_back({{"index", p.index},
                   {"id", p.id},
                   {"condition", p.condition},
                   {"axes", p.axis_values},
                   {"seed", p.seed}});
  return {{"salvo_version", SALVO_VERSION},
          {"spec", spec_file},
          {"axes", axis_keys},
          {"conditions", conditions},
          {"identity", identity},
          {"identity_hash", identity_hash},
          {"points", pts}};
}

Manifest Manifest::from_json(const nlohmann::json& j) {
  Manifest m;
  m.spec_file = j.value("spec", "");
  m.axis_keys = j.at("axes").get<std::vector<std::string>>();
  m.conditions = j.at("conditions").get<std::vector<std::string>>();
  if (j.contains("identity")) m.identity = j.at("identity");
  m.identity_hash = j.value("identity_hash", "");
  for (const auto& pj : j.at("points")) {
    Point p;
    p.index = pj.at("index").get<std::size_t>();
    p.id = pj.at("id").get<std::string>();
    p.condition = pj.at("condition").get<std::string>();
    p.axis_values = pj.at("axes").get<std::vector<std::string>>();
    p.seed = pj.at("seed").get<std::uint64_t>();
    m.points.push_back(std::move(p));
  }
  return m;
}

Manifest Manifest::from_spec(const SweepSpec& spec) {
  Manifest m;
  m.spec_file = fs::absolute(spec.file).lexically_normal().string();
  m.axis_keys = column_keys(spec);
  for (const auto& c : spec.conditions) m.conditions.push_back(c.name);
  m.points = expand(spec);
  m.identity = spec_identity(spec);
  m.identity_hash = stable_hash(m.identity.dump());
  return m;
}

std::string resume_conflict(const Manifest& before, const Manifest& now) {
  if (!before.identity_hash.empty() && before.identity_hash != now.identity_hash) {
    std::vector<std::string> parts;
    for (const auto& [k, v] : now.identity.items())
      if (!before.identity.is_object() || !before.identity.contains(k) || before.identity[k] != v)
        parts.push_back(k == "chip" || k == "experiment" ? k + " file" : k);
    return fmt::format("the spec differs in: {}", fmt::join(parts, ", "));
  }
  std::set<std::string> ids;
  for (const auto& p : now.points) ids.insert(p.id);
  std::size_t dropped = 0;
  std::string example;
  for (const auto& p : before.points)
    if (!ids.count(p.id) && dropped++ == 0) example = p.id;
  if (dropped > 0)
    return fmt::format("the spec drops {} of its {} points (e.g. {})", dropped,
                       before.points.size(), example);
  return "";
}

std::vector<std::pair<std::string, std::string>> flatten_summary(const nlohmann::json& summary) {
  std::vector<std::pair<std::string, std::string>> out;
  if (!summary.is_object()) return out;
  for (const auto& [k, v] : summary.items()) {
    if (k == "metrics")
      flatten(v, "metrics", true, out);
    else if (k != "chip" && k != "experiment" && k != "seed")
      flatten(v, "summary." + k, false, out);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\n\r") == std::string::npos) return text;
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::vector<std::vector<std::string>> parse_csv(const std::string& text) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> row;
  std::string field;
  bool quoted = false, any = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c == '"') {
      quoted = true;
      any = true;
    } else if (c == ',') {
      row.push_back(std::move(field));
      field.clear();
      any = true;
    } else if (c == '\n' || c == '\r') {
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      row.push_back(std::move(field));
      field.clear();
      rows.push_back(std::move(row));
      row.clear();
      any = false;
    } else {
      field += c;
      any = true;
    }
  }
  if (any || !field.empty()) {
    row.push_back(std::move(field));
    rows.push_back(std::move(row));
  }
  return rows;
}

fs::path point_dir(const fs::path& out, const std::string& id) { return out / "points" / id; }

fs::path point_result_file(const fs::path& out, const std::string& id) {
  return point_dir(out, id) / "sweep_point.json";
}

void write_atomic(const fs::path& path, const std::string& content) {
  static std::atomic<unsigned> counter{0};
  static const std::string host = host_name();
  const fs::path tmp =
      path.string() + fmt::format(".tmp.{}.{}.{}", host, ::getpid(), counter.fetch_add(1));
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    throw UserError(fmt::format("{}: cannot write ({})", tmp.string(), std::strerror(errno)));
  std::size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int e = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      throw UserError(fmt::format("{}: write failed ({})", tmp.string(), std::strerror(e)));
    }
    done += static_cast<std::size_t>(n);
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int e = errno;
    ::unlink(tmp.c_str());
    throw UserError(
        fmt::format("{}: cannot rename into place ({})", path.string(), std::strerror(e)));
  }
}

ResultTable::ResultTable(fs::path out_dir, fs::path csv_path, std::vector<std::string> axis_keys)
    : out_(std::move(out_dir)), csv_(std::move(csv_path)), axis_keys_(std::move(axis_keys)) {}

ResultTable::~ResultTable() {
  if (append_fd_ >= 0) ::close(append_fd_);
}

std::size_t ResultTable::load_existing(const std::vector<Point>& points) {
  std::size_t found = 0;
  for (const auto& p : points) {
    const fs::path file = point_result_file(out_, p.id);
    std::ifstream in(file);
    if (!in) continue;
    try {
      PointResult r = PointResult::from_json(nlohmann::json::parse(in));
      r.index = p.index;  // the spec may have been reordered since
      std::set<std::string> columns(value_columns_.begin(), value_columns_.end());
      for (const auto& [k, v] : r.values)
        if (columns.insert(k).second) value_columns_.push_back(k);
      results_[p.index] = std::move(r);
      ++found;
    } catch (const std::exception& e) {
      // Written atomically, so unreadable means foreign or corrupted: said so, by name; the
      // point counts as not run (a sweep runs it again, a report leaves it out).
      spdlog::warn("sweep: {}: not a readable point result ({}); the point counts as not run",
                   file.string(), e.what());
    }
  }
  std::sort(value_columns_.begin(), value_columns_.end());
  return found;
}

std::vector<std::string> ResultTable::header() const {
  std::vector<std::string> h = {"id", "condition"};
  h.insert(h.end(), axis_keys_.begin(), axis_keys_.end());
  for (const char* c : {"seed", "status", "exit_code", "signal", "wall_time_s", "error"})
    h.push_back(c);
  h.insert(h.end(), value_columns_.begin(), value_columns_.end());
  return h;
}

std::string ResultTable::row(const PointResult& r) const {
  std::string line = csv_field(r.id) + "," + csv_field(r.condition);
  for (const auto& v : r.axis_values) line += "," + csv_field(v);
  line += fmt::format(",{},{},{},{},{:.3f},{}", r.seed, r.status, r.exit_code, r.signal,
                      r.wall_time_s, csv_field(r.error));
  // Both lists are sorted by name: one merge pass.
  auto it = r.values.begin();
  for (const auto& column : value_columns_) {
    while (it != r.values.end() && it->first < column) ++it;
    line += ",";
    if (it != r.values.end() && it->first == column) line += csv_field(it->second);
  }
  return line + "\n";
}

void ResultTable::rewrite_csv() {
  std::string text;
  for (const auto& h : header()) text += (text.empty() ? "" : ",") + csv_field(h);
  text += "\n";
  for (const auto& [index, r] : results_) text += row(r);
  if (append_fd_ >= 0) {
    ::close(append_fd_);
    append_fd_ = -1;
  }
  write_atomic(csv_, text);
}

void ResultTable::append_line(const std::string& line) {
  if (append_fd_ < 0) {
    append_fd_ = ::open(csv_.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
    if (append_fd_ < 0) {  // not there yet (or removed): write it whole
      rewrite_csv();
      return;
    }
  }
  // One write() of the whole line: a kill lands before or after it, never inside.
  const ssize_t n = ::write(append_fd_, line.data(), line.size());
  if (n != static_cast<ssize_t>(line.size())) rewrite_csv();
}

void ResultTable::record(const PointResult& result, bool write_json) {
  if (write_json) {
    fs::create_directories(point_dir(out_, result.id));
    write_atomic(point_result_file(out_, result.id), result.to_json().dump(1) + "\n");
  }
  const bool replacing = results_.count(result.index) != 0;
  results_[result.index] = result;
  bool new_columns = false;
  for (const auto& [k, v] : result.values)
    if (!std::binary_search(value_columns_.begin(), value_columns_.end(), k)) {
      value_columns_.insert(std::upper_bound(value_columns_.begin(), value_columns_.end(), k), k);
      new_columns = true;
    }
  if (new_columns || replacing)
    rewrite_csv();
  else
    append_line(row(result));
}

void ResultTable::forget(std::size_t index) {
  const auto it = results_.find(index);
  if (it == results_.end()) return;
  std::error_code ec;
  fs::remove(point_result_file(out_, it->second.id), ec);
  results_.erase(it);
}

}  // namespace salvo::sweep
