#include "emulator/experiments/registry.hpp"

#include "emulator/experiments/playback/playback.hpp"
#include "emulator/experiments/sal/sal_feedback.hpp"
#include "emulator/experiments/sal/sal_pair.hpp"
#include "emulator/experiments/sal/student_teacher.hpp"
#include "emulator/experiments/sampling/sampling.hpp"
#include "emulator/experiments/stdp_window/stdp_window.hpp"

namespace salvo::experiments {

namespace {

struct Entry {
  const char* name;
  ExperimentInfo (*info)();
};

template <typename E>
constexpr Entry entry() {
  return {E::kName, &describe<E>};
}

// The one list of experiments (order: as `salvo run --help` and the docs show them).
constexpr Entry kExperiments[] = {
    entry<Playback>(),    entry<StdpWindow>(),     entry<SalPair>(),
    entry<SalFeedback>(), entry<StudentTeacher>(), entry<Sampling>(),
};

}  // namespace

std::vector<std::string> names() {
  std::vector<std::string> out;
  for (const auto& e : kExperiments) out.push_back(e.name);
  return out;
}

const std::vector<ExperimentInfo>& all() {
  static const std::vector<ExperimentInfo> list = [] {
    std::vector<ExperimentInfo> l;
    for (const auto& e : kExperiments) l.push_back(e.info());
    return l;
  }();
  return list;
}

const ExperimentInfo* find(const std::string& name) {
  for (const auto& e : all())
    if (e.name == name) return &e;
  return nullptr;
}

std::string default_experiment() { return "sal-feedback"; }

}  // namespace salvo::experiments
