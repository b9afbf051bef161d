#pragma once
// One exception type for every user-facing failure: the CLI prints its message on one line and
// exits non-zero, so messages must name the problem (field, file, value) by themselves.
#include <circuitscope/error.h>

#include <sstream>
#include <string>

namespace cs {

// The installed API's exception type, so that users catch what the library throws.
using Error = ::circuitscope::Error;

[[noreturn]] inline void fail(const std::string& message) { throw Error(message); }

}  // namespace cs

// CS_CHECK(cond, "field d_model must be positive, got " << d_model)
#define CS_CHECK(cond, stream_expr)                 \
  do {                                              \
    if (!(cond)) {                                  \
      std::ostringstream cs_check_os_;              \
      cs_check_os_ << stream_expr;                  \
      throw ::cs::Error(cs_check_os_.str());        \
    }                                               \
  } while (0)
