#include "keys/internal/strict_json.h"

#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "keys/secret_bytes.h"

namespace keys::internal {
namespace {

using Json = nlohmann::json;

// Builds a Json document from SAX events, enforcing depth and uniqueness.
class StrictBuilder {
 public:
  explicit StrictBuilder(size_t max_depth) : max_depth_(max_depth) {}

  bool null() { return Add(Json(nullptr)); }
  bool boolean(bool v) { return Add(Json(v)); }
  bool number_integer(Json::number_integer_t v) { return Add(Json(v)); }
  bool number_unsigned(Json::number_unsigned_t v) { return Add(Json(v)); }
  bool number_float(Json::number_float_t v, const std::string&) {
    if (!std::isfinite(v)) return Fail("a number is out of range");
    return Add(Json(v));
  }
  bool string(std::string& v) { return Add(Json(std::move(v))); }
  bool binary(Json::binary_t&) { return Fail("binary values are not JSON"); }

  bool start_object(size_t) { return Open(Json::object()); }
  bool key(std::string& k) {
    Json& object = *stack_.back();
    if (object.contains(k)) {
      return Fail(absl::StrCat("duplicate member \"", Printable(k),
                               "\"; each name may appear once per object"));
    }
    pending_key_ = std::move(k);
    return true;
  }
  bool end_object() {
    stack_.pop_back();
    return true;
  }
  bool start_array(size_t) { return Open(Json::array()); }
  bool end_array() {
    stack_.pop_back();
    return true;
  }

  bool parse_error(size_t position, const std::string&,
                   const nlohmann::detail::exception&) {
    if (error_.empty()) {
      error_ = absl::StrCat("not valid JSON (syntax error near byte ", position,
                            ")");
    }
    return false;
  }

  const std::string& error() const { return error_; }
  Json TakeRoot() { return std::move(root_); }

 private:
  // Member names reach error messages; keep them short and printable.
  static std::string Printable(absl::string_view k) {
    std::string out;
    for (char c : k.substr(0, 40)) {
      out.push_back(c >= 0x20 && c < 0x7f && c != '"' ? c : '?');
    }
    if (k.size() > 40) out += "...";
    return out;
  }

  bool Fail(std::string message) {
    error_ = std::move(message);
    return false;
  }

  // Places `value` in the current container (or at the root) and returns a
  // pointer to where it now lives.
  Json* Place(Json value) {
    if (stack_.empty()) {
      root_ = std::move(value);
      return &root_;
    }
    Json& parent = *stack_.back();
    if (parent.is_array()) {
      parent.push_back(std::move(value));
      return &parent.back();
    }
    Json& slot = parent[pending_key_];
    slot = std::move(value);
    return &slot;
  }

  bool Add(Json value) {
    Place(std::move(value));
    return true;
  }

  bool Open(Json container) {
    if (stack_.size() + 1 > max_depth_) {
      return Fail(absl::StrCat("nested deeper than ", max_depth_, " levels"));
    }
    stack_.push_back(Place(std::move(container)));
    return true;
  }

  const size_t max_depth_;
  Json root_;
  std::vector<Json*> stack_;
  std::string pending_key_;
  std::string error_;
};

}  // namespace

absl::StatusOr<nlohmann::json> ParseStrictJson(absl::string_view text,
                                               size_t max_bytes,
                                               size_t max_depth) {
  if (text.size() > max_bytes) {
    return absl::InvalidArgumentError(absl::StrCat("JSON is ", text.size(),
                                                   " bytes; at most ",
                                                   max_bytes, " are accepted"));
  }
  StrictBuilder builder(max_depth);
  bool ok = false;
  try {
    ok = Json::sax_parse(text.begin(), text.end(), &builder,
                         Json::input_format_t::json, /*strict=*/true,
                         /*ignore_comments=*/false);
  } catch (const std::exception&) {
    ok = false;
  }
  if (!ok) {
    return absl::InvalidArgumentError(
        builder.error().empty() ? "not valid JSON" : builder.error());
  }
  return builder.TakeRoot();
}

absl::StatusOr<std::string> DumpJson(const nlohmann::json& value) {
  try {
    return value.dump();
  } catch (const nlohmann::json::exception&) {
    return absl::InvalidArgumentError("a JSON string is not valid UTF-8");
  }
}

size_t JsonDepth(const nlohmann::json& value) {
  if (!value.is_structured()) return 0;
  size_t deepest = 0;
  for (const auto& child : value) {
    const size_t d = JsonDepth(child);
    if (d > deepest) deepest = d;
  }
  return deepest + 1;
}

void WipeJson(nlohmann::json* value) {
  if (value->is_string()) {
    WipeString(value->get_ptr<std::string*>());
  } else if (value->is_structured()) {
    for (auto& child : *value) WipeJson(&child);
  }
}

}  // namespace keys::internal
