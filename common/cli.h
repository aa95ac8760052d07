// A small command-line framework for secretd's three binaries.
//
// A binary declares its commands (a path such as {"role", "put"}, flags,
// positional arity, a handler) and calls cli::Run. Run parses
//
//   secretctl [GLOBAL FLAGS] role put NAME --trust FILE --policy A --policy B
//
// where flags are `--name value` or `--name=value`. Global flags may appear
// anywhere after the program name; a command's flags come after its command
// path (a command flag before it is a usage error that shows where it goes).
// `--` ends flag parsing: everything after it is positional (bootstrap's
// `--exec -- CMD ARGS`).
//
// Help: `--help`/`-h` anywhere, or `help [COMMAND...]`, prints the help of the
// deepest matching command (or the list of commands under a prefix) to stdout
// and exits 0. Usage errors (unknown command or flag, missing value, missing
// required flag, wrong number of arguments) print one line naming the problem,
// with a did-you-mean where one is close, plus a pointer to --help, to stderr
// and exit 2 (kExitUsage). Handlers return kExitOk (0), kExitRefused (1) or
// kExitUsage (2).
//
// Not thread-safe (a CLI runs it once, from main()).
#ifndef SECRETD_COMMON_CLI_H_
#define SECRETD_COMMON_CLI_H_

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace common::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitRefused = 1;
inline constexpr int kExitUsage = 2;

// A flag. --help appends " (required)" and " (repeatable)" to `help` itself:
// do not write them into it.
struct Flag {
  std::string name;        // without the leading "--"
  std::string value_name;  // e.g. "FILE"; empty for a boolean switch
  std::string help;
  bool repeated = false;  // may be given several times
  bool required = false;
  // Accepted but left out of --help (flags for tests only).
  bool hidden = false;
};

class Invocation;

struct Command {
  std::vector<std::string> path;  // e.g. {"role", "put"}
  std::string args_usage;         // shown after the path, e.g. "NAME"
  std::string summary;            // one line, for command lists
  std::string description;        // paragraphs for --help (may be empty)
  std::vector<Flag> flags;
  int min_args = 0;
  int max_args = 0;  // -1: unlimited
  std::function<int(const Invocation&)> run;
  // The "Exit status:" paragraph of --help (the only place exit codes are
  // stated: keep them out of `description`); empty: "0 ok, 1 refused or
  // failed, 2 usage error." A command with an empty path is the program
  // itself (a binary without subcommands, such as bootstrap).
  std::string exit_status;
};

// What a handler receives: parsed flags and positional arguments, and the
// streams to write to.
class Invocation {
 public:
  Invocation(std::ostream& out, std::ostream& err) : out_(out), err_(err) {}

  const std::vector<std::string>& args() const { return args_; }
  bool Has(absl::string_view flag) const;
  // The last value of `flag`, or `fallback` if absent. A switch reads "true".
  std::string Get(absl::string_view flag,
                  absl::string_view fallback = "") const;
  // Every value of a repeated flag, in order.
  std::vector<std::string> GetAll(absl::string_view flag) const;
  // The flag as a decimal integer in [min, max]; kInvalidArgument naming the
  // flag otherwise. `fallback` when absent.
  absl::StatusOr<int64_t> GetInt(absl::string_view flag, int64_t fallback,
                                 int64_t min = INT64_MIN,
                                 int64_t max = INT64_MAX) const;

  std::ostream& out() const { return out_; }
  std::ostream& err() const { return err_; }
  // "secretctl role put": for messages.
  const std::string& command_line_name() const { return name_; }

  // Prints "<program> <command>: <message>" and a pointer to --help to err(),
  // and returns kExitUsage.
  int UsageError(absl::string_view message) const;
  // Prints "<program> <command>: <message>" to err() and returns kExitRefused.
  int Refused(absl::string_view message) const;

 private:
  friend class Parser;
  std::ostream& out_;
  std::ostream& err_;
  std::string name_;
  std::vector<std::string> args_;
  std::map<std::string, std::vector<std::string>, std::less<>> flags_;
};

struct Program {
  std::string name;   // "secretctl"
  std::string about;  // one paragraph for the top-level help
  std::vector<Flag> global_flags;
  std::vector<Command> commands;
};

// Parses argv (argv[0] is ignored) and runs the matching command. Returns the
// process exit code.
int Run(const Program& program, const std::vector<std::string>& argv,
        std::ostream& out, std::ostream& err);
int Run(const Program& program, int argc, char** argv);

}  // namespace common::cli

#endif  // SECRETD_COMMON_CLI_H_
