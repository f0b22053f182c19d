// libFuzzer target for the wire decoder: bytes -> LineFramer -> parse_message -> the checked
// parameter accessors the dispatcher uses, report_from_json / reply_from_json, base64_decode,
// and re-encoding. Protocol errors must come out as RpcException (or an Invalid message), never
// as a crash, a sanitizer report, a hang, or any other exception.
//
// This target stays at the proto level and mirrors the dispatcher's parameter reads per method;
// fuzz_dispatcher.cpp drives the daemon's real Session, Dispatcher and EngineHub.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "utrace/proto/base64.hpp"
#include "utrace/proto/errors.hpp"
#include "utrace/proto/framing.hpp"
#include "utrace/proto/message.hpp"
#include "utrace/proto/params.hpp"
#include "utrace/proto/report.hpp"
#include "utrace/proto/report_line.hpp"

namespace proto = utrace::proto;

namespace {

template <class F>
void expect_rpc_errors_only(F&& f) {
  try {
    f();
  } catch (const proto::RpcException&) {
  }
}

void exercise_params(const proto::Message& m) {
  proto::Params p(m.params);
  const std::string& method = m.method;
  if (method == "hello") {
    p.allow_only({"client", "protocol"});
    (void)p.opt_string("client");
    (void)p.opt_integer("protocol", 0, INT32_MAX);
  } else if (method == "attach") {
    p.allow_only({"tid", "pid", "scope", "events", "mode", "concurrent", "create", "exclusive", "type", "data",
                  "match", "report_timeout_ms"});
    (void)p.opt_integer("report_timeout_ms", 0, 24 * 3600 * 1000);
    (void)p.opt_string("scope");
    if (p.has("tid")) (void)p.integer("tid", 1, INT32_MAX);
    if (p.has("pid")) (void)p.integer("pid", 1, INT32_MAX);
    (void)p.events("events");
    (void)p.opt_string("mode");
    (void)p.opt_bool("concurrent");
    (void)p.opt_bool("create");
    (void)p.opt_bool("exclusive");
    (void)p.opt_string("type");
    (void)p.raw("data");
    (void)p.raw("match");
  } else if (method == "set_events") {
    p.allow_only({"engine", "events"});
    (void)p.integer("engine", 0, INT64_MAX);
    (void)p.events("events");
  } else if (method == "control") {
    p.allow_only({"engine", "action", "tid"});
    (void)p.integer("engine", 0, INT64_MAX);
    (void)p.action("action");
    (void)p.opt_integer("signal", 0, 64);
  } else if (method == "barrier" || method == "wait") {
    p.allow_only({"engine", "timeout_ms"});
    (void)p.integer("engine", 0, INT64_MAX);
    (void)p.opt_integer("timeout_ms", 0, 24 * 3600 * 1000);
  } else if (method == "get_regs" || method == "set_regs") {
    (void)p.integer("engine", 0, INT64_MAX);
    (void)p.raw("regs");
  } else if (method == "read_memory" || method == "write_memory") {
    (void)p.integer("engine", 0, INT64_MAX);
    (void)p.opt_unsigned("addr");
    (void)p.integer("size", 1, 1 << 20);
    if (auto d = p.opt_string("data")) {
      if (auto bytes = proto::base64_decode(*d)) (void)proto::base64_encode(*bytes);
    }
  } else if (method == "list") {
    p.allow_only({"from", "limit"});
    (void)p.opt_integer("from", 0, INT64_MAX);
    (void)p.opt_integer("limit", 1, 1000);
  } else {
    // Unknown methods: still walk a few generic accessors.
    (void)p.has("engine");
    (void)p.opt_string("name");
    (void)p.opt_bool("flag");
  }
}

// The hot-path decoders either refuse a line or decode it exactly as the generic path does.
void check_fast_decoders(std::string_view line, const proto::Message& m) {
  if (auto fast = proto::decode_report_line(line)) {
    const bool request = m.kind == proto::MessageKind::Request;
    if (!request && m.kind != proto::MessageKind::Notification) std::abort();
    if (m.method != (request ? "report" : "event")) std::abort();
    if (fast->request_id.has_value() != request) std::abort();
    if (request && (!m.id.is_number_integer() || m.id.get<std::int64_t>() != *fast->request_id))
      std::abort();
    if (!(proto::report_from_json(m.params) == fast->report)) std::abort();  // throws: a finding
  }
  if (auto fast = proto::decode_reply_line(line)) {
    if (m.kind != proto::MessageKind::Response || m.error || !m.id.is_number_integer() ||
        m.id.get<std::int64_t>() != fast->request_id)
      std::abort();
    if (!(proto::reply_from_json(m.result) == fast->reply)) std::abort();
  }
}

void handle_line(std::string_view line) {
  proto::Message m = proto::parse_message(line);  // never throws
  // The nesting limit: refused (before parsing) exactly when the flat scan says too deep.
  const bool too_deep = m.kind == proto::MessageKind::Invalid && m.error &&
                        m.error->code == proto::rpc_code::kInvalidRequest &&
                        m.error->data.is_object() &&
                        m.error->data.value("limit", "") == "nesting_depth";
  if (too_deep != proto::nesting_exceeds(line, proto::kMaxDepth)) std::abort();
  check_fast_decoders(line, m);
  // Re-encoding what was accepted must not throw either (invalid UTF-8 is replaced).
  switch (m.kind) {
    case proto::MessageKind::Request:
      (void)proto::encode_request(m.id, m.method, m.params);
      break;
    case proto::MessageKind::Notification:
      (void)proto::encode_notification(m.method, m.params);
      break;
    case proto::MessageKind::Response:
      if (m.error) (void)proto::encode_error(m.id, *m.error);
      else (void)proto::encode_result(m.id, m.result);
      break;
    case proto::MessageKind::Invalid:
      if (m.error) (void)proto::encode_error(nullptr, *m.error);
      return;
  }
  if (m.kind == proto::MessageKind::Request || m.kind == proto::MessageKind::Notification) {
    expect_rpc_errors_only([&] { exercise_params(m); });
    // A client decodes reports (the daemon's requests) and replies with the same code.
    expect_rpc_errors_only([&] {
      auto r = proto::report_from_json(m.params);
      (void)proto::dump_line(proto::to_json(r));
    });
    expect_rpc_errors_only([&] {
      auto r = proto::reply_from_json(m.params);
      (void)proto::dump_line(proto::to_json(r));
    });
  } else if (m.kind == proto::MessageKind::Response && m.result.is_object()) {
    expect_rpc_errors_only([&] { (void)proto::reply_from_json(m.result); });
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  // A small line limit so that oversize handling is reached too; feed in two chunks so that
  // partial lines are kept across calls.
  proto::LineFramer framer(4096);
  auto on_line = [](std::string_view line) { handle_line(line); };
  auto on_oversize = [](std::size_t) {};
  const std::size_t cut = size ? data[0] % (size + 1) : 0;
  framer.feed(bytes.substr(0, cut), on_line, on_oversize);
  framer.feed(bytes.substr(cut), on_line, on_oversize);
  framer.feed("\n", on_line, on_oversize);  // flush the last partial line

  // Pausing the framer (as a Session does while a client's output is over its bound) must give
  // the same lines in the same order, whatever the pause pattern: here a pause at every check
  // whose bit in the input's last byte is set, resumed until nothing is held.
  std::vector<std::string> plain, paused_lines;
  auto collect = [](std::vector<std::string>& v) {
    return [&v](std::string_view l) { v.emplace_back(l); };
  };
  auto collect_oversize = [](std::vector<std::string>& v) {
    return [&v](std::size_t n) { v.push_back("<oversize " + std::to_string(n) + ">"); };
  };
  proto::LineFramer a(4096), b(4096);
  a.feed(bytes.substr(0, cut), collect(plain), collect_oversize(plain));
  a.feed(bytes.substr(cut), collect(plain), collect_oversize(plain));
  a.feed("\n", collect(plain), collect_oversize(plain));
  const std::uint8_t pattern = size ? data[size - 1] : 0;
  unsigned checks = 0;
  bool fresh = false;  // the first check after a resume lets a line through: progress
  auto pause = [&] {
    if (fresh) return fresh = false;
    return ((pattern >> (checks++ % 8)) & 1) != 0;
  };
  auto drain = [&] {
    for (int i = 0; i < 1 << 22 && b.held(); ++i) {
      fresh = true;
      b.resume(collect(paused_lines), collect_oversize(paused_lines), pause);
    }
  };
  b.feed(bytes.substr(0, cut), collect(paused_lines), collect_oversize(paused_lines), pause);
  if (pattern & 1) drain();  // sometimes feed more while bytes are held
  b.feed(bytes.substr(cut), collect(paused_lines), collect_oversize(paused_lines), pause);
  drain();
  b.feed("\n", collect(paused_lines), collect_oversize(paused_lines), pause);
  drain();
  if (b.held() || plain != paused_lines) std::abort();
  return 0;
}
