#include "bootstrap/command_line.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace bootstrap {
namespace {

bool IsNameStart(char c) { return absl::ascii_isalpha(c) || c == '_'; }
bool IsNameChar(char c) { return absl::ascii_isalnum(c) || c == '_'; }

// If `in[i]` ('$') starts a reference to a known variable, appends its value
// to `word`, advances `i` past it and returns true.
bool Expand(absl::string_view in, size_t& i,
            const std::map<std::string, std::string, std::less<>>& variables,
            std::string& word) {
  size_t start = i + 1;
  bool braced = start < in.size() && in[start] == '{';
  if (braced) ++start;
  size_t end = start;
  if (end >= in.size() || !IsNameStart(in[end])) return false;
  while (end < in.size() && IsNameChar(in[end])) ++end;
  if (braced && (end >= in.size() || in[end] != '}')) return false;
  auto it = variables.find(in.substr(start, end - start));
  if (it == variables.end()) return false;
  word += it->second;
  i = braced ? end + 1 : end;
  return true;
}

}  // namespace

absl::StatusOr<std::vector<std::string>> SplitCommandLine(
    absl::string_view command,
    const std::map<std::string, std::string, std::less<>>& variables) {
  auto bad = [](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat("--attest-exec: ", why));
  };
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  size_t i = 0;
  while (i < command.size()) {
    const char c = command[i];
    if (c == '\0') return bad("the command contains a NUL byte");
    if (c == ' ' || c == '\t' || c == '\n') {
      if (in_word) words.push_back(std::move(word));
      word.clear();
      in_word = false;
      ++i;
      continue;
    }
    in_word = true;
    if (c == '\\') {
      if (i + 1 >= command.size()) return bad("the command ends with '\\'");
      word += command[i + 1];
      i += 2;
    } else if (c == '\'') {
      const size_t close = command.find('\'', i + 1);
      if (close == absl::string_view::npos) return bad("unterminated '");
      absl::StrAppend(&word, command.substr(i + 1, close - i - 1));
      i = close + 1;
    } else if (c == '"') {
      ++i;
      while (true) {
        if (i >= command.size()) return bad("unterminated \"");
        const char d = command[i];
        if (d == '"') {
          ++i;
          break;
        }
        if (d == '\0') return bad("the command contains a NUL byte");
        if (d == '\\' && i + 1 < command.size() &&
            (command[i + 1] == '"' || command[i + 1] == '\\' ||
             command[i + 1] == '$')) {
          word += command[i + 1];
          i += 2;
        } else if (d == '$' && Expand(command, i, variables, word)) {
          // expanded
        } else {
          word += d;
          ++i;
        }
      }
    } else if (c == '$' && Expand(command, i, variables, word)) {
      // expanded
    } else {
      word += c;
      ++i;
    }
  }
  if (in_word) words.push_back(std::move(word));
  if (words.empty()) return bad("the command is empty");
  return words;
}

}  // namespace bootstrap
