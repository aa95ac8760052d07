// End to end: the real `secretd serve` on a loopback port, tokens made by the
// real `secretctl attest`, a C++ gRPC client over TLS pinned to the data
// directory's CA. Every rejection path is checked for its status code and
// the reason in the audit record; every call must add exactly one record.
#include <dirent.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/logging.h"
#include "common/testing/fake_clock.h"
#include "common/testing/status_matchers.h"
#include "common/testing/subprocess.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "keys/challenge.h"
#include "keys/ed25519.h"
#include "keys/encoding.h"
#include "keys/key_files.h"
#include "keys/random.h"
#include "keys/x25519.h"
#include "nlohmann/json.hpp"
#include "proto/grpc/health/v1/health.grpc.pb.h"
#include "proto/secretd/v1/broker.grpc.pb.h"
#include "secretd/audit/record.h"
#include "tests/e2e/broker/harness.h"

namespace secretd::testing {
namespace {

using ::common::testing::IsOk;
using ::grpc::health::v1::HealthCheckRequest;
using ::grpc::health::v1::HealthCheckResponse;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::UnorderedElementsAreArray;
using Json = nlohmann::json;

constexpr char kAudience[] = "secretd.e2e";
constexpr char kIssuer[] = "attest.e2e";

constexpr char kTrust[] = R"({"Version":"2012-10-17","Statement":[
  {"Sid":"Instances","Effect":"Allow","Principal":{"Attestor":["attest.e2e"]},
   "Action":"secretd:AssumeRole"},
  {"Sid":"NoQuarantine","Effect":"Deny","Principal":{"Attestor":"*"},
   "Action":"secretd:AssumeRole",
   "Condition":{"StringEquals":{"claim:tags/env":"quarantine"}}}]})";
constexpr char kTrustOther[] = R"({"Version":"2012-10-17","Statement":[
  {"Sid":"OtherOnly","Effect":"Allow","Principal":{"Attestor":["attest.other"]},
   "Action":"secretd:AssumeRole"}]})";
constexpr char kRead[] = R"({"Version":"2012-10-17","Statement":[
  {"Sid":"App","Effect":"Allow","Action":"secrets:Get","Resource":"secret/app/*"},
  {"Sid":"NeverForbidden","Effect":"Deny","Action":"secrets:Get",
   "Resource":"secret/app/forbidden"}]})";
constexpr char kReadOther[] = R"({"Version":"2012-10-17","Statement":[
  {"Sid":"Other","Effect":"Allow","Action":"secrets:Get","Resource":"secret/other/*"}]})";

constexpr char kDbPassword[] = "e2e-db-password-7Qw9";
constexpr char kTlsV1[] = "e2e-tls-key-version-one";
constexpr char kTlsV2[] = "e2e-tls-key-version-two";

int64_t Now() { return absl::ToUnixSeconds(absl::Now()); }

// What one Provision call returned.
struct Call {
  grpc::Status status;
  secretd::v1::ProvisionResponse response;
  std::string request_id;
};

// A data directory with trust, roles and secrets, attestors, and clients.
class Environment {
 public:
  static absl::StatusOr<std::unique_ptr<Environment>> Create() {
    auto env = std::unique_ptr<Environment>(new Environment());
    auto dir = TestDataDir::Create(TempPath("data"));
    if (!dir.ok()) return dir.status();
    env->dir = *std::move(dir);
    env->audit_dir = env->dir->layout().audit_dir;
    const std::string keys_dir = TempPath("attest");
    if (mkdir(keys_dir.c_str(), 0700) != 0) {
      return absl::InternalError("mkdir attest");
    }
    const std::string impostor_dir = keys_dir + "/impostor";
    mkdir(impostor_dir.c_str(), 0700);
    auto main = Attestor::Create(keys_dir, kIssuer, "e2e-key-1");
    auto impostor = Attestor::Create(impostor_dir, kIssuer, "e2e-key-1");
    auto other_kid = Attestor::Create(keys_dir, kIssuer, "e2e-key-2");
    if (!main.ok()) return main.status();
    if (!impostor.ok()) return impostor.status();
    if (!other_kid.ok()) return other_kid.status();
    env->attestor = *std::move(main);
    env->impostor = *std::move(impostor);
    env->other_kid = *std::move(other_kid);
    absl::Status s = env->dir->PutTrust(kIssuer, env->attestor.jwks_json());
    if (s.ok()) s = env->dir->PutRole("web", kTrust, kRead);
    if (s.ok()) s = env->dir->PutRole("once", kTrust, kRead, 600, 3600, true);
    if (s.ok()) s = env->dir->PutRole("closed", kTrustOther, kRead);
    if (!s.ok()) return s;
    for (auto [name, value] : std::vector<std::pair<std::string, std::string>>{
             {"app/db/password", kDbPassword},
             {"app/tls", kTlsV1},
             {"app/tls", kTlsV2},
             {"app/forbidden", "e2e-forbidden-value"},
             {"other/thing", "e2e-other-value"}}) {
      auto v = env->dir->PutSecret(name, value);
      if (!v.ok()) return v.status();
    }
    return env;
  }

  // `launcher`: see ServerProcess::Start.
  absl::Status StartServer(std::vector<std::string> extra = {},
                           const std::vector<std::string>& launcher = {}) {
    std::vector<std::string> args = {"--data-dir",       dir->root(),
                                     "--audience",       kAudience,
                                     "--metrics-listen", "127.0.0.1:0"};
    bool has_replica = false;
    for (const auto& a : extra) has_replica |= a == "--replica-id";
    if (!has_replica) {
      args.push_back("--replica-id");
      args.push_back(replica);
    }
    args.insert(args.end(), extra.begin(), extra.end());
    auto server_or = ServerProcess::Start(args, absl::Seconds(30), launcher);
    if (!server_or.ok()) return server_or.status();
    server = *std::move(server_or);
    channel = TlsChannel(*dir, server->port());
    stub = secretd::v1::Broker::NewStub(channel);
    health = grpc::health::v1::Health::NewStub(channel);
    return absl::OkStatus();
  }

  std::string AuditPath() const { return dir->AuditPath(replica, audit_dir); }

  static void Deadline(grpc::ClientContext* ctx) {
    ctx->set_deadline(std::chrono::system_clock::now() +
                      std::chrono::seconds(30));
  }

  secretd::v1::GetChallengeResponse Challenge() {
    grpc::ClientContext ctx;
    Deadline(&ctx);
    secretd::v1::GetChallengeResponse r;
    grpc::Status s = stub->GetChallenge(&ctx, {}, &r);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return r;
  }

  std::string Token(const Attestor::IssueOptions& o = {}) {
    return TokenFrom(attestor, o);
  }

  // A token from another signer (an impostor, an unknown kid).
  std::string TokenFrom(const Attestor& signer,
                        const Attestor::IssueOptions& o = {}) {
    Attestor::IssueOptions options = o;
    if (options.audience.empty()) options.audience = kAudience;
    auto t = signer.Issue(Challenge().challenge(), pair.public_key(), options);
    EXPECT_THAT(t, IsOk());
    return t.value_or("");
  }

  // Claims as secretctl would make them, for in-process signing.
  Json Claims() {
    return Json{{"iss", kIssuer},
                {"sub", "i-0e2e"},
                {"aud", kAudience},
                {"iat", Now()},
                {"exp", Now() + 300},
                {"jti", keys::Base64UrlEncode(keys::RandomBytes(random, 16))},
                {"nonce", Challenge().challenge()},
                {"cnf",
                 {{"jwk",
                   {{"kty", "OKP"},
                    {"crv", "X25519"},
                    {"x", keys::Base64UrlEncode(pair.public_key())}}}}}};
  }

  Call RawProvision(const secretd::v1::ProvisionRequest& request) {
    Call c;
    grpc::ClientContext ctx;
    Deadline(&ctx);
    c.status = stub->Provision(&ctx, request, &c.response);
    c.request_id = c.status.ok() ? c.response.request_id()
                                 : RequestIdIn(c.status.error_message());
    return c;
  }

  // A Provision that must add exactly one audit record, with its id.
  Call Provision(const std::string& token, const std::string& role,
                 const std::vector<std::string>& secrets) {
    const size_t before = CountProvisionRecords(ReadAuditLog(AuditPath()));
    secretd::v1::ProvisionRequest request;
    request.set_attestation_token(token);
    request.set_role(role);
    for (const auto& s : secrets) request.add_secrets(s);
    Call c = RawProvision(request);
    std::vector<Json> log = ReadAuditLog(AuditPath());
    EXPECT_EQ(CountProvisionRecords(log), before + 1)
        << "every Provision adds exactly one audit record";
    EXPECT_EQ(c.request_id.size(), 16u) << c.status.error_message();
    EXPECT_EQ(RecordsFor(log, c.request_id).size(), 1u);
    return c;
  }

  Json RecordOf(const Call& c) {
    std::vector<Json> r = RecordsFor(ReadAuditLog(AuditPath()), c.request_id);
    return r.size() == 1 ? r[0] : Json();
  }

