# Writes OUT, a C++ source holding every file of DIR as a byte array (viewer/assets.h declares
# them): cmake -DDIR=folder -DOUT=file.cpp -P embed_files.cmake. Only a changed result is
# rewritten, so an unchanged page recompiles nothing.
file(GLOB files RELATIVE ${DIR} ${DIR}/*)
list(SORT files)
set(arrays "")
set(rows "")
set(i 0)
foreach(f IN LISTS files)
  file(READ ${DIR}/${f} hex HEX)
  # 32 bytes a line; a final zero so that an empty file is still an array.
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
  string(REGEX REPLACE "((0x..,){32})" "\\1\n" bytes "${bytes}")
  string(APPEND arrays "const unsigned char f${i}[] = {\n${bytes}0x00};\n")
  string(APPEND rows "    {\"${f}\", f${i}, sizeof f${i} - 1},\n")
  math(EXPR i "${i} + 1")
endforeach()
file(WRITE ${OUT}.tmp
  "// Generated from ${DIR} by cmake/embed_files.cmake; edit the files there.\n"
  "#include \"viewer/assets.h\"\n\n"
  "namespace cs::viewer::web {\n\nnamespace {\n${arrays}}  // namespace\n\n"
  "extern const EmbeddedFile kFiles[] = {\n${rows}};\n"
  "extern const size_t kFileCount = ${i};\n\n}  // namespace cs::viewer::web\n")
execute_process(COMMAND ${CMAKE_COMMAND} -E copy_if_different ${OUT}.tmp ${OUT})
file(REMOVE ${OUT}.tmp)
