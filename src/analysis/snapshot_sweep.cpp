#include "analysis/snapshot_sweep.h"

#include <exception>
#include <string>

#include "core/error.h"
#include "core/parallel.h"

namespace cs::analysis {

void for_each_snapshot(int64_t n, const std::function<Params<float>(int64_t)>& load,
                       const Params<float>& first,
                       const std::function<void(int64_t, const Params<float>&)>& fn) {
  const Config& c = first.cfg;
  FirstError error;
#pragma omp parallel for schedule(dynamic, 1)
  for (int64_t i = 0; i < n; ++i) {
    try {
      const Params<float> p = i == 0 ? first : load(i);
      CS_CHECK(p.cfg.n_layers == c.n_layers && p.cfg.n_heads == c.n_heads &&
                   p.cfg.d_vocab == c.d_vocab && p.cfg.n_ctx == c.n_ctx,
               "snapshot " << i << " has another shape than snapshot 0");
      fn(i, p);
    } catch (...) {
      error.capture();
    }
  }
  error.rethrow();
}

}  // namespace cs::analysis
