// Property: whatever bytes a log field holds, the logger writes a valid JSON
// string, and for valid UTF-8 input it decodes back to exactly those bytes.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "common/logging.h"
#include "nlohmann/json.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  std::string out;
  common::log::AppendJsonString(input, &out);
  nlohmann::json parsed = nlohmann::json::parse(out, nullptr, false);
  if (parsed.is_discarded() || !parsed.is_string()) std::abort();
  // nlohmann's own check of UTF-8 validity: dump() throws on invalid UTF-8.
  bool valid_utf8 = true;
  try {
    (void)nlohmann::json(input).dump();
  } catch (const nlohmann::json::type_error&) {
    valid_utf8 = false;
  }
  if (valid_utf8 && parsed.get<std::string>() != input) std::abort();
  return 0;
}
