#include "common/cli.h"

#include <algorithm>
#include <iostream>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/closest_match.h"

namespace common::cli {
namespace {

bool IsPrefix(const std::vector<std::string>& prefix,
              const std::vector<std::string>& path) {
  return prefix.size() <= path.size() &&
         std::equal(prefix.begin(), prefix.end(), path.begin());
}

const Flag* FindFlag(const std::vector<Flag>& flags, absl::string_view name) {
  for (const Flag& f : flags) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

std::string FlagUsage(const Flag& f) {
  std::string s = absl::StrCat("--", f.name);
  if (!f.value_name.empty()) absl::StrAppend(&s, " ", f.value_name);
  return s;
}

bool HasVisibleFlags(const std::vector<Flag>& flags) {
  return std::any_of(flags.begin(), flags.end(),
                     [](const Flag& f) { return !f.hidden; });
}

void PrintFlags(const std::vector<Flag>& flags, std::ostream& out) {
  size_t width = 0;
  for (const Flag& f : flags) {
    if (!f.hidden) width = std::max(width, FlagUsage(f).size());
  }
  for (const Flag& f : flags) {
    if (f.hidden) continue;
    std::string usage = FlagUsage(f);
    out << "  " << usage << std::string(width - usage.size() + 2, ' ')
        << f.help;
    if (f.required) out << " (required)";
    if (f.repeated) out << " (repeatable)";
    out << "\n";
  }
}

std::string PathString(const std::vector<std::string>& path) {
  return absl::StrJoin(path, " ");
}

void PrintCommandHelp(const Program& program, const Command& cmd,
                      std::ostream& out) {
  out << "Usage: " << program.name;
  if (!cmd.path.empty()) out << " " << PathString(cmd.path);
  if (HasVisibleFlags(cmd.flags)) out << " [FLAGS]";
  if (!cmd.args_usage.empty()) out << " " << cmd.args_usage;
  out << "\n\n" << cmd.summary << "\n";
  if (!cmd.description.empty()) out << "\n" << cmd.description << "\n";
  if (HasVisibleFlags(cmd.flags)) {
    out << "\nFlags:\n";
    PrintFlags(cmd.flags, out);
  }
  if (HasVisibleFlags(program.global_flags)) {
    out << "\nGlobal flags:\n";
    PrintFlags(program.global_flags, out);
  }
  out << "\nExit status: "
      << (cmd.exit_status.empty() ? "0 ok, 1 refused or failed, 2 usage error."
                                  : cmd.exit_status)
      << "\n";
}

void PrintCommandList(const Program& program,
                      const std::vector<std::string>& prefix,
                      std::ostream& out) {
  if (prefix.empty()) {
    out << "Usage: " << program.name
        << (HasVisibleFlags(program.global_flags) ? " [GLOBAL FLAGS]" : "")
        << " COMMAND [FLAGS] [ARGS]\n\n"
        << program.about << "\n";
  } else {
    out << "Usage: " << program.name << " " << PathString(prefix)
        << " COMMAND [FLAGS] [ARGS]\n";
  }
  out << "\nCommands:\n";
  size_t width = 0;
  std::vector<const Command*> matching;
  for (const Command& c : program.commands) {
    if (!IsPrefix(prefix, c.path)) continue;
    matching.push_back(&c);
    width =
        std::max(width, PathString(c.path).size() + 1 + c.args_usage.size());
  }
  for (const Command* c : matching) {
    std::string usage = PathString(c->path);
    if (!c->args_usage.empty()) absl::StrAppend(&usage, " ", c->args_usage);
    out << "  " << usage << std::string(width - usage.size() + 2, ' ')
        << c->summary << "\n";
  }
  if (HasVisibleFlags(program.global_flags)) {
    out << "\nGlobal flags:\n";
    PrintFlags(program.global_flags, out);
  }
  out << "\nRun \"" << program.name
      << " COMMAND --help\" for a command's flags.\n";
}

}  // namespace

bool Invocation::Has(absl::string_view flag) const {
  return flags_.find(flag) != flags_.end();
}

std::string Invocation::Get(absl::string_view flag,
                            absl::string_view fallback) const {
  auto it = flags_.find(flag);
  if (it == flags_.end() || it->second.empty()) return std::string(fallback);
  return it->second.back();
}

std::vector<std::string> Invocation::GetAll(absl::string_view flag) const {
  auto it = flags_.find(flag);
  if (it == flags_.end()) return {};
  return it->second;
}

absl::StatusOr<int64_t> Invocation::GetInt(absl::string_view flag,
                                           int64_t fallback, int64_t min,
                                           int64_t max) const {
  if (!Has(flag)) return fallback;
  std::string value = Get(flag);
  int64_t v;
  if (!absl::SimpleAtoi(value, &v)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--", flag, " expects a whole number, got \"", value, "\""));
  }
  if (v < min || v > max) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--", flag, " must be between ", min, " and ", max, ", got ", v));
  }
  return v;
}