  // Opens the bundle after checking the release signature with
  // keys/release.pub.
  secretd::v1::SecretBundle Open(const secretd::v1::ProvisionResponse& r) {
    secretd::v1::SecretBundle bundle;
    auto pub = keys::ReadPublicKeyFile(dir->layout().release_pub);
    EXPECT_THAT(pub, IsOk());
    if (!pub.ok()) return bundle;
    EXPECT_EQ(r.release_key_id(), keys::PublicKeyId(*pub));
    auto verifier = keys::Ed25519Verifier::Create(*pub);
    EXPECT_THAT(verifier, IsOk());
    EXPECT_THAT((*verifier)->Verify(
                    absl::StrCat(std::string("secretd-release-v1\0", 19),
                                 pair.public_key(), r.sealed_bundle()),
                    r.signature()),
                IsOk());
    auto opened = keys::OpenSealed(pair, r.sealed_bundle());
    EXPECT_THAT(opened, IsOk());
    if (!opened.ok()) return bundle;
    EXPECT_TRUE(bundle.ParseFromString(
        std::string(opened->AsStringView(keys::InsecureSecretAccess::Get()))));
    return bundle;
  }

  HealthCheckResponse::ServingStatus Health(const std::string& service) {
    grpc::ClientContext ctx;
    Deadline(&ctx);
    HealthCheckRequest req;
    req.set_service(service);
    HealthCheckResponse resp;
    grpc::Status s = health->Check(&ctx, req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.status();
  }

  std::string Metrics() {
    auto text = HttpGet(server->metrics_port(), "/metrics");
    EXPECT_THAT(text, IsOk());
    return text.value_or("");
  }

  std::string replica = "e2e";
  std::unique_ptr<TestDataDir> dir;
  // Where this process reads the server's audit log: the data directory's
  // audit/, unless the server has its own (a test's tmpfs).
  std::string audit_dir;
  Attestor attestor, impostor, other_kid;
  keys::SystemRandom random;
  keys::X25519KeyPair pair = keys::X25519KeyPair::Generate();
  std::unique_ptr<ServerProcess> server;
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<secretd::v1::Broker::Stub> stub;
  std::unique_ptr<grpc::health::v1::Health::Stub> health;

 private:
  Environment() = default;
};

// ---- Key material in logs ----

// One private key of the data directory in one encoding in which a careless
// log line could carry it.
struct KeyForm {
  std::string what;  // "keys/kek: hex", never the key itself
  std::string text;
  // `text` as it reads back from an audit record that carried it:
  // audit::SerializeLine replaces invalid UTF-8 by U+FFFD, so raw key bytes
  // cannot be read back from the audit log; this is what is left of them.
  // Equal to `text` when that is valid UTF-8.
  std::string in_audit_record;
};

// The string member "key" of a JSON line, decoded; "" if it has none.
std::string KeyMemberOf(absl::string_view line) {
  const Json j = Json::parse(line, nullptr, false);
  return j.is_object() && j.contains("key") && j["key"].is_string()
             ? j["key"].get<std::string>()
             : std::string();
}

// A provision audit record whose member "key" is `text`, serialised by the
// audit writer's own function (with its "\n").
std::string AuditLineWithKey(const std::string& text) {
  audit::Record record;
  record.type = "provision";
  record.request_id = "0123456789abcdef";
  record.fields["key"] = text;
  return audit::SerializeLine(record, 1, absl::FromUnixSeconds(1700000000),
                              "e2e", audit::GenesisPrev());
}

// A KeyForm of `text`, with what an audit record keeps of it.
KeyForm MakeKeyForm(std::string what, std::string text) {
  std::string in_audit_record = KeyMemberOf(AuditLineWithKey(text));
  return {std::move(what), std::move(text), std::move(in_audit_record)};
}

// Raw, lower- and upper-case hex, standard base64 (without the padding, so
// that padded text matches too) and base64url of `bytes`.
void AddByteForms(const std::string& what, const std::string& bytes,
                  std::vector<KeyForm>* forms) {
  std::string base64 = absl::Base64Escape(bytes);
  base64.erase(base64.find_last_not_of('=') + 1);
  forms->push_back(MakeKeyForm(absl::StrCat(what, ": raw bytes"), bytes));
  forms->push_back(
      MakeKeyForm(absl::StrCat(what, ": hex"), keys::HexEncode(bytes)));
  forms->push_back(MakeKeyForm(absl::StrCat(what, ": HEX"),
                               absl::AsciiStrToUpper(keys::HexEncode(bytes))));
  forms->push_back(MakeKeyForm(absl::StrCat(what, ": base64"), base64));
  forms->push_back(MakeKeyForm(absl::StrCat(what, ": base64url"),
                               keys::Base64UrlEncode(bytes)));
}

// The private scalar of a PEM EC key, as OpenSSL reads it.
absl::StatusOr<std::string> EcPrivateScalar(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  BIGNUM* priv = nullptr;
  std::string scalar;
  if (key != nullptr &&
      EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_PRIV_KEY, &priv) == 1) {
    scalar.resize(static_cast<size_t>((EVP_PKEY_get_bits(key) + 7) / 8));
    if (BN_bn2binpad(priv, reinterpret_cast<unsigned char*>(scalar.data()),
                     static_cast<int>(scalar.size())) < 0) {
      scalar.clear();
    }
  }
  BN_clear_free(priv);
  EVP_PKEY_free(key);
  if (scalar.empty()) return absl::InternalError("not an EC private key");
  return scalar;
}

// Every private key of the data directory (the KEKs, the release and audit
// signing keys, the TLS key) in every form of AddByteForms, plus the key
// files' own text: the KEK file's line, the JWKs' "d", each base64 line of
// the PEM body. Forms shorter than 16 bytes (a short last PEM line) are left
// out: they could match by chance, and the whole DER covers them.
absl::StatusOr<std::vector<KeyForm>> PrivateKeyForms(
    const DataDirLayout& layout) {
  // "keys/kek" for DATA_DIR/keys/kek.
  auto relative = [&layout](const std::string& path) {
    return path.substr(layout.root.size() + 1);
  };
  std::vector<KeyForm> forms;
  std::vector<std::string> keks = {layout.kek};
  if (DIR* d = opendir(layout.kek_retired_dir.c_str()); d != nullptr) {
    while (dirent* e = readdir(d)) {
      if (e->d_name[0] != '.') {
        keks.push_back(absl::StrCat(layout.kek_retired_dir, "/", e->d_name));
      }
    }
    closedir(d);
  }
  for (const std::string& path : keks) {
    absl::StatusOr<std::string> text = ReadFile(path);
    if (!text.ok()) return text.status();
    const std::string line(absl::StripAsciiWhitespace(*text));
    absl::StatusOr<std::string> bytes = keys::Base64UrlDecode(line);
    if (!bytes.ok()) return bytes.status();
    forms.push_back(
        MakeKeyForm(absl::StrCat(relative(path), ": file text"), line));
    AddByteForms(relative(path), *bytes, &forms);
  }
  for (const std::string& path : {layout.release_key, layout.audit_key}) {
    absl::StatusOr<std::string> text = ReadFile(path);
    if (!text.ok()) return text.status();
    const Json jwk = Json::parse(*text, nullptr, false);
    if (!jwk.is_object() || !jwk.contains("d") || !jwk["d"].is_string()) {
      return absl::InternalError(absl::StrCat(path, " is not a private JWK"));
    }
    absl::StatusOr<std::string> seed =
        keys::Base64UrlDecode(jwk["d"].get<std::string>());
    if (!seed.ok()) return seed.status();
    AddByteForms(absl::StrCat(relative(path), " (d)"), *seed, &forms);
  }
  absl::StatusOr<std::string> pem = ReadFile(layout.server_key);
  if (!pem.ok()) return pem.status();
  std::string body;
  for (absl::string_view line : absl::StrSplit(*pem, '\n')) {
    if (line.empty() || absl::StartsWith(line, "-----")) continue;
    forms.push_back(
        MakeKeyForm(absl::StrCat(relative(layout.server_key), ": PEM line"),
                    std::string(line)));
    absl::StrAppend(&body, line);
  }
  std::string der;
  if (body.empty() || !absl::Base64Unescape(body, &der)) {
    return absl::InternalError(absl::StrCat(layout.server_key, " is not PEM"));
  }
  AddByteForms(absl::StrCat(relative(layout.server_key), " (DER)"), der,
               &forms);
  absl::StatusOr<std::string> scalar = EcPrivateScalar(*pem);
  if (!scalar.ok()) return scalar.status();
  AddByteForms(absl::StrCat(relative(layout.server_key), " (private scalar)"),
               *scalar, &forms);
  forms.erase(
      std::remove_if(forms.begin(), forms.end(),
                     [](const KeyForm& f) { return f.text.size() < 16; }),
      forms.end());
  // Longest first, so that the first form found in a line is the one it
  // holds and not a part of it (the scalar inside the DER, a PEM line inside
  // the DER's base64); a form whose text an earlier one has (a KEK file's
  // line is its base64url) is dropped.
  std::stable_sort(forms.begin(), forms.end(),
                   [](const KeyForm& a, const KeyForm& b) {
                     return a.text.size() > b.text.size();
                   });
  std::set<std::string> seen;
  forms.erase(std::remove_if(forms.begin(), forms.end(),
                             [&seen](const KeyForm& f) {
                               return !seen.insert(f.text).second;
                             }),
              forms.end());
  return forms;
}

