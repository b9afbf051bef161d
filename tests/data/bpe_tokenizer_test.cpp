// Byte-level BPE against the ids of an independent reference (python/bpe_reference.py wrote
// tests/data/bpe/: a vocabulary of 609 tokens with 352 learned merges, in GPT-2's release files
// and in tokenizer.json with both forms of merges, and vectors.json).
#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "../io/temp_dir.h"
#include "core/error.h"
#include "core/files.h"
#include "data/tokenizer.h"
#include "data/tokens.h"
#include "io/atomic_file.h"

namespace {

using cs::data::Tokenizer;
using nlohmann::json;

const std::string kDir = std::string(CS_TEST_DATA) + "/bpe";
constexpr int32_t kBos = 608;  // <|endoftext|>, the last id as in GPT-2

json read_json(const std::string& path) { return json::parse(cs::io::read_file(path)); }

struct Vector {
  std::string text;
  std::vector<int32_t> ids;
};

std::vector<Vector> vectors() {
  std::vector<Vector> out;
  for (const json& v : read_json(kDir + "/vectors.json")) out.push_back({v["text"], v["ids"]});
  return out;
}

// The three forms of the same tokenizer.
std::vector<std::pair<std::string, std::unique_ptr<Tokenizer>>> all_forms() {
  std::vector<std::pair<std::string, std::unique_ptr<Tokenizer>>> out;
  out.emplace_back("vocab.json + merges.txt",
                   cs::data::load_gpt2_tokenizer(kDir + "/" + cs::file_name(cs::File::gpt2_vocab),
                                                 kDir + "/" + cs::file_name(cs::File::gpt2_merges)));
  out.emplace_back("tokenizer.json, \"a b\" merges",
                   cs::data::load_hf_tokenizer(kDir + "/" + cs::file_name(cs::File::tokenizer_json)));
  out.emplace_back("tokenizer.json, [\"a\", \"b\"] merges, Sequence",
                   cs::data::load_hf_tokenizer(kDir + "/tokenizer_pairs.json"));
  return out;
}

// What decode gives back: the text without the BOS tokens it spelled.
std::string without_bos(std::string text) {
  for (size_t at; (at = text.find("<|endoftext|>")) != std::string::npos;) text.erase(at, 13);
  return text;
}

TEST(ByteLevelBpe, EveryFormGivesTheReferenceIds) {
  const auto vs = vectors();
  ASSERT_EQ(vs.size(), 23u);
  for (const auto& [form, t] : all_forms()) {
    SCOPED_TRACE(form);
    EXPECT_EQ(t->kind(), "byte-level-bpe");
    EXPECT_EQ(t->d_vocab(), 609);
    EXPECT_EQ(t->bos_id(), kBos);
    for (const Vector& v : vs) {
      EXPECT_EQ(t->encode(v.text), v.ids) << v.text;
      EXPECT_EQ(t->decode(v.ids), without_bos(v.text)) << v.text;
    }
  }
}

TEST(ByteLevelBpe, MergesApplyToWordsAccentsCjkAndWhitespace) {
  const auto t = cs::data::load_hf_tokenizer(kDir + "/tokenizer.json");
  auto pieces = [&](const std::string& text) {
    std::vector<std::string> out;
    for (int32_t id : t->encode(text)) out.push_back(t->piece(id));
    return out;
  };
  using P = std::vector<std::string>;
  EXPECT_EQ(pieces("The cat didn't"), (P{"The", " cat", " didn", "'t"}));
  EXPECT_EQ(pieces("Größe über"), (P{"Größe", " über"}));
  EXPECT_EQ(pieces("日本語の"), (P{"日本語<0xE3><0x81>", "<0xAE>"}));  // a merge may end mid-character
  EXPECT_EQ(pieces("x\n    return"), (P{"x", "\\n   ", " return"}));
  EXPECT_EQ(pieces("a\tb"), (P{"a", "\\t", "b"}));
  EXPECT_EQ(pieces(" 2024"), (P{" 2024"}));
  EXPECT_EQ(pieces("2024"), (P{"20", "24"}));
  EXPECT_EQ(pieces(" 🙂🙂"), (P{" 🙂🙂"}));
  EXPECT_EQ(t->piece(kBos), "<bos>");
  EXPECT_EQ(t->encode("<|endoftext|>"), (std::vector<int32_t>{kBos}));
  EXPECT_EQ(t->decode({kBos, 67, 274, 271, kBos}), "don't");
  EXPECT_THROW(t->decode({609}), cs::Error);
  EXPECT_THROW(t->piece(-1), cs::Error);
}

// Bytes that are not UTF-8 match no alternative of the pattern; they still encode, as bytes.
TEST(ByteLevelBpe, TextThatIsNotUtf8ComesBackWhole) {
  const auto t = cs::data::load_hf_tokenizer(kDir + "/tokenizer.json");
  for (const std::string& text : {std::string("caf\xC3"), std::string("\xFF\xFE the cat\x80"),
                                 std::string("a\0b", 3), std::string("\xED\xA0\x80 x")}) {
    const auto ids = t->encode(text);
    for (int32_t id : ids) EXPECT_TRUE(id >= 0 && id < t->d_vocab());
    EXPECT_EQ(t->decode(ids), text);
  }
  // 0xFF is 'ÿ' in the byte alphabet: id 187, the last of the 188 printable bytes.
  EXPECT_EQ(t->encode("\xFF the"), (std::vector<int32_t>{187, 269}));
}

TEST(ByteLevelBpe, SavesAsTokenizerJsonThatLoadTokenizerFinds) {
  cs::test::TempDir tmp;
  const auto original = cs::data::load_gpt2_tokenizer(kDir + "/vocab.json", kDir + "/merges.txt");
  original->save(tmp / "run/tokens");
  EXPECT_TRUE(std::filesystem::exists(tmp / "run/tokens/tokenizer.json"));
  const auto loaded = cs::data::load_tokenizer(tmp / "run");
  EXPECT_EQ(loaded->kind(), "byte-level-bpe");
  EXPECT_EQ(loaded->d_vocab(), 609);
  EXPECT_EQ(loaded->bos_id(), kBos);
  for (const Vector& v : vectors()) EXPECT_EQ(loaded->encode(v.text), v.ids) << v.text;
  for (int32_t id = 0; id < 609; ++id) ASSERT_EQ(loaded->piece(id), original->piece(id));
  // The bytes note, the other tokenizer.json, still loads as bytes.
  cs::data::make_byte_tokenizer()->save(tmp / "bytes");
  EXPECT_EQ(cs::data::load_tokenizer(tmp / "bytes")->kind(), "bytes");
  // GPT-2's release files in a folder.
  std::filesystem::create_directories(tmp / "gpt2");
  for (cs::File f : {cs::File::gpt2_vocab, cs::File::gpt2_merges})
    std::filesystem::copy_file(kDir + "/" + cs::file_name(f), tmp / ("gpt2/" + cs::file_name(f)));
  EXPECT_EQ(cs::data::load_tokenizer(tmp / "gpt2")->encode("don't"), (std::vector<int32_t>{67, 274, 271}));
}

// A token folder made with it: its stream holds the reference ids after BOS, and the folder
// gives the tokenizer back.
TEST(ByteLevelBpe, TokenFolderKeepsItsIdsAndTheTokenizer) {
  cs::test::TempDir tmp;
  const auto t = cs::data::load_hf_tokenizer(kDir + "/tokenizer.json");
  cs::data::tokenize_corpus(std::vector<std::string>{"don't", "The cat sat on the mat."}, *t, tmp.str(), 0, 1);
  const auto store = cs::data::TokenStore::open(tmp.str());
  EXPECT_EQ(store.meta()["tokenizer"], "byte-level-bpe");
  EXPECT_EQ(store.d_vocab(), 609);
  EXPECT_EQ(store.bos_id(), kBos);
  std::vector<int32_t> first(4);
  store.read(store.documents()[0].begin, 4, first.data());
  EXPECT_EQ(first, (std::vector<int32_t>{kBos, 67, 274, 271}));
  EXPECT_EQ(cs::data::load_tokenizer(tmp.str())->encode("don't"), (std::vector<int32_t>{67, 274, 271}));
}

// With an NFC normalizer (Pythia's), "e" + U+0301 encodes as "é" does: as the reference encodes
// the text in NFC. Added tokens with normalized true are looked for in NFC, their contents too. The
// normalizer survives save and load.
TEST(ByteLevelBpe, NfcNormalizerEncodesTheComposedText) {
  cs::test::TempDir tmp;
  json j = read_json(kDir + "/tokenizer.json");
  j["normalizer"] = {{"type", "NFC"}};
  j["added_tokens"].push_back({{"id", 609}, {"content", "e\xCC\x81!"}, {"normalized", true}});
  cs::test::write_bytes(tmp / "nfc/tokenizer.json", j.dump());
  const auto t = cs::data::load_hf_tokenizer(tmp / "nfc/tokenizer.json");
  const auto vs = vectors();
  const Vector& decomposed = vs[12];
  const Vector& composed = vs[13];
  ASSERT_EQ(decomposed.text, "combining e\xCC\x81 and n\xCC\x83 marks");
  ASSERT_EQ(composed.text, "combining \xC3\xA9 and \xC3\xB1 marks");
  EXPECT_EQ(t->encode(decomposed.text), composed.ids);
  EXPECT_EQ(t->encode(composed.text), composed.ids);
  EXPECT_EQ(t->decode(t->encode(decomposed.text)), composed.text);
  t->save(tmp / "saved");
  EXPECT_EQ(cs::data::load_tokenizer(tmp / "saved")->encode(decomposed.text), composed.ids);
  EXPECT_EQ(t->encode("e\xCC\x81!"), (std::vector<int32_t>{609}));
  EXPECT_EQ(t->encode("\xC3\xA9!"), (std::vector<int32_t>{609}));
  // Text in NFC already gives the reference ids unchanged.
  for (const Vector& v : vs) {
    if (v.text == decomposed.text) continue;
    EXPECT_EQ(t->encode(v.text), v.ids) << v.text;
  }
  // NFC is defined on characters: text that is not UTF-8 is refused.
  EXPECT_THROW(t->encode("caf\xC3"), cs::Error);
}

}  // namespace
