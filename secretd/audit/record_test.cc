#include "secretd/audit/record.h"

#include <string>
#include <vector>

#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace secretd::audit {
namespace {

using ::common::testing::StatusIs;
using ::testing::HasSubstr;

Record ProvisionRecord() {
  Record r;
  r.type = "provision";
  r.request_id = "7f3c2a91";
  r.fields["decision"] = "allow";
  r.fields["subject"] = "i-0abc";
  return r;
}

TEST(RecordTest, SerializeLineHasTheFixedMemberOrderAndChains) {
  const absl::Time t = absl::FromUnixMillis(1764135705123);
  std::string line =
      SerializeLine(ProvisionRecord(), 1, t, "host-a", GenesisPrev());
  ASSERT_EQ(line.back(), '\n');
  line.pop_back();
  EXPECT_THAT(line, ::testing::StartsWith(
                        "{\"seq\":1,\"time\":\"2025-11-26T05:41:45.123Z\","
                        "\"replica\":\"host-a\",\"type\":\"provision\","
                        "\"request_id\":\"7f3c2a91\",\"decision\":\"allow\","
                        "\"subject\":\"i-0abc\",\"prev\":\"" +
                        std::string(64, '0') + "\",\"hash\":\""));
  ASSERT_OK_AND_ASSIGN(LineFields f, SplitLine(line));
  EXPECT_EQ(f.seq, 1u);
  EXPECT_EQ(f.prev, GenesisPrev());
  EXPECT_EQ(f.hash, BodyHash(f.body_prefix));
  // "hash" is SHA-256 of the record without it, closed with "}".
  EXPECT_EQ(f.hash, ComputeSha256(std::string(f.body_prefix) + "}"));
}

TEST(RecordTest, CallerCannotOverrideEnvelopeMembers) {
  Record r = ProvisionRecord();
  r.fields["seq"] = 99;
  r.fields["hash"] = "x";
  r.fields["prev"] = "y";
  std::string line = SerializeLine(r, 5, absl::UnixEpoch(), "a", GenesisPrev());
  line.pop_back();
  ASSERT_OK_AND_ASSIGN(LineFields f, SplitLine(line));
  EXPECT_EQ(f.seq, 5u);
  EXPECT_EQ(f.hash, BodyHash(f.body_prefix));
}

TEST(RecordTest, InvalidUtf8IsReplacedSoTheLineStaysJson) {
  Record r = ProvisionRecord();
  r.fields["subject"] = std::string("bad\xff");
  std::string line = SerializeLine(r, 1, absl::UnixEpoch(), "a", GenesisPrev());
  EXPECT_FALSE(nlohmann::json::parse(line, nullptr, false).is_discarded());
  EXPECT_THAT(line, HasSubstr("bad\xef\xbf\xbd"));
}

// The serialisation SerializeLine had before it wrote members itself: the
// whole record copied into one ordered document and dumped. The bytes must
// not change.
std::string ReferenceLine(const Record& record, uint64_t seq, absl::Time time,
                          absl::string_view replica, const Sha256& prev) {
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  j["seq"] = seq;
  j["time"] =
      absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", time, absl::UTCTimeZone());
  j["replica"] = std::string(replica);
  j["type"] = record.type;
  j["request_id"] = record.request_id;
  for (const auto& [key, value] : record.fields.items()) {
    if (key == "seq" || key == "time" || key == "replica" || key == "type" ||
        key == "request_id" || key == "prev" || key == "hash") {
      continue;
    }
    j[key] = value;
  }
  j["prev"] = HexSha256(prev);
  std::string body =
      j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
  const Sha256 hash = ComputeSha256(body);
  body.pop_back();
  return body + ",\"hash\":\"" + HexSha256(hash) + "\"}\n";
}

TEST(RecordTest, SerializeLineWritesTheBytesOfTheOrderedJsonDump) {
  std::vector<Record> records;
  records.push_back(ProvisionRecord());
  Record full;
  full.type = "provision";
  full.request_id = "0123456789abcdef";
  full.fields["decision"] = "deny";
  full.fields["reason"] = "permission.explicit_deny";
  full.fields["status"] = "PERMISSION_DENIED";
  full.fields["message"] =
      "role \"web\" may not read \"a\\b\": explicit deny\n\ttab \x01\x1f\x7f"
      "\b\f\r\x0b end";
  full.fields["subject"] = "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80";
  full.fields["issuer"] = std::string("bad\xff\xc3 trunc\xe2\x82");
  full.fields["role"] = std::string("nul\0inside", 11);
  full.fields["token_jti"] = "";
  full.fields["requested"] =
      nlohmann::ordered_json::array({{{"name", "app/x"}, {"version", nullptr}},
                                     {{"name", "app/y"}, {"version", 3}}});
  full.fields["released"] = nlohmann::ordered_json::array();
  full.fields["denied"] = {"app/x", "k\"ey"};
  full.fields["statements"] =
      nlohmann::ordered_json::array({{{"policy", "read.json"},
                                      {"sid", nullptr},
                                      {"index", 0},
                                      {"effect", "Deny"},
                                      {"resource", "secret/app/x"}}});
  full.fields["expires_at"] = nullptr;
  full.fields["negative"] = -9223372036854775807LL - 1;
  full.fields["big"] = uint64_t{18446744073709551615u};
  full.fields["ratio"] = 0.1;
  full.fields["flags"] = {true, false};
  full.fields["empty"] = nlohmann::ordered_json::object();
  full.fields["nested"] = {{"a", {{"b", {1, 2, {{"c", "d"}}}}}}};
  full.fields
      ["k\xff"
       "ey\n"] = "odd key";
  full.fields["seq"] = 42;  // envelope members are skipped
  records.push_back(full);
  Record every_byte = ProvisionRecord();
  for (int c = 0; c < 256; ++c) {
    every_byte.fields["subject"] = std::string(1, static_cast<char>(c)) + "x" +
                                   std::string(1, static_cast<char>(c));
    records.push_back(every_byte);
  }
  Record odd;
  odd.type = "admin.role.put\"x";
  odd.request_id = "id with space";
  records.push_back(odd);
  records.push_back(MakeCheckpointRecord(1000, "count", "0123456789abcdef",
                                         std::string(64, '\x7f')));
  Sha256 prev = ComputeSha256("previous line");
  for (const Record& r : records) {
    for (absl::Time t : {absl::FromUnixMillis(1764135705123),
                         absl::UnixEpoch() - absl::Seconds(1)}) {
      EXPECT_EQ(SerializeLine(r, 77, t, "host-a", prev),
                ReferenceLine(r, 77, t, "host-a", prev));
    }
  }
}

TEST(RecordTest, SplitLineRejectsMalformedLines) {
  EXPECT_THAT(SplitLine("{}"), StatusIs(absl::StatusCode::kDataLoss));
  std::string good = SerializeLine(ProvisionRecord(), 3, absl::UnixEpoch(), "a",
                                   GenesisPrev());
  good.pop_back();
  // Hash cut short.
  EXPECT_THAT(SplitLine(good.substr(0, good.size() - 3) + "\"}"),
              StatusIs(absl::StatusCode::kDataLoss));
  // Upper-case hex is not the writer's form.
  std::string upper = good;
  upper[upper.size() - 3] = 'A';
  EXPECT_THAT(SplitLine(upper), StatusIs(absl::StatusCode::kDataLoss,
                                         HasSubstr("64 lower-case hex")));
  // seq with a leading zero.
  std::string lead = good;
  lead.replace(0, 9, "{\"seq\":03");
  EXPECT_THAT(SplitLine(lead),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("seq")));
  // seq 0 (found by the audit_line fuzzer): seq starts at 1.
  std::string zero = good;
  zero.replace(0, 8, "{\"seq\":0");
  EXPECT_THAT(SplitLine(zero),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("positive")));
}

