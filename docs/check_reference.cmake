# The test "docs: every public class is documented" (docs/CMakeLists.txt):
# builds the `docs` target (Doxygen) and fails when Doxygen warns that a
# public class, struct or header file has no documentation.
#   cmake -DBUILD_DIR=<build folder> -DWARNINGS=<doxygen's warning log> -P check_reference.cmake
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
