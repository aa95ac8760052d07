#include "secretctl/attest_commands.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "common/terminal_text.h"
#include "keys/encoding.h"
#include "keys/jwk.h"
#include "keys/jws.h"
#include "keys/key_files.h"
#include "keys/random.h"
#include "keys/secret_bytes.h"
#include "keys/token_reason.h"
#include "keys/token_verifier.h"
#include "keys/x25519.h"
#include "nlohmann/json.hpp"
#include "secretd/datadir/data_dir.h"

namespace secretctl {
namespace {

using common::cli::Invocation;
using common::cli::kExitOk;

constexpr size_t kMaxInputBytes = 1024 * 1024;

// A clock stopped at one instant (verify --at).
class FixedClock final : public common::Clock {
 public:
  explicit FixedClock(absl::Time t) : t_(t) {}
  absl::Time Now() const override { return t_; }

 private:
  absl::Time t_;
};

// Reads a whole file ("-": stdin). kInvalidArgument over kMaxInputBytes.
absl::StatusOr<std::string> ReadInput(const std::string& path,
                                      absl::string_view what) {
  std::string data;
  if (path == "-") {
    data.assign(std::istreambuf_iterator<char>(std::cin),
                std::istreambuf_iterator<char>());
  } else {
    struct stat st;
    if (stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
      return absl::FailedPreconditionError(absl::StrCat(
          "cannot read ", what, " \"", path, "\": it is a directory"));
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      return absl::NotFoundError(absl::StrCat("cannot read ", what, " \"", path,
                                              "\": ", std::strerror(errno)));
    }
    data.assign(std::istreambuf_iterator<char>(in),
                std::istreambuf_iterator<char>());
  }
  if (data.size() > kMaxInputBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " \"", path, "\" is larger than 1 MiB"));
  }
  return data;
}

// If `path` is one of the broker's own signing keys (keys/release.key or
// keys/audit.key of a data directory), what it is; else nullopt. Decided by
// path alone, before the file is read.
std::optional<std::string> BrokerKeyName(const std::string& path) {
  char* resolved = realpath(path.c_str(), nullptr);
  if (resolved == nullptr) return std::nullopt;
  const std::string real(resolved);
  std::free(resolved);
  const size_t slash = real.rfind('/');
  if (slash == std::string::npos || slash == 0) return std::nullopt;
  const std::string keys_dir = real.substr(0, slash);
  const size_t parent_slash = keys_dir.rfind('/');
  if (parent_slash == std::string::npos ||
      keys_dir.substr(parent_slash + 1) != "keys") {
    return std::nullopt;
  }
  const secretd::DataDirLayout layout(
      parent_slash == 0 ? std::string("/") : keys_dir.substr(0, parent_slash));
  if (!secretd::CheckDataDir(layout).ok()) return std::nullopt;
  if (real == layout.release_key) return std::string("release signing key");
  if (real == layout.audit_key) return std::string("audit checkpoint key");
  return std::nullopt;
}

// What a key file that is not a private JWK holds, when that is a public
// JWKS or JWK (a common mix-up with "attest keygen"'s --jwks-out); nullopt
// otherwise, and then nothing about the contents is said. The text read is
// wiped before returning.
std::optional<std::string> PublicKeyFileKind(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::string text(keys::kMaxKeyFileBytes + 1, '\0');
  in.read(&text[0], static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(in.gcount()));
  std::optional<std::string> kind;
  if (text.size() <= keys::kMaxKeyFileBytes) {
    if (keys::Jwks::Parse(text).ok()) {
      kind = "a public JWKS";
    } else if (keys::Jwk::ParsePublic(text).ok()) {
      kind = "a public JWK";
    }
  }
  keys::WipeString(&text);
  return kind;
}

