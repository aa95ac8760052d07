#include "secretd/audit/envelope.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "secretd/audit/record.h"

namespace secretd::audit {
namespace {

using ::common::testing::StatusIs;
using ::testing::HasSubstr;

const absl::Time kTime = absl::FromUnixMillis(1764135705123);  // 05:41:45.123

std::string Line(const Record& r, uint64_t seq = 3) {
  std::string line = SerializeLine(r, seq, kTime, "host-a", GenesisPrev());
  line.pop_back();  // "\n"
  return line;
}

Record Provision() {
  Record r;
  r.type = "provision";
  r.request_id = "7f3c2a91e0b4c5d6";
  r.fields["decision"] = "allow";
  r.fields["subject"] = "i-0abc";
  return r;
}

Record Checkpoint(uint64_t records = 2) {
  Record r;
  r.type = std::string(kCheckpointType);
  r.fields["records"] = records;
  r.fields["reason"] = "count";
  r.fields["key_id"] = "0123456789abcdef";
  r.fields["signature"] = std::string(86, 'A');
  return r;
}

// Replaces the record's content and recomputes nothing (the scanners do not
// check hashes).
std::string Edit(const std::string& line, absl::string_view from,
                 absl::string_view to) {
  return absl::StrReplaceAll(line, {{from, to}});
}

TEST(EnvelopeTest, ScansTheWritersEnvelope) {
  const std::string line = Line(Provision());
  ASSERT_OK_AND_ASSIGN(Envelope e, ScanEnvelope(line));
  EXPECT_EQ(e.seq, 3u);
  EXPECT_EQ(e.time, "2025-11-26T05:41:45.123Z");
  EXPECT_EQ(e.replica, "host-a");
  EXPECT_EQ(e.type, "provision");
  EXPECT_EQ(e.request_id, "7f3c2a91e0b4c5d6");
  EXPECT_EQ(e.rest.substr(0, 12), ",\"decision\":");
}

TEST(EnvelopeTest, RequestIdIsPrintableAscii) {
  Record r = Provision();
  r.request_id = "adm-1 <x>/y:z";
  const std::string line = Line(r);  // the Envelope points into it
  ASSERT_OK_AND_ASSIGN(Envelope e, ScanEnvelope(line));
  EXPECT_EQ(e.request_id, "adm-1 <x>/y:z");
}

// A request id is printed in verify messages: nothing in it may reach a
// terminal as a control (escapes, C0 and C1 controls, DEL, bidi controls,
// invalid UTF-8) nor hide a quote.
TEST(EnvelopeTest, RequestIdWithEscapesControlsOrNonAsciiIsRejected) {
  for (const std::string& id :
       {std::string("a\"b"), std::string("a\\b"), std::string("\x1b[2J"),
        std::string("a\nb"), std::string("a\x7f"), std::string("\xc2\x9b"),
        std::string("i-\xe2\x80\xae"), std::string("\xe2\x81\xa6"),
        std::string("\xc3\xa9")}) {
    Record r = Provision();
    r.request_id = id;
    EXPECT_THAT(ScanEnvelope(Line(r)),
                StatusIs(absl::StatusCode::kDataLoss,
                         HasSubstr("no valid \"request_id\"")))
        << id;
  }
  // Raw bytes a serializer would never write: a C1 control, invalid UTF-8.
  const std::string line = Line(Provision());
  for (absl::string_view raw : {"\x9b", "\xff", "\x1b"}) {
    EXPECT_THAT(ScanEnvelope(Edit(line, "7f3c2a91", absl::StrCat("7f", raw))),
                StatusIs(absl::StatusCode::kDataLoss,
                         HasSubstr("no valid \"request_id\"")));
  }
}

TEST(EnvelopeTest, MembersOutOfOrderAreRejected) {
  const std::string line = Line(Provision());
  EXPECT_THAT(ScanEnvelope(Edit(line, ",\"time\":", ", \"time\":")),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("\"time\"")));
  EXPECT_THAT(
      ScanEnvelope(Edit(line, "\"replica\":\"host-a\",\"type\":\"provision\"",
                        "\"type\":\"provision\",\"replica\":\"host-a\"")),
      StatusIs(absl::StatusCode::kDataLoss, HasSubstr("\"replica\"")));
  EXPECT_THAT(ScanEnvelope(Edit(line, "\"request_id\"", "\"requestid\"")),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("request_id")));
}

