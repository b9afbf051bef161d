// Hugging Face's tokenizer.json for byte-level BPE (docs/tokenizers.md): read into a BpeSpec when
// every component is one this tokenizer reproduces exactly, refused with one line naming the
// component otherwise; and written back from a BpeSpec.
#include "core/error.h"
#include "core/json_integer.h"
#include "data/bpe_spec.h"

namespace cs::data {

namespace {

using nlohmann::json;

// The "type" of an optional component; "" when it is null or absent.
std::string component_type(const json& parent, const char* key) {
  if (!parent.contains(key) || parent[key].is_null()) return "";
  return parent[key].at("type").get<std::string>();
}

const json& byte_level_pre_tokenizer(const json& tokenizer, const std::string& where) {
  const std::string type = component_type(tokenizer, "pre_tokenizer");
  if (type == "ByteLevel") return tokenizer["pre_tokenizer"];
  if (type == "Sequence") {
    const json& members = tokenizer["pre_tokenizer"].at("pretokenizers");
    std::string types;
    for (const json& m : members) types += (types.empty() ? "" : ", ") + m.at("type").get<std::string>();
    CS_CHECK(types == "ByteLevel", where << ": pre_tokenizer Sequence [" << types
                                         << "] is not supported (only [ByteLevel])");
    return members[0];
  }
  fail(where + ": pre_tokenizer " + (type.empty() ? "null" : type) +
       " is not supported (byte-level BPE needs ByteLevel, alone or in a Sequence)");
}

// Components outside the model: each either does what this tokenizer does or is refused.
void check_pipeline(const json& tokenizer, const std::string& where) {
  const std::string normalizer = component_type(tokenizer, "normalizer");
  CS_CHECK(normalizer.empty() || normalizer == "NFC",
           where << ": normalizer " << normalizer << " is not supported (only null or NFC)");
  const json& p = byte_level_pre_tokenizer(tokenizer, where);
  // Hugging Face's defaults for fields a file leaves out.
  CS_CHECK(!p.value("add_prefix_space", true),
           where << ": pre_tokenizer ByteLevel with add_prefix_space is not supported (it adds a "
                    "space the text did not have)");
  CS_CHECK(p.value("use_regex", true),
           where << ": pre_tokenizer ByteLevel without use_regex is not supported (GPT-2's "
                    "pattern cuts the text)");
  const std::string decoder = component_type(tokenizer, "decoder");
  CS_CHECK(decoder.empty() || decoder == "ByteLevel",
           where << ": decoder " << decoder << " is not supported (only ByteLevel)");
}

bool null_or(const json& model, const char* key, const json& value) {
  return !model.contains(key) || model[key].is_null() || model[key] == value;
}

void check_model(const json& model, const std::string& where) {
  // Files written before tokenizers tagged its models have no type; a BPE one has merges.
  const std::string type = model.contains("type")     ? model["type"].get<std::string>()
                           : model.contains("merges") ? "BPE"
                                                      : "(none)";
  CS_CHECK(type == "BPE", where << ": model type " << type << " is not supported (only BPE)");
  CS_CHECK(null_or(model, "dropout", 0),
           where << ": model.dropout is not supported (it makes encoding random)");
  CS_CHECK(null_or(model, "continuing_subword_prefix", "") && null_or(model, "end_of_word_suffix", ""),
           where << ": model.continuing_subword_prefix and end_of_word_suffix are not supported");
  CS_CHECK(null_or(model, "ignore_merges", false), where << ": model.ignore_merges is not supported");
}

std::vector<std::pair<std::string, std::string>> read_merges(const json& merges, const std::string& where) {
  CS_CHECK(merges.is_array(), where << ": model.merges must be a list");
  std::vector<std::pair<std::string, std::string>> out;
  out.reserve(merges.size());
  for (const json& m : merges) {
    if (m.is_array() && m.size() == 2) {
      out.emplace_back(m[0].get<std::string>(), m[1].get<std::string>());
      continue;
    }
    // Older files: one string, the two tokens separated by the only space.
    const std::string s = m.is_string() ? m.get<std::string>() : "";
    const size_t space = s.find(' ');
    CS_CHECK(space != std::string::npos && s.find(' ', space + 1) == std::string::npos,
             where << ": model.merges[" << out.size() << "] must be \"a b\" or [\"a\", \"b\"], got "
                   << m.dump());
    out.emplace_back(s.substr(0, space), s.substr(space + 1));
  }
  return out;
}

std::vector<AddedToken> read_added(const json& tokenizer, const std::string& where) {
  std::vector<AddedToken> out;
  if (!tokenizer.contains("added_tokens")) return out;
  for (const json& t : tokenizer["added_tokens"]) {
    AddedToken a;
    a.content = t.at("content").get<std::string>();
    a.id = json_integer<int32_t>(t.at("id"), where + ": added token " + t["content"].dump() + " id");
    a.normalized = t.value("normalized", true);
    a.special = t.value("special", true);
    CS_CHECK(!a.content.empty(), where << ": added token " << a.id << " has empty content");
    CS_CHECK(!t.value("single_word", false) && !t.value("lstrip", false) && !t.value("rstrip", false),
             where << ": added token " << t["content"].dump()
                   << ": single_word, lstrip and rstrip are not supported");
    out.push_back(std::move(a));
  }
  return out;
}

}  // namespace

std::vector<std::pair<std::string, int32_t>> read_bpe_vocab(const json& vocab, const std::string& where) {
  CS_CHECK(vocab.is_object(), where << ": the vocabulary must be an object {\"token\": id, ...}");
  std::vector<std::pair<std::string, int32_t>> out;
  out.reserve(vocab.size());
  for (const auto& [token, id] : vocab.items())
    out.emplace_back(token, json_integer<int32_t>(id, where + ": id of " + json(token).dump()));
  return out;
}

BpeSpec read_hf_bpe(const json& tokenizer, const std::string& where) {
  try {
    CS_CHECK(tokenizer.is_object(), where << ": expected a JSON object");
    const json& model = tokenizer.at("model");
    check_model(model, where);
    check_pipeline(tokenizer, where);
    BpeSpec spec;
    spec.vocab = read_bpe_vocab(model.at("vocab"), where + ": model.vocab");
    spec.merges = read_merges(model.at("merges"), where);
    spec.added = read_added(tokenizer, where);
    spec.nfc = component_type(tokenizer, "normalizer") == "NFC";
    return spec;
  } catch (const json::exception& e) {
    fail(where + ": " + e.what());
  }
}

nlohmann::ordered_json hf_bpe_json(const BpeSpec& spec) {
  using ordered = nlohmann::ordered_json;
  ordered added = ordered::array();
  for (const AddedToken& a : spec.added)
    added.push_back({{"id", a.id}, {"content", a.content}, {"single_word", false}, {"lstrip", false},
                     {"rstrip", false}, {"normalized", a.normalized}, {"special", a.special}});
  ordered vocab = ordered::object();
  for (const auto& [token, id] : spec.vocab) vocab[token] = id;
  ordered merges = ordered::array();
  for (const auto& [a, b] : spec.merges) merges.push_back(ordered::array({a, b}));
  const ordered byte_level = {{"type", "ByteLevel"}, {"add_prefix_space", false},
                              {"trim_offsets", true}, {"use_regex", true}};
  const ordered normalizer = spec.nfc ? ordered{{"type", "NFC"}} : ordered(nullptr);
  return {{"version", "1.0"},
          {"truncation", nullptr},
          {"padding", nullptr},
          {"added_tokens", added},
          {"normalizer", normalizer},
          {"pre_tokenizer", byte_level},
          {"post_processor", nullptr},
          {"decoder", byte_level},
          {"model", {{"type", "BPE"}, {"dropout", nullptr}, {"unk_token", nullptr},
                     {"continuing_subword_prefix", nullptr}, {"end_of_word_suffix", nullptr},
                     {"fuse_unk", false}, {"byte_fallback", false}, {"ignore_merges", false},
                     {"vocab", vocab}, {"merges", merges}}}};
}

}  // namespace cs::data