// Appends every string value of `j`, one per line.
void AppendStrings(const Json& j, std::string* out) {
  if (j.is_string()) {
    absl::StrAppend(out, j.get<std::string>(), "\n");
  } else if (j.is_structured()) {
    for (const Json& v : j) AppendStrings(v, out);
  }
}

// Appends every JSON string literal of `line` (member names too), one per
// line, decoded with each `\u0000`..`\u00ff` escape taken as the byte it
// names rather than as that code point in UTF-8. common::log writes each byte
// of invalid UTF-8 as such an escape (and valid UTF-8 as is), so raw key bytes
// logged through it read back here as themselves. Other escapes decode as
// JSON says (a `\uXXXX` above 0xff as its UTF-8, surrogates one by one: the
// plain JSON decoding of LogContent covers pairs).
void AppendStringsAsBytes(absl::string_view line, std::string* out) {
  auto hex_digit = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  bool in_string = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (!in_string) {
      in_string = c == '"';
      continue;
    }
    if (c == '"') {
      out->push_back('\n');
      in_string = false;
      continue;
    }
    if (c != '\\' || i + 1 == line.size()) {
      out->push_back(c);
      continue;
    }
    const char e = line[++i];
    switch (e) {
      case 'b':
        out->push_back('\b');
        break;
      case 'f':
        out->push_back('\f');
        break;
      case 'n':
        out->push_back('\n');
        break;
      case 'r':
        out->push_back('\r');
        break;
      case 't':
        out->push_back('\t');
        break;
      case 'u': {
        uint32_t cp = 0;
        size_t j = i + 1;
        for (; j < line.size() && j < i + 5 && hex_digit(line[j]) >= 0; ++j) {
          cp = cp * 16 + static_cast<uint32_t>(hex_digit(line[j]));
        }
        if (j != i + 5) {  // not an escape: keep the text
          out->append("\\u");
          break;
        }
        i += 4;
        if (cp <= 0xff) {
          out->push_back(static_cast<char>(cp));
        } else if (cp <= 0x7ff) {
          out->push_back(static_cast<char>(0xc0 | (cp >> 6)));
          out->push_back(static_cast<char>(0x80 | (cp & 0x3f)));
        } else {
          out->push_back(static_cast<char>(0xe0 | (cp >> 12)));
          out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
          out->push_back(static_cast<char>(0x80 | (cp & 0x3f)));
        }
        break;
      }
      default:  // \" \\ \/, and anything else as itself
        out->push_back(e);
    }
  }
  if (in_string) out->push_back('\n');
}

// What a log holds: its text as written, then every string value of its
// JSON lines decoded (so that an escape such as "\/" or "\u0041" hides
// nothing), then every string literal of each line decoded byte for byte
// (AppendStringsAsBytes: how raw bytes read back from common::log's lines).
std::string LogContent(absl::string_view text) {
  std::string out(text);
  out += "\n";
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    AppendStrings(Json::parse(line, nullptr, false), &out);
  }
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    AppendStringsAsBytes(line, &out);
  }
  return out;
}

// The name of the first key form (PrivateKeyForms: the longest) in
// LogContent(text), as written or as an audit record keeps it; or "".
std::string KeyFoundIn(absl::string_view text,
                       const std::vector<KeyForm>& forms) {
  const std::string content = LogContent(text);
  for (const KeyForm& f : forms) {
    if (absl::StrContains(content, f.text) ||
        (!f.in_audit_record.empty() &&
         absl::StrContains(content, f.in_audit_record))) {
      return f.what;
    }
  }
  return "";
}

// Expects neither the log `env`'s server wrote on stderr so far nor its audit
// log to hold a private key of the data directory (PrivateKeyForms).
void ExpectNoPrivateKeyInLogs(const Environment& env) {
  absl::StatusOr<std::vector<KeyForm>> forms =
      PrivateKeyForms(env.dir->layout());
  ASSERT_THAT(forms, IsOk());
  EXPECT_EQ(KeyFoundIn(env.server->LogText(), *forms), "")
      << "is in the server's log";
  absl::StatusOr<std::string> audit = ReadFile(env.AuditPath());
  ASSERT_THAT(audit, IsOk());
  EXPECT_EQ(KeyFoundIn(*audit, *forms), "") << "is in the audit log";
}

// One server for the request-level tests (they run in order, sharing it).
class BrokerE2eTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto env = Environment::Create();
    if (!env.ok()) {
      *setup_error_ = env.status().ToString();
      return;
    }
    env_ = env->release();
    if (absl::Status s = env_->StartServer(); !s.ok()) {
      *setup_error_ = s.ToString();
    }
  }
  static void TearDownTestSuite() {
    delete env_;
    env_ = nullptr;
  }
  void SetUp() override {
    ASSERT_TRUE(setup_error_->empty()) << *setup_error_;
    ASSERT_NE(env_, nullptr);
  }

  void ExpectTokenRejected(const std::string& token,
                           const std::string& reason) {
    Call c = env_->Provision(token, "web", {"app/db/password"});
    EXPECT_EQ(c.status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
    EXPECT_EQ(c.status.error_message(),
              absl::StrCat("attestation token rejected (request ", c.request_id,
                           "); an operator can find the reason in the audit "
                           "log"));
    Json r = env_->RecordOf(c);
    EXPECT_EQ(r["reason"], reason);
    EXPECT_EQ(r["decision"], "deny");
    EXPECT_EQ(r["status"], "UNAUTHENTICATED");
    EXPECT_EQ(r["token_sha256"], keys::Sha256Hex(token));
    EXPECT_EQ(r["released"], Json::array());
  }

  static Environment* env_;
  static std::string* setup_error_;
};
Environment* BrokerE2eTest::env_ = nullptr;
std::string* BrokerE2eTest::setup_error_ = new std::string();

TEST_F(BrokerE2eTest, StartupLineNamesAddressAudienceReplicaAndReleaseKey) {
  const Json& line = env_->server->startup_line();
  EXPECT_EQ(line["listen"], absl::StrCat("127.0.0.1:", env_->server->port()));
  EXPECT_EQ(line["audience"], kAudience);
  EXPECT_EQ(line["replica"], "e2e");
  EXPECT_EQ(line["release_key_id"], env_->dir->release_key_id());
  EXPECT_EQ(line["tls"], true);
}

TEST_F(BrokerE2eTest, GetChallengeGivesAFreshChallengeAndTheAudience) {
  const int64_t now = Now();
  secretd::v1::GetChallengeResponse c = env_->Challenge();
  EXPECT_EQ(c.audience(), kAudience);
  EXPECT_EQ(c.challenge().size(), 54u);
  EXPECT_GE(c.expires_at(), now + 299);
  EXPECT_LE(c.expires_at(), now + 302);
  EXPECT_NE(env_->Challenge().challenge(), c.challenge());
}

TEST_F(BrokerE2eTest, FullFlowReleasesABundleThatAnswersTheRequest) {
  const std::string token = env_->Token();
  Call c = env_->Provision(token, "web", {"app/db/password", "app/tls@1"});
  ASSERT_TRUE(c.status.ok()) << c.status.error_message();
  secretd::v1::SecretBundle b = env_->Open(c.response);
  EXPECT_EQ(b.request_id(), c.response.request_id());
  EXPECT_EQ(b.role(), "web");
  EXPECT_EQ(b.subject(), "i-0e2e");
  EXPECT_EQ(b.token_sha256(), keys::Sha256(token));
  EXPECT_EQ(b.expires_at(), c.response.expires_at());
  EXPECT_NEAR(b.expires_at(), b.issued_at() + 3600, 0);
  ASSERT_EQ(b.secrets_size(), 2);
  EXPECT_EQ(b.secrets(0).name(), "app/db/password");
  EXPECT_EQ(b.secrets(0).version(), 1);
  EXPECT_EQ(b.secrets(0).value(), kDbPassword);
  EXPECT_EQ(b.secrets(1).name(), "app/tls");
  EXPECT_EQ(b.secrets(1).version(), 1);
  EXPECT_EQ(b.secrets(1).value(), kTlsV1);

  Json r = env_->RecordOf(c);
  EXPECT_EQ(r["type"], "provision");
  EXPECT_EQ(r["replica"], "e2e");
  EXPECT_EQ(r["decision"], "allow");
  EXPECT_EQ(r["reason"], "ok");
  EXPECT_EQ(r["status"], "OK");
  EXPECT_EQ(r["subject"], "i-0e2e");
  EXPECT_EQ(r["issuer"], kIssuer);
  EXPECT_EQ(r["role"], "web");
  EXPECT_EQ(r["token_sha256"], keys::Sha256Hex(token));
  EXPECT_EQ(r["recipient_key_sha256"],
            keys::Sha256Hex(env_->pair.public_key()));
  EXPECT_EQ(r["source_ip"], "127.0.0.1");
  EXPECT_EQ(r["released"],
            Json::parse(R"([{"name":"app/db/password","version":1},
                                           {"name":"app/tls","version":1}])"));
  EXPECT_EQ(r["expires_at"], c.response.expires_at());
}

