# Student-teacher forward-rule firmware (included by firmware/project/CMakeLists.txt).
salvo_add_ppu_firmware(st SOURCES ${FW}/student_teacher/st.c)
target_include_directories(st.elf PRIVATE ${FW}/student_teacher ${FW}/sal)
target_compile_options(st.elf PRIVATE -Os)
