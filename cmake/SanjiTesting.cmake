# Helpers that add Sanji tests and benchmarks, so every folder does it one way.
#
# sanji_add_test(NAME <name> SOURCES <src>... [DEPS <target>...]
#                [LABELS <label>...] [TIMEOUT <seconds>])
#   Builds executable <name> (into ${CMAKE_BINARY_DIR}/bin) from SOURCES, links
#   DEPS plus GTest::gtest_main and GTest::gmock, and registers it with ctest.
#   LABELS defaults to "unit"; label long tests "slow" (excluded from the default
#   test presets, run by `ctest --preset release-slow` / `scripts/test slow`).
#   TIMEOUT defaults to 300 seconds. Tests run in ${CMAKE_BINARY_DIR}.
#
# sanji_add_benchmark(NAME <name> SOURCES <src>... [DEPS <target>...])
#   Builds executable <name>_bench into ${CMAKE_BINARY_DIR}/bench/, linked with
#   the JSON-lines harness (sanji_bench_harness, which provides main()). Run it
#   with `bench/run <name>`. The bench name printed in each JSON line defaults
#   to <name> (from the executable name); see bench/harness/json_lines_reporter.h.
#   Call it from bench/CMakeLists.txt, after the harness target is defined.

include_guard(GLOBAL)

function(sanji_add_test)
  cmake_parse_arguments(PARSE_ARGV 0 ARG "" "NAME;TIMEOUT" "SOURCES;DEPS;LABELS")
  if(NOT ARG_NAME OR NOT ARG_SOURCES)
    message(FATAL_ERROR "sanji_add_test: NAME and SOURCES are required")
  endif()
  if(ARG_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "sanji_add_test(${ARG_NAME}): unknown arguments ${ARG_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT ARG_LABELS)
    set(ARG_LABELS unit)
  endif()
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 300)
  endif()

  add_executable(${ARG_NAME} ${ARG_SOURCES})
  target_link_libraries(${ARG_NAME} PRIVATE ${ARG_DEPS} GTest::gtest_main GTest::gmock)
  add_test(NAME ${ARG_NAME} COMMAND ${ARG_NAME} WORKING_DIRECTORY "${CMAKE_BINARY_DIR}")
  set_tests_properties(${ARG_NAME} PROPERTIES LABELS "${ARG_LABELS}" TIMEOUT ${ARG_TIMEOUT})
endfunction()

function(sanji_add_benchmark)
  cmake_parse_arguments(PARSE_ARGV 0 ARG "" "NAME" "SOURCES;DEPS")
  if(NOT ARG_NAME OR NOT ARG_SOURCES)
    message(FATAL_ERROR "sanji_add_benchmark: NAME and SOURCES are required")
  endif()
  if(ARG_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "sanji_add_benchmark(${ARG_NAME}): unknown arguments ${ARG_UNPARSED_ARGUMENTS}")
  endif()

  set(target ${ARG_NAME}_bench)
  add_executable(${target} ${ARG_SOURCES})
  target_link_libraries(${target} PRIVATE ${ARG_DEPS} sanji_bench_harness)
  set_target_properties(${target} PROPERTIES
    RUNTIME_OUTPUT_DIRECTORY "${CMAKE_BINARY_DIR}/bench")
endfunction()
