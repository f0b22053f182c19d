#include "sync_core.hpp"

#include <sched.h>

#include <algorithm>
#include <memory>
#include <optional>

namespace utrace::client::detail {

namespace {

// now + timeout, saturating instead of overflowing for "forever".
SyncCore::Clock::time_point deadline_after(SyncCore::Duration timeout) {
  auto now = SyncCore::Clock::now();
  if (timeout >= SyncCore::Clock::time_point::max() - now)
    return SyncCore::Clock::time_point::max();
  return now + timeout;
}

}  // namespace

SyncCore::SyncCore() : async_(io_) {
  close_error_ = make_client_error(client_code::kConnectionClosed, "not connected to utraced");
  auto note = [this](const ReportMessage& m) {
    if (watched_.empty()) return;
    const auto event = m.report.event;
    if (event == proto::EventKind::Exec && m.is_report) {
      if (auto it = watched_.find(m.report.engine); it != watched_.end())
        it->second.exec_reported = true;
      return;
    }
    if (event != proto::EventKind::Death && event != proto::EventKind::Reap) return;
    if (auto it = watched_.find(m.report.engine); it != watched_.end()) it->second.died = true;
  };
  async_.on_report_deferred(kAllEngines, [this, note](const ReportMessage& m) {
    note(m);
    inbox_.push_back(m);
  });
  async_.on_event(kAllEngines, [this, note](const ReportMessage& m) {
    note(m);
    inbox_.push_back(m);
  });
  async_.on_notice([this](const nlohmann::json& params) {
    if (!watched_.empty() && params.is_object() && params.value("reason", "") == "credentials") {
      const auto engine = params.value("engine", EngineId{0});
      if (auto it = watched_.find(engine); it != watched_.end())
        it->second.taken_away = params.value("message", std::string("taken away at its exec"));
    }
    if (notice_handler_) notice_handler_(params);
  });
  async_.on_close([this](std::error_code ec) {
    closed_ = true;
    close_error_ = make_client_error(client_code::kConnectionClosed,
                                     "connection to utraced lost: " + ec.message(), ec);
  });
}

void SyncCore::connect(const std::string& socket_path) {
  std::optional<std::error_code> result;
  async_.async_connect(socket_path, [&result](std::error_code ec) { result = ec; });
  while (!result) {
    if (io_.stopped()) io_.restart();
    io_.run_one();
  }
  if (*result) {
    throw ClientError(
        make_client_error(client_code::kConnectFailed,
                          "cannot connect to " + socket_path + ": " + result->message(), *result),
        std::string(), *result);
  }
  closed_ = false;
}

Reply SyncCore::request(const std::string& method, const nlohmann::json& params) {
  if (closed_) throw ClientError(close_error_, method);
  // Shared with the reply handler, which outlives this frame if the call times out.
  auto slot = std::make_shared<std::optional<Reply>>();
  async_.call(method, params, [slot](Reply r) { *slot = std::move(r); });
  const auto deadline = deadline_after(call_timeout_);
  while (!*slot) {
    if (!pump(deadline)) {
      throw ClientError(make_client_error(client_code::kTimeout, "no reply from utraced in time"),
                        method);
    }
  }
  Reply reply = std::move(**slot);
  if (reply.error && client_code::is_client_code(reply.error->code))
    throw ClientError(*reply.error, method);
  return reply;
}

void SyncCore::on_report(EngineId engine, AsyncClient::ReportHandler handler) {
  if (!handler) {
    report_handlers_.erase(engine);
    return;
  }
  report_handlers_[engine] = [this, h = std::move(handler)](const ReportMessage& m) {
    proto::ReportReply answer;
    try {
      answer = h(m);
    } catch (...) {
      async_.reply(m, proto::ReportReply{});  // never leave the thread waiting
      throw;
    }
    async_.reply(m, answer);
  };
}

void SyncCore::on_report_deferred(EngineId engine, AsyncClient::DeferredReportHandler handler) {
  if (handler)
    report_handlers_[engine] = std::move(handler);
  else
    report_handlers_.erase(engine);
}

void SyncCore::on_event(EngineId engine, AsyncClient::EventHandler handler) {
  if (handler)
    event_handlers_[engine] = std::move(handler);
  else
    event_handlers_.erase(engine);
}

bool SyncCore::run_until(const std::function<bool()>& pred, Duration timeout) {
  const auto deadline = deadline_after(timeout);
  while (!pred()) {
    if (!pump(deadline)) return pred();
  }
  return true;
}

bool SyncCore::run_one(Duration timeout) {
  const auto deadline = deadline_after(timeout);
  for (;;) {
    if (dispatch_one()) return true;
    if (!pump(deadline)) return dispatch_one();
  }
}

void SyncCore::close() {
  closed_ = true;
  close_error_ = make_client_error(client_code::kConnectionClosed, "connection closed");
  async_.close();
}

bool SyncCore::pump(Clock::time_point deadline) {
  if (dispatch_one()) return true;
  if (closed_) throw ClientError(close_error_);
  if (io_.stopped()) io_.restart();
  if (Clock::now() >= deadline) {
    // Out of time (or a zero timeout): one look at what is ready, without waiting.
    io_.poll_one();
    return false;
  }
  if (poll_.count() > 0) {
    // Poll before sleeping, giving the CPU away while nothing is ready: input that comes
    // within poll_ is handled without a wake-up from idle.
    const auto until = std::min(deadline, Clock::now() + poll_);
    do {
      if (io_.poll_one() > 0) return true;
      if (io_.stopped()) io_.restart();
      ::sched_yield();
    } while (Clock::now() < until);
  }
  io_.run_one_until(deadline);
  return true;
}

bool SyncCore::dispatch_one() {
  if (inbox_.empty()) return false;
  ReportMessage m = std::move(inbox_.front());
  inbox_.pop_front();
  const EngineId engine = m.report.engine;
  if (m.needs_reply()) {
    auto it = report_handlers_.find(engine);
    if (it == report_handlers_.end()) it = report_handlers_.find(kAllEngines);
    if (it == report_handlers_.end()) {
      async_.reply(m, proto::ReportReply{});
      return true;
    }
    AsyncClient::DeferredReportHandler handler = it->second;  // a copy: it may replace itself
    handler(m);
    return true;
  }
  auto it = event_handlers_.find(engine);
  if (it == event_handlers_.end()) it = event_handlers_.find(kAllEngines);
  if (it != event_handlers_.end()) {
    AsyncClient::EventHandler handler = it->second;
    handler(m);
  }
  if (m.report.event == proto::EventKind::Reap && m.report.engine_gone.value_or(false) &&
      engine != kAllEngines) {
    report_handlers_.erase(engine);
    event_handlers_.erase(engine);
  }
  return true;
}

}  // namespace utrace::client::detail
