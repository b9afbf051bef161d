#pragma once
// Every file a run leaves behind is written under a temporary name and renamed into place, so a
// crash or kill -9 leaves either the old file or the new one, never half of one: a run stopped at
// any moment must still resume and be analysed.
#include <cstddef>
#include <string>
#include <string_view>

namespace cs::io {

// Writes PATH.tmp.<pid>, fsyncs it, renames it over PATH. Creates missing parent folders.
void write_file_atomic(const std::string& path, std::string_view bytes);

// Whole file as bytes; a missing or unreadable file is a cs::Error naming the path.
std::string read_file(const std::string& path);

// Streaming variant for files too large to build in memory first. Nothing appears at PATH until
// commit(); destroying an uncommitted AtomicFile removes the temporary file.
class AtomicFile {
 public:
  explicit AtomicFile(const std::string& path);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  void write(const void* data, size_t n);
  void write(std::string_view bytes) { write(bytes.data(), bytes.size()); }
  void commit();

  const std::string& path() const { return path_; }
  size_t bytes_written() const { return written_; }

 private:
  std::string path_;
  std::string tmp_;
  int fd_ = -1;
  size_t written_ = 0;
  bool committed_ = false;
};

}  // namespace cs::io
