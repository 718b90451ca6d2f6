// salvo._salvo_models: pybind11 bindings of the plain-C++ neuron models (hw/analog): the
// neuron circuit parameters, a chip instance's circuits with mismatch (NeuronCircuits over
// ParameterMemory at the host's target codes) and the NeuronArray with a run loop in C++.
// No SystemC. The Python side is python/salvo/models.py; docs/python.md explains the scope.
#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "hw/analog/neuron_array.hpp"
#include "hw/analog/neuron_circuits.hpp"
#include "hw/analog/parameter_memory.hpp"
#include "hw/common/chip_config.hpp"
#include "hw/common/error.hpp"

namespace py = pybind11;

namespace salvo {
namespace {

using Array = py::array_t<double, py::array::c_style | py::array::forcecast>;
using IntArray = py::array_t<std::int64_t, py::array::c_style | py::array::forcecast>;

// Input jumps (time, neuron, nA), applied at the start of the first step that starts at or
// after their time.
struct Inputs {
  const double* t = nullptr;
  const std::int64_t* n = nullptr;
  const double* a = nullptr;
  std::size_t size = 0, next = 0;
};

Inputs inputs(const Array& t, const IntArray& n, const Array& a, int neurons, const char* what) {
  if (t.size() != n.size() || t.size() != a.size())
    throw std::invalid_argument(std::string(what) +
                                ": times, neurons and amplitudes differ in length");
  Inputs in{t.data(), n.data(), a.data(), static_cast<std::size_t>(t.size()), 0};
  for (std::size_t i = 0; i < in.size; ++i) {
    if (in.n[i] < 0 || in.n[i] >= neurons)
      throw std::invalid_argument(std::string(what) + ": neuron " + std::to_string(in.n[i]) +
                                  " out of range 0 .. " + std::to_string(neurons - 1));
    if (i > 0 && in.t[i] < in.t[i - 1])
      throw std::invalid_argument(std::string(what) + ": times must be sorted");
  }
  return in;
}

// A NeuronArray with its own clock, stepped in C++ for a whole run() call.
class PyNeuronArray {
 public:
  PyNeuronArray(const std::vector<NeuronCircuitParams>& params, double dt_us, std::uint64_t seed)
      : array_(params, dt_us, seed) {}

  double now_us() const { return t_us_; }
  NeuronArray& array() { return array_; }
  int check(int neuron) const {
    if (neuron < 0 || neuron >= array_.size())
      throw py::index_error("neuron " + std::to_string(neuron) + " out of range 0 .. " +
                            std::to_string(array_.size() - 1));
    return neuron;
  }

  // Advances `steps` time steps; returns (spike_times, spike_neurons, record_times, v) with v
  // of shape (steps, len(record)), sampled at the end of each step.
  py::tuple run(long steps, const Array& exc_t, const IntArray& exc_n, const Array& exc_a,
                const Array& inh_t, const IntArray& inh_n, const Array& inh_a,
                const std::vector<int>& record) {
    if (steps < 0) throw std::invalid_argument("steps must be >= 0");
    for (int r : record)
      if (r < 0 || r >= array_.size())
        throw std::invalid_argument("record: neuron " + std::to_string(r) + " out of range");
    Inputs exc = inputs(exc_t, exc_n, exc_a, array_.size(), "exc");
    Inputs inh = inputs(inh_t, inh_n, inh_a, array_.size(), "inh");
    const double dt = array_.dt_us();
    Array rec_t(steps);
    Array v({static_cast<py::ssize_t>(steps), static_cast<py::ssize_t>(record.size())});
    double* rt = rec_t.mutable_data();
    double* pv = v.mutable_data();
    std::vector<NeuronSpike> spikes;
    {
      py::gil_scoped_release release;
      const double t0 = t_us_;
      for (long k = 0; k < steps; ++k) {
        const double t = t0 + static_cast<double>(k) * dt;
        for (; exc.next < exc.size && exc.t[exc.next] <= t + 1e-9; ++exc.next)
          array_.add_exc_input(static_cast<int>(exc.n[exc.next]), exc.a[exc.next]);
        for (; inh.next < inh.size && inh.t[inh.next] <= t + 1e-9; ++inh.next)
          array_.add_inh_input(static_cast<int>(inh.n[inh.next]), inh.a[inh.next]);
        array_.step(t, spikes);
        rt[k] = t + dt;
        for (std::size_t r = 0; r < record.size(); ++r)
          pv[static_cast<std::size_t>(k) * record.size() + r] = array_.v_mV(record[r]);
      }
      t_us_ = t0 + static_cast<double>(steps) * dt;
    }
    Array st(static_cast<py::ssize_t>(spikes.size()));
    IntArray sn(static_cast<py::ssize_t>(spikes.size()));
    for (std::size_t i = 0; i < spikes.size(); ++i) {
      st.mutable_data()[i] = spikes[i].time_us;
      sn.mutable_data()[i] = spikes[i].neuron;
    }
    return py::make_tuple(st, sn, rec_t, v);
  }

