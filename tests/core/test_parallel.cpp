// An error thrown inside an OpenMP loop reaches the calling thread as itself (FirstError), instead
// of ending the process.
#include <gtest/gtest.h>
#include <omp.h>

#include "core/error.h"
#include "core/parallel.h"

namespace {

TEST(FirstError, TheFirstExceptionOfAParallelLoopIsRethrownOnTheCaller) {
  cs::FirstError error;
  int done = 0;
#pragma omp parallel for num_threads(2) schedule(dynamic, 1) reduction(+ : done)
  for (int i = 0; i < 64; ++i) try {
      if (i % 16 == 7) cs::fail("iteration " + std::to_string(i) + " failed");
      ++done;
    } catch (...) {
      error.capture();
    }
  EXPECT_EQ(done, 60);  // the other iterations ran to the end
  try {
    error.rethrow();
    FAIL() << "nothing was rethrown";
  } catch (const cs::Error& e) {
    EXPECT_NE(std::string(e.what()).find("failed"), std::string::npos) << e.what();
  }
  cs::FirstError none;
  EXPECT_NO_THROW(none.rethrow());
}

}  // namespace
