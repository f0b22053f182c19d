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
#include "engine/engine_set.hpp"
#include "rpc/limits.hpp"
#include "trace/tracer.hpp"
#include "utrace/proto/actions.hpp"
#include "utrace/proto/errors.hpp"
#include "utrace/proto/events.hpp"

namespace utraced {

struct AttachRequest {
  std::chrono::milliseconds report_timeout{0};
  pid_t tid = 0;  // scope thread: the thread; scope process: the process (any of its tids)
  EngineScope scope = EngineScope::Thread;
  bool follow = false;
  bool exitkill = false;
  std::shared_ptr<const SyscallSet> syscalls;  // syscall events only for these (null: all)
  bool seccomp = false;  // launch: trap only `syscalls` with a seccomp filter (PROTOCOL.md)  // the threads die if the daemon does (PTRACE_O_EXITKILL)
  utrace::proto::EventMask events;
  EngineMode mode = EngineMode::Async;
  bool concurrent = false;  // sync: asked at the pass start (Engine::concurrent)
  bool create = true;
  bool exclusive = false;
  std::string type;
  nlohmann::json data;
  bool match_type = false;
  bool match_data = false;
};

struct AttachResult {
  EngineSetPtr engine;
  bool created = false;
  std::vector<pid_t> tids;  // the threads it is attached to
};

// A program started by launch(), seized and on its way to its exec stop.
struct LaunchRequest {
  AttachRequest attach;  // the engine to create on it (its tid is ignored)
  std::string path;  // argv[0] as given: the child looks it up in PATH as the client
  std::vector<std::string> argv;
  std::vector<std::string> env;
  std::string cwd;
  std::string stdio[3];  // paths opened as the client (empty: /dev/null)
};

struct HubStats {
  std::uint64_t reports_sent = 0;
  std::uint64_t events_sent = 0;
  std::uint64_t stops = 0;
  std::uint64_t engines_attached = 0;
  std::uint64_t children_held = 0;
  std::uint64_t launched = 0;
};

class EngineHub : public StopSink {
 public:
  EngineHub(boost::asio::io_context& io, const Limits& limits);

  Tracer& tracer() { return tracer_; }
  const HubStats& stats() const { return stats_; }
  // Sync reports sent whose reply has not come yet (and whose engine is still there).
  std::size_t reports_awaited() const { return reports_awaited_; }

  // Throws utrace::proto::RpcException (ESRCH, EPERM, EEXIST, ENOENT, EAGAIN, ...).
  AttachResult attach(ClientLink& client, const AttachRequest& req);
  // Starts req.argv traced and held before its first instruction, with one engine of the
  // client on it that holds it (control resume lets it run). done(result) once it is at its
  // exec stop, or done(error) when it could not be started.
  void launch(ClientLink& client, const LaunchRequest& req,
              std::function<void(const AttachResult*, const utrace::proto::RpcError*)> done);
  // The calls below take the engine id and a tid: 0 means "every thread of the engine" (an
  // engine on one thread needs none). Each returns 0 or a positive errno, as utrace's calls did.
  int set_events(ClientLink& client, std::uint64_t engine, utrace::proto::EventMask events);
  int control(ClientLink& client, std::uint64_t engine, pid_t tid,
              utrace::proto::ResumeAction action);
  // done(0) once no report to the engine (on tid, or on any of its threads) is in flight and
  // its reply is applied; ESRCH when the engine is detached; ETIMEDOUT after `timeout`.
  void barrier(ClientLink& client, std::uint64_t engine, pid_t tid,
               std::chrono::milliseconds timeout, std::function<void(int)> done);
  // done(0, reason, tid) once the engine holds a thread stopped ("stopped") or the next report
  // to it is sent ("report"); ESRCH when it is detached or the thread dies; ETIMEDOUT.
  void wait(ClientLink& client, std::uint64_t engine, pid_t tid, std::chrono::milliseconds timeout,
            std::function<void(int, const char*, pid_t)> done);
  // The thread an engine may examine (registers, memory): 0, EINVAL (no hold), EDOM (several
  // threads and no tid given), EPERM (the thread made itself non-dumpable and the client lacks
  // CAP_SYS_PTRACE) or ESRCH.
  int examinable(ClientLink& client, std::uint64_t engine, pid_t tid, ThreadPtr* out);
  // A client went away: detach all its engines (never leaving a thread stopped).
  void detach_client(ClientLink& client);
  std::vector<EngineSetPtr> engines_of(const ClientLink& client) const;
  std::size_t engine_count() const { return engines_.size(); }

  // Detaches every engine and thread; done() once all threads are released (or after 2 s).
  void shutdown(std::function<void()> done);

  // StopSink
  void on_stop(const ThreadPtr& thread) override;
  void on_death(const ThreadPtr& thread, WaitStatus status) override;
  void on_rekey(const ThreadPtr& thread, pid_t former_tid) override;

 private:
  EngineSetPtr lookup_set(const ClientLink& client, std::uint64_t id) const;
  // The member on tid; with tid 0, the only member. nullptr when there is none.
  EnginePtr lookup(const ClientLink& client, std::uint64_t id, pid_t tid) const;
  // Seizes tid for client (or returns the thread if it is traced already), checked again after
  // the seize; throws RpcException.
  ThreadPtr seize_thread(const ClientLink& client, pid_t tid, bool exitkill);
  // The thread exec'd: every engine whose client may no longer trace it (new credentials) is
  // taken away before anything can touch the new image (PROTOCOL.md "Security").
  void on_exec_credentials(const ThreadPtr& t);
  // Adds a member of `set` on thread t (utrace's attach: it joins at the next pass).
  EnginePtr add_member(const EngineSetPtr& set, const ThreadPtr& t, const AttachRequest& req);
  void attach_process(const EngineSetPtr& set, const AttachRequest& req, pid_t tgid);
  // The client covers Limits::threads_per_client threads already.
  bool client_full(const ClientLink& client) const;
  static utrace::proto::RpcError client_full_error(std::size_t limit);
  int control_one(const EnginePtr& e, utrace::proto::ResumeAction action);
  int detach_engine(const EnginePtr& e);
  void drop_engine(const EnginePtr& e);
  void drop_set(const EngineSetPtr& set);
  void settle(const ThreadPtr& t);
  void ensure_stop_mode(const ThreadPtr& t);
  void send_notice(const EnginePtr& e, const char* reason, const std::string& message);

