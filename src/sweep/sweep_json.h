#pragma once
// sweep.json (docs/sweep.md): the one owner of its format. The grid, every run's train flags and
// records, the `sweep run` sessions and `sweep report`'s results, to JSON and back, with one-line
// errors naming the file and the field.
#include <nlohmann/json.hpp>
#include <string>

#include "sweep/plan.h"

namespace cs::sweep {

nlohmann::ordered_json to_json(const Sweep& sweep);

// The text of a sweep.json; `what` (its path) names it in errors. The root is left empty.
Sweep parse_sweep(const std::string& text, const std::string& what);

}  // namespace cs::sweep
