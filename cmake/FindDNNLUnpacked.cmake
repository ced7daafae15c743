# FindDNNLUnpacked
# ----------------
# Finds oneDNN (DNNL) as unpacked from the JavaCPP jar org.bytedeco:dnnl:<ver>:linux-x86_64,
# i.e. a directory org/bytedeco/dnnl/linux-x86_64 holding
#   include/oneapi/dnnl/dnnl.h
#   libdnnl.so.3            (no libdnnl.so development symlink)
#   libgomp.so.1            (found by libdnnl.so.3 through its RUNPATH $ORIGIN)
#
# Input (cache) variable:
#   DNNL_ROOT                 that linux-x86_64 directory
#
# Result variables:
#   DNNLUnpacked_FOUND        TRUE when header and library were found
#   DNNLUnpacked_VERSION      MAJOR.MINOR.PATCH from oneapi/dnnl/dnnl_version.h
#   DNNL_INCLUDE_DIR          the include directory
#   DNNL_LIBRARY              full path of libdnnl.so.<N>
#
# Imported target:
#   DNNL::dnnl                SHARED IMPORTED library with its include directory
#
# Usage:
#   list(APPEND CMAKE_MODULE_PATH ${CMAKE_CURRENT_SOURCE_DIR}/../cmake)
#   find_package(DNNLUnpacked)   # with -DDNNL_ROOT=/path/to/org/bytedeco/dnnl/linux-x86_64

set(DNNL_ROOT "${DNNL_ROOT}" CACHE PATH "Unpacked org/bytedeco/dnnl/linux-x86_64 directory")

find_path(DNNL_INCLUDE_DIR
  NAMES oneapi/dnnl/dnnl.h
  HINTS "${DNNL_ROOT}"
  PATH_SUFFIXES include
  NO_DEFAULT_PATH)

# find_library() only matches the unversioned libdnnl.so, which the jar lacks: look for the
# versioned file itself (newest SONAME first).
find_file(DNNL_LIBRARY
  NAMES libdnnl.so.3 libdnnl.so.4 libdnnl.so
  HINTS "${DNNL_ROOT}"
  PATH_SUFFIXES lib lib64
  NO_DEFAULT_PATH)

set(DNNLUnpacked_VERSION "")
if(DNNL_INCLUDE_DIR AND EXISTS "${DNNL_INCLUDE_DIR}/oneapi/dnnl/dnnl_version.h")
  file(STRINGS "${DNNL_INCLUDE_DIR}/oneapi/dnnl/dnnl_version.h" _dnnl_version_lines
    REGEX "^#define DNNL_VERSION_(MAJOR|MINOR|PATCH) +[0-9]+")
  foreach(_part MAJOR MINOR PATCH)
    string(REGEX MATCH "DNNL_VERSION_${_part} +([0-9]+)" _m "${_dnnl_version_lines}")
    set(_dnnl_${_part} "${CMAKE_MATCH_1}")
  endforeach()
  if(NOT _dnnl_MAJOR STREQUAL "")
    set(DNNLUnpacked_VERSION "${_dnnl_MAJOR}.${_dnnl_MINOR}.${_dnnl_PATCH}")
  endif()
  unset(_dnnl_version_lines)
  unset(_m)
  unset(_dnnl_MAJOR)
  unset(_dnnl_MINOR)
  unset(_dnnl_PATCH)
endif()

include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(DNNLUnpacked
  REQUIRED_VARS DNNL_LIBRARY DNNL_INCLUDE_DIR
  VERSION_VAR DNNLUnpacked_VERSION)

if(DNNLUnpacked_FOUND AND NOT TARGET DNNL::dnnl)
  add_library(DNNL::dnnl SHARED IMPORTED)
  get_filename_component(_dnnl_soname "${DNNL_LIBRARY}" NAME)
  set_target_properties(DNNL::dnnl PROPERTIES
    IMPORTED_LOCATION "${DNNL_LIBRARY}"
    IMPORTED_SONAME "${_dnnl_soname}"
    INTERFACE_INCLUDE_DIRECTORIES "${DNNL_INCLUDE_DIR}")
  unset(_dnnl_soname)
endif()

mark_as_advanced(DNNL_INCLUDE_DIR DNNL_LIBRARY)