  void reset() {
    array_.reset();
    t_us_ = 0.0;
  }

 private:
  NeuronArray array_;
  double t_us_ = 0.0;
};

// This chip instance's circuits (seed) at the host's uncalibrated target codes: what
// `salvo run` starts from before any calibration.
std::vector<NeuronCircuitParams> chip_neuron_params(const ChipConfig& chip, std::uint64_t seed) {
  return build_neuron_params(chip, seed, {target_codes(chip)});
}

std::vector<NeuronCircuitMismatch> chip_neuron_mismatch(const ChipConfig& chip,
                                                        std::uint64_t seed) {
  const NeuronCircuits circuits(chip, seed);
  std::vector<NeuronCircuitMismatch> out;
  for (int n = 0; n < circuits.size(); ++n) out.push_back(circuits.mismatch(n));
  return out;
}

void bind_params(py::module_& m) {
  py::class_<NeuronCircuitParams> p(m, "NeuronParams",
                                    "Physical parameters of one neuron circuit (µs, mV, nA, pF, "
                                    "nS), mismatch included");
  p.def(py::init<>());
#define SALVO_FIELD(name) p.def_readwrite(#name, &NeuronCircuitParams::name)
  SALVO_FIELD(c_mem_pF);
  SALVO_FIELD(tau_mem_us);
  SALVO_FIELD(tau_syn_exc_us);
  SALVO_FIELD(tau_syn_inh_us);
  SALVO_FIELD(t_ref_us);
  SALVO_FIELD(v_leak_mV);
  SALVO_FIELD(v_reset_mV);
  SALVO_FIELD(v_threshold_mV);
  SALVO_FIELD(adaptation);
  SALVO_FIELD(exponential);
  SALVO_FIELD(v_exp_mV);
  SALVO_FIELD(delta_t_mV);
  SALVO_FIELD(adapt_a_nS);
  SALVO_FIELD(adapt_b_nA);
  SALVO_FIELD(tau_adapt_us);
  SALVO_FIELD(syn_gain_exc);
  SALVO_FIELD(syn_gain_inh);
  SALVO_FIELD(i_offset_nA);
  SALVO_FIELD(v_min_mV);
  SALVO_FIELD(v_max_mV);
  SALVO_FIELD(noise_v_rms_mV);
  SALVO_FIELD(noise_tau_us);
#undef SALVO_FIELD

  py::class_<NeuronCircuitMismatch> mm(m, "NeuronMismatch",
                                       "A circuit's drawn deviation: factors and mV offsets");
#define SALVO_FIELD(name) mm.def_readonly(#name, &NeuronCircuitMismatch::name)
  SALVO_FIELD(tau_mem);
  SALVO_FIELD(tau_syn_exc);
  SALVO_FIELD(tau_syn_inh);
  SALVO_FIELD(v_leak_mV);
  SALVO_FIELD(v_reset_mV);
  SALVO_FIELD(v_threshold_mV);
  SALVO_FIELD(syn_gain_exc);
  SALVO_FIELD(syn_gain_inh);
#undef SALVO_FIELD
}

// The chip-config sections the neuron models read; fields set by name from Python
// (salvo.models.chip_config fills them from a chip YAML).
template <typename T>
py::class_<T> section(py::module_& m, const char* name) {
  py::class_<T> c(m, name);
  c.def(py::init<>());
  return c;
}

void bind_config(py::module_& m) {
  auto n = section<NeuronConfig>(m, "NeuronConfig");
#define SALVO_FIELD(name) n.def_readwrite(#name, &NeuronConfig::name)
  SALVO_FIELD(per_half);
  SALVO_FIELD(dt_us);
  SALVO_FIELD(adaptation);
  SALVO_FIELD(exponential);
  SALVO_FIELD(c_mem_pF);
  SALVO_FIELD(c_mem_bits);
  SALVO_FIELD(tau_mem_us);
  SALVO_FIELD(tau_syn_exc_us);
  SALVO_FIELD(tau_syn_inh_us);
  SALVO_FIELD(t_ref_us);
  SALVO_FIELD(v_leak_mV);
  SALVO_FIELD(v_reset_mV);
  SALVO_FIELD(v_threshold_mV);
  SALVO_FIELD(v_exp_mV);
  SALVO_FIELD(delta_t_mV);
  SALVO_FIELD(adapt_a_nS);
  SALVO_FIELD(adapt_b_nA);
  SALVO_FIELD(tau_adapt_us);
  SALVO_FIELD(v_min_mV);
  SALVO_FIELD(v_max_mV);
#undef SALVO_FIELD
  auto pm = section<ParameterMemoryConfig>(m, "ParameterMemoryConfig");
#define SALVO_FIELD(name) pm.def_readwrite(#name, &ParameterMemoryConfig::name)
  SALVO_FIELD(voltage_cells_per_neuron);
  SALVO_FIELD(current_cells_per_neuron);
  SALVO_FIELD(code_bits);
  SALVO_FIELD(code_max);
  SALVO_FIELD(voltage_full_scale_mV);
  SALVO_FIELD(current_full_scale_nA);
#undef SALVO_FIELD
  auto mc = section<MismatchConfig>(m, "MismatchConfig");
#define SALVO_FIELD(name) mc.def_readwrite(#name, &MismatchConfig::name)
  SALVO_FIELD(scale);
  SALVO_FIELD(tau_mem);
  SALVO_FIELD(tau_syn);
  SALVO_FIELD(v_leak_mV);
  SALVO_FIELD(v_reset_mV);
  SALVO_FIELD(v_threshold_mV);
  SALVO_FIELD(syn_gain);
  SALVO_FIELD(capmem_gain);
  SALVO_FIELD(capmem_offset_mV);
  SALVO_FIELD(shortcut_bars);
#undef SALVO_FIELD
  auto nc = section<NoiseConfig>(m, "NoiseConfig");
  nc.def_readwrite("membrane_mV_rms", &NoiseConfig::membrane_mV_rms)
      .def_readwrite("membrane_tau_us", &NoiseConfig::membrane_tau_us);
  section<ChipConfig>(m, "ChipConfig")
      .def_readwrite("name", &ChipConfig::name)
      .def_readwrite("halves", &ChipConfig::halves)
      .def_readwrite("neurons", &ChipConfig::neurons)
      .def_readwrite("parameter_memory", &ChipConfig::parameter_memory)
      .def_readwrite("mismatch", &ChipConfig::mismatch)
      .def_readwrite("noise", &ChipConfig::noise)
      .def("neurons_total", &ChipConfig::neurons_total);
}

}  // namespace
}  // namespace salvo

