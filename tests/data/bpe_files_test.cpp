// The byte-level BPE readers: a Pythia-like layout (BOS at id 0, added tokens after the
// vocabulary), and files they must refuse with one clear line.
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "../io/temp_dir.h"
#include "core/error.h"
#include "core/files.h"
#include "data/tokenizer.h"
#include "io/atomic_file.h"

namespace {

using nlohmann::json;

const std::string kDir = std::string(CS_TEST_DATA) + "/bpe";

json test_tokenizer() { return json::parse(cs::io::read_file(kDir + "/tokenizer.json")); }

// The cs::Error that F throws; a test failure when it throws nothing or something else.
std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const cs::Error& e) {
    EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << "not one line: " << e.what();
    return e.what();
  }
  ADD_FAILURE() << "no cs::Error";
  return "";
}

// The cs::Error of loading the test tokenizer.json after CHANGE.
std::string hf_error(const std::function<void(json&)>& change) {
  cs::test::TempDir tmp;
  json j = test_tokenizer();
  change(j);
  cs::test::write_bytes(tmp / "tokenizer.json", j.dump());
  return error_of([&] { cs::data::load_hf_tokenizer(tmp / "tokenizer.json"); });
}

#define EXPECT_MENTIONS(message, fragment)                                   \
  do {                                                                       \
    const std::string mentions_ = (message);                                 \
    EXPECT_NE(mentions_.find(fragment), std::string::npos) << mentions_;     \
  } while (0)

// Pythia's layout: NFC, <|endoftext|> is id 0 and added tokens (whitespace runs) follow the
// vocabulary; every other token is one id up from the test tokenizer's. Written into DIR.
std::unique_ptr<cs::data::Tokenizer> pythia_layout(const cs::test::TempDir& dir) {
  json j = test_tokenizer();
  for (auto& [token, id] : j["model"]["vocab"].items()) id = (id.get<int>() + 1) % 609;
  auto added = [](int id, const std::string& content, bool normalized) {
    return json{{"id", id}, {"content", content}, {"single_word", false}, {"lstrip", false},
                {"rstrip", false}, {"normalized", normalized}, {"special", !normalized}};
  };
  j["added_tokens"] = {added(0, "<|endoftext|>", false), added(609, "    ", true), added(610, "   ", true),
                       added(611, "ca", true), added(612, "at", false)};
  j["normalizer"] = {{"type", "NFC"}};
  cs::test::write_bytes(dir / "tokenizer.json", j.dump());
  return cs::data::load_hf_tokenizer(dir / "tokenizer.json");
}

// Added tokens with normalized false are found before the others, as Hugging Face does.
TEST(ByteLevelBpeFiles, PythiaLayoutWithAddedTokensAfterTheVocabulary) {
  cs::test::TempDir tmp;
  const auto t = pythia_layout(tmp);
  EXPECT_EQ(t->d_vocab(), 613);
  EXPECT_EQ(t->bos_id(), 0);
  const json vocab = test_tokenizer()["model"]["vocab"];
  auto id = [&](const char* token) { return vocab[token].get<int32_t>() + 1; };
  const int32_t x = id("x"), y = id("y"), c = id("c");
  EXPECT_EQ(t->encode("x    y   x<|endoftext|>"), (std::vector<int32_t>{x, 609, y, 610, x, 0}));
  // "at" (normalized false) is found first, so "ca" never is: c, at.
  EXPECT_EQ(t->encode("cat"), (std::vector<int32_t>{c, 612}));
  EXPECT_EQ(t->decode({0, x, 609, y, 612}), "x    yat");
  EXPECT_EQ(t->piece(609), "    ");
  EXPECT_EQ(t->encode("don't"), (std::vector<int32_t>{68, 275, 272}));
}

// Each thread caches merged pieces for one tokenizer at a time: two tokenizers that spell the
// same pieces with other ids, used in turn and from several threads, never see each other's.
TEST(ByteLevelBpeFiles, CachedPiecesBelongToTheirTokenizer) {
  cs::test::TempDir tmp;
  const auto gpt2 = cs::data::load_hf_tokenizer(kDir + "/tokenizer.json");
  const auto pythia = pythia_layout(tmp);
  const std::string text = "She's sure they've won; don't you think? 12345";  // no added token of pythia_layout
  const std::vector<int32_t> gpt2_ids = gpt2->encode(text), pythia_ids = pythia->encode(text);
  ASSERT_EQ(gpt2_ids.size(), pythia_ids.size());
  for (size_t i = 0; i < gpt2_ids.size(); ++i) EXPECT_EQ(pythia_ids[i], gpt2_ids[i] + 1);
  std::vector<int> wrong(4, 0);
  std::vector<std::thread> threads;
  for (size_t k = 0; k < wrong.size(); ++k)
    threads.emplace_back([&, k] {
      for (int round = 0; round < 200; ++round) {
        wrong[k] += gpt2->encode(text) != gpt2_ids;
        wrong[k] += pythia->encode(text) != pythia_ids;
      }
    });
  for (std::thread& th : threads) th.join();
  EXPECT_EQ(wrong, std::vector<int>(4, 0));
}

