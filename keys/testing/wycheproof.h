// Loads Wycheproof vector files (keys/testdata/wycheproof/) for TEST_P.
//
//   INSTANTIATE_TEST_SUITE_P(
//       Wycheproof, Ed25519WycheproofTest,
//       ::testing::ValuesIn(keys::testing::LoadWycheproof("ed25519_test.json")),
//       keys::testing::WycheproofTestName);
//
// Each case carries its test object and its group object, so the test sees
// the key of the group. Test names are "tc<tcId>", so a failure names the
// vector. A file that cannot be read yields one case with tc_id -1 whose
// `load_error` says why; tests must fail on it. Testonly.
#ifndef SECRETD_KEYS_TESTING_WYCHEPROOF_H_
#define SECRETD_KEYS_TESTING_WYCHEPROOF_H_

#include <ostream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace keys::testing {

struct WycheproofCase {
  int tc_id = -1;
  std::string result;  // "valid", "invalid" or "acceptable"
  std::string comment;
  std::vector<std::string> flags;
  nlohmann::json test;
  nlohmann::json group;
  std::string load_error;

  bool HasFlag(const std::string& flag) const;
  // Hex-decodes test[field] (or group[field]); fails the test on bad hex.
  std::string TestBytes(const std::string& field) const;
};

// Reads keys/testdata/wycheproof/<file> relative to the runfiles root.
std::vector<WycheproofCase> LoadWycheproof(const std::string& file);

std::string WycheproofTestName(
    const ::testing::TestParamInfo<WycheproofCase>& info);

// Prints only the id, so gtest's parameter dumps stay short.
void PrintTo(const WycheproofCase& c, std::ostream* os);

}  // namespace keys::testing

#endif  // SECRETD_KEYS_TESTING_WYCHEPROOF_H_