  // barrier() and wait() callers (engine_hub_wait.cpp).
  // Fires the set's barrier callers whose condition now holds (or ESRCH).
  void check_barriers(const EngineSetPtr& set);
  // Wakes wait() callers of e (its tid, or any) with 0 and the reason.
  void wake_waiters(const EnginePtr& e, const char* reason);
  // Wakes wait() callers of the thread's engines that now hold it stopped.
  void wake_stopped(const ThreadPtr& t);
  // e is gone: its tid's waiters get ESRCH.
  void fail_waiters(const EngineSetPtr& set, pid_t tid);
  bool take_waiter(std::uint64_t client);
  void release_waiter(std::uint64_t client);
  void poll_shutdown();

  // Children, exec and exit holds (engine_hub_family.cpp).
  // A clone/fork/vfork stop of t: record the child (held) and attach the following engines.
  ThreadPtr adopt_child(const ThreadPtr& parent);
  void release_child(const ThreadPtr& child);
  void watch_exit_hold(const ThreadPtr& t);
  void check_exit_hold(const ThreadPtr& t);
  void finish_launch(const ThreadPtr& t, int err);

  // Report passes (engine_hub_pass.cpp).
  // e asked for this event (for syscall events: for this syscall, nr).
  static bool wants_event(const Engine& e, utrace::proto::EventKind event, std::int64_t nr);
  // e gets a report: it wants the event, or has quiesce (every event but reap).
  static bool interested(const Engine& e, utrace::proto::EventKind event, std::int64_t nr);
  // Some engine wants syscall stops that the thread's seccomp filter (if any) does not give.
  static bool needs_syscall_stops(const TracedThread& t);
  bool start_pass(const ThreadPtr& t, utrace::proto::EventKind event,
                  const utrace::proto::Report& base, bool reverse, int signal = -1,
                  ThreadPtr held_child = nullptr);
  void step(const ThreadPtr& t);
  // The pass's report as e gets it, with `action` as the action so far.
  static utrace::proto::Report report_for(const ReportPass& p, const Engine& e,
                                          utrace::proto::ResumeAction action);
  // Sends the report to every concurrent sync engine of the pass that just started.
  void ask_concurrent(const ThreadPtr& t);
  // Sends e its report (sync) with `action` as the action so far; its reply comes to on_reply.
  void send_sync_report(const ThreadPtr& t, const EnginePtr& e, utrace::proto::ResumeAction action);
  // e's reply (nullopt: none usable) in its turn: applied, and barrier callers told.
  // hold_applied: e's hold took the reply when it came (a concurrent engine, ahead of its turn).
  void finish_report(const ThreadPtr& t, const EnginePtr& e,
                     const std::optional<utrace::proto::ReportReply>& reply,
                     bool hold_applied = false);
  void abandon_pass(const ThreadPtr& t);
  void step_later(const ThreadPtr& t);
  // Removes e's report from the pass (its reply will not count); false if it had none.
  bool forget_report(ReportPass& p, const Engine* e);
  void forget_reports(ReportPass& p);  // every report of the pass
  void on_reply(const ThreadPtr& t, const EnginePtr& e, std::uint64_t token,
                std::optional<utrace::proto::ReportReply> reply);
  void apply(const ThreadPtr& t, const EnginePtr& e, const utrace::proto::ReportReply& reply,
             bool hold_applied = false);
  void finish_pass(const ThreadPtr& t);
  void reap(const ThreadPtr& t);
  utrace::proto::Report base_report(const ThreadPtr& t) const;

  boost::asio::io_context& io_;
  const Limits& limits_;
  Tracer tracer_;
  std::unordered_map<std::uint64_t, EngineSetPtr> engines_;
  // launch() callers waiting for their program's exec stop, by tid.
  struct PendingLaunch {
    std::function<void(const AttachResult*, const utrace::proto::RpcError*)> done;
    EngineSetPtr engine;
    int error_fd = -1;  // the child writes its exec errno here
    ClientLink* client = nullptr;
    // The exec stop's credential check took the engine away: the launch fails with this.
    std::optional<utrace::proto::RpcError> denied;
  };
  std::unordered_map<pid_t, PendingLaunch> launches_;
  static constexpr std::size_t kLaunchesInFlight = 16;  // per connection
  std::unordered_map<std::uint64_t, std::size_t> waiters_by_client_;  // barrier + wait calls
  // Engine members (threads covered) of each client, summed over its engines (Limits::
  // threads_per_client): counted in add_member, uncounted in drop_engine.
  std::unordered_map<std::uint64_t, std::size_t> members_by_client_;
  std::uint64_t next_engine_id_ = 1;
  std::uint64_t next_token_ = 1;
  bool shutting_down_ = false;
  std::function<void()> shutdown_done_;
  std::chrono::steady_clock::time_point shutdown_deadline_;
  boost::asio::steady_timer shutdown_timer_;
  HubStats stats_;
  std::size_t reports_awaited_ = 0;
};

}  // namespace utraced
