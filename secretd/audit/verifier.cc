#include "secretd/audit/verifier.h"

#include <openssl/evp.h>

#include <memory>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "keys/encoding.h"
#include "secretd/audit/envelope.h"
#include "secretd/audit/log_reader.h"
#include "secretd/audit/record.h"

namespace secretd::audit {
namespace {

// How far past an out-of-order seq the verifier looks for the seqs it
// skipped, to tell deleted records from reordered ones.
constexpr uint64_t kLookaheadLines = 1 << 16;
constexpr uint64_t kProgressEvery = 8 << 20;

std::string Plural(uint64_t n, absl::string_view one, absl::string_view many) {
  return absl::StrCat(n, " ", n == 1 ? one : many);
}

// "line 57 (seq 57, request 7f3c2a91)", with what the line's envelope gives.
std::string Where(uint64_t n, absl::string_view line) {
  std::string s = absl::StrCat("line ", n);
  auto e = ScanEnvelope(line);
  if (!e.ok()) return s;
  absl::StrAppend(&s, " (seq ", e->seq);
  if (e->type == kCheckpointType) {
    absl::StrAppend(&s, ", checkpoint");
  } else if (!e->request_id.empty()) {
    absl::StrAppend(&s, ", request ", e->request_id);
  }
  absl::StrAppend(&s, ")");
  return s;
}

// Computes both digests a line needs, hashing their common prefix once:
// body = SHA-256(body_prefix || "}") (what `hash` must be) and
// line = SHA-256(line) (what the next line's `prev` must be), where
// body_prefix is a prefix of line.
class LineHasher {
 public:
  LineHasher()
      : md_(EVP_MD_fetch(nullptr, "SHA256", nullptr)),
        body_(EVP_MD_CTX_new()),
        line_(EVP_MD_CTX_new()) {}

  // False only if OpenSSL fails (out of memory); the digests are then zero
  // and never match.
  bool Hash(absl::string_view line, size_t body_prefix_len, Sha256* body,
            Sha256* whole) {
    unsigned int len = 0;
    if (md_ == nullptr || body_ == nullptr || line_ == nullptr ||
        EVP_DigestInit_ex(body_.get(), md_.get(), nullptr) != 1 ||
        EVP_DigestUpdate(body_.get(), line.data(), body_prefix_len) != 1 ||
        EVP_MD_CTX_copy_ex(line_.get(), body_.get()) != 1 ||
        EVP_DigestUpdate(body_.get(), "}", 1) != 1 ||
        EVP_DigestFinal_ex(body_.get(), body->data(), &len) != 1 ||
        EVP_DigestUpdate(line_.get(), line.data() + body_prefix_len,
                         line.size() - body_prefix_len) != 1 ||
        EVP_DigestFinal_ex(line_.get(), whole->data(), &len) != 1) {
      *body = Sha256{};
      *whole = Sha256{};
      return false;
    }
    return true;
  }

 private:
  struct MdFree {
    void operator()(EVP_MD* md) const { EVP_MD_free(md); }
  };
  struct CtxFree {
    void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
  };
  std::unique_ptr<EVP_MD, MdFree> md_;
  std::unique_ptr<EVP_MD_CTX, CtxFree> body_;
  std::unique_ptr<EVP_MD_CTX, CtxFree> line_;
};

class Checker {
 public:
  Checker(const VerifyOptions& options, FileVerification* result)
      : options_(options), r_(*result) {
    r_.signatures_checked = static_cast<bool>(options_.check_checkpoint);
  }

  // Checks line `n` (1-based). Returns false once the verdict is final.
  bool Check(uint64_t n, absl::string_view line) {
    if (diagnosing_) return Diagnose(n, line);
    auto fields = SplitLine(line);
    if (!fields.ok()) {
      return Fail(n, "malformed",
                  absl::StrCat("line ", n, " is not an audit record: ",
                               fields.status().message()));
    }
    Sha256 body_hash, line_hash;
    hasher_.Hash(line, fields->body_prefix.size(), &body_hash, &line_hash);
    if (fields->hash != body_hash) {
      return Fail(n, "hash_mismatch",
                  absl::StrCat(Where(n, line),
                               " does not match its hash: the record was "
                               "edited after it was written"));
    }
    auto env = ScanEnvelope(line);
    if (!env.ok()) {
      return Fail(n, "malformed",
                  absl::StrCat("line ", n, " is not an audit record: ",
                               env.status().message()));
    }
    if (fields->seq != expected_seq_) {
      return StartDiagnosis(n, fields->seq);
    }
    if (fields->prev != prev_) {
      if (n == 1) {
        return Fail(n, "chain_break",
                    "line 1 has seq 1 but its prev is not 64 zeros: it does "
                    "not start a log");
      }
      return Fail(n, "chain_break",
                  absl::StrCat(Where(n, line), " does not follow line ", n - 1,
                               ": its prev is not the hash of line ", n - 1,
                               ", so line ", n - 1,
                               " was edited and its hash recomputed, or "
                               "replaced"));
    }
    if (n == 1) {
      r_.replica = std::string(env->replica);
      r_.first_time = std::string(env->time);
    } else if (env->replica != r_.replica) {
      return Fail(
          n, "replica_mismatch",
          absl::StrCat(Where(n, line), " belongs to replica \"", env->replica,
                       "\" in the log of replica \"", r_.replica,
                       "\": a record from another log was inserted"));
    }
    if (env->type == kCheckpointType) {
      if (!CheckCheckpoint(n, *env, *fields)) return false;
      ++r_.checkpoints;
      r_.last_checkpoint_line = n;
      r_.unsigned_records = 0;
    } else {
      ++r_.records;
      ++r_.unsigned_records;
    }
    r_.last_time.assign(env->time.data(), env->time.size());
    prev_ = line_hash;
    ++expected_seq_;
    r_.lines = n;
    return true;
  }

