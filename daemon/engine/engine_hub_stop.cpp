// Stops of the EngineHub: what each stop means to the engines (the pass it starts), deaths and
// reaps, and the one restart decision after each stop (settle).
#include <signal.h>
#include <sys/ptrace.h>

#include <algorithm>
#include <cerrno>

#include "engine/engine_hub.hpp"
#include "engine/resume_policy.hpp"
#include "sys/names.hpp"
#include "sys/proc.hpp"
#include "sys/signal_class.hpp"
#include "util/check.hpp"
#include "util/clock_us.hpp"
#include "util/log.hpp"

namespace utraced {

using utrace::proto::EventKind;
using utrace::proto::Report;
using utrace::proto::ResumeAction;

namespace {
// A report's common fields, with the time of the thread's stop (a death: the time now).
Report base_report(const TracedThread& t) {
  Report r;
  r.tid = t.tid;
  r.pid = t.tgid;
  if (t.stopped() && t.stop.mono_us != 0) {
    r.time_us = t.stop.real_us;
    r.mono_us = t.stop.mono_us;
  } else {
    r.time_us = clock_us(CLOCK_REALTIME);
    r.mono_us = clock_us(CLOCK_MONOTONIC);
  }
  return r;
}
utrace::proto::SyscallInfo syscall_info(const StopEvent& s, bool with_args) {
  utrace::proto::SyscallInfo i{s.syscall_nr, names::syscall_name(s.syscall_nr), {}};
  if (with_args) i.args = s.args;
  return i;
}
}  // namespace

void EngineHub::on_stop(const ThreadPtr& t) {
  ++stats_.stops;
  fire_stop_waiters(*t);
  abandon_pass(t);
  auto& x = thread_engines(*t);
  if (x.want_exitkill && !t->exitkill) controller_.set_exitkill(t, true);
  if (t->stop.kind == StopKind::Exit) {
    // SIGKILL (and exit_group, exec) break every hold: a held thread only gets here when the
    // kernel took it out of its stop. Engines may hold it again by answering the exit report.
    for (auto& e : x.all()) e->hold = e->pending_stop = false;
  }
  x.deliver_signal = -1;
  if (t->stop.kind == StopKind::Exec) {
    // A new program: the int3s went with the old one.
    breakpoints_.drop_process(t->tgid);
    for (const auto& e : engines_on_process(t->tgid))
      if (e->set)
        std::erase_if(e->set->breakpoints, [&](const auto& b) { return b.first == t->tgid; });
  }
  // The trap of the daemon's own step over an int3 is nobody's business (but a control stop
  // sent meanwhile takes effect at it, below).
  const bool own_step_trap = breakpoints_at_stop(t);
  // Before anything else sees the new image: engines whose clients may not trace it now go.
  if (t->stop.kind == StopKind::Exec) on_exec_credentials(t);
  x.splice_attaching();
  if (x.birth == BirthState::BeforeExec) {
    // A client's child before its execve (hold_at_exec): nothing to report.
    if (t->stop.kind != StopKind::Exec) return settle(t);
    x.birth = BirthState::Traced;
  }
  // hold_at_exec: at the exec stop the engine takes its hold, and the exec is reported.
  if (t->stop.kind == StopKind::Exec) end_exec_hold(t, 0);
  // A clone/fork/vfork: the child is held until this stop's pass ends.
  ThreadPtr child = t->stop.kind == StopKind::Clone ? adopt_child(t) : nullptr;
  for (auto& e : x.engines)
    if (e->pending_stop) {
      // control(stop) said EINPROGRESS: the hold takes effect at this stop.
      e->pending_stop = false;
      e->hold = true;
    }
  if (!x.has_engines() && x.birth != BirthState::BirthHold) {
    // Last engine went away while the thread ran: settle lets it go (a group-stop stays
    // stopped; a thread under a RET_TRACE filter stays traced).
    if (child) release_child(child);
    if (t->stop.kind == StopKind::SignalDelivery) {
      PassSpec none{EventKind::Quiesce, base_report(*t)};
      breakpoint_trap(t, none);  // an int3 of its parent's (a vfork child): stepped over
    }
    return settle(t);
  }
  if (own_step_trap) return settle(t);
  auto spec = describe_stop(t, child);
  if (spec && start_pass(t, std::move(*spec), child)) return;
  if (child) release_child(child);
  settle(t);
}

std::optional<EngineHub::PassSpec> EngineHub::describe_stop(const ThreadPtr& t,
                                                            const ThreadPtr& child) {
  auto& x = thread_engines(*t);
  StopEvent& s = t->stop;
  PassSpec p{EventKind::Quiesce, base_report(*t)};
  Report& base = p.base;
  switch (s.kind) {
    case StopKind::Seccomp:
      if (!x.seccomp_set && !x.foreign_ret_trace) {
        x.foreign_ret_trace = true;
        log::engine().info("tid={}: runs under a SECCOMP_RET_TRACE filter (syscall {}): kept "
                           "traced while the daemon runs", t->tid, s.syscall_nr);
      }
      // The seccomp filter of a hold_at_exec child trapped a syscall some engine wants. In
      // PTRACE_SYSCALL mode its entry stop came first and was reported there.
      if (t->syscall_mode()) return std::nullopt;
      t->last_syscall_nr = s.syscall_nr;
      x.exit_stop_needed = std::any_of(x.engines.begin(), x.engines.end(), [&](auto& e) {
        return e->wants_event(EventKind::SyscallExit, s.syscall_nr);
      });
      [[fallthrough]];
    case StopKind::SyscallEntry:
      p.event = EventKind::SyscallEntry;
      p.reverse = true;  // the last engine attached is closest to user mode
      base.syscall = syscall_info(s, true);
      return p;
    case StopKind::SyscallExit:
      x.exit_stop_needed = false;
      if (x.aborted_retval) {
        // The engines see what the aborted syscall returns.
        controller_.set_return_value(t, *x.aborted_retval);
        s.retval = *x.aborted_retval;
        x.aborted_retval.reset();
      }
      p.event = EventKind::SyscallExit;
      base.syscall = syscall_info(s, false);
      base.retval = s.retval;
      return p;
    case StopKind::Exit:
      p.event = EventKind::Exit;
      base.status = static_cast<int>(s.event_msg);
      return p;
    case StopKind::Clone:
      p.event = EventKind::Clone;
      base.child = static_cast<int>(s.event_msg);
      base.child_pid = child ? child->tgid : base.child;
      base.clone = s.clone_kind == PTRACE_EVENT_FORK    ? "fork"
                   : s.clone_kind == PTRACE_EVENT_VFORK ? "vfork"
                   : child && child->tgid == t->tgid    ? "thread"
                                                        : "clone";
      return p;
    case StopKind::Exec:
      p.event = EventKind::Exec;
      if (s.event_msg != static_cast<unsigned long>(t->tid))
        base.former_tid = static_cast<int>(s.event_msg);
      base.path = proc::exe_path(t->tgid);
      return p;
    case StopKind::Interrupt:
      if (s.job_stopped) {
        // A LISTENing thread re-traps with SIGTRAP when SIGCONT ends its job-control stop.
        p.event = EventKind::Jctl;
        base.jctl = "continued";
        return p;
      }
      if (!x.report_requested) return std::nullopt;
      x.report_requested = false;
      return p;  // quiesce
    case StopKind::GroupStop:
      // First stop of a job-control stop (a LISTENing thread we interrupt re-traps here too).
      if (s.job_stopped) return std::nullopt;
      p.event = EventKind::Jctl;
      base.jctl = "stopped";
      base.signal = utrace::proto::SignalInfo{s.signo, names::signal_name(s.signo), 0};
      return p;
    case StopKind::SignalDelivery:
      if (breakpoint_trap(t, p)) {
        // An engine's int3: its owners only hear of it, and the SIGTRAP is never delivered.
        if (p.event == EventKind::Breakpoint) return p;
        return std::nullopt;
      }
      base.signal = utrace::proto::SignalInfo{s.signo, names::signal_name(s.signo), s.si_code};
      if (s.after_step && s.signo == SIGTRAP) {
        // The trap of a step the daemon made: reported like a SIGTRAP, marked `step` (not the
        // program's signal), never delivered unless an engine asks for it.
        p.event = EventKind::SignalCore;
        base.step = true;
        x.deliver_signal = p.signal = 0;
      } else {
        p.event = classify_signal(t->tid, s.signo);
        p.signal = s.signo;
      }
      return p;
    default:
      return std::nullopt;
  }
}

void EngineHub::on_death(const ThreadPtr& t, WaitStatus status) {
  // Any pass in flight is over: the thread is gone. Holds mean nothing now.
  fire_stop_waiters(*t);
  abandon_pass(t);
  // A hold on its exit stop broken by a sibling's exec is told first (then the death).
  if (exit_hold_broken(t, status)) return;
  report_death(t, status);
}

void EngineHub::report_death(const ThreadPtr& t, WaitStatus status) {
  auto& x = thread_engines(*t);
  if (x.birth == BirthState::BeforeExec) x.birth = BirthState::Traced;
  end_exec_hold(t, ECHILD);  // never reached its exec (if it waited): its death is reported
  x.splice_attaching();
  for (auto& e : x.engines) e->hold = e->pending_stop = false;
  PassSpec p{EventKind::Death, base_report(*t)};
  p.base.status = status.raw();
  if (status.type() == WaitStatus::Type::Exited) {
    p.base.exit_code = status.exit_code();
  } else {
    p.base.signal = utrace::proto::SignalInfo{status.fatal_signal(),
                                              names::signal_name(status.fatal_signal()), 0};
  }
  log::trace().debug("tid={}: died, {}", t->tid, status.str());
  if (start_pass(t, std::move(p))) return;
  reap(t);
}

void EngineHub::reap(const ThreadPtr& t) {
  auto& x = thread_engines(*t);
  if (breakpoints_.has_process(t->tgid)) {
    // The process's last traced thread gone: its memory (and int3s) with it.
    const auto threads = controller_.tracer().threads();
    if (std::none_of(threads.begin(), threads.end(), [&](const ThreadPtr& o) {
          return o != t && o->tgid == t->tgid && o->traced();
        }))
      breakpoints_.drop_process(t->tgid);
  }
  x.splice_attaching();
  auto engines = x.engines;
  Report base = base_report(*t);
  base.event = EventKind::Reap;
  base.seq = ++x.seq;
  for (auto& e : engines) {
    if (!e->attached()) continue;
    if (e->wants(EventKind::Reap) && !e->cancel_reap) {
      Report r = base;
      r.engine = e->id;
      // The engine's last thread: its id is gone for good after this.
      r.engine_gone = !e->set || (e->set->members.size() == 1 && e->set->members.count(t->tid));
      ++stats_.events_sent;
      e->client->send_event(r);
    }
    drop_engine(e);
  }
}

bool EngineHub::needs_syscall_stops(const ThreadEngines& x) {
  auto needs = [&](const EnginePtr& e) {
    if (!e->events.any_syscall()) return false;
    if (!x.seccomp_set || !e->syscalls) return true;
    return (*e->syscalls & ~*x.seccomp_set).any();  // some of its syscalls are not trapped
  };
  return std::any_of(x.engines.begin(), x.engines.end(), needs) ||
         std::any_of(x.attaching.begin(), x.attaching.end(), needs);
}

void EngineHub::ensure_stop_mode(const ThreadPtr& t) {
  // Syscall tracing can only be switched on at a stop: interrupt a running thread so that the
  // restart after the stop uses PTRACE_SYSCALL. Switching off is lazy.
  if (t->state() == ThreadState::Running && !t->syscall_mode() &&
      needs_syscall_stops(thread_engines(*t)))
    controller_.interrupt(t);
}

void EngineHub::settle(const ThreadPtr& t) {
  auto& x = thread_engines(*t);
  if (x.pass) return;  // the pass decides when it ends
  if (!t->traced()) return;
  if (!t->stopped()) {
    // No engines left: stop it so that it can be detached (on_stop does that).
    if (!x.has_engines() && x.birth != BirthState::BirthHold && !x.seccomp_set &&
        !(x.foreign_ret_trace && !shutting_down_) && !x.shares_breakpoints_of &&
        controller_.find(t->tid) == t)
      controller_.interrupt(t);
    ensure_stop_mode(t);
    return;
  }
  RestartInput in;
  in.stop = t->stop.kind;
  in.signal = t->stop.kind != StopKind::SignalDelivery ? 0
              : x.deliver_signal >= 0                 ? x.deliver_signal
                                                      : t->stop.signo;
  in.final_action = x.step_request;
  // A new child waiting for its parent's clone pass is held like a thread with a STOP engine.
  in.has_engines = x.has_engines() || x.birth == BirthState::BirthHold;
  in.any_hold = x.held();
  in.report_requested = x.report_requested;
  in.want_syscalls = needs_syscall_stops(x) || x.aborted_retval.has_value() || x.exit_stop_needed;
  RestartDecision d = decide_restart(in);
  if (d.kind == RestartKind::ReportFirst) {
    x.report_requested = false;
    PassSpec p{EventKind::Quiesce, base_report(*t)};
    if (t->stop.kind == StopKind::SyscallEntry) {
      // utrace's UTRACE_SYSCALL_RESUMED: released at syscall entry with a report asked for, the
      // entry pass runs again, with the arguments as they are now (an engine may have changed
      // them while it held the thread).
      controller_.reread_syscall(t);
      p.event = EventKind::SyscallEntry;
      p.reverse = true;
      p.base.syscall = syscall_info(t->stop, true);
      p.base.resumed = true;
    }
    if (start_pass(t, std::move(p))) return;
    return settle(t);
  }
  if (d.kind == RestartKind::Hold) {
    log::engine().debug("tid={}: held stopped", t->tid);
    waiters_.wake_stopped(*t);
    if (t->stop.kind == StopKind::Exit) watch_exit_hold(t);
    return;
  }
  if (x.birth == BirthState::BeforeExec && d.kind == RestartKind::Syscall)
    d.kind = RestartKind::Cont;  // silent until its exec
  step_over_breakpoint(t, d);  // resumed on an int3: one instruction under the original byte
  if (d.kind == RestartKind::Detach && x.shares_breakpoints_of && !shutting_down_)
    d.kind = t->stop.kind == StopKind::GroupStop ? RestartKind::Listen : RestartKind::Cont;
  const bool ret_trace = x.seccomp_set || (x.foreign_ret_trace && !shutting_down_);
  if (d.kind == RestartKind::Detach && ret_trace) {
    // Never detach a thread under a RET_TRACE filter (its trapped syscalls would fail with
    // ENOSYS): it stays traced, unreported, until it exits.
    d.kind = t->stop.kind == StopKind::GroupStop ? RestartKind::Listen : RestartKind::Cont;
  }
  x.step_request = ResumeAction::Resume;
  controller_.restart(t, d);
}

}  // namespace utraced
