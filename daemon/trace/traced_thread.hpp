// TracedThread: the tracer's record of one seized thread and its ptrace state machine. Every
// state is named (no booleans standing in for sub-states) and changes only through
// set_state(), which asserts that the transition is one of those listed in traced_thread.cpp.
// What the engine layer keeps per thread (engines, report pass, holds) is not here: it hangs
// off `ext`, which the tracer never looks into (trace/ does not include engine/).
#pragma once

#include <sched.h>
#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string_view>

#include "trace/restart.hpp"
#include "trace/stop_event.hpp"

namespace utraced {

enum class ThreadState {
  Newborn,             // auto-attached child (clone/fork/vfork): its first stop is on its way
  Running,             // restarted with PTRACE_CONT or PTRACE_SYSCALL
  Stepping,            // restarted with PTRACE_SINGLESTEP / PTRACE_SINGLEBLOCK
  Interrupting,        // running, PTRACE_INTERRUPT sent, its stop not seen yet
  Stopped,             // in a ptrace-stop (`stop` says which): the only state for requests
  Listening,           // group-stopped, restarted with PTRACE_LISTEN: stopped, not ptrace-stopped
  ListenInterrupting,  // Listening, and PTRACE_INTERRUPT sent: re-traps at once
  Detached,            // let go alive (PTRACE_DETACH): no longer ours; final
  Dead,                // its death status was collected (or it vanished in an exec); final
};

std::string_view to_string(ThreadState s);
// The transitions set_state() accepts (the table in traced_thread.cpp).
bool legal_transition(ThreadState from, ThreadState to);

// The engine layer's per-thread record derives from this; the tracer only owns it.
struct ThreadExtension {
  virtual ~ThreadExtension() = default;
};

struct TracedThread {
  TracedThread(pid_t tid_, pid_t tgid_, ThreadState initial) : tid(tid_), tgid(tgid_), state_(initial) {}

  pid_t tid;
  pid_t tgid;
  StopEvent stop;             // valid while Stopped
  // How it was last restarted (Syscall: its syscall stops come; a step: its next SIGTRAP is
  // the step's). Kept through an interrupt, unlike the state.
  RestartKind restarted_with = RestartKind::Cont;
  bool syscall_mode() const { return restarted_with == RestartKind::Syscall; }
  bool exitkill = false;      // PTRACE_O_EXITKILL is set (options change only in a stop)
  std::int64_t last_syscall_nr = -1;  // nr seen at the last syscall entry, for its exit stop
  // Its CPU affinity from before the daemon pinned it (AffinityPolicy); put back at detach.
  std::shared_ptr<const cpu_set_t> saved_affinity;
  std::unique_ptr<ThreadExtension> ext;  // the engine layer's record (ThreadEngines)

  ThreadState state() const { return state_; }
  // Asserts legal_transition(state(), next) (util/check.hpp: aborts on an illegal one).
  void set_state(ThreadState next);
  bool stopped() const { return state_ == ThreadState::Stopped; }
  bool dead() const { return state_ == ThreadState::Dead; }
  // Still ours and alive: not Detached or Dead.
  bool traced() const { return state_ != ThreadState::Detached && state_ != ThreadState::Dead; }
  // A stop is on its way that nobody must ask for again (PTRACE_INTERRUPT sent, or a newborn).
  bool stop_coming() const {
    return state_ == ThreadState::Interrupting || state_ == ThreadState::ListenInterrupting ||
           state_ == ThreadState::Newborn;
  }
  // In a job-control stop the kernel keeps (LISTENing, perhaps being interrupted).
  bool job_stopped() const {
    return state_ == ThreadState::Listening || state_ == ThreadState::ListenInterrupting;
  }

 private:
  ThreadState state_;
};

using ThreadPtr = std::shared_ptr<TracedThread>;

}  // namespace utraced
