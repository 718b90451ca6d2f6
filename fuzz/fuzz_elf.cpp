// libFuzzer: the ELF loader (hw/ppu/elf_image.*). Any input is either a valid image — whose
// segments lie inside the 32-bit address space and hold their bytes — or a UserError.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "hw/common/error.hpp"
#include "hw/ppu/elf_image.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::vector<std::uint8_t> bytes(data, data + size);
  try {
    const auto image = salvo::ppu::ElfImage::parse(bytes, "fuzz.elf");
    if (image.end_address() > 0x100000000ull) std::abort();
    for (const auto& seg : image.segments())
      if (seg.data.size() > seg.size || std::uint64_t{seg.address} + seg.size > 0x100000000ull)
        std::abort();
    for (const auto& s : image.symbols()) (void)image.describe_address(s.address);
    (void)image.describe_address(image.entry());
    (void)image.symbol("main");
  } catch (const salvo::UserError&) {
  }
  return 0;
}
