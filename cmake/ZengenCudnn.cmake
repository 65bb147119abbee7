# zengen_find_cudnn(): finds cuDNN's header and library for the CUDA
# backend's convolution wrappers (cuda/cudnn_conv.cu). CMake 3.25's
# FindCUDAToolkit has no cuDNN target, so look for cudnn.h and libcudnn
# ourselves: under CUDNN_ROOT (a cache or environment variable) first, then
# the CUDA toolkit's own folders (where the toolkit ships cuDNN 9), then the
# system's (Debian's cudnn packages). cuDNN is optional: without it the build
# goes on and the cuDNN kernels throw a DeviceError saying so.
#
# Sets ZENGEN_CUDNN_FOUND, ZENGEN_CUDNN_INCLUDE_DIR, ZENGEN_CUDNN_LIBRARY and
# ZENGEN_CUDNN_VERSION in the caller's scope.
function(zengen_find_cudnn)
  set(ZENGEN_CUDNN_FOUND OFF PARENT_SCOPE)
  if(NOT ZENGEN_WITH_CUDNN)
    message(STATUS "zengen: cuDNN disabled (ZENGEN_WITH_CUDNN=OFF)")
    return()
  endif()
  set(roots ${CUDNN_ROOT} $ENV{CUDNN_ROOT} ${CUDAToolkit_LIBRARY_ROOT} ${CUDAToolkit_TARGET_DIR})
  find_path(ZENGEN_CUDNN_INCLUDE_DIR cudnn.h
    HINTS ${roots} ${CUDAToolkit_INCLUDE_DIRS}
    PATH_SUFFIXES include include/${CMAKE_LIBRARY_ARCHITECTURE})
  # Python wheels (nvidia-cudnn-cu13) ship only the versioned libcudnn.so.9.
  find_library(ZENGEN_CUDNN_LIBRARY NAMES cudnn libcudnn.so.9
    HINTS ${roots} ${CUDAToolkit_LIBRARY_DIR}
    PATH_SUFFIXES lib64 lib lib/${CMAKE_LIBRARY_ARCHITECTURE})
  if(NOT ZENGEN_CUDNN_INCLUDE_DIR OR NOT ZENGEN_CUDNN_LIBRARY)
    message(STATUS "zengen: cuDNN NOT found (header: ${ZENGEN_CUDNN_INCLUDE_DIR}, library: ${ZENGEN_CUDNN_LIBRARY}); "
                   "the cudnn convolution backend is left out. Set CUDNN_ROOT to its install folder to use it.")
    return()
  endif()
  # cudnn_version.h since cuDNN 8; the legacy convolution API used here is in 8 and 9.
  set(version_header "${ZENGEN_CUDNN_INCLUDE_DIR}/cudnn_version.h")
  if(NOT EXISTS "${version_header}")
    message(STATUS "zengen: cuDNN at ${ZENGEN_CUDNN_INCLUDE_DIR} has no cudnn_version.h (older than 8): left out")
    return()
  endif()
  file(STRINGS "${version_header}" defines REGEX "^#define CUDNN_(MAJOR|MINOR|PATCHLEVEL) +[0-9]+")
  foreach(part MAJOR MINOR PATCHLEVEL)
    string(REGEX MATCH "CUDNN_${part} +([0-9]+)" _ "${defines}")
    set(${part} ${CMAKE_MATCH_1})
  endforeach()
  if(MAJOR LESS 8)
    message(STATUS "zengen: cuDNN ${MAJOR}.${MINOR} is older than 8: left out")
    return()
  endif()
  set(ZENGEN_CUDNN_VERSION "${MAJOR}.${MINOR}.${PATCHLEVEL}" PARENT_SCOPE)
  set(ZENGEN_CUDNN_FOUND ON PARENT_SCOPE)
  message(STATUS "zengen: cuDNN ${MAJOR}.${MINOR}.${PATCHLEVEL} (${ZENGEN_CUDNN_LIBRARY})")
endfunction()
