#include "sweep/commands.h"

#include <algorithm>
#include <cctype>

#include "sweep/sweep_dir.h"

namespace cs::sweep {

std::string shell_quote(const std::string& w) {
  const bool plain = !w.empty() && std::all_of(w.begin(), w.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) ||
           std::string_view("-_./:=+,@%").find(c) != std::string_view::npos;
  });
  if (plain) return w;
  std::string q = "'";
  for (char c : w) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

std::vector<std::string> run_commands(const Sweep& s, const std::string& binary, int threads) {
  std::vector<std::string> lines;
  for (const Run& r : s.runs) {
    const RunState state = run_state(s, r);
    if (state == RunState::finished) {
      lines.push_back("# " + r.name + ": finished");
      continue;
    }
    std::vector<std::string> words = {binary, "train"};
    const std::vector<std::string> args = train_args(s, r, state, threads);
    words.insert(words.end(), args.begin(), args.end());
    std::string line;
    for (const std::string& w : words) line += (line.empty() ? "" : " ") + shell_quote(w);
    lines.push_back(line);
  }
  return lines;
}

}  // namespace cs::sweep
