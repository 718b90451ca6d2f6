#include "emulator/config/schema.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>

#include <fmt/format.h>

#include "emulator/config/yaml_file.hpp"
#include "hw/common/error.hpp"

namespace salvo::config {

const SchemaNode* SchemaNode::child(const std::string& key) const {
  for (const auto& [name, node] : children)
    if (name == key) return &node;
  return nullptr;
}

namespace {

std::string fmt_number(double v) {
  if (std::isfinite(v) && v == std::floor(v) && std::fabs(v) < 1e15)
    return fmt::format("{}", static_cast<long long>(v));
  return fmt::format("{}", v);
}

std::string range_words(const SchemaNode& s) {
  const bool is_int = s.kind == Kind::kInt;
  const std::string kind = is_int ? "an integer" : "a number";
  if (s.min && s.max)
    return fmt::format("{} in [{}, {}]", kind, fmt_number(*s.min), fmt_number(*s.max));
  if (s.min) return fmt::format("{} >= {}", kind, fmt_number(*s.min));
  if (s.max) return fmt::format("{} <= {}", kind, fmt_number(*s.max));
  return kind;
}

// Integers beyond 2^53 are not exact as doubles: refused rather than rounded.
constexpr double kMaxExactInt = 9007199254740992.0;

std::string join(const std::vector<std::string>& v, const char* sep = ", ") {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) out += (i ? sep : "") + v[i];
  return out;
}

std::string join_path(const std::string& a, const std::string& b) {
  return a.empty() ? b : a + "." + b;
}

bool is_overridden(const std::string& path, const Origin& origin) {
  for (const auto& o : origin.overridden)
    if (path == o || path.rfind(o + ".", 0) == 0 || o.rfind(path + ".", 0) == 0) return true;
  return false;
}

size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j)
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] != b[j - 1])});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

YAML::Node scalar(const SchemaNode& s, const YAML::Node& in, const std::string& path,
                  const Origin& origin) {
  if (!in.IsScalar()) {
    const char* what = in.IsMap() ? "a map" : in.IsSequence() ? "a list" : "empty";
    switch (s.kind) {
      case Kind::kEnum:
        fail_at(in, path, origin, fmt::format("expected one value, got {}", what), join(s.allowed));
      case Kind::kBool:
        fail_at(in, path, origin, fmt::format("expected true or false, got {}", what),
                "true, false");
      case Kind::kString:
        fail_at(in, path, origin, fmt::format("expected a string, got {}", what));
      default:
        fail_at(in, path, origin, fmt::format("expected {}, got {}", range_words(s), what),
                range_words(s));
    }
  }
  const std::string text = in.Scalar();
  switch (s.kind) {
    case Kind::kBool: {
      if (text == "true" || text == "false") return YAML::Node(text == "true");
      fail_at(in, path, origin, fmt::format("'{}' is not a boolean", text), "true, false");
    }
    case Kind::kString:
      return YAML::Node(text);
    case Kind::kEnum: {
      if (std::find(s.allowed.begin(), s.allowed.end(), text) != s.allowed.end())
        return YAML::Node(text);
      const std::string close = suggest(text, s.allowed);
      fail_at(in, path, origin,
              fmt::format("'{}' is not allowed{}", text,
                          close.empty() ? "" : fmt::format(" (did you mean '{}'?)", close)),
              join(s.allowed));
    }
    case Kind::kInt:
    case Kind::kFloat: {
      double v = 0;
      const std::string problem = parse_number(text, s, v);
      if (!problem.empty()) fail_at(in, path, origin, problem, range_words(s));
      // Shortest text that reads back to the same double: resolved configs round-trip exactly.
      return YAML::Node(fmt_number(v));
    }
    default:
      break;
  }
  throw InternalError("scalar(): not a scalar kind");
}

std::string list_text(const SchemaNode& s) {
  const std::size_t n = s.min_items.value_or(0);
  return n == 0 ? "a list, may be empty" : fmt::format("a list of at least {} entries", n);
}

// A key given with no value (`key:`, `key: null`, `--set key=`) would silently mean the
// default: refused, so a value is always what the user wrote.
void refuse_null(const YAML::Node& in, const std::string& path, const Origin& origin,
                 const YAML::Node& where = YAML::Node(YAML::NodeType::Undefined)) {
  if (in.IsDefined() && in.IsNull())
    fail_at(where.IsDefined() ? where : in, path, origin, "no value (empty or null)",
            "a value; leave the key out to use its default");
}

}  // namespace

std::string range_text(const SchemaNode& s) { return range_words(s); }

namespace {

// inf, -Infinity, .nan, NaN, … (YAML's and C's spellings).
bool infinity_or_nan(const std::string& text) {
  std::string t;
  for (char c : text) t += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (!t.empty() && (t[0] == '+' || t[0] == '-')) t.erase(0, 1);
  if (!t.empty() && t[0] == '.') t.erase(0, 1);
  return t == "inf" || t == "infinity" || t == "nan";
}

}  // namespace

