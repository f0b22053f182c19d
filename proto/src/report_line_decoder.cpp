// Decoders of proto/report_line.hpp: LineScanner (a small JSON scanner, no document) drives
// SAX-style handlers that fill a Report or ReportReply directly. Scanner and handlers refuse
// (return false) whatever they do not know or the generic decoder would reject, so that the
// caller falls back to the generic path: this file never has to produce an error message.
#include <cstdint>
#include <limits>

#include <charconv>

#include "line_scanner.hpp"
#include "utrace/proto/base64.hpp"
#include "utrace/proto/report_line.hpp"
#include "utrace/proto/wide_values.hpp"

namespace utrace::proto {
namespace {

// A JSON integer as the scanner gave it.
struct Integer {
  bool negative = false;
  std::uint64_t magnitude = 0;  // the value when !negative
  std::int64_t value = 0;       // the value when negative

  bool fits(std::int64_t min, std::int64_t max) const {
    if (negative) return value >= min && value <= max;
    return max >= 0 && magnitude <= static_cast<std::uint64_t>(max) &&
           static_cast<std::int64_t>(magnitude) >= min;
  }
  std::int64_t as_signed() const { return negative ? value : static_cast<std::int64_t>(magnitude); }
};

constexpr std::int64_t kInt32Max = std::numeric_limits<std::int32_t>::max();
constexpr std::int64_t kInt32Min = std::numeric_limits<std::int32_t>::min();
constexpr std::int64_t kInt64Max = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t kInt64Min = std::numeric_limits<std::int64_t>::min();

// Stores a parsed name (an event, an action); false, the line refused, when it did not parse.
template <class T>
bool store(const std::optional<T>& parsed, T& field) {
  if (parsed) field = *parsed;
  return parsed.has_value();
}

// Top-level members common to both shapes.
enum class Top { None, Id, JsonRpc, Method, Params, Result };

Top top_key(std::string_view k) {
  if (k == "id") return Top::Id;
  if (k == "jsonrpc") return Top::JsonRpc;
  if (k == "method") return Top::Method;
  if (k == "params") return Top::Params;
  if (k == "result") return Top::Result;
  return Top::None;
}

class ReportSax {
 public:
  std::optional<ReportLine> result() {
    if (!done_ || !jsonrpc_ || !params_ || !method_ || !engine_ || !tid_ || !pid_ || !event_ ||
        !action_)
      return std::nullopt;
    if ((*method_ == "report") != line_.request_id.has_value()) return std::nullopt;
    return std::move(line_);
  }

  bool start_object(std::size_t) {
    switch (where_) {
      case Where::Start: where_ = Where::Top; return true;
      case Where::Top:
        if (top_ != Top::Params || params_) return false;  // a second params: generic path
        params_ = true;
        where_ = Where::Params;
        return true;
      case Where::Params:
        if (key_ == "syscall") {
          line_.report.syscall = SyscallInfo{};
          has_nr_ = false;
          where_ = Where::Syscall;
          return true;
        }
        if (key_ == "signal") {
          line_.report.signal = SignalInfo{};
          has_signo_ = false;
          where_ = Where::Signal;
          return true;
        }
        if (key_ == "capture") {
          line_.report.capture = Capture{};
          where_ = Where::Capture;
          return true;
        }
        return false;
      case Where::Capture:
        if (key_ != "fds") return false;
        line_.report.capture->fds.clear();  // a repeated key: the last one counts
        where_ = Where::Fds;
        return true;
      default: return false;
    }
  }

  bool end_object() {
    switch (where_) {
      case Where::Top: where_ = Where::End, done_ = true; return true;
      case Where::Params: where_ = Where::Top; return true;
      case Where::Syscall: where_ = Where::Params; return has_nr_;
      case Where::Signal: where_ = Where::Params; return has_signo_;
      case Where::Capture: where_ = Where::Params; return true;
      case Where::Fds: where_ = Where::Capture; return true;
      default: return false;
    }
  }

