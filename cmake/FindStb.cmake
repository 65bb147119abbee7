# FindStb: the stb single-file libraries as Debian's libstb-dev ships them,
# compiled once into libstb (headers in <prefix>/include/stb/, pkg-config
# module "stb"). Defines the imported target Stb::stb and Stb_FOUND.
#
# zengen uses stb_image (decoding) and stb_image_write (PNG encoding). The
# library is private to libzengen, but a static libzengen names it in its
# link interface, so zengenConfig.cmake finds it again (this file is
# installed beside it).
find_package(PkgConfig QUIET)
if(PKG_CONFIG_FOUND)
  pkg_check_modules(PC_Stb QUIET stb)
endif()
find_path(Stb_INCLUDE_DIR NAMES stb_image.h stb_image_write.h
  HINTS ${PC_Stb_INCLUDE_DIRS} PATH_SUFFIXES stb)
find_library(Stb_LIBRARY NAMES stb HINTS ${PC_Stb_LIBRARY_DIRS})
mark_as_advanced(Stb_INCLUDE_DIR Stb_LIBRARY)

include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(Stb REQUIRED_VARS Stb_LIBRARY Stb_INCLUDE_DIR
  REASON_FAILURE_MESSAGE "install Debian's libstb-dev (scripts/setup.sh does)")

if(Stb_FOUND AND NOT TARGET Stb::stb)
  add_library(Stb::stb UNKNOWN IMPORTED)
  set_target_properties(Stb::stb PROPERTIES
    IMPORTED_LOCATION "${Stb_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${Stb_INCLUDE_DIR}")
endif()
