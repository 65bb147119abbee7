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

# zengen_target_flags(target): warnings and, with ZENGEN_NATIVE, -march=native
# for zengen's own code only (PRIVATE: never reaches consumers).
function(zengen_target_flags target)
  target_compile_options(${target} PRIVATE
    $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Wno-unused-parameter>)
  if(ZENGEN_NATIVE)
    target_compile_options(${target} PRIVATE $<$<COMPILE_LANGUAGE:CXX>:-march=native>)
  endif()
endfunction()