  bool start_array(std::size_t) {
    if (where_ == Where::Capture && key_ == "mem") {
      line_.report.capture->mem.clear();  // a repeated key: the last one counts
      where_ = Where::Mem;
      return true;
    }
    if (where_ == Where::Mem) {  // one [address, base64] pair
      pair_items_ = 0;
      where_ = Where::MemPair;
      return true;
    }
    if (where_ != Where::Syscall || key_ != "args") return false;
    line_.report.syscall->args = {};
    nargs_ = 0;
    where_ = Where::Args;
    return true;
  }

  bool end_array() {
    if (where_ == Where::MemPair) {
      where_ = Where::Mem;
      return pair_items_ == 2;
    }
    if (where_ == Where::Mem) {
      where_ = Where::Capture;
      return true;
    }
    if (where_ != Where::Args) return false;
    where_ = Where::Syscall;
    return true;
  }

  bool key(std::string& k) {
    if (where_ == Where::Top) {
      top_ = top_key(k);
      return top_ != Top::None && top_ != Top::Result;
    }
    if (where_ == Where::Fds) {  // an fd number, as the generic decoder reads it (stoi)
      const char* end = k.data() + k.size();
      auto [p, ec] = std::from_chars(k.data(), end, fd_key_);
      return ec == std::errc() && p == end && !k.empty() && k[0] != '+';
    }
    key_ = k;
    return true;
  }

  bool boolean(bool v) {
    if (where_ == Where::Capture) {
      if (key_ != "truncated") return false;
      line_.report.capture->truncated = v;
      return true;
    }
    if (where_ != Where::Params) return false;
    if (key_ == "engine_gone") line_.report.engine_gone = v;
    else if (key_ == "resumed") line_.report.resumed = v;
    else if (key_ == "step") line_.report.step = v;
    else return false;
    return true;
  }

  bool number_integer(std::int64_t v) { return integer(Integer{true, 0, v}); }
  bool number_unsigned(std::uint64_t v) { return integer(Integer{false, v, 0}); }

  bool string(std::string& s) {
    Report& r = line_.report;
    switch (where_) {
      case Where::Top:
        if (top_ == Top::JsonRpc) return jsonrpc_ = s == "2.0";
        if (top_ == Top::Method) {
          if (s != "report" && s != "event") return false;
          method_ = s;
          return true;
        }
        return false;
      case Where::Params:
        if (key_ == "retval") {
          // wide_values.hpp: beyond what a double holds exactly, "0x…" (two's complement).
          auto v = parse_hex_u64(s);
          if (!v) return false;
          r.retval = static_cast<std::int64_t>(*v);
          return true;
        }
        if (key_ == "addr") {
          auto v = parse_hex_u64(s);  // wide_values.hpp: "0x…"
          if (!v) return false;
          r.addr = *v;
          return true;
        }
        if (key_ == "event") return event_ = store(parse_event(s), r.event);
        if (key_ == "action") return action_ = store(parse_action(s), r.action);
        if (key_ == "clone") return r.clone = std::move(s), true;
        if (key_ == "path") return r.path = std::move(s), true;
        if (key_ == "for_event") return (r.for_event = parse_event(s)).has_value();
        if (key_ == "jctl") {
          if (s != "stopped" && s != "continued") return false;
          r.jctl = std::move(s);
          return true;
        }
        return false;
      case Where::Syscall:
        if (key_ != "name") return false;
        r.syscall->name = std::move(s);
        return true;
      case Where::Args: {
        auto v = parse_hex_u64(s);  // wide_values.hpp: "0x…"
        if (!v || nargs_ >= r.syscall->args.size()) return false;
        r.syscall->args[nargs_++] = *v;
        return true;
      }
      case Where::Signal:
        if (key_ != "name") return false;
        r.signal->name = std::move(s);
        return true;
      case Where::Capture: {
        if (key_ == "sp") {
          auto v = parse_hex_u64(s);
          if (!v) return false;
          r.capture->sp = *v;
          return true;
        }
        if (key_ != "siginfo") return false;
        auto bytes = base64_decode(s);
        if (!bytes) return false;
        r.capture->siginfo = std::move(*bytes);
        return true;
      }
      case Where::Fds:
        r.capture->fds[fd_key_] = std::move(s);
        return true;
      case Where::MemPair: {
        if (pair_items_ == 0) {
          auto v = parse_hex_u64(s);
          if (!v) return false;
          pair_addr_ = *v;
        } else if (pair_items_ == 1) {
          auto bytes = base64_decode(s);
          if (!bytes) return false;
          r.capture->mem.push_back({pair_addr_, std::move(*bytes)});
        } else {
          return false;
        }
        ++pair_items_;
        return true;
      }
      default: return false;
    }
  }