TEST(ByteLevelBpeFiles, MissingOrMalformedFiles) {
  cs::test::TempDir tmp;
  EXPECT_MENTIONS(error_of([&] { cs::data::load_hf_tokenizer(tmp / "none.json"); }), "file not found");
  EXPECT_MENTIONS(error_of([&] { cs::data::load_gpt2_tokenizer(kDir + "/vocab.json", tmp / "none.txt"); }),
                  "file not found");
  cs::test::write_bytes(tmp / "bad.json", R"({"model": {"vocab": )");
  EXPECT_MENTIONS(error_of([&] { cs::data::load_hf_tokenizer(tmp / "bad.json"); }), "bad.json: not valid JSON");
  EXPECT_MENTIONS(error_of([&] { cs::data::load_gpt2_tokenizer(tmp / "bad.json", kDir + "/merges.txt"); }),
                  "bad.json: not valid JSON");
  // Through load_tokenizer: a tokenizer.json that is neither the bytes note nor Hugging Face's.
  cs::test::write_bytes(tmp / "run/tokenizer.json", R"({"vocab": {}})");
  EXPECT_MENTIONS(error_of([&] { cs::data::load_tokenizer(tmp / "run"); }),
                  "expected {\"type\": \"bytes\"} or a Hugging Face tokenizer");
}

TEST(ByteLevelBpeFiles, MergesOfUnknownTokensOrMalformedMerges) {
  cs::test::TempDir tmp;
  const std::string merges = cs::io::read_file(kDir + "/merges.txt");
  cs::test::write_bytes(tmp / "unknown.txt", merges + "Ġzebra s\n");
  EXPECT_MENTIONS(error_of([&] { cs::data::load_gpt2_tokenizer(kDir + "/vocab.json", tmp / "unknown.txt"); }),
                  "merge 353 ('Ġzebra' 's'): 'Ġzebra' is not in the vocabulary");
  cs::test::write_bytes(tmp / "join.txt", merges + "x y\n");
  EXPECT_MENTIONS(error_of([&] { cs::data::load_gpt2_tokenizer(kDir + "/vocab.json", tmp / "join.txt"); }),
                  "merge 353 ('x' 'y'): 'xy' is not in the vocabulary");
  cs::test::write_bytes(tmp / "line.txt", "#version: 0.2\nh e\nabc\n");
  EXPECT_MENTIONS(error_of([&] { cs::data::load_gpt2_tokenizer(kDir + "/vocab.json", tmp / "line.txt"); }),
                  "line.txt line 3: expected two tokens separated by one space");
  EXPECT_MENTIONS(hf_error([](json& j) { j["model"]["merges"].push_back({"NOT_A_TOKEN", "s"}); }),
                  "'NOT_A_TOKEN' is not in the vocabulary");
  EXPECT_MENTIONS(hf_error([](json& j) { j["model"]["merges"][0] = "h e x"; }),
                  "model.merges[0] must be \"a b\" or [\"a\", \"b\"], got \"h e x\"");
}

TEST(ByteLevelBpeFiles, ComponentsThatWouldNotReproduceTheTokenizerAreNamed) {
  EXPECT_MENTIONS(hf_error([](json& j) { j["model"]["type"] = "WordPiece"; }),
                  "model type WordPiece is not supported (only BPE)");
  EXPECT_MENTIONS(hf_error([](json& j) { 
                    j["model"].erase("merges");
                    j["model"].erase("type");
                  }),
                  "model type (none) is not supported");
  EXPECT_MENTIONS(hf_error([](json& j) { j["normalizer"] = {{"type", "NFKC"}}; }),
                  "normalizer NFKC is not supported");
  EXPECT_MENTIONS(hf_error([](json& j) { j["normalizer"] = {{"type", "NFD"}}; }),
                  "normalizer NFD is not supported (only null or NFC)");
  EXPECT_MENTIONS(hf_error([](json& j) { j["pre_tokenizer"] = {{"type", "Metaspace"}}; }),
                  "pre_tokenizer Metaspace is not supported");
  EXPECT_MENTIONS(hf_error([](json& j) {
                    j["pre_tokenizer"] = {{"type", "Sequence"},
                                          {"pretokenizers", {{{"type", "Split"}}, j["pre_tokenizer"]}}};
                  }),
                  "pre_tokenizer Sequence [Split, ByteLevel] is not supported");
  EXPECT_MENTIONS(hf_error([](json& j) { j["pre_tokenizer"]["add_prefix_space"] = true; }),
                  "add_prefix_space is not supported");
  EXPECT_MENTIONS(hf_error([](json& j) { j["decoder"] = {{"type", "WordPiece"}}; }),
                  "decoder WordPiece is not supported");
  EXPECT_MENTIONS(hf_error([](json& j) { j["model"]["dropout"] = 0.1; }), "model.dropout is not supported");
  EXPECT_MENTIONS(hf_error([](json& j) { j["added_tokens"][0]["lstrip"] = true; }),
                  "added token \"<|endoftext|>\": single_word, lstrip and rstrip are not supported");
}