TEST(RecordTest, CheckpointMessageBindsEverySignedMember) {
  Sha256 prev{};
  prev[0] = 1;
  const CheckpointClaims claims{"2026-11-26T05:41:45.123Z", 3, "interval"};
  const std::string m = CheckpointMessage("host-a", 258, claims, prev);
  EXPECT_EQ(m, std::string("secretd-audit-checkpoint-v1\0host-a\0", 35) +
                   std::string("\0\0\0\0\0\0\x01\x02", 8) +
                   "2026-11-26T05:41:45.123Z" + std::string(1, '\0') +
                   std::string("\0\0\0\0\0\0\0\x03", 8) + "interval" +
                   std::string(1, '\0') +
                   std::string(reinterpret_cast<const char*>(prev.data()), 32));
  EXPECT_NE(CheckpointMessage("host-b", 258, claims, prev), m);
  EXPECT_NE(CheckpointMessage("host-a", 259, claims, prev), m);
  CheckpointClaims shutdown = claims;
  shutdown.reason = "shutdown";
  EXPECT_NE(CheckpointMessage("host-a", 258, shutdown, prev), m);
  CheckpointClaims more = claims;
  more.records = 4;
  EXPECT_NE(CheckpointMessage("host-a", 258, more, prev), m);
  CheckpointClaims later = claims;
  later.time = "2026-11-26T05:41:45.124Z";
  EXPECT_NE(CheckpointMessage("host-a", 258, later, prev), m);
}

TEST(RecordTest, ReplicaIdsAreRestricted) {
  EXPECT_OK(ValidateReplicaId("host-a.1_b"));
  EXPECT_THAT(ValidateReplicaId(""),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ValidateReplicaId("../x"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ValidateReplicaId(".."),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ValidateReplicaId(std::string(65, 'a')),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(RecordTest, HexRoundTrips) {
  Sha256 d = ComputeSha256("abc");
  EXPECT_EQ(HexSha256(d),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  Sha256 back;
  ASSERT_TRUE(ParseHexSha256(HexSha256(d), &back));
  EXPECT_EQ(back, d);
  EXPECT_FALSE(ParseHexSha256("zz", &back));
}

TEST(RecordTest, RecordTimeRoundTrips) {
  const absl::Time t = absl::FromUnixMillis(1764135705123);
  ASSERT_OK_AND_ASSIGN(absl::Time back, ParseRecordTime(FormatRecordTime(t)));
  EXPECT_EQ(back, t);
  EXPECT_THAT(ParseRecordTime("yesterday"),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace secretd::audit
