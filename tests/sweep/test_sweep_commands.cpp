// The lines of `sweep commands` run as printed: words quoted only where a shell would split them.
#include <gtest/gtest.h>

#include "sweep/commands.h"

namespace cs::sweep {
namespace {

TEST(SweepCommands, QuotesOnlyWhatAShellWouldSplit) {
  EXPECT_EQ(shell_quote("/opt/run-1/tokens-v1024"), "/opt/run-1/tokens-v1024");
  EXPECT_EQ(shell_quote("1e-3"), "1e-3");
  EXPECT_EQ(shell_quote("my runs"), "'my runs'");
  EXPECT_EQ(shell_quote("it's"), "'it'\\''s'");
  EXPECT_EQ(shell_quote(""), "''");
  EXPECT_EQ(shell_quote("$HOME"), "'$HOME'");
}

}  // namespace
}  // namespace cs::sweep
