# Builds and runs the downstream consumer project (tests/consumer/main.cpp)
# the way a user would, in one of two modes:
#
#   MODE=find_package      installs the already-built zengen from ZENGEN_BINARY_DIR
#                          into a fresh prefix under WORK_DIR, then configures
#                          tests/consumer with CMAKE_PREFIX_PATH=<prefix>;
#   MODE=add_subdirectory  configures tests/consumer/subdir, which pulls
#                          zengen's source tree in with add_subdirectory;
#   MODE=shared            builds zengen afresh from ZENGEN_SOURCE_DIR as a
#                          shared library (BUILD_SHARED_LIBS=ON, CPU only,
#                          no tests), installs it into a prefix, then goes on
#                          as find_package (the consumer must link libzengen.so);
#   MODE=deb               makes the Debian package of ZENGEN_BINARY_DIR
#                          (cpack -G DEB: libzengen-dev), checks its fields
#                          and that its Depends are installed here, unpacks
#                          it into a root folder and goes on as find_package
#                          with that root's /usr.
#
# Then builds the consumer, checks that -march=native (ZENGEN_NATIVE) did not
# leak into its compile flags, and runs it. Any failing step stops with
# FATAL_ERROR and that step's output.
#
# Run as: cmake -DMODE=... -DZENGEN_SOURCE_DIR=... -DZENGEN_BINARY_DIR=...
#               -DWORK_DIR=... -DGENERATOR=... [-DMAKE_PROGRAM=...]
#               [-DCXX_COMPILER=...] [-DBUILD_TYPE=...] [-DCONFIG=...]
#               [-DWITH_CUDA=ON|OFF -DCUDA_COMPILER=... -DCUDA_ARCHITECTURES=a,b]
#               [-DJOBS=N] -P run.cmake
# (tests/CMakeLists.txt registers both modes as CTest tests.)
cmake_minimum_required(VERSION 3.25)

foreach(var IN ITEMS MODE ZENGEN_SOURCE_DIR ZENGEN_BINARY_DIR WORK_DIR GENERATOR)
  if(NOT DEFINED ${var} OR "${${var}}" STREQUAL "")
    message(FATAL_ERROR "run.cmake: -D${var}=... is required")
  endif()
endforeach()
if(NOT CONFIG)
  set(CONFIG "${BUILD_TYPE}")
endif()
if(NOT CONFIG)
  set(CONFIG Release)
endif()
if(NOT JOBS)
  cmake_host_system_information(RESULT JOBS QUERY NUMBER_OF_LOGICAL_CORES)
endif()

# run_step(<name> <command...>): runs the command, stops with its output on failure.
function(run_step name)
  message(STATUS "consumer.${MODE}: ${name}")
  execute_process(COMMAND ${ARGN}
    RESULT_VARIABLE result OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(NOT result EQUAL 0)
    message(FATAL_ERROR "consumer.${MODE}: ${name} failed (${result}):\n"
                        "command: ${ARGN}\n${out}")
  endif()
  set(STEP_OUTPUT "${out}" PARENT_SCOPE)
endfunction()

# The same generator and compilers as zengen's own build.
set(common_args -G "${GENERATOR}" -DCMAKE_EXPORT_COMPILE_COMMANDS=ON
  -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF)
if(MAKE_PROGRAM)
  list(APPEND common_args "-DCMAKE_MAKE_PROGRAM=${MAKE_PROGRAM}")
endif()
if(CXX_COMPILER)
  list(APPEND common_args "-DCMAKE_CXX_COMPILER=${CXX_COMPILER}")
endif()
if(BUILD_TYPE)
  list(APPEND common_args "-DCMAKE_BUILD_TYPE=${BUILD_TYPE}")
endif()

set(build_dir "${WORK_DIR}/build")
file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}")

if(MODE STREQUAL "find_package")
  # (a) install the built package into a fresh prefix
  set(prefix "${WORK_DIR}/prefix")
  run_step("install zengen into ${prefix}"
    "${CMAKE_COMMAND}" --install "${ZENGEN_BINARY_DIR}" --prefix "${prefix}" --config "${CONFIG}")
elseif(MODE STREQUAL "shared")
  # (a) a shared libzengen, built and installed the way a packager would
  set(zengen_build "${WORK_DIR}/zengen-build")
  set(prefix "${WORK_DIR}/prefix")
  run_step("configure zengen with BUILD_SHARED_LIBS=ON"
    "${CMAKE_COMMAND}" -S "${ZENGEN_SOURCE_DIR}" -B "${zengen_build}" ${common_args}
    -DBUILD_SHARED_LIBS=ON -DZENGEN_WITH_CUDA=OFF -DZENGEN_BUILD_TESTS=OFF
    -DZENGEN_BUILD_EXAMPLES=OFF -DZENGEN_BUILD_BENCHMARKS=OFF)
  run_step("build shared zengen"
    "${CMAKE_COMMAND}" --build "${zengen_build}" --config "${CONFIG}" -j "${JOBS}")
  run_step("install zengen into ${prefix}"
    "${CMAKE_COMMAND}" --install "${zengen_build}" --prefix "${prefix}" --config "${CONFIG}")
  file(GLOB shared_libraries "${prefix}/*/libzengen.so.*")
  if(NOT shared_libraries)
    message(FATAL_ERROR "consumer.shared: no libzengen.so.<version> installed under ${prefix}")
  endif()
