#include "keys/secret_bytes.h"

#include <atomic>
#include <sstream>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "gtest/gtest.h"

namespace keys {
namespace {

// The property that matters most is compile-time: SecretBytes has no
// operator<< and no conversion to std::string.
template <typename T, typename = void>
struct IsStreamable : std::false_type {};
template <typename T>
struct IsStreamable<T, std::void_t<decltype(std::declval<std::ostream&>()
                                            << std::declval<const T&>())>>
    : std::true_type {};

static_assert(!IsStreamable<SecretBytes>::value,
              "SecretBytes must not be printable");
static_assert(!std::is_convertible_v<SecretBytes, std::string>);
static_assert(!std::is_convertible_v<SecretBytes, absl::string_view>);
static_assert(!std::is_copy_constructible_v<SecretBytes>);
static_assert(!std::is_copy_assignable_v<SecretBytes>);
static_assert(std::is_nothrow_move_constructible_v<SecretBytes>);
static_assert(!std::is_default_constructible_v<SecretAccess>);

TEST(SecretBytesTest, NewValueIsZeroFilled) {
  SecretBytes s(40);
  ASSERT_EQ(s.size(), 40u);
  EXPECT_EQ(s.AsStringView(InsecureSecretAccess::Get()), std::string(40, '\0'));
}

TEST(SecretBytesTest, CopyFromHoldsTheBytes) {
  SecretBytes s = SecretBytes::CopyFrom("key material");
  EXPECT_EQ(s.AsStringView(InsecureSecretAccess::Get()), "key material");
}

TEST(SecretBytesTest, EqualityComparesContents) {
  EXPECT_EQ(SecretBytes::CopyFrom("abc"), SecretBytes::CopyFrom("abc"));
  EXPECT_NE(SecretBytes::CopyFrom("abc"), SecretBytes::CopyFrom("abd"));
  EXPECT_NE(SecretBytes::CopyFrom("abc"), SecretBytes::CopyFrom("abcd"));
  EXPECT_EQ(SecretBytes(), SecretBytes());
  EXPECT_NE(SecretBytes(), SecretBytes(1));
}

TEST(SecretBytesTest, MoveLeavesTheSourceEmpty) {
  SecretBytes a = SecretBytes::CopyFrom("secret");
  SecretBytes b = std::move(a);
  EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move)
  EXPECT_EQ(b.AsStringView(InsecureSecretAccess::Get()), "secret");
  SecretBytes c;
  c = std::move(b);
  EXPECT_TRUE(b.empty());  // NOLINT(bugprone-use-after-move)
  EXPECT_EQ(c.AsStringView(InsecureSecretAccess::Get()), "secret");
}

TEST(SecretBytesTest, CloneIsAnIndependentCopy) {
  SecretBytes a = SecretBytes::CopyFrom("secret");
  SecretBytes b = a.Clone();
  b.data(InsecureSecretAccess::Get())[0] = 'S';
  EXPECT_EQ(a.AsStringView(InsecureSecretAccess::Get()), "secret");
  EXPECT_EQ(b.AsStringView(InsecureSecretAccess::Get()), "Secret");
}

TEST(SecretBytesTest, ReusedBlockIsWipedBeforeReuse) {
  const uint8_t* first_data;
  {
    SecretBytes a = SecretBytes::CopyFrom(std::string(100, 'x'));
    first_data = a.data(InsecureSecretAccess::Get());
  }
  // The cache hands back the most recently freed block; its bytes must be
  // zero whichever block we get.
  SecretBytes b(100);
  EXPECT_EQ(b.AsStringView(InsecureSecretAccess::Get()),
            std::string(100, '\0'));
  (void)first_data;
}

TEST(SecretBytesTest, LargeValuesWork) {
  SecretBytes big = SecretBytes::CopyFrom(std::string(100000, 'y'));
  EXPECT_EQ(big.size(), 100000u);
  EXPECT_EQ(big.AsStringView(InsecureSecretAccess::Get())[99999], 'y');
  EXPECT_EQ(big.Clone(), big);
}

TEST(SecretBytesTest, DataEndsAtTheGuardPage) {
  // Small values sit at the end of their block, so the byte after the last
  // one is the guard page. We can only check the address arithmetic here.
  SecretBytes s(10);
  const auto end = reinterpret_cast<uintptr_t>(
      s.data(InsecureSecretAccess::Get()) + s.size());
  EXPECT_EQ(end % 16, 0u);
}

TEST(SecretBytesTest, ManyThreadsAllocateAndFreeConcurrently) {
  // Exercises the per-thread and shared block caches (run under ASan/TSan
  // configs too). Every value must read back what was written.
  std::vector<std::thread> threads;
  std::atomic<int> errors{0};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([t, &errors] {
      for (int i = 0; i < 2000; ++i) {
        const size_t size = static_cast<size_t>(1 + (i * 37 + t) % 70000);
        SecretBytes s(size);
        uint8_t* d = s.data(InsecureSecretAccess::Get());
        if (d[0] != 0 || d[size - 1] != 0) errors++;
        d[0] = static_cast<uint8_t>(t);
        d[size - 1] = static_cast<uint8_t>(i);
        SecretBytes moved = std::move(s);
        if (moved.data(InsecureSecretAccess::Get())[0] != t) errors++;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(errors.load(), 0);
}

// Freed during static destruction, after the main thread's block cache is
// destroyed: the release must go to the shared cache (a smoke test: the
// process must exit cleanly under the sanitizer configs).
const SecretBytes& StaticSecret() {
  static const SecretBytes secret = SecretBytes::CopyFrom("static");
  return secret;
}

TEST(SecretBytesTest, StaticValueCanBeFreedAtExit) {
  EXPECT_EQ(StaticSecret().AsStringView(InsecureSecretAccess::Get()), "static");
}

TEST(SecretBytesTest, WipeStringClearsIt) {
  std::string s = "a secret value that is longer than the SSO buffer";
  WipeString(&s);
  EXPECT_TRUE(s.empty());
}

}  // namespace
}  // namespace keys
