// utrace::client::AsyncClient: an Asio client of utraced on a caller-supplied io_context.
//
// All member functions and every handler run on the thread that runs the io_context; the class
// is not thread-safe. Handlers may call any member function, including close().
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <system_error>

#include <boost/asio/io_context.hpp>
#include <nlohmann/json.hpp>

#include "utrace/client_error.hpp"
#include "utrace/proto/actions.hpp"
#include "utrace/proto/errors.hpp"
#include "utrace/proto/report.hpp"

namespace utrace::client {

namespace detail {
class Connection;
}

// The protocol version this library speaks (hello's "protocol").
inline constexpr int kProtocolVersion = 2;

using EngineId = std::uint64_t;
// Handler key meaning "every engine" (the daemon never issues engine id 0).
inline constexpr EngineId kAllEngines = 0;

// The outcome of a call: the daemon's result, or an error (the daemon's or a client-side one,
// see client_code).
struct Reply {
  nlohmann::json result;                 // null when error is set
  std::optional<proto::RpcError> error;  // set on failure

  bool ok() const { return !error.has_value(); }
};

// One `report` request (sync engine) or `event` notification (async engine) as received.
struct ReportMessage {
  proto::Report report;       // decoded params
  nlohmann::json request_id;  // the daemon's id for a report; null for an event
  bool is_report = false;     // a `report` request, which must be answered
  std::string line;           // the message as received (without its newline)
  bool needs_reply() const { return is_report; }
  // The params as received, including fields this library does not know. Parsed from `line`
  // on each call: the library itself decodes reports without building a JSON document.
  nlohmann::json params() const;
};

class AsyncClient {
 public:
  using ConnectHandler = std::function<void(std::error_code)>;
  using ReplyHandler = std::function<void(Reply)>;
  // Returns the engine's answer; the library sends it as the report's result.
  using ReportHandler = std::function<proto::ReportReply(const ReportMessage&)>;
  using ActionHandler = std::function<proto::ResumeAction(const ReportMessage&)>;
  // Must call reply(message, ...) exactly once, now or later (the thread waits until then).
  using DeferredReportHandler = std::function<void(const ReportMessage&)>;
  using EventHandler = std::function<void(const ReportMessage&)>;
  // `notice` notifications: {"engine","tid","pid","reason","message"} (PROTOCOL.md).
  using NoticeHandler = std::function<void(const nlohmann::json& params)>;
  // Called once when the daemon closes the connection or it fails (not after close()).
  using CloseHandler = std::function<void(std::error_code)>;

  explicit AsyncClient(boost::asio::io_context& io);
  // Closes the connection without calling any handler.
  ~AsyncClient();
  AsyncClient(const AsyncClient&) = delete;
  AsyncClient& operator=(const AsyncClient&) = delete;

  // Connects to the daemon's Unix socket. Calls made before the connection completes are
  // queued and sent once it is established (or fail with kConnectFailed).
  void async_connect(const std::string& socket_path, ConnectHandler handler);
  // Sends a request with a fresh integer id; `handler` gets the result or the error. If the
  // connection ends first, the handler gets a kConnectionClosed error.
  void call(const std::string& method, const nlohmann::json& params, ReplyHandler handler);

  // Report handlers, by engine id or kAllEngines (used when no engine-specific one is set).
  // A report with no handler at all is answered "resume". If a handler throws, the report is
  // answered "resume" and the exception propagates out of the io_context's run function.
  // Engine-specific handlers are dropped after the `reap` event that says `engine_gone` (the
  // engine's last thread). An empty handler (e.g. ReportHandler{}) removes the one set.
  // Handlers for an engine should be set before the `attach` call that creates it returns to
  // the event loop, or under kAllEngines.
  void on_report(EngineId engine, ReportHandler handler);
  void on_report(EngineId engine, ActionHandler handler);
  void on_report_deferred(EngineId engine, DeferredReportHandler handler);
  // Answers a report given to a deferred handler. Ignored for events and closed connections.
  void reply(const ReportMessage& message, const proto::ReportReply& reply);

  // Event handlers (async engines), by engine id or kAllEngines, as for reports.
  void on_event(EngineId engine, EventHandler handler);
  void on_event(EventHandler handler) { on_event(kAllEngines, std::move(handler)); }
  void on_close(CloseHandler handler) { on_close_ = std::move(handler); }
  void on_notice(NoticeHandler handler) { on_notice_ = std::move(handler); }

  // Ends the connection; pending calls get a kConnectionClosed error, on_close is not called.
  void close();
  bool is_open() const;
  boost::asio::io_context& io_context() { return io_; }
  // The connection's socket descriptor (close-on-exec), -1 without one: for a forked child
  // to close, so that it cannot keep the connection open (Client::launch does).
  int socket_fd() const;

 private:
  void on_line(std::string line);
  void on_connection_closed(std::error_code ec);
  void dispatch_report(ReportMessage message);
  void dispatch_event(const ReportMessage& message);
  void fail_pending(int code, const std::string& why);
  void send_line(std::string line);

  boost::asio::io_context& io_;
  std::shared_ptr<detail::Connection> conn_;
  std::int64_t next_id_ = 1;
  std::map<std::int64_t, ReplyHandler> pending_;
  std::map<EngineId, DeferredReportHandler> report_handlers_;
  std::map<EngineId, EventHandler> event_handlers_;
  CloseHandler on_close_;
  NoticeHandler on_notice_;
};

}  // namespace utrace::client