elseif(MODE STREQUAL "deb")
  # (a) the Debian package, unpacked into a root folder
  find_program(DPKG_DEB dpkg-deb)
  find_program(DPKG_QUERY dpkg-query)
  if(NOT DPKG_DEB OR NOT DPKG_QUERY)
    message(FATAL_ERROR "consumer.deb: needs dpkg-deb and dpkg-query")
  endif()
  set(package_dir "${WORK_DIR}/package")
  run_step("cpack -G DEB"
    "${CMAKE_COMMAND}" -E chdir "${ZENGEN_BINARY_DIR}"
    cpack -G DEB -C "${CONFIG}" -B "${package_dir}" --config "${ZENGEN_BINARY_DIR}/CPackConfig.cmake")
  file(GLOB deb "${package_dir}/libzengen-dev_*.deb")
  list(LENGTH deb count)
  if(NOT count EQUAL 1)
    file(GLOB made "${package_dir}/*.deb")
    message(FATAL_ERROR "consumer.deb: expected one libzengen-dev_*.deb in ${package_dir}, found: ${made}")
  endif()
  run_step("dpkg-deb --field" "${DPKG_DEB}" --field "${deb}" Package Version Depends)
  message(STATUS "consumer.deb: ${deb}:\n${STEP_OUTPUT}")
  if(NOT STEP_OUTPUT MATCHES "Package: libzengen-dev\n")
    message(FATAL_ERROR "consumer.deb: ${deb} is not the package libzengen-dev")
  endif()
  # Every package it depends on is a Debian package installed here: so
  # `dpkg -i` of it succeeds on a machine set up as this one.
  string(REGEX MATCH "Depends: ([^\n]*)" depends_line "${STEP_OUTPUT}")
  string(REPLACE "," ";" depends "${CMAKE_MATCH_1}")
  foreach(dependency IN LISTS depends)
    string(REGEX REPLACE "^ *([a-z0-9.+-]+).*$" "\\1" name "${dependency}")
    run_step("dpkg-query ${name}" "${DPKG_QUERY}" -W -f=\${db:Status-Status} "${name}")
    if(NOT STEP_OUTPUT STREQUAL "installed")
      message(FATAL_ERROR "consumer.deb: dependency ${name} is not installed here (${STEP_OUTPUT})")
    endif()
  endforeach()
  set(root "${WORK_DIR}/root")
  run_step("dpkg-deb -x" "${DPKG_DEB}" -x "${deb}" "${root}")
  set(prefix "${root}/usr")
  if(NOT EXISTS "${prefix}/include/zengen/zengen.hpp")
    message(FATAL_ERROR "consumer.deb: ${deb} has no /usr/include/zengen/zengen.hpp")
  endif()
endif()
if(MODE MATCHES "^(find_package|shared|deb)$")
  # The exported targets name no file of this machine outside the prefix
  # (no CUDA toolkit, cuDNN or cudart path) and need no CUDA package.
  file(GLOB_RECURSE cmake_files "${prefix}/*/cmake/zengen/*.cmake")
  foreach(f IN LISTS cmake_files)
    file(READ "${f}" text)
    if(text MATCHES "(/usr/local[^\n]*|[^\n]*(CUDAToolkit|CUDA::|libcud)[^\n]*)")
      message(FATAL_ERROR "consumer.${MODE}: ${f} names CUDA or a machine path:\n${CMAKE_MATCH_1}")
    endif()
  endforeach()
  # (b) configure the consumer against it, and only it; CUDA cannot be found
  # (a consumer needs no CUDA toolkit).
  run_step("configure"
    "${CMAKE_COMMAND}" -S "${ZENGEN_SOURCE_DIR}/tests/consumer" -B "${build_dir}" ${common_args}
    "-DCMAKE_PREFIX_PATH=${prefix}" -DCMAKE_DISABLE_FIND_PACKAGE_CUDAToolkit=ON)
  file(STRINGS "${build_dir}/CMakeCache.txt" zengen_dir REGEX "^zengen_DIR:")
  string(REGEX REPLACE "^zengen_DIR:[A-Z]+=" "" zengen_dir "${zengen_dir}")
  cmake_path(IS_PREFIX prefix "${zengen_dir}" NORMALIZE from_prefix)
  if(NOT from_prefix)
    message(FATAL_ERROR "consumer.${MODE}: found zengen at '${zengen_dir}', not in ${prefix}")
  endif()