std::string parse_number(const std::string& text, const SchemaNode& s, double& value) {
  // Decimal notation only: strtod would also take hex ("0x1p3" = 8), "inf" and "nan".
  const bool decimal = !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '+' || c == 'e' || c == 'E';
  });
  if (!decimal)
    return infinity_or_nan(text) ? fmt::format("'{}' is not finite", text)
                                 : fmt::format("'{}' is not a number", text);
  double v = 0;
  try {
    size_t used = 0;
    v = std::stod(text, &used);
    if (used != text.size()) throw std::invalid_argument(text);
  } catch (const std::out_of_range&) {
    return fmt::format("{} is out of range", text);
  } catch (const std::exception&) {
    return fmt::format("'{}' is not a number", text);
  }
  if (!std::isfinite(v)) return fmt::format("'{}' is not finite", text);
  if (s.kind == Kind::kInt && v != std::floor(v))
    return fmt::format("'{}' is not an integer", text);
  if ((s.min && v < *s.min) || (s.max && v > *s.max) ||
      (s.kind == Kind::kInt && std::fabs(v) > kMaxExactInt))
    return fmt::format("{} is out of range", text);
  value = v;
  return "";
}

SchemaNode Float(double def, std::optional<double> min, std::optional<double> max,
                 std::string doc) {
  SchemaNode s;
  s.kind = Kind::kFloat;
  s.default_text = fmt_number(def);
  s.min = min;
  s.max = max;
  s.doc = std::move(doc);
  return s;
}

SchemaNode Int(long def, std::optional<long> min, std::optional<long> max, std::string doc) {
  SchemaNode s;
  s.kind = Kind::kInt;
  s.default_text = std::to_string(def);
  if (min) s.min = static_cast<double>(*min);
  if (max) s.max = static_cast<double>(*max);
  s.doc = std::move(doc);
  return s;
}

SchemaNode Bool(bool def, std::string doc) {
  SchemaNode s;
  s.kind = Kind::kBool;
  s.default_text = def ? "true" : "false";
  s.doc = std::move(doc);
  return s;
}

SchemaNode String(std::string def, std::string doc) {
  SchemaNode s;
  s.kind = Kind::kString;
  s.default_text = std::move(def);
  s.doc = std::move(doc);
  return s;
}

SchemaNode Enum(std::string def, std::vector<std::string> allowed, std::string doc) {
  SchemaNode s;
  s.kind = Kind::kEnum;
  s.default_text = std::move(def);
  s.allowed = std::move(allowed);
  s.doc = std::move(doc);
  return s;
}

SchemaNode Required(SchemaNode node) {
  node.required = true;
  return node;
}

SchemaNode Map(std::vector<std::pair<std::string, SchemaNode>> children, std::string doc) {
  SchemaNode s;
  s.kind = Kind::kMap;
  s.children = std::move(children);
  s.doc = std::move(doc);
  return s;
}

SchemaNode List(SchemaNode element, std::string default_yaml, std::size_t min_items,
                std::string doc) {
  SchemaNode s;
  s.kind = Kind::kList;
  s.min_items = min_items;
  s.element = std::make_shared<SchemaNode>(std::move(element));
  s.default_text = std::move(default_yaml);
  s.doc = std::move(doc);
  return s;
}

void fail_at(const YAML::Node& node, const std::string& path, const Origin& origin,
             const std::string& problem, const std::string& allowed) {
  std::string where;
  if (is_overridden(path, origin)) {
    where = "--set";
  } else {
    const YAML::Mark mark = node.IsDefined() ? node.Mark() : YAML::Mark::null_mark();
    if (mark.is_null())
      where = origin.file;
    else
      where = fmt::format("{}:{}:{}", origin.file, mark.line + 1, mark.column + 1);
  }
  std::string msg = fmt::format("{}: {}: {}", where, path.empty() ? "(top level)" : path, problem);
  if (!allowed.empty()) msg += fmt::format(" (allowed: {})", allowed);
  throw UserError(msg);
}

std::string suggest(const std::string& word, const std::vector<std::string>& candidates) {
  std::string best;
  size_t best_d = std::max<size_t>(3, word.size() / 3) + 1;
  for (const auto& c : candidates) {
    size_t d = edit_distance(word, c);
    // A candidate that contains the word (or vice versa) is a good hint too.
    if (c.find(word) != std::string::npos || word.find(c) != std::string::npos)
      d = std::min<size_t>(d, 2);
    if (d < best_d) {
      best_d = d;
      best = c;
    }
  }
  return best;
}

