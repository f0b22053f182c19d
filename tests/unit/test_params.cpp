// Checked access to JSON-RPC params (proto/params.hpp): every failure is -32602 naming the field.
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>

#include <nlohmann/json.hpp>

#include "utrace/proto/errors.hpp"
#include "utrace/proto/params.hpp"

using namespace utrace::proto;
using nlohmann::json;

namespace {

constexpr std::int64_t kMin64 = std::numeric_limits<std::int64_t>::min();
constexpr std::int64_t kMax64 = std::numeric_limits<std::int64_t>::max();

// Runs f, which must throw RpcException(-32602) whose data.parameter is `param`; returns the
// error message.
template <class F>
std::string expect_invalid_param(F&& f, const std::string& param) {
  try {
    f();
  } catch (const RpcException& e) {
    EXPECT_EQ(e.error().code, rpc_code::kInvalidParams);
    EXPECT_TRUE(e.error().data.is_object());
    EXPECT_EQ(e.error().data.value("parameter", std::string("<missing>")), param);
    if (!param.empty()) {
      EXPECT_NE(e.error().message.find(param), std::string::npos) << e.what();
    }
    return e.error().message;
  } catch (const std::exception& e) {
    ADD_FAILURE() << "wrong exception type: " << e.what();
    return "";
  }
  ADD_FAILURE() << "no exception; expected one naming '" << param << "'";
  return "";
}

}  // namespace

#define EXPECT_INVALID_PARAM(stmt, param) expect_invalid_param([&] { (void)(stmt); }, param)

// ---- construction ----

TEST(Params, NullIsEmptyObject) {
  json j;
  Params p(j);
  EXPECT_FALSE(p.has("tid"));
  EXPECT_EQ(p.raw("tid"), nullptr);
  EXPECT_FALSE(p.opt_integer("tid", 0, 10).has_value());
  EXPECT_NO_THROW(p.allow_only({}));
}

TEST(Params, NonObjectRejected) {
  for (json j : {json::array({1, 2}), json("s"), json(1), json(true)}) {
    EXPECT_INVALID_PARAM(Params{j}, "");
  }
}

// ---- integers ----

TEST(Params, RequiredIntegerPresent) {
  json j = {{"tid", 1234}, {"neg", -5}, {"zero", 0}};
  Params p(j);
  EXPECT_EQ(p.integer("tid", 1, INT32_MAX), 1234);
  EXPECT_EQ(p.integer("neg", -10, 10), -5);
  EXPECT_EQ(p.integer("zero", 0, 0), 0);
}

TEST(Params, RequiredIntegerMissingNamesParameter) {
  json j = {{"other", 1}};
  Params p(j);
  std::string msg = EXPECT_INVALID_PARAM(p.integer("tid", 0, 100), "tid");
  EXPECT_NE(msg.find("required"), std::string::npos) << msg;
}

TEST(Params, RequiredIntegerNullCountsAsMissing) {
  json j = {{"tid", nullptr}};
  Params p(j);
  EXPECT_INVALID_PARAM(p.integer("tid", 0, 100), "tid");
  EXPECT_FALSE(p.opt_integer("tid", 0, 100).has_value());
}

TEST(Params, OptionalIntegerAbsentAndPresent) {
  json j = {{"timeout", 250}};
  Params p(j);
  EXPECT_EQ(p.opt_integer("timeout", 0, 1000), 250);
  EXPECT_EQ(p.opt_integer("absent", 0, 1000), std::nullopt);
}

TEST(Params, RangeBoundsInclusive) {
  json j = {{"lo", 10}, {"hi", 20}};
  Params p(j);
  EXPECT_EQ(p.integer("lo", 10, 20), 10);
  EXPECT_EQ(p.integer("hi", 10, 20), 20);
}

