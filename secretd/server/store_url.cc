#include "secretd/server/store_url.h"

#include <sys/stat.h>

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "secretd/store/sqlite_store.h"

namespace secretd {

absl::StatusOr<StoreLocation> ParseStoreUrl(absl::string_view url,
                                            const DataDirLayout& layout) {
  StoreLocation location;
  if (url.empty()) {
    location.kind = StoreLocation::Kind::kSqlite;
    location.sqlite_path = layout.store_db;
    location.is_default = true;
    return location;
  }
  if (absl::StartsWith(url, "sqlite:")) {
    location.kind = StoreLocation::Kind::kSqlite;
    location.sqlite_path = std::string(url.substr(7));
    if (location.sqlite_path.empty()) {
      return absl::InvalidArgumentError(
          "--store sqlite: needs a path, e.g. --store sqlite:/var/lib/secretd/"
          "store.db");
    }
    return location;
  }
  if (absl::StartsWith(url, "postgresql://") ||
      absl::StartsWith(url, "postgres://")) {
    location.kind = StoreLocation::Kind::kPostgres;
    location.url = std::string(url);
    return location;
  }
  return absl::InvalidArgumentError(
      "--store must be sqlite:PATH or a postgresql:// URL (or be left out for "
      "the data directory's store.db)");
}

absl::StatusOr<std::unique_ptr<Store>> OpenStore(const StoreLocation& location,
                                                 const DataDirLayout& layout,
                                                 const common::Clock& clock) {
  if (location.kind == StoreLocation::Kind::kPostgres) {
    return absl::UnimplementedError(
        "this secretd has no PostgreSQL store yet; use the SQLite store (leave "
        "out --store, or --store sqlite:PATH)");
  }
  struct stat st;
  if (location.is_default && stat(location.sqlite_path.c_str(), &st) != 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "no store at \"", location.sqlite_path, "\" (--data-dir ", layout.root,
        "); run \"secretctl init --data-dir ", layout.root,
        "\" first, or point --data-dir at an initialised directory"));
  }
  SqliteStore::Options options;
  options.create = false;
  absl::StatusOr<std::unique_ptr<SqliteStore>> store =
      SqliteStore::Open(location.sqlite_path, clock, options);
  if (!store.ok()) return store.status();
  return std::unique_ptr<Store>(*std::move(store));
}

std::string DescribeStore(const StoreLocation& location) {
  if (location.kind == StoreLocation::Kind::kPostgres) return "postgresql";
  return absl::StrCat("sqlite:", location.sqlite_path);
}

}  // namespace secretd
