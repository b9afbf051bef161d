// Which token each attention head looks at from the end of a text, and what the model predicts
// next: a run folder's last snapshot, one forward pass with the activation cache. Written against
// the installed API alone (<circuitscope/circuitscope.h>).
//
//   top_attention RUN_DIR ["text"]
#include <circuitscope/circuitscope.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

namespace csp = circuitscope;

int main(int argc, char** argv) {
  if (argc < 2 || argc > 3) {
    std::fprintf(stderr, "usage: %s RUN_DIR [TEXT]\n", argv[0]);
    return 2;
  }
  const std::string text = argc == 3 ? argv[2] : "the cat sat on the mat. the cat sat on the";
  try {
    const csp::Run run(argv[1]);
    const csp::ModelConfig cfg = run.config();
    const csp::Model model = run.model("last");

    // Training documents begin with BOS, so a prompt does too.
    const std::vector<int32_t> ids = model.to_tokens(text);
    const std::vector<std::string> pieces = model.to_str_tokens(ids);
    const int64_t T = int64_t(ids.size());
    if (T > cfg.n_ctx) {
      std::fprintf(stderr, "top_attention: the text is %lld tokens with BOS; the model reads at most n_ctx = %d\n",
                   static_cast<long long>(T), cfg.n_ctx);
      return 1;
    }
    const csp::Cache cache = model.run_with_cache(ids);

    std::printf("%s, step %lld: %d layers x %d heads, %lld tokens; from the last, '%s'\n", run.name().c_str(),
                static_cast<long long>(model.snapshot().step()), cfg.n_layers, cfg.n_heads,
                static_cast<long long>(T), pieces.back().c_str());
    for (int l = 0; l < cfg.n_layers; ++l) {
      // [1, H, T, T]: the last query row of each head.
      const csp::Tensor pattern = cache.get("blocks." + std::to_string(l) + ".attn.hook_pattern");
      for (int h = 0; h < cfg.n_heads; ++h) {
        const float* row = pattern.data.data() + (int64_t(h) * T + (T - 1)) * T;
        const int64_t j = std::max_element(row, row + T) - row;
        std::printf("L%dH%d attends to position %lld '%s' (%.3f)\n", l, h, static_cast<long long>(j),
                    pieces[size_t(j)].c_str(), row[j]);
      }
    }

    const csp::Tensor logits = cache.logits();  // [1, T, d_vocab]
    const float* last = logits.data.data() + (T - 1) * cfg.d_vocab;
    const int64_t best = std::max_element(last, last + cfg.d_vocab) - last;
    double z = 0;
    for (int64_t v = 0; v < cfg.d_vocab; ++v) z += std::exp(double(last[v] - last[best]));
    std::printf("next token '%s' (p = %.3f)\n", model.to_str_tokens({int32_t(best)})[0].c_str(), 1.0 / z);
  } catch (const csp::Error& e) {  // every failure the library reports, on one line
    std::fprintf(stderr, "top_attention: %s\n", e.what());
    return 1;
  }
  return 0;
}
