#include "policy/internal/pattern.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace policy::internal {
namespace {

inline char Lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

inline bool CharEq(char a, char b, bool ignore_case) {
  return a == b || (ignore_case && Lower(a) == Lower(b));
}

bool TextEq(absl::string_view a, absl::string_view b, bool ignore_case) {
  if (a.size() != b.size()) return false;
  if (!ignore_case)
    return a.empty() || std::memcmp(a.data(), b.data(), a.size()) == 0;
  for (size_t i = 0; i < a.size(); ++i) {
    if (!CharEq(a[i], b[i], true)) return false;
  }
  return true;
}

bool StartsWith(absl::string_view text, absl::string_view prefix,
                bool ignore_case) {
  return text.size() >= prefix.size() &&
         TextEq(prefix, text.substr(0, prefix.size()), ignore_case);
}

bool IsSpace(char c) { return c == ' ' || c == '\t'; }

absl::string_view Trim(absl::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

// Parses the inside of `${...}` (without the braces) into a reference.
absl::StatusOr<VariableRef> ParseVariable(absl::string_view inside,
                                          absl::string_view whole) {
  VariableRef ref;
  absl::string_view key = inside;
  size_t comma = inside.find(',');
  if (comma != absl::string_view::npos) {
    key = inside.substr(0, comma);
    absl::string_view def = Trim(inside.substr(comma + 1));
    if (def.size() < 2 || def.front() != '\'' || def.back() != '\'') {
      return absl::InvalidArgumentError(
          absl::StrCat("variable \"", whole,
                       "\" has a default that is not in single quotes; write "
                       "${key, 'default'}"));
    }
    def = def.substr(1, def.size() - 2);
    std::string value;
    for (size_t i = 0; i < def.size(); ++i) {
      if (def[i] == '\'') {
        if (i + 1 < def.size() && def[i + 1] == '\'') {
          value.push_back('\'');
          ++i;
          continue;
        }
        return absl::InvalidArgumentError(absl::StrCat(
            "variable \"", whole,
            "\" has a lone quote in its default; write '' for a quote"));
      }
      value.push_back(def[i]);
    }
    ref.default_value = std::move(value);
  }
  key = Trim(key);
  if (key.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("variable \"", whole,
                     "\" names no context key; write e.g. ${claim:sub}"));
  }
  for (char c : key) {
    if (IsSpace(c) || c == '$' || c == '{' || c == '}' || c == '\'') {
      return absl::InvalidArgumentError(
          absl::StrCat("variable \"", whole, "\" has a context key with \"",
                       std::string(1, c), "\" in it; write e.g. ${claim:sub}"));
    }
  }
  ref.key = std::string(key);
  ref.key_lower = LowerAscii(key);
  ref.hash = KeyHash(key);
  return ref;
}

}  // namespace

uint64_t KeyHash(absl::string_view key) {
  uint64_t h = 14695981039346656037ull;
  for (char c : key) {
    h ^= static_cast<uint8_t>(Lower(c));
    h *= 1099511628211ull;
  }
  return h;
}

std::string LowerAscii(absl::string_view text) {
  std::string out(text);
  for (char& c : out) c = Lower(c);
  return out;
}

absl::StatusOr<Pattern> Pattern::Parse(absl::string_view text, Options options,
                                       std::vector<VariableRef>* variables) {
  Pattern p;
  auto add_literal = [&p](absl::string_view s) {
    if (s.empty()) return;
    if (!p.pieces_.empty() && p.pieces_.back().kind == Kind::kLiteral) {
      p.pieces_.back().text.append(s.data(), s.size());
    } else {
      p.pieces_.push_back({Kind::kLiteral, std::string(s)});
    }
  };
  size_t i = 0;
  while (i < text.size()) {
    char c = text[i];
    if (options.wildcards && (c == '*' || c == '?')) {
      // Consecutive stars are one star.
      if (c == '*' && !p.pieces_.empty() &&
          p.pieces_.back().kind == Kind::kStar) {
        ++i;
        continue;
      }
      p.pieces_.push_back({c == '*' ? Kind::kStar : Kind::kQuestion, ""});
      ++i;
      continue;
    }
    if (options.variables && c == '$' && i + 1 < text.size() &&
        text[i + 1] == '{') {
      // The default may hold '}' inside quotes; scan for the closing brace
      // outside quotes.
      size_t j = i + 2;
      bool in_quote = false;
      for (; j < text.size(); ++j) {
        if (text[j] == '\'') in_quote = !in_quote;
        if (text[j] == '}' && !in_quote) break;
      }
      if (j >= text.size()) {
        return absl::InvalidArgumentError(absl::StrCat(
            "variable \"", text.substr(i, 20),
            "\" is not closed; add \"}\" (or write ${$} for a literal $)"));
      }
      absl::string_view inside = text.substr(i + 2, j - i - 2);
      absl::string_view whole = text.substr(i, j - i + 1);
      if (inside == "*" || inside == "?" || inside == "$") {
        add_literal(inside);
      } else {
        auto ref = ParseVariable(inside, whole);
        if (!ref.ok()) return ref.status();
        auto it = std::find(variables->begin(), variables->end(), *ref);
        int index = static_cast<int>(it - variables->begin());
        if (it == variables->end()) variables->push_back(*std::move(ref));
        p.pieces_.push_back({Kind::kVariable, "", index});
        p.has_variables_ = true;
      }
      i = j + 1;
      continue;
    }
    add_literal(text.substr(i, 1));
    ++i;
  }
  const size_t n = p.pieces_.size();
  if (n == 1 && p.pieces_[0].kind == Kind::kStar) {
    p.shape_ = Shape::kAnything;
  } else if (n == 0 || (n == 1 && p.pieces_[0].kind == Kind::kLiteral)) {
    p.shape_ = Shape::kExact;
  } else if (n == 2 && p.pieces_[0].kind == Kind::kLiteral &&
             p.pieces_[1].kind == Kind::kStar) {
    p.shape_ = Shape::kPrefix;
  } else {
    p.shape_ = Shape::kGeneral;
  }
  return p;
}

