// A snapshot's model in the public API: tokens, forward passes with a cache or with hooks
// (model/forward.h, model/hooks.h), and the cache read by hook name (model/read_hook.h).
#include "api/impl.h"

#include <utility>

#include "core/error.h"
#include "model/forward.h"
#include "model/hook_points.h"
#include "model/read_hook.h"

namespace circuitscope {

namespace {

// Sequences of one length <= n_ctx, row-major.
std::vector<int32_t> flatten(const TokenBatch& batch, const ModelConfig& cfg) {
  CS_CHECK(!batch.empty() && !batch[0].empty(), "a forward pass needs at least one token");
  std::vector<int32_t> ids;
  for (const std::vector<int32_t>& seq : batch) {
    CS_CHECK(seq.size() == batch[0].size(), "the sequences of a batch differ in length: " << seq.size() << " and " << batch[0].size());
    ids.insert(ids.end(), seq.begin(), seq.end());
  }
  CS_CHECK(int64_t(batch[0].size()) <= cfg.n_ctx, "the text is " << batch[0].size()
                                                     << " tokens; the model reads at most n_ctx = " << cfg.n_ctx);
  return ids;
}

cs::Interventions<float> internal(const Interventions& iv) {
  cs::Interventions<float> out;
  for (const HeadAblation& a : iv.ablate_heads)
    out.ablate.push_back({a.layer, a.head, a.kind == HeadAblation::Kind::zero ? cs::HeadAblation::Kind::zero
                                                                              : cs::HeadAblation::Kind::mean});
  return out;
}

HookPoint public_point(const cs::HookPoint& p) { return HookPoint{p.name, p.layer, p.shape, p.replaceable}; }

// Runs the user's hooks on one point. A read-only point's hooks get a copy, so what they write
// cannot reach the results either.
void call_hooks(const std::vector<Hook>& hooks, const cs::HookPoint& p, const cs::HookView<float>& v) {
  const HookPoint point = public_point(p);
  TensorView view = to_view(v);
  Tensor copy;
  if (!p.replaceable) {
    copy = view.copy();
    view = TensorView{copy.data.data(), copy.shape, cs::dense_strides(copy.shape)};
  }
  for (const Hook& h : hooks)
    if (h.name == p.name) h.fn(view, point);
}

}  // namespace

const cs::data::Tokenizer& Model::Impl::tok() const {
  CS_CHECK(tokenizer, no_tokenizer);
  return *tokenizer;
}

Model::Model(const Run& run, const Snapshot& snapshot) {
  auto m = std::make_shared<Impl>(Impl{run.impl().dir, snapshot, {}, nullptr, {}});
  m->cfg = public_config(m->snap().params.cfg);
  try {
    m->tokenizer = m->run.tokenizer();
  } catch (const cs::Error& e) {
    m->no_tokenizer = e.what();
  }
  impl_ = std::move(m);
}

const ModelConfig& Model::config() const { return impl_->cfg; }
const Snapshot& Model::snapshot() const { return impl_->snapshot; }

std::vector<int32_t> Model::to_tokens(const std::string& text, bool prepend_bos) const {
  std::vector<int32_t> ids;
  if (prepend_bos) ids.push_back(impl_->tok().bos_id());
  for (int32_t id : impl_->tok().encode(text)) ids.push_back(id);
  return ids;
}

std::string Model::to_string(const std::vector<int32_t>& tokens) const { return impl_->tok().decode(tokens); }

std::vector<std::string> Model::to_str_tokens(const std::vector<int32_t>& tokens) const {
  std::vector<std::string> pieces;
  for (int32_t id : tokens) pieces.push_back(impl_->tok().piece(id));
  return pieces;
}

std::vector<HookPoint> Model::hook_points(int64_t seq, int64_t batch) const {
  std::vector<HookPoint> points;
  for (const cs::HookPoint& p : cs::hook_points(impl_->snap().params.cfg, batch, seq)) points.push_back(public_point(p));
  return points;
}

Cache Model::run_with_cache(const std::vector<int32_t>& tokens, const Interventions& iv) const {
  return run_with_cache(TokenBatch{tokens}, iv);
}

Cache Model::run_with_cache(const TokenBatch& tokens, const Interventions& iv) const {
  const std::vector<int32_t> ids = flatten(tokens, impl_->cfg);
  auto c = std::make_shared<Cache::Impl>(
      Cache::Impl{impl_, cs::Activations<float>(impl_->snap().params.cfg, int64_t(tokens.size()), int64_t(tokens[0].size()), true)});
  c->acts.set_tokens(ids.data());
  const cs::Interventions<float> in = internal(iv);
  cs::forward(impl_->snap().params, c->acts, &in);
  return Cache(std::move(c));
}

Tensor Model::run_with_hooks(const std::vector<int32_t>& tokens, const std::vector<Hook>& hooks,
                             const Interventions& iv) const {
  return run_with_hooks(TokenBatch{tokens}, hooks, iv);
}

Tensor Model::run_with_hooks(const TokenBatch& tokens, const std::vector<Hook>& hooks, const Interventions& iv) const {
  const std::vector<int32_t> ids = flatten(tokens, impl_->cfg);
  const int64_t B = int64_t(tokens.size()), T = int64_t(tokens[0].size());
  const cs::Config& cfg = impl_->snap().params.cfg;
  const std::vector<cs::HookPoint> points = cs::hook_points(cfg, B, T);
  for (const Hook& h : hooks)
    CS_CHECK(cs::find_hook_point(points, h.name), "no hook point named '" << h.name << "' in this model");
  cs::ForwardHooks<float> fh;
  fh.wants = [&](const cs::HookPoint& p) {
    for (const Hook& h : hooks)
      if (h.name == p.name) return true;
    return false;
  };
  fh.call = [&](const cs::HookPoint& p, const cs::HookView<float>& v) { call_hooks(hooks, p, v); };
  cs::Interventions<float> in = internal(iv);
  in.hooks = &fh;
  cs::Activations<float> acts(cfg, B, T, true);
  acts.set_tokens(ids.data());
  cs::forward(impl_->snap().params, acts, &in);
  return Tensor{{B, T, int64_t(cfg.d_vocab)}, std::move(acts.logits)};
}

int64_t Cache::batch() const { return impl_->acts.B; }
int64_t Cache::seq() const { return impl_->acts.Tn; }

std::vector<std::string> Cache::names() const {
  std::vector<std::string> names;
  for (const cs::HookPoint& p : cs::hook_points(impl_->acts.cfg, impl_->acts.B, impl_->acts.Tn)) names.push_back(p.name);
  return names;
}

Tensor Cache::get(const std::string& hook_name) const {
  return to_tensor(cs::read_hook(impl_->model->snap().params, impl_->acts, hook_name));
}

Tensor Cache::logits() const {
  const cs::Activations<float>& a = impl_->acts;
  return Tensor{{a.B, a.Tn, int64_t(a.cfg.d_vocab)}, a.logits};
}

}  // namespace circuitscope
