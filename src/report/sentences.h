#pragma once
// How findings write numbers into sentences (the run report's findings, the sweep's): token counts
// at a glance, nats with enough decimals that a small effect does not print as zero, ranges, and
// a minus sign rather than a hyphen.
#include <cstddef>
#include <string>
#include <vector>

namespace cs::report {

std::string tokens_text(double tokens);  // 1.5k, 13M
// "0.20–0.23" (or " to " between signed numbers), or "0.23" when both ends print alike.
std::string range_text(double lo, double hi, const char* format);
// Nats: 0.16, 0.034, 0.0036; signed: +0.16.
std::string nats_text(double v);
std::string signed_text(double v);
// An ICL score: two decimals, as its standard error rarely allows more.
std::string score_text(double v);
// printf's hyphen before a number, as a minus sign; hyphens inside words ("previous-token") stay.
std::string typeset_minus(std::string s);
std::string joined(const std::vector<std::string>& parts, const std::string& separator);
// "a", "a and b", "a, b and c".
std::string listed(const std::vector<std::string>& parts);
std::string plural(size_t n, const char* one, const char* many);

}  // namespace cs::report