 private:
  enum class Where { Start, Top, Params, Syscall, Args, Signal, Capture, Mem, MemPair, Fds, End };

  bool integer(const Integer& n) {
    Report& r = line_.report;
    switch (where_) {
      case Where::Top:
        if (top_ != Top::Id || !n.fits(kInt64Min, kInt64Max)) return false;
        line_.request_id = n.as_signed();
        return true;
      case Where::Params: return params_integer(n);
      case Where::Syscall:
        if (key_ != "nr" || !n.fits(-1, kInt32Max)) return false;
        r.syscall->nr = n.as_signed();
        has_nr_ = true;
        return true;
      case Where::Args:
        if (nargs_ >= r.syscall->args.size()) return false;
        r.syscall->args[nargs_++] = n.negative ? static_cast<std::uint64_t>(n.value) : n.magnitude;
        return true;
      case Where::Capture:  // sp given as a number
        if (key_ != "sp" || n.negative) return false;
        r.capture->sp = n.magnitude;
        return true;
      case Where::MemPair:  // an address given as a number
        if (pair_items_ != 0 || n.negative) return false;
        pair_addr_ = n.magnitude;
        ++pair_items_;
        return true;
      case Where::Signal:
        if (key_ == "signo" && n.fits(0, 128)) {
          r.signal->signo = static_cast<int>(n.as_signed());
          has_signo_ = true;
          return true;
        }
        if (key_ == "code" && n.fits(kInt32Min, kInt32Max)) {
          r.signal->code = static_cast<int>(n.as_signed());
          return true;
        }
        return false;
      default: return false;
    }
  }

  bool params_integer(const Integer& n) {
    Report& r = line_.report;
    auto int_field = [&](std::optional<int>& field, std::int64_t min, std::int64_t max) {
      if (!n.fits(min, max)) return false;
      field = static_cast<int>(n.as_signed());
      return true;
    };
    if (key_ == "engine") {
      if (n.negative) return false;
      r.engine = n.magnitude;
      return engine_ = true;
    }
    if (key_ == "seq") {
      if (n.negative) return false;
      r.seq = n.magnitude;
      return true;
    }
    if (key_ == "addr") {  // written as "0x…", read as a number too
      if (n.negative) return false;
      r.addr = n.magnitude;
      return true;
    }
    if (key_ == "time_us" || key_ == "mono_us") {
      if (n.negative) return false;
      (key_ == "time_us" ? r.time_us : r.mono_us) = n.magnitude;
      return true;
    }
    if (key_ == "tid" || key_ == "pid") {
      if (!n.fits(0, kInt32Max)) return false;
      (key_ == "tid" ? r.tid : r.pid) = static_cast<int>(n.as_signed());
      (key_ == "tid" ? tid_ : pid_) = true;
      return true;
    }
    if (key_ == "retval") {
      if (!n.fits(kInt64Min, kInt64Max)) return false;
      r.retval = n.as_signed();
      return true;
    }
    if (key_ == "status") return int_field(r.status, kInt32Min, kInt32Max);
    if (key_ == "exit_code") return int_field(r.exit_code, 0, 255);
    if (key_ == "child") return int_field(r.child, 0, kInt32Max);
    if (key_ == "child_pid") return int_field(r.child_pid, 0, kInt32Max);
    if (key_ == "former_tid") return int_field(r.former_tid, 0, kInt32Max);
    return false;
  }

