# The test "docs: every public class is documented" (docs/CMakeLists.txt):
# fails when a public header does not open with a summary comment, or when
# the `docs` target (Doxygen) warns that a public class or struct has no
# documentation.
#   cmake -DBUILD_DIR=<build folder> -DWARNINGS=<doxygen's warning log>
#         -DHEADERS=<include/zengen> -P check_reference.cmake
file(GLOB_RECURSE headers "${HEADERS}/*.hpp")
set(no_summary)
foreach(header IN LISTS headers)
  file(STRINGS "${header}" first LIMIT_COUNT 1)
  if(NOT first MATCHES "^// [A-Za-z0-9`]")
    list(APPEND no_summary "${header}")
  endif()
endforeach()
if(no_summary)
  list(JOIN no_summary "\n" lines)
  message(FATAL_ERROR "these headers do not open with a summary comment (// ...):\n${lines}")
endif()
file(REMOVE "${WARNINGS}")
execute_process(COMMAND ${CMAKE_COMMAND} --build "${BUILD_DIR}" --target docs
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "building the docs target failed:\n${out}")
endif()
file(STRINGS "${WARNINGS}" undocumented REGEX "(Compound .* is not documented|the file .* is not documented)")
list(LENGTH undocumented n)
if(n GREATER 0)
  list(JOIN undocumented "\n" lines)
  message(FATAL_ERROR "${n} public classes or headers have no documentation:\n${lines}")
endif()
message(STATUS "every public class and header is documented")
