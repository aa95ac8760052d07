#include "secretctl/admin_commands.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "common/logging.h"
#include "grpcpp/create_channel_posix.h"
#include "grpcpp/grpcpp.h"
#include "keys/jwk.h"
#include "keys/secret_bytes.h"
#include "nlohmann/json.hpp"
#include "policy/role.h"
#include "proto/secretd/v1/admin.grpc.pb.h"
#include "secretd/admin/unix_socket.h"
#include "secretd/datadir/data_dir.h"
#include "secretd/names/secret_name.h"

namespace secretctl {
namespace {

using common::cli::Invocation;
using common::cli::kExitOk;
using common::cli::kExitRefused;
namespace v1 = secretd::v1;

// The broker's limit on a secret value (secretd/admin); checked here too so
// that a larger file is not read whole.
constexpr size_t kMaxValueBytes = 64 * 1024;
// Policy and JWKS files are read up to this size; the broker applies the
// real limits (10 KiB per policy, 64 KiB per JWKS) and says so.
constexpr size_t kMaxDocumentFileBytes = 1024 * 1024;
constexpr char kRequestIdKey[] = "secretd-request-id";
constexpr absl::Duration kCallTimeout = absl::Seconds(60);
constexpr absl::Duration kRotateTimeout = absl::Minutes(10);

std::string Quote(absl::string_view s) { return absl::StrCat("\"", s, "\""); }

std::string FormatTime(int64_t unix_seconds) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ",
                          absl::FromUnixSeconds(unix_seconds),
                          absl::UTCTimeZone());
}

// Writes lines as a table with aligned columns (two spaces between).
void PrintTable(std::ostream& out,
                const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width;
  for (const auto& row : rows) {
    width.resize(std::max(width.size(), row.size()));
    for (size_t i = 0; i < row.size(); ++i) {
      width[i] = std::max(width[i], row[i].size());
    }
  }
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size())
        line += std::string(width[i] - row[i].size() + 2, ' ');
    }
    out << line << "\n";
  }
}

// --format text|json; nullopt (after a usage error) otherwise.
std::optional<bool> WantJson(const Invocation& inv, int* exit_code) {
  const std::string format = inv.Get("format", "text");
  if (format == "json") return true;
  if (format == "text") return false;
  *exit_code = inv.UsageError(
      absl::StrCat("--format must be text or json, got ", Quote(format)));
  return std::nullopt;
}

common::cli::Flag FormatFlag() {
  return {"format", "text|json", "output format (default text)"};
}

// Reads a policy or JWKS file whole.
absl::StatusOr<std::string> ReadDocument(const std::string& path,
                                         absl::string_view what) {
  struct stat st;
  if (stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "cannot read ", what, " ", Quote(path), ": it is a directory"));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(absl::StrCat(
        "cannot read ", what, " ", Quote(path), ": ", std::strerror(errno)));
  }
  std::string data;
  data.resize(kMaxDocumentFileBytes + 1);
  in.read(&data[0], static_cast<std::streamsize>(data.size()));
  if (in.bad()) {
    return absl::UnavailableError(
        absl::StrCat("cannot read ", what, " ", Quote(path), ": read error"));
  }
  data.resize(static_cast<size_t>(in.gcount()));
  if (data.size() > kMaxDocumentFileBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " ", Quote(path), " is larger than 1 MiB"));
  }
  return data;
}

