// Tracer: the table of seized threads and every ptrace request made on them. It turns wait
// statuses into StopEvents and hands them to a StopSink (the engine layer), and carries out the
// restart decisions the sink makes. Runs on the daemon's one tracer thread.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <unordered_map>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "trace/affinity_policy.hpp"
#include "trace/restart.hpp"
#include "trace/traced_thread.hpp"
#include "trace/wait_status.hpp"

namespace utraced {

class StopSink {
 public:
  virtual ~StopSink() = default;
  // The thread entered a ptrace-stop described by thread->stop.
  virtual void on_stop(const ThreadPtr& thread) = 0;
  // The thread is dead (its status was collected); it is no longer in the table.
  virtual void on_death(const ThreadPtr& thread, WaitStatus status) = 0;
  // A non-leader exec'd: `thread` (formerly former_tid) now has the leader's tid.
  virtual void on_rekey(const ThreadPtr& thread, pid_t former_tid) = 0;
};

class Tracer {
 public:
  Tracer(StopSink& sink, boost::asio::io_context& io) : sink_(sink), sweep_timer_(io) {}

  // PTRACE_SEIZE. On success *out is the new Running thread. Returns 0 or an errno.
  int seize(pid_t tid, pid_t tgid, ThreadPtr* out, bool exitkill = false);
  // Takes a child the kernel attached (TRACECLONE/FORK/VFORK) into the table; it is on its way
  // to its first stop. A status it reported before its parent's event is replayed by
  // replay_unclaimed().
  // The kernel copied the parent's (pinned) affinity: the child's own is the parent's saved one.
  ThreadPtr adopt(pid_t tid, pid_t tgid, const ThreadPtr& parent = nullptr);
  // A program the daemon started: it inherited the daemon's pinned affinity, and gets the
  // daemon's original one back when let go.
  void set_affinity(AffinityPolicy policy) { affinity_ = std::move(policy); }
  void replay_unclaimed(pid_t tid);
  ThreadPtr find(pid_t tid) const;
  std::vector<ThreadPtr> threads() const;
  std::size_t size() const { return threads_.size(); }

  // From the Reaper.
  void on_wait(pid_t tid, WaitStatus status);

  // Carries out a decision for a Stopped thread. Hold and ReportFirst do nothing here.
  void restart(const ThreadPtr& thread, RestartDecision decision);
  // PTRACE_INTERRUPT a running or LISTENing thread (once: not when a stop is coming already).
  void interrupt(const ThreadPtr& thread);


 private:
  void fill_stop(const ThreadPtr& thread, WaitStatus status);
  void on_unknown(pid_t tid, WaitStatus status);
  // EVENT_EXEC under tid from former: the old leader's record dies, former's takes its tid.
  void rekey_exec(pid_t tid, pid_t former);
  // Detaches children whose parent event never came (the parent was killed first).
  void sweep_unclaimed();
  // A thread restarted from its exit stop normally reports its death at once. A thread group
  // leader whose process is exec'd by a thread the daemon does not trace vanishes instead (the
  // exec'ing thread takes its tid, untraced): no status ever comes. Until its death is
  // collected, check now and then that the tid still names our tracee; if not, it is dead.
  void watch_vanish(const ThreadPtr& thread, int round = 0);

  struct Unclaimed {
    WaitStatus status;
    std::chrono::steady_clock::time_point seen;
  };

  StopSink& sink_;
  std::unordered_map<pid_t, ThreadPtr> threads_;
  // Statuses of tids not in the table: children whose parent's clone event has not been seen.
  std::unordered_map<pid_t, Unclaimed> unclaimed_;
  boost::asio::steady_timer sweep_timer_;
  bool sweep_armed_ = false;
  AffinityPolicy affinity_;
};

}  // namespace utraced
