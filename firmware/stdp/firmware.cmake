# Hebbian STDP baseline (included by firmware/project/CMakeLists.txt): the SAL program
# (firmware/sal/sal.c) with the rule switched to dw = eta (c - a), so both see the same
# sensor readout, CADC zero, shadow weights, stochastic rounding, homeostasis and statistics,
# and a comparison between them isolates the rule. See firmware/sal/sal_kernel.h.
salvo_add_ppu_firmware(stdp SOURCES ${FW}/sal/sal.c)
target_include_directories(stdp.elf PRIVATE ${FW}/sal)
target_compile_options(stdp.elf PRIVATE -Os)
target_compile_definitions(stdp.elf PRIVATE SAL_RULE=SAL_RULE_STDP)
