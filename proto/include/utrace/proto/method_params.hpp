// The parameters of each method, declared once: name, type, whether required, and range or
// choices. The daemon's dispatcher checks requests with them (Params' ParamSpec accessors name
// the bad parameter) and libclient builds its requests from the same names, so the two cannot
// drift apart. Each method's namespace has `table` (every parameter it accepts) and one
// constant per parameter, looked up in the table at compile time.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "utrace/proto/record_fields.hpp"

namespace utrace::proto {

enum class ParamType {
  Integer,   // a signed integer between min and max
  Unsigned,  // a non-negative integer up to 2^64-1
  Boolean,   // true or false
  String,    // a string; max > 0: at most max bytes
  Choice,    // a string, one of choices
  Action,    // a resume action name
  Events,    // a list of event names
  Strings,   // a list of strings
  Syscalls,  // a list of syscall names or numbers
  Matches,   // a list of "type" and "data"
  Object,    // a JSON object
  Json,      // any JSON value; max > 0: at most max bytes as JSON
};

struct ParamSpec {
  std::string_view name;
  ParamType type = ParamType::Json;
  bool required = false;
  std::int64_t min = 0, max = 0;
  std::array<std::string_view, 2> choices{};
};

inline constexpr bool kRequired = true;

// The spec named `name` in table; not a constant expression (a compile error) when absent.
consteval ParamSpec find_param(std::span<const ParamSpec> table, std::string_view name) {
  for (const auto& p : table)
    if (p.name == name) return p;
  throw "no such parameter in this method's table";
}

template <std::size_t... N>
consteval auto join_params(const std::array<ParamSpec, N>&... parts) {
  std::array<ParamSpec, (N + ...)> out{};
  std::size_t i = 0;
  ((std::copy(parts.begin(), parts.end(), out.begin() + static_cast<std::ptrdiff_t>(i)),
    i += parts.size()),
   ...);
  return out;
}

namespace params {

using fields::kInt32Max;
using fields::kInt64Max;
inline constexpr std::int64_t kDayMs = 24 * 3600 * 1000;

inline constexpr ParamSpec engine{"engine", ParamType::Integer, kRequired, 0, kInt64Max};
// A thread of a process engine.
inline constexpr ParamSpec tid{"tid", ParamType::Integer, false, 1, kInt32Max};
inline constexpr ParamSpec timeout_ms{"timeout_ms", ParamType::Integer, false, 0, kDayMs};

namespace hello {
inline constexpr std::array table{
    ParamSpec{"client", ParamType::String},
    ParamSpec{"protocol", ParamType::Integer, false, 0, kInt32Max},
};
inline constexpr ParamSpec client = find_param(table, "client");
inline constexpr ParamSpec protocol = find_param(table, "protocol");
}  // namespace hello

// The engine's options, shared by attach and launch (in the order they are checked).
namespace engine_options {
inline constexpr std::array table{
    ParamSpec{"report_timeout_ms", ParamType::Integer, false, 0, kDayMs},
    ParamSpec{"scope", ParamType::Choice, false, 0, 0, {"thread", "process"}},
    ParamSpec{"follow", ParamType::Boolean},
    ParamSpec{"exitkill", ParamType::Boolean},
    ParamSpec{"syscalls", ParamType::Syscalls},
    ParamSpec{"events", ParamType::Events},
    ParamSpec{"mode", ParamType::Choice, false, 0, 0, {"sync", "async"}},
    ParamSpec{"concurrent", ParamType::Boolean},
    // Kept in every engine record (one per thread covered): bounded like any client resource.
    ParamSpec{"type", ParamType::String, false, 0, 256},
    ParamSpec{"data", ParamType::Json, false, 0, 4096},
    // true, or {"strsize": 0-65536, "fd_paths": bool} (checked by the dispatcher)
    ParamSpec{"capture", ParamType::Json, false, 0, 4096},
};
inline constexpr ParamSpec report_timeout_ms = find_param(table, "report_timeout_ms");
inline constexpr ParamSpec scope = find_param(table, "scope");
inline constexpr ParamSpec follow = find_param(table, "follow");
inline constexpr ParamSpec exitkill = find_param(table, "exitkill");
inline constexpr ParamSpec syscalls = find_param(table, "syscalls");
inline constexpr ParamSpec events = find_param(table, "events");
inline constexpr ParamSpec mode = find_param(table, "mode");
inline constexpr ParamSpec concurrent = find_param(table, "concurrent");
inline constexpr ParamSpec type = find_param(table, "type");
inline constexpr ParamSpec data = find_param(table, "data");
inline constexpr ParamSpec capture = find_param(table, "capture");
}  // namespace engine_options

namespace attach {
using namespace engine_options;
inline constexpr auto table = join_params(
    std::array{ParamSpec{"tid", ParamType::Integer, false, 1, kInt32Max},
               ParamSpec{"pid", ParamType::Integer, false, 1, kInt32Max}},
    engine_options::table,
    std::array{ParamSpec{"create", ParamType::Boolean}, ParamSpec{"exclusive", ParamType::Boolean},
               ParamSpec{"match", ParamType::Matches}, ParamSpec{"hold_at_exec", ParamType::Boolean},
               ParamSpec{"seccomp", ParamType::Boolean}});
inline constexpr ParamSpec tid = find_param(table, "tid");
inline constexpr ParamSpec pid = find_param(table, "pid");
inline constexpr ParamSpec create = find_param(table, "create");
inline constexpr ParamSpec exclusive = find_param(table, "exclusive");
inline constexpr ParamSpec match = find_param(table, "match");
inline constexpr ParamSpec hold_at_exec = find_param(table, "hold_at_exec");
inline constexpr ParamSpec seccomp = find_param(table, "seccomp");
}  // namespace attach

namespace launch {
using namespace engine_options;
inline constexpr auto table = join_params(
    std::array{ParamSpec{"argv", ParamType::Strings, kRequired}, ParamSpec{"env", ParamType::Strings},
               ParamSpec{"cwd", ParamType::String}, ParamSpec{"stdin", ParamType::String},
               ParamSpec{"stdout", ParamType::String}, ParamSpec{"stderr", ParamType::String}},
    engine_options::table, std::array{ParamSpec{"seccomp", ParamType::Boolean}});
inline constexpr ParamSpec argv = find_param(table, "argv");
inline constexpr ParamSpec env = find_param(table, "env");
inline constexpr ParamSpec cwd = find_param(table, "cwd");
inline constexpr ParamSpec stdin_path = find_param(table, "stdin");
inline constexpr ParamSpec stdout_path = find_param(table, "stdout");
inline constexpr ParamSpec stderr_path = find_param(table, "stderr");
inline constexpr ParamSpec seccomp = find_param(table, "seccomp");
}  // namespace launch

namespace set_events {
inline constexpr std::array table{params::engine, ParamSpec{"events", ParamType::Events, kRequired}};
inline constexpr ParamSpec engine = params::engine;
inline constexpr ParamSpec events = find_param(table, "events");
}  // namespace set_events

namespace control {
inline constexpr std::array table{params::engine, ParamSpec{"action", ParamType::Action, kRequired},
                                  params::tid};
inline constexpr ParamSpec engine = params::engine, tid = params::tid;
inline constexpr ParamSpec action = find_param(table, "action");
}  // namespace control

// barrier and wait
namespace waiter {
inline constexpr std::array table{params::engine, params::tid, params::timeout_ms};
inline constexpr ParamSpec engine = params::engine, tid = params::tid, timeout_ms = params::timeout_ms;
}  // namespace waiter

namespace get_regs {
inline constexpr std::array table{params::engine, params::tid};
}  // namespace get_regs

namespace set_regs {
inline constexpr std::array table{params::engine, params::tid,
                                  ParamSpec{"regs", ParamType::Object, kRequired}};
inline constexpr ParamSpec regs = find_param(table, "regs");
}  // namespace set_regs

// Extended register sets (PTRACE_GETREGSET): "fp" (NT_PRFPREG, the 512-byte FXSAVE area:
// x87, MXCSR, XMM) and "xstate" (NT_X86_XSTATE, the whole XSAVE area: AVX and later).
namespace get_regset {
inline constexpr std::array table{params::engine, params::tid,
                                  ParamSpec{"set", ParamType::Choice, kRequired, 0, 0,
                                            {"fp", "xstate"}}};
inline constexpr ParamSpec set = find_param(table, "set");
}  // namespace get_regset

namespace set_regset {
inline constexpr std::array table{params::engine, params::tid,
                                  ParamSpec{"set", ParamType::Choice, kRequired, 0, 0,
                                            {"fp", "xstate"}},
                                  // padded base64 of the whole set, as get_regset gave it
                                  ParamSpec{"data", ParamType::String, kRequired}};
inline constexpr ParamSpec set = find_param(table, "set");
inline constexpr ParamSpec data = find_param(table, "data");
}  // namespace set_regset

// Memory is read and written at most kMaxMemoryIo bytes at a time.
inline constexpr std::int64_t kMaxMemoryIo = 1024 * 1024;

namespace read_memory {
inline constexpr std::array table{params::engine, params::tid,
                                  ParamSpec{"addr", ParamType::Unsigned, kRequired},
                                  ParamSpec{"size", ParamType::Integer, kRequired, 1, kMaxMemoryIo}};
inline constexpr ParamSpec addr = find_param(table, "addr");
inline constexpr ParamSpec size = find_param(table, "size");
}  // namespace read_memory

namespace write_memory {
inline constexpr std::array table{params::engine, params::tid,
                                  ParamSpec{"addr", ParamType::Unsigned, kRequired},
                                  // padded base64 of 1 to kMaxMemoryIo bytes
                                  ParamSpec{"data", ParamType::String, kRequired}};
inline constexpr ParamSpec addr = find_param(table, "addr");
inline constexpr ParamSpec data = find_param(table, "data");
}  // namespace write_memory

// insert_breakpoint and remove_breakpoint.
namespace breakpoint {
inline constexpr std::array table{params::engine, params::tid,
                                  ParamSpec{"addr", ParamType::Unsigned, kRequired}};
inline constexpr ParamSpec addr = find_param(table, "addr");
}  // namespace breakpoint

namespace list {
inline constexpr std::array table{ParamSpec{"from", ParamType::Integer, false, 0, kInt64Max},
                                  ParamSpec{"limit", ParamType::Integer, false, 1, 1000}};
inline constexpr ParamSpec from = find_param(table, "from");
inline constexpr ParamSpec limit = find_param(table, "limit");
}  // namespace list

namespace stats {
inline constexpr std::array<ParamSpec, 0> table{};
}  // namespace stats

namespace who {
inline constexpr std::array table{ParamSpec{"pid", ParamType::Integer, kRequired, 1, kInt32Max}};
inline constexpr ParamSpec pid = find_param(table, "pid");
}  // namespace who

struct MethodParams {
  std::string_view method;
  std::span<const ParamSpec> table;
};

// Every method and its table (PROTOCOL.md's methods).
inline constexpr std::array<MethodParams, 18> kMethods{{
    {"hello", hello::table},
    {"attach", attach::table},
    {"set_events", set_events::table},
    {"control", control::table},
    {"barrier", waiter::table},
    {"wait", waiter::table},
    {"get_regs", get_regs::table},
    {"set_regs", set_regs::table},
    {"read_memory", read_memory::table},
    {"write_memory", write_memory::table},
    {"launch", launch::table},
    {"list", list::table},
    {"stats", stats::table},
    {"who", who::table},
    {"get_regset", get_regset::table},
    {"set_regset", set_regset::table},
    {"insert_breakpoint", breakpoint::table},
    {"remove_breakpoint", breakpoint::table},
}};

}  // namespace params
}  // namespace utrace::proto
