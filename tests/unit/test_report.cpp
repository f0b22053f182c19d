// report / event params and the reply to a report (proto/report.hpp).
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>

#include <nlohmann/json.hpp>

#include "utrace/proto/errors.hpp"
#include "utrace/proto/report.hpp"

using namespace utrace::proto;
using nlohmann::json;

namespace {

// The param named by a -32602 RpcException thrown by f, or "<no throw>" / "<other>".
template <class F>
std::string thrown_param(F&& f) {
  try {
    f();
  } catch (const RpcException& e) {
    EXPECT_EQ(e.error().code, rpc_code::kInvalidParams) << e.what();
    return e.error().data.value("parameter", std::string("<no parameter>"));
  } catch (const std::exception& e) {
    return std::string("<other: ") + e.what() + ">";
  }
  return "<no throw>";
}

void expect_same(const Report& a, const Report& b, const std::string& ctx) {
  EXPECT_EQ(a.engine, b.engine) << ctx;
  EXPECT_EQ(a.tid, b.tid) << ctx;
  EXPECT_EQ(a.pid, b.pid) << ctx;
  EXPECT_EQ(a.event, b.event) << ctx;
  EXPECT_EQ(a.action, b.action) << ctx;
  EXPECT_EQ(a.seq, b.seq) << ctx;
  ASSERT_EQ(a.syscall.has_value(), b.syscall.has_value()) << ctx;
  if (a.syscall) {
    EXPECT_EQ(a.syscall->nr, b.syscall->nr) << ctx;
    EXPECT_EQ(a.syscall->name, b.syscall->name) << ctx;
    EXPECT_EQ(a.syscall->args, b.syscall->args) << ctx;
  }
  EXPECT_EQ(a.retval, b.retval) << ctx;
  EXPECT_EQ(a.status, b.status) << ctx;
  EXPECT_EQ(a.exit_code, b.exit_code) << ctx;
  ASSERT_EQ(a.signal.has_value(), b.signal.has_value()) << ctx;
  if (a.signal) {
    EXPECT_EQ(a.signal->signo, b.signal->signo) << ctx;
    EXPECT_EQ(a.signal->name, b.signal->name) << ctx;
    EXPECT_EQ(a.signal->code, b.signal->code) << ctx;
  }
  EXPECT_EQ(a.child, b.child) << ctx;
}

Report base(EventKind ev = EventKind::Quiesce) {
  Report r;
  r.engine = 42;
  r.tid = 1001;
  r.pid = 1000;
  r.event = ev;
  r.action = ResumeAction::Report;
  r.seq = 7;
  return r;
}

enum Field : unsigned {
  kSyscall = 1,
  kRetval = 2,
  kStatus = 4,
  kExitCode = 8,
  kSignal = 16,
  kChild = 32,
  kAllFields = 64,
};

Report with_fields(EventKind ev, unsigned fields) {
  Report r = base(ev);
  if (fields & kSyscall) {
    SyscallInfo s;
    s.nr = 59;
    s.name = "execve";
    // args travel at syscall entry only.
    if (ev == EventKind::SyscallEntry) s.args = {1, 0, UINT64_MAX, 0x7ffd12345678, 5, 6};
    r.syscall = s;
  }
  if (fields & kRetval) r.retval = -38;
  if (fields & kStatus) r.status = 0x0900;
  if (fields & kExitCode) r.exit_code = 3;
  if (fields & kSignal) r.signal = SignalInfo{10, "SIGUSR1", -6};
  if (fields & kChild) r.child = 1002;
  return r;
}

}  // namespace

// ---- Report ----

TEST(Report, MinimalToJson) {
  json j = to_json(base());
  EXPECT_EQ(j, json({{"engine", 42},
                     {"tid", 1001},
                     {"pid", 1000},
                     {"event", "quiesce"},
                     {"action", "report"},
                     {"seq", 7}}));
}

TEST(Report, SyscallEntryCarriesArgsExitDoesNot) {
  json entry = to_json(with_fields(EventKind::SyscallEntry, kSyscall));
  ASSERT_TRUE(entry.contains("syscall"));
  EXPECT_EQ(entry["syscall"]["nr"], 59);
  EXPECT_EQ(entry["syscall"]["name"], "execve");
  ASSERT_TRUE(entry["syscall"]["args"].is_array());
  EXPECT_EQ(entry["syscall"]["args"].size(), 6u);
  EXPECT_EQ(entry["syscall"]["args"][2], "0xffffffffffffffff");  // "0x…" (protocol 2)

  json exit = to_json(with_fields(EventKind::SyscallExit, kSyscall | kRetval));
  EXPECT_FALSE(exit["syscall"].contains("args"));
  EXPECT_EQ(exit["retval"], -38);
}

TEST(Report, SignalAndChildAndDeathFieldsOnTheWire) {
  json j = to_json(with_fields(EventKind::Death, kStatus | kExitCode | kSignal | kChild));
  EXPECT_EQ(j["status"], 0x0900);
  EXPECT_EQ(j["exit_code"], 3);
  EXPECT_EQ(j["signal"], json({{"signo", 10}, {"name", "SIGUSR1"}, {"code", -6}}));
  EXPECT_EQ(j["child"], 1002);
}