// Reads a secret value from `path` ("-": stdin) straight into guarded
// memory. On a terminal, echo is off while the value is typed.
absl::StatusOr<keys::SecretBytes> ReadSecretValue(const std::string& path,
                                                  std::ostream& err) {
  const bool from_stdin = path == "-";
  secretd::UniqueFd owned;
  int fd = STDIN_FILENO;
  if (!from_stdin) {
    owned.reset(open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!owned.valid()) {
      return absl::NotFoundError(absl::StrCat("cannot read the value file ",
                                              Quote(path), ": ",
                                              std::strerror(errno)));
    }
    fd = owned.get();
  }
  std::optional<termios> saved;
  if (isatty(fd)) {
    termios t;
    if (tcgetattr(fd, &t) == 0) {
      saved = t;
      t.c_lflag &= ~static_cast<tcflag_t>(ECHO);
      tcsetattr(fd, TCSAFLUSH, &t);
    }
    err << "Type the value (not echoed), then press Ctrl-D twice to end it "
           "without a newline, or Enter and Ctrl-D to include one:\n";
  }
  const keys::SecretAccess access = keys::InsecureSecretAccess::Get();
  keys::SecretBytes buffer(kMaxValueBytes + 1);
  size_t n = 0;
  int read_errno = 0;
  while (n < buffer.size()) {
    const ssize_t r = read(fd, buffer.data(access) + n, buffer.size() - n);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {
      read_errno = errno;
      break;
    }
    if (r == 0) break;
    n += static_cast<size_t>(r);
  }
  if (saved.has_value()) {
    tcsetattr(fd, TCSAFLUSH, &*saved);
    err << "\n";
  }
  const std::string name = from_stdin ? "stdin" : Quote(path);
  if (read_errno != 0) {
    return absl::UnavailableError(absl::StrCat(
        "cannot read the value from ", name, ": ", std::strerror(read_errno)));
  }
  if (n > kMaxValueBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("the value in ", name,
                     " is larger than 64 KiB (65536 bytes), the limit of a "
                     "secret; store large data elsewhere and put its key "
                     "here"));
  }
  if (n == 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the value in ", name, " is empty; a secret needs at least one byte"));
  }
  return keys::SecretBytes::CopyFrom(buffer.AsStringView(access).substr(0, n));
}

// A connection to DIR/admin.sock.
class AdminClient {
 public:
  // Connects to the admin socket of --data-dir. On failure prints why and
  // sets *exit_code.
  static std::unique_ptr<AdminClient> Connect(const Invocation& inv,
                                              int* exit_code) {
    const std::string dir = inv.Get("data-dir");
    const std::string socket = inv.Get("admin-socket");
    if (dir.empty() && socket.empty()) {
      *exit_code = inv.UsageError(
          "--data-dir DIR is required: the data directory of the broker to "
          "administer (or --admin-socket PATH for a replica's own socket)");
      return nullptr;
    }
    secretd::DataDirLayout layout(dir.empty() ? "." : dir);
    if (!socket.empty()) layout.admin_socket = socket;
    absl::StatusOr<secretd::UniqueFd> fd =
        secretd::ConnectUnixSocket(layout.admin_socket);
    if (!fd.ok()) {
      *exit_code = inv.Refused(ConnectError(dir, layout, fd.status()));
      return nullptr;
    }
    auto client = std::unique_ptr<AdminClient>(new AdminClient(dir));
    // gRPC owns the fd from here.
    client->stub_ = v1::Admin::NewStub(
        grpc::CreateInsecureChannelFromFd("localhost", fd->release()));
    return client;
  }

  v1::Admin::Stub& stub() { return *stub_; }

  // Prints a failed call's error and returns kExitRefused.
  int Failed(const Invocation& inv, const grpc::ClientContext& context,
             const grpc::Status& status) const {
    const auto& trailers = context.GetServerTrailingMetadata();
    const bool answered = trailers.find(kRequestIdKey) != trailers.end();
    if (status.error_code() == grpc::UNAVAILABLE && !answered) {
      return inv.Refused(absl::StrCat(
          "the broker closed the connection on ", dir_,
          "/admin.sock without answering: either this user (uid ", geteuid(),
          ") may not use the admin socket (run secretctl as the broker's "
          "user, or start secretd with --admin-uid ",
          geteuid(), "), or the broker stopped (check its log)"));
    }
    if (status.error_code() == grpc::DEADLINE_EXCEEDED && !answered) {
      return inv.Refused(absl::StrCat(
          "the broker did not answer in time; check its log and retry"));
    }
    return inv.Refused(status.error_message());
  }

 private:
  explicit AdminClient(std::string dir) : dir_(std::move(dir)) {}

