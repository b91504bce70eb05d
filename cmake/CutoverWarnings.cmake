# cutover_set_warnings(target): the project's warning set, as errors when
# CUTOVER_WARNINGS_AS_ERRORS is on (CI).
function(cutover_set_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor
    -Wold-style-cast -Wcast-align -Woverloaded-virtual -Wformat=2
    -Wimplicit-fallthrough)
  if(CUTOVER_WARNINGS_AS_ERRORS)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()

# cutover_add_driver(name SOURCES sources... LIBS libs...): one plugin module,
# cutover_driver_<name>.so in the drivers output directory, exporting only its
# entry symbol, installed to CUTOVER_INSTALL_DRIVER_DESTINATION (relative to
# the install prefix, so --prefix, DESTDIR and CPack move it; see CMakeLists.txt).
function(cutover_add_driver name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBS" ${ARGN})
  set(target cutover_driver_${name})
  add_library(${target} MODULE ${ARG_SOURCES})
  set_target_properties(${target} PROPERTIES
    PREFIX ""
    LIBRARY_OUTPUT_DIRECTORY "${CUTOVER_DRIVER_OUTPUT_DIR}"
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
  target_link_libraries(${target} PRIVATE cutover_driver_api ${ARG_LIBS})
  # Every symbol resolved at link time, so a missing library is a build
  # error, not a dlopen failure; except in the sanitizer build, where the
  # sanitizer runtime is linked into the executable that loads the plugin.
  if(NOT CUTOVER_FUZZ)
    target_link_options(${target} PRIVATE -Wl,--no-undefined)
  endif()
  target_compile_definitions(${target} PRIVATE CUTOVER_VERSION="${PROJECT_VERSION}")
  cutover_set_warnings(${target})
  install(TARGETS ${target} LIBRARY DESTINATION ${CUTOVER_INSTALL_DRIVER_DESTINATION})
endfunction()
