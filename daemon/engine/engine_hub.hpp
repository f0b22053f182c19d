// EngineHub: the utrace engine model on top of the Tracer. Owns every engine, runs report passes
// one engine at a time, combines replies (min, sticky per-engine STOP) and makes the one restart
// decision per stop. Also serves the client operations: attach, set_events, control, barrier.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <nlohmann/json.hpp>

#include "engine/client_link.hpp"
#include "engine/engine.hpp"
#include "rpc/limits.hpp"
#include "trace/tracer.hpp"
#include "utrace/proto/actions.hpp"
#include "utrace/proto/events.hpp"

namespace utraced {

struct AttachRequest {
  std::chrono::milliseconds report_timeout{0};
  pid_t tid = 0;
  utrace::proto::EventMask events;
  EngineMode mode = EngineMode::Async;
  bool create = true;
  bool exclusive = false;
  std::string type;
  nlohmann::json data;
  bool match_type = false;
  bool match_data = false;
};

struct AttachResult {
  EnginePtr engine;
  bool created = false;
};

struct HubStats {
  std::uint64_t reports_sent = 0;
  std::uint64_t events_sent = 0;
  std::uint64_t stops = 0;
  std::uint64_t engines_attached = 0;
};

class EngineHub : public StopSink {
 public:
  EngineHub(boost::asio::io_context& io, const Limits& limits);

  Tracer& tracer() { return tracer_; }
  const HubStats& stats() const { return stats_; }

  // Throws utrace::proto::RpcException (ESRCH, EPERM, EEXIST, ENOENT, ...).
  AttachResult attach(ClientLink& client, const AttachRequest& req);
  // Each returns 0 or a positive errno, as utrace's calls did.
  int set_events(ClientLink& client, std::uint64_t engine, utrace::proto::EventMask events);
  int control(ClientLink& client, std::uint64_t engine, utrace::proto::ResumeAction action);
  // done(0) once no report to the engine is in flight and its reply is applied; ESRCH when the
  // engine is detached; ETIMEDOUT after `timeout`.
  void barrier(ClientLink& client, std::uint64_t engine, std::chrono::milliseconds timeout,
               std::function<void(int)> done);
  // done(0, reason) once the engine holds the thread stopped ("stopped") or the next report to
  // it is sent ("report"); ESRCH when it is detached or its thread dies; ETIMEDOUT.
  void wait(ClientLink& client, std::uint64_t engine, std::chrono::milliseconds timeout,
            std::function<void(int, const char*)> done);
  // The thread an engine may examine (registers, memory): 0, EINVAL (no hold) or ESRCH.
  int examinable(ClientLink& client, std::uint64_t engine, ThreadPtr* out);
  // A client went away: detach all its engines (never leaving a thread stopped).
  void detach_client(ClientLink& client);
  std::vector<EnginePtr> engines_of(const ClientLink& client) const;
  std::size_t engine_count() const { return engines_.size(); }

  // Detaches every engine and thread; done() once all threads are released (or after 2 s).
  void shutdown(std::function<void()> done);

  // StopSink
  void on_stop(const ThreadPtr& thread) override;
  void on_death(const ThreadPtr& thread, WaitStatus status) override;

 private:
  EnginePtr lookup(const ClientLink& client, std::uint64_t id) const;
  int detach_engine(const EnginePtr& e);
  void drop_engine(const EnginePtr& e);
  void settle(const ThreadPtr& t);
  void ensure_stop_mode(const ThreadPtr& t);
  void notify_barriers(const EnginePtr& e, int code);
  // Wakes wait() callers of e with 0 and the reason.
  void wake_waiters(const EnginePtr& e, const char* reason);
  // Wakes wait() callers of the thread's engines that now hold it stopped.
  void wake_stopped(const ThreadPtr& t);
  void poll_shutdown();
  bool take_waiter(std::uint64_t client);
  void release_waiter(std::uint64_t client);

  // Report passes (engine_hub_pass.cpp).
  static bool interested(const Engine& e, utrace::proto::EventKind event);
  bool start_pass(const ThreadPtr& t, utrace::proto::EventKind event,
                  const utrace::proto::Report& base, bool reverse, int signal = -1);
  void step(const ThreadPtr& t);
  void abandon_pass(const ThreadPtr& t);
  void step_later(const ThreadPtr& t);
  void on_reply(const ThreadPtr& t, const EnginePtr& e, std::uint64_t token,
                std::optional<utrace::proto::ReportReply> reply);
  void apply(const ThreadPtr& t, const EnginePtr& e, const utrace::proto::ReportReply& reply);
  void finish_pass(const ThreadPtr& t);
  void reap(const ThreadPtr& t);
  utrace::proto::Report base_report(const ThreadPtr& t) const;

  boost::asio::io_context& io_;
  const Limits& limits_;
  Tracer tracer_;
  std::unordered_map<std::uint64_t, EnginePtr> engines_;
  std::unordered_map<std::uint64_t, std::size_t> waiters_by_client_;  // barrier + wait calls
  std::uint64_t next_engine_id_ = 1;
  std::uint64_t next_token_ = 1;
  bool shutting_down_ = false;
  std::function<void()> shutdown_done_;
  std::chrono::steady_clock::time_point shutdown_deadline_;
  boost::asio::steady_timer shutdown_timer_;
  HubStats stats_;
};

}  // namespace utraced
