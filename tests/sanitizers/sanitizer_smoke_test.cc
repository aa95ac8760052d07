// Each test provokes one bug and expects its sanitizer to abort with the
// matching report. Skipped when the sanitizer is not compiled in.
#include <climits>
#include <cstdlib>
#include <cstring>

#include "gtest/gtest.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SECRETD_HAS_ASAN 1
#endif
#if __has_feature(undefined_behavior_sanitizer)
#define SECRETD_HAS_UBSAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define SECRETD_HAS_ASAN 1
#endif
#if !defined(SECRETD_HAS_UBSAN) && defined(SECRETD_SANITIZER_UBSAN)
#define SECRETD_HAS_UBSAN 1
#endif

namespace {

// Defeats constant folding so the bug happens at run time.
[[maybe_unused]] volatile int g_index = 16;
[[maybe_unused]] volatile int g_big = INT_MAX;

TEST(SanitizerSmokeTest, AsanReportsHeapBufferOverflow) {
#ifndef SECRETD_HAS_ASAN
  GTEST_SKIP() << "built without AddressSanitizer (use --config=asan)";
#else
  EXPECT_DEATH(
      {
        char* p = static_cast<char*>(std::malloc(16));
        p[g_index] = 1;
        std::free(p);
      },
      "heap-buffer-overflow");
#endif
}

TEST(SanitizerSmokeTest, UbsanReportsSignedIntegerOverflow) {
#ifndef SECRETD_HAS_UBSAN
  GTEST_SKIP() << "built without UndefinedBehaviorSanitizer (use "
                  "--config=ubsan or asan)";
#else
  EXPECT_DEATH(
      {
        int x = g_big;
        x += 1;
        g_big = x;
      },
      "signed integer overflow");
#endif
}

}  // namespace