  static std::string ConnectError(const std::string& dir,
                                  const secretd::DataDirLayout& layout,
                                  const absl::Status& s) {
    const std::string hint =
        dir.empty()
            ? absl::StrCat("is secretd serve running with --admin-socket ",
                           layout.admin_socket, "?")
            : absl::StrCat("is secretd serve running with --data-dir ", dir,
                           "?");
    struct stat st;
    switch (s.code()) {
      case absl::StatusCode::kNotFound:
        if (!dir.empty() && stat(dir.c_str(), &st) != 0) {
          return absl::StrCat("there is no data directory at ", Quote(dir),
                              "; make one with \"secretctl init --data-dir ",
                              dir, "\", or give the right --data-dir");
        }
        return absl::StrCat("no broker is serving ",
                            dir.empty() ? layout.admin_socket : dir, ": ",
                            layout.admin_socket, " does not exist; ", hint);
      case absl::StatusCode::kUnavailable:
        return absl::StrCat("no broker is listening on ", layout.admin_socket,
                            " (the socket is left from a broker that "
                            "stopped); ",
                            hint);
      case absl::StatusCode::kPermissionDenied: {
        std::string owner = "the broker's user";
        if (stat(layout.admin_socket.c_str(), &st) == 0) {
          owner = absl::StrCat("the broker's user (uid ", st.st_uid, ")");
        }
        return absl::StrCat("permission denied on ", layout.admin_socket,
                            ": the admin socket is mode 0600; run secretctl "
                            "as ",
                            owner);
      }
      default:
        return std::string(s.message());
    }
  }

  const std::string dir_;
  std::unique_ptr<v1::Admin::Stub> stub_;
};

// Calls one admin RPC on the broker of --data-dir. nullopt if it
// succeeded; otherwise prints why and returns the exit code. A refused
// change of `what` (e.g. `role "web"`, when given) is reported with a
// heading over its list of problems.
template <typename Request, typename Response>
std::optional<int> CallAdmin(
    const Invocation& inv,
    grpc::Status (v1::Admin::Stub::*method)(grpc::ClientContext*,
                                            const Request&, Response*),
    const Request& request, Response* response,
    absl::Duration timeout = kCallTimeout, absl::string_view what = "") {
  int code = kExitOk;
  std::unique_ptr<AdminClient> client = AdminClient::Connect(inv, &code);
  if (client == nullptr) return code;
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       absl::ToChronoSeconds(timeout));
  const grpc::Status s = (client->stub().*method)(&context, request, response);
  if (s.ok()) return std::nullopt;
  if (s.error_code() == grpc::INVALID_ARGUMENT && !what.empty()) {
    inv.err() << inv.command_line_name() << ": " << what
              << " was not stored; nothing changed. Every problem:\n"
              << s.error_message() << "\n";
    return kExitRefused;
  }
  return client->Failed(inv, context, s);
}

// ---- init ----

int Init(const Invocation& inv) {
  const std::string dir = inv.Get("data-dir");
  if (dir.empty()) {
    return inv.UsageError(
        "--data-dir DIR is required: where to make the data directory");
  }
  secretd::InitOptions options;
  options.tls_sans = inv.GetAll("tls-san");
  // The report below says what was made; the store's progress lines would
  // only repeat it.
  common::log::SetMinLevel(common::log::Level::kWarning);
  common::RealClock clock;
  absl::StatusOr<secretd::InitReport> report =
      secretd::InitDataDir(dir, options, clock);
  if (!report.ok()) return inv.Refused(report.status().message());
  std::ostream& out = inv.out();
  out << "Made the data directory " << dir << "\n"
      << "  KEK id " << report->kek_id << ", release key id "
      << report->release_key_id << ", audit key id " << report->audit_key_id
      << "\n\n";
  std::vector<std::vector<std::string>> secret_rows, other_rows;
  for (const secretd::InitReport::File& f : report->files) {
    (f.secret ? secret_rows : other_rows).push_back({"  " + f.path, f.what});
  }
  out << "Keep these secret: back them up offline, never copy them to an "
         "instance or a repository:\n";
  PrintTable(out, secret_rows);
  out << "\nAlso made:\n";
  PrintTable(out, other_rows);
  out << "\nNext: secretd serve --data-dir " << dir
      << " --listen HOST:PORT --audience AUD\n";
  return kExitOk;
}

// ---- trust ----

int TrustPut(const Invocation& inv) {
  absl::StatusOr<std::string> jwks = ReadDocument(inv.Get("jwks"), "JWKS");
  if (!jwks.ok()) return inv.Refused(jwks.status().message());
  // A private JWK here is a mix-up with "attest keygen"'s --private-out:
  // say so before it leaves this machine (and never echo it).
  if (keys::Jwk::ParsePrivate(*jwks).ok()) {
    keys::WipeString(&*jwks);
    return inv.Refused(absl::StrCat(
        Quote(inv.Get("jwks")),
        " holds a private key: trust needs the public JWKS (--jwks-out of "
        "attest keygen); keep the private key on the platform"));
  }
  v1::PutTrustRequest request;
  request.set_issuer(inv.args()[0]);
  request.set_jwks_json(*std::move(jwks));
  v1::PutTrustResponse response;
  if (std::optional<int> failed =
          CallAdmin(inv, &v1::Admin::Stub::PutTrust, request, &response)) {
    return *failed;
  }
  const int n = response.key_ids_size();
  inv.out() << "issuer " << Quote(response.issuer()) << " trusted with " << n
            << (n == 1 ? " key: " : " keys: ")
            << absl::StrJoin(response.key_ids(), ", ") << "\n";
  return kExitOk;
}

