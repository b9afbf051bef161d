#pragma once
// The model whose snapshots the fuzzers read and the seeds hold: small, so a valid snapshot is a
// seed of about a kilobyte.
#include "model/config.h"

namespace cs::fuzz {

inline Config tiny_model() {
  Config c;
  c.n_layers = 1;
  c.n_heads = 1;
  c.d_model = 2;
  c.d_head = 2;
  c.n_ctx = 4;
  c.d_vocab = 3;
  return c;
}

}  // namespace cs::fuzz
