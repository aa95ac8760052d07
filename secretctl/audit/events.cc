#include "secretctl/audit/events.h"

#include <algorithm>
#include <tuple>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "secretd/audit/envelope.h"
#include "secretd/audit/log_reader.h"
#include "secretd/audit/record.h"

namespace secretctl {
namespace {

using nlohmann::json;

std::string Str(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_string()) return "";
  return it->get<std::string>();
}

std::optional<int64_t> Int(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_number_integer()) return std::nullopt;
  return it->get<int64_t>();
}

std::vector<SecretRef> Refs(const json& j, const char* key) {
  std::vector<SecretRef> out;
  auto it = j.find(key);
  if (it == j.end() || !it->is_array()) return out;
  for (const json& e : *it) {
    if (e.is_string()) {
      out.push_back({e.get<std::string>(), std::nullopt});
    } else if (e.is_object()) {
      out.push_back({Str(e, "name"), Int(e, "version")});
    }
  }
  return out;
}

std::vector<std::string> Names(const json& j, const char* key) {
  std::vector<std::string> out;
  auto it = j.find(key);
  if (it == j.end() || !it->is_array()) return out;
  for (const json& e : *it) {
    if (e.is_string()) out.push_back(e.get<std::string>());
  }
  return out;
}

}  // namespace

EventKind Event::kind() const {
  if (type == "provision") return EventKind::kProvision;
  if (type == secretd::audit::kCheckpointType) return EventKind::kCheckpoint;
  if (absl::StartsWith(type, "admin.")) return EventKind::kAdmin;
  return EventKind::kOther;
}

absl::StatusOr<EventHead> ParseEventHead(absl::string_view line) {
  auto env = secretd::audit::ScanEnvelope(line);
  if (!env.ok()) return env.status();
  EventHead h;
  if (!secretd::audit::ParseFixedRecordTime(env->time, &h.time)) {
    return absl::DataLossError("record \"time\" is not valid");
  }
  h.type = env->type;
  return h;
}

absl::StatusOr<Event> ParseEvent(absl::string_view line) {
  auto env = secretd::audit::ScanEnvelope(line);
  if (!env.ok()) return env.status();
  Event e;
  if (!secretd::audit::ParseFixedRecordTime(env->time, &e.time)) {
    return absl::DataLossError("record \"time\" is not valid");
  }
  // Duplicate member names would let the JSON reading of a line differ from
  // what the verifier's envelope scan saw: reject them.
  std::vector<std::vector<std::string>> keys;  // member names per open object
  std::string duplicate;
  json::parser_callback_t track = [&](int, json::parse_event_t event,
                                      json& parsed) {
    switch (event) {
      case json::parse_event_t::object_start:
        keys.emplace_back();
        break;
      case json::parse_event_t::object_end:
        if (!keys.empty()) keys.pop_back();
        break;
      case json::parse_event_t::key:
        if (!keys.empty() && parsed.is_string()) {
          const auto& k = parsed.get_ref<const std::string&>();
          auto& seen = keys.back();
          if (std::find(seen.begin(), seen.end(), k) != seen.end()) {
            if (duplicate.empty()) duplicate = k;
          } else {
            seen.push_back(k);
          }
        }
        break;
      default:
        break;
    }
    return true;
  };
  const json j = json::parse(line.begin(), line.end(), track, false);
  if (j.is_discarded() || !j.is_object()) {
    return absl::DataLossError("record is not a valid JSON object");
  }
  if (!duplicate.empty()) {
    return absl::DataLossError(
        absl::StrCat("record has the member \"", duplicate, "\" twice"));
  }
  e.seq = env->seq;
  e.time_text = std::string(env->time);
  e.replica = std::string(env->replica);
  e.type = std::string(env->type);
  e.request_id = Str(j, "request_id");
  e.decision = Str(j, "decision");
  e.reason = Str(j, "reason");
  e.status = Str(j, "status");
  e.message = Str(j, "message");
  e.subject = Str(j, "subject");
  e.issuer = Str(j, "issuer");
  e.role = Str(j, "role");
  e.source_ip = Str(j, "source_ip");
  e.requested = Refs(j, "requested");
  e.released = Refs(j, "released");
  e.denied = Names(j, "denied");
  e.secret = Str(j, "secret");
  e.version = Int(j, "version");
  e.peer_uid = Int(j, "peer_uid");
  return e;
}

std::string LogChangedMessage(absl::string_view path) {
  return absl::StrCat("audit log \"", path,
                      "\" changed while it was being read; nothing was "
                      "reported: run the command again (on a copy of the "
                      "logs, if they keep changing)");
}