elseif(MODE STREQUAL "add_subdirectory")
  # zengen built as a subproject, with ZENGEN_NATIVE on so that the flag check
  # below shows it stays PRIVATE to zengen's own targets.
  set(sub_args "-DZENGEN_SOURCE_DIR=${ZENGEN_SOURCE_DIR}" -DZENGEN_NATIVE=ON)
  if(DEFINED WITH_CUDA)
    list(APPEND sub_args "-DZENGEN_WITH_CUDA=${WITH_CUDA}")
  endif()
  if(CUDA_COMPILER)
    list(APPEND sub_args "-DCMAKE_CUDA_COMPILER=${CUDA_COMPILER}")
  endif()
  if(CUDA_ARCHITECTURES)  # ,-separated (a ;-list does not survive add_test)
    string(REPLACE "," ";" CUDA_ARCHITECTURES "${CUDA_ARCHITECTURES}")
    list(APPEND sub_args "-DCMAKE_CUDA_ARCHITECTURES=${CUDA_ARCHITECTURES}")
  endif()
  run_step("configure"
    "${CMAKE_COMMAND}" -S "${ZENGEN_SOURCE_DIR}/tests/consumer/subdir" -B "${build_dir}"
    ${common_args} ${sub_args})
else()
  message(FATAL_ERROR "run.cmake: MODE must be find_package, add_subdirectory, shared or deb, not '${MODE}'")
endif()

# (c) build
run_step("build" "${CMAKE_COMMAND}" --build "${build_dir}" --config "${CONFIG}" --target consumer -j "${JOBS}")

# ZENGEN_NATIVE's -march=native is for zengen's own code only.
file(READ "${build_dir}/compile_commands.json" commands)
string(REGEX MATCH "\"command\": \"[^\"]*tests/consumer/main\\.cpp[^\"]*\"" main_command "${commands}")
if(main_command STREQUAL "")
  message(FATAL_ERROR "consumer.${MODE}: no compile command for main.cpp in compile_commands.json")
endif()
if(main_command MATCHES "-march=native")
  message(FATAL_ERROR "consumer.${MODE}: -march=native leaked into the consumer's flags:\n${main_command}")
endif()

# (d) run
set(exe "${build_dir}/consumer")
if(NOT EXISTS "${exe}")
  set(exe "${build_dir}/${CONFIG}/consumer")  # multi-config generators
endif()
# A CPU-only consumer carries no CUDA: neither it nor a shared libzengen it
# links names a CUDA library (or zengen's CUDA module) among its NEEDED
# entries. main.cpp checks what is mapped at run time and the memory.
find_program(READELF readelf)
if(READELF)
  set(binaries "${exe}")
  if(DEFINED prefix)
    file(GLOB shared_zengen "${prefix}/*/libzengen.so")
    list(APPEND binaries ${shared_zengen})
  endif()
  foreach(binary IN LISTS binaries)
    run_step("readelf -d ${binary}" "${READELF}" -d "${binary}")
    string(REGEX MATCHALL "\\(NEEDED\\)[^\n]*\\[[^]]*\\]" needed "${STEP_OUTPUT}")
    string(REGEX REPLACE "\\(NEEDED\\)[^[]*" "" needed "${needed}")
    message(STATUS "consumer.${MODE}: NEEDED of ${binary}: ${needed}")
    if(needed MATCHES "cudart|cublas|cudnn|libcuda|zengen_cuda")
      message(FATAL_ERROR "consumer.${MODE}: ${binary} needs CUDA: ${needed}")
    endif()
    if(MODE STREQUAL "shared" AND binary STREQUAL exe AND NOT needed MATCHES "libzengen\\.so\\.")
      message(FATAL_ERROR "consumer.shared: ${exe} does not link the shared libzengen: ${needed}")
    endif()
  endforeach()
else()
  message(STATUS "consumer.${MODE}: no readelf: NEEDED entries not checked")
endif()
run_step("run" "${exe}")
set(best_output "${STEP_OUTPUT}")
run_step("run at ZENGEN_CPU_ISA=baseline" "${CMAKE_COMMAND}" -E env ZENGEN_CPU_ISA=baseline "${exe}")
if(NOT STEP_OUTPUT MATCHES "with the baseline CPU kernels")
  message(FATAL_ERROR "consumer.${MODE}: ZENGEN_CPU_ISA=baseline did not choose the baseline kernels:\n${STEP_OUTPUT}")
endif()
message(STATUS "consumer.${MODE}: ok\n${best_output}${STEP_OUTPUT}")
