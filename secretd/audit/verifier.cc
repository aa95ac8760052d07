#include "secretd/audit/verifier.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "secretd/audit/record.h"

namespace secretd::audit {
namespace {

constexpr size_t kChunk = 1 << 20;
constexpr size_t kMaxLine = 1 << 20;  // no record is anywhere near 1 MiB

class LineChecker {
 public:
  LineChecker(const VerifyOptions& options, FileVerification* result)
      : options_(options), r_(*result) {}

  // Returns false once a failure is recorded.
  bool Check(absl::string_view line) {
    const uint64_t n = ++r_.lines;
    auto fields = SplitLine(line);
    if (!fields.ok()) return Fail(n, "malformed", fields.status().message());
    if (fields->hash != BodyHash(fields->body_prefix)) {
      return Fail(
          n, "hash_mismatch",
          "the record's content does not match its hash: it was edited");
    }
    if (fields->seq != expected_seq_) {
      return Fail(
          n, "seq_gap",
          absl::StrCat("seq is ", fields->seq, ", expected ", expected_seq_,
                       ": records were deleted, inserted or reordered"));
    }
    if (fields->prev != prev_) {
      return Fail(n, "chain_break",
                  "prev is not the hash of the previous line: a record was "
                  "changed, removed or moved");
    }
    nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("replica") ||
        !j["replica"].is_string() || !j.contains("type") ||
        !j["type"].is_string()) {
      return Fail(n, "malformed", "not a JSON record with replica and type");
    }
    const std::string& replica = j["replica"].get_ref<const std::string&>();
    if (n == 1) {
      r_.replica = replica;
    } else if (replica != r_.replica) {
      return Fail(n, "replica_mismatch",
                  absl::StrCat("replica \"", replica,
                               "\" in a log of replica \"", r_.replica, "\""));
    }
    if (j["type"].get_ref<const std::string&>() == kCheckpointType) {
      if (!CheckCheckpoint(n, j, *fields)) return false;
      ++r_.checkpoints;
      r_.last_checkpoint_line = n;
      r_.unsigned_records = 0;
    } else {
      ++r_.unsigned_records;
    }
    prev_ = ComputeSha256(line);
    ++expected_seq_;
    return true;
  }

  bool Fail(uint64_t line, absl::string_view kind, absl::string_view message) {
    r_.failure = VerifyFailure{line, std::string(kind), std::string(message)};
    return false;
  }

 private:
  bool CheckCheckpoint(uint64_t n, const nlohmann::json& j,
                       const LineFields& f) {
    if (!j.contains("signature") || !j["signature"].is_string() ||
        !j.contains("key_id") || !j["key_id"].is_string()) {
      return Fail(n, "malformed", "checkpoint without signature or key_id");
    }
    std::string sig;
    if (!absl::WebSafeBase64Unescape(j["signature"].get<std::string>(), &sig) ||
        sig.size() != 64) {
      return Fail(n, "bad_signature",
                  "checkpoint signature is not 64 bytes of base64url");
    }
    if (!options_.check_checkpoint) return true;
    absl::Status s =
        options_.check_checkpoint(CheckpointMessage(r_.replica, f.seq, f.prev),
                                  sig, j["key_id"].get<std::string>());
    if (s.ok()) return true;
    if (s.code() == absl::StatusCode::kNotFound) {
      return Fail(n, "unknown_key",
                  absl::StrCat("checkpoint signed by key ",
                               j["key_id"].get<std::string>(),
                               ", not by the given audit key"));
    }
    return Fail(
        n, "bad_signature",
        "checkpoint signature does not verify with the audit key: forged");
  }

  const VerifyOptions& options_;
  FileVerification& r_;
  uint64_t expected_seq_ = 1;
  Sha256 prev_ = GenesisPrev();
};

}  // namespace

absl::StatusOr<FileVerification> VerifyLogFile(const std::string& path,
                                               const VerifyOptions& options) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    std::string msg =
        absl::StrCat("cannot open audit log \"", path, "\": ", strerror(err));
    return err == ENOENT ? absl::NotFoundError(msg)
                         : absl::UnavailableError(msg);
  }
  FileVerification result;
  LineChecker checker(options, &result);
  std::string carry;  // an incomplete line from the previous chunk
  std::string buf(kChunk, '\0');
  uint64_t next_progress = 8 * kChunk;
  bool ok = true;
  while (ok) {
    ssize_t got = read(fd, buf.data(), buf.size());
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) {
      int err = errno;
      close(fd);
      return absl::UnavailableError(absl::StrCat("reading audit log \"", path,
                                                 "\" failed: ", strerror(err)));
    }
    if (got == 0) break;
    result.bytes += static_cast<uint64_t>(got);
    absl::string_view data(buf.data(), static_cast<size_t>(got));
    while (ok && !data.empty()) {
      size_t nl = data.find('\n');
      if (nl == absl::string_view::npos) {
        carry.append(data.data(), data.size());
        if (carry.size() > kMaxLine) {
          ok = checker.Fail(result.lines + 1, "malformed",
                            "line longer than 1 MiB");
        }
        break;
      }
      if (carry.empty()) {
        ok = checker.Check(data.substr(0, nl));
      } else {
        carry.append(data.data(), nl);
        ok = checker.Check(carry);
        carry.clear();
      }
      data.remove_prefix(nl + 1);
    }
    if (options.progress && result.bytes >= next_progress) {
      options.progress(result.bytes);
      next_progress = result.bytes + 8 * kChunk;
    }
  }
  close(fd);
  if (ok && !carry.empty()) {
    checker.Fail(result.lines + 1, "truncated_line",
                 "the last line is incomplete (no newline): the log was cut");
  }
  if (options.progress) options.progress(result.bytes);
  return result;
}

}  // namespace secretd::audit
