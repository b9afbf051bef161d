// Writes one small valid input per fuzz target, made by the library's own writers, into
// OUT/<target>/: libFuzzer mutates from there instead of discovering each format from nothing.
// Usage: fuzz_seeds OUT
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "core/files.h"
#include "data/bpe_spec.h"
#include "data/byte_level.h"
#include "data/tokenizer.h"
#include "data/tokens.h"
#include "fuzz_model.h"
#include "io/atomic_file.h"
#include "io/npy.h"
#include "io/safetensors.h"
#include "run/run_config.h"
#include "run/snapshot.h"
#include "sweep/sweep_json.h"
#include "parts.h"
#include "token_folder.h"

namespace fs = std::filesystem;

namespace {

void put(const fs::path& dir, const std::string& name, const std::string& bytes) {
  fs::create_directories(dir);
  std::ofstream(dir / name, std::ios::binary) << bytes;
}

void safetensors_seeds(const fs::path& dir) {
  cs::Params<float> p(cs::fuzz::tiny_model());
  p.init(1);
  fs::create_directories(dir);
  cs::run::write_snapshot((dir / "snapshot").string(), p, {"0123456789abcdef", 7, 112});
  cs::io::SafeTensorsWriter w;
  const int64_t ints[3] = {-1, 0, int64_t(1) << 40};
  const double doubles[2] = {0.5, -2};
  w.add_i64("ints", {3}, ints);
  w.add_f64("doubles", {2, 1}, doubles);
  w.add_f16("halves", {2}, p.data.data());
  const uint8_t flags[2] = {0, 1};
  w.add("flags", "BOOL", {2}, flags, 2);
  w.add("empty", "BF16", {0, 3}, nullptr, 0);
  put(dir, "dtypes", w.serialize());
}

void npy_seeds(const fs::path& dir) {
  fs::create_directories(dir);
  const float f[6] = {1, -2, 3.5f, 0, 1e-3f, 7};
  const int64_t i[3] = {-5, 0, int64_t(1) << 40};
  const uint8_t u[4] = {0, 1, 2, 255};
  cs::io::write_npy((dir / "f4").string(), f, {2, 3});
  cs::io::write_npy_f16((dir / "f2").string(), f, {6});
  cs::io::write_npy((dir / "i8").string(), i, {3, 1});
  cs::io::write_npy((dir / "u1").string(), u, {4});
  cs::io::write_npy((dir / "scalar").string(), f, {});
}

void run_config_seeds(const fs::path& dir) {
  cs::run::RunConfig rc;
  rc.run_id = "0123456789abcdef";
  rc.model = cs::fuzz::tiny_model();
  rc.data = {{"corpus", "builtin:"}, {"d_vocab", 3}};
  put(dir, "config", cs::run::to_json(rc).dump(2));
}

void token_seeds(const fs::path& dir, const fs::path& scratch) {
  const auto tok = cs::data::make_byte_tokenizer();
  cs::data::tokenize_corpus({"the cat sat", "on the mat", "é!"}, *tok, scratch.string(), 0.34, 1);
  std::string packed;
  for (cs::File f : cs::fuzz::kTokenFiles) {
    if (!packed.empty()) packed += cs::fuzz::kPartSeparator;
    packed += cs::io::read_file((scratch / cs::file_name(f)).string());
  }
  put(dir, "folder", packed);
}

// A little-endian catalogue: the UTF-8 header, then message/translation pairs.
void gettext_seeds(const fs::path& dir) {
  const std::vector<std::pair<std::string, std::string>> pairs = {
      {"", "Content-Type: text/plain; charset=UTF-8\n"},
      {"Cancel", "Annuler"},
      {"menu\x04Open", "Ouvrir"},
      {std::string("file\0files", 10), std::string("fichier\0fichiers", 16)}};
  const uint32_t n = uint32_t(pairs.size()), originals = 28, translations = originals + 8 * n;
  std::vector<uint32_t> words = {0x950412deu, 0, n, originals, translations, 0, 0};
  std::string strings;
  const uint32_t base = translations + 8 * n;
  for (int side = 0; side < 2; ++side)
    for (const auto& [msg, tr] : pairs) {
      const std::string& s = side ? tr : msg;
      words.push_back(uint32_t(s.size()));
      words.push_back(base + uint32_t(strings.size()));
      strings += s;
      strings += '\0';
    }
  put(dir, "catalogue",
      std::string(reinterpret_cast<const char*>(words.data()), words.size() * 4) + strings);
}

void tokenizer_seeds(const fs::path& dir) {
  put(dir, "english", "The cat sat on the mat.\nThe cat sat on the mat.\n");
  put(dir, "code", "def f(x):\n\treturn x ** 2  # square\n");
  put(dir, "unicode", "Größe: 3 €, 日本語, \xF0\x9F\x99\x82");
}

// The 256 byte tokens, a few merges (one of them of a two-byte character) and <|endoftext|>: small
// enough for the fuzzer to mutate quickly.
cs::data::BpeSpec small_bpe() {
  cs::data::BpeSpec s;
  for (int b = 0; b < 256; ++b) s.vocab.emplace_back(cs::data::to_byte_chars(std::string(1, char(b))), b);
  for (const auto& [left, right] : std::vector<std::pair<std::string, std::string>>{
           {"t", "h"}, {"th", "e"}, {"Ġ", "the"}, {"Ġ", "Ġ"}, {"'", "s"}, {"Ã", "©"}}) {
    s.merges.emplace_back(left, right);
    s.vocab.emplace_back(left + right, int32_t(s.vocab.size()));
  }
  s.vocab.emplace_back("<|endoftext|>", int32_t(s.vocab.size()));
  s.added.push_back({"<|endoftext|>", s.vocab.back().second, false, true});
  return s;
}

// GPT-2's release files of SPEC, joined as parts.h says.
std::string gpt2_files(const cs::data::BpeSpec& spec) {
  nlohmann::ordered_json vocab = nlohmann::ordered_json::object();
  for (const auto& [token, id] : spec.vocab) vocab[token] = id;
  std::string merges = "#version: 0.2\n";
  for (const auto& [left, right] : spec.merges) merges += left + " " + right + "\n";
  return vocab.dump() + std::string(cs::fuzz::kPartSeparator) + merges;
}

// The tests' byte-level BPE (tests/data/bpe) and small_bpe(), with and without NFC, as save()
// writes them (tokenizer.json) and as GPT-2's release files.
void bpe_seeds(const fs::path& hf_dir, const fs::path& gpt2_dir, const fs::path& scratch) {
  const std::string data = std::string(CS_SOURCE_DIR) + "/tests/data/bpe/";
  auto saved = [&](const cs::data::Tokenizer& t) {
    t.save(scratch.string());
    return cs::io::read_file((scratch / cs::file_name(cs::File::tokenizer_json)).string());
  };
  put(hf_dir, "test", saved(*cs::data::load_hf_tokenizer(data + cs::file_name(cs::File::tokenizer_json))));
  put(hf_dir, "small", saved(*cs::data::make_byte_level_bpe(small_bpe(), "small_bpe")));
  cs::data::BpeSpec nfc = small_bpe();
  nfc.nfc = true;
  put(hf_dir, "small-nfc", saved(*cs::data::make_byte_level_bpe(nfc, "small_bpe with NFC")));
  put(gpt2_dir, "test",
      cs::io::read_file(data + cs::file_name(cs::File::gpt2_vocab)) + std::string(cs::fuzz::kPartSeparator) +
          cs::io::read_file(data + cs::file_name(cs::File::gpt2_merges)));
  put(gpt2_dir, "small", gpt2_files(small_bpe()));
}

// tests/data/hf's configs, each joined with the sharded model's index.
void hf_model_seeds(const fs::path& dir) {
  const std::string hf = std::string(CS_SOURCE_DIR) + "/tests/data/hf/";
  const std::string index = cs::io::read_file(hf + "neox_sharded/" + cs::file_name(cs::File::hf_weights_index));
  for (const char* model : {"gpt2", "neox_bf16", "neox_sharded"})
    put(dir, model, cs::io::read_file(hf + model + "/" + cs::file_name(cs::File::config)) +
                        std::string(cs::fuzz::kPartSeparator) + index);
}

// The shipped sweep's sweep.json (every record a finished sweep has), and a plan before any run.
void sweep_seeds(const fs::path& dir) {
  const std::string shipped = cs::io::read_file(std::string(CS_SOURCE_DIR) + "/models/sweep/sweep.json");
  put(dir, "reported", shipped);
  cs::sweep::Sweep planned = cs::sweep::parse_sweep(shipped, "models/sweep/sweep.json");
  planned.sessions.clear();
  planned.results = nullptr;
  planned.runs.resize(1);
  put(dir, "planned", cs::sweep::to_json(planned).dump(2));
}

// The golden run's icl.json and a run's ICL settings with every field.
void icl_seeds(const fs::path& dir) {
  put(dir, "icl", cs::io::read_file(std::string(CS_SOURCE_DIR) + "/tests/data/golden/analysis/icl.json"));
  put(dir, "settings", R"({"early_window": [0, 10], "late_window": [40, 60], "early_index": 5, "late_index": 50,
                           "sigma_snapshots": 2.0, "min_drop_nats": 0.1, "search_from_step": 100})");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: fuzz_seeds OUT\n";
    return 2;
  }
  const fs::path out = argv[1];
  safetensors_seeds(out / "safetensors");
  npy_seeds(out / "npy");
  run_config_seeds(out / "run_config");
  token_seeds(out / "tokens", out / "scratch-tokens");
  gettext_seeds(out / "gettext");
  tokenizer_seeds(out / "tokenizer");
  bpe_seeds(out / "hf_tokenizer", out / "gpt2_tokenizer", out / "scratch-bpe");
  hf_model_seeds(out / "hf_model");
  sweep_seeds(out / "sweep_plan");
  icl_seeds(out / "icl_json");
  fs::remove_all(out / "scratch-tokens");
  fs::remove_all(out / "scratch-bpe");
  return 0;
}