TEST(Params, RangeErrorsNameTheParameter) {
  json j = {{"tid", 0}, {"engine", 101}, {"sig", -1}};
  Params p(j);
  std::string msg = EXPECT_INVALID_PARAM(p.integer("tid", 1, 100), "tid");
  EXPECT_NE(msg.find("between 1 and 100"), std::string::npos) << msg;
  EXPECT_INVALID_PARAM(p.integer("engine", 1, 100), "engine");
  EXPECT_INVALID_PARAM(p.opt_integer("engine", 1, 100), "engine");
  EXPECT_INVALID_PARAM(p.opt_integer("sig", 0, 64), "sig");
}

TEST(Params, HugeUnsignedRejectedCleanly) {
  // 2^64-1 does not fit int64_t: rejected, not wrapped to -1.
  json j = json::parse(R"({"n":18446744073709551615,"m":9223372036854775808})");
  Params p(j);
  EXPECT_INVALID_PARAM(p.integer("n", kMin64, kMax64), "n");
  EXPECT_INVALID_PARAM(p.opt_integer("n", -1, -1), "n");
  EXPECT_INVALID_PARAM(p.integer("m", kMin64, kMax64), "m");  // 2^63
}

TEST(Params, Int64MaxAccepted) {
  json j = json::parse(R"({"n":9223372036854775807})");
  Params p(j);
  EXPECT_EQ(p.integer("n", 0, kMax64), kMax64);
  EXPECT_INVALID_PARAM(p.integer("n", 0, kMax64 - 1), "n");
}

TEST(Params, MostNegativeInt64) {
  json j = json::parse(R"({"n":-9223372036854775808})");
  Params p(j);
  EXPECT_EQ(p.integer("n", kMin64, 0), kMin64);
  EXPECT_INVALID_PARAM(p.integer("n", kMin64 + 1, kMax64), "n");
  EXPECT_INVALID_PARAM(p.integer("n", 0, kMax64), "n");
  EXPECT_INVALID_PARAM(p.integer("n", -1, 1), "n");
}

TEST(Params, BeyondInt64IsFloatAndRejected) {
  // 2^64 and -2^63-1 parse as floating point numbers.
  json j = json::parse(R"({"a":18446744073709551616,"b":-9223372036854775809})");
  Params p(j);
  EXPECT_INVALID_PARAM(p.integer("a", kMin64, kMax64), "a");
  EXPECT_INVALID_PARAM(p.integer("b", kMin64, kMax64), "b");
}

TEST(Params, FloatsRejected) {
  json j = json::parse(R"({"big":1e300,"nbig":-1e300,"half":1.5,"whole":3.0,"tiny":1e-300})");
  Params p(j);
  for (const char* k : {"big", "nbig", "half", "whole", "tiny"}) {
    std::string msg = EXPECT_INVALID_PARAM(p.integer(k, kMin64, kMax64), k);
    EXPECT_NE(msg.find("integer"), std::string::npos) << msg;
    EXPECT_INVALID_PARAM(p.opt_integer(k, kMin64, kMax64), k);
  }
}

TEST(Params, IntegerWrongTypes) {
  json j = {{"s", "12"}, {"b", true}, {"a", json::array({1})}, {"o", json::object()}};
  Params p(j);
  for (const char* k : {"s", "b", "a", "o"}) {
    EXPECT_INVALID_PARAM(p.integer(k, kMin64, kMax64), k);
  }
}

// ---- strings, bools ----

TEST(Params, Strings) {
  json j = {{"mode", "sync"}, {"empty", ""}, {"n", 1}, {"nul", nullptr}};
  Params p(j);
  EXPECT_EQ(p.string("mode"), "sync");
  EXPECT_EQ(p.string("empty"), "");
  EXPECT_EQ(p.opt_string("mode"), "sync");
  EXPECT_EQ(p.opt_string("absent"), std::nullopt);
  EXPECT_EQ(p.opt_string("nul"), std::nullopt);
  EXPECT_INVALID_PARAM(p.string("absent"), "absent");
  EXPECT_INVALID_PARAM(p.string("n"), "n");
  EXPECT_INVALID_PARAM(p.opt_string("n"), "n");
}

