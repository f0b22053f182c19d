// Internal: the engine room of the blocking Client. Owns an io_context and an AsyncClient,
// queues incoming reports and events, and dispatches them to the user's handlers only from its
// own wait loops, never from inside an Asio handler, so handlers may block in turn.
#pragma once

#include <deque>
#include <functional>
#include <map>
#include <string>

#include <boost/asio/io_context.hpp>
#include <nlohmann/json.hpp>

#include "utrace/client.hpp"
#include "utrace/client_error.hpp"

namespace utrace::client::detail {

class SyncCore {
 public:
  using Clock = std::chrono::steady_clock;
  using Duration = Clock::duration;

  SyncCore();
  SyncCore(const SyncCore&) = delete;
  SyncCore& operator=(const SyncCore&) = delete;

  // Throws ClientError (kConnectFailed).
  void connect(const std::string& socket_path);
  // Waits for the reply, dispatching incoming messages meanwhile. The daemon's errors come
  // back in the Reply; client-side failures (connection lost, timeout) throw ClientError.
  Reply request(const std::string& method, const nlohmann::json& params);

  void on_report(EngineId engine, AsyncClient::ReportHandler handler);
  // The handler answers with reply(), now or later (the thread waits until then).
  void on_report_deferred(EngineId engine, AsyncClient::DeferredReportHandler handler);
  void reply(const ReportMessage& message, const proto::ReportReply& answer) {
    async_.reply(message, answer);
  }
  void on_event(EngineId engine, AsyncClient::EventHandler handler);
  // The user's notice handler; notices are also looked at for watch().
  void on_notice(AsyncClient::NoticeHandler handler) { notice_handler_ = std::move(handler); }

  // What Client::launch needs to know of its engine while it waits for the hold, noted as
  // messages arrive (before any handler runs): the message of a `credentials` notice (the
  // engine taken away at an exec), and whether a `death` or `reap` came.
  struct Watched {
    std::string taken_away;
    bool died = false;
    // A sync `exec` report came: the thread waits at its exec stop for the reply.
    bool exec_reported = false;
  };
  void watch(EngineId engine) { watched_[engine]; }
  void unwatch(EngineId engine) { watched_.erase(engine); }
  Watched watched(EngineId engine) const {
    auto it = watched_.find(engine);
    return it == watched_.end() ? Watched{} : it->second;
  }

  bool run_until(const std::function<bool()>& pred, Duration timeout);
  bool run_one(Duration timeout);

  void set_call_timeout(Duration timeout) { call_timeout_ = timeout; }
  void set_poll(Duration poll) { poll_ = poll; }
  boost::asio::io_context& io_context() { return io_; }
  AsyncClient& async() { return async_; }
  void close();
  bool is_open() const { return !closed_; }

 private:
  // Makes progress: dispatches one queued message or runs one I/O completion. Once the
  // deadline has passed it only runs what is ready (no waiting) and returns false; throws
  // ClientError when the connection is gone.
  bool pump(Clock::time_point deadline);
  // Dispatches the oldest queued report or event; false if there was none.
  bool dispatch_one();

  boost::asio::io_context io_;
  AsyncClient async_;
  std::deque<ReportMessage> inbox_;
  std::map<EngineId, AsyncClient::DeferredReportHandler> report_handlers_;
  std::map<EngineId, AsyncClient::EventHandler> event_handlers_;
  AsyncClient::NoticeHandler notice_handler_;
  std::map<EngineId, Watched> watched_;
  Duration poll_{0};  // set_poll: look for input this long before sleeping
  bool closed_ = true;  // until connected
  proto::RpcError close_error_;
  Duration call_timeout_ = Duration::max();
};

}  // namespace utrace::client::detail
