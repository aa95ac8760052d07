// The PostgreSQL test environment: TestPostgresUrl uses
// SECRETD_TEST_POSTGRES_URL when it is set and otherwise starts one private
// server per process; TestPostgresServer fails naming tools/setup when
// PostgreSQL is not installed, and its watchdog stops a server whose test
// process died without cleaning up.
#include "secretd/store/testing/postgres_test_server.h"

#include <sys/stat.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "common/testing/status_matchers.h"
#include "common/testing/subprocess.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace secretd::testing {
namespace {

using ::common::testing::IsOk;
using ::common::testing::IsOkAndHolds;
using ::common::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::StartsWith;

// Sets (or, with nullptr, unsets) an environment variable for one scope.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    const char* old = std::getenv(name);
    had_ = old != nullptr;
    if (had_) old_ = old;
    if (value != nullptr) {
      ::setenv(name, value, 1);
    } else {
      ::unsetenv(name);
    }
  }
  ~ScopedEnv() {
    if (had_) {
      ::setenv(name_, old_.c_str(), 1);
    } else {
      ::unsetenv(name_);
    }
  }

 private:
  const char* name_;
  bool had_ = false;
  std::string old_;
};

bool Exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

TEST(TestPostgresUrlTest, UsesTheVariableWhenItIsSet) {
  ScopedEnv env("SECRETD_TEST_POSTGRES_URL",
                "postgresql://someone@127.0.0.1:1/elsewhere");
  EXPECT_THAT(TestPostgresUrl(),
              IsOkAndHolds("postgresql://someone@127.0.0.1:1/elsewhere"));
}

TEST(TestPostgresUrlTest, WithoutTheVariableStartsOnePrivateServer) {
  const char* shared = std::getenv("SECRETD_TEST_POSTGRES_URL");
  const std::string shared_url = shared != nullptr ? shared : "";
  ScopedEnv env("SECRETD_TEST_POSTGRES_URL", nullptr);
  absl::StatusOr<std::string> url = TestPostgresUrl();
  ASSERT_THAT(url, IsOk());
  EXPECT_THAT(*url, StartsWith("postgresql://secretd@127.0.0.1:"));
  if (!shared_url.empty()) {
    EXPECT_NE(*url, shared_url);
  }
  EXPECT_THAT(QueryPostgres(*url, "SELECT current_database()"),
              IsOkAndHolds("secretd_test"));
  // Later calls, and TestSchema, use the same server.
  EXPECT_THAT(TestPostgresUrl(), IsOkAndHolds(*url));
  absl::StatusOr<std::unique_ptr<TestSchema>> schema = TestSchema::Create();
  ASSERT_THAT(schema, IsOk());
  EXPECT_THAT(QueryPostgres(*url, absl::StrCat("SELECT count(*) FROM "
                                               "pg_namespace WHERE nspname = '",
                                               (*schema)->name(), "'")),
              IsOkAndHolds("1"));
}

TEST(TestPostgresServerTest, WithoutPostgresInstalledFailsNamingToolsSetup) {
  const std::string empty = absl::StrCat(std::getenv("TEST_TMPDIR"), "/nopg");
  ASSERT_EQ(::mkdir(empty.c_str(), 0700), 0);
  ScopedEnv env("SECRETD_PG_INSTALL_DIR", empty.c_str());
  EXPECT_THAT(TestPostgresServer::Start(),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr("PostgreSQL server not installed"),
                             HasSubstr("run tools/setup"))));
}

TEST(TestPostgresServerTest, ServerOfAKilledProcessIsStoppedAndRemoved) {
  const std::string helper = absl::StrCat(
      std::getenv("TEST_SRCDIR"), "/", std::getenv("TEST_WORKSPACE"),
      "/secretd/store/testing/postgres_test_server_helper");
  common::testing::ProcessResult killed = common::testing::RunProcess({helper});
  ASSERT_EQ(killed.exit_code, 128 + 9) << killed.err;
  std::vector<std::string> fields =
      absl::StrSplit(absl::StripSuffix(killed.out, "\n"), ' ');
  ASSERT_EQ(fields.size(), 2u) << killed.out;
  const std::string& dir = fields[0];
  const std::string& url = fields[1];
  ASSERT_THAT(dir, StartsWith("/tmp/secretd-pg-"));
  // The helper saw its server answer; now the watchdog takes it down.
  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  while (Exists(dir) && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(100));
  }
  EXPECT_FALSE(Exists(dir)) << dir << " is still there";
  EXPECT_THAT(QueryPostgres(url, "SELECT 1"),
              StatusIs(absl::StatusCode::kUnavailable));
}

}  // namespace
}  // namespace secretd::testing