  bool diagnosing() const { return diagnosing_; }
  // The hash of the last line that verified (GenesisPrev if none).
  const Sha256& prev() const { return prev_; }

  // At the end of the file. `torn` is a last line without "\n", if any.
  void Finish(uint64_t torn_line, absl::string_view torn) {
    if (diagnosing_) {
      FinishDiagnosis(0, 0);
      return;
    }
    if (r_.failure || torn.empty()) return;
    Fail(torn_line, "truncated_line",
         absl::StrCat("line ", torn_line,
                      " has no end: the file stops in the middle of a record, "
                      "so the log was cut (or the broker crashed while writing "
                      "it; a restarted broker removes such a line)"));
  }

  bool Fail(uint64_t line, absl::string_view kind, std::string message) {
    r_.failure = VerifyFailure{line, std::string(kind), std::move(message)};
    r_.unsigned_records = 0;  // meaningless once the chain is broken
    return false;
  }

 private:
  bool StartDiagnosis(uint64_t n, uint64_t seq) {
    if (seq < expected_seq_) {
      // Seqs below expected_seq_ sat at line == seq (no earlier anomaly).
      return Fail(n, "records_reordered",
                  absl::StrCat("line ", n, " has seq ", seq, " where seq ",
                               expected_seq_, " was expected, and seq ", seq,
                               " was already at line ", seq,
                               ": a record was moved back or duplicated"));
    }
    diagnosing_ = true;
    bad_line_ = n;
    bad_seq_ = seq;
    return true;
  }

  // Looks for the skipped seqs [expected_seq_, bad_seq_) after bad_line_.
  bool Diagnose(uint64_t n, absl::string_view line) {
    auto fields = SplitLine(line);
    if (fields.ok() && fields->seq >= expected_seq_ && fields->seq < bad_seq_) {
      FinishDiagnosis(n, fields->seq);
      return false;
    }
    if (n - bad_line_ >= kLookaheadLines) {
      FinishDiagnosis(0, 0);
      return false;
    }
    return true;
  }

  // `found_line`: where a skipped seq showed up (0: nowhere).
  void FinishDiagnosis(uint64_t found_line, uint64_t found_seq) {
    diagnosing_ = false;
    const std::string head =
        absl::StrCat("line ", bad_line_, " has seq ", bad_seq_, " where seq ",
                     expected_seq_, " was expected");
    if (found_line != 0) {
      Fail(bad_line_, "records_reordered",
           absl::StrCat(head, ", and seq ", found_seq, " comes later at line ",
                        found_line, ": records were reordered"));
      return;
    }
    const uint64_t missing = bad_seq_ - expected_seq_;
    std::string range = missing == 1 ? absl::StrCat("seq ", expected_seq_)
                                     : absl::StrCat("seq ", expected_seq_,
                                                    " to ", bad_seq_ - 1);
    Fail(bad_line_, "records_missing",
         absl::StrCat(head, ": ", Plural(missing, "record", "records"), " (",
                      range, ") ", missing == 1 ? "is" : "are", " missing; ",
                      missing == 1 ? "it was" : "they were",
                      bad_line_ == 1 ? " deleted from the start of the log"
                                     : " deleted"));
  }