TEST(Report, AbsentOptionalFieldsAreNotEmitted) {
  json j = to_json(base(EventKind::Exec));
  for (const char* k : {"syscall", "retval", "status", "exit_code", "signal", "child"})
    EXPECT_FALSE(j.contains(k)) << k;
}

TEST(Report, RoundTripEveryFieldCombinationAndEvent) {
  int n = 0;
  for (unsigned fields = 0; fields < kAllFields; ++fields) {
    for (int e = 0; e < kEventKindCount; ++e) {
      auto ev = static_cast<EventKind>(e);
      Report r = with_fields(ev, fields);
      json j = to_json(r);
      Report back;
      ASSERT_NO_THROW(back = report_from_json(j)) << j.dump();
      expect_same(r, back, "fields " + std::to_string(fields) + " " + std::string(to_string(ev)));
      // And through the wire text.
      EXPECT_EQ(to_json(report_from_json(json::parse(j.dump()))), j);
      ++n;
    }
  }
  EXPECT_EQ(n, 64 * kEventKindCount);
}

TEST(Report, RoundTripEveryAction) {
  for (int a = 0; a < kResumeActionCount; ++a) {
    Report r = base();
    r.action = static_cast<ResumeAction>(a);
    expect_same(r, report_from_json(to_json(r)), std::string(to_string(r.action)));
  }
}

TEST(Report, RoundTripExtremeValues) {
  Report r = base(EventKind::SyscallExit);
  r.engine = static_cast<std::uint64_t>(INT64_MAX);
  r.tid = INT32_MAX;
  r.pid = 0;
  r.seq = static_cast<std::uint64_t>(INT64_MAX);
  r.retval = INT64_MIN;
  r.status = INT32_MIN;
  r.exit_code = 255;
  r.syscall = SyscallInfo{-1, "", {}};
  r.signal = SignalInfo{128, "", INT32_MIN};
  r.child = 0;
  expect_same(r, report_from_json(to_json(r)), "min");
  r.retval = INT64_MAX;
  r.status = INT32_MAX;
  r.exit_code = 0;
  r.syscall = SyscallInfo{INT32_MAX, "x", {}};
  r.signal = SignalInfo{0, "SIG0", INT32_MAX};
  expect_same(r, report_from_json(to_json(r)), "max");
}

TEST(Report, MissingRequiredFieldIsNamed) {
  const json full = to_json(base());
  for (const char* k : {"engine", "tid", "pid", "event", "action"}) {
    json j = full;
    j.erase(k);
    EXPECT_EQ(thrown_param([&] { report_from_json(j); }), k);
  }
  json no_seq = full;
  no_seq.erase("seq");
  EXPECT_EQ(report_from_json(no_seq).seq, 0u);  // seq is optional
}

TEST(Report, MistypedOrOutOfRangeFieldIsNamed) {
  const json full = to_json(base());
  struct Case {
    const char* key;
    json value;
    const char* param;
  };
  const Case cases[] = {
      {"engine", "1", "engine"},      {"engine", -1, "engine"},
      {"tid", -1, "tid"},             {"tid", 2147483648LL, "tid"},
      {"pid", 1.5, "pid"},            {"event", "syscall", "event"},
      {"event", 6, "event"},          {"action", "halt", "action"},
      {"seq", -1, "seq"},             {"retval", "x", "retval"},
      {"status", 4294967296LL, "status"}, {"exit_code", 256, "exit_code"},
      {"exit_code", -1, "exit_code"}, {"child", -5, "child"},
  };
  for (const auto& c : cases) {
    json j = full;
    j[c.key] = c.value;
    EXPECT_EQ(thrown_param([&] { report_from_json(j); }), c.param) << c.key << "=" << c.value;
  }
}

TEST(Report, NestedFieldErrorsAreNamed) {
  json j = to_json(base(EventKind::SyscallEntry));
  j["syscall"] = {{"name", "read"}};
  EXPECT_EQ(thrown_param([&] { report_from_json(j); }), "nr");
  j["syscall"] = {{"nr", -2}};
  EXPECT_EQ(thrown_param([&] { report_from_json(j); }), "nr");
  j["syscall"] = {{"nr", 0}, {"name", 5}};
  EXPECT_EQ(thrown_param([&] { report_from_json(j); }), "name");

  json s = to_json(base(EventKind::Signal));
  s["signal"] = {{"signo", 129}};
  EXPECT_EQ(thrown_param([&] { report_from_json(s); }), "signo");
  s["signal"] = {{"name", "SIGINT"}};
  EXPECT_EQ(thrown_param([&] { report_from_json(s); }), "signo");
}

TEST(Report, NotAnObjectRejected) {
  EXPECT_EQ(thrown_param([] { report_from_json(json::array()); }), "");
  EXPECT_EQ(thrown_param([] { report_from_json(json("report")); }), "");
  // null params are {}: then the first required field is missing.
  EXPECT_EQ(thrown_param([] { report_from_json(json()); }), "engine");
}

