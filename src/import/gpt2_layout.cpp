// GPT2LMHeadModel: Conv1D weights stored [in, out], the unembedding tied to wte.
#include <string>

#include "core/error.h"
#include "import/hf_fields.h"
#include "import/layout.h"
#include "import/tensor_moves.h"

namespace cs::hf {

namespace {

Config gpt2_config(const nlohmann::json& j) {
  Config c;
  c.d_model = positive_int(j, "n_embd");
  c.n_heads = positive_int(j, "n_head");
  c.n_layers = positive_int(j, "n_layer");
  c.n_ctx = positive_int(j, "n_positions");
  c.d_vocab = positive_int(j, "vocab_size");
  CS_CHECK(c.d_model % c.n_heads == 0,
           "config.json: n_embd " << c.d_model << " is not a multiple of n_head " << c.n_heads);
  c.d_head = c.d_model / c.n_heads;
  c.d_mlp = positive_int_or(j, "n_inner", 4 * c.d_model);
  c.act_fn = activation(string_or(j, "activation_function", "gelu_new"), "activation_function");
  c.ln_eps = positive_number_or(j, "layer_norm_epsilon", 1e-5);
  c.positional_embedding_type = Positions::standard;
  c.normalization_type = Normalization::LN;
  c.biases = true;
  // Attention variants GPT-2 exports can switch on, which circuitscope's attention does not compute.
  require_value(j, "scale_attn_weights", true);
  require_value(j, "scale_attn_by_inverse_layer_idx", false);
  require_value(j, "add_cross_attention", false);
  c.validate();
  return c;
}

void gpt2_block(Params<float>& p, HfWeights& w, const std::string& pre, int l) {
  const Config& c = p.cfg;
  const int64_t D = c.d_model, M = c.d_mlp;
  const std::string hf = pre + "h." + std::to_string(l) + ".", tl = "blocks." + std::to_string(l) + ".";
  put_layer_norm(p, tl + "ln1", w, hf + "ln_1");
  put_layer_norm(p, tl + "ln2", w, hf + "ln_2");
  const auto W = split_qkv(w.take(hf + "attn.c_attn.weight", {D, 3 * D}), D, c.n_heads, c.d_head,
                           QkvColumns::part_head_dim);
  const auto b = split_qkv(w.take(hf + "attn.c_attn.bias", {3 * D}), 1, c.n_heads, c.d_head,
                           QkvColumns::part_head_dim);
  for (int part = 0; part < 3; ++part) {
    const std::string qkv(1, "QKV"[part]);
    put(p, tl + "attn.W_" + qkv, W[part]);
    put(p, tl + "attn.b_" + qkv, b[part]);
  }
  // c_proj's input rows are ordered (head, d_head): already W_O's [n_heads, d_head, d_model].
  put(p, tl + "attn.W_O", w.take(hf + "attn.c_proj.weight", {D, D}));
  put(p, tl + "attn.b_O", w.take(hf + "attn.c_proj.bias", {D}));
  put(p, tl + "mlp.W_in", w.take(hf + "mlp.c_fc.weight", {D, M}));
  put(p, tl + "mlp.b_in", w.take(hf + "mlp.c_fc.bias", {M}));
  put(p, tl + "mlp.W_out", w.take(hf + "mlp.c_proj.weight", {M, D}));
  put(p, tl + "mlp.b_out", w.take(hf + "mlp.c_proj.bias", {D}));
}

Params<float> gpt2_weights(HfWeights& w, const Config& c) {
  // GPT2LMHeadModel's own state dict says transformer.wte.weight; GPT2Model's (the published
  // gpt2 files) says wte.weight.
  const std::string pre = w.has("transformer.wte.weight") ? "transformer." : "";
  const int64_t D = c.d_model, V = c.d_vocab;
  Params<float> p(c);
  const std::vector<float> wte = w.take(pre + "wte.weight", {V, D});
  put(p, "embed.W_E", wte);
  put(p, "unembed.W_U", transpose(wte, V, D));  // tied; b_U stays zero
  put(p, "pos_embed.W_pos", w.take(pre + "wpe.weight", {c.n_ctx, D}));
  for (int l = 0; l < c.n_layers; ++l) gpt2_block(p, w, pre, l);
  put_layer_norm(p, "ln_final", w, pre + "ln_f");
  return p;
}

bool gpt2_ignorable(const std::string& t) {
  return t.ends_with(".attn.bias") || t.ends_with(".attn.masked_bias") || t == "lm_head.weight";
}

}  // namespace

const Layout& gpt2_layout() {
  static const Layout layout{"GPT2LMHeadModel", gpt2_config, gpt2_weights, gpt2_ignorable};
  return layout;
}

}  // namespace cs::hf