int TrustList(const Invocation& inv) {
  int code = kExitOk;
  std::optional<bool> json = WantJson(inv, &code);
  if (!json.has_value()) return code;
  v1::ListTrustResponse response;
  if (std::optional<int> failed =
          CallAdmin(inv, &v1::Admin::Stub::ListTrust, v1::ListTrustRequest(),
                    &response)) {
    return *failed;
  }
  if (*json) {
    nlohmann::ordered_json out = {{"issuers", nlohmann::ordered_json::array()}};
    for (const v1::TrustBundle& b : response.bundles()) {
      out["issuers"].push_back(
          {{"issuer", b.issuer()},
           {"key_ids",
            std::vector<std::string>(b.key_ids().begin(), b.key_ids().end())},
           {"updated_at", FormatTime(b.updated_at())}});
    }
    inv.out() << out.dump() << "\n";
    return kExitOk;
  }
  if (response.bundles().empty()) {
    inv.out() << "no trusted issuers; add one with \"secretctl trust put "
                 "ISSUER --jwks FILE\"\n";
    return kExitOk;
  }
  std::vector<std::vector<std::string>> rows = {{"ISSUER", "KEYS", "UPDATED"}};
  for (const v1::TrustBundle& b : response.bundles()) {
    rows.push_back({b.issuer(), absl::StrJoin(b.key_ids(), ","),
                    FormatTime(b.updated_at())});
  }
  PrintTable(inv.out(), rows);
  return kExitOk;
}

int TrustDelete(const Invocation& inv) {
  v1::DeleteTrustRequest request;
  request.set_issuer(inv.args()[0]);
  v1::DeleteTrustResponse response;
  if (std::optional<int> failed =
          CallAdmin(inv, &v1::Admin::Stub::DeleteTrust, request, &response)) {
    return *failed;
  }
  inv.out() << "issuer " << Quote(request.issuer())
            << " is no longer trusted\n";
  return kExitOk;
}

// ---- roles ----

