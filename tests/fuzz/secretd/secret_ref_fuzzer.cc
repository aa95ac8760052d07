// Property: a reference that parses formats back to exactly the input, and
// its name validates on its own.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "secretd/names/secret_name.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  auto ref = secretd::ParseSecretRef(input);
  if (!ref.ok()) return 0;
  if (secretd::FormatSecretRef(*ref) != input) std::abort();
  if (!secretd::ValidateSecretName(ref->name).ok()) std::abort();
  if (ref->version && *ref->version < 1) std::abort();
  return 0;
}