  ReportLine line_;
  Where where_ = Where::Start;
  Top top_ = Top::None;
  std::string key_;
  std::optional<std::string> method_;
  bool done_ = false, jsonrpc_ = false, params_ = false;
  bool engine_ = false, tid_ = false, pid_ = false, event_ = false, action_ = false;
  bool has_nr_ = false, has_signo_ = false;
  std::size_t nargs_ = 0;
  int fd_key_ = 0;             // capture.fds: the key being read
  int pair_items_ = 0;         // capture.mem: items of the pair being read
  std::uint64_t pair_addr_ = 0;
};

class ReplySax {
 public:
  std::optional<ReplyLine> result() const {
    if (!done_ || !jsonrpc_ || !id_ || !result_) return std::nullopt;
    return line_;
  }

  bool start_object(std::size_t) {
    if (depth_ == 0) return ++depth_, true;
    if (depth_ == 1 && top_ == Top::Result) return result_ = true, ++depth_, true;
    return false;
  }
  bool end_object() {
    if (--depth_ == 0) done_ = true;
    return true;
  }
  bool start_array(std::size_t) { return false; }
  bool end_array() { return false; }

  bool key(std::string& k) {
    if (depth_ == 1) {
      top_ = top_key(k);
      return top_ == Top::Id || top_ == Top::JsonRpc || top_ == Top::Result;
    }
    key_ = k;
    return key_ == "action" || key_ == "syscall" || key_ == "retval" || key_ == "signal";
  }

  bool boolean(bool) { return false; }
  bool number_integer(std::int64_t v) {
    if (depth_ == 1) return top_ == Top::Id && (line_.request_id = v, id_ = true);
    if (key_ == "retval") return line_.reply.retval = v, true;
    return false;  // a negative signal number
  }
  bool number_unsigned(std::uint64_t v) {
    if (v > static_cast<std::uint64_t>(kInt64Max)) return false;
    const auto s = static_cast<std::int64_t>(v);
    if (depth_ == 1) return top_ == Top::Id && (line_.request_id = s, id_ = true);
    if (key_ == "retval") return line_.reply.retval = s, true;
    if (key_ == "signal" && s >= 1 && s <= 64) return line_.reply.signal = static_cast<int>(s), true;
    return false;
  }
  bool string(std::string& s) {
    if (depth_ == 1) return top_ == Top::JsonRpc && (jsonrpc_ = s == "2.0");
    ReportReply& r = line_.reply;
    if (key_ == "action") return store(parse_action(s), r.action);
    if (key_ == "retval") {
      auto v = parse_hex_u64(s);  // wide_values.hpp
      if (!v) return false;
      r.retval = static_cast<std::int64_t>(*v);
      return true;
    }
    if (key_ == "syscall") {
      if (s != "run" && s != "abort") return false;
      r.abort = s == "abort";
      return true;
    }
    if (key_ == "signal") {
      if (s == "deliver") r.signal = ReportReply::kDeliver;
      else if (s == "ignore") r.signal = 0;
      else return false;
      return true;
    }
    return false;
  }

 private:
  ReplyLine line_;
  int depth_ = 0;
  Top top_ = Top::None;
  std::string key_;
  bool done_ = false, jsonrpc_ = false, id_ = false, result_ = false;
};

template <class Sax>
auto run(std::string_view line, Sax& sax) {
  return detail::LineScanner<Sax>(line, sax).run() ? sax.result() : std::nullopt;
}

}  // namespace

std::optional<ReportLine> decode_report_line(std::string_view line) {
  ReportSax sax;
  return run(line, sax);
}

std::optional<ReplyLine> decode_reply_line(std::string_view line) {
  ReplySax sax;
  return run(line, sax);
}

}  // namespace utrace::proto
