#include "secretd/server/store_url.h"

#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/logging.h"
#include "secretd/store/postgres_store.h"
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

absl::StatusOr<std::unique_ptr<Store>> OpenStore(
    const StoreLocation& location, const DataDirLayout& layout,
    const common::Clock& clock, const StoreOpenOptions& options,
    std::string* description, PostgresStore** postgres) {
  if (postgres != nullptr) *postgres = nullptr;
  if (location.kind == StoreLocation::Kind::kPostgres) {
    PostgresStore::Options pg;
    pg.pool_size = options.postgres_pool_size;
    const auto deadline =
        std::chrono::steady_clock::now() +
        absl::ToChronoNanoseconds(options.postgres_startup_timeout);
    absl::Duration backoff = absl::Milliseconds(500);
    for (int attempt = 1;; ++attempt) {
      absl::StatusOr<std::unique_ptr<PostgresStore>> store =
          PostgresStore::Open(location.url, clock, pg);
      if (store.ok()) {
        if (description != nullptr) *description = (*store)->label();
        if (postgres != nullptr) *postgres = store->get();
        return std::unique_ptr<Store>(*std::move(store));
      }
      if (store.status().code() != absl::StatusCode::kUnavailable) {
        return store.status();
      }
      if (std::chrono::steady_clock::now() +
              absl::ToChronoNanoseconds(backoff) >=
          deadline) {
        return absl::Status(
            store.status().code(),
            absl::StrCat(
                store.status().message(), "; gave up after ", attempt,
                attempt == 1 ? " attempt" : " attempts",
                " within --store-startup-timeout ",
                absl::FormatDuration(options.postgres_startup_timeout)));
      }
      // The message names the server without its password.
      common::log::Warning("PostgreSQL store unreachable; retrying",
                           {{"attempt", attempt},
                            {"retry_in_seconds", backoff},
                            {"error", store.status()}});
      absl::SleepFor(backoff);
      backoff = std::min(backoff * 2, absl::Seconds(5));
    }
  }
  struct stat st;
  if (location.is_default && stat(location.sqlite_path.c_str(), &st) != 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "no store at \"", location.sqlite_path, "\" (--data-dir ", layout.root,
        "); run \"secretctl init --data-dir ", layout.root,
        "\" first, or point --data-dir at an initialised directory"));
  }
  SqliteStore::Options sqlite;
  sqlite.create = false;
  absl::StatusOr<std::unique_ptr<SqliteStore>> store =
      SqliteStore::Open(location.sqlite_path, clock, sqlite);
  if (!store.ok()) return store.status();
  if (description != nullptr) {
    *description = absl::StrCat("sqlite:", location.sqlite_path);
  }
  return std::unique_ptr<Store>(*std::move(store));
}

}  // namespace secretd
