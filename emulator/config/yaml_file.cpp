#include "emulator/config/yaml_file.hpp"

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <vector>

#include <fmt/format.h>
#include <yaml-cpp/eventhandler.h>

#include "hw/common/error.hpp"

namespace salvo::config {

namespace fs = std::filesystem;

namespace {

int line_of(const YAML::Node& node) {
  const YAML::Mark m = node.Mark();
  return m.is_null() ? 0 : m.line + 1;
}

std::string key_text(const YAML::Node& key) {
  if (key.IsScalar()) return key.Scalar();
  YAML::Emitter em;
  em << YAML::Flow << key;
  return em.c_str();
}

std::string join_key(const std::string& path, const std::string& key) {
  return path.empty() ? key : path + "." + key;
}

// Counts documents and notes the line where the second one's content starts. yaml-cpp's
// LoadAll loops forever on some malformed input (its parser keeps reporting documents without
// consuming anything; found by fuzz_sweep_spec and fuzz_config), so documents are counted with
// a bounded number of parser calls and only the first is loaded.
class DocumentCounter : public YAML::EventHandler {
 public:
  int documents = 0;
  int second_line = 0;
  void OnDocumentStart(const YAML::Mark&) override { ++documents; }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& m, YAML::anchor_t) override { note(m); }
  void OnAlias(const YAML::Mark& m, YAML::anchor_t) override { note(m); }
  void OnScalar(const YAML::Mark& m, const std::string&, YAML::anchor_t,
                const std::string&) override {
    note(m);
  }
  void OnSequenceStart(const YAML::Mark& m, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {
    note(m);
  }
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark& m, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {
    note(m);
  }
  void OnMapEnd() override {}

 private:
  void note(const YAML::Mark& m) {
    if (documents == 2 && second_line == 0) second_line = m.is_null() ? 0 : m.line + 1;
  }
};

constexpr int kMostDocumentsCounted = 16;

}  // namespace

void check_unique_keys(const YAML::Node& node, const std::string& file, const std::string& path) {
  if (node.IsSequence()) {
    for (std::size_t i = 0; i < node.size(); ++i)
      check_unique_keys(node[i], file, join_key(path, std::to_string(i)));
    return;
  }
  if (!node.IsMap()) return;
  std::map<std::string, int> seen;  // key -> line of its first occurrence
  for (const auto& kv : node) {
    const std::string key = key_text(kv.first);
    // `? [a, b] : 1` is valid YAML, but no salvo key is a list or a map.
    if (!kv.first.IsScalar())
      throw ConfigError(file, join_key(path, key), "a key must be a plain name, not a list or map",
                        "names such as neurons or dt_us", line_of(kv.first));
    const auto [it, fresh] = seen.emplace(key, line_of(kv.first));
    if (!fresh)
      throw ConfigError(file, join_key(path, key),
                        it->second > 0 ? fmt::format("duplicate key (first given on line {}, "
                                                     "again on line {})",
                                                     it->second, line_of(kv.first))
                                       : "duplicate key",
                        "each key once per map", line_of(kv.first));
    check_unique_keys(kv.second, file, join_key(path, key));
  }
}

YAML::Node parse_yaml(const std::string& text, const std::string& file, const std::string& root) {
  YAML::Node doc;
  DocumentCounter counter;
  try {
    doc = YAML::Load(text);
    std::stringstream in(text);
    YAML::Parser parser(in);
    for (int i = 0; i < kMostDocumentsCounted && parser.HandleNextDocument(counter); ++i) {
    }
  } catch (const YAML::Exception& e) {
    if (e.mark.is_null()) throw UserError(fmt::format("{}: YAML syntax error: {}", file, e.msg));
    throw UserError(fmt::format("{}:{}:{}: YAML syntax error: {}", file, e.mark.line + 1,
                                e.mark.column + 1, e.msg));
  }
  if (counter.documents > 1)
    throw ConfigError(
        file, "(top level)",
        counter.documents >= kMostDocumentsCounted
            ? fmt::format("not one YAML document (the parser finds at least {})", counter.documents)
            : fmt::format("{} YAML documents ('---' separated); only one is read",
                          counter.documents),
        "a single document", counter.second_line);
  if (!doc.IsDefined()) return YAML::Node(YAML::NodeType::Null);
  check_unique_keys(doc, file, root);
  return doc;
}

YAML::Node read_yaml_file(const std::string& path, const std::string& root) {
  if (!fs::exists(path)) throw UserError(fmt::format("{}: file not found", path));
  if (fs::is_directory(path))
    throw UserError(fmt::format("{}: is a directory, expected a YAML file", path));
  std::ifstream in(path, std::ios::binary);
  if (!in.is_open()) throw UserError(fmt::format("{}: cannot be read", path));
  std::stringstream text;
  text << in.rdbuf();
  const YAML::Node doc = parse_yaml(text.str(), path, root);
  if (doc.IsNull())
    throw ConfigError(path, "(top level)",
                      "the file is empty (no keys); an empty file is not "
                      "read as all defaults",
                      "a YAML map of keys, see `salvo schema`");
  return doc;
}

}  // namespace salvo::config
