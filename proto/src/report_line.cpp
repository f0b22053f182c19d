// Encoders of proto/report_line.hpp: one pass over the fields, straight into the output string.
#include "utrace/proto/report_line.hpp"

#include <algorithm>
#include <charconv>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "utrace/proto/base64.hpp"
#include "utrace/proto/report_fields.hpp"
#include "utrace/proto/wide_values.hpp"

namespace utrace::proto {
namespace {

// Written by hand for speed: write_params and encode_reply_line write each declared field
// (report_fields.hpp). A new field: write it here, read it in report_line_decoder.cpp, then
// count it here; tests/unit/test_report_line.cpp checks each declared field against report.cpp.
static_assert(fields::field_count<Report>() == 25 && fields::field_count<SyscallInfo>() == 3 &&
                  fields::field_count<SignalInfo>() == 3 && fields::field_count<ReportReply>() == 4,
              "a report or reply field was declared: write it in the hot path too");

// Appends JSON text. Objects are written with their keys already in sorted order (the order
// nlohmann's std::map gives the generic encoders).
class LineWriter {
 public:
  explicit LineWriter(std::size_t reserve) { out_.reserve(reserve); }

  void open() { out_ += '{', first_ = true; }
  void close() { out_ += '}', first_ = false; }
  void key(std::string_view k) {
    if (!first_) out_ += ',';
    first_ = false;
    out_ += '"';
    out_ += k;
    out_ += "\":";
  }
  // Starts a nested object as the value of `k`.
  void open(std::string_view k) { key(k), open(); }

  void integer(std::int64_t v) { number(v); }
  void unsigned_integer(std::uint64_t v) { number(v); }
  // wide_values.hpp: "0x…" always (registers, arguments, addresses).
  void hex(std::uint64_t v) {
    char buf[3 + 16 + 1];
    buf[0] = '"', buf[1] = '0', buf[2] = 'x';
    auto [end, ec] = std::to_chars(buf + 3, buf + sizeof buf - 1, v, 16);
    (void)ec;
    *end++ = '"';
    out_.append(buf, end);
  }
  // wide_values.hpp: a number while exact in a double, else "0x…" of its two's complement.
  void wide_integer(std::int64_t v) {
    if (v >= -kExactInDouble && v <= kExactInDouble) number(v);
    else hex(static_cast<std::uint64_t>(v));
  }
  void boolean(bool v) { out_ += v ? "true" : "false"; }
  void raw(std::string_view text) { out_ += text; }

  // The same bytes as nlohmann's dump(ensure_ascii=false, error_handler replace). Plain ASCII
  // is escaped here, in one pass; a string with any byte >= 0x80 is taken back and goes
  // through nlohmann, which checks UTF-8.
  void string(std::string_view s) {
    const std::size_t mark = out_.size();
    out_ += '"';
    std::size_t plain = 0;  // start of the run of bytes that need no escape
    for (std::size_t i = 0; i < s.size(); ++i) {
      const auto c = static_cast<unsigned char>(s[i]);
      if (c >= 0x80) {
        out_.resize(mark);
        out_ += nlohmann::json(std::string(s)).dump(-1, ' ', false,
                                                    nlohmann::json::error_handler_t::replace);
        return;
      }
      if (c >= 0x20 && c != '"' && c != '\\') continue;
      out_.append(s.data() + plain, i - plain);
      escape(c);
      plain = i + 1;
    }
    out_.append(s.data() + plain, s.size() - plain);
    out_ += '"';
  }

  std::string take() {
    out_ += '\n';
    return std::move(out_);
  }

 private:
  template <class T>
  void number(T v) {
    char buf[24];
    auto res = std::to_chars(buf, buf + sizeof buf, v);
    out_.append(buf, res.ptr);
  }

  void escape(unsigned char c) {
    switch (c) {
      case '"': out_ += "\\\""; return;
      case '\\': out_ += "\\\\"; return;
      case '\b': out_ += "\\b"; return;
      case '\f': out_ += "\\f"; return;
      case '\n': out_ += "\\n"; return;
      case '\r': out_ += "\\r"; return;
      case '\t': out_ += "\\t"; return;
      default: break;
    }
    static constexpr char kHex[] = "0123456789abcdef";  // c < 0x20 here
    out_ += "\\u00";
    out_ += kHex[c >> 4];
    out_ += kHex[c & 0xf];
  }

