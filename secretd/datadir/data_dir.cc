#include "secretd/datadir/data_dir.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "keys/key_files.h"
#include "keys/random.h"
#include "keys/secret_bytes.h"
#include "secretd/store/sqlite_store.h"
#include "secretd/tls/dev_ca.h"

namespace secretd {
namespace {

absl::Status ErrnoStatus(absl::string_view what, const std::string& path,
                         int err) {
  std::string msg = absl::StrCat(what, " \"", path, "\": ", strerror(err));
  if (err == EACCES || err == EPERM) return absl::PermissionDeniedError(msg);
  if (err == ENOENT || err == ENOTDIR)
    return absl::FailedPreconditionError(msg);
  return absl::InternalError(msg);
}

absl::Status MakeDir(const std::string& path, mode_t mode) {
  if (mkdir(path.c_str(), mode) != 0)
    return ErrnoStatus("cannot create directory", path, errno);
  // mkdir applies the umask; the modes here are exact.
  if (chmod(path.c_str(), mode) != 0)
    return ErrnoStatus("cannot chmod", path, errno);
  return absl::OkStatus();
}

// Writes a private (0600) file that must not exist.
absl::Status WritePrivateText(const std::string& path, absl::string_view text) {
  keys::SecretBytes bytes = keys::SecretBytes::CopyFrom(text);
  return keys::WritePrivateKeyFile(path, bytes);
}

// True if `path` does not exist or is an empty directory.
absl::StatusOr<bool> IsAbsentOrEmptyDir(const std::string& path) {
  struct stat st;
  if (lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return true;
    return ErrnoStatus("cannot inspect", path, errno);
  }
  if (!S_ISDIR(st.st_mode)) return false;
  DIR* dir = opendir(path.c_str());
  if (dir == nullptr) return ErrnoStatus("cannot read directory", path, errno);
  bool empty = true;
  while (struct dirent* e = readdir(dir)) {
    if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
      empty = false;
      break;
    }
  }
  closedir(dir);
  return empty;
}

// Removes a directory tree we created (best effort, after a failed init).
void RemoveTree(const std::string& path) {
  DIR* dir = opendir(path.c_str());
  if (dir != nullptr) {
    while (struct dirent* e = readdir(dir)) {
      if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
      std::string child = absl::StrCat(path, "/", e->d_name);
      struct stat st;
      if (lstat(child.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
        RemoveTree(child);
      } else {
        unlink(child.c_str());
      }
    }
    closedir(dir);
  }
  rmdir(path.c_str());
}

std::string Parent(const std::string& path) {
  size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

absl::Status Populate(const DataDirLayout& layout, const InitOptions& options,
                      const common::Clock& clock, InitReport* report) {
  keys::SystemRandom random;
  RETURN_IF_ERROR(MakeDir(layout.keys_dir, 0700));
  RETURN_IF_ERROR(MakeDir(layout.tls_dir, 0755));
  RETURN_IF_ERROR(MakeDir(layout.audit_dir, 0700));

  keys::Kek kek = keys::Kek::Generate(random);
  RETURN_IF_ERROR(keys::WriteKekFile(layout.kek, kek));
  report->kek_id = kek.id();

  auto release = keys::Ed25519Signer::Generate(random);
  RETURN_IF_ERROR(keys::WriteEd25519KeyFile(layout.release_key, *release));
  RETURN_IF_ERROR(
      keys::WritePublicKeyFile(layout.release_pub, release->public_key()));
  report->release_key_id = release->key_id();

  auto audit = keys::Ed25519Signer::Generate(random);
  RETURN_IF_ERROR(keys::WriteEd25519KeyFile(layout.audit_key, *audit));
  RETURN_IF_ERROR(
      keys::WritePublicKeyFile(layout.audit_pub, audit->public_key()));
  report->audit_key_id = audit->key_id();

  ASSIGN_OR_RETURN(tls::DevTlsMaterial tls,
                   tls::MakeDevTlsMaterial(options.tls_sans, clock.Now()));
  RETURN_IF_ERROR(keys::WritePublicFile(layout.ca_pem, tls.ca.certificate_pem));
  RETURN_IF_ERROR(
      keys::WritePublicFile(layout.server_pem, tls.server.certificate_pem));
  RETURN_IF_ERROR(
      WritePrivateText(layout.server_key, tls.server.private_key_pem));

  SqliteStore::Options store_options;
  store_options.create = true;
  ASSIGN_OR_RETURN(auto store,
                   SqliteStore::Open(layout.store_db, clock, store_options));
  store.reset();
  return absl::OkStatus();
}

}  // namespace

DataDirLayout::DataDirLayout(std::string root_in) : root(std::move(root_in)) {
  while (root.size() > 1 && root.back() == '/') root.pop_back();
  keys_dir = root + "/keys";
  kek = keys_dir + "/kek";
  kek_next = keys_dir + "/kek.next";
  kek_retired_dir = keys_dir + "/kek.retired";
  release_key = keys_dir + "/release.key";
  release_pub = keys_dir + "/release.pub";
  audit_key = keys_dir + "/audit.key";
  audit_pub = keys_dir + "/audit.pub";
  tls_dir = root + "/tls";
  ca_pem = tls_dir + "/ca.pem";
  server_pem = tls_dir + "/server.pem";
  server_key = tls_dir + "/server.key";
  store_db = root + "/store.db";
  audit_dir = root + "/audit";
  admin_socket = root + "/admin.sock";
}

absl::StatusOr<InitReport> InitDataDir(const std::string& root,
                                       const InitOptions& options,
                                       const common::Clock& clock) {
  if (root.empty()) return absl::InvalidArgumentError("--data-dir is empty");
  for (const std::string& san : options.tls_sans) {
    RETURN_IF_ERROR(tls::ValidateSan(san));
  }
  ASSIGN_OR_RETURN(bool usable, IsAbsentOrEmptyDir(root));
  if (!usable) {
    return absl::AlreadyExistsError(absl::StrCat(
        "\"", root,
        "\" already exists and is not empty; secretctl init never overwrites a "
        "data "
        "directory (its keys decrypt the store): choose a new path"));
  }
  DataDirLayout final_layout(root);
  // Build in a private (0700, unpredictable name) sibling and rename it into
  // place: never a half-made directory. A crash leaves the sibling behind
  // (readable only by its owner); it holds nothing that is in use.
  std::string staging_template =
      absl::StrCat(Parent(final_layout.root), "/.secretd-init-XXXXXX");
  if (mkdtemp(staging_template.data()) == nullptr) {
    return ErrnoStatus("cannot create a directory beside", final_layout.root,
                       errno);
  }
  const std::string staging = staging_template;
  DataDirLayout staged(staging);
  InitReport report;
  absl::Status s = Populate(staged, options, clock, &report);
  if (s.ok() && rename(staging.c_str(), final_layout.root.c_str()) != 0) {
    s = ErrnoStatus("cannot move the new data directory to", final_layout.root,
                    errno);
  }
  if (!s.ok()) {
    RemoveTree(staging);
    return s;
  }
  const DataDirLayout& l = final_layout;
  report.files = {
      {l.kek, "key-encryption key: decrypts every secret in the store", true},
      {l.release_key,
       "release signing key: signs every bundle the broker releases", true},
      {l.release_pub,
       "release public key: give it to bootstrap (--release-key)", false},
      {l.audit_key, "audit signing key: signs audit checkpoints", true},
      {l.audit_pub,
       "audit public key: give it to auditors (secretctl audit verify)", false},
      {l.ca_pem, "development CA certificate: give it to bootstrap (--ca)",
       false},
      {l.server_pem, "broker TLS certificate (SANs as given), signed by the CA",
       false},
      {l.server_key, "broker TLS private key", true},
      {l.store_db,
       "the store (SQLite): roles, trust bundles, encrypted secrets", false},
      {l.audit_dir + "/", "the audit log, one file per broker replica", false},
  };
  return report;
}

absl::Status CheckDataDir(const DataDirLayout& layout) {
  struct stat st;
  if (stat(layout.keys_dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "\"", layout.root,
        "\" is not a secretd data directory (no keys/); run "
        "\"secretctl init --data-dir ",
        layout.root,
        "\" first, or point --data-dir at an initialised directory"));
  }
  return absl::OkStatus();
}

absl::StatusOr<BrokerKeys> LoadBrokerKeys(const DataDirLayout& layout) {
  RETURN_IF_ERROR(CheckDataDir(layout));
  ASSIGN_OR_RETURN(keys::Kek kek, keys::LoadKekFile(layout.kek));
  ASSIGN_OR_RETURN(auto release, keys::LoadEd25519KeyFile(layout.release_key));
  ASSIGN_OR_RETURN(auto audit, keys::LoadEd25519KeyFile(layout.audit_key));
  return BrokerKeys{std::move(kek), std::move(release), std::move(audit)};
}

}  // namespace secretd
