# SAL firmware images (included by firmware/project/CMakeLists.txt).
salvo_add_ppu_firmware(sal SOURCES ${FW}/sal/sal.c)
target_include_directories(sal.elf PRIVATE ${FW}/sal)
# -Os: code size matters in the 16 KiB reference memory (shadow weights and gains take 3 KiB).
target_compile_options(sal.elf PRIVATE -Os)
salvo_add_ppu_firmware(sal_256k SOURCES ${FW}/sal/sal.c MEMORY_KIB 256)
target_include_directories(sal_256k.elf PRIVATE ${FW}/sal)
target_compile_definitions(sal_256k.elf PRIVATE SAL_MAX_PRE=64 SAL_MAX_POST=64)
# The vector variants (chip processor.vector.enabled): the same program with the update on the
# vector unit (sal_vector.h); one image per register width, named sal_v<bytes>[_256k].elf.
foreach(vbytes 16 32 64 128 256)
  salvo_add_ppu_firmware(sal_v${vbytes} SOURCES ${FW}/sal/sal.c)
  target_include_directories(sal_v${vbytes}.elf PRIVATE ${FW}/sal)
  target_compile_options(sal_v${vbytes}.elf PRIVATE -Os)
  target_compile_definitions(sal_v${vbytes}.elf PRIVATE SAL_VECTOR PPU_VECTOR_BYTES=${vbytes})
endforeach()
# A whole 256 x 256 half plastic (128 exc/inh row pairs x 256 columns) on the 128-byte unit.
salvo_add_ppu_firmware(sal_v128_half SOURCES ${FW}/sal/sal.c MEMORY_KIB 256)
target_include_directories(sal_v128_half.elf PRIVATE ${FW}/sal)
target_compile_definitions(sal_v128_half.elf PRIVATE SAL_VECTOR PPU_VECTOR_BYTES=128
                                                     SAL_MAX_PRE=128 SAL_MAX_POST=256)
# The vector program on the scalar fallback of the intrinsics (libppu vector_fallback.c; too
# large for 16 KiB).
salvo_add_ppu_firmware(sal_vfallback SOURCES ${FW}/sal/sal.c ${FW}/libppu/src/vector_fallback.c
                       MEMORY_KIB 256)
target_include_directories(sal_vfallback.elf PRIVATE ${FW}/sal)
target_compile_options(sal_vfallback.elf PRIVATE -Os)
target_compile_definitions(sal_vfallback.elf PRIVATE SAL_VECTOR)
# The Hebbian STDP baseline is the same program with the other rule.
include(${FW}/stdp/firmware.cmake)
