# Per-ISA compile flags for src/model/cpu (run-time dispatch; see src/model/cpu/kernels_internal.h).
#
# Files are matched by name: *_avx2.cpp, *_avx512.cpp, *_avx512bf16.cpp, *_avx512vnni.cpp and
# *_amx.cpp get their ISA's flags; every other file stays at the target's baseline. The target
# that holds these files must NOT be compiled with -march=native (ODMA_NATIVE): the baseline files
# would then contain AVX-512 and the binary would fault on an AVX2-only host. Use a separate
# library for src/model/cpu.
#
#   odma_cpu_kernel_flags(<target> [AMX ON|OFF])
set(ODMA_CPU_BASELINE -march=x86-64-v2 -ffp-contract=off)
set(ODMA_CPU_FLAGS_AVX2 -mavx2 -mfma)
set(ODMA_CPU_FLAGS_AVX512 -mavx2 -mfma -mavx512f -mavx512bw -mavx512vl)
set(ODMA_CPU_FLAGS_AVX512BF16 ${ODMA_CPU_FLAGS_AVX512} -mavx512bf16)
set(ODMA_CPU_FLAGS_AVX512VNNI ${ODMA_CPU_FLAGS_AVX512} -mavx512vnni)
set(ODMA_CPU_FLAGS_AMX ${ODMA_CPU_FLAGS_AVX512BF16} -mamx-tile -mamx-bf16)

function(odma_cpu_kernel_flags target)
  cmake_parse_arguments(ARG "" "AMX" "" ${ARGN})
  if(NOT DEFINED ARG_AMX)
    set(ARG_AMX ON)
  endif()
  target_compile_options(${target} PRIVATE ${ODMA_CPU_BASELINE})
  get_target_property(sources ${target} SOURCES)
  get_target_property(dir ${target} SOURCE_DIR)
  foreach(src ${sources})
    if(src MATCHES "_avx2\\.cpp$")
      set(flags ${ODMA_CPU_FLAGS_AVX2})
    elseif(src MATCHES "_avx512\\.cpp$")
      set(flags ${ODMA_CPU_FLAGS_AVX512})
    elseif(src MATCHES "_avx512bf16\\.cpp$")
      set(flags ${ODMA_CPU_FLAGS_AVX512BF16})
    elseif(src MATCHES "_avx512vnni\\.cpp$")
      set(flags ${ODMA_CPU_FLAGS_AVX512VNNI})
    elseif(src MATCHES "_amx\\.cpp$")
      if(ARG_AMX)
        set(flags ${ODMA_CPU_FLAGS_AMX})
      else()
        set_source_files_properties(${src} DIRECTORY ${dir}
                                    PROPERTIES COMPILE_DEFINITIONS ODMA_NO_AMX)
        continue()
      endif()
    else()
      continue()
    endif()
    set_source_files_properties(${src} DIRECTORY ${dir} PROPERTIES COMPILE_OPTIONS "${flags}")
  endforeach()
endfunction()