std::string BaseName(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

nlohmann::ordered_json RoleJson(const v1::Role& role, bool with_documents) {
  nlohmann::ordered_json out = {
      {"name", role.name()},
      {"max_token_lifetime_seconds", role.max_token_lifetime_seconds()},
      {"secret_ttl_seconds", role.secret_ttl_seconds()},
      {"single_use_tokens", role.single_use_tokens()},
      {"updated_at", FormatTime(role.updated_at())}};
  auto doc = [&](const v1::PolicyDocument& d) -> nlohmann::ordered_json {
    if (!with_documents) return d.name();
    return {{"name", d.name()}, {"document", d.document()}};
  };
  out["trust_policy"] = doc(role.trust_policy());
  out["permission_policies"] = nlohmann::ordered_json::array();
  for (const v1::PolicyDocument& d : role.permission_policies()) {
    out["permission_policies"].push_back(doc(d));
  }
  return out;
}

std::vector<std::string> PolicyNames(const v1::Role& role) {
  std::vector<std::string> names;
  for (const v1::PolicyDocument& d : role.permission_policies()) {
    names.push_back(d.name());
  }
  return names;
}

int RolePut(const Invocation& inv) {
  // 0: not given, the broker's default.
  absl::StatusOr<int64_t> lifetime =
      inv.GetInt("max-token-lifetime", 0, 1,
                 absl::ToInt64Seconds(policy::kMaxMaxTokenLifetime));
  if (!lifetime.ok()) return inv.UsageError(lifetime.status().message());
  absl::StatusOr<int64_t> ttl = inv.GetInt(
      "secret-ttl", 0, 1, absl::ToInt64Seconds(policy::kMaxSecretTtl));
  if (!ttl.ok()) return inv.UsageError(ttl.status().message());
  v1::PutRoleRequest request;
  v1::Role* role = request.mutable_role();
  role->set_name(inv.args()[0]);
  role->set_max_token_lifetime_seconds(*lifetime);
  role->set_secret_ttl_seconds(*ttl);
  role->set_single_use_tokens(inv.Has("single-use-tokens"));
  // Every file is read before reporting, so that all problems show at once.
  std::vector<std::string> errors;
  auto load = [&](const std::string& path, v1::PolicyDocument* doc) {
    absl::StatusOr<std::string> text = ReadDocument(path, "policy file");
    if (!text.ok()) {
      errors.push_back(std::string(text.status().message()));
      return;
    }
    doc->set_name(BaseName(path));
    doc->set_document(*std::move(text));
  };
  load(inv.Get("trust"), role->mutable_trust_policy());
  for (const std::string& path : inv.GetAll("policy")) {
    load(path, role->add_permission_policies());
  }
  if (!errors.empty()) return inv.Refused(absl::StrJoin(errors, "\n"));

  v1::PutRoleResponse response;
  if (std::optional<int> failed =
          CallAdmin(inv, &v1::Admin::Stub::PutRole, request, &response,
                    kCallTimeout, absl::StrCat("role ", Quote(role->name())))) {
    return *failed;
  }
  const v1::Role& stored = response.role();
  inv.out() << "role " << Quote(stored.name()) << " stored: trust policy "
            << stored.trust_policy().name() << "; permission policies "
            << absl::StrJoin(PolicyNames(stored), ", ")
            << "; max token lifetime " << stored.max_token_lifetime_seconds()
            << " s; secret ttl " << stored.secret_ttl_seconds()
            << " s; single-use tokens "
            << (stored.single_use_tokens() ? "on" : "off") << "\n";
  return kExitOk;
}

int RoleGet(const Invocation& inv) {
  int code = kExitOk;
  std::optional<bool> json = WantJson(inv, &code);
  if (!json.has_value()) return code;
  v1::GetRoleRequest request;
  request.set_name(inv.args()[0]);
  v1::Role role;
  if (std::optional<int> failed =
          CallAdmin(inv, &v1::Admin::Stub::GetRole, request, &role)) {
    return *failed;
  }
  if (*json) {
    inv.out() << RoleJson(role, /*with_documents=*/true).dump() << "\n";
    return kExitOk;
  }
  std::ostream& out = inv.out();
  out << "role " << role.name() << "\n";
  PrintTable(out,
             {{"  max token lifetime",
               absl::StrCat(role.max_token_lifetime_seconds(), " s")},
              {"  secret ttl", absl::StrCat(role.secret_ttl_seconds(), " s")},
              {"  single-use tokens", role.single_use_tokens() ? "on" : "off"},
              {"  updated", FormatTime(role.updated_at())}});
  auto print_doc = [&](absl::string_view kind, const v1::PolicyDocument& d) {
    out << "\n" << kind << " " << d.name() << ":\n" << d.document();
    if (!d.document().empty() && d.document().back() != '\n') out << "\n";
  };
  print_doc("trust policy", role.trust_policy());
  for (const v1::PolicyDocument& d : role.permission_policies()) {
    print_doc("permission policy", d);
  }
  return kExitOk;
}

int RoleList(const Invocation& inv) {
  int code = kExitOk;
  std::optional<bool> json = WantJson(inv, &code);
  if (!json.has_value()) return code;
  v1::ListRolesResponse response;
  if (std::optional<int> failed =
          CallAdmin(inv, &v1::Admin::Stub::ListRoles, v1::ListRolesRequest(),
                    &response)) {
    return *failed;
  }
  if (*json) {
    nlohmann::ordered_json out = {{"roles", nlohmann::ordered_json::array()}};
    for (const v1::Role& r : response.roles()) {
      out["roles"].push_back(RoleJson(r, /*with_documents=*/false));
    }
    inv.out() << out.dump() << "\n";
    return kExitOk;
  }
  if (response.roles().empty()) {
    inv.out() << "no roles; define one with \"secretctl role put NAME --trust "
                 "FILE --policy FILE\"\n";
    return kExitOk;
  }
  std::vector<std::vector<std::string>> rows = {{"ROLE", "TOKEN_LIFETIME",
                                                 "SECRET_TTL", "SINGLE_USE",
                                                 "TRUST", "PERMISSIONS"}};
  for (const v1::Role& r : response.roles()) {
    rows.push_back({r.name(), absl::StrCat(r.max_token_lifetime_seconds(), "s"),
                    absl::StrCat(r.secret_ttl_seconds(), "s"),
                    r.single_use_tokens() ? "yes" : "no",
                    r.trust_policy().name(),
                    absl::StrJoin(PolicyNames(r), ",")});
  }
  PrintTable(inv.out(), rows);
  return kExitOk;
}

int RoleDelete(const Invocation& inv) {
  v1::DeleteRoleRequest request;
  request.set_name(inv.args()[0]);
  v1::DeleteRoleResponse response;
  if (std::optional<int> failed =
          CallAdmin(inv, &v1::Admin::Stub::DeleteRole, request, &response)) {
    return *failed;
  }
  inv.out() << "role " << Quote(request.name()) << " deleted\n";
  return kExitOk;
}

// ---- secrets ----

int SecretPut(const Invocation& inv) {
  int code = kExitOk;
  std::optional<bool> json = WantJson(inv, &code);
  if (!json.has_value()) return code;
  absl::StatusOr<keys::SecretBytes> value =
      ReadSecretValue(inv.Get("value-file"), inv.err());
  if (!value.ok()) return inv.Refused(value.status().message());
  v1::PutSecretRequest request;
  request.set_name(inv.args()[0]);
  // The proto's copy cannot live in guarded memory; it is wiped right after
  // the call (gRPC's serialized copy is freed without wiping).
  request.set_value(
      std::string(value->AsStringView(keys::InsecureSecretAccess::Get())));
  v1::PutSecretResponse response;
  const std::optional<int> failed =
      CallAdmin(inv, &v1::Admin::Stub::PutSecret, request, &response);
  keys::WipeString(request.mutable_value());
  if (failed.has_value()) return *failed;
  if (*json) {
    inv.out() << nlohmann::ordered_json{{"name", response.name()},
                                        {"version", response.version()}}
                     .dump()
              << "\n";
  } else {
    inv.out() << "secret " << Quote(response.name()) << " version "
              << response.version() << " stored\n";
  }
  return kExitOk;
}

int SecretList(const Invocation& inv) {
  int code = kExitOk;
  std::optional<bool> json = WantJson(inv, &code);
  if (!json.has_value()) return code;
  v1::ListSecretsRequest request;
  if (!inv.args().empty()) request.set_prefix(inv.args()[0]);
  v1::ListSecretsResponse response;
  if (std::optional<int> failed =
          CallAdmin(inv, &v1::Admin::Stub::ListSecrets, request, &response)) {
    return *failed;
  }
  if (*json) {
    nlohmann::ordered_json out = {{"secrets", nlohmann::ordered_json::array()}};
    for (const v1::SecretInfo& info : response.secrets()) {
      nlohmann::ordered_json versions = nlohmann::ordered_json::array();
      for (const v1::SecretVersionInfo& v : info.versions()) {
        versions.push_back({{"version", v.version()},
                            {"enabled", v.enabled()},
                            {"created_at", FormatTime(v.created_at())},
                            {"kek_id", v.kek_id()}});
      }
      out["secrets"].push_back({{"name", info.name()},
                                {"current_version", info.current_version()},
                                {"versions", std::move(versions)}});
    }
    inv.out() << out.dump() << "\n";
    return kExitOk;
  }
  if (response.secrets().empty()) {
    inv.out() << (request.prefix().empty()
                      ? std::string("no secrets")
                      : absl::StrCat("no secrets under ",
                                     Quote(request.prefix())))
              << "; add one with \"secretctl secret put NAME --value-file "
                 "FILE\"\n";
    return kExitOk;
  }
  std::vector<std::vector<std::string>> rows = {
      {"SECRET", "CURRENT", "VERSIONS", "UPDATED"}};
  for (const v1::SecretInfo& info : response.secrets()) {
    std::vector<std::string> versions;
    int64_t newest = 0;
    for (const v1::SecretVersionInfo& v : info.versions()) {
      versions.push_back(v.enabled() ? absl::StrCat(v.version())
                                     : absl::StrCat(v.version(), "(disabled)"));
      newest = std::max(newest, v.created_at());
    }
    rows.push_back({info.name(),
                    info.current_version() == 0
                        ? "none"
                        : absl::StrCat(info.current_version()),
                    absl::StrJoin(versions, ","), FormatTime(newest)});
  }
  PrintTable(inv.out(), rows);
  return kExitOk;
}

int SecretDisable(const Invocation& inv) {
  absl::StatusOr<secretd::SecretRef> ref =
      secretd::ParseSecretRef(inv.args()[0]);
  if (!ref.ok()) return inv.UsageError(ref.status().message());
  if (!ref->version.has_value()) {
    return inv.UsageError(absl::StrCat(
        "give the version to disable as NAME@VERSION, e.g. ", ref->name,
        "@1 (\"secretctl secret list\" shows the versions)"));
  }
  v1::DisableSecretVersionRequest request;
  request.set_name(ref->name);
  request.set_version(*ref->version);
  v1::DisableSecretVersionResponse response;
  if (std::optional<int> failed = CallAdmin(
          inv, &v1::Admin::Stub::DisableSecretVersion, request, &response)) {
    return *failed;
  }
  inv.out() << "version " << *ref->version << " of secret " << Quote(ref->name)
            << " is disabled: it is never released again\n";
  return kExitOk;
}

// ---- kek ----

int KekRotate(const Invocation& inv) {
  int code = kExitOk;
  std::optional<bool> json = WantJson(inv, &code);
  if (!json.has_value()) return code;
  v1::RotateKekResponse response;
  if (std::optional<int> failed =
          CallAdmin(inv, &v1::Admin::Stub::RotateKek, v1::RotateKekRequest(),
                    &response, kRotateTimeout)) {
    return *failed;
  }
  if (*json) {
    inv.out() << nlohmann::ordered_json{{"old_kek_id", response.old_kek_id()},
                                        {"new_kek_id", response.new_kek_id()},
                                        {"rewrapped", response.rewrapped()}}
                     .dump()
              << "\n";
    return kExitOk;
  }
  const secretd::DataDirLayout layout(inv.Get("data-dir"));
  inv.out() << "KEK rotated: " << response.old_kek_id() << " -> "
            << response.new_kek_id() << "; " << response.rewrapped()
            << (response.rewrapped() == 1 ? " data key" : " data keys")
            << " rewrapped\n"
            << "The old KEK is kept in " << layout.kek_retired_dir << "/"
            << response.old_kek_id()
            << ". Other replicas sharing the store need the new " << layout.kek
            << ": copy it to them and reload them (SIGHUP).\n";
  return kExitOk;
}

}  // namespace