int Invocation::UsageError(absl::string_view message) const {
  err_ << name_ << ": " << message << "\nRun \"" << name_
       << " --help\" for usage.\n";
  return kExitUsage;
}

int Invocation::Refused(absl::string_view message) const {
  err_ << name_ << ": " << message << "\n";
  return kExitRefused;
}

class Parser {
 public:
  Parser(const Program& program, std::ostream& out, std::ostream& err)
      : program_(program), out_(out), err_(err) {}

  int Run(const std::vector<std::string>& argv) {
    std::vector<std::string> tokens(argv.begin() + (argv.empty() ? 0 : 1),
                                    argv.end());
    bool help = false;
    if (!tokens.empty() && tokens[0] == "help") {
      help = true;
      tokens.erase(tokens.begin());
    }

    // Phase 1: the command path, with global flags allowed in between. A
    // command flag (or a single-dash option) before the path is complete is
    // a stray: remembered, skipped with its value, and reported once the
    // rest of the path is known (unless help was asked for).
    std::vector<std::string> path;
    std::vector<std::string> rest;
    Stray stray;
    size_t path_end = 0;  // index of the first token after the path
    size_t i = 0;
    for (; i < tokens.size(); ++i) {
      const std::string& t = tokens[i];
      if (t == "--help" || t == "-h") {
        help = true;
        continue;
      }
      if (absl::StartsWith(t, "-") && t.size() > 1 && t != "--") {
        const bool long_flag = absl::StartsWith(t, "--");
        const Flag* global =
            long_flag ? FindFlag(program_.global_flags, FlagName(t)) : nullptr;
        if (global != nullptr) {
          rest.push_back(t);
          if (!global->value_name.empty() && t.find('=') == std::string::npos &&
              i + 1 < tokens.size()) {
            rest.push_back(tokens[++i]);
          }
          continue;
        }
        if (FindCommand(path) != nullptr) break;  // the path is complete
        const size_t begin = i;
        const Flag* known =
            long_flag ? FindFlagUnder(path, FlagName(t)) : nullptr;
        if (t.find('=') == std::string::npos && i + 1 < tokens.size()) {
          // Skip the flag's value: a known flag's, or for an unknown flag the
          // next word if it does not continue the path.
          std::vector<std::string> longer = path;
          longer.push_back(tokens[i + 1]);
          if (known != nullptr
                  ? !known->value_name.empty()
                  : long_flag && !absl::StartsWith(tokens[i + 1], "-") &&
                        !HasCommandWithPrefix(longer)) {
            ++i;
          }
        }
        if (!stray.found) stray = {true, begin, i + 1, path.size()};
        continue;
      }
      if (t == "--") break;
      std::vector<std::string> longer = path;
      longer.push_back(t);
      if (!HasCommandWithPrefix(longer)) break;
      path = std::move(longer);
      path_end = i + 1;
      if (FindCommand(path) != nullptr && !HasLongerCommand(path)) {
        ++i;
        break;
      }
    }
    for (; i < tokens.size(); ++i) rest.push_back(tokens[i]);

    const Command* cmd = FindCommand(path);
    if (cmd == nullptr) {
      if (help) {
        PrintCommandList(program_, path, out_);
        return kExitOk;
      }
    } else if (help ||
               std::find(rest.begin(), rest.end(), "--help") != rest.end() ||
               std::find(rest.begin(), rest.end(), "-h") != rest.end()) {
      // A literal "--help" after "--" is an argument, not a request for help.
      auto dashdash = std::find(rest.begin(), rest.end(), "--");
      if (help || std::find(rest.begin(), dashdash, "--help") != dashdash ||
          std::find(rest.begin(), dashdash, "-h") != dashdash) {
        PrintCommandHelp(program_, *cmd, out_);
        return kExitOk;
      }
    }
    if (stray.found) return StrayFlag(tokens, stray, path, path_end, cmd);
    if (cmd == nullptr) {
      if (rest.empty() && path.empty()) {
        PrintCommandList(program_, path, err_);
        return kExitUsage;
      }
      return UnknownCommand(path, rest);
    }
    return RunCommand(*cmd, rest);
  }

 private:
  // The first command flag given before the command path was complete:
  // tokens [begin, end) (the flag and its value), met after `depth` words of
  // the path.
  struct Stray {
    bool found = false;
    size_t begin = 0, end = 0, depth = 0;
  };

