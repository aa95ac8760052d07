// Makes a data directory for the broker benchmarks: keys, an attestor
// (Ed25519, its JWKS trusted), a role "bench" with a realistic policy (and
// "bench-once", the same with single-use tokens), and secrets. Prints
// {"data_dir", "key", "kid", "issuer", "audience"} as JSON.
//
//   bench_setup --dir /tmp/bench
//   bench_setup --dir /tmp/bench --store postgresql://...   (state in
//       PostgreSQL, for replicas; the data directory still holds the keys)
#include <sys/stat.h>

#include <iostream>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "keys/jwk.h"
#include "keys/key_files.h"
#include "keys/random.h"
#include "keys/signature.h"
#include "nlohmann/json.hpp"
#include "secretd/datadir/data_dir.h"
#include "secretd/keyring/keyring.h"
#include "secretd/store/postgres_store.h"
#include "secretd/store/sqlite_store.h"
#include "secretd/vault/secret_vault.h"

namespace {

constexpr char kIssuer[] = "attest.bench";
constexpr char kKid[] = "bench-key-1";

// About what a real deployment has: issuer pinned, image and tag conditions,
// a token age limit; reads scoped by prefix with a deny guard.
constexpr char kTrust[] = R"({"Version":"2012-10-17","Statement":[
  {"Sid":"BenchInstances","Effect":"Allow","Principal":{"Attestor":["attest.bench"]},
   "Action":"secretd:AssumeRole",
   "Condition":{"StringLike":{"claim:image_id":"ami-0*"},
                "StringEquals":{"claim:tags/env":"bench"},
                "NumericLessThan":{"secretd:TokenAge":300}}},
  {"Sid":"NoQuarantine","Effect":"Deny","Principal":{"Attestor":"*"},
   "Action":"secretd:AssumeRole",
   "Condition":{"StringEquals":{"claim:tags/env":"quarantine"}}}]})";
constexpr char kRead[] = R"({"Version":"2012-10-17","Statement":[
  {"Sid":"App","Effect":"Allow","Action":"secrets:Get","Resource":"secret/app/bench/*"},
  {"Sid":"Hosts","Effect":"Allow","Action":"secrets:Get",
   "Resource":"secret/hosts/${claim:sub}/*"},
  {"Sid":"NeverRoot","Effect":"Deny","Action":"secrets:*","Resource":"secret/*/root"}]})";

int Fail(const absl::Status& s) {
  std::cerr << "bench_setup: " << s << "\n";
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if ((argc != 3 && argc != 5) || std::string(argv[1]) != "--dir" ||
      (argc == 5 && std::string(argv[3]) != "--store")) {
    std::cerr << "usage: bench_setup --dir DIR [--store postgresql://...]\n";
    return 2;
  }
  const std::string dir = argv[2];
  const std::string store_url = argc == 5 ? argv[4] : "";
  mkdir(dir.c_str(), 0700);
  const std::string data = dir + "/data";
  common::RealClock clock;
  keys::SystemRandom random;
  if (auto r = secretd::InitDataDir(data, {}, clock); !r.ok()) {
    return Fail(r.status());
  }
  auto key =
      keys::Jwk::Generate(keys::SignatureAlgorithm::kEdDSA, kKid, random);
  if (!key.ok()) return Fail(key.status());
  const std::string key_path = dir + "/attest.key";
  if (auto s = keys::WriteSigningKeyFile(key_path, *key); !s.ok()) {
    return Fail(s);
  }
  nlohmann::json jwks = {{"keys", {key->ToPublicJson()}}};

  secretd::DataDirLayout layout(data);
  absl::StatusOr<std::unique_ptr<secretd::Store>> store;
  if (store_url.empty()) {
    auto sqlite = secretd::SqliteStore::Open(layout.store_db, clock, {});
    if (!sqlite.ok()) return Fail(sqlite.status());
    store = std::unique_ptr<secretd::Store>(*std::move(sqlite));
  } else {
    auto pg = secretd::PostgresStore::Open(store_url, clock, {});
    if (!pg.ok()) return Fail(pg.status());
    store = std::unique_ptr<secretd::Store>(*std::move(pg));
  }
  auto keyring = secretd::Keyring::Load(layout, {});
  if (!keyring.ok()) return Fail(keyring.status());
  if (auto s = (*store)->PutTrustBundle(kIssuer, jwks.dump()); !s.ok()) {
    return Fail(s);
  }
  // "bench", and "bench-once" with single-use tokens (a durable token
  // record per call).
  for (bool single_use : {false, true}) {
    secretd::RoleRecord role;
    role.name = single_use ? "bench-once" : "bench";
    role.trust_policy = {"trust.json", kTrust};
    role.permission_policies = {{"read.json", kRead}};
    role.single_use_tokens = single_use;
    if (auto s = (*store)->PutRole(role); !s.ok()) return Fail(s);
  }
  auto keys = (*keyring)->Current();
  secretd::SecretVault vault(**store, keys->ring, random);
  for (int i = 1; i <= 8; ++i) {
    // 64-byte values: a password or an API key.
    auto v = vault.Put(absl::StrCat("app/bench/s", i),
                       keys::RandomSecretBytes(random, 64));
    if (!v.ok()) return Fail(v.status());
  }
  std::cout << nlohmann::json{{"data_dir", data},
                              {"key", key_path},
                              {"kid", kKid},
                              {"issuer", kIssuer},
                              {"audience", "secretd.bench"}}
                   .dump()
            << "\n";
  return 0;
}
