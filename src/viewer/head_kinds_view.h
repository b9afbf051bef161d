#pragma once
// What the page needs to name heads, from the server rather than written into the page: the kind
// names and their rules, the thresholds the head analysis uses, the scores that name each kind
// (with the labels the page gives them) and which of them have curves over training.
#include <nlohmann/json.hpp>

#include "analysis/head_kinds.h"

namespace cs::viewer {

// GET /api/head_kinds for a server whose head analyses use `thresholds`.
nlohmann::ordered_json head_kinds_json(const analysis::KindThresholds& thresholds);

}  // namespace cs::viewer
