#include "policy/internal/strict_json.h"

#include <set>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace policy::internal {
namespace {

using Json = nlohmann::json;

// nlohmann's token names -> words for our messages.
std::string TokenWords(absl::string_view token) {
  if (token == "string literal") return "a string";
  if (token == "number literal") return "a number";
  if (token == "end of input") return "the end of the input";
  if (token == "true literal" || token == "false literal" ||
      token == "null literal") {
    return absl::StrCat(token.substr(0, token.find(' ')));
  }
  if (token.size() == 3 && token.front() == '\'' && token.back() == '\'') {
    return absl::StrCat("\"", token.substr(1, 1), "\"");
  }
  return std::string(token);
}

class Checker final : public nlohmann::json_sax<Json> {
 public:
  Checker(absl::string_view text, int max_depth)
      : text_(text), max_depth_(max_depth) {}

  bool null() override { return Scalar(); }
  bool boolean(bool) override { return Scalar(); }
  bool number_integer(number_integer_t) override { return Scalar(); }
  bool number_unsigned(number_unsigned_t) override { return Scalar(); }
  bool number_float(number_float_t, const string_t&) override {
    return Scalar();
  }
  bool string(string_t&) override { return Scalar(); }
  bool binary(binary_t&) override { return Scalar(); }
  bool start_object(std::size_t) override { return Open(true); }
  bool end_object() override { return Close(); }
  bool start_array(std::size_t) override { return Open(false); }
  bool end_array() override { return Close(); }

  bool key(string_t& k) override {
    Frame& f = frames_.back();
    if (!f.keys.insert(k).second) {
      problems_.push_back(
          {Path(), 0, 0,
           absl::StrCat("duplicate member \"", k,
                        "\"; a name may appear once in an object, remove "
                        "one of them")});
    }
    f.current_key = k;
    return true;
  }

  bool parse_error(std::size_t position, const std::string& last_token,
                   const nlohmann::detail::exception& ex) override {
    problems_.push_back(Describe(position, last_token, ex.what()));
    return false;
  }

  std::vector<JsonProblem>& problems() { return problems_; }
  bool fatal() const { return fatal_; }

 private:
  struct Frame {
    bool object;
    std::string segment;  // how the parent addresses this container
    size_t next_index = 0;
    std::string current_key;
    std::set<std::string> keys;
  };

  std::string Path() const {
    std::string path;
    for (const Frame& f : frames_) path += f.segment;
    return path;
  }

  // The path segment of the value that starts now.
  std::string ChildSegment() const {
    if (frames_.empty()) return "";
    std::string seg;
    const Frame& parent = frames_.back();
    if (parent.object) {
      std::string path = Path();
      size_t before = path.size();
      AppendPathKey(&path, parent.current_key);
      seg = path.substr(before);
    } else {
      AppendPathIndex(&seg, parent.next_index);
    }
    return seg;
  }

  void ValueDone() {
    if (!frames_.empty() && !frames_.back().object) ++frames_.back().next_index;
  }

  bool Scalar() {
    ValueDone();
    return true;
  }

  bool Open(bool object) {
    if (static_cast<int>(frames_.size()) >= max_depth_) {
      std::string path = Path() + ChildSegment();
      problems_.push_back(
          {path, 0, 0,
           absl::StrCat("nested deeper than ", max_depth_,
                        " levels; a policy needs far fewer, flatten it")});
      fatal_ = true;
      return false;
    }
    Frame f;
    f.object = object;
    f.segment = ChildSegment();
    frames_.push_back(std::move(f));
    return true;
  }

  bool Close() {
    frames_.pop_back();
    ValueDone();
    return true;
  }

  // Line and column (1-based) of byte `offset`.
  void Locate(size_t offset, JsonProblem* p) const {
    if (offset > text_.size()) offset = text_.size();
    int line = 1;
    size_t line_start = 0;
    for (size_t i = 0; i < offset; ++i) {
      if (text_[i] == '\n') {
        ++line;
        line_start = i + 1;
      }
    }
    p->line = line;
    p->column = static_cast<int>(offset - line_start) + 1;
  }

  // The line of the last non-blank character before `offset`, or 0.
  int PreviousContentLine(size_t offset) const {
    if (offset > text_.size()) offset = text_.size();
    while (offset > 0) {
      char c = text_[offset - 1];
      if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
      --offset;
    }
    if (offset == 0) return 0;
    int line = 1;
    for (size_t i = 0; i + 1 < offset; ++i) {
      if (text_[i] == '\n') ++line;
    }
    return line;
  }