YAML::Node validate(const YAML::Node& input, const SchemaNode& schema, const std::string& path,
                    const Origin& origin) {
  switch (schema.kind) {
    case Kind::kMap: {
      // A missing key arrives as an invalid node: only IsDefined() is safe to ask then.
      const bool is_map = input.IsDefined() && input.IsMap();
      if (input.IsDefined() && !input.IsNull() && !is_map)
        fail_at(input, path, origin, "expected a map of keys");
      std::vector<std::string> names;
      for (const auto& [name, child] : schema.children) names.push_back(name);
      if (is_map) {
        for (const auto& kv : input) {
          const std::string key = kv.first.as<std::string>();
          const SchemaNode* child = schema.child(key);
          if (!child) {
            const std::string close = suggest(key, names);
            fail_at(
                kv.first, join_path(path, key), origin,
                "unknown key" + (close.empty() ? "" : fmt::format(" (did you mean '{}'?)", close)),
                join(names));
          }
          // `key:` with nothing after it: point at the key (a null's own mark is the next line).
          if (child->kind != Kind::kMap)
            refuse_null(kv.second, join_path(path, key), origin, kv.first);
        }
      }
      YAML::Node out(YAML::NodeType::Map);
      for (const auto& [name, child] : schema.children) {
        const YAML::Node sub = is_map ? input[name] : YAML::Node(YAML::NodeType::Undefined);
        out[name] = validate(sub, child, join_path(path, name), origin);
      }
      return out;
    }
    case Kind::kList: {
      // A missing key is an invalid node that cannot even be copied: branch first.
      YAML::Node src;
      if (!input.IsDefined()) {
        if (schema.required) fail_at(input, path, origin, "missing required list");
        src = YAML::Load(schema.default_text.empty() ? "[]" : schema.default_text);
      } else {
        refuse_null(input, path, origin);
        src = input;
      }
      if (!src.IsSequence()) fail_at(src, path, origin, "expected a list");
      const std::size_t min_items = schema.min_items.value_or(0);
      if (src.size() < min_items)
        fail_at(src, path, origin,
                fmt::format("{} entries, at least {} needed", src.size(), min_items),
                list_text(schema));
      YAML::Node out(YAML::NodeType::Sequence);
      for (size_t i = 0; i < src.size(); ++i) {
        const std::string at = fmt::format("{}.{}", path, i);
        refuse_null(src[i], at, origin);  // a bare `-` is not an element of defaults
        out.push_back(validate(src[i], *schema.element, at, origin));
      }
      return out;
    }
    default: {
      refuse_null(input, path, origin);
      if (!input.IsDefined()) {
        if (schema.required)
          fail_at(input, path, origin, "missing required key",
                  schema.kind == Kind::kEnum ? join(schema.allowed) : "");
        if (schema.kind == Kind::kString) return YAML::Node(schema.default_text);
        return scalar(schema, YAML::Load(schema.default_text), path, origin);
      }
      return scalar(schema, input, path, origin);
    }
  }
}

std::vector<std::string> split_key(const std::string& dotted, const std::string& context) {
  std::vector<std::string> parts;
  std::size_t begin = 0;
  while (true) {
    const std::size_t dot = dotted.find('.', begin);
    const std::string part = dotted.substr(begin, dot == std::string::npos ? dot : dot - begin);
    if (part.empty())
      throw UserError(fmt::format(
          "{}: '{}' has an empty key component (allowed: dotted keys such as chip.mismatch.scale)",
          context, dotted));
    parts.push_back(part);
    if (dot == std::string::npos) return parts;
    begin = dot + 1;
  }
}

