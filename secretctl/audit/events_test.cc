#include "secretctl/audit/events.h"

#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "secretctl/audit/testing/known_logs.h"
#include "secretd/audit/log_reader.h"
#include "secretd/audit/record.h"
#include "secretd/audit/testing/log_generator.h"
#include "secretd/audit/verifier.h"

namespace secretctl {
namespace {

using ::common::testing::StatusIs;
using ::secretd::audit::testing::MakeAdminRecord;
using ::secretd::audit::testing::MakeProvisionRecord;
using ::secretd::audit::testing::ProvisionSpec;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

const absl::Time kT = absl::FromUnixMillis(1764135705123);

std::string Line(const secretd::audit::Record& r, uint64_t seq = 1,
                 absl::Time t = kT, absl::string_view replica = "host-a") {
  std::string line = secretd::audit::SerializeLine(
      r, seq, t, replica, secretd::audit::GenesisPrev());
  line.pop_back();
  return line;
}

ProvisionSpec Spec() {
  ProvisionSpec p;
  p.request_id = "req-1";
  p.subject = "i-0abc";
  p.role = "web";
  p.requested = {{"app/db/password", std::nullopt}, {"app/tls", 3}};
  p.released = {{"app/db/password", 7}, {"app/tls", 3}};
  return p;
}

TEST(EventsTest, ProvisionRecordReadsBackEveryMember) {
  ASSERT_OK_AND_ASSIGN(Event e, ParseEvent(Line(MakeProvisionRecord(Spec()))));
  EXPECT_EQ(e.kind(), EventKind::kProvision);
  EXPECT_EQ(e.seq, 1u);
  EXPECT_EQ(e.time, kT);
  EXPECT_EQ(e.time_text, "2025-11-26T05:41:45.123Z");
  EXPECT_EQ(e.replica, "host-a");
  EXPECT_EQ(e.request_id, "req-1");
  EXPECT_EQ(e.decision, "allow");
  EXPECT_EQ(e.reason, "ok");
  EXPECT_EQ(e.status, "OK");
  EXPECT_EQ(e.subject, "i-0abc");
  EXPECT_EQ(e.issuer, "https://attest.example");
  EXPECT_EQ(e.role, "web");
  EXPECT_EQ(e.source_ip, "10.0.0.7");
  ASSERT_EQ(e.requested.size(), 2u);
  EXPECT_EQ(e.requested[0].name, "app/db/password");
  EXPECT_FALSE(e.requested[0].version.has_value());
  EXPECT_EQ(e.requested[1].version, 3);
  ASSERT_EQ(e.released.size(), 2u);
  EXPECT_EQ(e.released[0].version, 7);
  EXPECT_TRUE(e.denied.empty());
}

TEST(EventsTest, AdminRecordReadsItsObject) {
  nlohmann::ordered_json o = nlohmann::ordered_json::object();
  o["secret"] = "app/db/password";
  o["version"] = 8;
  ASSERT_OK_AND_ASSIGN(
      Event e, ParseEvent(Line(MakeAdminRecord("admin.secret.put", "adm", o))));
  EXPECT_EQ(e.kind(), EventKind::kAdmin);
  EXPECT_EQ(e.secret, "app/db/password");
  EXPECT_EQ(e.version, 8);
  EXPECT_EQ(e.peer_uid, 0);
  EXPECT_EQ(e.status, "OK");
}

TEST(EventsTest, RequestIdWithAnEscapeIsNotARecord) {
  ProvisionSpec p = Spec();
  p.request_id = "a\"b";
  EXPECT_THAT(ParseEvent(Line(MakeProvisionRecord(p))),
              StatusIs(absl::StatusCode::kDataLoss,
                       HasSubstr("no valid \"request_id\"")));
}

TEST(EventsTest, DuplicateMemberIsRejected) {
  const std::string line =
      absl::StrReplaceAll(Line(MakeProvisionRecord(Spec())),
                          {{"\"decision\":\"allow\"",
                            "\"decision\":\"allow\",\"decision\":\"deny\""}});
  EXPECT_THAT(ParseEvent(line),
              StatusIs(absl::StatusCode::kDataLoss,
                       HasSubstr("the member \"decision\" twice")));
  // The same name in different objects is fine.
  EXPECT_OK(ParseEvent(Line(MakeProvisionRecord(Spec()))).status());
}

TEST(EventsTest, NotJsonOrNotAnEnvelopeIsDataLoss) {
  EXPECT_THAT(ParseEvent("hello"), StatusIs(absl::StatusCode::kDataLoss));
  std::string line = Line(MakeProvisionRecord(Spec()));
  line.insert(line.size() - 3, "\"");  // breaks the JSON, not the envelope
  EXPECT_THAT(ParseEvent(line),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("JSON")));
}

class EventStreamTest : public ::testing::Test {
 protected:
  std::string File(absl::string_view name,
                   const std::vector<std::string>& lines,
                   absl::string_view tail = "") {
    std::string path = absl::StrCat(getenv("TEST_TMPDIR"), "/", name);
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    for (const auto& l : lines) out << l << "\n";
    out << tail;
    return path;
  }
  std::string At(int seconds, absl::string_view id, absl::string_view replica,
                 uint64_t seq) {
    ProvisionSpec p = Spec();
    p.request_id = std::string(id);
    return Line(MakeProvisionRecord(p), seq, kT + absl::Seconds(seconds),
                replica);
  }
};

TEST_F(EventStreamTest, FilesAreMergedByTime) {
  const std::string a =
      File("a", {At(0, "a1", "host-a", 1), At(10, "a2", "host-a", 2),
                 At(20, "a3", "host-a", 3)});
  const std::string b =
      File("b", {At(5, "b1", "host-b", 1), At(10, "b2", "host-b", 2),
                 At(30, "b3", "host-b", 3)});
  ASSERT_OK_AND_ASSIGN(auto stream, EventStream::Open({a, b}, nullptr));
  std::vector<std::string> ids;
  std::vector<uint64_t> lines;
  Event e;
  while (stream->Next(&e)) {
    ids.push_back(e.request_id);
    lines.push_back(e.line);
  }
  EXPECT_OK(stream->status());
  // At +10s both have a record: host-a before host-b.
  EXPECT_THAT(ids, ElementsAre("a1", "b1", "a2", "b2", "a3", "b3"));
  EXPECT_THAT(lines, ElementsAre(1, 1, 2, 2, 3, 3));
}

TEST_F(EventStreamTest, HeadFilterSkipsLinesBeforeParsing) {
  const std::string a =
      File("a", {At(0, "a1", "host-a", 1), At(10, "a2", "host-a", 2)});
  ASSERT_OK_AND_ASSIGN(auto stream,
                       EventStream::Open({a}, [](const EventHead& h) {
                         return h.time >= kT + absl::Seconds(5);
                       }));
  Event e;
  ASSERT_TRUE(stream->Next(&e));
  EXPECT_EQ(e.request_id, "a2");
  EXPECT_EQ(e.file, a);
  EXPECT_EQ(e.line, 2u);
  EXPECT_EQ(e.raw, At(10, "a2", "host-a", 2));
  EXPECT_FALSE(stream->Next(&e));
}

TEST_F(EventStreamTest, UnreadableLinesAndATornTailAreReportedAndSkipped) {
  const std::string a = File(
      "a", {At(0, "a1", "host-a", 1), "garbage", At(10, "a3", "host-a", 3)},
      "{\"seq\":4,");
  ASSERT_OK_AND_ASSIGN(auto stream, EventStream::Open({a}, nullptr));
  std::vector<std::string> seen;
  stream->unreadable = [&](const Unreadable& u) {
    seen.push_back(absl::StrCat(u.line, ": ", u.why));
  };
  std::vector<std::string> ids;
  Event e;
  while (stream->Next(&e)) ids.push_back(e.request_id);
  EXPECT_THAT(ids, ElementsAre("a1", "a3"));
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_THAT(seen[0], HasSubstr("2: record does not start"));
  EXPECT_THAT(seen[1], HasSubstr("4: the last line has no end"));
}

// Reading logs that are open and verified already (query --verify, report).
class VerifiedStreamTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(logs_, testing::WriteKnownLogsForTest(signer_));
  }
  // Opens and verifies host-a (signatures unchecked: form and chain only).
  void OpenAndVerify() {
    ASSERT_OK_AND_ASSIGN(file_, secretd::audit::LogFile::Open(logs_.host_a));
    ASSERT_OK_AND_ASSIGN(v_, secretd::audit::VerifyLog(*file_, {}));
    ASSERT_FALSE(v_.failure.has_value());
  }
  // request_id (or the type) and is_signed of every event read.
  std::vector<std::string> ReadAll(EventStream& stream) {
    std::vector<std::string> out;
    Event e;
    while (stream.Next(&e)) {
      out.push_back(absl::StrCat(
          e.request_id.empty() ? e.type : e.request_id, " ",
          e.is_signed.has_value() ? (*e.is_signed ? "signed" : "unsigned")
                                  : "?"));
    }
    return out;
  }

  secretd::audit::testing::TestSigner signer_;
  testing::KnownLogs logs_;
  std::unique_ptr<secretd::audit::LogFile> file_;
  secretd::audit::FileVerification v_;
};

