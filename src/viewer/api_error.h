#pragma once
// A request the viewer cannot answer, with the HTTP status that says why (400 bad input, 404 no
// such run or snapshot, 413 too large, ...). The message is shown to the user as it is.
#include <stdexcept>
#include <string>

namespace cs::viewer {

struct ApiError : std::runtime_error {
  int status;
  ApiError(int status_code, const std::string& message)
      : std::runtime_error(message), status(status_code) {}
};

}  // namespace cs::viewer
