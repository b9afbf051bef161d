// Which token each attention head looks at from the end of a text, and what the model predicts
// next: a run folder's last snapshot, one forward pass with the activation cache.
//
//   top_attention RUN_DIR ["text"]
#include <circuitscope/circuitscope.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  if (argc < 2 || argc > 3) {
    std::fprintf(stderr, "usage: %s RUN_DIR [TEXT]\n", argv[0]);
    return 2;
  }
  const std::string text = argc == 3 ? argv[2] : "the cat sat on the mat. the cat sat on the";
  try {
    const cs::run::RunDir run(argv[1]);
    const cs::Config& cfg = run.config().model;
    const cs::run::Snapshot snap = run.snapshot("last");
    const auto tok = run.tokenizer();

    // Training documents begin with BOS, so a prompt does too.
    std::vector<int32_t> ids = {tok->bos_id()};
    for (int32_t id : tok->encode(text)) ids.push_back(id);
    const int64_t T = int64_t(ids.size());
    CS_CHECK(T <= cfg.n_ctx, "the text is " << T << " tokens with BOS; the model reads at most n_ctx = "
                                            << cfg.n_ctx);

    cs::Activations<float> acts(cfg, 1, T, /*keep_logits=*/true);
    acts.set_tokens(ids.data());
    cs::forward(snap.params, acts);

    std::printf("%s, step %lld: %d layers x %d heads, %lld tokens; from the last, '%s'\n",
                run.name().c_str(), static_cast<long long>(snap.info.step), cfg.n_layers, cfg.n_heads,
                static_cast<long long>(T), tok->piece(ids.back()).c_str());
    for (int l = 0; l < cfg.n_layers; ++l) {
      // [1, H, T, T]: the last query row of each head.
      const cs::HookTensor<float> pattern = acts.hook("blocks." + std::to_string(l) + ".attn.hook_pattern");
      for (int h = 0; h < cfg.n_heads; ++h) {
        const float* row = pattern.data.data() + (int64_t(h) * T + (T - 1)) * T;
        const int64_t j = std::max_element(row, row + T) - row;
        std::printf("L%dH%d attends to position %lld '%s' (%.3f)\n", l, h, static_cast<long long>(j),
                    tok->piece(ids[size_t(j)]).c_str(), row[j]);
      }
    }

    const float* logits = acts.logits.data() + (T - 1) * cfg.d_vocab;
    const int64_t best = std::max_element(logits, logits + cfg.d_vocab) - logits;
    double z = 0;
    for (int64_t v = 0; v < cfg.d_vocab; ++v) z += std::exp(double(logits[v] - logits[best]));
    std::printf("next token '%s' (p = %.3f)\n", tok->piece(int32_t(best)).c_str(), 1.0 / z);
  } catch (const cs::Error& e) {
    std::fprintf(stderr, "top_attention: %s\n", e.what());
    return 1;
  }
  return 0;
}
