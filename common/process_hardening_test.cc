#include "common/process_hardening.h"

#include <sys/prctl.h>
#include <sys/resource.h>

#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"

namespace common {
namespace {

TEST(ProcessHardeningTest, DisableCoreDumpsZeroesTheLimitAndClearsDumpable) {
  ASSERT_OK(DisableCoreDumps());
  struct rlimit limit;
  ASSERT_EQ(getrlimit(RLIMIT_CORE, &limit), 0);
  EXPECT_EQ(limit.rlim_cur, 0u);
  EXPECT_EQ(limit.rlim_max, 0u);
  EXPECT_EQ(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), 0);
}

}  // namespace
}  // namespace common
