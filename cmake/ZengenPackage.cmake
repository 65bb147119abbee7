# Debian packages of the installed zengen, made by `cpack -G DEB` in a build
# folder (tests/consumer/run.cmake MODE=deb builds one and compiles a program
# against it):
#
#   libzengen-dev   component "dev": libzengen (static, or shared with
#                   BUILD_SHARED_LIBS), the headers and the CMake package
#                   (find_package(zengen)). Its Depends are what
#                   zengenConfig.cmake finds again, as Debian packages.
#   libzengen-cuda  component "cuda", only when the CUDA backend is built: the
#                   module libzengen loads on the first CUDA request. Its
#                   libraries (CUDA runtime, cuBLAS, cuDNN) come from NVIDIA's
#                   toolkit, which no Debian package provides, so it declares
#                   no Depends on them (docs/cuda.md says what it needs).
#
# Both install under /usr. One package per component (CPACK_DEB_COMPONENT_INSTALL).

set(CPACK_PACKAGE_NAME zengen)
set(CPACK_PACKAGE_VENDOR "zengen")
set(CPACK_PACKAGE_CONTACT "zengen developers <zengen@localhost>")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_GENERATOR DEB)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # <package>_<version>_<arch>.deb
set(CPACK_DEBIAN_PACKAGE_SECTION libdevel)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://zengen.invalid")

set(CPACK_COMPONENTS_ALL dev)
set(CPACK_DEBIAN_DEV_PACKAGE_NAME libzengen-dev)
string(CONCAT CPACK_COMPONENT_DEV_DESCRIPTION
  "C++20 library for generative models (GANs, VAEs): development files\n"
  "Tensors, reverse-mode autograd, CPU kernels chosen at run time for the\n"
  "machine's ISA level, and GAN/VAE templates. Link it with CMake:\n"
  "find_package(zengen) and target_link_libraries(app zengen::zengen).")
# What zengenConfig.cmake finds, and the run-time libraries of libzengen
# (libgomp for OpenMP; glibc and libstdc++ of GCC 12 or later).
set(zengen_deb_depends "libgomp1, libstdc++6 (>= 12), libc6 (>= 2.36)")
if(NOT BUILD_SHARED_LIBS)
  string(APPEND zengen_deb_depends
    ", libeigen3-dev (>= 3.3), nlohmann-json3-dev (>= 3.11), zlib1g-dev, libstb-dev")
else()
  string(APPEND zengen_deb_depends ", zlib1g, libstb0")
endif()
set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS "${zengen_deb_depends}")
set(CPACK_DEBIAN_DEV_PACKAGE_RECOMMENDS "g++ (>= 12), cmake (>= 3.25)")

if(ZENGEN_CUDA_ENABLED)
  list(APPEND CPACK_COMPONENTS_ALL cuda)
  set(CPACK_DEBIAN_CUDA_PACKAGE_NAME libzengen-cuda)
  set(CPACK_DEBIAN_CUDA_PACKAGE_SECTION libs)
  set(CPACK_DEBIAN_CUDA_PACKAGE_DEPENDS "libzengen-dev (= ${PROJECT_VERSION})")
  string(CONCAT CPACK_COMPONENT_CUDA_DESCRIPTION
    "zengen's CUDA backend module (libzengen_cuda.so)\n"
    "Loaded by libzengen on the first request for a CUDA device. Needs the\n"
    "CUDA runtime, cuBLAS and cuDNN 9 of NVIDIA's toolkit on the loader path.")
endif()

include(CPack)