TEST(Params, Bools) {
  json j = {{"create", true}, {"exclusive", false}, {"one", 1}, {"str", "true"}};
  Params p(j);
  EXPECT_EQ(p.opt_bool("create"), true);
  EXPECT_EQ(p.opt_bool("exclusive"), false);
  EXPECT_EQ(p.opt_bool("absent"), std::nullopt);
  EXPECT_INVALID_PARAM(p.opt_bool("one"), "one");
  EXPECT_INVALID_PARAM(p.opt_bool("str"), "str");
}

// ---- allow_only ----

TEST(Params, AllowOnlyAcceptsKnownFields) {
  json j = {{"tid", 1}, {"events", json::array()}};
  Params p(j);
  EXPECT_NO_THROW(p.allow_only({"tid", "events", "mode"}));
}

TEST(Params, AllowOnlyNamesTheUnknownField) {
  json j = {{"tid", 1}, {"evnets", json::array()}};
  Params p(j);
  std::string msg = EXPECT_INVALID_PARAM(p.allow_only({"tid", "events"}), "evnets");
  EXPECT_NE(msg.find("unknown"), std::string::npos) << msg;
}

TEST(Params, AllowOnlyEmptyListRejectsAnyField) {
  json j = {{"x", 1}};
  Params p(j);
  EXPECT_INVALID_PARAM(p.allow_only({}), "x");
}

// ---- actions ----

TEST(Params, Action) {
  json j = {{"a", "stop"}, {"b", "detach"}, {"bad", "halt"}, {"num", 0}};
  Params p(j);
  EXPECT_EQ(p.action("a"), ResumeAction::Stop);
  EXPECT_EQ(p.action("b"), ResumeAction::Detach);
  std::string msg = EXPECT_INVALID_PARAM(p.action("bad"), "bad");
  EXPECT_NE(msg.find("halt"), std::string::npos) << msg;
  EXPECT_INVALID_PARAM(p.action("num"), "num");
  EXPECT_INVALID_PARAM(p.action("absent"), "absent");
}

// ---- events ----

TEST(Params, EventsList) {
  json j = {{"events", {"exec", "syscall_entry", "death", "exec"}}};
  Params p(j);
  EventMask m = p.events("events");
  EventMask want = EventMask::of(EventKind::Exec) | EventMask::of(EventKind::SyscallEntry) |
                   EventMask::of(EventKind::Death);
  EXPECT_EQ(m, want);
}

TEST(Params, EventsAbsentNullOrEmptyIsEmptyMask) {
  json j = {{"n", nullptr}, {"e", json::array()}};
  Params p(j);
  EXPECT_TRUE(p.events("absent").empty());
  EXPECT_TRUE(p.events("n").empty());
  EXPECT_TRUE(p.events("e").empty());
}

TEST(Params, EventsAllNames) {
  json names = json::array();
  for (int i = 0; i < kEventKindCount; ++i) names.push_back(to_string(static_cast<EventKind>(i)));
  json j = {{"events", names}};
  Params p(j);
  EXPECT_EQ(p.events("events").bits(), (1u << kEventKindCount) - 1);
}

TEST(Params, EventsUnknownNameIsNamed) {
  json j = {{"events", {"exec", "syscall", "death"}}};
  Params p(j);
  std::string msg = EXPECT_INVALID_PARAM(p.events("events"), "events");
  EXPECT_NE(msg.find("'syscall'"), std::string::npos) << msg;
}

TEST(Params, EventsWrongTypes) {
  json j = {{"str", "exec"}, {"mixed", {"exec", 3}}, {"obj", {{"exec", true}}}, {"num", 1}};
  Params p(j);
  for (const char* k : {"str", "mixed", "obj", "num"}) {
    EXPECT_INVALID_PARAM(p.events(k), k);
  }
}
