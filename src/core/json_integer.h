#pragma once
// An integer field of a JSON file. nlohmann's get<int>() casts whatever number it holds: a float
// beyond the type's range is undefined behaviour, and 4294967297 silently becomes 1.
#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>

#include "core/error.h"

namespace cs {

// WHAT names the field in the error, e.g. "config.json: train.batch".
template <class T>
T json_integer(const nlohmann::json& v, const std::string& what) {
  using Limits = std::numeric_limits<T>;
  bool fits = false;
  if (v.is_number_unsigned()) {
    fits = v.get<uint64_t>() <= uint64_t(Limits::max());
  } else if (v.is_number_integer()) {
    const int64_t x = v.get<int64_t>();
    fits = x >= 0 ? uint64_t(x) <= uint64_t(Limits::max()) : Limits::is_signed && x >= int64_t(Limits::min());
  }
  CS_CHECK(fits, what << " must be an integer in [" << +Limits::min() << ", " << +Limits::max()
                      << "], got " << v.dump());
  return v.get<T>();
}

}  // namespace cs
