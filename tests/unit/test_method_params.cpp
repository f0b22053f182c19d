// The per-method parameter tables (proto/method_params.hpp): well formed, read by Params with
// the dispatcher's error texts, and the only source of libclient's request params (every key
// libclient sends is in the method's table and passes its checks).
#include <gtest/gtest.h>

#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "utrace/client_sync.hpp"
#include "utrace/proto/errors.hpp"
#include "utrace/proto/method_params.hpp"
#include "utrace/proto/params.hpp"

using namespace utrace::proto;
using nlohmann::json;
namespace client = utrace::client;

namespace {

// The parameter named and the message of the -32602 f throws; "<no throw>" otherwise.
template <class F>
std::pair<std::string, std::string> thrown(F&& f) {
  try {
    f();
  } catch (const RpcException& e) {
    EXPECT_EQ(e.error().code, rpc_code::kInvalidParams);
    return {e.error().data.value("parameter", std::string()), e.error().message};
  }
  return {"<no throw>", ""};
}

const ParamSpec* find(std::span<const ParamSpec> table, const std::string& name) {
  for (const auto& s : table)
    if (s.name == name) return &s;
  return nullptr;
}

// Reads every param of `p` by its spec in `table`, as the dispatcher would (type, range,
// choices); fails the test for a key the table does not have.
void check_against(std::span<const ParamSpec> table, const json& p, const std::string& method) {
  Params params(p);
  EXPECT_NO_THROW(params.allow_only(table)) << method << ": " << p.dump();
  for (const auto& [k, v] : p.items()) {
    const ParamSpec* spec = find(table, k);
    ASSERT_NE(spec, nullptr) << method << " has no parameter " << k;
    EXPECT_NO_THROW({
      switch (spec->type) {
        case ParamType::Integer: (void)params.opt_integer(*spec); break;
        case ParamType::Unsigned: (void)params.opt_unsigned(*spec); break;
        case ParamType::Boolean: (void)params.opt_bool(*spec); break;
        case ParamType::String: (void)params.opt_string(*spec); break;
        case ParamType::Choice: (void)params.opt_choice(*spec); break;
        case ParamType::Action: (void)params.action(*spec); break;
        case ParamType::Events: (void)params.events(*spec); break;
        default: (void)params.opt_json(*spec); break;
      }
    }) << method << "." << k << " = " << v.dump();
  }
  for (const auto& spec : table)
    if (spec.required) {
      EXPECT_TRUE(p.contains(spec.name)) << method << " lacks " << spec.name;
    }
}

std::span<const ParamSpec> table_of(std::string_view method) {
  for (const auto& m : params::kMethods)
    if (m.method == method) return m.table;
  ADD_FAILURE() << "no table for " << method;
  return {};
}

}  // namespace

TEST(MethodParams, TablesAreWellFormed) {
  std::set<std::string_view> methods;
  for (const auto& m : params::kMethods) {
    EXPECT_TRUE(methods.insert(m.method).second) << m.method;
    std::set<std::string_view> names;
    for (const auto& s : m.table) {
      EXPECT_TRUE(names.insert(s.name).second) << m.method << "." << s.name << " twice";
      if (s.type == ParamType::Integer) {
        EXPECT_LE(s.min, s.max) << m.method << "." << s.name;
      }
      if (s.type == ParamType::Choice) {
        EXPECT_FALSE(s.choices[0].empty() || s.choices[1].empty()) << m.method << "." << s.name;
      }
    }
  }
}

