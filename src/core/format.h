#pragma once
// printf-style formatting into a std::string, for sentences built from numbers; the time of day
// for records.
#include <cstdarg>
#include <cstdio>
#include <ctime>
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

// The current time in UTC, ISO 8601 ("2026-11-30T18:04:05Z"), to date what a command wrote.
inline std::string utc_now() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace cs
