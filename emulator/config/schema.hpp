// The configuration schema: one typed tree describes every key of the chip and experiment
// configs (type, default, range, allowed values, unit, meaning). Validation, default
// filling, the `--set` overrides and the generated configuration reference all read it,
// so the files, the code and the docs cannot drift apart.
#pragma once

#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <yaml-cpp/yaml.h>

namespace salvo::config {

enum class Kind { kMap, kList, kFloat, kInt, kBool, kString, kEnum };

struct SchemaNode {
  Kind kind = Kind::kMap;
  std::string doc;
  // Scalars: inclusive bounds, allowed values (kEnum), the default.
  std::optional<double> min;
  std::optional<double> max;
  std::vector<std::string> allowed;
  std::string default_text;  // YAML text of the default ("" with required = no default)
  bool required = false;
  // Maps: ordered children.
  std::vector<std::pair<std::string, SchemaNode>> children;
  // Lists: the element schema, the default (YAML text, e.g. "[]") and the fewest entries
  // allowed (every list declares it, tests/test_config.cpp checks).
  std::shared_ptr<SchemaNode> element;
  std::optional<std::size_t> min_items;

  const SchemaNode* child(const std::string& key) const;
};

// Builders that keep schema definitions short and readable.
SchemaNode Float(double def, std::optional<double> min, std::optional<double> max, std::string doc);
SchemaNode Int(long def, std::optional<long> min, std::optional<long> max, std::string doc);
SchemaNode Bool(bool def, std::string doc);
SchemaNode String(std::string def, std::string doc);
SchemaNode Enum(std::string def, std::vector<std::string> allowed, std::string doc);
SchemaNode Required(SchemaNode node);
SchemaNode Map(std::vector<std::pair<std::string, SchemaNode>> children, std::string doc = "");
SchemaNode List(SchemaNode element, std::string default_yaml, std::size_t min_items,
                std::string doc);

// Reads `text` as a value of the number schema `s` (kInt or kFloat): all of it one finite
// number, integral for kInt (and within ±2^53, where doubles are exact), inside [min, max].
// Returns "" with `value` set, or the problem ("'x' is not a number", "-1 is out of range").
// Config files, --set and the command-line options all read numbers through this.
std::string parse_number(const std::string& text, const SchemaNode& s, double& value);
// "an integer in [1, 256]", "a number >= 0", … (the `allowed` text of a number schema).
std::string range_text(const SchemaNode& s);

// Where values came from, for error messages: the file, and which dotted paths were
// replaced by `--set` (those report "--set" instead of a file position).
struct Origin {
  std::string file;
  std::set<std::string> overridden;
};

// Checks `input` against `schema` and returns a new tree with every default filled in and
// every scalar normalised. Throws salvo::UserError, one line:
//   file:line:col: key.path: problem (allowed: ...)
YAML::Node validate(const YAML::Node& input, const SchemaNode& schema, const std::string& path,
                    const Origin& origin);

// A one-line user error pointing at `node` (or at the override that set `path`).
[[noreturn]] void fail_at(const YAML::Node& node, const std::string& path, const Origin& origin,
                          const std::string& problem, const std::string& allowed = "");

// Applies `path=value` (path relative to `root`, dotted, list indices as numbers) to `root`,
// creating maps as needed. The value is parsed as YAML (so lists and numbers work); an empty
// or null value is a UserError (it would silently mean "the default"), and a map value merges
// into the map already there key by key (its siblings stay). `root_name` ("chip") prefixes
// `path` in messages.
void apply_override(YAML::Node& root, const std::string& path, const std::string& value,
                    const std::string& root_name = "");

// "a.b.0.c" -> {a, b, 0, c}; an empty component (leading, trailing or doubled dot, or an
// empty key) is a UserError starting with `context`.
std::vector<std::string> split_key(const std::string& dotted, const std::string& context);

// A list index written as decimal digits (no sign, no spaces), else nullopt.
std::optional<std::size_t> list_index(const std::string& text);

// Looks up a dotted path; returns an undefined node if absent.
YAML::Node find(const YAML::Node& root, const std::string& path);

// Markdown reference of a schema (one table row per key).
std::string to_markdown(const SchemaNode& schema, const std::string& prefix);

// Closest of `candidates` to `word` (edit distance), or "" if none is close.
std::string suggest(const std::string& word, const std::vector<std::string>& candidates);

}  // namespace salvo::config
