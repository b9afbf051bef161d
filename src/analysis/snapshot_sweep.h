#pragma once
// Work over every snapshot of a run, one snapshot per thread: each snapshot's passes are small,
// so this keeps every GEMM inside single-threaded and no thread waits on another's fork/join.
#include <cstdint>
#include <functional>

#include "model/params.h"

namespace cs::analysis {

// fn(i, weights of snapshot i) for i in [0, n); snapshot 0 is `first` (already loaded by the
// caller to size its outputs), the others come from load(i) and must have first's shape. fn for
// different i runs concurrently and must write only its own outputs. The first error is thrown
// once every snapshot is done.
void for_each_snapshot(int64_t n, const std::function<Params<float>(int64_t)>& load,
                       const Params<float>& first,
                       const std::function<void(int64_t, const Params<float>&)>& fn);

}  // namespace cs::analysis
