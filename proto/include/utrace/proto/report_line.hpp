// The protocol's hot path: a `report` request or `event` notification, and the reply to a
// report, encoded and decoded without building a JSON document (no map of keys, no copies).
//
// The encoders write the same bytes as the generic ones (encode_request / encode_notification
// of to_json(report), encode_result of to_json(reply)): keys in the same sorted order, strings
// escaped the same way. The decoders read only the shapes the encoders write; for any other
// line, even valid JSON-RPC, they return nullopt and the caller takes the generic path, which
// accepts every valid form and names whatever is wrong. tests/unit/test_report_line.cpp holds
// both promises against the generic code.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "utrace/proto/report.hpp"

namespace utrace::proto {

// One line including the trailing '\n': a `report` request with `request_id`, or an `event`
// notification when there is none.
std::string encode_report_line(const Report& report, std::optional<std::int64_t> request_id);

// The `event` lines of one report pass. Its reports differ from engine to engine only in
// `engine`, `action`, `event` and `for_event`: a line is encoded and kept once a second one
// is asked for (a pass with one engine copies nothing), and the next ones with the same action
// and event are that line with the engine id replaced (the same bytes as encode_report_line).
// Use one cache per pass: it does not compare the other fields.
class EventLineCache {
 public:
  std::string line(const Report& report);

 private:
  std::string line_;  // empty: nothing cached yet
  bool asked_ = false;  // a line was asked for before
  std::size_t engine_at_ = 0, engine_len_ = 0;  // the engine id's digits in line_
  ResumeAction action_ = ResumeAction::Resume;
  EventKind event_ = EventKind::Quiesce;
  std::optional<EventKind> for_event_;
};

// One line: the JSON-RPC response with id `request_id` whose result is `reply`.
std::string encode_reply_line(std::int64_t request_id, const ReportReply& reply);

struct ReportLine {
  Report report;
  std::optional<std::int64_t> request_id;  // set for a `report` request, none for an `event`
};

// A `report` request (integer id) or an `event` notification whose params decode exactly as
// report_from_json would decode them; nullopt for anything else.
std::optional<ReportLine> decode_report_line(std::string_view line);

struct ReplyLine {
  std::int64_t request_id = 0;
  ReportReply reply;
};

// A response with an integer id and a `result` that reply_from_json would accept and decode
// the same way; nullopt for anything else (errors, unknown fields, other shapes).
std::optional<ReplyLine> decode_reply_line(std::string_view line);

}  // namespace utrace::proto
