#pragma once
// The one exception type of circuitscope: every failure a user can cause (a missing file, a bad
// name, shape, index or value) throws it, with a message that names the problem on one line.
// The library's own code throws it as cs::Error.
#include <stdexcept>

namespace circuitscope {

struct Error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

}  // namespace circuitscope