TEST(MethodParams, SpecAccessorsNameTheParamAsTheDispatcherDid) {
  namespace opt = params::engine_options;
  EXPECT_EQ(thrown([] { Params(json{{"scope", "proc"}}).opt_choice(opt::scope); }),
            std::make_pair(std::string("scope"), std::string("parameter 'scope': must be \"thread\" or \"process\"")));
  EXPECT_EQ(thrown([] { Params(json{{"mode", 1}}).opt_choice(opt::mode); }).first, "mode");
  EXPECT_EQ(thrown([] { Params(json::object()).integer(params::engine); }).second,
            "parameter 'engine': is required");
  EXPECT_EQ(thrown([] { Params(json{{"engine", -1}}).integer(params::engine); }).second,
            "parameter 'engine': must be between 0 and 9223372036854775807");
  EXPECT_EQ(thrown([] { Params(json{{"type", std::string(257, 'x')}}).opt_string(opt::type); }).second,
            "parameter 'type': is longer than 256 bytes");
  EXPECT_EQ(thrown([] { Params(json{{"data", std::string(5000, 'x')}}).opt_json(opt::data); }).second,
            "parameter 'data': is over 4096 bytes as JSON");
  EXPECT_EQ(thrown([] { Params(json{{"events", nullptr}}).events(params::set_events::events); }).first,
            "<no throw>");  // null events: none
  EXPECT_EQ(thrown([] { Params(json::object()).events(params::set_events::events); }).second,
            "parameter 'events': is required");
  EXPECT_EQ(thrown([] { Params(json{{"size", 0}}).integer(params::read_memory::size); }).second,
            "parameter 'size': must be between 1 and 1048576");
  EXPECT_EQ(thrown([] { Params(json{{"x", 0}}).allow_only(params::stats::table); }).first, "x");
  // Reading a parameter as another type is a bug, not a client error.
  EXPECT_THROW(Params(json::object()).opt_bool(opt::mode), std::logic_error);
}

TEST(MethodParams, LibclientAttachParamsAreInTheTable) {
  client::AttachOptions o;
  o.pid = 42;
  o.events.set(EventKind::Exec);
  o.mode = client::Mode::Sync;
  o.concurrent = true;
  o.create = false;
  o.exclusive = true;
  o.type = "t";
  o.data = {{"k", 1}};
  o.match_type = o.match_data = true;
  o.follow = true;
  o.syscalls = {"read"};
  check_against(table_of("attach"), o.to_params(), "attach");
  o.tid = 43;
  check_against(table_of("attach"), o.to_params(), "attach");
}

// Client::launch starts the program itself and attaches with hold_at_exec (and seccomp).
TEST(MethodParams, LibclientLaunchAttachParamsAreInTheTable) {
  client::LaunchOptions o;
  o.argv = {"/bin/true"};
  o.events.set(EventKind::Exit);
  o.mode = client::Mode::Sync;
  o.concurrent = o.follow = o.seccomp = true;
  o.syscalls = {"openat"};
  const auto p = o.attach_options(42).to_params();
  EXPECT_EQ(p.value("hold_at_exec", false), true);
  EXPECT_EQ(p.value("seccomp", false), true);
  check_against(table_of("attach"), p, "attach");
}

// The bounds PROTOCOL.md states, written out here rather than read from the tables: a table
// edited by mistake (a range widened, a choice renamed) fails here.
TEST(MethodParams, TablesHoldTheDocumentedBounds) {
  struct Bound {
    std::string_view method, param;
    json low_ok, high_ok, low_bad, high_bad;  // null: no bound on that side
  };
  const Bound bounds[] = {
      {"control", "engine", 0, json(INT64_MAX), -1, nullptr},
      {"control", "tid", 1, 2147483647, 0, 2147483648LL},
      {"attach", "tid", 1, 2147483647, 0, 2147483648LL},
      {"attach", "pid", 1, 2147483647, 0, 2147483648LL},
      {"barrier", "timeout_ms", 0, 86400000, -1, 86400001},
      {"attach", "report_timeout_ms", 0, 86400000, -1, 86400001},
      {"read_memory", "size", 1, 1048576, 0, 1048577},
      {"list", "limit", 1, 1000, 0, 1001},
      {"attach", "type", "", std::string(256, 't'), nullptr, std::string(257, 't')},
      {"attach", "scope", "thread", "process", "threads", "proc"},
      {"attach", "mode", "sync", "async", "Sync", "asynchronous"},
  };
  for (const auto& b : bounds) {
    const ParamSpec* spec = find(table_of(b.method), std::string(b.param));
    ASSERT_NE(spec, nullptr) << b.method << "." << b.param;
    auto read = [&](const json& v) {
      json j = json::object();
      j[std::string(b.param)] = v;
      Params p(j);
      if (spec->type == ParamType::Choice) (void)p.opt_choice(*spec);
      else if (spec->type == ParamType::String) (void)p.opt_string(*spec);
      else (void)p.opt_integer(*spec);
    };
    for (const json& ok : {b.low_ok, b.high_ok})
      EXPECT_NO_THROW(read(ok)) << b.method << "." << b.param << " = " << ok.dump();
    for (const json& no : {b.low_bad, b.high_bad})
      if (!no.is_null()) {
        EXPECT_EQ(thrown([&] { read(no); }).first, b.param) << b.method << " " << no.dump();
      }
  }
}