absl::string_view Pattern::literal_prefix() const {
  if (pieces_.empty() || pieces_[0].kind != Kind::kLiteral) return "";
  return pieces_[0].text;
}

absl::string_view Pattern::PieceText(const Piece& p,
                                     const absl::string_view* resolved) const {
  return p.kind == Kind::kVariable ? resolved[p.variable]
                                   : absl::string_view(p.text);
}

bool Pattern::Matches(absl::string_view text, const absl::string_view* resolved,
                      bool ignore_case) const {
  switch (shape_) {
    case Shape::kAnything:
      return true;
    case Shape::kExact:
      return TextEq(pieces_.empty() ? absl::string_view()
                                    : absl::string_view(pieces_[0].text),
                    text, ignore_case);
    case Shape::kPrefix:
      return StartsWith(text, pieces_[0].text, ignore_case);
    case Shape::kGeneral:
      break;
  }
  // Most texts fail on the literal head; check it before the general match.
  if (pieces_[0].kind == Kind::kLiteral &&
      !StartsWith(text, pieces_[0].text, ignore_case)) {
    return false;
  }
  return Glob(text, resolved, ignore_case);
}

// The classic greedy wildcard match: on a mismatch, go back to the last star
// and let it swallow one more character. Correct for `*` and `?` because a
// later star can always absorb what an earlier one would have.
bool Pattern::Glob(absl::string_view text, const absl::string_view* resolved,
                   bool ignore_case) const {
  const size_t n = pieces_.size();
  size_t pi = 0, po = 0, si = 0;
  size_t star_pi = n, star_si = 0;
  while (si < text.size()) {
    if (pi < n) {
      const Piece& piece = pieces_[pi];
      if (piece.kind == Kind::kStar) {
        star_pi = pi;
        star_si = si;
        ++pi;
        po = 0;
        continue;
      }
      if (piece.kind == Kind::kQuestion) {
        ++pi;
        ++si;
        continue;
      }
      absl::string_view lit = PieceText(piece, resolved);
      if (po == lit.size()) {
        ++pi;
        po = 0;
        continue;
      }
      if (CharEq(lit[po], text[si], ignore_case)) {
        ++po;
        ++si;
        continue;
      }
    }
    if (star_pi == n) return false;
    pi = star_pi + 1;
    po = 0;
    si = ++star_si;
  }
  for (; pi < n; ++pi) {
    const Piece& piece = pieces_[pi];
    if (piece.kind == Kind::kStar) continue;
    if (piece.kind == Kind::kQuestion) return false;
    if (PieceText(piece, resolved).size() != po) return false;
    po = 0;
  }
  return true;
}

bool Pattern::Equals(absl::string_view text, const absl::string_view* resolved,
                     bool ignore_case) const {
  size_t si = 0;
  for (const Piece& piece : pieces_) {
    absl::string_view lit;
    switch (piece.kind) {
      case Kind::kStar:
        lit = "*";
        break;
      case Kind::kQuestion:
        lit = "?";
        break;
      default:
        lit = PieceText(piece, resolved);
    }
    if (text.size() - si < lit.size() ||
        !TextEq(lit, text.substr(si, lit.size()), ignore_case)) {
      return false;
    }
    si += lit.size();
  }
  return si == text.size();
}

}  // namespace policy::internal
