// EngineHub: the engine layer's façade. The dispatcher calls its client operations (attach,
// set_events, control, barrier, wait, examine, detach); the Tracer hands it stops
// (StopSink). It turns each stop into a ReportPass, makes the one restart decision per stop
// after the pass, and keeps utrace's rules across engines. Its parts: EngineRegistry (engine
// ids and sets), EngineWaiters (barrier and wait callers), ThreadController (the only ptrace
// caller), ReportPass (one pass), ThreadEngines (per-thread record). docs/daemon-map.md.
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
#include "engine/engine_registry.hpp"
#include "engine/engine_set.hpp"
#include "engine/engine_waiters.hpp"
#include "engine/report_pass.hpp"
#include "capture/capture_options.hpp"
#include "engine/breakpoint_table.hpp"
#include "engine/thread_controller.hpp"
#include "engine/thread_engines.hpp"
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
  // The client's child, seized before its execve: silent until the exec, held there.
  bool hold_at_exec = false;
  // With hold_at_exec: the child installs a RET_TRACE filter for exactly `syscalls`.
  bool seccomp = false;
  utrace::proto::EventMask events;
  EngineMode mode = EngineMode::Async;
  bool concurrent = false;  // sync: asked at the pass start (Engine::concurrent)
  bool create = true;
  bool exclusive = false;
  std::string type;
  nlohmann::json data;
  bool match_type = false;
  bool match_data = false;
  std::optional<CaptureOptions> capture;  // argument memory in syscall and signal reports
};

struct AttachResult {
  EngineSetPtr engine;
  bool created = false;
  std::vector<pid_t> tids;  // the threads it is attached to
};

struct HubStats {
  std::uint64_t reports_sent = 0;
  std::uint64_t events_sent = 0;
  std::uint64_t stops = 0;
  std::uint64_t engines_attached = 0;
  std::uint64_t children_held = 0;
  std::uint64_t captures = 0;  // stops whose argument memory was captured (attach "capture")
};

class EngineHub : public StopSink {
 public:
  EngineHub(boost::asio::io_context& io, const Limits& limits);

  Tracer& tracer() { return controller_.tracer(); }
  const HubStats& stats() const { return stats_; }
  // Sync reports sent whose reply has not come yet (kept by the report passes).
  std::size_t reports_awaited() const { return reports_awaited_; }

  // Throws utrace::proto::RpcException (ESRCH, EPERM, EEXIST, ENOENT, EAGAIN, ...).
  AttachResult attach(ClientLink& client, const AttachRequest& req);
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
  // kStopComing: the engine holds the thread but its ptrace-stop has not been dispatched yet (a
  // LISTENing thread held by control stop re-traps at once): ask again after when_stopped().
  int examinable(ClientLink& client, std::uint64_t engine, pid_t tid, ThreadPtr* out);
  static constexpr int kStopComing = -1;
  // Calls retry (from the event loop) once the engine's thread has had its next stop or died.
  // One call per connection may wait (it holds a copy of its request, up to a whole line):
  // false when another one of the client's already waits, or there is no such engine.
  bool when_stopped(ClientLink& client, std::uint64_t engine, pid_t tid,
                    std::function<void()> retry);
  // Breakpoints (engine_hub_breakpoints.cpp). t: a thread of the engine's that it may examine.
  // 0, ESRCH, EINVAL (not a process engine), ENOENT (remove: none there) or the write's errno.
  int insert_breakpoint(ClientLink& client, std::uint64_t engine, const ThreadPtr& t,
                        std::uint64_t addr);
  int remove_breakpoint(ClientLink& client, std::uint64_t engine, const ThreadPtr& t,
                        std::uint64_t addr);
  // Memory as read_memory shows it (the original bytes under int3s) and as write_memory writes
  // it (int3s stay; the bytes written under them become their originals).
  void show_original(pid_t tgid, std::uint64_t addr, std::string& bytes) const;
  void write_through(pid_t tgid, std::uint64_t addr, std::string& bytes);

  // A client went away: detach all its engines (never leaving a thread stopped).
  void detach_client(ClientLink& client);
  std::vector<EngineSetPtr> engines_of(const ClientLink& client) const {
    return registry_.of(client);
  }
  std::size_t engine_count() const { return registry_.size(); }
  // Every engine on a thread of process tgid, from every client (for `who`).
  std::vector<EnginePtr> engines_on_process(pid_t tgid) const;

  // Detaches every engine and thread; done() once all threads are released (or after 2 s).
  void shutdown(std::function<void()> done);

  // StopSink
  void on_stop(const ThreadPtr& thread) override;
  void on_death(const ThreadPtr& thread, WaitStatus status) override;
  void on_rekey(const ThreadPtr& thread, pid_t former_tid) override;

 private:
  class PassLink;  // the PassHost of one thread's pass (engine_hub_pass.cpp)
  // What a stop asks of the engines: the pass to run, if any (engine_hub_stop.cpp).
  struct PassSpec {
    utrace::proto::EventKind event;
    utrace::proto::Report base;
    bool reverse = false;
    int signal = -1;
  };

  // attach (engine_hub_attach.cpp).
  // Seizes tid for client (or returns the thread if it is traced already), checked again after
  // the seize; throws RpcException.
  ThreadPtr seize_thread(const ClientLink& client, pid_t tid, bool exitkill);
  // hold_at_exec (engine_hub_exec_hold.cpp): throws unless tid is a one-thread process nobody
  // traces yet; then marks t silent until its exec, where set's engine holds it.
  void check_exec_hold_target(pid_t tid);
  void hold_until_exec(ClientLink& client, const EngineSetPtr& set, const ThreadPtr& t,
                       const AttachRequest& req);
  // Adds a member of `set` on thread t (utrace's attach: it joins at the next pass).
  EnginePtr add_member(const EngineSetPtr& set, const ThreadPtr& t, const AttachRequest& req);
  void attach_process(const EngineSetPtr& set, const AttachRequest& req, pid_t tgid);

