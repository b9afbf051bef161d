#pragma once
// One fuzz input stands for a whole token folder: its files' bytes in kTokenFiles order, joined as
// parts.h says.
#include "core/files.h"
#include "parts.h"

namespace cs::fuzz {

inline constexpr File kTokenFiles[] = {File::token_meta, File::token_stream, File::token_documents,
                                       File::token_split, File::token_counts};

}  // namespace cs::fuzz
