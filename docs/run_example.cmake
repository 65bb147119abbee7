# Runs one of the docs' programs as a test (docs/CMakeLists.txt):
#   cmake -DEXE=<program> "-DARGS=<arguments>" -DDATA=<dataset folder> -DOUTPUT=<file>
#         -DWORK_DIR=<folder> -P run_example.cmake
# The program runs in WORK_DIR (emptied first) with ARGS, where the word DATA
# stands for the dataset folder; it must exit 0 and write OUTPUT there.
# Prints "skipped: data folder ... is missing" (the test's skip pattern) when
# the dataset has not been fetched.
if(NOT EXISTS "${DATA}")
  message("skipped: data folder ${DATA} is missing (scripts/fetch-data.sh)")
  return()
endif()
file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}")
separate_arguments(args UNIX_COMMAND "${ARGS}")
list(TRANSFORM args REPLACE "^DATA$" "${DATA}")
execute_process(COMMAND "${EXE}" ${args} WORKING_DIRECTORY "${WORK_DIR}"
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
message("${out}${err}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${EXE} exited with ${rc}")
endif()
if(NOT EXISTS "${WORK_DIR}/${OUTPUT}")
  message(FATAL_ERROR "${EXE} did not write ${OUTPUT}")
endif()
file(READ "${WORK_DIR}/${OUTPUT}" magic LIMIT 4 HEX)
if(NOT magic STREQUAL "89504e47")
  message(FATAL_ERROR "${OUTPUT} is not a PNG file (starts with ${magic})")
endif()
