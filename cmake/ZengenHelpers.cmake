# Helper functions shared by zengen's CMake files.

# zengen_resolve_cuda(): turns ZENGEN_WITH_CUDA (AUTO/ON/OFF) into
# ZENGEN_CUDA_ENABLED and enables the CUDA language when it is on. AUTO builds
# CUDA whenever nvcc is found, even without a GPU, so CUDA code always compiles.
# A macro, not a function: enable_language() must run in the caller's scope.
macro(zengen_resolve_cuda)
  set(ZENGEN_CUDA_ENABLED OFF)
  if(NOT ZENGEN_WITH_CUDA STREQUAL "OFF")
    include(CheckLanguage)
    if(NOT CMAKE_CUDA_COMPILER AND EXISTS /usr/local/cuda/bin/nvcc)
      set(CMAKE_CUDA_COMPILER /usr/local/cuda/bin/nvcc CACHE FILEPATH "nvcc")
    endif()
    check_language(CUDA)
    if(CMAKE_CUDA_COMPILER)
      set(ZENGEN_CUDA_ENABLED ON)
    elseif(ZENGEN_WITH_CUDA STREQUAL "ON")
      message(FATAL_ERROR "ZENGEN_WITH_CUDA=ON but no CUDA compiler (nvcc) was found")
    endif()
  endif()
  if(ZENGEN_CUDA_ENABLED)
    if(NOT CMAKE_CUDA_ARCHITECTURES)
      # Hopper (H100/H200) natively, plus PTX so newer chips can JIT it.
      set(CMAKE_CUDA_ARCHITECTURES "90-real;90-virtual" CACHE STRING "CUDA architectures")
    endif()
    # One CUDA runtime for the whole program: the shared one, as CUDA::cudart is.
    set(CMAKE_CUDA_RUNTIME_LIBRARY Shared)
    enable_language(CUDA)
    # CMake 3.25 does not know that nvcc 13 supports C++20 (and would
    # silently fall back to C++17): teach it the flag.
    if(NOT CMAKE_CUDA20_STANDARD_COMPILE_OPTION)
      set(CMAKE_CUDA20_STANDARD_COMPILE_OPTION "-std=c++20")
      set(CMAKE_CUDA20_EXTENSION_COMPILE_OPTION "-std=c++20")
    endif()
    find_package(CUDAToolkit REQUIRED)
    message(STATUS "zengen: CUDA backend ON (nvcc ${CMAKE_CUDA_COMPILER_VERSION}, archs ${CMAKE_CUDA_ARCHITECTURES})")
  else()
    message(STATUS "zengen: CUDA backend OFF")
  endif()
endmacro()

# GCC 12 (seen with 12.2) miscompiles 256- and 512-bit integer constants
# whose upper half is zero (e.g. a memcpy of the doubles {1, 1, 0, 0}) into a
# broadcast of the low element when AVX-512 is on: it checks only the
# constant's explicitly stored words. The broadcast comes from a
# general-purpose register; without inter-unit moves to vector registers
# GCC loads the constant from memory instead, which it gets right.
# tests/toolchain/avx512_constant_main.c reproduces it and checks the flag.
set(ZENGEN_AVX512_WORKAROUND_FLAGS "")
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  set(ZENGEN_AVX512_WORKAROUND_FLAGS "-mtune-ctrl=^inter_unit_moves_to_vec")
endif()

# zengen_isa_levels(out): the ISA levels whose kernels this compiler can
# build: baseline always; avx2 and avx512 on x86-64 with GCC or Clang.
function(zengen_isa_levels out)
  set(levels baseline)
  if(CMAKE_SYSTEM_PROCESSOR MATCHES "x86_64|AMD64" AND CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
    include(CheckCXXCompilerFlag)
    check_cxx_compiler_flag(-march=x86-64-v3 ZENGEN_HAVE_MARCH_V3)
    check_cxx_compiler_flag(-march=x86-64-v4 ZENGEN_HAVE_MARCH_V4)
    if(ZENGEN_HAVE_MARCH_V3)
      list(APPEND levels avx2)
    endif()
    if(ZENGEN_HAVE_MARCH_V4)
      list(APPEND levels avx512)
    endif()
  endif()
  set(${out} ${levels} PARENT_SCOPE)
endfunction()

# The compiler flags of one ISA level (x86-64 micro-architecture levels):
# baseline x86-64-v2 (SSE4.2, POPCNT: every x86-64 CPU since 2009, and all
# that valgrind runs), avx2 x86-64-v3 (AVX2, FMA, BMI2), avx512 x86-64-v4
# (AVX-512 F/BW/CD/DQ/VL). v2 rather than v3 for the baseline: the hot code
# is dispatched anyway, and v3 would shut out AVX-less CPUs.
function(zengen_isa_compile_flags level out)
  set(flags "")
  if(CMAKE_SYSTEM_PROCESSOR MATCHES "x86_64|AMD64" AND CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
    if(level STREQUAL "baseline")
      set(flags -march=x86-64-v2)
    elseif(level STREQUAL "avx2")
      set(flags -march=x86-64-v3)
    elseif(level STREQUAL "avx512")
      set(flags -march=x86-64-v4 ${ZENGEN_AVX512_WORKAROUND_FLAGS})
    endif()
  endif()
  set(${out} ${flags} PARENT_SCOPE)
endfunction()

# zengen_isa_flags(target level): warnings and one level's -march (PRIVATE).
function(zengen_isa_flags target level)
  zengen_isa_compile_flags(${level} flags)
  target_compile_options(${target} PRIVATE
    $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Wno-unused-parameter ${flags}>)
endfunction()

# zengen_target_flags(target): warnings and the baseline -march (or, with
# ZENGEN_NATIVE, -march=native) for zengen's own code only (PRIVATE: never
# reaches consumers).
function(zengen_target_flags target)
  if(ZENGEN_NATIVE)
    target_compile_options(${target} PRIVATE
      $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Wno-unused-parameter -march=native ${ZENGEN_AVX512_WORKAROUND_FLAGS}>)
  else()
    zengen_isa_flags(${target} baseline)
  endif()
endfunction()
