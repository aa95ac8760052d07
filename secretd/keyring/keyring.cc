#include "secretd/keyring/keyring.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "common/status_macros.h"
#include "keys/key_files.h"
#include "keys/token_reason.h"

namespace secretd {
namespace {

absl::Status FileError(absl::string_view what, const std::string& path,
                       int err) {
  return absl::InternalError(
      absl::StrCat(what, " \"", path, "\": ", strerror(err)));
}

bool Exists(const std::string& path) {
  struct stat st;
  return lstat(path.c_str(), &st) == 0;
}

absl::Status SyncDirectory(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return FileError("cannot open directory", path, errno);
  int rc = fsync(fd);
  int err = errno;
  close(fd);
  if (rc != 0) return FileError("cannot sync directory", path, err);
  return absl::OkStatus();
}

// True if any stored version is wrapped by `kek_id`, or if that cannot be
// ruled out (the store cannot be read).
bool StoreUsesKek(Store& store, absl::string_view kek_id) {
  absl::StatusOr<std::vector<SecretMetadata>> all = store.ListSecrets("");
  if (!all.ok()) return true;
  for (const SecretMetadata& s : *all) {
    for (const SecretVersionMetadata& v : s.versions) {
      if (v.kek_id == kek_id) return true;
    }
  }
  return false;
}

}  // namespace

keys::Challenge ChallengeSet::Issue(const common::Clock& clock,
                                    keys::RandomSource& random) const {
  return challengers_.front().Issue(clock, random);
}

absl::Status ChallengeSet::Check(absl::string_view challenge,
                                 const common::Clock& clock) const {
  absl::Status first = challengers_.front().Check(challenge, clock);
  if (first.ok()) return first;
  absl::Status best = first;
  for (size_t i = 1; i < challengers_.size(); ++i) {
    absl::Status s = challengers_[i].Check(challenge, clock);
    if (s.ok()) return s;
    // A MAC that verifies under a retired KEK makes "expired" the precise
    // reason.
    if (keys::GetTokenReason(s) == keys::TokenReason::kNonceExpired) best = s;
  }
  return best;
}

absl::Duration ChallengeSet::ttl() const { return challengers_.front().ttl(); }

KeySet::KeySet(keys::Kek current_kek, std::vector<keys::Kek> retired_keks)
    : current(std::move(current_kek)),
      retired(std::move(retired_keks)),
      ring(current) {
  for (const keys::Kek& k : retired) ring.AddRetired(k);
}

absl::StatusOr<std::shared_ptr<const KeySet>> KeySet::Create(
    keys::Kek current_kek, std::vector<keys::Kek> retired_keks,
    absl::Duration challenge_ttl) {
  std::unique_ptr<KeySet> set(
      new KeySet(std::move(current_kek), std::move(retired_keks)));
  ASSIGN_OR_RETURN(keys::Challenger c,
                   keys::Challenger::FromKek(set->current, challenge_ttl));
  set->challenge.challengers_.push_back(std::move(c));
  for (const keys::Kek& k : set->retired) {
    ASSIGN_OR_RETURN(keys::Challenger r,
                     keys::Challenger::FromKek(k, challenge_ttl));
    set->challenge.challengers_.push_back(std::move(r));
  }
  return std::shared_ptr<const KeySet>(std::move(set));
}

absl::StatusOr<std::unique_ptr<Keyring>> Keyring::Load(
    const DataDirLayout& layout, const Options& options) {
  ASSIGN_OR_RETURN(BrokerKeys keys, LoadBrokerKeys(layout));
  auto keyring = std::unique_ptr<Keyring>(new Keyring(
      layout, options, std::move(keys.release), std::move(keys.audit)));
  ASSIGN_OR_RETURN(auto set, keyring->ReadKeySet());
  absl::MutexLock lock(&keyring->mu_);
  keyring->current_ = std::move(set);
  return keyring;
}

absl::StatusOr<std::shared_ptr<const KeySet>> Keyring::ReadKeySet() const {
  ASSIGN_OR_RETURN(keys::Kek current, keys::LoadKekFile(layout_.kek));
  std::vector<keys::Kek> retired;
  if (Exists(layout_.kek_next)) {
    ASSIGN_OR_RETURN(keys::Kek next, keys::LoadKekFile(layout_.kek_next));
    common::log::Warning(
        "an interrupted KEK rotation left keys/kek.next; it is kept readable. "
        "Run "
        "\"secretctl kek rotate\" again to finish the rotation",
        {{"path", layout_.kek_next}, {"kek_id", next.id()}});
    retired.push_back(std::move(next));
  }
  if (DIR* dir = opendir(layout_.kek_retired_dir.c_str()); dir != nullptr) {
    std::vector<std::string> names;
    while (struct dirent* e = readdir(dir)) {
      if (e->d_name[0] != '.') names.push_back(e->d_name);
    }
    closedir(dir);
    for (const std::string& name : names) {
      ASSIGN_OR_RETURN(keys::Kek k, keys::LoadKekFile(absl::StrCat(
                                        layout_.kek_retired_dir, "/", name)));
      retired.push_back(std::move(k));
    }
  }
  // A rotation interrupted after retiring the old KEK leaves it both current
  // and retired; keep one copy of every id.
  std::vector<keys::Kek> unique;
  for (keys::Kek& k : retired) {
    bool seen = k.id() == current.id();
    for (const keys::Kek& u : unique) seen = seen || u.id() == k.id();
    if (!seen) unique.push_back(std::move(k));
  }
  retired = std::move(unique);
  return KeySet::Create(std::move(current), std::move(retired),
                        options_.challenge_ttl);
}

std::shared_ptr<const KeySet> Keyring::Current() const {
  absl::MutexLock lock(&mu_);
  return current_;
}

absl::Status Keyring::Reload() {
  ASSIGN_OR_RETURN(auto set, ReadKeySet());
  absl::MutexLock lock(&mu_);
  current_ = std::move(set);
  return absl::OkStatus();
}

absl::StatusOr<Keyring::RotationResult> Keyring::RotateKek(
    Store& store, keys::RandomSource& random,
    const BeforeRotateFn& before_rotate) {
  absl::MutexLock rotating(&rotate_mu_);
  std::shared_ptr<const KeySet> before = Current();
  RotationResult result;
  result.old_kek_id = before->current.id();

  // Resume an interrupted rotation with its kek.next, or start a new one.
  std::optional<keys::Kek> next;
  const bool resuming = Exists(layout_.kek_next);
  if (resuming) {
    ASSIGN_OR_RETURN(keys::Kek resumed, keys::LoadKekFile(layout_.kek_next));
    next.emplace(std::move(resumed));
  } else {
    keys::Kek fresh = keys::Kek::Generate(random);
    RETURN_IF_ERROR(keys::WriteKekFile(layout_.kek_next, fresh));
    next.emplace(std::move(fresh));
  }
  result.new_kek_id = next->id();
  if (before_rotate) {
    if (absl::Status s = before_rotate(result); !s.ok()) {
      if (!resuming) unlink(layout_.kek_next.c_str());
      return s;
    }
  }

  SecretVault vault(store, before->ring, random);
  absl::StatusOr<SecretVault::Rotation> rewrapped = vault.RewrapAll(*next);
  if (!rewrapped.ok()) {
    // A fresh kek.next can go only if no row is wrapped by it: a failed
    // COMMIT may still have committed (e.g. an I/O error reported after the
    // WAL was written). A resumed one stays in any case.
    if (!resuming && !StoreUsesKek(store, next->id())) {
      unlink(layout_.kek_next.c_str());
    }
    return rewrapped.status();
  }
  result.rewrapped = rewrapped->rewrapped;

  // Retire the old KEK by linking it (keys/kek stays in place), then replace
  // keys/kek atomically: at every instant keys/kek exists and every KEK a
  // row may use is on disk.
  if (mkdir(layout_.kek_retired_dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return FileError("cannot create", layout_.kek_retired_dir, errno);
  }
  const std::string retired_path =
      absl::StrCat(layout_.kek_retired_dir, "/", result.old_kek_id);
  if (link(layout_.kek.c_str(), retired_path.c_str()) != 0 && errno != EEXIST) {
    return FileError("cannot retire", layout_.kek, errno);
  }
  RETURN_IF_ERROR(SyncDirectory(layout_.kek_retired_dir));
  if (rename(layout_.kek_next.c_str(), layout_.kek.c_str()) != 0) {
    return FileError("cannot install", layout_.kek_next, errno);
  }
  RETURN_IF_ERROR(SyncDirectory(layout_.keys_dir));
  RETURN_IF_ERROR(Reload());
  common::log::Info("KEK rotated", {{"old_kek_id", result.old_kek_id},
                                    {"new_kek_id", result.new_kek_id},
                                    {"rewrapped", result.rewrapped}});
  return result;
}

}  // namespace secretd
