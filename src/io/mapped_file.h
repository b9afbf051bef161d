#pragma once
// Read-only memory maps for token files and snapshots: the OS pages them in on demand and shares
// them between processes, so a 100 MB token file costs no copy at start-up.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace cs::io {

class MappedFile {
 public:
  // A missing or unreadable file is a cs::Error naming the path. An empty file maps to size 0.
  static MappedFile open(const std::string& path);

  const uint8_t* data() const { return static_cast<const uint8_t*>(map_.get()); }
  size_t size() const { return size_; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::shared_ptr<const void> map_;  // shared so copies of readers share one mapping
  size_t size_ = 0;
};

}  // namespace cs::io
