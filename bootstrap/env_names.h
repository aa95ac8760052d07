// Environment variable names for `--exec` (docs/bootstrap.md §3).
//
// A secret becomes one variable. Its name is the `=VAR` of its --secret
// argument if given, otherwise derived from the secret name:
//
//   app/db/password   →  APP_DB_PASSWORD
//   tls.cert-chain    →  TLS_CERT_CHAIN
//   9lives/key        →  _9LIVES_KEY
//
// ASCII letters are upper-cased, digits and '_' are kept, and '/', '.' and
// '-' (the only other characters a secret name may hold) become '_'; a
// leading digit gets a '_' in front, so the result is always a portable
// variable name ([A-Z_][A-Z0-9_]*).
#ifndef SECRETD_BOOTSTRAP_ENV_NAMES_H_
#define SECRETD_BOOTSTRAP_ENV_NAMES_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace bootstrap {

// The derived variable name of a valid secret name (see above).
std::string EnvVarNameFor(absl::string_view secret_name);

// OK if `name` is [A-Za-z_][A-Za-z0-9_]* and at most 255 characters;
// kInvalidArgument naming it otherwise.
absl::Status ValidateEnvVarName(absl::string_view name);

}  // namespace bootstrap

#endif  // SECRETD_BOOTSTRAP_ENV_NAMES_H_
