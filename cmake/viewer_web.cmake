# The viewer's page, src/viewer/web/*, compiled into the library (viewer/assets.h): the binary
# serves it offline and reads no file but the runs it is given.
file(GLOB CS_VIEWER_WEB_FILES CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/src/viewer/web/*)
set(CS_VIEWER_WEB_SOURCE ${CMAKE_CURRENT_BINARY_DIR}/generated/viewer_web.cpp)
add_custom_command(
  OUTPUT ${CS_VIEWER_WEB_SOURCE}
  COMMAND ${CMAKE_COMMAND} -DDIR=${CMAKE_CURRENT_SOURCE_DIR}/src/viewer/web -DOUT=${CS_VIEWER_WEB_SOURCE}
          -P ${CMAKE_CURRENT_SOURCE_DIR}/cmake/embed_files.cmake
  DEPENDS ${CS_VIEWER_WEB_FILES} ${CMAKE_CURRENT_SOURCE_DIR}/cmake/embed_files.cmake
  COMMENT "Embedding the viewer's page"
  VERBATIM)
target_sources(circuitscope_lib PRIVATE ${CS_VIEWER_WEB_SOURCE})
