// The plasticity processor's view of the chip: address regions and the chip-window
// register layout (offsets from kChipWindowBase) — the one source on the emulator side.
// firmware/libppu/include/ppu/chip_regs.h and regs.h carry the same numbers for C firmware;
// tests/test_memory_map.cpp checks at compile time that they agree; docs/memory-map.md lists them.
#pragma once

#include <cstdint>

namespace salvo::memory_map {

constexpr std::uint32_t kSramBase = 0x8000'0000;
constexpr std::uint32_t kPeripheralBase = 0x1000'0000;
constexpr std::uint32_t kChipWindowBase = 0x4000'0000;
constexpr std::uint32_t kChipWindowSize = 0x4000'0000;

// Chip window (per processor: its own chip half).
constexpr std::uint32_t kWeights = 0x0000'0000;       // + row*256 + col, byte, 6-bit
constexpr std::uint32_t kLabels = 0x0001'0000;        // + row*256 + col, byte, 6-bit
constexpr std::uint32_t kCadcCtrl = 0x0002'0000;      // write: [15:0] row, bit 16 membrane mode
constexpr std::uint32_t kCadcStatus = 0x0002'0004;    // bit 0 busy
constexpr std::uint32_t kSensorReset = 0x0002'0008;   // write row, 0xFFFF = all rows
constexpr std::uint32_t kCadcCausal = 0x0002'1000;    // + col, byte
constexpr std::uint32_t kCadcAcausal = 0x0002'1400;   // + col, byte
constexpr std::uint32_t kParameters = 0x0003'0000;    // + neuron*64 + cell*2, halfword
constexpr std::uint32_t kRateCounters = 0x0004'0000;  // + neuron, byte; write resets it
constexpr std::uint32_t kRateCounterResetAll = 0x0004'1000;
constexpr std::uint32_t kRowConfig = 0x0005'0000;  // + row*4, bit 0 sign (1 = inhibitory)
// Chip info (read-only words): what this half is, so firmware needs no host-written sizes.
constexpr std::uint32_t kInfoHalf = 0x0006'0000;       // this processor's half index
constexpr std::uint32_t kInfoNeurons = 0x0006'0004;    // neurons (= synapse columns) per half
constexpr std::uint32_t kInfoRows = 0x0006'0008;       // synapse rows per half
constexpr std::uint32_t kInfoWeightMax = 0x0006'000C;  // largest weight code (2^bits - 1)
constexpr std::uint32_t kInfoCadcMax = 0x0006'0010;    // largest CADC result code
constexpr std::uint32_t kInfoWords = 5;
constexpr std::uint32_t kRowStride = 256;
constexpr std::uint32_t kCadcRowMask = 0xFFFF;         // kCadcCtrl / kSensorReset: the row
constexpr std::uint32_t kCadcMembraneMode = 1u << 16;  // kCadcCtrl: convert the membranes
constexpr std::uint32_t kSensorResetAll = 0xFFFF;      // kSensorReset: every row
constexpr std::uint32_t kNeuronParamStride = 64;

}  // namespace salvo::memory_map
