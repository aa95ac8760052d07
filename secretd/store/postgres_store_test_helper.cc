// A child process for postgres_store_test: another replica writing to the
// same database.
//
//   postgres_store_test_helper add URL NAME COUNT
//       adds COUNT versions to secret NAME, printing "version <v>" after
//       each commit
//
// Exit: 0 when done, 1 on a store error (printed on stderr), 2 on bad
// arguments.
#include <cstdint>
#include <cstdio>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "secretd/store/postgres_store.h"
#include "secretd/store/store.h"

int main(int argc, char** argv) {
  int count = 0;
  if (argc != 5 || std::string(argv[1]) != "add" ||
      !absl::SimpleAtoi(argv[4], &count)) {
    std::fprintf(stderr, "usage: %s add URL NAME COUNT\n", argv[0]);
    return 2;
  }
  const std::string name = argv[3];
  common::RealClock clock;
  secretd::PostgresStore::Options options;
  options.pool_wait_timeout = absl::Seconds(30);
  auto store = secretd::PostgresStore::Open(argv[2], clock, options);
  if (!store.ok()) {
    std::fprintf(stderr, "%s\n", store.status().ToString().c_str());
    return 1;
  }
  for (int i = 0; i < count; ++i) {
    absl::StatusOr<int64_t> version = (*store)->AddSecretVersion(
        name, [&](int64_t v) -> absl::StatusOr<secretd::EncryptedSecretFields> {
          return secretd::EncryptedSecretFields{"kek", absl::StrCat("wk", v),
                                                absl::StrCat("ct", v)};
        });
    if (!version.ok()) {
      std::fprintf(stderr, "%s\n", version.status().ToString().c_str());
      return 1;
    }
    std::printf("version %lld\n", static_cast<long long>(*version));
    std::fflush(stdout);
  }
  return 0;
}