  // A flag of some command under `prefix`, or null.
  const Flag* FindFlagUnder(const std::vector<std::string>& prefix,
                            absl::string_view name) const {
    for (const Command& c : program_.commands) {
      if (!IsPrefix(prefix, c.path)) continue;
      if (const Flag* f = FindFlag(c.flags, name)) return f;
    }
    return nullptr;
  }

  // Reports a stray: "--format goes after the command: secretctl role list
  // --format json" when the command the user named (or one under the path
  // named so far) takes the flag, else "unknown flag --x" with a
  // did-you-mean among the flags valid before a command (the global ones).
  int StrayFlag(const std::vector<std::string>& tokens, const Stray& stray,
                const std::vector<std::string>& path, size_t path_end,
                const Command* cmd) {
    std::vector<std::string> at(path.begin(), path.begin() + stray.depth);
    std::string prefix = program_.name;
    if (!at.empty()) absl::StrAppend(&prefix, " ", PathString(at));
    const std::string& t = tokens[stray.begin];
    std::string msg;
    const std::string name = FlagName(t);
    const bool long_flag = absl::StartsWith(t, "--");
    const Flag* belongs = nullptr;
    if (long_flag) {
      belongs = cmd != nullptr ? FindFlag(cmd->flags, name)
                               : FindFlagUnder(path, name);
    }
    if (!long_flag) {
      msg = absl::StrCat("unknown option \"", t, "\"; flags take two dashes");
    } else if (belongs != nullptr) {
      std::vector<std::string> moved(tokens.begin() + stray.begin,
                                     tokens.begin() + stray.end);
      std::vector<std::string> line = {program_.name};
      if (cmd != nullptr) {
        // The user's words in order, the stray moved to just after the path.
        for (size_t k = 0; k < tokens.size(); ++k) {
          if (k >= stray.begin && k < stray.end) continue;
          if (k == path_end)
            line.insert(line.end(), moved.begin(), moved.end());
          line.push_back(tokens[k]);
        }
        if (path_end >= tokens.size()) {
          line.insert(line.end(), moved.begin(), moved.end());
        }
      } else {
        line.insert(line.end(), path.begin(), path.end());
        line.push_back("COMMAND");
        line.insert(line.end(), moved.begin(), moved.end());
      }
      msg = absl::StrCat("--", name,
                         " goes after the command: ", absl::StrJoin(line, " "));
    } else {
      msg = absl::StrCat("unknown flag --", name);
      std::vector<std::string> valid;
      for (const Flag& f : program_.global_flags) {
        if (!f.hidden) valid.push_back(f.name);
      }
      valid.push_back("help");
      std::string guess = ClosestMatch(name, Without(valid, name));
      if (!guess.empty())
        absl::StrAppend(&msg, "; did you mean --", guess, "?");
    }
    std::string help_at = program_.name;
    if (!path.empty()) absl::StrAppend(&help_at, " ", PathString(path));
    err_ << prefix << ": " << msg << "\nRun \"" << help_at
         << " --help\" for usage.\n";
    return kExitUsage;
  }

  static std::vector<std::string> Without(std::vector<std::string> words,
                                          absl::string_view word) {
    words.erase(std::remove(words.begin(), words.end(), word), words.end());
    return words;
  }

  static std::string FlagName(absl::string_view token) {
    token.remove_prefix(2);
    return std::string(token.substr(0, token.find('=')));
  }

  bool HasCommandWithPrefix(const std::vector<std::string>& prefix) const {
    for (const Command& c : program_.commands) {
      if (IsPrefix(prefix, c.path)) return true;
    }
    return false;
  }
  bool HasLongerCommand(const std::vector<std::string>& path) const {
    for (const Command& c : program_.commands) {
      if (c.path.size() > path.size() && IsPrefix(path, c.path)) return true;
    }
    return false;
  }
  const Command* FindCommand(const std::vector<std::string>& path) const {
    for (const Command& c : program_.commands) {
      if (c.path == path) return &c;
    }
    return nullptr;
  }

