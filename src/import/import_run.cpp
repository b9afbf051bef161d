#include "import/import_run.h"

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <regex>
#include <set>

#include "core/error.h"
#include "core/files.h"
#include "data/tokenizer.h"
#include "import/hf_weights.h"
#include "import/layout.h"
#include "io/json_file.h"
#include "run/run_dir.h"

namespace cs::hf {

namespace fs = std::filesystem;

namespace {

struct Source {
  std::string folder;
  int64_t step = 0;
};

// Every folder's config.json must describe the same model: snapshots of one run share one Config.
std::pair<const Layout*, Config> read_model(const std::vector<Source>& sources) {
  const Layout* layout = nullptr;
  Config cfg;
  for (const Source& s : sources) {
    const std::string path = (fs::path(s.folder) / file_name(File::config)).string();
    const nlohmann::json j = io::read_json_file(path);  // its errors name the file already
    try {
      const Layout& l = layout_for(j);
      const Config c = l.config(j);
      CS_CHECK(!layout || (layout == &l && nlohmann::json(c) == nlohmann::json(cfg)),
               "it describes another model than " << sources.front().folder << "'s; one run holds one model");
      layout = &l;
      cfg = c;
    } catch (const Error& e) {
      fail(path + ": " + e.what());
    }
  }
  return {layout, cfg};
}

// The first folder's tokenizer (tokenizer.json, or GPT-2's vocab.json + merges.txt).
std::unique_ptr<data::Tokenizer> read_tokenizer(const std::vector<Source>& sources, const Config& cfg) {
  for (const Source& s : sources) {
    const fs::path dir(s.folder);
    if (!fs::exists(dir / file_name(File::tokenizer_json)) &&
        !(fs::exists(dir / file_name(File::gpt2_vocab)) && fs::exists(dir / file_name(File::gpt2_merges))))
      continue;
    auto tok = data::load_tokenizer(s.folder);
    CS_CHECK(tok->kind() == "byte-level-bpe", s.folder << ": the tokenizer is " << tok->kind()
                                                        << ", not a byte-level BPE (docs/tokenizers.md)");
    CS_CHECK(tok->d_vocab() <= cfg.d_vocab, s.folder << ": the tokenizer has " << tok->d_vocab()
                                                     << " ids but the model only " << cfg.d_vocab << " embeddings");
    return tok;
  }
  fail("none of the folders holds " + file_name(File::tokenizer_json) + " or " + file_name(File::gpt2_vocab) +
       " with " + file_name(File::gpt2_merges) + "; download the model's tokenizer beside its weights");
}

Params<float> read_weights(const Source& s, const Layout& layout, const Config& cfg) {
  HfWeights w = HfWeights::open(s.folder);
  Params<float> p = layout.weights(w, cfg);
  for (const std::string& name : w.untaken())
    CS_CHECK(layout.ignorable(name), s.folder << ": tensor '" << name << "' is not part of a " << layout.architecture
                                              << " with " << cfg.n_layers << " layers (does config.json belong to these weights?)");
  return p;
}

run::RunConfig make_config(const Layout& layout, const Config& cfg, const std::vector<Source>& sources,
                           int64_t tokens_per_step) {
  run::RunConfig rc;
  rc.run_id = run::new_run_id();
  rc.model = cfg;
  rc.original_architecture = layout.architecture;
  // Training settings do not apply. batch is the nearest whole number of sequences per step;
  // data.tokens_per_step, which the snapshots' token counts use, is the exact figure.
  rc.train.batch = int(std::max<int64_t>(1, tokens_per_step / cfg.n_ctx));
  rc.train.steps = sources.back().step;
  rc.train.n_snapshots = int(sources.size());
  nlohmann::json folders = nlohmann::json::array();
  for (const Source& s : sources) folders.push_back(fs::absolute(s.folder).lexically_normal().string());
  rc.data = {{"source", "import"}, {"folders", folders}, {"tokens_per_step", tokens_per_step}};
  return rc;
}

// "runs/step1000/" -> "step1000".
std::string base_name(const std::string& folder) {
  fs::path p = fs::path(folder).lexically_normal();
  if (p.filename().empty()) p = p.parent_path();
  return p.filename().string();
}

}  // namespace

std::vector<int64_t> folder_steps(const ImportOptions& o) {
  CS_CHECK(!o.folders.empty(), "give at least one model folder");
  std::vector<int64_t> steps = o.steps;
  if (steps.empty()) {
    static const std::regex step_name("step([0-9]{1,15})");
    for (const std::string& f : o.folders) {
      std::smatch m;
      const std::string name = base_name(f);
      if (std::regex_match(name, m, step_name))
        steps.push_back(std::stoll(m[1].str()));
      else
        CS_CHECK(o.folders.size() == 1, f << " is not named step<N>; give every folder's step with --steps");
    }
    if (steps.empty()) steps.push_back(0);
  }
  CS_CHECK(steps.size() == o.folders.size(),
           "--steps gives " << steps.size() << " steps for " << o.folders.size() << " folders");
  CS_CHECK(std::set<int64_t>(steps.begin(), steps.end()).size() == steps.size(), "two folders have the same step");
  for (int64_t s : steps)
    CS_CHECK(s >= 0 && s <= INT64_MAX / std::max<int64_t>(1, o.tokens_per_step),
             "step " << s << " is out of range (steps count from 0; step × tokens per step must fit 64 bits)");
  return steps;
}

run::RunConfig import_run(const ImportOptions& o, const std::function<void(const std::string&)>& progress) {
  CS_CHECK(o.tokens_per_step >= 1, "--tokens-per-step must be >= 1, got " << o.tokens_per_step);
  const std::vector<int64_t> steps = folder_steps(o);
  std::vector<Source> sources;
  for (size_t i = 0; i < steps.size(); ++i) sources.push_back({o.folders[i], steps[i]});
  std::sort(sources.begin(), sources.end(), [](const Source& a, const Source& b) { return a.step < b.step; });
  const run::RunDir dest(o.out);
  CS_CHECK(!dest.is_run() || o.force, "'" << o.out << "' already holds a run; use --force to replace it");
  const auto [layout, cfg] = read_model(sources);
  const auto tokenizer = read_tokenizer(sources, cfg);
  const run::RunConfig rc = make_config(*layout, cfg, sources, o.tokens_per_step);
  run::RunWriter staging = run::RunWriter::staging(o.out);
  try {
    tokenizer->save(staging.run().root());
    staging.write_config(rc);
    for (const Source& s : sources) {
      staging.write_snapshot(read_weights(s, *layout, cfg), {rc.run_id, s.step, s.step * o.tokens_per_step});
      progress("step " + std::to_string(s.step) + " <- " + s.folder);
    }
  } catch (...) {
    fs::remove_all(staging.run().root());
    throw;
  }
  staging.commit_to(o.out);
  return rc;
}

}  // namespace cs::hf
