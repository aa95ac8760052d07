#include "secretd/server/invoke.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/logging.h"
#include "google/protobuf/util/json_util.h"
#include "keys/random.h"
#include "nlohmann/json.hpp"
#include "proto/secretd/v1/broker.pb.h"
#include "secretd/audit/ed25519_checkpoint_signer.h"
#include "secretd/audit/file_audit_writer.h"
#include "secretd/broker/state_cache.h"
#include "secretd/datadir/data_dir.h"
#include "secretd/keyring/keyring.h"
#include "secretd/server/runtime.h"
#include "secretd/server/store_url.h"

namespace secretd {
namespace {

InvokeResult Error(const absl::Status& status,
                   absl::string_view request_id = "") {
  nlohmann::ordered_json out;
  out["code"] = absl::StatusCodeToString(status.code());
  out["message"] = std::string(status.message());
  if (!request_id.empty()) out["request_id"] = std::string(request_id);
  return InvokeResult{1, out.dump() + "\n"};
}

InvokeResult Answer(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = true;
  std::string json;
  auto s = google::protobuf::util::MessageToJsonString(message, &json, options);
  if (!s.ok()) {
    return Error(absl::InternalError(
        absl::StrCat("cannot print the answer as JSON: ", s.ToString())));
  }
  return InvokeResult{0, json + "\n"};
}

absl::Status ParseRequest(absl::string_view input,
                          google::protobuf::Message* message,
                          size_t max_bytes) {
  if (input.size() > max_bytes) {
    return absl::ResourceExhaustedError(
        absl::StrCat("the request has ", input.size(), " bytes; at most ",
                     max_bytes, " are accepted"));
  }
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  auto s = google::protobuf::util::JsonStringToMessage(std::string(input),
                                                       message, options);
  if (!s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the request is not a ", message->GetDescriptor()->full_name(),
        " in JSON: ", s.message().ToString()));
  }
  return absl::OkStatus();
}

// An exclusive flock on `path`, waited for up to `timeout`.
class LockFile {
 public:
  static absl::StatusOr<std::unique_ptr<LockFile>> Acquire(
      const std::string& path, absl::Duration timeout) {
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
      return absl::UnavailableError(absl::StrCat(
          "cannot open the invoke lock \"", path, "\": ", strerror(errno)));
    }
    const auto deadline =
        std::chrono::steady_clock::now() + absl::ToChronoNanoseconds(timeout);
    while (flock(fd, LOCK_EX | LOCK_NB) != 0) {
      if (errno != EWOULDBLOCK && errno != EINTR) {
        ::close(fd);
        return absl::UnavailableError(
            absl::StrCat("cannot lock \"", path, "\": ", strerror(errno)));
      }
      if (std::chrono::steady_clock::now() >= deadline) {
        ::close(fd);
        return absl::UnavailableError(absl::StrCat(
            "another secretd invoke has held \"", path, "\" for over ",
            absl::FormatDuration(timeout),
            "; retry, or give this invocation its own --replica-id"));
      }
      absl::SleepFor(absl::Milliseconds(5));
    }
    return std::unique_ptr<LockFile>(new LockFile(fd));
  }
  ~LockFile() { ::close(fd_); }

 private:
  explicit LockFile(int fd) : fd_(fd) {}
  const int fd_;
};

}  // namespace

InvokeResult RunInvoke(const InvokeConfig& config, absl::string_view input,
                       const common::Clock& clock) {
  if (absl::Status s = ValidateBrokerOptions(config.broker); !s.ok()) {
    return Error(s);
  }
  if (config.method != "Provision" && config.method != "GetChallenge") {
    return Error(absl::InvalidArgumentError(
        absl::StrCat("unknown method \"", config.method,
                     "\"; use Provision or GetChallenge")));
  }
  const DataDirLayout layout(config.data_dir);
  Keyring::Options keyring_options;
  keyring_options.challenge_ttl = config.challenge_ttl;
  keys::SystemRandom random;

  if (config.method == "GetChallenge") {
    secretd::v1::GetChallengeRequest request;
    if (absl::Status s =
            ParseRequest(input, &request, config.max_request_bytes);
        !s.ok()) {
      return Error(s);
    }
    absl::StatusOr<std::unique_ptr<Keyring>> keyring =
        Keyring::Load(layout, keyring_options);
    if (!keyring.ok()) return Error(keyring.status());
    const keys::Challenge c =
        (*keyring)->Current()->challenge.Issue(clock, random);
    secretd::v1::GetChallengeResponse response;
    response.set_challenge(c.value);
    response.set_expires_at(absl::ToUnixSeconds(c.expires_at));
    response.set_audience(config.broker.audience);
    return Answer(response);
  }

  secretd::v1::ProvisionRequest request;
  if (absl::Status s = ParseRequest(input, &request, config.max_request_bytes);
      !s.ok()) {
    return Error(s);
  }
  absl::StatusOr<StoreLocation> location =
      ParseStoreUrl(config.store_url, layout);
  if (!location.ok()) return Error(location.status());
  absl::StatusOr<std::unique_ptr<Store>> store =
      OpenStore(*location, layout, clock, config.store);
  if (!store.ok()) return Error(store.status());
  absl::StatusOr<std::unique_ptr<Keyring>> keyring =
      Keyring::Load(layout, keyring_options);
  if (!keyring.ok()) return Error(keyring.status());

  const std::string replica = config.replica_id.empty()
                                  ? absl::StrCat(LocalHostName(), "-invoke")
                                  : config.replica_id;
  if (absl::Status s = audit::ValidateReplicaId(replica); !s.ok()) {
    return Error(absl::InvalidArgumentError(absl::StrCat(
        "replica id \"", replica, "\": ", s.message(), "; pass --replica-id")));
  }
  absl::StatusOr<std::unique_ptr<LockFile>> lock = LockFile::Acquire(
      absl::StrCat(layout.audit_dir, "/audit-", replica, ".lock"),
      config.lock_timeout);
  if (!lock.ok()) return Error(lock.status());

  audit::Ed25519CheckpointSigner signer((*keyring)->audit_signer());
  audit::FileAuditWriterOptions audit_options;
  audit_options.directory = layout.audit_dir;
  audit_options.replica = replica;
  absl::StatusOr<std::unique_ptr<audit::FileAuditWriter>> writer =
      audit::FileAuditWriter::Open(audit_options, signer, clock);
  if (!writer.ok()) return Error(writer.status());

  StateCache state(**store, clock);
  if (absl::StatusOr<StateCache::RefreshResult> r = state.Refresh(true);
      !r.ok()) {
    (*writer)->Close().IgnoreError();
    return Error(r.status());
  }
  KeyringKeySource key_source(**keyring);
  Broker broker(config.broker, state, key_source, **store, **writer, clock,
                random);
  ProvisionOutcome outcome =
      broker.Provision(request, CallerInfo{config.source_ip});
  if (absl::Status closed = (*writer)->Close(); !closed.ok()) {
    common::log::Error("closing the audit log failed; its tail is unsigned",
                       {{"error", closed}});
  }
  if (!outcome.status.ok()) return Error(outcome.status, outcome.request_id);
  return Answer(outcome.response);
}

}  // namespace secretd