  int UnknownCommand(const std::vector<std::string>& path,
                     const std::vector<std::string>& rest) {
    std::string prefix = program_.name;
    if (!path.empty()) absl::StrAppend(&prefix, " ", PathString(path));
    // The first word that did not continue the path (not a global flag's
    // value).
    std::string word;
    for (size_t i = 0; i < rest.size(); ++i) {
      const std::string& r = rest[i];
      if (absl::StartsWith(r, "--")) {
        const Flag* global = FindFlag(program_.global_flags, FlagName(r));
        if (global != nullptr && !global->value_name.empty() &&
            r.find('=') == std::string::npos) {
          ++i;
        }
        continue;
      }
      if (!absl::StartsWith(r, "-")) {
        word = r;
        break;
      }
    }
    std::vector<std::string> next;
    for (const Command& c : program_.commands) {
      if (c.path.size() > path.size() && IsPrefix(path, c.path)) {
        next.push_back(c.path[path.size()]);
      }
    }
    if (word.empty()) {
      err_ << prefix
           << ": missing command; one of: " << absl::StrJoin(Unique(next), ", ")
           << "\n";
    } else {
      err_ << prefix << ": unknown command \"" << word << "\"";
      std::string guess = ClosestMatch(word, Without(next, word));
      if (!guess.empty()) err_ << "; did you mean \"" << guess << "\"?";
      err_ << "\n";
    }
    err_ << "Run \"" << prefix << " --help\" for the list of commands.\n";
    return kExitUsage;
  }

  static std::vector<std::string> Unique(std::vector<std::string> v) {
    std::sort(v.begin(), v.end());
    v.erase(std::unique(v.begin(), v.end()), v.end());
    return v;
  }

  int RunCommand(const Command& cmd, const std::vector<std::string>& tokens) {
    Invocation inv(out_, err_);
    inv.name_ = cmd.path.empty()
                    ? program_.name
                    : absl::StrCat(program_.name, " ", PathString(cmd.path));
    std::vector<std::string> names;
    for (const std::vector<Flag>* flags :
         {&cmd.flags, &program_.global_flags}) {
      for (const Flag& f : *flags) {
        if (!f.hidden) names.push_back(f.name);
      }
    }

    for (size_t i = 0; i < tokens.size(); ++i) {
      const std::string& t = tokens[i];
      if (t == "--") {
        inv.args_.insert(inv.args_.end(), tokens.begin() + i + 1, tokens.end());
        break;
      }
      if (!absl::StartsWith(t, "--") || t.size() == 2) {
        if (absl::StartsWith(t, "-") && t.size() > 1) {
          return inv.UsageError(absl::StrCat("unknown option \"", t,
                                             "\"; flags take two dashes"));
        }
        inv.args_.push_back(t);
        continue;
      }
      std::string name = FlagName(t);
      const Flag* flag = FindFlag(cmd.flags, name);
      if (flag == nullptr) flag = FindFlag(program_.global_flags, name);
      if (flag == nullptr) {
        std::string msg = absl::StrCat("unknown flag --", name);
        std::string guess = ClosestMatch(name, Without(names, name));
        if (!guess.empty())
          absl::StrAppend(&msg, "; did you mean --", guess, "?");
        return inv.UsageError(msg);
      }
      std::string value;
      size_t eq = t.find('=');
      if (flag->value_name.empty()) {
        if (eq != std::string::npos) {
          return inv.UsageError(
              absl::StrCat("--", name, " is a switch and takes no value"));
        }
        value = "true";
      } else if (eq != std::string::npos) {
        value = t.substr(eq + 1);
      } else {
        if (i + 1 >= tokens.size()) {
          return inv.UsageError(absl::StrCat("--", name, " needs a value (",
                                             flag->value_name, ")"));
        }
        value = tokens[++i];
      }
      auto& values = inv.flags_[name];
      if (!values.empty() && !flag->repeated &&
          FindFlag(program_.global_flags, name) == nullptr) {
        return inv.UsageError(absl::StrCat("--", name, " given twice"));
      }
      values.push_back(std::move(value));
    }
    for (const Flag& f : cmd.flags) {
      if (f.required && !inv.Has(f.name)) {
        return inv.UsageError(absl::StrCat("missing required flag --", f.name,
                                           " ", f.value_name));
      }
    }
    const int n = static_cast<int>(inv.args_.size());
    if (n < cmd.min_args || (cmd.max_args >= 0 && n > cmd.max_args)) {
      std::string want =
          cmd.args_usage.empty() ? "no arguments" : cmd.args_usage;
      return inv.UsageError(absl::StrCat("expected ", want, ", got ", n,
                                         n == 1 ? " argument" : " arguments"));
    }
    return cmd.run(inv);
  }

  const Program& program_;
  std::ostream& out_;
  std::ostream& err_;
};

int Run(const Program& program, const std::vector<std::string>& argv,
        std::ostream& out, std::ostream& err) {
  return Parser(program, out, err).Run(argv);
}

int Run(const Program& program, int argc, char** argv) {
  return Run(program, std::vector<std::string>(argv, argv + argc), std::cout,
             std::cerr);
}

}  // namespace common::cli