int Keygen(const Invocation& inv) {
  const std::string alg_name = inv.Get("alg");
  std::optional<keys::SignatureAlgorithm> alg =
      keys::SignatureAlgorithmFromName(alg_name);
  if (!alg.has_value()) {
    return inv.UsageError(absl::StrCat(
        "--alg must be EdDSA, ES256 or RS256, got \"", alg_name, "\""));
  }
  const std::string kid = inv.Get("kid");
  if (kid.empty()) return inv.UsageError("--kid must not be empty");
  keys::SystemRandom random;
  absl::StatusOr<keys::Jwk> key = keys::Jwk::Generate(*alg, kid, random);
  if (!key.ok()) return inv.Refused(key.status().message());
  auto jwks = keys::Jwks::FromKeys({key->ToPublic()});
  if (!jwks.ok()) return inv.Refused(jwks.status().message());

  const std::string private_out = inv.Get("private-out");
  const std::string jwks_out = inv.Get("jwks-out");
  if (absl::Status s = keys::WriteSigningKeyFile(private_out, *key); !s.ok()) {
    return inv.Refused(s.message());
  }
  if (absl::Status s =
          keys::WritePublicFile(jwks_out, jwks->ToJson().dump(2) + "\n");
      !s.ok()) {
    return inv.Refused(s.message());
  }
  inv.out() << "wrote private key " << private_out << " (mode 0600) and JWKS "
            << jwks_out << "\nkid " << kid << ", alg " << alg_name
            << ", thumbprint " << key->Thumbprint() << "\n";
  return kExitOk;
}

int Issue(const Invocation& inv) {
  auto ttl = inv.GetInt("ttl", 300, 1, 86400);
  if (!ttl.ok()) return inv.UsageError(ttl.status().message());
  auto cnf = keys::Base64UrlDecode(inv.Get("cnf-x25519"));
  if (!cnf.ok()) {
    return inv.UsageError(
        "--cnf-x25519 must be the base64url (unpadded) encoding of a 32-byte "
        "X25519 public key");
  }
  if (absl::Status s = keys::ValidateX25519PublicKey(*cnf); !s.ok()) {
    return inv.UsageError(absl::StrCat("--cnf-x25519: ", s.message()));
  }
  nlohmann::json extra = nlohmann::json::object();
  if (inv.Has("claims")) {
    extra = nlohmann::json::parse(inv.Get("claims"), nullptr, false);
    if (extra.is_discarded() || !extra.is_object()) {
      return inv.UsageError("--claims must be a JSON object");
    }
  }
  const std::string key_path = inv.Get("key");
  if (std::optional<std::string> broker = BrokerKeyName(key_path)) {
    return inv.Refused(absl::StrCat(
        "\"", key_path, "\" is the broker's own ", *broker,
        ", not a platform key; sign with the platform's key (make one with "
        "\"secretctl attest keygen\")"));
  }
  absl::StatusOr<keys::Jwk> key = keys::LoadSigningKeyFile(key_path);
  if (!key.ok()) {
    if (std::optional<std::string> kind = PublicKeyFileKind(key_path)) {
      return inv.Refused(
          absl::StrCat("\"", key_path, "\" is ", *kind,
                       " (from --jwks-out); --key needs the private key file "
                       "(--private-out of attest keygen)"));
    }
    return inv.Refused(key.status().message());
  }
  if (key->kid().empty()) {
    return inv.Refused(absl::StrCat(
        "the key in \"", inv.Get("key"),
        "\" has no kid; the broker selects keys by kid (make one with "
        "\"secretctl attest keygen\")"));
  }
  auto signer = key->signer();
  if (!signer.ok()) return inv.Refused(signer.status().message());

  keys::SystemRandom random;
  common::RealClock clock;
  const int64_t now = absl::ToUnixSeconds(clock.Now());
  nlohmann::json claims = {
      {"iss", inv.Get("issuer")},
      {"sub", inv.Get("subject")},
      {"aud", inv.Get("audience")},
      {"iat", now},
      {"exp", now + *ttl},
      {"jti", keys::Base64UrlEncode(keys::RandomBytes(random, 16))},
      {"nonce", inv.Get("nonce")},
      {"cnf",
       {{"jwk",
         {{"kty", "OKP"},
          {"crv", "X25519"},
          {"x", keys::Base64UrlEncode(*cnf)}}}}},
  };
  for (auto& [name, value] : extra.items()) claims[name] = value;
  absl::StatusOr<std::string> token =
      keys::SignJwt(**signer, key->kid(), claims);
  if (!token.ok()) return inv.Refused(token.status().message());
  inv.out() << *token << "\n";
  return kExitOk;
}

