// SynapseArray: one half's synapse matrix with its synapse drivers. An event label arriving
// from an event bus is matched by every driver (row-select address under a mask); a matching
// driver fires its two rows, and each row adds its weighted current pulse to every column
// whose 6-bit synapse label equals the event's synapse address. Abstracted away: the analog
// pulse shape (each visit is one instantaneous current jump of the column's synaptic input),
// driver timing and STP, the weight DAC's nonlinearity (only its per-synapse gain mismatch).
#pragma once

#include <cstdint>
#include <vector>

#include "hw/common/chip_config.hpp"

namespace salvo {

// Geometry and electrical scale of one half's array (from ChipConfig, see from_config).
struct SynapseArrayParams {
  int rows = 256;                  // synapses.rows_per_half
  int columns = 256;               // neurons.per_half
  int drivers = 128;               // drivers.per_half
  int rows_per_driver = 2;         // drivers.rows_per_driver
  int weight_bits = 6;             // synapses.weight_bits
  int label_bits = 6;              // synapses.label_bits (width of the synapse-address field)
  double i_lsb_nA = 0.4;           // synapses.i_lsb_nA: current amplitude per weight LSB
  double weight_dac_sigma = 0.03;  // relative σ of the weight DAC gain (× mismatch.scale)

  static SynapseArrayParams from_config(const ChipConfig& cfg);
};

class SynapseArray {
 public:
  enum class RowSign : std::uint8_t { kExcitatory = 0, kInhibitory = 1 };

  // Draws the weight-DAC mismatch of this half once, from (seed, kSynapseMismatch, half).
  // Initial state: all weights and labels 0, all rows excitatory, driver d enabled with
  // row-select address d and full mask (so address d reaches rows 2d and 2d+1).
  SynapseArray(const SynapseArrayParams& params, std::uint64_t seed, int half = 0);

  int rows() const { return rows_; }
  int columns() const { return columns_; }
  int drivers() const { return drivers_; }
  int rows_per_driver() const { return rows_per_driver_; }
  int weight_max() const { return weight_max_; }
  int label_max() const { return label_max_; }
  int row_select_max() const { return row_select_max_; }

  // --- Label fields (width of the synapse-address field from the config) ---------------
  std::uint16_t synapse_address_of(std::uint16_t label) const {
    return static_cast<std::uint16_t>(label & label_max_);
  }
  std::uint16_t row_select_of(std::uint16_t label) const {
    return static_cast<std::uint16_t>((label >> label_bits_) & row_select_max_);
  }

  // --- Configuration (validated: out-of-range values throw salvo::UserError) ------------
  void set_weight(int row, int column, int weight);
  int weight(int row, int column) const;
  void set_label(int row, int column, int label);
  int label(int row, int column) const;
  void set_row_sign(int row, RowSign sign);
  RowSign row_sign(int row) const;
  // Driver d fires its rows for an event when ((row_select(label)) & mask) == (select & mask).
  void set_driver(int driver, int select, int mask);
  void set_driver_enabled(int driver, bool enabled);
  int driver_select(int driver) const;
  int driver_mask(int driver) const;
  bool driver_enabled(int driver) const;
  int driver_of_row(int row) const { return row / rows_per_driver_; }

  // Whole rows as the plasticity processor reads and writes them: `columns()` bytes each,
  // contiguous. The setters validate every byte (weight <= weight_max(), label <= label_max()).
  const std::uint8_t* weight_row(int row) const;
  const std::uint8_t* label_row(int row) const;
  void set_weight_row(int row, const std::uint8_t* weights);
  void set_label_row(int row, const std::uint8_t* labels);

  // --- Event delivery (hot path) ---------------------------------------------------------
  // Every row reached by `label` adds, to each column whose synapse label equals
  // synapse_address_of(label), the current magnitude w · i_lsb_nA · max(0, 1 + δ) (>= 0)
  // to exc_acc for excitatory rows, to inh_acc for inhibitory rows (the neuron subtracts
  // its inhibitory input). Both accumulators hold `columns()` floats in nA. The indices of the rows
  // reached are appended to rows_hit in ascending order; returns how many were appended.
  int deliver(std::uint16_t label, float* exc_acc, float* inh_acc, std::vector<int>& rows_hit);
  // One row alone, bypassing the drivers (host playback addressed to a row, tests): adds
  // the row's matching synapses for `synapse_address` exactly as deliver() does.
  void deliver_to_row(int row, int synapse_address, float* exc_acc, float* inh_acc);
  // Rows reached by `label` (driver compare only), appended in ascending order.
  void rows_for_label(std::uint16_t label, std::vector<int>& rows) const;

  // --- Oracle: the true drawn and derived values ---------------------------------------
  // Relative weight-DAC gain error δ of one synapse (amplitude ∝ 1 + δ, clamped at 0).
  double dac_mismatch(int row, int column) const;
  // Signed effect of one synapse in nA: ±w · i_lsb_nA · max(0, 1 + δ), negative on an
  // inhibitory row (deliver() adds the magnitude to the inhibitory accumulator).
  double amplitude_nA(int row, int column) const;
  const SynapseArrayParams& params() const { return params_; }

 private:
  void check_row(int row, const char* what) const;
  void check_column(int column, const char* what) const;
  void check_driver(int driver, const char* what) const;
  void update_amplitude(int row, int column);
  void update_row_amplitudes(int row);
  void rebuild_address_table() const;
  // Adds row `row`'s synapses labelled `address` to acc (deliver, deliver_to_row).
  void deliver_row(int row, std::uint8_t address, float* exc_acc, float* inh_acc);

  SynapseArrayParams params_;
  int rows_, columns_, drivers_, rows_per_driver_;
  int weight_max_, label_max_, row_select_max_, label_bits_;
  float i_lsb_nA_;
  int half_;

  // Row-major [row][column], stride columns_.
  std::vector<std::uint8_t> weights_;
  std::vector<std::uint8_t> labels_;
  std::vector<float> dac_gain_;   // max(0, 1 + δ)
  std::vector<float> dac_delta_;  // δ as drawn (oracle)
  std::vector<float> amplitude_;  // current magnitude per synapse, nA (sign is per row)

  std::vector<RowSign> row_sign_;
  std::vector<std::uint16_t> driver_select_, driver_mask_;
  std::vector<std::uint8_t> driver_enabled_;

  // Rows reached by each row-select address, rebuilt lazily after a driver write so that a
  // delivery costs only the rows it reaches (not a compare against all drivers).
  mutable bool table_dirty_ = true;
  mutable std::vector<int> address_row_begin_;  // size row_select_max_ + 2
  mutable std::vector<int> address_rows_;

  // Per row: the label all its synapses share, kMixedLabels, or kLabelsUnknown after a label
  // write (recomputed at the next delivery). A uniform row skips the label compare: it adds
  // every amplitude, or nothing, exactly what the masked add gives (acc + (+0) = acc: the
  // accumulators hold sums of amplitudes >= 0, never −0).
  static constexpr std::int16_t kMixedLabels = -1;
  static constexpr std::int16_t kLabelsUnknown = -2;
  std::vector<std::int16_t> row_label_;
};

}  // namespace salvo