TEST_F(BrokerE2eTest, CurrentVersionIsReleasedWhenNoneIsPinned) {
  Call c = env_->Provision(env_->Token(), "web", {"app/tls"});
  ASSERT_TRUE(c.status.ok()) << c.status.error_message();
  secretd::v1::SecretBundle b = env_->Open(c.response);
  ASSERT_EQ(b.secrets_size(), 1);
  EXPECT_EQ(b.secrets(0).version(), 2);
  EXPECT_EQ(b.secrets(0).value(), kTlsV2);
}

TEST_F(BrokerE2eTest, HealthIsServingForTheServerAndTheBroker) {
  EXPECT_EQ(env_->Health(""), HealthCheckResponse::SERVING);
  EXPECT_EQ(env_->Health("secretd.v1.Broker"), HealthCheckResponse::SERVING);
}

TEST_F(BrokerE2eTest, BadSignatureIsRejected) {
  ExpectTokenRejected(env_->TokenFrom(env_->impostor), "token.bad_signature");
}

TEST_F(BrokerE2eTest, UnknownIssuerIsRejected) {
  Attestor::IssueOptions o;
  o.issuer = "attest.unknown";
  ExpectTokenRejected(env_->Token(o), "token.unknown_issuer");
}

TEST_F(BrokerE2eTest, UnknownKidIsRejected) {
  ExpectTokenRejected(env_->TokenFrom(env_->other_kid), "token.unknown_kid");
}

TEST_F(BrokerE2eTest, ExpiredTokenIsRejected) {
  Attestor::IssueOptions o;
  o.extra_claims =
      absl::StrCat(R"({"iat":)", Now() - 400, R"(,"exp":)", Now() - 100, "}");
  ExpectTokenRejected(env_->Token(o), "token.expired");
}

TEST_F(BrokerE2eTest, TokenNotYetValidIsRejected) {
  Attestor::IssueOptions o;
  o.extra_claims = absl::StrCat(R"({"nbf":)", Now() + 120, "}");
  ExpectTokenRejected(env_->Token(o), "token.not_yet_valid");
}

TEST_F(BrokerE2eTest, WrongAudienceIsRejected) {
  Attestor::IssueOptions o;
  o.audience = "another.broker";
  ExpectTokenRejected(env_->Token(o), "token.wrong_audience");
}

TEST_F(BrokerE2eTest, LifetimeLongerThanTheRoleAllowsIsRejected) {
  Attestor::IssueOptions o;
  o.ttl_seconds = 3600;  // the role allows 600
  ExpectTokenRejected(env_->Token(o), "token.lifetime_too_long");
}

TEST_F(BrokerE2eTest, MissingNonceIsRejected) {
  Json claims = env_->Claims();
  claims.erase("nonce");
  auto token = env_->attestor.SignClaims(claims);
  ASSERT_THAT(token, IsOk());
  ExpectTokenRejected(*token, "token.nonce_missing");
}

TEST_F(BrokerE2eTest, ForgedNonceIsRejected) {
  Attestor::IssueOptions o;
  o.audience = kAudience;
  auto token = env_->attestor.Issue(
      keys::Base64UrlEncode(keys::RandomBytes(env_->random, 40)),
      env_->pair.public_key(), o);
  ASSERT_THAT(token, IsOk());
  ExpectTokenRejected(*token, "token.nonce_invalid");
}

TEST_F(BrokerE2eTest, ExpiredNonceIsRejected) {
  // A genuine challenge of this broker's key, issued 400 s ago.
  common::testing::FakeClock then(absl::Now() - absl::Seconds(400));
  auto challenger =
      keys::Challenger::FromKek(env_->dir->keyring().Current()->current);
  ASSERT_THAT(challenger, IsOk());
  Attestor::IssueOptions o;
  o.audience = kAudience;
  auto token = env_->attestor.Issue(challenger->Issue(then, env_->random).value,
                                    env_->pair.public_key(), o);
  ASSERT_THAT(token, IsOk());
  ExpectTokenRejected(*token, "token.nonce_expired");
}

TEST_F(BrokerE2eTest, MissingCnfIsRejected) {
  Json claims = env_->Claims();
  claims.erase("cnf");
  auto token = env_->attestor.SignClaims(claims);
  ASSERT_THAT(token, IsOk());
  ExpectTokenRejected(*token, "token.cnf_missing");
}

TEST_F(BrokerE2eTest, InvalidCnfKeyIsRejected) {
  Json claims = env_->Claims();
  claims["cnf"]["jwk"]["x"] = keys::Base64UrlEncode(std::string(32, '\0'));
  auto token = env_->attestor.SignClaims(claims);
  ASSERT_THAT(token, IsOk());
  ExpectTokenRejected(*token, "token.cnf_invalid");
}

TEST_F(BrokerE2eTest, ClaimsThatWouldAliasInThePolicyContextAreRejected) {
  Attestor::IssueOptions o;
  o.extra_claims = R"({"tags":{"env":"quarantine"},"TAGS":{"env":"prod"}})";
  ExpectTokenRejected(env_->Token(o), "token.claim_invalid");
}