  bool CheckCheckpoint(uint64_t n, const Envelope& env, const LineFields& f) {
    auto cp = ScanCheckpoint(env, f);
    if (!cp.ok()) {
      return Fail(n, "malformed",
                  absl::StrCat("line ", n, " is not a valid checkpoint: ",
                               cp.status().message()));
    }
    // The writer counts the records it appended since its last checkpoint;
    // after a restart that is fewer than the unsigned records in the file.
    if (cp->records > r_.unsigned_records) {
      return Fail(n, "malformed",
                  absl::StrCat("the checkpoint at line ", n, " claims ",
                               cp->records, " records since the last one, but ",
                               r_.unsigned_records, " precede it"));
    }
    auto sig = keys::Base64UrlDecode(cp->signature);
    if (!sig.ok() || sig->size() != 64) {
      return Fail(n, "malformed",
                  absl::StrCat("the checkpoint at line ", n,
                               " has a signature that is not 64 bytes of "
                               "canonical base64url"));
    }
    if (options_.check_checkpoint) {
      absl::Status s = options_.check_checkpoint(
          CheckpointMessage(env.replica, f.seq,
                            CheckpointClaims{env.time, cp->records, cp->reason},
                            f.prev),
          *sig, cp->key_id);
      if (!s.ok() && s.code() == absl::StatusCode::kNotFound) {
        return Fail(n, "unknown_key",
                    absl::StrCat("the checkpoint at line ", n,
                                 " was signed by key ", cp->key_id,
                                 ", not by the given audit key: pass the "
                                 "right --audit-public-key, or the checkpoint "
                                 "was forged"));
      }
      if (!s.ok()) {
        const std::string before =
            r_.last_checkpoint_line == 0
                ? absl::StrCat("lines 1 to ", n - 1)
                : absl::StrCat("lines ", r_.last_checkpoint_line + 1, " to ",
                               n - 1);
        return Fail(
            n, "bad_signature",
            absl::StrCat("the checkpoint at line ", n,
                         " does not verify with the audit key: it was "
                         "forged, or ",
                         n == 1 ? "it was moved" : before,
                         n == 1 ? "" : " were rewritten after it was signed"));
      }
    }
    r_.key_id = std::string(cp->key_id);
    r_.last_checkpoint_reason = std::string(cp->reason);
    return true;
  }

  const VerifyOptions& options_;
  FileVerification& r_;
  LineHasher hasher_;
  uint64_t expected_seq_ = 1;
  Sha256 prev_ = GenesisPrev();
  // An out-of-order seq under diagnosis.
  bool diagnosing_ = false;
  uint64_t bad_line_ = 0;
  uint64_t bad_seq_ = 0;
};

}  // namespace

absl::string_view FailureTitle(absl::string_view kind) {
  if (kind == "truncated_line") return "truncated tail";
  if (kind == "malformed") return "malformed line";
  if (kind == "hash_mismatch") return "edited record";
  if (kind == "records_missing") return "deleted records";
  if (kind == "records_reordered") return "reordered records";
  if (kind == "chain_break") return "broken chain";
  if (kind == "replica_mismatch") return "foreign record";
  if (kind == "unknown_key") return "unknown signing key";
  if (kind == "bad_signature") return "forged checkpoint";
  return kind;
}

absl::StatusOr<FileVerification> VerifyLogFile(const std::string& path,
                                               const VerifyOptions& options) {
  auto file = LogFile::Open(path);
  if (!file.ok()) return file.status();
  return VerifyLog(**file, options);
}

absl::StatusOr<FileVerification> VerifyLog(const LogFile& file,
                                           const VerifyOptions& options) {
  std::unique_ptr<LogReader> reader = LogReader::Read(file);
  FileVerification result;
  Checker checker(options, &result);
  uint64_t next_progress = kProgressEvery;
  absl::string_view line;
  bool more = true;
  while (more && reader->Next(&line)) {
    more = checker.Check(reader->line_number(), line);
    const uint64_t consumed = reader->bytes_consumed();
    if (options.progress && consumed >= next_progress) {
      options.progress(consumed);
      next_progress = consumed + kProgressEvery;
    }
  }
  if (more) {
    if (!reader->status().ok()) {
      if (reader->status().code() != absl::StatusCode::kDataLoss) {
        return reader->status();
      }
      if (checker.diagnosing()) {
        checker.Finish(0, {});
      } else {
        checker.Fail(
            reader->line_number() + 1, "malformed",
            absl::StrCat("line ", reader->line_number() + 1, " is longer than ",
                         kMaxLineBytes, " bytes: it is not an audit record"));
      }
    } else {
      checker.Finish(reader->line_number() + 1, reader->torn_tail());
    }
  }
  result.bytes = reader->bytes_consumed();
  result.last_line_hash = checker.prev();
  if (options.progress) options.progress(result.bytes);
  return result;
}

RereadCheck::RereadCheck(const FileVerification& verified)
    : lines_(verified.lines), last_line_hash_(verified.last_line_hash) {}

void RereadCheck::Add(absl::string_view line) {
  ++seen_;
  if (!linked_) return;
  absl::StatusOr<LineFields> fields = SplitLine(line);
  if (!fields.ok() || fields->prev != prev_) {
    linked_ = false;
    return;
  }
  prev_ = ComputeSha256(line);
}

bool RereadCheck::Same() const {
  return linked_ && seen_ == lines_ && prev_ == last_line_hash_;
}

}  // namespace secretd::audit