TEST(ByteLevelBpeFiles, VocabulariesWithGapsRepeatsOrMissingTokens) {
  EXPECT_MENTIONS(hf_error([](json& j) { j["model"]["vocab"]["Ġthe"] = 5000; }),
                  "token 'Ġthe' has id 5000, but the ids of 609 tokens must run from 0 to 608");
  EXPECT_MENTIONS(hf_error([](json& j) { j["model"]["vocab"]["Ġthe"] = 0; }), "id 0 is given to both");
  EXPECT_MENTIONS(hf_error([](json& j) { j["model"]["vocab"]["Ġthe"] = "x"; }), "model.vocab: id of \"Ġthe\"");
  EXPECT_MENTIONS(hf_error([](json& j) {
                    json& vocab = j["model"]["vocab"];
                    vocab["Ġzebra"] = vocab["Ā"];  // byte 0's id, so the ids keep no gap
                    vocab.erase("Ā");
                  }),
                  "no token for byte 0x00 ('Ā')");
  EXPECT_MENTIONS(hf_error([](json& j) { j["added_tokens"][0]["id"] = 5; }),
                  "added token '<|endoftext|>' has id 5, which the vocabulary gives to");
  EXPECT_MENTIONS(hf_error([](json& j) { j["added_tokens"][0]["id"] = 700; }),
                  "added token '<|endoftext|>' has id 700, but the next free id is 609");
  EXPECT_MENTIONS(hf_error([](json& j) {
                    j["added_tokens"] = json::array();
                    j["model"]["vocab"].erase("<|endoftext|>");
                  }),
                  "no <|endoftext|> token, which circuitscope needs as BOS");
}

// Pythia's vocabulary has no tokens for the 13 bytes that UTF-8 never uses (0xC0, 0xC1, 0xF5 to
// 0xFF): such a vocabulary loads, encodes UTF-8 as before, and refuses text holding those bytes.
TEST(ByteLevelBpeFiles, BytesThatUtf8NeverUsesMayLackTokens) {
  json j = test_tokenizer();
  const std::string unused = "ÀÁõö÷øùúûüýþÿ";  // their characters in the byte alphabet
  std::vector<std::pair<int, std::string>> by_id;
  for (const auto& [token, id] : j["model"]["vocab"].items())
    if (token.size() != 2 || unused.find(token) == std::string::npos) by_id.emplace_back(id.get<int>(), token);
  std::sort(by_id.begin(), by_id.end());
  json vocab = json::object();
  for (const auto& [id, token] : by_id) vocab[token] = vocab.size();  // ids run on without gaps
  j["model"]["vocab"] = vocab;
  j["added_tokens"][0]["id"] = vocab["<|endoftext|>"];
  cs::test::TempDir tmp;
  cs::test::write_bytes(tmp / "tokenizer.json", j.dump());
  const auto t = cs::data::load_hf_tokenizer(tmp / "tokenizer.json");
  const auto full = cs::data::load_hf_tokenizer(kDir + "/tokenizer.json");
  EXPECT_EQ(t->d_vocab(), 609 - 13);
  EXPECT_EQ(t->bos_id(), 609 - 13 - 1);
  const std::string text = "Größe über 日本語 🙂 don't\n";
  std::vector<std::string> pieces, full_pieces;
  for (int32_t id : t->encode(text)) pieces.push_back(t->piece(id));
  for (int32_t id : full->encode(text)) full_pieces.push_back(full->piece(id));
  EXPECT_EQ(pieces, full_pieces);
  EXPECT_MENTIONS(error_of([&] { t->encode("ok \xFF"); }), "byte 0xFF has no token in this vocabulary");
  EXPECT_MENTIONS(error_of([&] { t->encode("\xC0\x80"); }), "byte 0xC0 has no token in this vocabulary");
}

}  // namespace
