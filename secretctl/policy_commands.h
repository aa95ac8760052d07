// secretctl policy validate|simulate (docs/DESIGN.md §8): offline checks of
// policy documents with the broker's own engine (policy/).
//
//   secretctl policy validate FILE...
//       exit 0 if every file is valid, 1 otherwise; each error on stderr as
//       `policy "FILE": <path>: <problem>`, every file reported.
//   secretctl policy simulate --policy FILE [--policy FILE]... --action A
//       --resource R [--context JSON] [--format json|text]
//       the decision on stdout; exit 0 for any decision, 2 for bad input.
#ifndef SECRETD_SECRETCTL_POLICY_COMMANDS_H_
#define SECRETD_SECRETCTL_POLICY_COMMANDS_H_

// PolicyCommands() itself is declared with the other groups in commands.h.
#include "secretctl/commands.h"  // IWYU pragma: export

#endif  // SECRETD_SECRETCTL_POLICY_COMMANDS_H_
