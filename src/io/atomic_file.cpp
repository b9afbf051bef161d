#include "io/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "core/error.h"

namespace cs::io {

namespace fs = std::filesystem;

namespace {

std::string errno_text() { return std::strerror(errno); }

// A rename is only durable once the folder entry itself reaches the disk.
void fsync_parent(const std::string& path) {
  fs::path parent = fs::path(path).parent_path();
  if (parent.empty()) parent = ".";
  const int dfd = ::open(parent.c_str(), O_RDONLY | O_DIRECTORY);
  if (dfd < 0) return;  // best effort: some file systems refuse to open folders
  ::fsync(dfd);
  ::close(dfd);
}

}  // namespace

AtomicFile::AtomicFile(const std::string& path) : path_(path) {
  CS_CHECK(!path.empty(), "cannot write a file with an empty path");
  const fs::path parent = fs::path(path).parent_path();
  if (!parent.empty()) {
    std::error_code ec;
    fs::create_directories(parent, ec);
    CS_CHECK(!ec, "cannot create folder " << parent.string() << ": " << ec.message());
  }
  tmp_ = path + ".tmp." + std::to_string(::getpid());
  fd_ = ::open(tmp_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  CS_CHECK(fd_ >= 0, "cannot create " << tmp_ << ": " << errno_text());
}

AtomicFile::~AtomicFile() {
  if (committed_) return;
  if (fd_ >= 0) ::close(fd_);
  ::unlink(tmp_.c_str());
}

void AtomicFile::write(const void* data, size_t n) {
  CS_CHECK(!committed_ && fd_ >= 0, "write to " << path_ << " after commit");
  const char* p = static_cast<const char*>(data);
  while (n > 0) {
    const ssize_t k = ::write(fd_, p, n);
    if (k < 0 && errno == EINTR) continue;
    CS_CHECK(k > 0, "cannot write " << tmp_ << ": " << errno_text());
    p += k;
    n -= size_t(k);
    written_ += size_t(k);
  }
}

void AtomicFile::commit() {
  CS_CHECK(!committed_, "file " << path_ << " committed twice");
  CS_CHECK(::fsync(fd_) == 0, "cannot flush " << tmp_ << ": " << errno_text());
  const int rc = ::close(fd_);
  fd_ = -1;
  CS_CHECK(rc == 0, "cannot close " << tmp_ << ": " << errno_text());
  CS_CHECK(::rename(tmp_.c_str(), path_.c_str()) == 0,
           "cannot rename " << tmp_ << " to " << path_ << ": " << errno_text());
  committed_ = true;
  fsync_parent(path_);
}

void write_file_atomic(const std::string& path, std::string_view bytes) {
  AtomicFile f(path);
  f.write(bytes);
  f.commit();
}

std::string read_file(const std::string& path) {
  std::error_code ec;
  CS_CHECK(fs::exists(path, ec), "file not found: " << path);
  CS_CHECK(!fs::is_directory(path, ec), "expected a file but found a folder: " << path);
  std::ifstream in(path, std::ios::binary);
  CS_CHECK(in, "cannot open " << path << ": " << errno_text());
  std::string out((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CS_CHECK(!in.bad(), "cannot read " << path);
  return out;
}

}  // namespace cs::io