  // Client operations (engine_hub.cpp).
  int control_one(const EnginePtr& e, utrace::proto::ResumeAction action);
  int detach_engine(const EnginePtr& e);
  void drop_engine(const EnginePtr& e);
  void drop_set(const EngineSetPtr& set);
  void send_notice(const EnginePtr& e, const char* reason, const std::string& message);
  void poll_shutdown();
  // Runs the thread's when_stopped() callers after the current handler (its stop handled).
  void fire_stop_waiters(TracedThread& t);
  // A client went away: its waiting examine call (and the request it holds) is dropped.
  void forget_parked_examine(std::uint64_t client);

  // Stops and restarts (engine_hub_stop.cpp).
  std::optional<PassSpec> describe_stop(const ThreadPtr& t, const ThreadPtr& child);
  // The one restart decision for a thread with no pass in progress.
  void settle(const ThreadPtr& t);
  void ensure_stop_mode(const ThreadPtr& t);
  // Some engine wants syscall stops that the thread's seccomp filter (if any) does not give.
  static bool needs_syscall_stops(const ThreadEngines& x);
  void reap(const ThreadPtr& t);

  // Report passes (engine_hub_pass.cpp).
  bool start_pass(const ThreadPtr& t, PassSpec spec, ThreadPtr held_child = nullptr);
  // Syscall and signal passes: the argument memory for the engines attached with `capture`.
  void add_capture(const ThreadPtr& t, ReportPass& pass);
  // Acts on a pass's progress: Done ends it (finish_pass).
  void advance(const ThreadPtr& t, ReportPass::Progress progress);
  void finish_pass(const ThreadPtr& t);
  void abandon_pass(const ThreadPtr& t);
  void resume_later(const ThreadPtr& t);
  void on_reply(const ThreadPtr& t, const EnginePtr& e, std::uint64_t token,
                std::optional<utrace::proto::ReportReply> reply);

  // Children, exec and exit holds (engine_hub_family.cpp).
  // A clone/fork/vfork stop of t: record the child (held) and attach the following engines.
  ThreadPtr adopt_child(const ThreadPtr& parent);
  void release_child(const ThreadPtr& child);
  // The thread exec'd: every engine whose client may no longer trace it (new credentials) is
  // taken away before anything can touch the new image (PROTOCOL.md "Security").
  void on_exec_credentials(const ThreadPtr& t);
  void watch_exit_hold(const ThreadPtr& t);
  void check_exit_hold(const ThreadPtr& t);
  static bool sibling_in_exec(const TracedThread& t);
  // Releases the exit-stop holds on t, with a notice "exec" to each holding engine.
  void release_exit_holds(const ThreadPtr& t);
  // t died while held in its exit stop: the holding engines are told why (a sibling's exec)
  // before its death. True when that takes a moment: report_death comes later.
  bool exit_hold_broken(const ThreadPtr& t, WaitStatus status);
  void report_death(const ThreadPtr& t, WaitStatus status);

  // Breakpoints (engine_hub_breakpoints.cpp).
  // A SIGTRAP from one of the engines' int3s: rip set back, the signal suppressed; true with
  // p a breakpoint pass for the owners, or true with p untouched when no owner covers t.
  bool breakpoint_trap(const ThreadPtr& t, PassSpec& p);
  // At every stop: a forked child's copy scrubbed, orphaned int3s restored, an int3 stepped
  // over put back. True when the stop is that step's trap (nobody's business: not reported).
  bool breakpoints_at_stop(const ThreadPtr& t);
  // Restarting a thread that is on an int3 (after a breakpoint pass, or one it must step
  // over): the original byte for one instruction (d becomes a single step), then the int3.
  void step_over_breakpoint(const ThreadPtr& t, RestartDecision& d);
  void restore_orphans(const ThreadPtr& t);
  // An engine gone: its int3s no one else owns are restored (now or at the next stop).
  void release_breakpoints(EngineSet& set);

  // hold_at_exec children (engine_hub_exec_hold.cpp): at the exec stop the engine takes its
  // hold (err 0); a death before it (err != 0) just ends the wait.
  void end_exec_hold(const ThreadPtr& t, int err);
  void forget_exec_holds(const ClientLink& client);

  boost::asio::io_context& io_;
  const Limits& limits_;
  ThreadController controller_;
  EngineRegistry registry_;
  EngineWaiters waiters_;
  // hold_at_exec engines whose child has not exec'd yet, by tid.
  struct ExecHold {
    EngineSetPtr engine;
    const ClientLink* client = nullptr;
  };
  std::unordered_map<pid_t, ExecHold> exec_holds_;
  // The thread each client's one waiting examine call waits on (when_stopped), by client id.
  std::unordered_map<std::uint64_t, std::weak_ptr<TracedThread>> parked_examine_;
  std::uint64_t next_token_ = 1;
  bool shutting_down_ = false;
  std::function<void()> shutdown_done_;
  std::chrono::steady_clock::time_point shutdown_deadline_;
  boost::asio::steady_timer shutdown_timer_;
  HubStats stats_;
  BreakpointTable breakpoints_;
  std::size_t reports_awaited_ = 0;  // ReportPass keeps it
};

}  // namespace utraced