PYBIND11_MODULE(_salvo_models, m) {
  using namespace salvo;
  m.doc() = "salvo's plain-C++ neuron models (hw/analog); use salvo.models";
  py::register_exception<UserError>(m, "ModelError", PyExc_ValueError);
  bind_params(m);
  bind_config(m);
  m.def("chip_neuron_params", &chip_neuron_params, py::arg("chip"), py::arg("seed"),
        "every neuron circuit of the chip instance at the host's target codes, mismatch "
        "included");
  m.def("chip_neuron_mismatch", &chip_neuron_mismatch, py::arg("chip"), py::arg("seed"),
        "every neuron circuit's drawn mismatch (the oracle)");
  py::class_<PyNeuronArray>(m, "NeuronArray")
      .def(py::init<const std::vector<NeuronCircuitParams>&, double, std::uint64_t>(),
           py::arg("params"), py::arg("dt_us"), py::arg("seed"))
      .def_property_readonly("now_us", &PyNeuronArray::now_us)
      .def_property_readonly("size", [](PyNeuronArray& a) { return a.array().size(); })
      .def_property_readonly("dt_us", [](PyNeuronArray& a) { return a.array().dt_us(); })
      .def("run", &PyNeuronArray::run, py::arg("steps"), py::arg("exc_t"), py::arg("exc_n"),
           py::arg("exc_a"), py::arg("inh_t"), py::arg("inh_n"), py::arg("inh_a"),
           py::arg("record"))
      .def("v_mV", [](PyNeuronArray& a, int n) { return a.array().v_mV(a.check(n)); })
      .def("params", [](PyNeuronArray& a, int n) { return a.array().params(a.check(n)); })
      .def("set_params", [](PyNeuronArray& a, int n,
                            const NeuronCircuitParams& p) { a.array().set_params(a.check(n), p); })
      .def("reset", &PyNeuronArray::reset);
}
