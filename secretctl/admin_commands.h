// secretctl init, trust, role, secret and kek (docs/DESIGN.md §8,
// docs/admin.md): the admin commands.
//
//   secretctl init --data-dir DIR [--tls-san NAME]...
//       makes a data directory (offline; never overwrites one)
//   secretctl --data-dir DIR trust put ISSUER --jwks FILE
//   secretctl --data-dir DIR trust list [--format text|json]
//   secretctl --data-dir DIR trust delete ISSUER
//   secretctl --data-dir DIR role put NAME --trust FILE --policy FILE...
//       [--max-token-lifetime SECONDS] [--secret-ttl SECONDS]
//       [--single-use-tokens]
//   secretctl --data-dir DIR role get NAME [--format text|json]
//   secretctl --data-dir DIR role list [--format text|json]
//   secretctl --data-dir DIR role delete NAME
//   secretctl --data-dir DIR secret put NAME --value-file FILE|-
//       [--format text|json]
//   secretctl --data-dir DIR secret list [PREFIX] [--format text|json]
//   secretctl --data-dir DIR secret disable NAME@VERSION
//   secretctl --data-dir DIR kek rotate [--format text|json]
//
// Every command but init talks to the broker through DIR/admin.sock (the
// secretd.v1.Admin service), which validates, audits and stores the change.
// Exit 0 ok, 1 refused (by the broker, or no broker to ask), 2 usage.
#ifndef SECRETD_SECRETCTL_ADMIN_COMMANDS_H_
#define SECRETD_SECRETCTL_ADMIN_COMMANDS_H_

// AdminCommands() itself is declared with the other groups in commands.h.
#include "secretctl/commands.h"  // IWYU pragma: export

#endif  // SECRETD_SECRETCTL_ADMIN_COMMANDS_H_