TEST_F(VerifiedStreamTest, EventsSayWhetherACheckpointSignsThem) {
  std::vector<std::string> a = testing::ReadLines(logs_.host_a);
  a.pop_back();  // the shutdown checkpoint: req-3 and req-4 are unsigned
  testing::WriteLines(logs_.host_a, a);
  OpenAndVerify();
  auto stream = EventStream::Read({{file_.get(), v_.bytes, &v_}}, nullptr);
  EXPECT_THAT(
      ReadAll(*stream),
      ElementsAre("req-1 signed", "req-2 signed", "adm-1 signed",
                  "checkpoint signed", "req-3 unsigned", "req-4 unsigned"));
  EXPECT_OK(stream->status());
  // Without a verification, nothing is known.
  auto plain = EventStream::Read({{file_.get()}}, nullptr);
  EXPECT_EQ(ReadAll(*plain).front(), "req-1 ?");
}

TEST_F(VerifiedStreamTest, ReadingStopsAtTheVerifiedBytes) {
  OpenAndVerify();
  const std::vector<std::string> a = testing::ReadLines(logs_.host_a);
  std::ofstream(logs_.host_a, std::ios::app) << a[0] << "\n";
  auto stream = EventStream::Read({{file_.get(), v_.bytes, &v_}}, nullptr);
  EXPECT_EQ(ReadAll(*stream).size(), 7u);
  EXPECT_OK(stream->status());
}

