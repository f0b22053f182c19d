#include "utrace/client.hpp"

#include <utility>

#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

#include "connection.hpp"
#include "utrace/proto/message.hpp"
#include "utrace/proto/report_line.hpp"

namespace utrace::client {

namespace asio = boost::asio;

AsyncClient::AsyncClient(asio::io_context& io) : io_(io) {}

AsyncClient::~AsyncClient() {
  pending_.clear();
  if (conn_) conn_->close();
}

void AsyncClient::async_connect(const std::string& socket_path, ConnectHandler handler) {
  close();
  conn_ = std::make_shared<detail::Connection>(
      io_, [this](std::string line) { on_line(std::move(line)); },
      [this](std::error_code ec) { on_connection_closed(ec); });
  conn_->connect(socket_path, [this, socket_path, h = std::move(handler)](std::error_code ec) {
    if (ec) {
      auto err = make_client_error(client_code::kConnectFailed,
                                   "cannot connect to " + socket_path + ": " + ec.message(), ec);
      auto pending = std::exchange(pending_, {});
      for (auto& [id, reply_handler] : pending) reply_handler(Reply{nullptr, err});
    }
    if (h) h(ec);
  });
}

bool AsyncClient::is_open() const { return conn_ && conn_->is_open(); }

int AsyncClient::socket_fd() const { return conn_ ? conn_->native_handle() : -1; }

void AsyncClient::call(const std::string& method, const nlohmann::json& params,
                       ReplyHandler handler) {
  if (!is_open()) {
    auto err = make_client_error(client_code::kConnectionClosed, "not connected to utraced");
    asio::post(io_, [h = std::move(handler), err] { h(Reply{nullptr, err}); });
    return;
  }
  const std::int64_t id = next_id_++;
  pending_.emplace(id, std::move(handler));
  conn_->send(proto::encode_request(id, method, params));
}

void AsyncClient::on_report(EngineId engine, ReportHandler handler) {
  if (!handler) {
    report_handlers_.erase(engine);
    return;
  }
  on_report_deferred(engine, [this, h = std::move(handler)](const ReportMessage& m) {
    proto::ReportReply answer;
    try {
      answer = h(m);
    } catch (...) {
      reply(m, proto::ReportReply{});  // never leave the thread waiting on a failed handler
      throw;
    }
    reply(m, answer);
  });
}

void AsyncClient::on_report(EngineId engine, ActionHandler handler) {
  if (!handler) {
    report_handlers_.erase(engine);
    return;
  }
  on_report(engine, ReportHandler([h = std::move(handler)](const ReportMessage& m) {
              proto::ReportReply r;
              r.action = h(m);
              return r;
            }));
}

void AsyncClient::on_report_deferred(EngineId engine, DeferredReportHandler handler) {
  if (handler)
    report_handlers_[engine] = std::move(handler);
  else
    report_handlers_.erase(engine);
}

void AsyncClient::on_event(EngineId engine, EventHandler handler) {
  if (handler)
    event_handlers_[engine] = std::move(handler);
  else
    event_handlers_.erase(engine);
}

void AsyncClient::reply(const ReportMessage& message, const proto::ReportReply& reply) {
  if (!message.needs_reply() || !is_open()) return;
  if (message.request_id.is_number_integer())
    conn_->send(proto::encode_reply_line(message.request_id.get<std::int64_t>(), reply));
  else
    conn_->send(proto::encode_result(message.request_id, proto::to_json(reply)));
}

void AsyncClient::close() {
  if (!conn_) return;
  conn_->close();
  fail_pending(client_code::kConnectionClosed, "connection closed by the client");
}

void AsyncClient::on_line(std::string line) {
  // The hot path: a report or event in the daemon's own shape, decoded without a document.
  if (auto fast = proto::decode_report_line(line)) {
    ReportMessage msg;
    msg.report = std::move(fast->report);
    msg.is_report = fast->request_id.has_value();
    if (msg.is_report) msg.request_id = *fast->request_id;
    msg.line = std::move(line);
    if (msg.is_report)
      dispatch_report(std::move(msg));
    else
      dispatch_event(msg);
    return;
  }
  proto::Message m = proto::parse_message(line);
  switch (m.kind) {
    case proto::MessageKind::Response: {
      if (!m.id.is_number_integer()) {
        spdlog::debug("utrace client: ignoring a response with id {}", m.id.dump());
        return;
      }
      auto it = pending_.find(m.id.get<std::int64_t>());
      if (it == pending_.end()) {
        spdlog::debug("utrace client: ignoring a response to unknown id {}", m.id.dump());
        return;
      }
      ReplyHandler handler = std::move(it->second);
      pending_.erase(it);
      handler(Reply{m.error ? nlohmann::json() : std::move(m.result), std::move(m.error)});
      return;
    }
    case proto::MessageKind::Request:
    case proto::MessageKind::Notification: {
      const bool is_request = m.kind == proto::MessageKind::Request;
      if (!is_request && m.method == "notice") {
        if (on_notice_) on_notice_(m.params);
        return;
      }
      if (m.method != (is_request ? "report" : "event")) {
        spdlog::debug("utrace client: unexpected {} '{}'", is_request ? "request" : "notice",
                      m.method);
        if (is_request) {
          proto::RpcError e;
          e.code = proto::rpc_code::kMethodNotFound;
          e.message = "the client has no method '" + m.method + "'";
          send_line(proto::encode_error(m.id, e));
        }
        return;
      }
      ReportMessage msg;
      try {
        msg.report = proto::report_from_json(m.params);
      } catch (const proto::RpcException& e) {
        spdlog::debug("utrace client: bad {} params: {}", m.method, e.what());
        if (is_request) send_line(proto::encode_error(m.id, e.error()));
        return;
      }
      msg.request_id = std::move(m.id);
      msg.line = std::move(line);
      msg.is_report = is_request;
      if (is_request)
        dispatch_report(std::move(msg));
      else
        dispatch_event(msg);
      return;
    }
    case proto::MessageKind::Invalid:
      spdlog::debug("utrace client: ignoring an invalid message: {}", m.error->message);
      return;
  }
}

nlohmann::json ReportMessage::params() const {
  nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (auto it = j.find("params"); j.is_object() && it != j.end()) return *it;
  return nlohmann::json::object();
}

void AsyncClient::dispatch_report(ReportMessage message) {
  auto it = report_handlers_.find(message.report.engine);
  if (it == report_handlers_.end()) it = report_handlers_.find(kAllEngines);
  if (it == report_handlers_.end()) {
    reply(message, proto::ReportReply{});
    return;
  }
  DeferredReportHandler handler = it->second;  // a copy: the handler may replace itself
  handler(message);
}

void AsyncClient::dispatch_event(const ReportMessage& message) {
  const EngineId engine = message.report.engine;
  auto it = event_handlers_.find(engine);
  if (it == event_handlers_.end()) it = event_handlers_.find(kAllEngines);
  if (it != event_handlers_.end()) {
    EventHandler handler = it->second;
    handler(message);
  }
  if (message.report.event == proto::EventKind::Reap && message.report.engine_gone.value_or(false) &&
      engine != kAllEngines) {
    // The engine is gone for good and its id is never reused.
    report_handlers_.erase(engine);
    event_handlers_.erase(engine);
  }
}

void AsyncClient::on_connection_closed(std::error_code ec) {
  fail_pending(client_code::kConnectionClosed, "connection to utraced lost: " + ec.message());
  if (on_close_) {
    CloseHandler handler = on_close_;
    handler(ec);
  }
}

void AsyncClient::fail_pending(int code, const std::string& why) {
  auto err = make_client_error(code, why);
  auto pending = std::exchange(pending_, {});
  for (auto& [id, handler] : pending) handler(Reply{nullptr, err});
}

void AsyncClient::send_line(std::string line) {
  if (is_open()) conn_->send(std::move(line));
}

}  // namespace utrace::client
