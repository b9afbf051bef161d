#pragma once
// Below this many elements a loop runs on one thread: an OpenMP fork/join costs microseconds,
// and far more when other processes share the cores (a test run beside another, say).
#include <cstdint>

namespace cs {
inline constexpr int64_t kParallelWork = int64_t(1) << 15;
}
