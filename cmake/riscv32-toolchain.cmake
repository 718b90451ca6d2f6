# Bare-metal RV32IMC + Zicsr + Zifencei with Debian's stock riscv64-unknown-elf-gcc and picolibc.
# -misa-spec=2.2 makes Zicsr and Zifencei part of "I": with the newer ISA spec GCC 12 would need
# "_zicsr_zifencei" in -march, and that string defeats its multilib matching (no rv32imc
# libraries would be found). With 2.2, -march=rv32imc selects picolibc's rv32im multilib.
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR riscv32)
set(CMAKE_C_COMPILER riscv64-unknown-elf-gcc)
set(CMAKE_ASM_COMPILER riscv64-unknown-elf-gcc)
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)
set(SALVO_RV_FLAGS "-march=rv32imc -misa-spec=2.2 -mabi=ilp32 --specs=picolibc.specs")
set(CMAKE_C_FLAGS_INIT "${SALVO_RV_FLAGS}")
set(CMAKE_ASM_FLAGS_INIT "${SALVO_RV_FLAGS}")
set(CMAKE_EXE_LINKER_FLAGS_INIT "-nostartfiles")
