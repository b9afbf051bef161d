# `cmake --install BUILD [--prefix P]`: the library, its public headers, the binary and a CMake package,
# so that another project can find_package(circuitscope) and link circuitscope::circuitscope.
# Components: `circuitscope` (all of that) and `python` (the module, when it is built).
include(CMakePackageConfigHelpers)

set(CS_CMAKE_INSTALL_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/circuitscope)

install(TARGETS circuitscope_lib EXPORT circuitscopeTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT circuitscope)
install(TARGETS circuitscope RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT circuitscope)
# The public headers alone: they declare everything users call and include only the standard
# library; the headers of src/ stay inside the build.
install(FILES include/circuitscope/circuitscope.h include/circuitscope/error.h
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/circuitscope COMPONENT circuitscope)

install(EXPORT circuitscopeTargets NAMESPACE circuitscope:: DESTINATION ${CS_CMAKE_INSTALL_DIR}
        COMPONENT circuitscope)
configure_package_config_file(cmake/circuitscopeConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/circuitscopeConfig.cmake INSTALL_DESTINATION ${CS_CMAKE_INSTALL_DIR})
# 0.x releases promise nothing across minor versions.
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/circuitscopeConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/circuitscopeConfig.cmake
              ${CMAKE_CURRENT_BINARY_DIR}/circuitscopeConfigVersion.cmake
        DESTINATION ${CS_CMAKE_INSTALL_DIR} COMPONENT circuitscope)
