#include "data/gpt2_pretokenizer.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <string>

#include "core/error.h"

namespace cs::data {

namespace {

// GPT-2's published pattern. A whitespace run keeps its last space for the word after it
// (\s+(?!\S)); UCP makes \s, \p{L} and \p{N} Unicode-aware.
constexpr std::string_view kPattern =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

std::string pcre2_message(int code) {
  PCRE2_UCHAR buf[256];
  return pcre2_get_error_message(code, buf, sizeof buf) < 0 ? "error " + std::to_string(code)
                                                            : reinterpret_cast<const char*>(buf);
}

struct MatchDataFree {
  void operator()(pcre2_match_data* m) const { pcre2_match_data_free(m); }
};

}  // namespace

struct Gpt2PreTokenizer::Compiled {
  pcre2_code* code = nullptr;
  ~Compiled() { pcre2_code_free(code); }
};

Gpt2PreTokenizer::Gpt2PreTokenizer() : compiled_(std::make_unique<Compiled>()) {
  int error = 0;
  PCRE2_SIZE offset = 0;
  // MATCH_INVALID_UTF: text that is not UTF-8 is matched up to its bad bytes instead of refused.
  compiled_->code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(kPattern.data()), kPattern.size(),
                                  PCRE2_UTF | PCRE2_UCP | PCRE2_MATCH_INVALID_UTF, &error, &offset,
                                  nullptr);
  CS_CHECK(compiled_->code, "the pre-tokenizer pattern did not compile (PCRE2, at offset "
                                << offset << "): " << pcre2_message(error));
  // The JIT matches several times faster; where it is unavailable the interpreter gives the same
  // pieces, so its failure is not an error.
  pcre2_jit_compile(compiled_->code, PCRE2_JIT_COMPLETE);
}

Gpt2PreTokenizer::~Gpt2PreTokenizer() = default;

void Gpt2PreTokenizer::split(std::string_view text, std::vector<std::string_view>& out) const {
  const std::unique_ptr<pcre2_match_data, MatchDataFree> match(
      pcre2_match_data_create_from_pattern(compiled_->code, nullptr));
  CS_CHECK(match, "out of memory for the pre-tokenizer's match data");
  const auto subject = reinterpret_cast<PCRE2_SPTR>(text.data());
  size_t at = 0;
  while (at < text.size()) {
    const int rc = pcre2_match(compiled_->code, subject, text.size(), at, 0, match.get(), nullptr);
    if (rc == PCRE2_ERROR_NOMATCH) {
      out.push_back(text.substr(at));
      return;
    }
    CS_CHECK(rc > 0, "pre-tokenizing failed at byte " << at << ": " << pcre2_message(rc));
    const PCRE2_SIZE* span = pcre2_get_ovector_pointer(match.get());
    if (span[0] > at) out.push_back(text.substr(at, span[0] - at));
    out.push_back(text.substr(span[0], span[1] - span[0]));
    at = span[1];
  }
}

}  // namespace cs::data