  JsonProblem Describe(size_t position, const std::string& last_token,
                       absl::string_view what) {
    fatal_ = true;
    JsonProblem p;
    size_t offset = position > 0 ? position - 1 : 0;
    if (absl::StrContains(what, "number overflow")) {
      Locate(offset, &p);
      p.message =
          "number is too large; write it as a string if it is meant as text";
      return p;
    }
    absl::string_view detail = what;
    constexpr absl::string_view kMarker = "syntax error while parsing ";
    size_t at = detail.find(kMarker);
    std::string context;
    if (at != absl::string_view::npos) {
      detail.remove_prefix(at + kMarker.size());
      size_t dash = detail.find(" - ");
      if (dash != absl::string_view::npos) {
        context = std::string(detail.substr(0, dash));
        detail.remove_prefix(dash + 3);
      }
    }
    // "unexpected X; expected Y"
    if (absl::StartsWith(detail, "unexpected ")) {
      absl::string_view rest = detail.substr(11);
      size_t semi = rest.find("; expected ");
      absl::string_view got = rest.substr(0, semi);
      absl::string_view expected =
          semi == absl::string_view::npos ? "" : rest.substr(semi + 11);
      const bool at_end = got == "end of input";
      const bool punctuation = got.size() == 3 && got.front() == '\'';
      size_t token_start = offset;
      if (at_end) {
        token_start = text_.size();
      } else if (punctuation) {
        token_start = offset;  // one character, the last one read
      } else if (last_token.size() <= position) {
        token_start = position - last_token.size();
      }
      Locate(token_start, &p);
      const std::string got_words = TokenWords(got);
      const bool value_token = got == "string literal" ||
                               got == "number literal" || got == "'{'" ||
                               got == "'['" || absl::EndsWith(got, " literal");
      auto comma_hint = [&]() -> std::string {
        if (!value_token) return "";
        int prev = PreviousContentLine(token_start);
        if (prev == 0) return "";
        return absl::StrCat("; is a comma missing at the end of line ", prev,
                            "?");
      };
      if (expected == "end of input") {
        p.message =
            "unexpected text after the end of the document; a policy is one "
            "JSON object";
      } else if (at_end && context == "value" &&
                 text_.find_first_not_of(" \t\r\n") ==
                     absl::string_view::npos) {
        p.message = "the document is empty; a policy is a JSON object";
      } else if (at_end) {
        p.message = "unexpected end of the input; the document is cut short";
      } else if (expected == "'[', '{', or a literal") {
        p.message =
            absl::StrCat("expected a value, got ", got_words,
                         got == "']'" ? "; remove the trailing comma" : "");
      } else if (context == "object" && expected == "'}'") {
        p.message = absl::StrCat("expected \",\" or \"}\" after a member, got ",
                                 got_words, comma_hint());
      } else if (context == "array" && expected == "']'") {
        p.message =
            absl::StrCat("expected \",\" or \"]\" after an element, got ",
                         got_words, comma_hint());
      } else if (context == "object key") {
        p.message =
            got == "'}'"
                ? "expected a member name after \",\", got \"}\"; remove the "
                  "trailing comma"
                : absl::StrCat("expected a member name in double quotes, got ",
                               got_words);
      } else if (context == "object separator") {
        p.message = absl::StrCat("expected \":\" after the member name, got ",
                                 got_words);
      } else {
        p.message = absl::StrCat("unexpected ", got_words);
        if (!expected.empty()) {
          absl::StrAppend(&p.message, "; expected ", expected);
        }
      }
      return p;
    }
    Locate(offset, &p);
    absl::string_view core = detail.substr(0, detail.find("; last read"));
    if (absl::StrContains(detail, "expected end of input")) {
      p.message =
          "unexpected text after the end of the document; a policy is one "
          "JSON object";
    } else if (core == "invalid literal") {
      p.message =
          "invalid literal; strings need double quotes, and the only bare "
          "words are true, false and null";
    } else {
      p.message = std::string(core);
    }
    return p;
  }

  absl::string_view text_;
  int max_depth_;
  std::vector<Frame> frames_;
  std::vector<JsonProblem> problems_;
  bool fatal_ = false;
};

}  // namespace

void AppendPathKey(std::string* path, absl::string_view key) {
  bool plain = !key.empty();
  for (char c : key) {
    if (c == '.' || c == '[' || c == ']' || c == '"' || c == ' ' ||
        static_cast<unsigned char>(c) < 0x20) {
      plain = false;
      break;
    }
  }
  if (plain) {
    if (!path->empty()) path->push_back('.');
    path->append(key.data(), key.size());
    return;
  }
  // A JSON string literal names any key unambiguously.
  absl::StrAppend(path, "[",
                  Json(std::string(key))
                      .dump(-1, ' ', false, Json::error_handler_t::replace),
                  "]");
}

std::string Quote(absl::string_view s) {
  return Json(std::string(s))
      .dump(-1, ' ', false, Json::error_handler_t::replace);
}

const char* JsonTypeWords(const Json& value) {
  switch (value.type()) {
    case Json::value_t::null:
      return "null";
    case Json::value_t::object:
      return "an object";
    case Json::value_t::array:
      return "an array";
    case Json::value_t::string:
      return "a string";
    case Json::value_t::boolean:
      return "a boolean";
    default:
      return "a number";
  }
}

void AppendPathIndex(std::string* path, size_t index) {
  absl::StrAppend(path, "[", index, "]");
}

StrictJson ParseStrictJson(absl::string_view text, int max_depth) {
  StrictJson out;
  Checker checker(text, max_depth);
  const std::string copy(text);
  nlohmann::json::sax_parse(copy, &checker);
  out.problems = std::move(checker.problems());
  if (checker.fatal()) return out;
  Json value = Json::parse(copy, nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded()) {
    // Unreachable: the SAX pass accepted the same text.
    out.problems.push_back({"", 0, 0, "the document is not valid JSON"});
    return out;
  }
  out.value = std::move(value);
  return out;
}

}  // namespace policy::internal