std::vector<common::cli::Command> AdminCommands() {
  constexpr char kViaSocket[] =
      "\n\nTalks to the broker through DIR/admin.sock (secretd serve "
      "--data-dir DIR must be running; run secretctl as the broker's user).";
  std::vector<common::cli::Command> c;
  c.push_back(
      {{"init"},
       "",
       "make a new data directory: keys, dev TLS material, empty store",
       "Makes DIR (given with --data-dir) with the broker's keys (keys/kek, "
       "keys/release.key, keys/audit.key and their .pub files), a "
       "development CA and server certificate (tls/), an empty store "
       "(store.db) and the audit directory (audit/), and prints what it made "
       "and which files to keep secret. Works offline. Never overwrites: DIR "
       "must not exist or be empty.",
       {{"tls-san", "NAME",
         "a name (DNS name or IP address) for the server certificate. "
         "Giving any --tls-san REPLACES the defaults (localhost, 127.0.0.1, "
         "::1): list every name clients connect with",
         /*repeated=*/true}},
       0,
       0,
       Init,
       "0 made, 1 refused or failed, 2 usage error."});
  c.push_back({{"trust", "put"},
               "ISSUER",
               "trust a token issuer's signing keys (JWKS)",
               absl::StrCat("Stores the JWK Set of ISSUER (the tokens' "
                            "\"iss\"), replacing any earlier one. Every key "
                            "must be a public signing key (Ed25519, P-256 or "
                            "RSA) with a kid; the JWKS is at most 64 KiB.",
                            kViaSocket),
               {{"jwks", "FILE", "the JWKS file", false, /*required=*/true}},
               1,
               1,
               TrustPut});
  c.push_back({{"trust", "list"},
               "",
               "list trusted issuers and their key ids",
               absl::StrCat("json: {\"issuers\": [{\"issuer\", \"key_ids\", "
                            "\"updated_at\"}]}.",
                            kViaSocket),
               {FormatFlag()},
               0,
               0,
               TrustList});
  c.push_back({{"trust", "delete"},
               "ISSUER",
               "stop trusting an issuer",
               absl::StrCat("Removes ISSUER's JWKS; its tokens are refused "
                            "from the broker's next refresh on.",
                            kViaSocket),
               {},
               1,
               1,
               TrustDelete});
  c.push_back(
      {{"role", "put"},
       "NAME",
       "create or replace a role",
       absl::StrCat(
           "Stores role NAME with its trust policy (who may assume it) and "
           "permission policies (which secrets it may read), each named by "
           "its file's base name. The broker validates every document "
           "first; if anything is wrong nothing is stored and every problem "
           "is listed, one per line, as\n"
           "  policy \"FILE\": <JSON path>: <what is wrong>\n"
           "Check files offline with \"secretctl policy validate\".",
           kViaSocket),
       {{"trust", "FILE", "the trust policy", false, /*required=*/true},
        {"policy", "FILE", "a permission policy",
         /*repeated=*/true, /*required=*/true},
        {"max-token-lifetime", "SECONDS",
         "longest token lifetime (exp - iat) accepted, 1 to 86400 "
         "(default 600)"},
        {"secret-ttl", "SECONDS",
         "lifetime of a released bundle, 1 to 2592000 (default 3600)"},
        {"single-use-tokens", "",
         "refuse a second use of a token across all replicas"}},
       1,
       1,
       RolePut});
  c.push_back({{"role", "get"},
               "NAME",
               "show a role with its policy documents",
               absl::StrCat("json: {\"name\", \"max_token_lifetime_seconds\", "
                            "\"secret_ttl_seconds\", \"single_use_tokens\", "
                            "\"updated_at\", \"trust_policy\": {\"name\", "
                            "\"document\"}, \"permission_policies\": "
                            "[{\"name\", \"document\"}]}.",
                            kViaSocket),
               {FormatFlag()},
               1,
               1,
               RoleGet});
  c.push_back({{"role", "list"},
               "",
               "list roles with their limits and policy names",
               absl::StrCat("json: {\"roles\": [...]} as role get, with "
                            "policy names instead of documents.",
                            kViaSocket),
               {FormatFlag()},
               0,
               0,
               RoleList});
  c.push_back({{"role", "delete"},
               "NAME",
               "delete a role",
               absl::StrCat("Deletes role NAME; instances can no longer "
                            "assume it.",
                            kViaSocket),
               {},
               1,
               1,
               RoleDelete});
  c.push_back(
      {{"secret", "put"},
       "NAME",
       "store a new version of a secret; prints its version",
       absl::StrCat(
           "Reads the value from FILE (\"-\": stdin; on a terminal it is not "
           "echoed) exactly as is, trailing newline included (use printf "
           "'%s' to leave one out), at most 64 KiB, and stores it as the "
           "next version of NAME (e.g. app/db/password), encrypted. The "
           "value is never printed, logged or passed on the command line, "
           "and no command reads it back. json: {\"name\", \"version\"}.",
           kViaSocket),
       {{"value-file", "FILE|-", "where to read the value", false,
         /*required=*/true},
        FormatFlag()},
       1,
       1,
       SecretPut});
  c.push_back({{"secret", "list"},
               "[PREFIX]",
               "list secrets and their versions (never values)",
               absl::StrCat("Lists the secrets whose names start with PREFIX "
                            "(all by default). CURRENT is the version "
                            "released to requests without @version. json: "
                            "{\"secrets\": [{\"name\", \"current_version\", "
                            "\"versions\": [{\"version\", \"enabled\", "
                            "\"created_at\", \"kek_id\"}]}]}.",
                            kViaSocket),
               {FormatFlag()},
               0,
               1,
               SecretList});
  c.push_back({{"secret", "disable"},
               "NAME@VERSION",
               "never release a version of a secret again",
               absl::StrCat("Disables one version for good; requests without "
                            "@version then get the newest enabled version.",
                            kViaSocket),
               {},
               1,
               1,
               SecretDisable});
  c.push_back(
      {{"kek", "rotate"},
       "",
       "rewrap every secret's data key under a new KEK",
       absl::StrCat("Makes a new key-encryption key, rewraps every data key "
                    "in one transaction, and retires the old KEK to "
                    "keys/kek.retired/. Crash-safe: if interrupted, run it "
                    "again. json: {\"old_kek_id\", \"new_kek_id\", "
                    "\"rewrapped\"}.",
                    kViaSocket),
       {FormatFlag()},
       0,
       0,
       KekRotate});
  return c;
}

}  // namespace secretctl
