// Fuzzes ResponseVerifier::Verify (bootstrap/response_check.h): the agent's
// checks of the broker's answer against its own request.
//
// The first input byte picks a mode:
//   0: the rest is the SecretBundle plaintext, sealed and signed correctly;
//   1: the rest is a list of edits applied to a correct bundle (so accepted
//      bundles and near misses are both reached), then sealed and signed;
//   2: the rest is a whole ProvisionResponse (never validly signed).
// Properties: Verify accepts exactly when an independent reference check of
// the parsed bundle does (mode 2: never); an accepted release holds the
// requested names in request order with the bundle's versions and values;
// every refusal carries the verification exit code.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "bootstrap/exit_code.h"
#include "bootstrap/response_check.h"
#include "bootstrap/testing/release_builder.h"
#include "keys/ed25519.h"
#include "keys/encoding.h"
#include "keys/x25519.h"

namespace {

using bootstrap::testing::ReleaseInput;

constexpr int64_t kNow = 1700000000;
constexpr char kRequestId[] = "req-fuzz";

void Check(bool ok) {
  if (!ok) std::abort();
}

struct Fixture {
  Fixture()
      : release(*keys::Ed25519Signer::FromSeed(
            keys::SecretBytes::CopyFrom(std::string(32, '\x07')))),
        recipient(*keys::X25519KeyPair::FromPrivateKey(
            keys::SecretBytes::CopyFrom(std::string(32, '\x42')))),
        verifier(*bootstrap::ResponseVerifier::Create(release->public_key())) {
    expected.role = "web";
    expected.subject = "i-1";
    expected.token_id = "jti-1";
    expected.token_sha256 = keys::Sha256("token");
    expected.secrets = {{"app/db/password", 3}, {"app/api", std::nullopt}};
    correct.request_id = kRequestId;
    correct.role = "web";
    correct.subject = "i-1";
    correct.token_id = "jti-1";
    correct.token_sha256 = expected.token_sha256;
    correct.issued_at = kNow;
    correct.expires_at = kNow + 600;
    correct.secrets = {{"app/api", 1, "k"}, {"app/db/password", 3, "pw"}};
  }
  std::unique_ptr<keys::Ed25519Signer> release;
  keys::X25519KeyPair recipient;
  bootstrap::ResponseVerifier verifier;
  bootstrap::ExpectedBundle expected;
  ReleaseInput correct;
};

// The reference: what the agent must accept, written independently.
bool ReferenceAccepts(const Fixture& f, const std::string& plaintext,
                      int64_t response_expires_at) {
  secretd::v1::SecretBundle b;
  if (!b.ParseFromString(plaintext)) return false;
  if (b.request_id() != kRequestId || b.role() != f.expected.role ||
      b.subject() != f.expected.subject ||
      b.token_id() != f.expected.token_id ||
      b.token_sha256() != f.expected.token_sha256 ||
      b.expires_at() != response_expires_at || b.expires_at() <= kNow ||
      b.issued_at() > b.expires_at() ||
      b.secrets_size() != static_cast<int>(f.expected.secrets.size())) {
    return false;
  }
  for (const secretd::SecretRef& ref : f.expected.secrets) {
    int count = 0;
    for (const secretd::v1::Secret& s : b.secrets()) {
      if (s.name() != ref.name) continue;
      ++count;
      if (s.version() < 1) return false;
      if (ref.version && *ref.version != s.version()) return false;
    }
    if (count != 1) return false;
  }
  return true;
}

// Applies edits (op byte, argument byte) to a correct bundle.
ReleaseInput Edit(ReleaseInput in, const uint8_t* data, size_t size,
                  int64_t* response_expires_at) {
  for (size_t i = 0; i + 1 < size; i += 2) {
    const uint8_t arg = data[i + 1];
    const std::string s(1, static_cast<char>(arg));
    switch (data[i] % 12) {
      case 0:
        in.role += s;
        break;
      case 1:
        in.subject += s;
        break;
      case 2:
        in.token_id += s;
        break;
      case 3:
        in.token_sha256[arg % 32] ^= 1;
        break;
      case 4:
        in.request_id += s;
        break;
      case 5:
        in.expires_at += static_cast<int8_t>(arg) * 60;
        break;
      case 6:
        in.issued_at += static_cast<int8_t>(arg) * 60;
        break;
      case 7:
        if (!in.secrets.empty())
          in.secrets.erase(in.secrets.begin() + arg % in.secrets.size());
        break;
      case 8:
        if (!in.secrets.empty()) {
          in.secrets.push_back(in.secrets[arg % in.secrets.size()]);
        }
        break;
      case 9:
        if (!in.secrets.empty()) {
          in.secrets[arg % in.secrets.size()].version += (arg & 1) ? 1 : -1;
        }
        break;
      case 10:
        if (!in.secrets.empty()) {
          in.secrets[arg % in.secrets.size()].name += s;
        }
        break;
      case 11:
        *response_expires_at += static_cast<int8_t>(arg);
        break;
    }
  }
  return in;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const Fixture* f = new Fixture();
  if (size == 0) return 0;
  const uint8_t mode = data[0] % 3;
  const absl::Time now = absl::FromUnixSeconds(kNow);

  secretd::v1::ProvisionResponse response;
  std::string plaintext;
  int64_t response_expires_at = f->correct.expires_at;
  if (mode == 2) {
    if (!response.ParseFromArray(data + 1, static_cast<int>(size - 1))) {
      return 0;
    }
  } else {
    if (mode == 0) {
      plaintext.assign(reinterpret_cast<const char*>(data + 1), size - 1);
    } else {
      ReleaseInput in =
          Edit(f->correct, data + 1, size - 1, &response_expires_at);
      if (response_expires_at == f->correct.expires_at) {
        response_expires_at = in.expires_at;
      }
      plaintext = bootstrap::testing::SerializeBundle(in);
    }
    response = bootstrap::testing::SealAndSign(
        kRequestId, plaintext, response_expires_at, f->recipient.public_key(),
        *f->release);
  }

  absl::StatusOr<bootstrap::VerifiedRelease> r =
      f->verifier.Verify(response, f->expected, f->recipient, now);
  const bool want =
      mode != 2 && ReferenceAccepts(*f, plaintext, response_expires_at);
  // The unedited bundle is correct: the fixture itself is checked.
  if (mode == 1 && size == 1) Check(want);
  Check(r.ok() == want);
  if (!r.ok()) {
    Check(bootstrap::ExitCodeOf(r.status()) ==
          bootstrap::ExitCode::kVerificationFailed);
    return 0;
  }
  secretd::v1::SecretBundle b;
  Check(b.ParseFromString(plaintext));
  Check(r->request_id == kRequestId);
  Check(r->secrets.size() == f->expected.secrets.size());
  const keys::SecretAccess access = keys::InsecureSecretAccess::Get();
  for (size_t i = 0; i < r->secrets.size(); ++i) {
    Check(r->secrets[i].name == f->expected.secrets[i].name);
    bool found = false;
    for (const secretd::v1::Secret& s : b.secrets()) {
      if (s.name() != r->secrets[i].name) continue;
      found = true;
      Check(s.version() == r->secrets[i].version);
      Check(s.value() == r->secrets[i].value.AsStringView(access));
    }
    Check(found);
  }
  return 0;
}
