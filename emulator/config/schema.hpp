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
  // Lists: the element schema and the default (YAML text, e.g. "[]").
  std::shared_ptr<SchemaNode> element;

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
SchemaNode List(SchemaNode element, std::string default_yaml, std::string doc);

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
// creating maps as needed. The value is parsed as YAML (so lists and numbers work).
void apply_override(YAML::Node& root, const std::string& path, const std::string& value);

// Looks up a dotted path; returns an undefined node if absent.
YAML::Node find(const YAML::Node& root, const std::string& path);

// Markdown reference of a schema (one table row per key).
std::string to_markdown(const SchemaNode& schema, const std::string& prefix);

// Closest of `candidates` to `word` (edit distance), or "" if none is close.
std::string suggest(const std::string& word, const std::vector<std::string>& candidates);

}  // namespace salvo::config
