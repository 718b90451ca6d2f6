#include "emulator/output/run_dir.hpp"

#include <unistd.h>

#include <fstream>
#include <system_error>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "emulator/output/run_output.hpp"
#include "hw/common/error.hpp"

namespace salvo::output {

namespace {

struct Manifest {
  bool present = false;
  bool sealed = false;  // the run that wrote it ended and listed its files
  std::set<std::string> kept, files;
};

Manifest read_manifest(const fs::path& dir, const std::string& command, const std::string& option) {
  Manifest m;
  const fs::path p = dir / RunDirectory::kManifest;
  if (!fs::exists(p)) return m;
  try {
    const nlohmann::json j = nlohmann::json::parse(std::ifstream(p));
    m.kept = j.at("kept").get<std::set<std::string>>();
    if (j.contains("files")) {
      m.files = j.at("files").get<std::set<std::string>>();
      m.sealed = true;
    }
  } catch (const std::exception&) {
    throw OptionError(command, option,
                      fmt::format("{}: unreadable run manifest; remove it (and the old results) "
                                  "or choose another directory",
                                  p.string()));
  }
  m.present = true;
  return m;
}

std::vector<std::string> entries(const fs::path& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (name != RunDirectory::kManifest) out.push_back(name);
  }
  return out;
}

void write_manifest(const fs::path& dir, const std::set<std::string>& kept,
                    const std::set<std::string>* files) {
  nlohmann::json j = {{"kept", kept}};
  if (files) j["files"] = *files;
  write_file_atomic(dir / RunDirectory::kManifest, j.dump(1) + "\n");
}

void make_directory(const fs::path& dir, const std::string& command, const std::string& option) {
  std::error_code ec;
  if (fs::exists(dir, ec) && !fs::is_directory(dir, ec))
    throw OptionError(command, option, fmt::format("'{}' is a file, not a directory", dir.string()),
                      "a directory (created if missing)");
  fs::create_directories(dir, ec);
  if (ec || !fs::is_directory(dir))
    throw OptionError(command, option,
                      fmt::format("cannot create the directory '{}' ({})", dir.string(),
                                  ec ? ec.message() : "not a directory"),
                      "a directory salvo may create and write");
  if (::access(dir.c_str(), W_OK | X_OK) != 0)
    throw OptionError(command, option,
                      fmt::format("the directory '{}' is not writable", dir.string()),
                      "a directory salvo may create and write");
}

}  // namespace

RunDirectory RunDirectory::claim(const fs::path& dir, bool force, const std::string& command,
                                 const std::string& option) {
  make_directory(dir, command, option);
  const Manifest m = read_manifest(dir, command, option);
  std::set<std::string> kept = m.kept;
  for (const std::string& name : entries(dir)) {
    const bool previous_run =
        m.present && (m.sealed ? m.files.count(name) > 0 : !m.kept.count(name));
    if (previous_run) {
      std::error_code ec;
      fs::remove_all(dir / name, ec);
      if (ec)
        throw OptionError(command, option,
                          fmt::format("cannot remove the earlier run's '{}' ({})",
                                      (dir / name).string(), ec.message()));
      continue;
    }
    if (!m.present && !force && (name == "summary.json" || name == "config.yaml"))
      throw OptionError(command, option,
                        fmt::format("'{}' holds results of a run salvo did not record ({}); they "
                                    "would mix with the new ones",
                                    dir.string(), name),
                        "a new or empty directory, one an earlier salvo run wrote, or --force to "
                        "write beside the old files");
    kept.insert(name);
  }
  write_manifest(dir, kept, nullptr);
  return RunDirectory(dir, std::move(kept));
}

void RunDirectory::seal() const {
  std::set<std::string> files;
  for (const std::string& name : entries(dir_))
    if (!kept_.count(name)) files.insert(name);
  write_manifest(dir_, kept_, &files);
}

}  // namespace salvo::output