int Verify(const Invocation& inv) {
  // The token: "-" or nothing reads stdin; a token on the command line is
  // visible to every user of the machine, so say so.
  const bool from_stdin = inv.args().empty() || inv.args()[0] == "-";
  if (!from_stdin) {
    inv.err() << inv.command_line_name()
              << ": warning: a token on the command line is visible to other "
                 "users (ps, /proc/PID/cmdline); pass it on stdin instead: "
                 "... | secretctl attest verify --jwks FILE -\n";
  }
  auto jwks_text = ReadInput(inv.Get("jwks"), "JWKS file");
  if (!jwks_text.ok()) return inv.Refused(jwks_text.status().message());
  auto jwks = keys::Jwks::Parse(*jwks_text);
  if (!jwks.ok()) {
    return inv.Refused(absl::StrCat("JWKS file \"", inv.Get("jwks"),
                                    "\": ", jwks.status().message()));
  }
  std::string token;
  if (!from_stdin) {
    token = inv.args()[0];
  } else {
    auto token_text = ReadInput("-", "token");
    if (!token_text.ok()) return inv.Refused(token_text.status().message());
    token = *token_text;
    while (!token.empty() && (token.back() == '\n' || token.back() == '\r')) {
      token.pop_back();
    }
    if (token.empty()) {
      return inv.UsageError(
          "no token on stdin; pipe one in, e.g. secretctl attest verify "
          "--jwks FILE - < token.txt");
    }
  }

  std::unique_ptr<common::Clock> clock;
  if (inv.Has("at")) {
    absl::Time at;
    std::string error;
    if (!absl::ParseTime(absl::RFC3339_full, inv.Get("at"), &at, &error)) {
      return inv.UsageError(absl::StrCat(
          "--at must be an RFC 3339 time such as 2024-06-01T10:15:00Z, got \"",
          inv.Get("at"), "\""));
    }
    clock = std::make_unique<FixedClock>(at);
  } else {
    clock = std::make_unique<common::RealClock>();
  }

  auto shared = std::make_shared<const keys::Jwks>(*std::move(jwks));
  keys::TokenVerifier verifier([shared](absl::string_view) { return shared; },
                               *clock);

  std::vector<std::string> skipped = {
      "issuer trust (every issuer is accepted with --jwks)"};
  absl::StatusOr<nlohmann::json> claims;
  if (inv.Has("signature-only")) {
    claims = verifier.VerifySignatureOnly(token);
    skipped.push_back("claims (--signature-only)");
  } else {
    keys::TokenVerifierOptions options;
    options.skip_nonce_check = true;
    if (inv.Has("audience")) {
      options.audience = inv.Get("audience");
    } else {
      options.skip_audience_check = true;
    }
    absl::StatusOr<keys::VerifiedClaims> verified =
        verifier.Verify(token, options);
    if (verified.ok()) {
      claims = verified->claims();
      if (options.skip_audience_check) {
        skipped.push_back("audience (no --audience)");
      }
      skipped.push_back(
          "nonce (only the broker, which holds the KEK, can check its "
          "challenges)");
    } else {
      claims = verified.status();
    }
  }
  if (!claims.ok()) {
    std::optional<keys::TokenReason> reason =
        keys::GetTokenReason(claims.status());
    inv.Refused(common::TerminalSafe(claims.status().message()));
    inv.err() << "reason: "
              << (reason ? keys::TokenReasonName(*reason) : "error") << "\n";
    return common::cli::kExitRefused;
  }
  // Claims come from the token: escape what could drive a terminal.
  inv.out() << common::TerminalSafeJson(claims->dump(
                   2, ' ', false, nlohmann::json::error_handler_t::replace))
            << "\n";
  inv.err() << "not checked: " << absl::StrJoin(skipped, "; ") << "\n";
  return kExitOk;
}

}  // namespace

