#include "viewer/api.h"

#include <charconv>
#include <chrono>
#include <cmath>
#include <optional>

#include "analysis/icl.h"
#include "analysis/probes.h"
#include "core/error.h"
#include "core/gemm.h"
#include "pipeline/run_curves.h"
#include "viewer/api_error.h"
#include "model/hook_points.h"
#include "viewer/head_kinds_view.h"

namespace cs::viewer {

namespace {

using ojson = nlohmann::ordered_json;

ojson number(double x) { return std::isfinite(x) ? ojson(x) : ojson(nullptr); }

ojson model_json(const Config& c) {
  return {{"n_layers", c.n_layers},
          {"n_heads", c.n_heads},
          {"d_model", c.d_model},
          {"d_head", c.d_head},
          {"n_ctx", c.n_ctx},
          {"d_vocab", c.d_vocab},
          {"positional_embedding_type", to_string(c.positional_embedding_type)},
          {"normalization_type", to_string(c.normalization_type)}};
}

// nlohmann's messages start with "[json.exception.parse_error.101] "; the rest is the useful part.
std::string without_prefix(const std::string& what) {
  const size_t k = what.find("] ");
  return what.rfind("[json.exception.", 0) == 0 && k != std::string::npos ? what.substr(k + 2) : what;
}

int64_t query_int(const Query& q, const std::string& key, std::optional<int64_t> fallback = std::nullopt) {
  auto it = q.find(key);
  if (it == q.end() || it->second.empty()) {
    if (fallback) return *fallback;
    throw ApiError(400, "missing query parameter '" + key + "'");
  }
  int64_t v = 0;
  const char* b = it->second.data();
  const char* e = b + it->second.size();
  auto [ptr, ec] = std::from_chars(b, e, v);
  if (ec != std::errc() || ptr != e)
    throw ApiError(400, "query parameter '" + key + "' must be an integer, got \"" + it->second + "\"");
  return v;
}

std::string query_str(const Query& q, const std::string& key, const std::string& fallback) {
  auto it = q.find(key);
  return it == q.end() || it->second.empty() ? fallback : it->second;
}

// A JSON field that names a run or a snapshot: a number or a string.
std::string id_field(const nlohmann::json& body, const char* key, const std::string& fallback) {
  if (!body.contains(key) || body[key].is_null()) return fallback;
  const nlohmann::json& v = body[key];
  if (v.is_number_unsigned() || (v.is_number_integer() && v.get<int64_t>() >= 0)) return std::to_string(v.get<int64_t>());
  if (v.is_string()) return v.get<std::string>();
  throw ApiError(400, std::string("field '") + key + "' must be a non-negative integer or a string, got " + v.dump());
}

void append_float(std::string& out, float x) {
  char buf[32];
  auto [ptr, ec] = std::to_chars(buf, buf + sizeof buf, x);
  out.append(buf, ptr);
}

// Every head's pattern as nested lists [L][H][T][T] (zeros above the diagonal), written directly:
// building a JSON tree of T^2 numbers per head would cost more than the forward pass.
std::string patterns_nested(const ForwardView& f) {
  const int L = f.cfg().n_layers, H = f.cfg().n_heads;
  const int64_t T = f.size();
  std::string out;
  out.reserve(size_t(L * H) * size_t(T * T) * 3 + 16);
  out += '[';
  for (int l = 0; l < L; ++l) {
    out += l ? ",[" : "[";
    for (int h = 0; h < H; ++h) {
      out += h ? ",[" : "[";
      const float* A = f.pattern(l, h);
      for (int64_t i = 0; i < T; ++i) {
        out += i ? ",[" : "[";
        for (int64_t j = 0; j < T; ++j) {
          if (j) out += ',';
          append_float(out, A[i * T + j]);
        }
        out += ']';
      }
      out += ']';
    }
    out += ']';
  }
  out += ']';
  return out;
}

// Lower triangles, row by row, as bytes round(255 p): the page's format, a quarter of the floats'
// size and plenty for colour. Appended in place: the text is ten megabytes at 1,000 tokens and
// 16 heads, and every copy of it costs milliseconds.
void append_patterns_u8(std::string& out, const ForwardView& f) {
  const int L = f.cfg().n_layers, H = f.cfg().n_heads;
  const int64_t T = f.size();
  std::vector<unsigned char> bytes(size_t(L * H) * size_t(T * (T + 1) / 2));
  unsigned char* b = bytes.data();
  for (int l = 0; l < L; ++l)
    for (int h = 0; h < H; ++h) {
      const float* A = f.pattern(l, h);
      for (int64_t i = 0; i < T; ++i)
        for (int64_t j = 0; j <= i; ++j)
          *b++ = static_cast<unsigned char>(std::clamp(A[i * T + j], 0.f, 1.f) * 255.f + 0.5f);
    }
  out += "{\"format\":\"u8-lower\",\"scale\":255,\"layout\":\"[layer][head][row i][column j <= i], base64\",\"data\":\"";
  append_base64(out, bytes.data(), bytes.size());
  out += "\"}";
}

ojson token_json(const data::Tokenizer& tok, int32_t id) {
  return {{"id", id}, {"piece", tok.piece(id)}};
}

ojson grid(const std::vector<double>& v, int L, int H) {
  ojson out = ojson::array();
  for (int l = 0; l < L; ++l) {
    ojson row = ojson::array();
    for (int h = 0; h < H; ++h) row.push_back(number(v[size_t(l * H + h)]));
    out.push_back(row);
  }
  return out;
}

ojson attribution_json(const Attribution& a, const data::Tokenizer& tok, const Config& c, int n_virtual) {
  ojson j;
  j["position"] = a.position;
  j["token"] = token_json(tok, a.token);
  j["target"] = a.target;
  j["logit"] = number(a.logit);
  j["probability"] = number(a.probability);
  j["direct"] = number(a.direct);
  j["bias"] = number(a.bias);
  j["heads"] = grid(a.heads, c.n_layers, c.n_heads);
  if (!a.mlps.empty()) {
    ojson m = ojson::array();
    for (double x : a.mlps) m.push_back(number(x));
    j["mlps"] = m;
  }
  j["sum"] = number(a.sum());
  j["embedding_terms"] = a.embedding_terms.empty() ? ojson(nullptr) : grid(a.embedding_terms, c.n_layers, c.n_heads);
  ojson v = ojson::array();
  for (size_t i = 0; i < a.virtual_heads.size() && int(i) < n_virtual; ++i) {
    const Attribution::Virtual& x = a.virtual_heads[i];
    v.push_back({{"from", std::to_string(x.layer1) + "." + std::to_string(x.head1)},
                 {"to", std::to_string(x.layer2) + "." + std::to_string(x.head2)},
                 {"layer1", x.layer1},
                 {"head1", x.head1},
                 {"layer2", x.layer2},
                 {"head2", x.head2},
                 {"value", number(x.value)}});
  }
  j["virtual_heads"] = v;
  j["n_virtual_heads"] = a.virtual_heads.size();
  j["note"] = a.note;
  return j;
}

// The body of POST /api/forward, as far as it can be checked without the run.
nlohmann::json parse_forward_body(const std::string& text) {
  nlohmann::json body;
  try {
    body = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {  // out_of_range too: a number beyond double's range
    throw ApiError(400, "malformed JSON: " + without_prefix(e.what()));
  }
  if (!body.is_object())
    throw ApiError(400, "the body must be a JSON object {\"run\": ..., \"snapshot\": ..., \"text\": ...}");
  if (!body.contains("text") || !body["text"].is_string())
    throw ApiError(400, "field 'text' (a string) is required");
  return body;
}

std::string patterns_field(const nlohmann::json& body) {
  const std::string format = body.value("patterns", std::string("float"));
  if (format != "float" && format != "u8" && format != "none")
    throw ApiError(400, "field 'patterns' must be \"float\", \"u8\" or \"none\", got \"" + format + "\"");
  return format;
}

int top_k_field(const nlohmann::json& body) {
  const nlohmann::json top_k = body.value("top_k", nlohmann::json(5));
  if (!top_k.is_number_integer() || top_k.get<int64_t>() < 0 || top_k.get<int64_t>() > ForwardView::kMaxPredictions)
    throw ApiError(400, "field 'top_k' must be an integer in [0, " + std::to_string(ForwardView::kMaxPredictions) + "]");
  return int(top_k.get<int64_t>());
}

std::vector<int64_t> positions_field(const nlohmann::json& body, int max_positions) {
  std::vector<int64_t> positions;
  if (!body.contains("positions")) return positions;
  const nlohmann::json& p = body["positions"];
  if (!p.is_array()) throw ApiError(400, "field 'positions' must be a list of token positions");
  if (int64_t(p.size()) > max_positions)
    throw ApiError(400, "at most " + std::to_string(max_positions) + " positions per request");
  for (const auto& x : p) {
    if (!x.is_number_integer()) throw ApiError(400, "field 'positions' must hold integers, got " + x.dump());
    positions.push_back(x.get<int64_t>());
  }
  return positions;
}

std::optional<int32_t> token_field(const nlohmann::json& body, int64_t d_vocab) {
  if (!body.contains("token") || body["token"].is_null()) return std::nullopt;
  if (!body["token"].is_number_integer()) throw ApiError(400, "field 'token' must be a token id");
  const int64_t t = body["token"].get<int64_t>();
  if (t < 0 || t >= d_vocab)
    throw ApiError(400, "token " + std::to_string(t) + " is outside the vocabulary [0, " +
                            std::to_string(d_vocab) + ")");
  return int32_t(t);
}

// Each token and the loss of predicting it, as two lists of T.
void add_tokens(ojson& j, const ForwardView& f) {
  ojson tokens = ojson::array(), loss = ojson::array();
  for (int64_t i = 0; i < f.size(); ++i) {
    const TokenView& t = f.tokens[size_t(i)];
    tokens.push_back({{"id", t.id}, {"text", t.text}, {"piece", t.piece}});
    loss.push_back(number(f.loss[size_t(i)]));
  }
  j["tokens"] = tokens;
  j["loss"] = loss;
}

ojson predictions_json(const ForwardView& f, const data::Tokenizer& tok, int k) {
  ojson preds = ojson::array();
  for (int64_t i = 0; i < f.size(); ++i) {
    ojson row = ojson::array();
    for (const Prediction& p : f.predictions(i, k))
      row.push_back({{"id", p.id}, {"piece", tok.piece(p.id)}, {"p", number(p.probability)}, {"logit", number(p.logit)}});
    preds.push_back(row);
  }
  return preds;
}

// The patterns are most of the response's bytes: they go in after the rest is serialised,
// straight into its text.
void append_patterns(std::string& out, const ForwardView& f, const std::string& format) {
  out.pop_back();  // the closing brace
  out += ",\"patterns\":";
  if (format == "u8")
    append_patterns_u8(out, f);
  else
    out += patterns_nested(f);
  out += '}';
}

// One analysis of seconds at a time, on half the threads: the other half stays free for the
// forward passes a page asks for meanwhile (each lasts milliseconds).
class HeavyWork {
 public:
  explicit HeavyWork(std::mutex& m) : lock_(m), threads_(num_threads()) { set_num_threads(std::max(1, threads_ / 2)); }
  ~HeavyWork() { set_num_threads(threads_); }

 private:
  std::lock_guard<std::mutex> lock_;
  int threads_;
};

}  // namespace

std::string dump(const ojson& j) { return j.dump(-1, ' ', false, ojson::error_handler_t::replace); }

void append_base64(std::string& out, const unsigned char* data, size_t n) {
  static const char* kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  size_t o = out.size();
  out.resize(o + (n + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= n; i += 3) {
    const uint32_t v = uint32_t(data[i]) << 16 | uint32_t(data[i + 1]) << 8 | data[i + 2];
    out[o++] = kAlphabet[v >> 18];
    out[o++] = kAlphabet[(v >> 12) & 63];
    out[o++] = kAlphabet[(v >> 6) & 63];
    out[o++] = kAlphabet[v & 63];
  }
  if (i < n) {
    const uint32_t v = uint32_t(data[i]) << 16 | (i + 1 < n ? uint32_t(data[i + 1]) << 8 : 0);
    out[o++] = kAlphabet[v >> 18];
    out[o++] = kAlphabet[(v >> 12) & 63];
    out[o++] = i + 1 < n ? kAlphabet[(v >> 6) & 63] : '=';
    out[o++] = '=';
  }
}

Api::Api(const std::vector<std::string>& run_dirs, ApiOptions options)
    : options_(options),
      forwards_(options.forward_cache),
      head_views_(options.heads_cache),
      run_curves_(2 * std::max<size_t>(1, run_dirs.size())) {
  CS_CHECK(!run_dirs.empty(), "the viewer needs at least one run folder");
  for (const std::string& d : run_dirs) runs_.push_back(std::make_unique<RunView>(d, options.snapshot_cache));
}

size_t Api::find_run(const std::string& which) const {
  size_t index = 0;
  auto [ptr, ec] = std::from_chars(which.data(), which.data() + which.size(), index);
  if (!which.empty() && ec == std::errc() && ptr == which.data() + which.size()) {
    if (index < runs_.size()) return index;
  } else {
    std::optional<size_t> found;
    bool twice = false;
    for (size_t i = 0; i < runs_.size(); ++i)
      if (runs_[i]->name() == which) {
        twice = twice || found.has_value();
        found = i;
      }
    if (found && !twice) return *found;
  }
  std::string names;
  for (size_t i = 0; i < runs_.size(); ++i) names += (i ? ", " : "") + std::to_string(i) + " (" + runs_[i]->name() + ")";
  throw ApiError(404, "no run '" + which + "'; this viewer serves " + names);
}

ojson Api::runs() const {
  ojson list = ojson::array();
  for (size_t i = 0; i < runs_.size(); ++i) {
    const RunView& r = *runs_[i];
    const std::vector<int64_t> steps = r.steps();
    list.push_back({{"id", i},
                    {"name", r.name()},
                    {"path", r.dir().root()},
                    {"model", model_json(r.cfg())},
                    {"tokenizer", r.tokenizer().kind()},
                    {"bos", token_json(r.tokenizer(), r.tokenizer().bos_id())},
                    {"n_snapshots", steps.size()},
                    {"last_step", steps.empty() ? ojson(nullptr) : ojson(steps.back())}});
  }
  return {{"runs", list}};
}

// The model's hook points (model/hook_points.h: the table the cache, the hooks and the Python
// module read), shapes with "batch" and "pos" for the axes a pass chooses.
ojson Api::hooks(const std::string& which) const {
  const size_t i = find_run(which);
  constexpr int64_t kBatch = -1, kPos = -2;
  ojson list = ojson::array();
  for (const HookPoint& p : hook_points(runs_[i]->cfg(), kBatch, kPos)) {
    ojson shape = ojson::array();
    for (int64_t d : p.shape) shape.push_back(d == kBatch ? ojson("batch") : d == kPos ? ojson("pos") : ojson(d));
    list.push_back({{"name", p.name},
                    {"layer", p.layer < 0 ? ojson(nullptr) : ojson(p.layer)},
                    {"shape", shape},
                    {"replaceable", p.replaceable},
                    {"kept", p.kept}});
  }
  return {{"run", i}, {"name", runs_[i]->name()}, {"hooks", list}};
}

ojson Api::snapshots(const std::string& which) const {
  const size_t i = find_run(which);
  const RunView& r = *runs_[i];
  // Training tokens per step from the evaluation list (small), not from each snapshot's header.
  std::map<int64_t, int64_t> tokens;
  if (const auto j = r.dir().read_json(File::eval_snapshots); j && j->contains("steps") && j->contains("tokens"))
    for (size_t k = 0; k < (*j)["steps"].size() && k < (*j)["tokens"].size(); ++k)
      tokens[(*j)["steps"][k].get<int64_t>()] = (*j)["tokens"][k].get<int64_t>();
  ojson list = ojson::array();
  for (int64_t s : r.steps()) {
    auto t = tokens.find(s);
    list.push_back({{"step", s}, {"tokens", t == tokens.end() ? ojson(nullptr) : ojson(t->second)}});
  }
  return {{"run", i}, {"name", r.name()}, {"snapshots", list}, {"in_memory", r.cached_steps()}};
}

ojson Api::probes() const {
  ojson list = ojson::array();
  for (const analysis::Probe& p : analysis::builtin_probes()) {
    std::string text;
    for (const analysis::ProbeSegment& s : p.prompt) text += s.text;
    list.push_back({{"name", p.name}, {"description", p.description}, {"text", text}});
  }
  return {{"probes", list}};
}

std::shared_ptr<const ForwardView> Api::forward_view(size_t run, int64_t step, const std::string& text) const {
  const std::string key = std::to_string(run) + "/" + std::to_string(step) + "/" + text;
  return forwards_.get(key, [&] { return ForwardView(runs_[run]->snapshot(step), runs_[run]->tokenizer(), text); });
}

std::string Api::forward(const std::string& body_text) const {
  const auto t0 = std::chrono::steady_clock::now();
  const nlohmann::json body = parse_forward_body(body_text);
  const std::string text = body["text"].get<std::string>();
  const size_t run = find_run(id_field(body, "run", "0"));
  const RunView& r = *runs_[run];
  const int64_t step = r.resolve(id_field(body, "snapshot", "last"));
  const std::string format = patterns_field(body);
  const int k = top_k_field(body);
  const std::vector<int64_t> positions = positions_field(body, options_.max_positions);
  const std::optional<int32_t> token = token_field(body, r.cfg().d_vocab);

  const std::shared_ptr<const ForwardView> f = forward_view(run, step, text);
  const auto t1 = std::chrono::steady_clock::now();
  const data::Tokenizer& tok = r.tokenizer();
  ojson j;
  j["run"] = run;
  j["run_name"] = r.name();
  j["snapshot"] = {{"step", f->snapshot().step}, {"tokens", f->snapshot().tokens}};
  j["model"] = model_json(f->cfg());
  add_tokens(j, *f);
  if (k > 0) j["predictions"] = predictions_json(*f, tok, k);
  ojson attributions = ojson::array();
  for (int64_t p : positions)
    attributions.push_back(attribution_json(f->attribution(p, token), tok, f->cfg(), options_.virtual_heads));
  j["attribution"] = attributions;
  const auto t2 = std::chrono::steady_clock::now();
  // forward: the pass when it was made (a cached one is reused); lookup: this request's wait for
  // it; request: everything but the patterns' encoding.
  j["seconds"] = {{"forward", f->seconds},
                  {"lookup", std::chrono::duration<double>(t1 - t0).count()},
                  {"request", std::chrono::duration<double>(t2 - t0).count()}};
  std::string out = dump(j);
  if (format != "none") append_patterns(out, *f, format);
  return out;
}

std::shared_ptr<const HeadsView> Api::heads_view(size_t run, int64_t step) const {
  const std::string key = std::to_string(run) + "/" + std::to_string(step);
  return head_views_.get(key, [&] {
    const RunView& r = *runs_[run];
    const HeavyWork heavy(heavy_);
    return HeadsView(r.snapshot(step), r.dir(), r.tokenizer(), options_.heads);
  });
}

ojson Api::heads(const Query& q) const {
  const size_t run = find_run(query_str(q, "run", "0"));
  const int64_t step = runs_[run]->resolve(query_str(q, "snapshot", "last"));
  ojson j = {{"run", run}, {"snapshot", step}};
  j.update(heads_view(run, step)->summary());
  return j;
}

ojson Api::head(const Query& q) const {
  const size_t run = find_run(query_str(q, "run", "0"));
  const RunView& r = *runs_[run];
  const int64_t step = r.resolve(query_str(q, "snapshot", "last"));
  const int64_t layer = query_int(q, "layer"), head = query_int(q, "head");
  const Config& c = r.cfg();
  if (layer < 0 || layer >= c.n_layers || head < 0 || head >= c.n_heads)
    throw ApiError(404, "no head " + std::to_string(layer) + "." + std::to_string(head) + ": run '" + r.name() +
                            "' has " + std::to_string(c.n_layers) + " layers of " + std::to_string(c.n_heads) +
                            " heads");
  const std::shared_ptr<const HeadsView> v = heads_view(run, step);
  ojson j = {{"run", run}, {"snapshot", step}};
  j.update(v->head(int(layer), int(head)));
  j["common"] = v->common();
  return j;
}

ojson Api::icl(const Query& q) const {
  const size_t run = find_run(query_str(q, "run", "0"));
  const RunView& r = *runs_[run];
  // Keyed by how many snapshots were evaluated: a run still training gets a fresh curve.
  const auto list = r.dir().read_json(File::eval_snapshots);
  const size_t n = list && list->contains("steps") ? (*list)["steps"].size() : 0;
  const auto curve = run_curves_.get("icl/" + std::to_string(run) + "/" + std::to_string(n), [&] {
    ojson j = {{"run", run}, {"name", r.name()}};
    const pipeline::LoadedIcl loaded = pipeline::load_icl(r.dir());
    if (loaded.icl) {
      j["icl"] = loaded.icl->to_json();
      j["source"] = loaded.source;
    } else {
      j["icl"] = nullptr;
      j["note"] = loaded.note;
    }
    return j;
  });
  return *curve;
}

ojson Api::heads_over_training(const Query& q) const {
  const size_t run = find_run(query_str(q, "run", "0"));
  const RunView& r = *runs_[run];
  const std::vector<int64_t> steps = r.steps();
  const auto curve = run_curves_.get("hot/" + std::to_string(run) + "/" + std::to_string(steps.size()), [&] {
    ojson j = {{"run", run}, {"name", r.name()}};
    if (r.cfg().n_layers == 0) {
      j["data"] = nullptr;
      j["note"] = "the model has no heads";
      return j;
    }
    const HeavyWork heavy(heavy_);
    const pipeline::LoadedHeadsOverTraining loaded = pipeline::load_heads_over_training(r.dir(), nullptr, true);
    if (loaded.report) {
      j["source"] = loaded.source;
      j["data"] = loaded.report->to_json();
    } else {
      j["data"] = nullptr;
      j["note"] = loaded.note;
    }
    return j;
  });
  return *curve;
}

ojson Api::head_kinds() const { return head_kinds_json(options_.heads.thresholds); }

}  // namespace cs::viewer
