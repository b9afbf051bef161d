#include "io/mapped_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/error.h"

namespace cs::io {

MappedFile MappedFile::open(const std::string& path) {
  MappedFile m;
  m.path_ = path;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  CS_CHECK(fd >= 0, (errno == ENOENT ? "file not found: " : "cannot open ")
                        << path << (errno == ENOENT ? "" : std::string(": ") + std::strerror(errno)));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    cs::fail(path + ": not a regular file");
  }
  m.size_ = size_t(st.st_size);
  if (m.size_ == 0) {
    ::close(fd);
    static const uint8_t empty = 0;
    m.map_ = std::shared_ptr<const void>(&empty, [](const void*) {});
    return m;
  }
  void* p = ::mmap(nullptr, m.size_, PROT_READ, MAP_PRIVATE, fd, 0);
  const int err = errno;
  ::close(fd);
  CS_CHECK(p != MAP_FAILED, "cannot map " << path << ": " << std::strerror(err));
  const size_t size = m.size_;
  m.map_ = std::shared_ptr<const void>(p, [size](const void* q) { ::munmap(const_cast<void*>(q), size); });
  return m;
}

}  // namespace cs::io
