// ThreadEngines: the engine layer's record of one traced thread (it hangs off TracedThread::ext,
// which the tracer never looks into): its engines in attach order, the report pass in
// progress, and what engines asked of its next restart.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include <boost/asio/steady_timer.hpp>

#include "capture/syscall_capture.hpp"
#include "engine/engine.hpp"
#include "engine/report_pass.hpp"
#include "trace/traced_thread.hpp"
#include "utrace/proto/actions.hpp"
#include "utrace/proto/events.hpp"

namespace utraced {

// Why the engine layer keeps a thread that no engine may hold (a named state, not flags).
enum class BirthState {
  Traced,     // an ordinary traced thread
  BeforeExec,  // hold_at_exec: not yet through its execve: restarted silently, no reports
  BirthHold,  // a new child held at its first stop until its parent's clone pass ends
};

struct ThreadEngines : ThreadExtension {
  std::vector<EnginePtr> engines;    // attached, in attach order
  std::vector<EnginePtr> attaching;  // attached during a pass: join at the next pass
  std::unique_ptr<ReportPass> pass;  // the pass in progress, if any
  BirthState birth = BirthState::Traced;
  bool report_requested = false;  // control(report/interrupt): a quiesce pass before resuming
  // Signal to restart a signal-delivery stop with, as decided by a signal pass (-1: undecided,
  // deliver the stop's own signal; 0: suppress it).
  int deliver_signal = -1;
  // A step requested (control or a pass's combined action) for the next restart.
  utrace::proto::ResumeAction step_request = utrace::proto::ResumeAction::Resume;
  bool want_exitkill = false;  // an engine asked for PTRACE_O_EXITKILL (set at the next stop)
  // Under a seccomp filter (attach "seccomp") that traps (SECCOMP_RET_TRACE) these syscalls. Such a
  // thread is never detached: without a tracer its trapped syscalls would fail with ENOSYS.
  std::shared_ptr<const SyscallSet> seccomp_set;
  // A seccomp stop came without seccomp_set: a RET_TRACE filter someone else installed. Its
  // trapped syscalls would fail with ENOSYS once detached, so it stays traced, silently, while
  // the daemon runs (at shutdown it is detached: it is not exitkill).
  bool foreign_ret_trace = false;
  // A seccomp stop was reported and an engine wants this syscall's exit: restart with
  // PTRACE_SYSCALL once to see it.
  bool exit_stop_needed = false;
  // The syscall entered was aborted: at its exit stop, make it return this.
  std::optional<std::int64_t> aborted_retval;
  // Held in its exit stop: polls whether a sibling's exec waits for it (exit hold policy).
  std::shared_ptr<boost::asio::steady_timer> exit_watch;
  std::uint64_t seq = 0;  // events reported on this thread
  // A forked child of a process with breakpoints: at its first stop, the original bytes go back
  // into its copy of the parent's memory (the parent's tgid; 0: nothing to do).
  pid_t scrub_breakpoints_of = 0;
  // A vfork child of a process with breakpoints: it runs in its parent's memory, int3s
  // included, until its exec or exit. It is kept traced (silently, with no engine) so that an
  // int3 it runs into is stepped over instead of killing it; its breakpoints are its parent's.
  pid_t shares_breakpoints_of = 0;
  // Stepping over an int3 (breakpoint_trap): its original byte is in place for one
  // instruction; at the next stop the int3 goes back (0: none).
  std::uint64_t step_over = 0;
  // The step over that int3 was asked for by an engine too (its trap is then reported).
  bool step_over_asked = false;
  // Stopped at this engine breakpoint (a breakpoint pass ran): resumed there with the int3
  // still in place, it is stepped over rather than trapping again (0: not at one).
  std::uint64_t at_breakpoint = 0;
  // The syscall entered last, as captured for engines with `capture` (its exit needs it).
  SyscallCapture capture;
  // Client calls waiting for this thread's next stop (EngineHub::when_stopped), by client id.
  std::vector<std::pair<std::uint64_t, std::function<void()>>> stop_waiters;

  bool has_engines() const { return !engines.empty() || !attaching.empty(); }
  // Kept stopped: an engine holds it, or it is a newborn waiting for its parent's pass.
  bool held() const { return birth == BirthState::BirthHold || any_hold(); }
  bool any_hold() const;
  // Moves `attaching` engines to the tail of `engines` (start of a pass).
  void splice_attaching();
  // Removes e from both lists. Returns false if it was in neither.
  bool remove_engine(const EnginePtr& e);
  // Both lists, engines first.
  std::vector<EnginePtr> all() const;
};

// The record of t (created on first use).
ThreadEngines& thread_engines(TracedThread& t);
// A sync report to e is in flight (sent, its reply not yet applied): derived from the pass.
bool reporting(const Engine& e);

}  // namespace utraced
