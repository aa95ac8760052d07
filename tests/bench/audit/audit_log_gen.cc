// Writes a large, valid, signed audit log (secretd/audit/testing/
// log_generator.h) and the public key that verifies it, for measurements
// with the real binary:
//
//   bazel run -c opt //tests/bench/audit:audit_log_gen -- /tmp/big 1024
//   /usr/bin/time -v secretctl audit verify --audit-public-key
//       /tmp/big/audit.pub /tmp/big/audit-host-a.jsonl
//
// Arguments: DIR (created if missing), the size in MiB, and optionally the
// replica id (default host-a; it also seeds the generator).
#include <sys/stat.h>

#include <cstdio>
#include <functional>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "keys/key_files.h"
#include "secretd/audit/testing/log_generator.h"
#include "secretd/audit/testing/test_signer.h"

int main(int argc, char** argv) {
  uint64_t mib = 0;
  if (argc < 3 || argc > 4 || !absl::SimpleAtoi(argv[2], &mib) || mib == 0) {
    std::fprintf(stderr, "usage: audit_log_gen DIR MIB [REPLICA]\n");
    return 2;
  }
  const std::string dir = argv[1];
  mkdir(dir.c_str(), 0700);
  secretd::audit::testing::TestSigner signer;
  secretd::audit::testing::GenerateLogOptions o;
  o.replica = argc == 4 ? argv[3] : "host-a";
  o.seed = static_cast<uint32_t>(std::hash<std::string>{}(o.replica));
  o.path = dir + "/audit-" + o.replica + ".jsonl";
  o.target_bytes = mib << 20;
  auto g = secretd::audit::testing::GenerateLog(o, signer);
  if (!g.ok()) {
    std::fprintf(stderr, "audit_log_gen: %s\n", g.status().ToString().c_str());
    return 1;
  }
  const auto& pk = signer.public_key();
  if (absl::Status s = keys::WritePublicKeyFile(
          dir + "/audit.pub", std::string(pk.begin(), pk.end()));
      !s.ok()) {
    std::fprintf(stderr, "audit_log_gen: %s\n", s.ToString().c_str());
    return 1;
  }
  std::printf("%s: %llu lines, %llu records, %llu checkpoints, %llu bytes\n",
              o.path.c_str(), static_cast<unsigned long long>(g->lines),
              static_cast<unsigned long long>(g->records),
              static_cast<unsigned long long>(g->checkpoints),
              static_cast<unsigned long long>(g->bytes));
  std::printf("%s/audit.pub: the audit public key\n", dir.c_str());
  return 0;
}
