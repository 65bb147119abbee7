# Builds TARGET in BUILD_DIR (optionally CONFIG) and succeeds only if the
# build FAILS with output matching the regex EXPECT (and EXPECT_ALSO, when
# given): a compile-time rejection test.
#   cmake -DBUILD_DIR=... -DTARGET=... -DEXPECT=regex [-DEXPECT_ALSO=regex] [-DCONFIG=...] -P compile_fail.cmake
foreach(var BUILD_DIR TARGET EXPECT)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "compile_fail.cmake: pass -D${var}=...")
  endif()
endforeach()
set(config_args)
if(CONFIG)
  set(config_args --config ${CONFIG})
endif()
execute_process(
  COMMAND ${CMAKE_COMMAND} --build ${BUILD_DIR} --target ${TARGET} ${config_args}
  RESULT_VARIABLE result
  OUTPUT_VARIABLE output
  ERROR_VARIABLE output)
if(result EQUAL 0)
  message(FATAL_ERROR "${TARGET} compiled, but it must be rejected at compile time")
endif()
foreach(regex IN ITEMS "${EXPECT}" "${EXPECT_ALSO}")
  if(regex AND NOT output MATCHES "${regex}")
    message(FATAL_ERROR "${TARGET} failed to build, but the output does not match '${regex}':\n${output}")
  endif()
endforeach()
message(STATUS "${TARGET} was rejected as expected:\n${output}")
