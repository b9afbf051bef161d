#pragma once
// printf-style formatting into a std::string, for sentences built from numbers.
#include <cstdarg>
#include <cstdio>
#include <string>

namespace cs {

std::string format(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
inline std::string format(const char* fmt, ...) {
  char buf[1024];  // one sentence; longer output is cut, never overrun
  va_list args;
  va_start(args, fmt);
  std::vsnprintf(buf, sizeof buf, fmt, args);
  va_end(args);
  return buf;
}

}  // namespace cs
