// TracedThread: the daemon's record of one seized thread, with its engines and its state
// machine. State changes go through set_state(), which checks and logs them.
#pragma once

#include <sched.h>
#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include <boost/asio/steady_timer.hpp>

#include "engine/engine.hpp"
#include "trace/stop_event.hpp"
#include "utrace/proto/actions.hpp"
#include "utrace/proto/report.hpp"
#include "utrace/proto/report_line.hpp"

namespace utraced {

enum class ThreadState {
  Running,    // seized and executing (or blocked in a syscall); not in a ptrace-stop
  Stopped,    // in a ptrace-stop; `stop` describes it; only here may ptrace requests be made
  Listening,  // group-stopped and restarted with PTRACE_LISTEN: not running, not ptrace-stopped
  Dead,       // its death status was collected; death/reap reports are being delivered
};

std::string_view to_string(ThreadState s);

struct TracedThread;

// A sync report in flight in a pass: sent, its reply not applied yet.
struct ReportInFlight {
  EnginePtr engine;
  bool answered = false;                      // the reply came (or its timeout passed)
  bool hold_applied = false;  // the engine's hold took the reply when it came (PROTOCOL.md)
  std::optional<utrace::proto::ReportReply> reply;  // nullopt: no usable reply, resume
  std::shared_ptr<boost::asio::steady_timer> timer;  // the engine's report timeout, if any
};

// One report pass over the thread's engines (utrace's REPORT_CALLBACKS). Replies are applied
// one engine at a time in report order; concurrent sync engines are asked at the pass start
// and their replies wait for their turn.
struct ReportPass {
  std::uint64_t token = 0;  // identifies the pass; stale replies carry an older token
  utrace::proto::EventKind event = utrace::proto::EventKind::Quiesce;
  std::vector<EnginePtr> order;  // engines to visit, in report order
  std::size_t next = 0;
  utrace::proto::ResumeAction combined = utrace::proto::ResumeAction::Resume;
  utrace::proto::Report base;  // event details; engine and action are filled per report
  // The engine at the cursor the pass waits for: its sync reply, or its output to drain.
  EnginePtr waiting_on;
  std::vector<ReportInFlight> in_flight;  // sync reports sent and not yet applied
  utrace::proto::EventLineCache event_lines;  // the pass's event lines, encoded once
  // Signal passes: the disposition so far (0 ignore, n deliver n); -1 outside signal passes.
  int signal = -1;
  bool abort = false;                  // syscall_entry: skip the syscall (last engine wins)
  std::optional<std::int64_t> retval;  // abort's return value / exit's new return value
  // clone passes: the new child, held at its first stop until this pass ends
  std::shared_ptr<TracedThread> held_child;

  ReportInFlight* find(const Engine* e) {
    for (auto& f : in_flight)
      if (f.engine.get() == e) return &f;
    return nullptr;
  }
  // Forgets e's report (its reply will not count); false if none was in flight.
  bool forget(const Engine* e) {
    for (auto it = in_flight.begin(); it != in_flight.end(); ++it)
      if (it->engine.get() == e) {
        if (it->timer) it->timer->cancel();
        in_flight.erase(it);
        return true;
      }
    return false;
  }
};

struct TracedThread {
  TracedThread(pid_t tid_, pid_t tgid_) : tid(tid_), tgid(tgid_) {}

  pid_t tid;
  pid_t tgid;
  ThreadState state = ThreadState::Running;
  StopEvent stop;                 // valid while Stopped
  bool interrupt_sent = false;    // a PTRACE_INTERRUPT whose EVENT_STOP has not been seen yet
  bool syscall_mode = false;      // last restarted with PTRACE_SYSCALL
  bool report_requested = false;  // control(report/interrupt): run a quiesce pass before resuming
  // Signal to restart a signal-delivery stop with, as decided by a signal pass (-1: undecided,
  // deliver the stop's own signal; 0: suppress it).
  int deliver_signal = -1;
  // A step requested (control or a pass's combined action) for the next restart.
  utrace::proto::ResumeAction step_request = utrace::proto::ResumeAction::Resume;
  bool stepping = false;
  bool group_stopped = false;  // in a job-control stop (reported as jctl "stopped")
  // A new child (auto-attached by the kernel) held at its first stop until its parent's clone
  // report pass ends, so that engines can attach to it before it runs an instruction.
  bool birth_hold = false;
  // PTRACE_O_EXITKILL asked for by an engine (dies with the daemon); `exitkill` once it is set.
  // Options only change in a stop; it stays set until the thread is detached.
  bool want_exitkill = false;
  bool exitkill = false;
  // Launched under a seccomp filter that traps (SECCOMP_RET_TRACE) these syscalls. Such a
  // thread is never detached: without a tracer its trapped syscalls would fail with ENOSYS.
  std::shared_ptr<const SyscallSet> seccomp_set;
  // A seccomp stop was reported and an engine wants this syscall's exit: restart with
  // PTRACE_SYSCALL once to see it.
  bool exit_stop_needed = false;
  // Started by `launch` and not yet through its execve: restarted silently, no reports.
  bool prelaunch = false;
  // Its CPU affinity from before the daemon pinned it (AffinityPolicy); put back at detach.
  std::shared_ptr<const cpu_set_t> saved_affinity;
  // Held in its exit stop: polls whether a sibling's exec waits for it (exit hold policy).
  std::shared_ptr<boost::asio::steady_timer> exit_watch;
  // The syscall entered was aborted: at its exit stop, make it return this.
  std::optional<std::int64_t> aborted_retval;  // restarted with a step: its SIGTRAP is the daemon's, not the program's
  std::int64_t last_syscall_nr = -1;  // nr seen at the last syscall entry, for the exit report
  std::uint64_t seq = 0;          // events reported on this thread
  std::vector<EnginePtr> engines;    // attached, in attach order
  std::vector<EnginePtr> attaching;  // attached during a pass: join at the next pass
  std::unique_ptr<ReportPass> pass;  // the pass in progress, if any

  void set_state(ThreadState next);
  bool has_engines() const { return !engines.empty() || !attaching.empty(); }
  bool any_hold() const;
  utrace::proto::EventMask event_union() const;
  // Moves `attaching` engines to the tail of `engines` (start of a pass).
  void splice_attaching();
  // Removes e from both lists. Returns false if it was in neither.
  bool remove_engine(const EnginePtr& e);
};

using ThreadPtr = std::shared_ptr<TracedThread>;

}  // namespace utraced
