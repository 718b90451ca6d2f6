// The address map has one source on the emulator side (hw/chip/memory_map.hpp, with the
// processor's peripheral offsets in hw/ppu/processor_peripherals.hpp); the firmware's C headers
// carry the same numbers. These static_asserts fail the build the moment the two drift apart.
#include "hw/chip/memory_map.hpp"

#include <gtest/gtest.h>

#include "firmware/libppu/include/ppu/chip_regs.h"
#include "firmware/libppu/include/ppu/regs.h"
#include "hw/common/chip_config.hpp"
#include "hw/ppu/processor_peripherals.hpp"

namespace mm = salvo::memory_map;
namespace periph = salvo::ppu::periph;

// Regions.
static_assert(PPU_SRAM_BASE == mm::kSramBase);
static_assert(PPU_PERIPH_BASE == mm::kPeripheralBase);
static_assert(PPU_CHIP_BASE == mm::kChipWindowBase);
// Chip window.
static_assert(PPU_CHIP_WEIGHTS == mm::kWeights);
static_assert(PPU_CHIP_LABELS == mm::kLabels);
static_assert(PPU_CHIP_CADC_CTRL == mm::kCadcCtrl);
static_assert(PPU_CHIP_CADC_STATUS == mm::kCadcStatus);
static_assert(PPU_CHIP_SENSOR_RESET == mm::kSensorReset);
static_assert(PPU_CHIP_CADC_CAUSAL == mm::kCadcCausal);
static_assert(PPU_CHIP_CADC_ACAUSAL == mm::kCadcAcausal);
static_assert(PPU_CHIP_PARAMETERS == mm::kParameters);
static_assert(PPU_CHIP_RATE_COUNTERS == mm::kRateCounters);
static_assert(PPU_CHIP_RATE_RESET_ALL == mm::kRateCounterResetAll);
static_assert(PPU_CHIP_ROW_CONFIG == mm::kRowConfig);
static_assert(PPU_CHIP_INFO_HALF == mm::kInfoHalf);
static_assert(PPU_CHIP_INFO_NEURONS == mm::kInfoNeurons);
static_assert(PPU_CHIP_INFO_ROWS == mm::kInfoRows);
static_assert(PPU_CHIP_INFO_WEIGHT_MAX == mm::kInfoWeightMax);
static_assert(PPU_CHIP_INFO_CADC_MAX == mm::kInfoCadcMax);
static_assert(PPU_CHIP_ROW_STRIDE == mm::kRowStride);
static_assert(PPU_CHIP_NEURON_PARAM_STRIDE == mm::kNeuronParamStride);
static_assert(PPU_CHIP_CADC_MEMBRANE_MODE == mm::kCadcMembraneMode);
static_assert(PPU_CHIP_SENSOR_RESET_ALL == mm::kSensorResetAll);
// Peripherals.
static_assert(PPU_CONSOLE_TX == periph::kConsoleTx);
static_assert(PPU_CONSOLE_STATUS == periph::kConsoleStatus);
static_assert(PPU_MTIME_LO == periph::kMtimeLo);
static_assert(PPU_MTIME_HI == periph::kMtimeHi);
static_assert(PPU_MTIMECMP_LO == periph::kMtimecmpLo);
static_assert(PPU_MTIMECMP_HI == periph::kMtimecmpHi);
static_assert(PPU_MSIP == periph::kMsip);
static_assert(PPU_TIMER_FREQ_HZ == periph::kTimerFreqHz);
static_assert(PPU_RNG_VALUE == periph::kRngValue);
static_assert(PPU_CYCLE_LO == periph::kCycleLo);
static_assert(PPU_CYCLE_HI == periph::kCycleHi);
static_assert(PPU_SLEEP_CYCLE_LO == periph::kSleepCycleLo);
static_assert(PPU_SLEEP_CYCLE_HI == periph::kSleepCycleHi);
static_assert(PPU_MBOX_STATUS == periph::kMboxStatus);
static_assert(PPU_MBOX_DOORBELL == periph::kMboxDoorbell);
static_assert(PPU_MBOX_ACK == periph::kMboxAck);
static_assert(PPU_MBOX_TO_PPU == periph::kMboxToPpu);
static_assert(PPU_MBOX_FROM_PPU == periph::kMboxFromPpu);
static_assert(PPU_ID == periph::kPpuId);
static_assert(PPU_MEMORY_SIZE == periph::kMemorySize);
static_assert(PPU_CLOCK_HZ == periph::kClockHz);
static_assert(PPU_MAILBOX_WORDS == periph::kMailboxWords);

// The firmware hard-codes the reference chip's parameter-memory layout (ChipConfig's defaults).
TEST(MemoryMap, FirmwareParameterLayoutIsTheReferenceChips) {
  const salvo::ChipConfig reference;
  EXPECT_EQ(static_cast<int>(PPU_CHIP_VOLTAGE_CELLS),
            reference.parameter_memory.voltage_cells_per_neuron);
  EXPECT_EQ(static_cast<int>(PPU_CHIP_CURRENT_CELLS),
            reference.parameter_memory.current_cells_per_neuron);
  EXPECT_EQ(static_cast<int>(PPU_CHIP_CODE_MAX), reference.parameter_memory.code_max);
  // Every cell of a neuron is a halfword inside its stride.
  EXPECT_GE(PPU_CHIP_NEURON_PARAM_STRIDE, 2u * (PPU_CHIP_VOLTAGE_CELLS + PPU_CHIP_CURRENT_CELLS));
}
