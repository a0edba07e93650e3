# Shared build settings for every odma target.

# Flags every odma target gets: strict warnings as errors, optional sanitizers, the debug level and
# (ODMA_NATIVE) -march=native. NATIVE OFF: the run-time-dispatched kernels (cmake/OdmaCpuKernels),
# whose baseline must run on any x86-64-v2 CPU.
function(odma_target_defaults target)
  cmake_parse_arguments(ARG "NO_NATIVE" "" "" ${ARGN})
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor
                                           -Wold-style-cast -Wcast-align -Wunused -Woverloaded-virtual
                                           -Wnull-dereference -Wimplicit-fallthrough -Werror)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    # GCC 12 false positive in std::string concatenation at -O3 (gcc.gnu.org/PR105329); not a
    # real aliasing problem. Clang has no such warning (and would reject the unknown flag).
    target_compile_options(${target} PRIVATE -Wno-restrict)
  elseif(CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    # The sources silence GCC-only warnings by pragma (e.g. -Wmaybe-uninitialized in the AVX-512
    # kernels); clang (.ci/run's sanitizer build) would otherwise fail on the unknown group.
    target_compile_options(${target} PRIVATE -Wno-unknown-warning-option)
  endif()
  target_compile_definitions(${target} PRIVATE ODMA_DEBUG_LEVEL=${ODMA_DEBUG})
  if(ODMA_NATIVE AND NOT ARG_NO_NATIVE)
    target_compile_options(${target} PRIVATE -march=native)
  endif()
  if(ODMA_SANITIZE)
    target_compile_options(${target} PRIVATE -fsanitize=address,undefined -fno-sanitize-recover=all
                                             -fno-omit-frame-pointer)
    target_link_options(${target} PRIVATE -fsanitize=address,undefined)
    if(ARG_NO_NATIVE AND CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
      # Clang's -fsanitize=function emits weak typeinfo for every function type, which
      # scripts/check_isa_objects.sh (rightly) refuses in the ISA-flagged kernel objects.
      target_compile_options(${target} PRIVATE -fno-sanitize=function)
    endif()
  endif()
endfunction()

# odma_add_library(name SOURCES ... DEPS ... [NO_NATIVE]): one static library per layer.
function(odma_add_library name)
  cmake_parse_arguments(ARG "NO_NATIVE" "" "SOURCES;DEPS" ${ARGN})
  if(NOT ARG_SOURCES)  # a layer with no code yet: headers only
    add_library(${name} INTERFACE)
    target_include_directories(${name} INTERFACE ${PROJECT_SOURCE_DIR}/src)
    target_link_libraries(${name} INTERFACE ${ARG_DEPS})
    return()
  endif()
  add_library(${name} STATIC ${ARG_SOURCES})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(${name} PUBLIC ${ARG_DEPS})
  if(ARG_NO_NATIVE)
    odma_target_defaults(${name} NO_NATIVE)
  else()
    odma_target_defaults(${name})
  endif()
endfunction()

# odma_add_test(name SOURCES ... DEPS ... [LABELS ...]): one gtest binary, registered with CTest.
# Label "slow" marks tests the sanitizer job may run with smaller sizes (see .ci/run).
function(odma_add_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;LABELS;SERIAL" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gmock GTest::gtest_main)
  odma_target_defaults(${name})
  include(GoogleTest)
  # SERIAL: tests (full names) that measure the machine's timing, run alone (RUN_SERIAL) instead
  # of beside other tests.
  set(filter "*")
  if(ARG_SERIAL)
    list(JOIN ARG_SERIAL ":" serial)
    set(filter "-${serial}")
    foreach(t ${ARG_SERIAL})
      add_test(NAME ${t} COMMAND ${name} --gtest_filter=${t} WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
      set_tests_properties(${t} PROPERTIES RUN_SERIAL TRUE LABELS "${ARG_LABELS}")
    endforeach()
  endif()
  gtest_discover_tests(${name} TEST_FILTER "${filter}" PROPERTIES LABELS "${ARG_LABELS}"
                       DISCOVERY_TIMEOUT 60 WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
endfunction()

# odma_add_bench(name SOURCES ... DEPS ...): one Google Benchmark binary.
function(odma_add_bench name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} benchmark::benchmark benchmark::benchmark_main)
  odma_target_defaults(${name})
endfunction()