std::optional<std::size_t> list_index(const std::string& text) {
  if (text.empty() || text.size() > 9 ||
      !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return std::nullopt;
  return static_cast<std::size_t>(std::stoul(text));
}

namespace {

// The element `part` of a list, for `--set path`: an index in 0..size-1.
YAML::Node list_element(const YAML::Node& list, const std::string& part, const std::string& path) {
  const std::string allowed =
      list.size() ? fmt::format("0..{}", list.size() - 1) : std::string("none, the list is empty");
  const auto idx = list_index(part);
  if (!idx)
    throw UserError(
        fmt::format("--set {}: '{}' is not a list index (allowed: {})", path, part, allowed));
  if (*idx >= list.size())
    throw UserError(
        fmt::format("--set {}: list index {} out of range (allowed: {})", path, *idx, allowed));
  return list[*idx];
}

// Copies every key of `from` into `into`; maps in both merge key by key, anything else is
// replaced (a list given to --set is the whole new list).
void merge_into(YAML::Node into, const YAML::Node& from) {
  for (const auto& kv : from) {
    const std::string key = kv.first.Scalar();
    YAML::Node existing = into[key];
    if (kv.second.IsMap() && existing.IsDefined() && existing.IsMap())
      merge_into(existing, kv.second);
    else
      into[key] = kv.second;
  }
}

YAML::Node parse_override_value(const std::string& path, const std::string& value) {
  const std::string where = fmt::format("--set {}={}", path, value);
  YAML::Node parsed;
  try {
    parsed = parse_yaml(value, "--set " + path);
  } catch (const ConfigError& e) {
    throw UserError(fmt::format("{}: {} (allowed: {})", where, e.problem, e.allowed));
  } catch (const UserError&) {
    throw UserError(fmt::format("{}: the value is not valid YAML", where));
  }
  if (parsed.IsNull())
    throw UserError(fmt::format(
        "{}: empty value (allowed: a value; leave the --set out to keep the file's value or the "
        "default)",
        where));
  return parsed;
}

}  // namespace

namespace {

// Sets (or merges) `value` at parts[i..] below `node`; `walked` is the path down to `node`.
// Nodes are handles, and assigning one handle to another rebinds the data it points to:
// walk by passing fresh handles down, never by reassigning one.
void set_below(YAML::Node node, const std::vector<std::string>& parts, std::size_t i,
               const YAML::Node& value, const std::string& path, const std::string& walked) {
  const std::string& p = parts[i];
  const bool last = i + 1 == parts.size();
  if (node.IsSequence()) {
    YAML::Node element = list_element(node, p, path);
    if (!last) return set_below(element, parts, i + 1, value, path, join_path(walked, p));
    if (value.IsMap() && element.IsMap())
      merge_into(element, value);
    else
      node[*list_index(p)] = value;
    return;
  }
  if (node.IsDefined() && !node.IsMap() && !node.IsNull())
    throw UserError(fmt::format(
        "--set {}: '{}' holds a single value, not a map or a list, so it has no key '{}' "
        "(allowed: keys listed by `salvo schema`)",
        path, walked, p));
  YAML::Node next = node[p];
  if (last) {
    if (value.IsMap() && next.IsDefined() && next.IsMap())
      merge_into(next, value);
    else
      node[p] = value;
    return;
  }
  if (!next.IsDefined() || next.IsNull()) node[p] = YAML::Node(YAML::NodeType::Map);
  set_below(node[p], parts, i + 1, value, path, join_path(walked, p));
}

}  // namespace

void apply_override(YAML::Node& root, const std::string& path, const std::string& value,
                    const std::string& root_name) {
  const std::string full = root_name.empty() ? path : root_name + "." + path;
  const std::vector<std::string> parts = split_key(path, "--set " + full + "=" + value);
  set_below(root, parts, 0, parse_override_value(full, value), full, root_name);
}

YAML::Node find(const YAML::Node& root, const std::string& path) {
  if (path.empty()) return root;
  YAML::Node cur = root;
  std::stringstream ss(path);
  for (std::string p; std::getline(ss, p, '.');) {
    if (cur.IsMap()) {
      if (!cur[p]) return YAML::Node(YAML::NodeType::Undefined);
      cur = cur[p];
    } else if (cur.IsSequence()) {
      const auto idx = list_index(p);
      if (!idx || *idx >= cur.size()) return YAML::Node(YAML::NodeType::Undefined);
      cur = cur[*idx];
    } else {
      return YAML::Node(YAML::NodeType::Undefined);
    }
  }
  return cur;
}

namespace {

void markdown_rows(const SchemaNode& s, const std::string& path, std::string& out) {
  if (s.kind == Kind::kMap) {
    for (const auto& [name, child] : s.children) markdown_rows(child, join_path(path, name), out);
    return;
  }
  std::string type, allowed, def;
  switch (s.kind) {
    case Kind::kFloat:
      type = "number";
      allowed = range_words(s);
      break;
    case Kind::kInt:
      type = "integer";
      allowed = range_words(s);
      break;
    case Kind::kBool:
      type = "bool";
      allowed = "true, false";
      break;
    case Kind::kString:
      type = "string";
      break;
    case Kind::kEnum:
      type = "enum";
      allowed = join(s.allowed, ", ");
      break;
    case Kind::kList:
      type = "list";
      allowed = list_text(s) + ", entries below";
      break;
    default:
      break;
  }
  def = s.required ? "(required)" : "`" + s.default_text + "`";
  out += fmt::format("| `{}` | {} | {} | {} | {} |\n", path, type, def, allowed, s.doc);
  if (s.kind == Kind::kList && s.element) markdown_rows(*s.element, path + ".N", out);
}

}  // namespace

std::string to_markdown(const SchemaNode& schema, const std::string& prefix) {
  std::string out =
      "| key | type | default | allowed | meaning |\n| --- | --- | --- | --- | --- |\n";
  markdown_rows(schema, prefix, out);
  return out;
}

}  // namespace salvo::config
