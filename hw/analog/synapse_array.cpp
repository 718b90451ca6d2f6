#include "hw/analog/synapse_array.hpp"

#include <algorithm>
#include <cstring>
#include <string>

#include "hw/common/error.hpp"
#include "hw/common/rng.hpp"

namespace salvo {

namespace {

// Sixteen columns per step with GCC/Clang generic vectors (SSE2 on baseline x86-64, NEON on
// ARM): one byte compare of 16 labels gives a 0/0xFF lane mask, each group of four mask
// bytes is widened to a 32-bit lane mask, ANDed with the amplitudes and added. Written
// explicitly because the compilers' default -O2 cost model leaves the equivalent scalar loop
// (a select on a byte compare, run-time trip count) unvectorised.
typedef std::uint8_t U8x16 __attribute__((vector_size(16)));
typedef std::int8_t I8x16 __attribute__((vector_size(16)));
typedef std::int32_t I32x4 __attribute__((vector_size(16)));
typedef std::int16_t I16x8 __attribute__((vector_size(16)));
typedef float F32x4 __attribute__((vector_size(16)));

inline void masked_add4(I32x4 hit, const float* amp, float* acc) {
  I32x4 a;
  F32x4 s;
  std::memcpy(&a, amp, sizeof a);
  std::memcpy(&s, acc, sizeof s);
  s += reinterpret_cast<F32x4>(a & hit);  // adds +0.0f where the label differs
  std::memcpy(acc, &s, sizeof s);
}

// acc[c] += amp[c] for every column (a row whose labels all equal the event's address).
inline void add_all_columns(const float* __restrict amp, float* __restrict acc, int n) {
  int c = 0;
  for (; c + 8 <= n; c += 8) {
    F32x4 a0, a1, s0, s1;
    std::memcpy(&a0, amp + c, sizeof a0);
    std::memcpy(&a1, amp + c + 4, sizeof a1);
    std::memcpy(&s0, acc + c, sizeof s0);
    std::memcpy(&s1, acc + c + 4, sizeof s1);
    s0 += a0;
    s1 += a1;
    std::memcpy(acc + c, &s0, sizeof s0);
    std::memcpy(acc + c + 4, &s1, sizeof s1);
  }
  for (; c < n; ++c) acc[c] += amp[c];
}

// acc[c] += amp[c] for every column whose synapse label equals `address`.
inline void add_matching_columns(const std::uint8_t* __restrict labels, const float* __restrict amp,
                                 float* __restrict acc, int n, std::uint8_t address) {
  U8x16 want;
  std::memset(&want, address, sizeof want);
  int c = 0;
  for (; c + 16 <= n; c += 16) {
    U8x16 l;
    std::memcpy(&l, labels + c, sizeof l);
    const I8x16 hit = reinterpret_cast<I8x16>(l == want);
    // Widen the 0/0xFF byte mask to 32-bit lanes by interleaving it with itself twice
    // (punpck{l,h}bw then punpck{l,h}wd on SSE2): sign-free, no byte shuffle needed.
    const I16x8 lo = reinterpret_cast<I16x8>(
        __builtin_shufflevector(hit, hit, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23));
    const I16x8 hi = reinterpret_cast<I16x8>(__builtin_shufflevector(
        hit, hit, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31));
    masked_add4(reinterpret_cast<I32x4>(__builtin_shufflevector(lo, lo, 0, 8, 1, 9, 2, 10, 3, 11)),
                amp + c, acc + c);
    masked_add4(
        reinterpret_cast<I32x4>(__builtin_shufflevector(lo, lo, 4, 12, 5, 13, 6, 14, 7, 15)),
        amp + c + 4, acc + c + 4);
    masked_add4(reinterpret_cast<I32x4>(__builtin_shufflevector(hi, hi, 0, 8, 1, 9, 2, 10, 3, 11)),
                amp + c + 8, acc + c + 8);
    masked_add4(
        reinterpret_cast<I32x4>(__builtin_shufflevector(hi, hi, 4, 12, 5, 13, 6, 14, 7, 15)),
        amp + c + 12, acc + c + 12);
  }
  for (; c < n; ++c) {
    acc[c] += (labels[c] == address) ? amp[c] : 0.0f;
  }
}

std::string where(int half) { return "synapse array (half " + std::to_string(half) + ")"; }

}  // namespace

SynapseArrayParams SynapseArrayParams::from_config(const ChipConfig& cfg) {
  SynapseArrayParams p;
  p.rows = cfg.synapses.rows_per_half;
  p.columns = cfg.neurons.per_half;
  p.drivers = cfg.drivers.per_half;
  p.rows_per_driver = cfg.drivers.rows_per_driver;
  p.weight_bits = cfg.synapses.weight_bits;
  p.label_bits = cfg.synapses.label_bits;
  p.i_lsb_nA = cfg.synapses.i_lsb_nA;
  p.weight_dac_sigma = cfg.mismatch.weight_dac * cfg.mismatch.scale;
  return p;
}

SynapseArray::SynapseArray(const SynapseArrayParams& params, std::uint64_t seed, int half)
    : params_(params),
      rows_(params.rows),
      columns_(params.columns),
      drivers_(params.drivers),
      rows_per_driver_(params.rows_per_driver),
      weight_max_((1 << params.weight_bits) - 1),
      label_max_((1 << params.label_bits) - 1),
      row_select_max_(0xFF),
      label_bits_(params.label_bits),
      i_lsb_nA_(static_cast<float>(params.i_lsb_nA)),
      half_(half) {
  const std::string me = where(half);
  if (params.columns < 1) {
    throw UserError(me + ": neurons.per_half = " + std::to_string(params.columns) +
                    "; allowed >= 1");
  }
  if (params.rows_per_driver < 1 || params.drivers < 1 ||
      params.rows != params.drivers * params.rows_per_driver) {
    throw UserError(me + ": synapses.rows_per_half (" + std::to_string(params.rows) +
                    ") must equal drivers.per_half (" + std::to_string(params.drivers) +
                    ") x drivers.rows_per_driver (" + std::to_string(params.rows_per_driver) + ")");
  }
  if (params.weight_bits < 1 || params.weight_bits > 8) {
    throw UserError(me + ": synapses.weight_bits = " + std::to_string(params.weight_bits) +
                    "; allowed 1..8");
  }
  if (params.label_bits < 1 || params.label_bits > 8) {
    throw UserError(me + ": synapses.label_bits = " + std::to_string(params.label_bits) +
                    "; allowed 1..8 (the row-select field takes the next 8 label bits)");
  }
  if (!(params.i_lsb_nA >= 0.0)) {
    throw UserError(me + ": synapses.i_lsb_nA must be >= 0");
  }
  if (!(params.weight_dac_sigma >= 0.0)) {
    throw UserError(me + ": mismatch.weight_dac x mismatch.scale must be >= 0");
  }

  const std::size_t n = static_cast<std::size_t>(rows_) * static_cast<std::size_t>(columns_);
  weights_.assign(n, 0);
  labels_.assign(n, 0);
  row_label_.assign(static_cast<std::size_t>(rows_), 0);
  amplitude_.assign(n, 0.0f);
  dac_delta_.resize(n);
  dac_gain_.resize(n);
  // One draw per synapse in row-major order, whatever sigma is, so switching this spread
  // off or on never shifts another block's numbers (each block has its own stream anyway).
  Engine eng = make_engine(seed, Stream::kSynapseMismatch, static_cast<std::uint64_t>(half));
  for (std::size_t i = 0; i < n; ++i) {
    const double d = draw_normal(eng, params.weight_dac_sigma);
    dac_delta_[i] = static_cast<float>(d);
    // A DAC cannot invert the current direction: a gain error below -100 % is clamped.
    dac_gain_[i] = static_cast<float>(std::max(0.0, 1.0 + d));
  }

  row_sign_.assign(static_cast<std::size_t>(rows_), RowSign::kExcitatory);
  driver_select_.resize(static_cast<std::size_t>(drivers_));
  driver_mask_.assign(static_cast<std::size_t>(drivers_), static_cast<std::uint16_t>(0xFF));
  driver_enabled_.assign(static_cast<std::size_t>(drivers_), 1);
  for (int d = 0; d < drivers_; ++d) {
    driver_select_[static_cast<std::size_t>(d)] = static_cast<std::uint16_t>(d & 0xFF);
  }
}

void SynapseArray::check_row(int row, const char* what) const {
  if (row < 0 || row >= rows_) {
    throw UserError(where(half_) + ": " + what + " row " + std::to_string(row) +
                    " out of range; allowed 0.." + std::to_string(rows_ - 1));
  }
}

void SynapseArray::check_column(int column, const char* what) const {
  if (column < 0 || column >= columns_) {
    throw UserError(where(half_) + ": " + what + " column " + std::to_string(column) +
                    " out of range; allowed 0.." + std::to_string(columns_ - 1));
  }
}

void SynapseArray::check_driver(int driver, const char* what) const {
  if (driver < 0 || driver >= drivers_) {
    throw UserError(where(half_) + ": " + what + " driver " + std::to_string(driver) +
                    " out of range; allowed 0.." + std::to_string(drivers_ - 1));
  }
}

void SynapseArray::update_amplitude(int row, int column) {
  const std::size_t i = static_cast<std::size_t>(row) * columns_ + column;
  amplitude_[i] = static_cast<float>(weights_[i]) * i_lsb_nA_ * dac_gain_[i];
}

void SynapseArray::update_row_amplitudes(int row) {
  for (int c = 0; c < columns_; ++c) update_amplitude(row, c);
}

void SynapseArray::set_weight(int row, int column, int weight) {
  check_row(row, "weight");
  check_column(column, "weight");
  if (weight < 0 || weight > weight_max_) {
    throw UserError(where(half_) + ": weight " + std::to_string(weight) + " at row " +
                    std::to_string(row) + ", column " + std::to_string(column) +
                    " out of range; allowed 0.." + std::to_string(weight_max_));
  }
  weights_[static_cast<std::size_t>(row) * columns_ + column] = static_cast<std::uint8_t>(weight);
  update_amplitude(row, column);
}

int SynapseArray::weight(int row, int column) const {
  check_row(row, "weight");
  check_column(column, "weight");
  return weights_[static_cast<std::size_t>(row) * columns_ + column];
}

void SynapseArray::set_label(int row, int column, int label) {
  check_row(row, "synapse label");
  check_column(column, "synapse label");
  if (label < 0 || label > label_max_) {
    throw UserError(where(half_) + ": synapse label " + std::to_string(label) + " at row " +
                    std::to_string(row) + ", column " + std::to_string(column) +
                    " out of range; allowed 0.." + std::to_string(label_max_));
  }
  labels_[static_cast<std::size_t>(row) * columns_ + column] = static_cast<std::uint8_t>(label);
  row_label_[static_cast<std::size_t>(row)] = kLabelsUnknown;
}

int SynapseArray::label(int row, int column) const {
  check_row(row, "synapse label");
  check_column(column, "synapse label");
  return labels_[static_cast<std::size_t>(row) * columns_ + column];
}

void SynapseArray::set_row_sign(int row, RowSign sign) {
  check_row(row, "sign of");
  if (sign != RowSign::kExcitatory && sign != RowSign::kInhibitory) {
    throw UserError(where(half_) + ": sign of row " + std::to_string(row) +
                    " invalid; allowed excitatory or inhibitory");
  }
  // The stored amplitudes are magnitudes: the sign only picks the accumulator.
  row_sign_[static_cast<std::size_t>(row)] = sign;
}

SynapseArray::RowSign SynapseArray::row_sign(int row) const {
  check_row(row, "sign of");
  return row_sign_[static_cast<std::size_t>(row)];
}

void SynapseArray::set_driver(int driver, int select, int mask) {
  check_driver(driver, "row-select address of");
  if (select < 0 || select > row_select_max_) {
    throw UserError(where(half_) + ": row-select address " + std::to_string(select) +
                    " of driver " + std::to_string(driver) + " out of range; allowed 0.." +
                    std::to_string(row_select_max_));
  }
  if (mask < 0 || mask > row_select_max_) {
    throw UserError(where(half_) + ": row-select mask " + std::to_string(mask) + " of driver " +
                    std::to_string(driver) + " out of range; allowed 0.." +
                    std::to_string(row_select_max_));
  }
  driver_select_[static_cast<std::size_t>(driver)] = static_cast<std::uint16_t>(select);
  driver_mask_[static_cast<std::size_t>(driver)] = static_cast<std::uint16_t>(mask);
  table_dirty_ = true;
}

void SynapseArray::set_driver_enabled(int driver, bool enabled) {
  check_driver(driver, "enable of");
  driver_enabled_[static_cast<std::size_t>(driver)] = enabled ? 1 : 0;
  table_dirty_ = true;
}

int SynapseArray::driver_select(int driver) const {
  check_driver(driver, "row-select address of");
  return driver_select_[static_cast<std::size_t>(driver)];
}

int SynapseArray::driver_mask(int driver) const {
  check_driver(driver, "row-select mask of");
  return driver_mask_[static_cast<std::size_t>(driver)];
}

bool SynapseArray::driver_enabled(int driver) const {
  check_driver(driver, "enable of");
  return driver_enabled_[static_cast<std::size_t>(driver)] != 0;
}

const std::uint8_t* SynapseArray::weight_row(int row) const {
  check_row(row, "weight");
  return weights_.data() + static_cast<std::size_t>(row) * columns_;
}

const std::uint8_t* SynapseArray::label_row(int row) const {
  check_row(row, "synapse label");
  return labels_.data() + static_cast<std::size_t>(row) * columns_;
}

void SynapseArray::set_weight_row(int row, const std::uint8_t* weights) {
  check_row(row, "weight");
  // Validate the whole row first so a bad byte leaves the row untouched.
  for (int c = 0; c < columns_; ++c) {
    if (weights[c] > weight_max_) {
      throw UserError(where(half_) + ": weight " + std::to_string(weights[c]) + " at row " +
                      std::to_string(row) + ", column " + std::to_string(c) +
                      " out of range; allowed 0.." + std::to_string(weight_max_));
    }
  }
  std::copy(weights, weights + columns_,
            weights_.begin() + static_cast<std::ptrdiff_t>(row) * columns_);
  update_row_amplitudes(row);
}

void SynapseArray::set_label_row(int row, const std::uint8_t* labels) {
  check_row(row, "synapse label");
  for (int c = 0; c < columns_; ++c) {
    if (labels[c] > label_max_) {
      throw UserError(where(half_) + ": synapse label " + std::to_string(labels[c]) + " at row " +
                      std::to_string(row) + ", column " + std::to_string(c) +
                      " out of range; allowed 0.." + std::to_string(label_max_));
    }
  }
  std::copy(labels, labels + columns_,
            labels_.begin() + static_cast<std::ptrdiff_t>(row) * columns_);
  row_label_[static_cast<std::size_t>(row)] = kLabelsUnknown;
}

void SynapseArray::rebuild_address_table() const {
  const int addresses = row_select_max_ + 1;
  address_row_begin_.assign(static_cast<std::size_t>(addresses) + 1, 0);
  address_rows_.clear();
  for (int a = 0; a < addresses; ++a) {
    address_row_begin_[static_cast<std::size_t>(a)] = static_cast<int>(address_rows_.size());
    for (int d = 0; d < drivers_; ++d) {
      const auto du = static_cast<std::size_t>(d);
      if (!driver_enabled_[du]) continue;
      const int mask = driver_mask_[du];
      if ((a & mask) != (driver_select_[du] & mask)) continue;
      for (int k = 0; k < rows_per_driver_; ++k) address_rows_.push_back(d * rows_per_driver_ + k);
    }
  }
  address_row_begin_[static_cast<std::size_t>(addresses)] = static_cast<int>(address_rows_.size());
  table_dirty_ = false;
}

void SynapseArray::rows_for_label(std::uint16_t label, std::vector<int>& rows) const {
  if (table_dirty_) rebuild_address_table();
  const auto a = static_cast<std::size_t>(row_select_of(label));
  rows.insert(rows.end(), address_rows_.begin() + address_row_begin_[a],
              address_rows_.begin() + address_row_begin_[a + 1]);
}

void SynapseArray::deliver_row(int row, std::uint8_t address, float* exc_acc, float* inh_acc) {
  const auto r = static_cast<std::size_t>(row);
  const std::size_t offset = r * static_cast<std::size_t>(columns_);
  const std::uint8_t* labels = labels_.data() + offset;
  std::int16_t& uniform = row_label_[r];
  if (uniform == kLabelsUnknown) {
    const bool same = std::all_of(labels, labels + columns_,
                                  [first = labels[0]](std::uint8_t l) { return l == first; });
    uniform = same ? labels[0] : kMixedLabels;
  }
  if (uniform != kMixedLabels && uniform != address) return;  // no synapse matches
  float* acc = row_sign_[r] == RowSign::kInhibitory ? inh_acc : exc_acc;
  if (uniform == address) {
    add_all_columns(amplitude_.data() + offset, acc, columns_);
  } else {
    add_matching_columns(labels, amplitude_.data() + offset, acc, columns_, address);
  }
}

int SynapseArray::deliver(std::uint16_t label, float* exc_acc, float* inh_acc,
                          std::vector<int>& rows_hit) {
  if (table_dirty_) rebuild_address_table();
  const auto a = static_cast<std::size_t>(row_select_of(label));
  const int begin = address_row_begin_[a];
  const int end = address_row_begin_[a + 1];
  const auto address = static_cast<std::uint8_t>(synapse_address_of(label));
  for (int i = begin; i < end; ++i) {
    const int r = address_rows_[static_cast<std::size_t>(i)];
    deliver_row(r, address, exc_acc, inh_acc);
    rows_hit.push_back(r);
  }
  return end - begin;
}

void SynapseArray::deliver_to_row(int row, int synapse_address, float* exc_acc, float* inh_acc) {
  check_row(row, "delivery to");
  if (synapse_address < 0 || synapse_address > label_max_) {
    throw UserError(where(half_) + ": synapse address " + std::to_string(synapse_address) +
                    " out of range; allowed 0.." + std::to_string(label_max_));
  }
  deliver_row(row, static_cast<std::uint8_t>(synapse_address), exc_acc, inh_acc);
}

double SynapseArray::dac_mismatch(int row, int column) const {
  check_row(row, "mismatch of");
  check_column(column, "mismatch of");
  return dac_delta_[static_cast<std::size_t>(row) * columns_ + column];
}

double SynapseArray::amplitude_nA(int row, int column) const {
  check_row(row, "amplitude of");
  check_column(column, "amplitude of");
  const double magnitude = amplitude_[static_cast<std::size_t>(row) * columns_ + column];
  return row_sign_[static_cast<std::size_t>(row)] == RowSign::kInhibitory ? -magnitude : magnitude;
}

}  // namespace salvo
