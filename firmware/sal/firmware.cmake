# SAL firmware images (included by firmware/project/CMakeLists.txt).
salvo_add_ppu_firmware(sal SOURCES ${FW}/sal/sal.c)
target_include_directories(sal.elf PRIVATE ${FW}/sal)
# -Os: code size matters in the 16 KiB reference memory (shadow weights and gains take 3 KiB).
target_compile_options(sal.elf PRIVATE -Os)
salvo_add_ppu_firmware(sal_256k SOURCES ${FW}/sal/sal.c MEMORY_KIB 256)
target_include_directories(sal_256k.elf PRIVATE ${FW}/sal)
target_compile_definitions(sal_256k.elf PRIVATE SAL_MAX_PRE=64 SAL_MAX_POST=64)
# The Hebbian STDP baseline is the same program with the other rule.
include(${FW}/stdp/firmware.cmake)