TEST(Report, SyscallArgsBeyondSixAreRejectedFewerAreZero) {
  json j = to_json(base(EventKind::SyscallEntry));
  j["syscall"] = {{"nr", 1}, {"args", {1, 2, 3, 4, 5, 6, 7, 8}}};
  EXPECT_EQ(thrown_param([&] { report_from_json(j); }), "args");
  j["syscall"] = {{"nr", 1}, {"args", {9}}};
  Report r = report_from_json(j);
  ASSERT_TRUE(r.syscall);
  EXPECT_EQ(r.syscall->args, (std::array<std::uint64_t, 6>{9, 0, 0, 0, 0, 0}));
}

// Was a bug (fixed): syscall.args elements are not checked. A
// non-number element is silently read as 0, a float is truncated (1.5 -> 1), and a float out of
// uint64_t range (1e300) goes through nlohmann's get<uint64_t>(), i.e. static_cast<uint64_t>(double):
// undefined behaviour. A non-array "args" is silently ignored. report.hpp says mistyped fields
// throw RpcException; expected: -32602 naming "args".
TEST(Report, MistypedSyscallArgsRejected) {
  json base_j = to_json(base(EventKind::SyscallEntry));
  for (json args : {json::array({"x"}), json::array({1.5}), json::parse("[1e300]"),
                    json::array({json::object()}), json("1,2,3"), json(5)}) {
    json j = base_j;
    j["syscall"] = {{"nr", 0}, {"args", args}};
    EXPECT_EQ(thrown_param([&] { report_from_json(j); }), "args") << args.dump();
  }
}

// Was a bug (fixed): a "syscall" or "signal" that is present but not
// an object (e.g. "syscall": 5, "signal": "SIGINT") is silently dropped, unlike every other
// mistyped optional field (retval, status, exit_code, child), which is rejected by name.
TEST(Report, MistypedSyscallOrSignalObjectRejected) {
  json j = to_json(base(EventKind::SyscallEntry));
  j["syscall"] = 5;
  EXPECT_EQ(thrown_param([&] { report_from_json(j); }), "syscall");
  json s = to_json(base(EventKind::Signal));
  s["signal"] = "SIGINT";
  EXPECT_EQ(thrown_param([&] { report_from_json(s); }), "signal");
}

// Was a bug (fixed): Report::engine and Report::seq are uint64_t and to_json() writes
// them as unsigned, but report_from_json() accepts only 0..INT64_MAX, so a report with
// engine or seq >= 2^63 does not round-trip. Either the struct fields should be limited to
// int64 range (and say so), or the decoder should accept the full uint64 range.
TEST(Report, FullUint64EngineAndSeqRoundTrip) {
  Report r = base();
  r.engine = UINT64_MAX;
  r.seq = (std::uint64_t{1} << 63);
  Report back;
  ASSERT_NO_THROW(back = report_from_json(to_json(r)));
  EXPECT_EQ(back.engine, r.engine);
  EXPECT_EQ(back.seq, r.seq);
}

// ---- ReportReply ----

TEST(ReportReply, NullIsResume) {
  EXPECT_EQ(reply_from_json(json()).action, ResumeAction::Resume);
}

TEST(ReportReply, EmptyObjectIsResume) {
  EXPECT_EQ(reply_from_json(json::object()).action, ResumeAction::Resume);
}

TEST(ReportReply, EveryActionRoundTrips) {
  for (int a = 0; a < kResumeActionCount; ++a) {
    ReportReply r;
    r.action = static_cast<ResumeAction>(a);
    json j = to_json(r);
    EXPECT_EQ(j, json({{"action", std::string(to_string(r.action))}}));
    EXPECT_EQ(reply_from_json(j).action, r.action);
    EXPECT_EQ(reply_from_json(json::parse(j.dump())).action, r.action);
  }
}

TEST(ReportReply, UnknownFieldRejectedByName) {
  EXPECT_EQ(thrown_param([] { reply_from_json({{"action", "stop"}, {"actoin", "x"}}); }), "actoin");
  EXPECT_EQ(thrown_param([] { reply_from_json({{"bogus", 1}}); }), "bogus");
}

TEST(ReportReply, BadActionRejectedByName) {
  EXPECT_EQ(thrown_param([] { reply_from_json({{"action", "halt"}}); }), "action");
  EXPECT_EQ(thrown_param([] { reply_from_json({{"action", 0}}); }), "action");
  EXPECT_EQ(thrown_param([] { reply_from_json({{"action", nullptr}}); }), "action");
}

TEST(ReportReply, NonObjectRejected) {
  EXPECT_EQ(thrown_param([] { reply_from_json(json("stop")); }), "");
  EXPECT_EQ(thrown_param([] { reply_from_json(json::array({"stop"})); }), "");
  EXPECT_EQ(thrown_param([] { reply_from_json(json(5)); }), "");
}
