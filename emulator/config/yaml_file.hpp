// Reading YAML input (chip and experiment configs, sweep specs, `--set` values) the one strict
// way: a syntax error, a second document, an empty document or a key given twice in one map is
// a one-line user error naming the file and line — yaml-cpp itself keeps the first of two equal
// keys and ignores every document after the first.
#pragma once

#include <string>

#include <yaml-cpp/yaml.h>

namespace salvo::config {

// Parses `text` (read from `file`, used in messages; `root` prefixes key paths, e.g. "chip").
// Throws ConfigError for a syntax error, more than one document, or a duplicate key (naming
// both lines); an empty text gives a Null node (callers decide whether empty is allowed).
YAML::Node parse_yaml(const std::string& text, const std::string& file,
                      const std::string& root = "");

// Reads and parses a file as parse_yaml does; a missing, unreadable or directory path, and a
// file with no content (empty or only comments), is a UserError too.
YAML::Node read_yaml_file(const std::string& path, const std::string& root = "");

// Throws ConfigError if any map in `node` (recursively) has a key twice or a key that is not
// a scalar; `file` and `path` (the dotted path of `node`) name it in the message.
void check_unique_keys(const YAML::Node& node, const std::string& file,
                       const std::string& path = "");

}  // namespace salvo::config