TEST(EnvelopeTest, BadMemberValuesAreRejected) {
  const std::string line = Line(Provision());
  EXPECT_THAT(ScanEnvelope(Edit(line, "{\"seq\":3", "{\"seq\":0")),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("seq")));
  EXPECT_THAT(ScanEnvelope(Edit(line, "{\"seq\":3", "{\"seq\":03")),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("seq")));
  EXPECT_THAT(ScanEnvelope(Edit(line, "05:41:45.123Z", "05:41:45Z")),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("time")));
  EXPECT_THAT(ScanEnvelope(Edit(line, "2025-11-26", "2025-02-30")),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("time")));
  EXPECT_THAT(ScanEnvelope(Edit(line, "host-a", "host a")),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("replica")));
  EXPECT_THAT(ScanEnvelope(Edit(line, "\"provision\"", "\"Provision\"")),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("type")));
  EXPECT_THAT(ScanEnvelope(Edit(line, "7f3c2a91e0b4c5d6", "7f3c\\x")),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("request_id")));
}

TEST(EnvelopeTest, FixedTimeParsesToTheInstant) {
  absl::Time t;
  ASSERT_TRUE(ParseFixedRecordTime("2025-11-26T05:41:45.123Z", &t));
  EXPECT_EQ(t, kTime);
  EXPECT_FALSE(ParseFixedRecordTime("2025-11-26T05:41:45.123+00:00", &t));
  EXPECT_FALSE(ParseFixedRecordTime("2025-13-26T05:41:45.123Z", &t));
  EXPECT_FALSE(ParseFixedRecordTime("2025-11-26T24:41:45.123Z", &t));
  EXPECT_FALSE(ParseFixedRecordTime("2025-11-26T05:41:45.1x3Z", &t));
}

TEST(EnvelopeTest, ScansTheWritersCheckpoint) {
  const std::string line = Line(Checkpoint(1000));
  ASSERT_OK_AND_ASSIGN(LineFields f, SplitLine(line));
  ASSERT_OK_AND_ASSIGN(Envelope e, ScanEnvelope(line));
  EXPECT_EQ(e.type, kCheckpointType);
  ASSERT_OK_AND_ASSIGN(CheckpointFields c, ScanCheckpoint(e, f));
  EXPECT_EQ(c.records, 1000u);
  EXPECT_EQ(c.reason, "count");
  EXPECT_EQ(c.key_id, "0123456789abcdef");
  EXPECT_EQ(c.signature, std::string(86, 'A'));
}

TEST(EnvelopeTest, CheckpointWithAnExtraMemberIsRejected) {
  Record r = Checkpoint();
  r.fields["note"] = "hello";
  const std::string line = Line(r);
  ASSERT_OK_AND_ASSIGN(LineFields f, SplitLine(line));
  ASSERT_OK_AND_ASSIGN(Envelope e, ScanEnvelope(line));
  EXPECT_THAT(ScanCheckpoint(e, f),
              StatusIs(absl::StatusCode::kDataLoss,
                       HasSubstr("unexpected members after \"signature\"")));
}

TEST(EnvelopeTest, CheckpointWithBadMembersIsRejected) {
  struct Case {
    const char* field;
    nlohmann::ordered_json value;
    const char* error;
  };
  for (const Case& c : std::vector<Case>{
           {"reason", "restart", "reason"},
           {"key_id", "0123456789ABCDEF", "key_id"},
           {"key_id", "0123", "key_id"},
           {"signature", std::string(85, 'A'), "signature"},
           {"signature", std::string(86, '+'), "signature"},
           {"records", -1, "records"},
       }) {
    Record r = Checkpoint();
    r.fields[c.field] = c.value;
    const std::string line = Line(r);
    ASSERT_OK_AND_ASSIGN(LineFields f, SplitLine(line));
    ASSERT_OK_AND_ASSIGN(Envelope e, ScanEnvelope(line));
    EXPECT_THAT(ScanCheckpoint(e, f),
                StatusIs(absl::StatusCode::kDataLoss, HasSubstr(c.error)))
        << c.field << " = " << c.value;
  }
  Record r = Checkpoint();
  r.request_id = "x";
  const std::string line = Line(r);
  ASSERT_OK_AND_ASSIGN(LineFields f, SplitLine(line));
  ASSERT_OK_AND_ASSIGN(Envelope e, ScanEnvelope(line));
  EXPECT_THAT(ScanCheckpoint(e, f),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("request_id")));
}

}  // namespace
}  // namespace secretd::audit