TEST_F(VerifiedStreamTest, ALogThatReadsBackDifferentlyEndsTheStream) {
  OpenAndVerify();
  std::vector<std::string> a = testing::ReadLines(logs_.host_a);
  // An edit a forger would make: same length, rehashed.
  a[4] = testing::Rehash(absl::StrReplaceAll(a[4], {{"i-bbb", "i-eve"}}));
  testing::WriteLines(logs_.host_a, a);
  auto stream = EventStream::Read({{file_.get(), v_.bytes, &v_}}, nullptr);
  ReadAll(*stream);
  EXPECT_THAT(stream->status(),
              StatusIs(absl::StatusCode::kAborted,
                       absl::StrCat("audit log \"", logs_.host_a,
                                    "\" changed while it was being read; "
                                    "nothing was reported: run the command "
                                    "again (on a copy of the logs, if they "
                                    "keep changing)")));
}

TEST_F(VerifiedStreamTest, AnOpenLogIsReadEvenAfterAnotherIsRenamedIntoPlace) {
  OpenAndVerify();
  const std::string forged = logs_.dir + "/forged.jsonl";
  testing::WriteLines(forged, testing::ReadLines(logs_.host_b));
  ASSERT_EQ(std::rename(forged.c_str(), logs_.host_a.c_str()), 0);
  auto stream = EventStream::Read({{file_.get(), v_.bytes, &v_}}, nullptr);
  EXPECT_EQ(ReadAll(*stream).front(), "req-1 signed");
  EXPECT_OK(stream->status());
}

TEST_F(EventStreamTest, MissingFileIsNotFound) {
  EXPECT_THAT(EventStream::Open({absl::StrCat(getenv("TEST_TMPDIR"), "/none")},
                                nullptr),
              StatusIs(absl::StatusCode::kNotFound));
}

}  // namespace
}  // namespace secretctl
