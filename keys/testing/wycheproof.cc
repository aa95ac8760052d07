#include "keys/testing/wycheproof.h"

#include <algorithm>
#include <fstream>
#include <iterator>

#include "keys/encoding.h"

namespace keys::testing {

bool WycheproofCase::HasFlag(const std::string& flag) const {
  return std::find(flags.begin(), flags.end(), flag) != flags.end();
}

std::string WycheproofCase::TestBytes(const std::string& field) const {
  const nlohmann::json& source = test.contains(field) ? test : group;
  auto decoded = HexDecode(source.at(field).get<std::string>());
  EXPECT_TRUE(decoded.ok())
      << "tcId " << tc_id << ": field " << field << " is not hex";
  return decoded.ok() ? *decoded : "";
}

std::vector<WycheproofCase> LoadWycheproof(const std::string& file) {
  const std::string path = "keys/testdata/wycheproof/" + file;
  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)),
                   std::istreambuf_iterator<char>());
  nlohmann::json doc = nlohmann::json::parse(text, nullptr, false);
  if (!in || doc.is_discarded() || !doc.contains("testGroups")) {
    WycheproofCase bad;
    bad.load_error = "cannot read or parse " + path;
    return {bad};
  }
  std::vector<WycheproofCase> cases;
  for (const auto& group : doc["testGroups"]) {
    nlohmann::json group_meta = group;
    group_meta.erase("tests");
    for (const auto& t : group["tests"]) {
      WycheproofCase c;
      c.tc_id = t.at("tcId").get<int>();
      c.result = t.at("result").get<std::string>();
      c.comment = t.value("comment", "");
      c.flags = t.value("flags", std::vector<std::string>{});
      c.test = t;
      c.group = group_meta;
      cases.push_back(std::move(c));
    }
  }
  return cases;
}

std::string WycheproofTestName(
    const ::testing::TestParamInfo<WycheproofCase>& info) {
  if (info.param.tc_id < 0) return "LoadError";
  return "tc" + std::to_string(info.param.tc_id);
}

void PrintTo(const WycheproofCase& c, std::ostream* os) {
  *os << "tcId " << c.tc_id << " (" << c.result << ", " << c.comment << ")";
}

}  // namespace keys::testing
