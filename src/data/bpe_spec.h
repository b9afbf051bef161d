#pragma once
// A byte-level BPE tokenizer as its files describe it (docs/tokenizers.md), read from a Hugging
// Face tokenizer.json or from GPT-2's vocab.json and merges.txt, before any table is built: the
// tokenizer checks it and saves it back as tokenizer.json.
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "data/tokenizer.h"

namespace cs::data {

// A string that stands for one id wherever it appears in the text, found before pre-tokenizing.
// Hugging Face looks for tokens with normalized false first, then normalizes the text between them
// and looks for the others there.
struct AddedToken {
  std::string content;
  int32_t id = 0;
  bool normalized = false;
  bool special = true;  // kept for tokenizer.json; circuitscope treats every added token alike
};

struct BpeSpec {
  std::vector<std::pair<std::string, int32_t>> vocab;        // byte-level spelling, id
  std::vector<std::pair<std::string, std::string>> merges;  // in rank order
  std::vector<AddedToken> added;
  bool nfc = false;  // the normalizer: NFC, or none
};

// GPT-2's release files. Its vocabulary's <|endoftext|> becomes an added token, as in GPT-2's own
// tokenizer.json.
BpeSpec read_gpt2_bpe(const std::string& vocab_path, const std::string& merges_path);

// A vocabulary object {"spelling": id, ...}; WHERE names it in errors.
std::vector<std::pair<std::string, int32_t>> read_bpe_vocab(const nlohmann::json& vocab,
                                                            const std::string& where);

// TOKENIZER: a parsed tokenizer.json; WHERE names it in errors. Anything this reading would not
// reproduce exactly (another model type, a normalizer but NFC, another pre-tokenizer) is a
// cs::Error.
BpeSpec read_hf_bpe(const nlohmann::json& tokenizer, const std::string& where);

// The tokenizer.json that read_hf_bpe reads back as SPEC.
nlohmann::ordered_json hf_bpe_json(const BpeSpec& spec);

// Checks SPEC (a token for every byte that UTF-8 uses, merges of known tokens, ids from 0 without
// gaps, an <|endoftext|> token for BOS) and builds the tokenizer; WHERE names the files in errors.
std::unique_ptr<Tokenizer> make_byte_level_bpe(BpeSpec spec, const std::string& where);

}  // namespace cs::data