TEST_F(BrokerE2eTest, TrustPolicyDenyIsPermissionDenied) {
  Attestor::IssueOptions o;
  o.extra_claims = R"({"tags":{"env":"quarantine"}})";
  Call c = env_->Provision(env_->Token(o), "web", {"app/db/password"});
  EXPECT_EQ(c.status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(c.status.error_message(),
            absl::StrCat("permission denied: this token may not assume role "
                         "\"web\" (request ",
                         c.request_id, ")"));
  Json r = env_->RecordOf(c);
  EXPECT_EQ(r["reason"], "trust.explicit_deny");
  EXPECT_EQ(r["statements"][0]["sid"], "NoQuarantine");
}

TEST_F(BrokerE2eTest, TrustPolicyWithoutAMatchingStatementIsPermissionDenied) {
  Call c = env_->Provision(env_->Token(), "closed", {"app/db/password"});
  EXPECT_EQ(c.status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(env_->RecordOf(c)["reason"], "trust.implicit_deny");
}

TEST_F(BrokerE2eTest, OneDeniedSecretAmongSeveralReleasesNothing) {
  Call c = env_->Provision(env_->Token(), "web",
                           {"app/db/password", "app/forbidden", "app/tls"});
  EXPECT_EQ(c.status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(c.status.error_message(),
            absl::StrCat("permission denied: role \"web\" may not read secret "
                         "\"app/forbidden\" (request ",
                         c.request_id, ")"));
  EXPECT_EQ(c.response.sealed_bundle(), "");
  Json r = env_->RecordOf(c);
  EXPECT_EQ(r["reason"], "permission.explicit_deny");
  EXPECT_EQ(r["decision"], "deny");
  EXPECT_EQ(r["released"], Json::array());
  EXPECT_EQ(r["denied"], Json::parse(R"(["app/forbidden"])"));
}

TEST_F(BrokerE2eTest, UnknownSecretGetsTheSameAnswerAsADeniedOne) {
  Call unknown = env_->Provision(env_->Token(), "web", {"app/no-such"});
  Call denied = env_->Provision(env_->Token(), "web", {"other/thing"});
  EXPECT_EQ(unknown.status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(denied.status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(unknown.status.error_message(),
            absl::StrCat("permission denied: role \"web\" may not read secret "
                         "\"app/no-such\" (request ",
                         unknown.request_id, ")"));
  EXPECT_EQ(env_->RecordOf(unknown)["reason"], "secret.not_found");
  EXPECT_EQ(env_->RecordOf(denied)["reason"], "permission.implicit_deny");
}

TEST_F(BrokerE2eTest, UnknownRoleIsPermissionDenied) {
  Call c = env_->Provision(env_->Token(), "no-such-role", {"app/tls"});
  EXPECT_EQ(c.status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(env_->RecordOf(c)["reason"], "role.not_found");
}

TEST_F(BrokerE2eTest, SingleUseTokenReplayIsRejected) {
  const std::string token = env_->Token();
  Call first = env_->Provision(token, "once", {"app/tls"});
  ASSERT_TRUE(first.status.ok()) << first.status.error_message();
  Call second = env_->Provision(token, "once", {"app/tls"});
  EXPECT_EQ(second.status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(env_->RecordOf(second)["reason"], "token.replayed");
}

TEST_F(BrokerE2eTest, MalformedRequestsAreInvalidArgument) {
  struct Case {
    std::string role;
    std::vector<std::string> secrets;
    std::string reason;
  };
  for (const Case& k : std::vector<Case>{
           {"web", {"app/../etc"}, "request.invalid_secret_name"},
           {"", {"app/tls"}, "request.invalid_role"},
           {"web", {"app/tls", "app/tls@1"}, "request.duplicate_secret"},
           {"web", {}, "request.no_secrets"}}) {
    Call c = env_->Provision(env_->Token(), k.role, k.secrets);
    EXPECT_EQ(c.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << k.reason;
    EXPECT_EQ(env_->RecordOf(c)["reason"], k.reason);
  }
  Call empty = env_->Provision("", "web", {"app/tls"});
  EXPECT_EQ(empty.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(env_->RecordOf(empty)["reason"], "request.token_missing");
}

TEST_F(BrokerE2eTest, RequestsOverTheLimitsAreResourceExhausted) {
  std::vector<std::string> many;
  for (int i = 0; i < 65; ++i) many.push_back(absl::StrCat("app/s", i));
  Call too_many = env_->Provision(env_->Token(), "web", many);
  EXPECT_EQ(too_many.status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(env_->RecordOf(too_many)["reason"], "request.too_many_secrets");

  Call big_token =
      env_->Provision(std::string(17 * 1024, 'e'), "web", {"app/tls"});
  EXPECT_EQ(big_token.status.error_code(),
            grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(env_->RecordOf(big_token)["reason"], "request.token_too_large");

  // Over --max-request-bytes gRPC refuses the message before the broker
  // sees it: no request id and no record.
  const size_t before = CountProvisionRecords(ReadAuditLog(env_->AuditPath()));
  secretd::v1::ProvisionRequest huge;
  huge.set_attestation_token(env_->Token());
  huge.set_role(std::string(70 * 1024, 'r'));
  huge.add_secrets("app/tls");
  Call c = env_->RawProvision(huge);
  EXPECT_EQ(c.status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(CountProvisionRecords(ReadAuditLog(env_->AuditPath())), before);
}

TEST_F(BrokerE2eTest, MetricsCountRequestsAndDecisions) {
  ASSERT_TRUE(env_->Provision(env_->Token(), "web", {"app/tls"}).status.ok());
  const std::string text = env_->Metrics();
  EXPECT_GE(MetricValue(
                text, R"(secretd_requests_total{method="Provision",code="OK"})")
                .value_or(0),
            1);
  EXPECT_GE(
      MetricValue(
          text,
          R"(secretd_provision_decisions_total{decision="allow",reason="ok"})")
          .value_or(0),
      1);
  EXPECT_EQ(MetricValue(text, R"(secretd_healthy{component="audit"})"), 1);
  EXPECT_GE(MetricValue(text, "secretd_audit_fsync_seconds_count").value_or(0),
            1);
  EXPECT_THAT(text, HasSubstr("secretd_request_duration_seconds_bucket"));
}

TEST_F(BrokerE2eTest, LogsCarryRequestIdsButNoSecretOrToken) {
  const std::string token = env_->Token();
  Call c = env_->Provision(token, "web", {"app/db/password"});
  ASSERT_TRUE(c.status.ok());
  EXPECT_TRUE(env_->server->WaitForLog([&](const Json& j) {
    return j.value("request_id", "") == c.request_id;
  }));
  const std::string log = env_->server->LogText();
  EXPECT_THAT(log, Not(HasSubstr(kDbPassword)));
  EXPECT_THAT(log, Not(HasSubstr(token.substr(token.rfind('.') + 1))));
  EXPECT_THAT(log, Not(HasSubstr(token.substr(0, 30))));

  // Nor a private key of the data directory, there or in the audit log. The
  // scan first proves that it finds each form of each key, and names that
  // form, in a line written by the logger's own formatter and in a record
  // written by the audit writer's own serialiser (each escapes raw bytes in
  // its own way), and in a line escaping every byte as \u00XX.
  ASSERT_OK_AND_ASSIGN(const std::vector<KeyForm> forms,
                       PrivateKeyForms(env_->dir->layout()));
  bool some_raw_bytes_escaped = false;
  for (const KeyForm& f : forms) {
    const std::string log_line = common::log::FormatLine(
        absl::Now(), common::log::Level::kInfo, "loaded", {{"key", f.text}});
    // Not there as is: the logger escaped some bytes (a raw form's).
    some_raw_bytes_escaped |= !absl::StrContains(log_line, f.text);
    EXPECT_EQ(KeyFoundIn(log_line, forms), f.what) << "in a log line";
    EXPECT_EQ(KeyFoundIn(AuditLineWithKey(f.text), forms), f.what)
        << "in an audit record";
    std::string escaped;
    for (char ch : f.text) {
      absl::StrAppendFormat(&escaped, "\\u%04x",
                            static_cast<unsigned char>(ch));
    }
    EXPECT_EQ(
        KeyFoundIn(absl::StrCat(R"({"msg":"loaded","key":")", escaped, "\"}"),
                   forms),
        f.what)
        << "every byte JSON-escaped";
  }
  EXPECT_TRUE(some_raw_bytes_escaped)
      << "no form needed the logger's escapes: the check above proves little";
  ExpectNoPrivateKeyInLogs(*env_);
}

// ---- Whole-process behaviour: each test has its own server. ----

// A Provision whose token is not even a JWS: UNAUTHENTICATED, one record.
secretd::v1::ProvisionRequest BadTokenRequest() {
  secretd::v1::ProvisionRequest r;
  r.set_attestation_token("x.y.z");
  r.set_role("web");
  r.add_secrets("app/db/password");
  return r;
}

class BrokerProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto env = Environment::Create();
    ASSERT_THAT(env, IsOk());
    env_ = *std::move(env);
  }

  // Issue 6's fail-closed contract, for the tests that take the running
  // server's audit log away in different ways. `take_room` must leave the
  // log unable to take one more record of the calls made here, and
  // `give_room` undo that. While the log is stuck, an allowed call and a
  // denied one get UNAVAILABLE, no bundle and no signature, and leave no
  // record; health is NOT_SERVING (both names, and the audit health
  // metric); the file keeps its size (a failed tail is cut back). Then an
  // allowed call is OK and opens, health is SERVING, the log holds exactly
  // one more provision record, and after SIGTERM the log verifies, in
  // process and with `secretctl audit verify --require-signed`.
  void ExpectFailsClosedThenRecovers(const std::function<void()>& take_room,
                                     const std::function<void()>& give_room) {
    take_room();
    if (HasFatalFailure()) return;
    const size_t records_before =
        CountProvisionRecords(ReadAuditLog(env_->AuditPath()));
    struct stat st;
    ASSERT_EQ(stat(env_->AuditPath().c_str(), &st), 0);
    const off_t size_before = st.st_size;

    secretd::v1::ProvisionRequest request;
    request.set_attestation_token(env_->Token());
    request.set_role("web");
    request.add_secrets("app/db/password");
    Call failed = env_->RawProvision(request);
    EXPECT_EQ(failed.status.error_code(), grpc::StatusCode::UNAVAILABLE);
    EXPECT_EQ(failed.response.sealed_bundle(), "");
    EXPECT_EQ(failed.response.signature(), "");
    EXPECT_THAT(
        failed.status.error_message(),
        HasSubstr("cannot write its audit log, so nothing was released"));
    // Denials fail the same way: nothing is answered without its record.
    Call denied = env_->RawProvision(BadTokenRequest());
    EXPECT_EQ(denied.status.error_code(), grpc::StatusCode::UNAVAILABLE);
    EXPECT_EQ(env_->Health(""), HealthCheckResponse::NOT_SERVING);
    EXPECT_EQ(env_->Health("secretd.v1.Broker"),
              HealthCheckResponse::NOT_SERVING);
    EXPECT_EQ(
        MetricValue(env_->Metrics(), R"(secretd_healthy{component="audit"})"),
        0);
    // Nothing was added to the log (the failed tail was cut back).
    ASSERT_EQ(stat(env_->AuditPath().c_str(), &st), 0);
    EXPECT_EQ(st.st_size, size_before);
    const std::vector<Json> log = ReadAuditLog(env_->AuditPath());
    EXPECT_EQ(CountProvisionRecords(log), records_before);
    for (const Call* refused : {&failed, &denied}) {
      EXPECT_EQ(refused->request_id.size(), 16u);
      EXPECT_TRUE(RecordsFor(log, refused->request_id).empty());
    }

    give_room();
    if (HasFatalFailure()) return;
    Call ok = env_->Provision(env_->Token(), "web", {"app/db/password"});
    ASSERT_TRUE(ok.status.ok()) << ok.status.error_message();
    EXPECT_EQ(env_->Open(ok.response).secrets(0).value(), kDbPassword);
    EXPECT_EQ(env_->Health(""), HealthCheckResponse::SERVING);
    EXPECT_EQ(CountProvisionRecords(ReadAuditLog(env_->AuditPath())),
              records_before + 1);
    env_->server->Signal(SIGTERM);
    EXPECT_EQ(env_->server->WaitExit(), 0);
    EXPECT_OK(VerifyAuditLog(*env_->dir, env_->AuditPath()));
    common::testing::ProcessResult verify = common::testing::RunProcess(
        {kSecretctlBinary, "--data-dir", env_->dir->root(), "audit", "verify",
         "--require-signed", env_->AuditPath()});
    EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
  }

  std::unique_ptr<Environment> env_;
};

// A broker that starts and stops cleanly without serving a request still
// signs its shutdown checkpoint, so its log passes --require-signed; the same
// log emptied (`: > log`) does not.
TEST_F(BrokerProcessTest,
       IdleBrokerSignsAShutdownCheckpointAndAnEmptiedLogFails) {
  ASSERT_OK(env_->StartServer());
  env_->server->Signal(SIGTERM);
  EXPECT_EQ(env_->server->WaitExit(), 0);

  std::vector<Json> log = ReadAuditLog(env_->AuditPath());
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0]["seq"], 1);
  EXPECT_EQ(log[0]["prev"], std::string(64, '0'));
  EXPECT_EQ(log[0]["type"], "checkpoint");
  EXPECT_EQ(log[0]["reason"], "shutdown");
  EXPECT_EQ(log[0]["records"], 0);
  EXPECT_OK(VerifyAuditLog(*env_->dir, env_->AuditPath()));
  const std::vector<std::string> verify = {
      kSecretctlBinary, "--data-dir",       env_->dir->root(), "audit",
      "verify",         "--require-signed", env_->AuditPath()};
  common::testing::ProcessResult closed = common::testing::RunProcess(verify);
  EXPECT_EQ(closed.exit_code, 0) << closed.out << closed.err;
  EXPECT_THAT(
      closed.out,
      HasSubstr(absl::StrCat(env_->AuditPath(), ": intact, 1 line (replica ")));
  EXPECT_THAT(closed.out,
              HasSubstr("1 checkpoint, every record signed, closed by its "
                        "shutdown checkpoint\n"));
  EXPECT_THAT(closed.out,
              HasSubstr("OK: 1 file, 1 line intact; checkpoint signatures "
                        "checked with audit key "));

  ASSERT_EQ(truncate(env_->AuditPath().c_str(), 0), 0);
  common::testing::ProcessResult emptied = common::testing::RunProcess(verify);
  EXPECT_EQ(emptied.exit_code, 1) << emptied.out << emptied.err;
  EXPECT_THAT(emptied.out,
              HasSubstr(absl::StrCat(
                  env_->AuditPath(),
                  ": empty: no signed shutdown checkpoint (the log was "
                  "emptied, or its broker never stopped cleanly)\n")));
  EXPECT_THAT(emptied.out,
              HasSubstr("FAILED: 1 of 1 file is not intact; no checkpoint to "
                        "check: no signature was checked (audit key "));
  EXPECT_THAT(emptied.out, Not(HasSubstr("OK")));
}

TEST_F(BrokerProcessTest, AuditLogVerifiesAndHoldsNoSecretValueOrToken) {
  ASSERT_OK(env_->StartServer());
  std::vector<std::string> tokens;
  for (int i = 0; i < 5; ++i) {
    tokens.push_back(env_->Token());
    ASSERT_TRUE(
        env_->Provision(tokens.back(), "web", {"app/db/password", "app/tls"})
            .status.ok());
  }
  tokens.push_back(env_->Token());
  env_->Provision(tokens.back(), "web", {"app/forbidden"});
  env_->server->Signal(SIGTERM);
  EXPECT_EQ(env_->server->WaitExit(), 0);

  EXPECT_OK(VerifyAuditLog(*env_->dir, env_->AuditPath()));
  // And the auditors' tool accepts it, every record signed.
  common::testing::ProcessResult verify = common::testing::RunProcess(
      {kSecretctlBinary, "--data-dir", env_->dir->root(), "audit", "verify",
       "--require-signed", env_->AuditPath()});
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
  std::vector<Json> log = ReadAuditLog(env_->AuditPath());
  EXPECT_EQ(CountProvisionRecords(log), 6u);
  ASSERT_FALSE(log.empty());
  EXPECT_EQ(log.back()["type"], "checkpoint");
  EXPECT_EQ(log.back()["reason"], "shutdown");
  std::string raw;
  for (const Json& j : log) raw += j.dump();
  for (const char* value : {kDbPassword, kTlsV1, kTlsV2}) {
    EXPECT_THAT(raw, Not(HasSubstr(value)));
    EXPECT_THAT(raw, Not(HasSubstr(keys::Base64UrlEncode(value))));
  }
  for (const std::string& t : tokens) {
    EXPECT_THAT(raw, Not(HasSubstr(t.substr(t.rfind('.') + 1))))
        << "a token signature is in the audit log";
    EXPECT_THAT(raw, Not(HasSubstr(t.substr(t.find('.') + 1, 40))))
        << "a token payload is in the audit log";
  }
}

TEST_F(BrokerProcessTest, FailsClosedWhileAuditWritesFailAndRecovers) {
  ASSERT_OK(env_->StartServer());
  ASSERT_TRUE(env_->Provision(env_->Token(), "web", {"app/tls"}).status.ok());
  // The audit file may not grow: every write fails with EFBIG.
  struct rlimit old_limit;
  ExpectFailsClosedThenRecovers(
      [&] {
        struct stat st;
        ASSERT_EQ(stat(env_->AuditPath().c_str(), &st), 0);
        ASSERT_EQ(
            prlimit(env_->server->pid(), RLIMIT_FSIZE, nullptr, &old_limit), 0);
        struct rlimit small = old_limit;
        small.rlim_cur = static_cast<rlim_t>(st.st_size);
        ASSERT_EQ(prlimit(env_->server->pid(), RLIMIT_FSIZE, &small, nullptr),
                  0)
            << strerror(errno);
      },
      [&] {
        ASSERT_EQ(
            prlimit(env_->server->pid(), RLIMIT_FSIZE, &old_limit, nullptr), 0);
      });
}

// Run by `unshare --mount` as `sh -c SCRIPT sh AUDIT_DIR SECRETD ARGS...`:
// mounts a 2 MiB tmpfs on the audit directory in the new (private) mount
// namespace, copies in what was there (from the directory underneath, still
// the shell's working directory), and execs the server in its place.
constexpr char kAuditOnTmpfs[] = R"(set -e
dir=$1
shift
here=$PWD
cd "$dir"
mount -t tmpfs -o size=2m,mode=0700 tmpfs "$dir"
cp -a . "$dir"/
cd "$here"
exec "$@")";

// The audit line with a request id: its length ("\n" included) and seq.
struct AuditLine {
  size_t length = 0;
  uint64_t seq = 0;
};

// The line of `request_id` in the log at `log_path`; kNotFound if none.
absl::StatusOr<AuditLine> FindAuditLine(const std::string& log_path,
                                        absl::string_view request_id) {
  const std::string needle =
      absl::StrCat("\"request_id\":\"", request_id, "\"");
  for (absl::string_view line : absl::StrSplit(ReadFile(log_path).value_or(""),
                                               '\n', absl::SkipEmpty())) {
    if (!absl::StrContains(line, needle)) continue;
    const Json j = Json::parse(line, nullptr, false);
    if (!j.is_object() || !j.contains("seq") ||
        !j["seq"].is_number_unsigned()) {
      return absl::DataLossError(absl::StrCat("no seq in ", line));
    }
    return AuditLine{line.size() + 1, j["seq"].get<uint64_t>()};
  }
  return absl::NotFoundError(absl::StrCat("no record of ", request_id));
}

// The length `line`'s record would have at `seq` instead: only the digits
// of seq differ between records of the same call (time, ids and hashes have
// fixed widths).
size_t LengthAtSeq(const AuditLine& line, uint64_t seq) {
  return line.length - absl::StrCat(line.seq).size() + absl::StrCat(seq).size();
}

// The same contract with a real full filesystem: the server's audit
// directory is a 2 MiB tmpfs in a mount namespace of its own (the host's
// mounts are never touched), filled by the test until ENOSPC.
TEST_F(BrokerProcessTest, FailsClosedWhileItsAuditFilesystemIsFullAndRecovers) {
  const std::string probe_dir = TempPath("mount-probe");
  ASSERT_EQ(mkdir(probe_dir.c_str(), 0700), 0);
  common::testing::ProcessResult probe = common::testing::RunProcess(
      {"unshare", "--mount", "--propagation", "private", "mount", "-t", "tmpfs",
       "-o", "size=64k", "tmpfs", probe_dir});
  // A missing unshare(1) or mount(8) is a broken machine, not a reason.
  ASSERT_TRUE(probe.exit_code >= 0 && probe.exit_code < 126) << probe.err;
  if (probe.exit_code != 0) {
    GTEST_SKIP() << "cannot mount a tmpfs in a private mount namespace here "
                    "(needs CAP_SYS_ADMIN, which an unprivileged container "
                    "lacks; the RLIMIT_FSIZE test covers the contract): "
                 << probe.err;
  }
  const std::string host_audit_dir = env_->audit_dir;
  // No interval checkpoint may take the bytes the calls below measure out.
  ASSERT_OK(
      env_->StartServer({"--checkpoint-interval", "1h"},
                        {"unshare", "--mount", "--propagation", "private", "sh",
                         "-c", kAuditOnTmpfs, "sh", host_audit_dir}));
  // The test reads the server's audit directory through a descriptor, which
  // keeps the tmpfs after the server and its namespace are gone.
  const int audit_fd =
      open(absl::StrCat("/proc/", env_->server->pid(), "/root", host_audit_dir)
               .c_str(),
           O_PATH | O_DIRECTORY | O_CLOEXEC);
  ASSERT_GE(audit_fd, 0) << strerror(errno);
  absl::Cleanup close_audit_fd = [audit_fd] { close(audit_fd); };
  env_->audit_dir = absl::StrCat("/proc/", getpid(), "/fd/", audit_fd);
  struct statfs fs;
  ASSERT_EQ(fstatfs(audit_fd, &fs), 0);
  EXPECT_EQ(fs.f_type, TMPFS_MAGIC);
  struct stat host_st, server_st;
  ASSERT_EQ(stat(host_audit_dir.c_str(), &host_st), 0);
  ASSERT_EQ(fstat(audit_fd, &server_st), 0);
  ASSERT_NE(host_st.st_dev, server_st.st_dev)
      << "the server's audit directory is not its own filesystem";

  // One answered call of each kind the contract makes, to measure records.
  Call allowed = env_->Provision(env_->Token(), "web", {"app/db/password"});
  ASSERT_TRUE(allowed.status.ok()) << allowed.status.error_message();
  const secretd::v1::ProvisionRequest bad_token = BadTokenRequest();
  Call denied = env_->Provision(bad_token.attestation_token(), "web",
                                {"app/db/password"});
  ASSERT_EQ(denied.status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  ASSERT_OK_AND_ASSIGN(const AuditLine allowed_line,
                       FindAuditLine(env_->AuditPath(), allowed.request_id));
  ASSERT_OK_AND_ASSIGN(const AuditLine denied_line,
                       FindAuditLine(env_->AuditPath(), denied.request_id));

  const std::string filler = env_->audit_dir + "/filler";
  ExpectFailsClosedThenRecovers(
      [&] {
        const int fd =
            open(filler.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        ASSERT_GE(fd, 0) << strerror(errno);
        absl::Cleanup close_fd = [fd] { close(fd); };
        const std::string chunk(64 << 10, 'f');
        int write_errno = 0;
        for (int i = 0; i < 64 && write_errno == 0; ++i) {
          if (write(fd, chunk.data(), chunk.size()) < 0) write_errno = errno;
        }
        ASSERT_EQ(write_errno, ENOSPC);
        struct statvfs vfs;
        ASSERT_EQ(fstatvfs(fd, &vfs), 0);
        ASSERT_EQ(vfs.f_bfree, 0u);
        // tmpfs allocates whole pages, so the end of the log's last page
        // still takes bytes: denials are answered (with their record) while
        // theirs fit, and the first that does not is refused.
        struct stat before;
        ASSERT_EQ(stat(env_->AuditPath().c_str(), &before), 0);
        const off_t room = before.st_blocks * 512 - before.st_size;
        off_t answered_bytes = 0;
        for (;;) {
          Call c = env_->RawProvision(bad_token);
          if (c.status.error_code() != grpc::StatusCode::UNAUTHENTICATED) {
            EXPECT_EQ(c.status.error_code(), grpc::StatusCode::UNAVAILABLE)
                << c.status.error_message();
            break;
          }
          ASSERT_EQ(
              RecordsFor(ReadAuditLog(env_->AuditPath()), c.request_id).size(),
              1u);
          ASSERT_OK_AND_ASSIGN(const AuditLine line,
                               FindAuditLine(env_->AuditPath(), c.request_id));
          answered_bytes += static_cast<off_t>(line.length);
          ASSERT_LE(answered_bytes, room) << "answered beyond the last page";
        }
        // The answered records took their lines' bytes of the last page,
        // and what is left of it cannot take the refused one, nor the
        // allowed call's: both would be the next line, at the seq after the
        // last (a failed write takes no seq).
        struct stat after;
        ASSERT_EQ(stat(env_->AuditPath().c_str(), &after), 0);
        EXPECT_EQ(after.st_size - before.st_size, answered_bytes);
        EXPECT_EQ(after.st_blocks, before.st_blocks);
        const std::vector<Json> log = ReadAuditLog(env_->AuditPath());
        ASSERT_FALSE(log.empty());
        ASSERT_TRUE(log.back()["seq"].is_number_unsigned());
        const uint64_t next_seq = log.back()["seq"].get<uint64_t>() + 1;
        const off_t room_left = after.st_blocks * 512 - after.st_size;
        EXPECT_LT(room_left,
                  static_cast<off_t>(LengthAtSeq(denied_line, next_seq)))
            << "a denial that fit was refused";
        ASSERT_LT(room_left,
                  static_cast<off_t>(LengthAtSeq(allowed_line, next_seq)))
            << "the allowed call's record would fit";
      },
      [&] { ASSERT_EQ(unlink(filler.c_str()), 0) << strerror(errno); });
  // Nothing reached the directory underneath.
  EXPECT_EQ(access(env_->dir->AuditPath(env_->replica).c_str(), F_OK), -1);
}

TEST_F(BrokerProcessTest, SigtermLetsCallsInFlightFinish) {
  ASSERT_OK(env_->StartServer({"--test-only-provision-delay", "3s"}));
  constexpr int kCalls = 4;
  std::vector<std::string> tokens;
  for (int i = 0; i < kCalls; ++i) tokens.push_back(env_->Token());
  std::vector<Call> calls(kCalls);
  std::vector<std::thread> threads;
  for (int i = 0; i < kCalls; ++i) {
    threads.emplace_back([&, i] {
      secretd::v1::ProvisionRequest r;
      r.set_attestation_token(tokens[i]);
      r.set_role("web");
      r.add_secrets("app/db/password");
      calls[i] = env_->RawProvision(r);
    });
  }
  // Wait until the server holds all of them.
  bool in_flight = false;
  for (int i = 0; i < 500 && !in_flight; ++i) {
    in_flight = MetricValue(env_->Metrics(), "secretd_provisions_in_flight")
                    .value_or(0) == kCalls;
    if (!in_flight) absl::SleepFor(absl::Milliseconds(10));
  }
  ASSERT_TRUE(in_flight);
  env_->server->Signal(SIGTERM);
  for (auto& t : threads) t.join();
  for (const Call& c : calls) {
    ASSERT_TRUE(c.status.ok()) << c.status.error_message();
    EXPECT_EQ(env_->Open(c.response).secrets(0).value(), kDbPassword);
  }
  EXPECT_EQ(env_->server->WaitExit(), 0);
  std::vector<Json> log = ReadAuditLog(env_->AuditPath());
  EXPECT_EQ(CountProvisionRecords(log), static_cast<size_t>(kCalls));
  ASSERT_FALSE(log.empty());
  EXPECT_EQ(log.back()["type"], "checkpoint");
  EXPECT_EQ(log.back()["reason"], "shutdown");
  EXPECT_OK(VerifyAuditLog(*env_->dir, env_->AuditPath()));
}

TEST_F(BrokerProcessTest, SighupReloadsTheState) {
  ASSERT_OK(env_->StartServer({"--refresh-interval", "1h"}));
  const int64_t counter = env_->server->startup_line()["change_counter"];
  Call before = env_->Provision(env_->Token(), "web", {"other/thing"});
  EXPECT_EQ(before.status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_OK(env_->dir->PutRole("web", kTrust, kReadOther));
  // No poll for an hour: the change is not seen yet.
  Call still = env_->Provision(env_->Token(), "web", {"other/thing"});
  EXPECT_EQ(still.status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  env_->server->Signal(SIGHUP);
  ASSERT_TRUE(env_->server->WaitForLog([&](const Json& j) {
    return j.value("msg", "") == "state loaded" &&
           j.value("change_counter", int64_t{0}) > counter;
  }));
  EXPECT_TRUE(env_->server->WaitForLog(
      [](const Json& j) { return j.value("msg", "") == "keyring reloaded"; }));
  Call after = env_->Provision(env_->Token(), "web", {"other/thing"});
  ASSERT_TRUE(after.status.ok()) << after.status.error_message();
  EXPECT_EQ(env_->Open(after.response).secrets(0).value(), "e2e-other-value");
}

TEST_F(BrokerProcessTest, StoreChangesArePickedUpByThePoll) {
  ASSERT_OK(env_->StartServer({"--refresh-interval", "100ms"}));
  const int64_t counter = env_->server->startup_line()["change_counter"];
  ASSERT_OK(env_->dir->PutRole("late", kTrust, kReadOther));
  ASSERT_TRUE(env_->server->WaitForLog([&](const Json& j) {
    return j.value("msg", "") == "state loaded" &&
           j.value("change_counter", int64_t{0}) > counter;
  }));
  Call c = env_->Provision(env_->Token(), "late", {"other/thing"});
  ASSERT_TRUE(c.status.ok()) << c.status.error_message();
}

TEST_F(BrokerProcessTest, RefreshesUnderLoadDropAndRefuseNoRequest) {
  ASSERT_OK(env_->StartServer({"--refresh-interval", "50ms"}));
  // Clients call without pause, each with a fresh token, until told to stop.
  constexpr int kClients = 3;
  std::atomic<bool> stop{false};
  std::atomic<int> answered{0};
  std::vector<std::vector<Call>> calls(kClients);
  std::vector<std::thread> clients;
  for (int i = 0; i < kClients; ++i) {
    clients.emplace_back([&, i] {
      while (!stop.load()) {
        secretd::v1::ProvisionRequest r;
        r.set_attestation_token(env_->Token());
        r.set_role("web");
        r.add_secrets("app/db/password");
        calls[i].push_back(env_->RawProvision(r));
        answered.fetch_add(1);
      }
    });
  }
  absl::Cleanup join_clients = [&] {
    stop = true;
    for (std::thread& t : clients) t.join();
  };
  // Waits for 2 * kClients more answers: at least kClients of them were
  // calls that started after this point (each client has one call in flight).
  auto more_answers = [&] {
    const int target = answered.load() + 2 * kClients;
    const absl::Time deadline = absl::Now() + absl::Seconds(20);
    while (answered.load() < target && absl::Now() < deadline) {
      absl::SleepFor(absl::Milliseconds(5));
    }
    return answered.load() >= target;
  };

  // Each round: a SIGHUP (keys and state reloaded), then a role and a
  // secret changed in the store the way the admin socket changes them,
  // picked up by the poll. The role's secret TTL alternates so that each
  // bundle shows which state answered it; each round adds a version of the
  // secret the clients read.
  constexpr int kRounds = 4;
  std::map<int64_t, std::string> values = {{1, kDbPassword}};
  for (int round = 1; round <= kRounds; ++round) {
    ASSERT_TRUE(more_answers());
    env_->server->Signal(SIGHUP);
    int keyring_reloads = 0;
    ASSERT_TRUE(env_->server->WaitForLog([&](const Json& j) {
      const std::string msg = j.value("msg", "");
      if (msg == "keyring reloaded") ++keyring_reloads;
      return keyring_reloads == round && msg == "state loaded";
    })) << "SIGHUP "
        << round << " was not handled";

    ASSERT_TRUE(more_answers());
    ASSERT_OK(env_->dir->PutRole("web", kTrust, kRead, 600,
                                 round % 2 == 1 ? 1800 : 3600));
    const std::string value = absl::StrCat(kDbPassword, "-round-", round);
    ASSERT_OK_AND_ASSIGN(const int64_t version,
                         env_->dir->PutSecret("app/db/password", value));
    values[version] = value;
    ASSERT_OK_AND_ASSIGN(const int64_t counter,
                         env_->dir->store().GetChangeCounter());
    ASSERT_TRUE(env_->server->WaitForLog([&](const Json& j) {
      return j.value("msg", "") == "state loaded" &&
             j.value("change_counter", int64_t{0}) == counter;
    })) << "the poll did not load store change "
        << round;
  }
  ASSERT_TRUE(more_answers());
  std::move(join_clients).Invoke();

  // Every call: OK, a bundle that verifies and opens, the current value of
  // the version it names.
  std::vector<std::string> request_ids;
  std::set<int64_t> ttls, versions;
  for (const std::vector<Call>& per_client : calls) {
    for (const Call& c : per_client) {
      ASSERT_EQ(c.status.error_code(), grpc::StatusCode::OK)
          << c.status.error_message();
      secretd::v1::SecretBundle b = env_->Open(c.response);
      EXPECT_EQ(b.request_id(), c.request_id);
      ASSERT_EQ(b.secrets_size(), 1);
      EXPECT_EQ(b.secrets(0).value(), values[b.secrets(0).version()]);
      ttls.insert(b.expires_at() - b.issued_at());
      versions.insert(b.secrets(0).version());
      request_ids.push_back(c.request_id);
    }
  }
  EXPECT_GE(request_ids.size(),
            static_cast<size_t>(2 * kClients * (2 * kRounds + 1)));
  // Both states answered, and the last version reached the clients.
  EXPECT_EQ(ttls, (std::set<int64_t>{1800, 3600}));
  EXPECT_EQ(*versions.rbegin(), kRounds + 1);

  // Exactly one record per call, with the call's request id.
  std::vector<std::string> recorded;
  for (const Json& j : ReadAuditLog(env_->AuditPath())) {
    if (j.is_object() && j.value("type", "") == "provision") {
      recorded.push_back(j.value("request_id", ""));
      EXPECT_EQ(j["status"], "OK");
    }
  }
  EXPECT_THAT(recorded, UnorderedElementsAreArray(request_ids));
  std::sort(request_ids.begin(), request_ids.end());
  EXPECT_EQ(std::adjacent_find(request_ids.begin(), request_ids.end()),
            request_ids.end())
      << "a request id was given twice";
  EXPECT_OK(VerifyAuditLog(*env_->dir, env_->AuditPath()));
  ExpectNoPrivateKeyInLogs(*env_);
}

TEST_F(BrokerProcessTest, KekRotatedElsewhereIsPickedUpByReloadingOnce) {
  ASSERT_OK(env_->StartServer());
  const std::string token = env_->Token();  // challenge under the old KEK
  // Another replica (this process) rotates the KEK: every row is rewrapped.
  auto rotated =
      env_->dir->keyring().RotateKek(env_->dir->store(), env_->dir->random());
  ASSERT_THAT(rotated, IsOk());
  Call c = env_->Provision(token, "web", {"app/db/password"});
  ASSERT_TRUE(c.status.ok()) << c.status.error_message();
  EXPECT_EQ(env_->Open(c.response).secrets(0).value(), kDbPassword);
  EXPECT_TRUE(env_->server->WaitForLog([](const Json& j) {
    return absl::StrContains(j.value("msg", ""), "keyring reloaded");
  }));
}

TEST_F(BrokerProcessTest, CallsOverTheInFlightLimitAreRefusedAndAudited) {
  ASSERT_OK(env_->StartServer(
      {"--max-in-flight", "1", "--test-only-provision-delay", "2s"}));
  const std::string first_token = env_->Token();
  const std::string second_token = env_->Token();
  Call first;
  std::thread t([&] {
    secretd::v1::ProvisionRequest r;
    r.set_attestation_token(first_token);
    r.set_role("web");
    r.add_secrets("app/tls");
    first = env_->RawProvision(r);
  });
  bool busy = false;
  for (int i = 0; i < 500 && !busy; ++i) {
    busy = MetricValue(env_->Metrics(), "secretd_provisions_in_flight")
               .value_or(0) == 1;
    if (!busy) absl::SleepFor(absl::Milliseconds(5));
  }
  ASSERT_TRUE(busy);
  secretd::v1::ProvisionRequest r;
  r.set_attestation_token(second_token);
  r.set_role("web");
  r.add_secrets("app/tls");
  Call over = env_->RawProvision(r);
  t.join();
  EXPECT_EQ(over.status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_TRUE(first.status.ok()) << first.status.error_message();
  std::vector<Json> records =
      RecordsFor(ReadAuditLog(env_->AuditPath()), over.request_id);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0]["reason"], "request.over_limit");
}

TEST_F(BrokerProcessTest, TwoReplicasOnOneDataDirWriteTheirOwnLogs) {
  auto a = ServerProcess::Start(
      {"--data-dir", env_->dir->root(), "--audience", kAudience});
  auto b = ServerProcess::Start(
      {"--data-dir", env_->dir->root(), "--audience", kAudience});
  ASSERT_THAT(a, IsOk());
  ASSERT_THAT(b, IsOk());
  const std::string ra = (*a)->startup_line()["replica"];
  const std::string rb = (*b)->startup_line()["replica"];
  EXPECT_NE(ra, rb);
  EXPECT_NE((*a)->startup_line()["audit_file"],
            (*b)->startup_line()["audit_file"]);
  // A third one claiming replica a's id cannot take its file.
  auto c = ServerProcess::Start({"--data-dir", env_->dir->root(), "--audience",
                                 kAudience, "--replica-id", ra});
  EXPECT_FALSE(c.ok());
}

TEST_F(BrokerProcessTest, PortInUseFailsBeforeTheAuditLogOrAdminSocketExist) {
  ASSERT_OK(env_->StartServer());
  const std::string listen = absl::StrCat("127.0.0.1:", env_->server->port());
  auto second_dir = TestDataDir::Create(TempPath("second-data-dir"));
  ASSERT_THAT(second_dir, IsOk());
  const std::string root = (*second_dir)->root();
  common::testing::ProcessResult r = common::testing::RunProcess(
      {kSecretdBinary, "serve", "--data-dir", root, "--listen", listen,
       "--audience", kAudience, "--replica-id", "second"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr(absl::StrCat(
                         "secretd: cannot listen on ", listen,
                         ": Address already in use (another process is "
                         "listening there: stop it, or choose another "
                         "--listen port)\n")));
  // Nothing was created: no audit file, no admin socket.
  EXPECT_FALSE(std::filesystem::exists(root + "/audit/audit-second.jsonl"));
  EXPECT_FALSE(std::filesystem::exists(root + "/admin.sock"));
}

TEST(BrokerStartupTest, MissingDataDirectoryFailsWithTheStoreMessage) {
  const std::string missing = TempPath("no-such-dir");
  common::testing::ProcessResult r = common::testing::RunProcess(
      {kSecretdBinary, "serve", "--data-dir", missing, "--listen",
       "127.0.0.1:0", "--audience", kAudience});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(
      r.err,
      HasSubstr(absl::StrCat(
          "secretd: no store at \"", missing, "/store.db\" (--data-dir ",
          missing, "); run \"secretctl init --data-dir ", missing,
          "\" first, or point --data-dir at an initialised directory\n")));
}

TEST(BrokerStartupTest, PlaintextIsRefusedOffLoopback) {
  common::testing::ProcessResult r = common::testing::RunProcess(
      {kSecretdBinary, "serve", "--data-dir", "/nonexistent", "--listen",
       "0.0.0.0:0", "--audience", kAudience, "--plaintext"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("--plaintext is allowed only on a loopback"));
}

}  // namespace
}  // namespace secretd::testing
