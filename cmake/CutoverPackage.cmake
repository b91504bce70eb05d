# CPack: a Debian package of what `cmake --install` installs (the binary and
# the driver plugins). From the build directory:
#   cpack -G DEB        -> cutover_<version>_<arch>.deb
# The package installs under /usr (CPACK_PACKAGING_INSTALL_PREFIX): the binary
# as /usr/bin/cutover, the plugins in /usr/<libdir>/cutover/drivers, found by
# the binary relative to its own directory (src/driver/loader.h).
set(CUTOVER_PACKAGE_MAINTAINER "cutover maintainers <maintainers@users.noreply.h-seed-452faa05.example>"
    CACHE STRING "Maintainer field of the Debian package (Name <email>)")

set(CPACK_GENERATOR "DEB")
set(CPACK_PACKAGE_NAME "cutover")
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_PACKAGE_CONTACT "${CUTOVER_PACKAGE_MAINTAINER}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
set(CPACK_PACKAGE_DESCRIPTION
    "cutover makes database changes safe to ship on PostgreSQL, MariaDB/MySQL and SQLite:
verified snapshots and rehearsed restores, schema drift detection, migration lint
and phased (expand/backfill/contract) migrations. Includes the driver plugins for
all three engines.")
set(CPACK_PACKAGING_INSTALL_PREFIX "/usr")  # tests/install/install_test.sh expects it
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${CUTOVER_PACKAGE_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_SECTION "database")
set(CPACK_DEBIAN_PACKAGE_PRIORITY "optional")
if(EXISTS "${PROJECT_SOURCE_DIR}/LICENSE")
  set(CPACK_RESOURCE_FILE_LICENSE "${PROJECT_SOURCE_DIR}/LICENSE")
endif()

# Depends: computed from the binary's and the plugins' shared libraries by
# dpkg-shlibdeps (package dpkg-dev) when it is there; otherwise the Debian 12
# packages of the libraries they link.
find_program(CUTOVER_DPKG_SHLIBDEPS dpkg-shlibdeps)
if(CUTOVER_DPKG_SHLIBDEPS)
  set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
else()
  message(STATUS "dpkg-shlibdeps not found (dpkg-dev): the .deb gets a fixed Debian 12 Depends list")
  set(CPACK_DEBIAN_PACKAGE_DEPENDS
      "libc6, libstdc++6, libgcc-s1, libfmt9, libspdlog1.10-fmt9, libtomlplusplus3, libssl3, libzstd1, libxxhash0, libpqxx-6.4, libpq5, libmysqlcppconn7v5, libmariadb3, libsqlite3-0")
endif()

include(CPack)