std::vector<common::cli::Command> AttestCommands() {
  std::vector<common::cli::Command> commands;

  common::cli::Command keygen;
  keygen.path = {"attest", "keygen"};
  keygen.summary = "make a platform signing key and its JWKS (development)";
  keygen.description =
      "Writes a private JWK (mode 0600; an existing file is never "
      "overwritten) for \"attest issue\", and the public JWKS to give the "
      "broker with \"secretctl trust put ISSUER --jwks FILE\".";
  keygen.flags = {
      {"alg", "ALG", "EdDSA, ES256 or RS256", false, true},
      {"kid", "KID", "the key id tokens will name", false, true},
      {"private-out", "FILE", "where to write the private key", false, true},
      {"jwks-out", "FILE", "where to write the public JWKS", false, true},
  };
  keygen.run = Keygen;
  commands.push_back(std::move(keygen));

  common::cli::Command issue;
  issue.path = {"attest", "issue"};
  issue.summary = "print an attestation token (plays the platform)";
  issue.description =
      "Signs a token with the claims of DESIGN.md §3: iss, sub, aud, iat "
      "(now), exp (now + ttl), a random jti, nonce and cnf.jwk (the X25519 "
      "key). --claims JSON is merged last: it adds platform attributes "
      "(account, region, tags, ...) and may override any claim, e.g. to make "
      "an expired token for a test.";
  issue.flags = {
      {"key", "FILE", "private JWK from \"attest keygen\"", false, true},
      {"issuer", "ISS", "the iss claim", false, true},
      {"subject", "SUB", "the sub claim (instance id)", false, true},
      {"audience", "AUD", "the aud claim (the broker's audience)", false, true},
      {"nonce", "N", "the broker's challenge", false, true},
      {"cnf-x25519", "B64URL", "the instance's X25519 public key", false, true},
      {"claims", "JSON", "extra claims (a JSON object), merged last", false,
       false},
      {"ttl", "SECONDS", "lifetime, 1 to 86400 (default 300)", false, false},
  };
  issue.run = Issue;
  commands.push_back(std::move(issue));

  common::cli::Command verify;
  verify.path = {"attest", "verify"};
  verify.args_usage = "[-]";
  verify.summary = "check a token as the broker would; print its claims";
  verify.description =
      "Reads the token from stdin (\"-\", the default) and runs the broker's "
      "token checks against the keys in --jwks (for any issuer), e.g.\n"
      "  secretctl attest verify --jwks platform.jwks - < token.txt\n"
      "Prints the verified claims as JSON and exits 0, or prints the failed "
      "check and its reason and exits 1. The nonce cannot be checked here, "
      "nor the audience without --audience; what was not checked is listed "
      "on stderr.\n"
      "A token may also be given as the argument instead of \"-\", but the "
      "command line is visible to other users (ps, /proc/PID/cmdline) and "
      "may land in shell history; a warning says so on stderr.";
  verify.flags = {
      {"jwks", "FILE", "the issuer's JWKS", false, true},
      {"audience", "AUD", "the audience the token must name", false, false},
      {"at", "RFC3339", "check the times as of this instant", false, false},
      {"signature-only", "", "check only the format and signature", false,
       false},
  };
  verify.min_args = 0;
  verify.max_args = 1;
  verify.run = Verify;
  commands.push_back(std::move(verify));
  return commands;
}

}  // namespace secretctl