struct EventStream::Source {
  std::unique_ptr<secretd::audit::LogReader> reader;
  const secretd::audit::FileVerification* verification = nullptr;
  // For a log that verified intact: proves the lines read are the verified
  // ones.
  std::optional<secretd::audit::RereadCheck> check;
  Event pending;
};

EventStream::~EventStream() = default;

namespace {

bool Later(const Event& a, const Event& b) {
  return std::tie(a.time, a.replica, a.seq) >
         std::tie(b.time, b.replica, b.seq);
}

}  // namespace

absl::StatusOr<std::unique_ptr<EventStream>> EventStream::Open(
    const std::vector<std::string>& paths, HeadFilter filter) {
  std::unique_ptr<EventStream> stream(new EventStream());
  stream->filter_ = std::move(filter);
  for (const std::string& path : paths) {
    auto reader = secretd::audit::LogReader::Open(path);
    if (!reader.ok()) return reader.status();
    auto source = std::make_unique<Source>();
    source->reader = std::move(*reader);
    stream->sources_.push_back(std::move(source));
  }
  return stream;
}

std::unique_ptr<EventStream> EventStream::Read(
    const std::vector<LogSource>& sources, HeadFilter filter) {
  std::unique_ptr<EventStream> stream(new EventStream());
  stream->filter_ = std::move(filter);
  for (const LogSource& log : sources) {
    auto source = std::make_unique<Source>();
    source->reader = secretd::audit::LogReader::Read(*log.file, log.limit);
    source->verification = log.verification;
    if (log.verification != nullptr && !log.verification->failure) {
      source->check.emplace(*log.verification);
    }
    stream->sources_.push_back(std::move(source));
  }
  return stream;
}

bool EventStream::Advance(Source& s) {
  absl::string_view line;
  while (s.reader->Next(&line)) {
    const uint64_t n = s.reader->line_number();
    if (s.check) s.check->Add(line);
    auto head = ParseEventHead(line);
    if (head.ok() && filter_ && !filter_(*head)) continue;
    absl::StatusOr<Event> e =
        head.ok() ? ParseEvent(line) : absl::StatusOr<Event>(head.status());
    if (!e.ok()) {
      if (unreadable) {
        unreadable({s.reader->path(), n, std::string(e.status().message())});
      }
      continue;
    }
    s.pending = std::move(*e);
    s.pending.file = s.reader->path();
    s.pending.line = n;
    s.pending.raw = std::string(line);
    if (s.verification != nullptr) {
      s.pending.is_signed = n <= s.verification->last_checkpoint_line;
    }
    return true;
  }
  // A log that verified intact must read back the same, to the byte (an
  // overlong line or a torn tail are changes too).
  const absl::Status& read = s.reader->status();
  if (s.check && (read.ok() || read.code() == absl::StatusCode::kDataLoss) &&
      (!read.ok() || !s.check->Same() || !s.reader->torn_tail().empty())) {
    if (status_.ok()) {
      status_ = absl::AbortedError(LogChangedMessage(s.reader->path()));
    }
    return false;
  }
  if (!s.reader->status().ok()) {
    if (s.reader->status().code() == absl::StatusCode::kDataLoss) {
      if (unreadable) {
        unreadable({s.reader->path(), s.reader->line_number() + 1,
                    std::string(s.reader->status().message())});
      }
    } else if (status_.ok()) {
      status_ = s.reader->status();
    }
  } else if (!s.reader->torn_tail().empty() && unreadable) {
    unreadable({s.reader->path(), s.reader->line_number() + 1,
                "the last line has no end (the log was cut mid-record)"});
  }
  return false;
}

bool EventStream::Next(Event* event) {
  auto later = [](const Source* a, const Source* b) {
    return Later(a->pending, b->pending);
  };
  if (!status_.ok()) return false;
  if (!primed_) {
    // First call: read every source's first event.
    primed_ = true;
    for (auto& s : sources_) {
      if (Advance(*s)) heap_.push_back(s.get());
    }
    std::make_heap(heap_.begin(), heap_.end(), later);
  }
  if (heap_.empty()) return false;
  std::pop_heap(heap_.begin(), heap_.end(), later);
  Source* s = heap_.back();
  *event = std::move(s->pending);
  if (Advance(*s)) {
    std::push_heap(heap_.begin(), heap_.end(), later);
  } else {
    heap_.pop_back();
  }
  return true;
}

}  // namespace secretctl