  std::string out_;
  bool first_ = true;
};

void write_capture(LineWriter& w, const Capture& c) {
  w.open("capture");
  if (!c.fds.empty()) {
    w.open("fds");
    // Sorted as text, like the generic encoder's object keys ("-100" < "10" < "3").
    std::vector<std::pair<std::string, const std::string*>> fds;
    for (const auto& [fd, path] : c.fds) fds.emplace_back(std::to_string(fd), &path);
    std::sort(fds.begin(), fds.end());
    for (const auto& [fd, path] : fds) w.key(fd), w.string(*path);
    w.close();
  }
  if (!c.mem.empty()) {
    w.key("mem");
    w.raw("[");
    bool first = true;
    for (const auto& region : c.mem) {
      w.raw(first ? "[" : ",[");
      first = false;
      w.hex(region.addr);
      w.raw(",\"");
      w.raw(base64_encode(region.bytes));
      w.raw("\"]");
    }
    w.raw("]");
  }
  if (!c.siginfo.empty()) {
    w.key("siginfo");
    w.raw("\"");
    w.raw(base64_encode(c.siginfo));
    w.raw("\"");
  }
  if (c.sp) w.key("sp"), w.hex(*c.sp);
  if (c.truncated) w.key("truncated"), w.boolean(true);
  w.close();
}

void write_params(LineWriter& w, const Report& r) {
  w.open("params");
  w.key("action"), w.string(to_string(r.action));
  if (r.addr) w.key("addr"), w.hex(*r.addr);
  if (r.capture) write_capture(w, *r.capture);
  if (r.child) w.key("child"), w.integer(*r.child);
  if (r.child_pid) w.key("child_pid"), w.integer(*r.child_pid);
  if (r.clone) w.key("clone"), w.string(*r.clone);
  w.key("engine"), w.unsigned_integer(r.engine);
  if (r.engine_gone) w.key("engine_gone"), w.boolean(*r.engine_gone);
  w.key("event"), w.string(to_string(r.event));
  if (r.exit_code) w.key("exit_code"), w.integer(*r.exit_code);
  if (r.for_event) w.key("for_event"), w.string(to_string(*r.for_event));
  if (r.former_tid) w.key("former_tid"), w.integer(*r.former_tid);
  if (r.jctl) w.key("jctl"), w.string(*r.jctl);
  if (r.mono_us) w.key("mono_us"), w.unsigned_integer(*r.mono_us);
  if (r.path) w.key("path"), w.string(*r.path);
  w.key("pid"), w.integer(r.pid);
  if (r.resumed) w.key("resumed"), w.boolean(*r.resumed);
  if (r.retval) w.key("retval"), w.wide_integer(*r.retval);
  w.key("seq"), w.unsigned_integer(r.seq);
  if (r.signal) {
    w.open("signal");
    w.key("code"), w.integer(r.signal->code);
    w.key("name"), w.string(r.signal->name);
    w.key("signo"), w.integer(r.signal->signo);
    w.close();
  }
  if (r.status) w.key("status"), w.integer(*r.status);
  if (r.step) w.key("step"), w.boolean(*r.step);
  if (r.syscall) {
    w.open("syscall");
    if (r.event == EventKind::SyscallEntry) {
      w.key("args");
      w.raw("[");
      for (std::size_t i = 0; i < r.syscall->args.size(); ++i) {
        if (i) w.raw(",");
        w.hex(r.syscall->args[i]);
      }
      w.raw("]");
    }
    w.key("name"), w.string(r.syscall->name);
    w.key("nr"), w.integer(r.syscall->nr);
    w.close();
  }
  w.key("tid"), w.integer(r.tid);
  if (r.time_us) w.key("time_us"), w.unsigned_integer(*r.time_us);
  w.close();
}

}  // namespace

std::string encode_report_line(const Report& report, std::optional<std::int64_t> request_id) {
  LineWriter w(320);
  w.open();
  if (request_id) w.key("id"), w.integer(*request_id);
  w.key("jsonrpc"), w.raw("\"2.0\"");
  w.key("method"), w.raw(request_id ? "\"report\"" : "\"event\"");
  write_params(w, report);
  w.close();
  return w.take();
}

std::string EventLineCache::line(const Report& report) {
  // A captured report is only for the engines that asked: never cached, never reused.
  if (report.capture) return encode_report_line(report, std::nullopt);
  if (!line_.empty() && report.action == action_ && report.event == event_ &&
      report.for_event == for_event_) {
    char digits[24];
    const auto end = std::to_chars(digits, digits + sizeof digits, report.engine).ptr;
    std::string out;
    out.reserve(line_.size() + 20);
    out.append(line_, 0, engine_at_);
    out.append(digits, end);
    out.append(line_, engine_at_ + engine_len_);
    return out;
  }
  std::string out = encode_report_line(report, std::nullopt);
  if (!asked_) {
    asked_ = true;  // the first line of a pass: most passes have no second
    return out;
  }
  // Keys are sorted, so params' "engine" comes right after "action" (an enum name): the first
  // "engine": in the line is it.
  constexpr std::string_view kKey = "\"engine\":";
  const auto at = out.find(kKey);
  if (at == std::string::npos) {
    line_.clear();
    return out;
  }
  line_ = out;
  engine_at_ = at + kKey.size();
  engine_len_ = out.find_first_not_of("0123456789", engine_at_) - engine_at_;
  action_ = report.action;
  event_ = report.event;
  for_event_ = report.for_event;
  return out;
}

std::string encode_reply_line(std::int64_t request_id, const ReportReply& reply) {
  LineWriter w(96);
  w.open();
  w.key("id"), w.integer(request_id);
  w.key("jsonrpc"), w.raw("\"2.0\"");
  w.open("result");
  w.key("action"), w.string(to_string(reply.action));
  if (reply.retval) w.key("retval"), w.wide_integer(*reply.retval);
  if (reply.signal) {
    w.key("signal");
    if (*reply.signal == ReportReply::kDeliver) w.raw("\"deliver\"");
    else if (*reply.signal == 0) w.raw("\"ignore\"");
    else w.integer(*reply.signal);
  }
  if (reply.abort) w.key("syscall"), w.raw(*reply.abort ? "\"abort\"" : "\"run\"");
  w.close();
  w.close();
  return w.take();
}

}  // namespace utrace::proto
