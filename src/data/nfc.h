#pragma once
// Unicode NFC (through ICU) for byte-level BPE whose tokenizer.json asks for it, as Pythia's does
// (docs/tokenizers.md): "e" + U+0301 becomes "é" before the text is cut and merged.
#include <string>
#include <string_view>

namespace cs::data {

// TEXT in NFC. Text that is not UTF-8 is a cs::Error: NFC is defined on characters only.
std::string nfc(std::string_view text);

}  // namespace cs::data
