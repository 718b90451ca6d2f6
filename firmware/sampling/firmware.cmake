# Sampling-network learning firmware (included by firmware/project/CMakeLists.txt).
salvo_add_ppu_firmware(sampling SOURCES ${FW}/sampling/sampling.c)
target_include_directories(sampling.elf PRIVATE ${FW}/sampling ${FW}/sal)
target_compile_options(sampling.elf PRIVATE -Os)
