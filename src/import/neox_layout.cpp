// GPTNeoXForCausalLM (Pythia): torch Linear weights stored [out, in], a fused query_key_value with
// rows ordered (head, q/k/v, d_head), partial rotary, an untied unembedding beside gpt_neox.
#include <cmath>
#include <string>

#include "core/error.h"
#include "import/hf_fields.h"
#include "import/layout.h"
#include "import/tensor_moves.h"

namespace cs::hf {

namespace {

Config neox_config(const nlohmann::json& j) {
  Config c;
  c.d_model = positive_int(j, "hidden_size");
  c.n_heads = positive_int(j, "num_attention_heads");
  c.n_layers = positive_int(j, "num_hidden_layers");
  c.n_ctx = positive_int(j, "max_position_embeddings");
  c.d_vocab = positive_int(j, "vocab_size");
  c.d_mlp = positive_int(j, "intermediate_size");
  CS_CHECK(c.d_model % c.n_heads == 0, "config.json: hidden_size " << c.d_model
                                           << " is not a multiple of num_attention_heads " << c.n_heads);
  c.d_head = c.d_model / c.n_heads;
  c.act_fn = activation(string_or(j, "hidden_act", "gelu"), "hidden_act");
  c.ln_eps = positive_number_or(j, "layer_norm_eps", 1e-5);
  c.parallel_attn_mlp = flag_or(j, "use_parallel_residual", true);
  c.positional_embedding_type = Positions::rotary;
  const double pct = positive_number_or(j, "rotary_pct", 0.25);
  CS_CHECK(pct <= 1, "config.json field 'rotary_pct' must be at most 1, got " << pct);
  // Hugging Face truncates: rotary_ndims = int(head_size * rotary_pct).
  c.rotary_dim = int(std::floor(c.d_head * pct));
  CS_CHECK(c.rotary_dim >= 2 && c.rotary_dim % 2 == 0,
           "config.json: rotary_pct " << pct << " of d_head " << c.d_head << " gives " << c.rotary_dim
                                      << " rotary dimensions; circuitscope needs an even number, at least 2");
  if (c.rotary_dim == c.d_head) c.rotary_dim = 0;  // Config's spelling of "the whole head"
  c.rotary_base = positive_number_or(j, "rotary_emb_base", 10000.0);
  c.normalization_type = Normalization::LN;
  c.biases = true;
  require_value(j, "tie_word_embeddings", false);
  require_value(j, "attention_bias", true);
  require_value(j, "rope_scaling", nullptr);
  c.validate();
  return c;
}

void neox_block(Params<float>& p, HfWeights& w, int l) {
  const Config& c = p.cfg;
  const int64_t D = c.d_model, M = c.d_mlp;
  const std::string hf = "gpt_neox.layers." + std::to_string(l) + ".", tl = "blocks." + std::to_string(l) + ".";
  put_layer_norm(p, tl + "ln1", w, hf + "input_layernorm");
  put_layer_norm(p, tl + "ln2", w, hf + "post_attention_layernorm");
  const auto W = split_qkv(transpose(w.take(hf + "attention.query_key_value.weight", {3 * D, D}), 3 * D, D), D,
                           c.n_heads, c.d_head, QkvColumns::head_part_dim);
  const auto b = split_qkv(w.take(hf + "attention.query_key_value.bias", {3 * D}), 1, c.n_heads, c.d_head,
                           QkvColumns::head_part_dim);
  for (int part = 0; part < 3; ++part) {
    const std::string qkv(1, "QKV"[part]);
    put(p, tl + "attn.W_" + qkv, W[part]);
    put(p, tl + "attn.b_" + qkv, b[part]);
  }
  // dense's input columns are ordered (head, d_head), so its transpose is W_O's [n_heads, d_head, d_model].
  put(p, tl + "attn.W_O", transpose(w.take(hf + "attention.dense.weight", {D, D}), D, D));
  put(p, tl + "attn.b_O", w.take(hf + "attention.dense.bias", {D}));
  put(p, tl + "mlp.W_in", transpose(w.take(hf + "mlp.dense_h_to_4h.weight", {M, D}), M, D));
  put(p, tl + "mlp.b_in", w.take(hf + "mlp.dense_h_to_4h.bias", {M}));
  put(p, tl + "mlp.W_out", transpose(w.take(hf + "mlp.dense_4h_to_h.weight", {D, M}), D, M));
  put(p, tl + "mlp.b_out", w.take(hf + "mlp.dense_4h_to_h.bias", {D}));
}

Params<float> neox_weights(HfWeights& w, const Config& c) {
  const int64_t D = c.d_model, V = c.d_vocab;
  Params<float> p(c);
  put(p, "embed.W_E", w.take("gpt_neox.embed_in.weight", {V, D}));
  for (int l = 0; l < c.n_layers; ++l) neox_block(p, w, l);
  put_layer_norm(p, "ln_final", w, "gpt_neox.final_layer_norm");
  put(p, "unembed.W_U", transpose(w.take("embed_out.weight", {V, D}), V, D));  // b_U stays zero
  return p;
}

bool neox_ignorable(const std::string& t) {
  return t.ends_with(".rotary_emb.inv_freq") || t.ends_with(".attention.bias") || t.ends_with(".attention.masked_bias");
}

}  // namespace

const Layout& neox_layout() {
  static const Layout layout{"GPTNeoXForCausalLM", neox_config, neox_weights, neox_ignorable};
  return layout;
}

}  // namespace cs::hf
