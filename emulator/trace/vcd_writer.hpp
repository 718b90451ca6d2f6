// VcdWriter: a Value Change Dump (IEEE 1364 §18) collected in memory and written sorted by
// time — sources report changes out of order (the processor runs ahead of the analog core by
// up to a quantum), VCD needs them in order. Scalar and vector wires and reals; opens in GTKWave.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace salvo::trace {

class VcdWriter {
 public:
  enum class Kind { kWire, kReal };
  // timescale_ps: the time unit of every change, in picoseconds (1 = "1 ps").
  explicit VcdWriter(std::uint64_t timescale_ps = 1) : timescale_ps_(timescale_ps) {}

  // A variable in scope "a.b" (dots nest scopes); width in bits for wires. Returns its handle.
  int add(const std::string& scope, const std::string& name, Kind kind, int width = 1,
          double initial = 0.0);
  // A change at time t (in the timescale's unit). Wires take the integer value's low bits.
  void wire(std::uint64_t t, int var, std::uint64_t value) {
    changes_.push_back({t, var, 0, value});
  }
  void real(std::uint64_t t, int var, double value) { changes_.push_back({t, var, value, 0}); }

  std::size_t changes() const { return changes_.size(); }
  std::size_t variables() const { return vars_.size(); }
  // Writes the file atomically (tmp + rename). Changes at equal times keep their report order;
  // repeated values of a variable are written once.
  void write(const std::string& path, const std::string& comment);

  static std::string identifier(int index);  // "!", "\"", ... (printable ASCII, base 94)

 private:
  struct Var {
    std::string scope, name, id;
    Kind kind;
    int width;
    double initial;
  };
  struct Change {
    std::uint64_t t;
    int var;
    double r;
    std::uint64_t w;
  };
  std::string format_value(const Var& v, double r, std::uint64_t w) const;

  std::uint64_t timescale_ps_;
  std::vector<Var> vars_;
  std::vector<Change> changes_;
};

}  // namespace salvo::trace
