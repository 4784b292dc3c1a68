# synod_library(NAME DEPS ...): a static library `synod_NAME` from every *.cc under
# src/NAME (recursively), except *_test.cc, which become the test binary `synod_NAME_tests`.
function(synod_library name)
  cmake_parse_arguments(ARG "" "" "DEPS;TEST_DEPS" ${ARGN})
  file(GLOB_RECURSE all_sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.cc)
  set(sources "")
  set(tests "")
  foreach(file ${all_sources})
    if(file MATCHES "_test\\.cc$")
      list(APPEND tests ${file})
    else()
      list(APPEND sources ${file})
    endif()
  endforeach()
  add_library(synod_${name} STATIC ${sources})
  target_include_directories(synod_${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(synod_${name} PUBLIC ${ARG_DEPS})
  if(SYNOD_TESTS AND tests)
    add_executable(synod_${name}_tests ${tests})
    target_link_libraries(synod_${name}_tests PRIVATE synod_${name} ${ARG_TEST_DEPS}
                          GTest::gtest GTest::gtest_main GTest::gmock)
    target_compile_definitions(synod_${name}_tests PRIVATE
                               SYNOD_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
                               SYNOD_BINARY_DIR="${PROJECT_BINARY_DIR}")
    gtest_discover_tests(synod_${name}_tests DISCOVERY_TIMEOUT 120
                         PROPERTIES LABELS unit TIMEOUT 600)
  endif()
endfunction()
