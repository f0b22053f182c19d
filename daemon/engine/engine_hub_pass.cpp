// Report passes of the EngineHub: from a stop (or a death) to reports, one engine at a time,
// then one restart decision (utrace-semantics.md section 4.1).
#include <signal.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <cerrno>

#include "engine/engine_hub.hpp"
#include <sys/ptrace.h>

#include "sys/names.hpp"
#include "sys/proc.hpp"
#include "trace/ptrace.hpp"
#include "sys/signal_class.hpp"
#include "trace/examine.hpp"
#include "util/log.hpp"

namespace utraced {

using utrace::proto::EventKind;
using utrace::proto::Report;
using utrace::proto::ReportReply;
using utrace::proto::ResumeAction;

Report EngineHub::base_report(const ThreadPtr& t) const {
  Report r;
  r.tid = t->tid;
  r.pid = t->tgid;
  return r;
}

void EngineHub::abandon_pass(const ThreadPtr& t) {
  if (!t->pass) return;
  // The thread left the stop without us (SIGKILL): the replies still owed mean nothing now.
  for (auto& e : t->pass->order) e->reporting = false;
  forget_reports(*t->pass);
  auto child = std::move(t->pass->held_child);
  auto w = t->pass->waiting_on;
  t->pass.reset();
  if (w && w->set) check_barriers(w->set);
  if (child) release_child(child);
}

void EngineHub::on_stop(const ThreadPtr& t) {
  ++stats_.stops;
  abandon_pass(t);
  if (t->want_exitkill && !t->exitkill && ptrace_ops::set_options(t->tid, true) == 0)
    t->exitkill = true;
  if (t->stop.kind == StopKind::Exit) {
    // SIGKILL (and exit_group, exec) break every hold: a held thread only gets here when the
    // kernel took it out of its stop. Engines may hold it again by answering the exit report.
    for (auto& e : t->engines) e->hold = e->pending_stop = false;
    for (auto& e : t->attaching) e->hold = e->pending_stop = false;
  }
  t->deliver_signal = -1;
  const bool step_trap = t->stepping && t->stop.kind == StopKind::SignalDelivery &&
                         t->stop.signo == SIGTRAP;
  t->stepping = false;
  // Before anything else sees the new image: engines whose clients may not trace it now go.
  if (t->stop.kind == StopKind::Exec) on_exec_credentials(t);
  t->splice_attaching();
  if (t->prelaunch) {
    // A launched program before its execve: nothing to report; at the exec stop the launch
    // engine takes its hold and the exec is reported.
    if (t->stop.kind != StopKind::Exec) return settle(t);
    t->prelaunch = false;
    finish_launch(t, 0);
  }
  // A clone/fork/vfork: the child is held until this stop's pass ends.
  ThreadPtr child = t->stop.kind == StopKind::Clone ? adopt_child(t) : nullptr;
  for (auto& e : t->engines)
    if (e->pending_stop) {
      // control(stop) said EINPROGRESS: the hold takes effect at this stop.
      e->pending_stop = false;
      e->hold = true;
    }
  if (!t->has_engines() && !t->birth_hold) {
    // Last engine went away while the thread ran: settle lets it go (a group-stop stays
    // stopped; a thread under a RET_TRACE filter stays traced).
    if (child) release_child(child);
    return settle(t);
  }
  const StopEvent& s = t->stop;
  Report base = base_report(t);
  std::optional<EventKind> event;
  bool reverse = false;
  int signal = -1;
  switch (s.kind) {
    case StopKind::Seccomp:
      // The seccomp filter of a launched program trapped a syscall some engine wants. In
      // PTRACE_SYSCALL mode its entry stop came first and was reported there.
      if (t->syscall_mode) break;
      t->last_syscall_nr = s.syscall_nr;
      t->exit_stop_needed = false;
      for (auto* list : {&t->engines, &t->attaching})
        for (auto& e : *list)
          if (wants_event(*e, EventKind::SyscallExit, s.syscall_nr)) t->exit_stop_needed = true;
      [[fallthrough]];
    case StopKind::SyscallEntry:
      event = EventKind::SyscallEntry;
      reverse = true;  // the last engine attached is closest to user mode
      base.syscall = utrace::proto::SyscallInfo{s.syscall_nr, names::syscall_name(s.syscall_nr),
                                                s.args};
      break;
    case StopKind::SyscallExit:
      t->exit_stop_needed = false;
      if (t->aborted_retval) {
        // The engines see what the aborted syscall returns.
        examine::set_return_value(t->tid, *t->aborted_retval);
        t->stop.retval = *t->aborted_retval;  // s is t->stop
        t->aborted_retval.reset();
      }
      event = EventKind::SyscallExit;
      base.syscall = utrace::proto::SyscallInfo{s.syscall_nr, names::syscall_name(s.syscall_nr), {}};
      base.retval = s.retval;
      break;
    case StopKind::Exit:
      event = EventKind::Exit;
      base.status = static_cast<int>(s.event_msg);
      break;
    case StopKind::Clone:
      event = EventKind::Clone;
      base.child = static_cast<int>(s.event_msg);
      base.child_pid = child ? child->tgid : base.child;
      base.clone = s.clone_kind == PTRACE_EVENT_FORK    ? "fork"
                   : s.clone_kind == PTRACE_EVENT_VFORK ? "vfork"
                   : child && child->tgid == t->tgid    ? "thread"
                                                        : "clone";
      break;
    case StopKind::Exec:
      event = EventKind::Exec;
      if (s.event_msg != static_cast<unsigned long>(t->tid))
        base.former_tid = static_cast<int>(s.event_msg);
      base.path = proc::exe_path(t->tgid);
      break;
    case StopKind::Interrupt:
      if (t->group_stopped) {
        // A LISTENing thread re-traps with SIGTRAP when SIGCONT ends its job-control stop.
        t->group_stopped = false;
        event = EventKind::Jctl;
        base.jctl = "continued";
      } else if (t->report_requested) {
        t->report_requested = false;
        event = EventKind::Quiesce;
      }
      break;
    case StopKind::GroupStop:
      if (!t->group_stopped) {
        // First stop of a job-control stop (a LISTENing thread we interrupt re-traps here too).
        t->group_stopped = true;
        event = EventKind::Jctl;
        base.jctl = "stopped";
        base.signal = utrace::proto::SignalInfo{s.signo, names::signal_name(s.signo), 0};
      }
      break;
    case StopKind::SignalDelivery:
      base.signal = utrace::proto::SignalInfo{s.signo, names::signal_name(s.signo), s.si_code};
      if (step_trap) {
        // The trap of a step the daemon made: reported like a SIGTRAP, never delivered unless
        // an engine asks for it.
        event = EventKind::SignalCore;
        t->deliver_signal = signal = 0;
      } else {
        event = classify_signal(t->tid, s.signo);
        signal = s.signo;
      }
      break;
    default:
      break;
  }
  if (event && start_pass(t, *event, base, reverse, signal, child)) return;
  if (child) release_child(child);
  settle(t);
}

bool EngineHub::wants_event(const Engine& e, EventKind event, std::int64_t nr) {
  const bool syscall = event == EventKind::SyscallEntry || event == EventKind::SyscallExit;
  return e.wants(event) && (!syscall || e.wants_syscall(nr));
}

bool EngineHub::interested(const Engine& e, EventKind event, std::int64_t nr) {
  // Quiesce engines hear of every event but reap (utrace's report_quiesce before each one).
  return wants_event(e, event, nr) || (event != EventKind::Reap && e.wants(EventKind::Quiesce));
}

bool EngineHub::needs_syscall_stops(const TracedThread& t) {
  auto needs = [&](const EnginePtr& e) {
    if (!e->events.any_syscall()) return false;
    if (!t.seccomp_set || !e->syscalls) return true;
    return (*e->syscalls & ~*t.seccomp_set).any();  // some of its syscalls are not trapped
  };
  return std::any_of(t.engines.begin(), t.engines.end(), needs) ||
         std::any_of(t.attaching.begin(), t.attaching.end(), needs);
}

bool EngineHub::start_pass(const ThreadPtr& t, EventKind event, const Report& base, bool reverse,
                           int signal, ThreadPtr held_child) {
  t->splice_attaching();
  bool any = false;
  const std::int64_t nr = base.syscall ? base.syscall->nr : -1;
  for (auto& e : t->engines) any = any || interested(*e, event, nr);
  if (!any) return false;
  auto p = std::make_unique<ReportPass>();
  p->signal = signal;
  p->token = next_token_++;
  p->event = event;
  p->order = t->engines;
  if (reverse) std::reverse(p->order.begin(), p->order.end());
  p->base = base;
  p->base.event = event;
  p->base.seq = ++t->seq;
  p->held_child = std::move(held_child);
  t->pass = std::move(p);
  ask_concurrent(t);
  step(t);
  return true;
}

void EngineHub::ask_concurrent(const ThreadPtr& t) {
  ReportPass& p = *t->pass;
  if (p.event == EventKind::Reap) return;
  const std::int64_t nr = p.base.syscall ? p.base.syscall->nr : -1;
  // What the engines before each one decided when the pass started: STOP if one holds.
  ResumeAction before = ResumeAction::Resume;
  for (auto& e : p.order) {
    if (!e->attached()) continue;
    if (e->hold) before = ResumeAction::Stop;
    if (e->mode != EngineMode::Sync || !e->concurrent || !interested(*e, p.event, nr)) continue;
    send_sync_report(t, e, before);
  }
}

Report EngineHub::report_for(const ReportPass& p, const Engine& e, ResumeAction action) {
  Report r = p.base;
  r.engine = e.id;
  r.action = action;
  const std::int64_t nr = p.base.syscall ? p.base.syscall->nr : -1;
  if (!wants_event(e, p.event, nr)) {
    r.event = EventKind::Quiesce;  // a quiesce engine that did not ask for this event
    r.for_event = p.event;
  }
  return r;
}

void EngineHub::send_sync_report(const ThreadPtr& t, const EnginePtr& e, ResumeAction action) {
  ReportPass& p = *t->pass;
  const Report r = report_for(p, *e, action);
  wake_waiters(e, "report");
  ++stats_.reports_sent;
  e->reporting = true;
  ReportInFlight f;
  f.engine = e;
  const auto token = p.token;
  std::weak_ptr<TracedThread> wt = t;
  std::weak_ptr<Engine> we = e;
  if (e->report_timeout.count() > 0) {
    f.timer = std::make_shared<boost::asio::steady_timer>(io_, e->report_timeout);
    f.timer->async_wait([this, wt, we, token](const boost::system::error_code& ec) {
      auto t2 = wt.lock();
      auto e2 = we.lock();
      if (ec || !t2 || !e2) return;
      log::engine().warn("engine {}: no reply within {} ms, applying the default action",
                         e2->id, e2->report_timeout.count());
      on_reply(t2, e2, token, std::nullopt);
    });
  }
  p.in_flight.push_back(std::move(f));
  ++reports_awaited_;
  e->client->send_report(r, [this, wt, we, token](std::optional<ReportReply> reply) {
    auto t2 = wt.lock();
    auto e2 = we.lock();
    if (t2 && e2) on_reply(t2, e2, token, reply);
  });
}

void EngineHub::step(const ThreadPtr& t) {
  ReportPass& p = *t->pass;
  while (p.next < p.order.size()) {
    EnginePtr e = p.order[p.next++];
    if (!e->attached()) continue;
    if (e->hold) p.combined = ResumeAction::Stop;  // a held engine forces STOP on the pass
    if (ReportInFlight* f = p.find(e.get())) {
      // Asked at the pass start (concurrent): its reply is applied now, in its turn.
      if (!f->answered) {
        --p.next;
        p.waiting_on = e;
        return;
      }
      auto reply = std::move(f->reply);
      const bool hold_applied = f->hold_applied;
      p.forget(e.get());
      finish_report(t, e, reply, hold_applied);
      continue;
    }
    const std::int64_t nr = p.base.syscall ? p.base.syscall->nr : -1;
    if (!interested(*e, p.event, nr)) continue;  // re-read: set_events may have cleared it
    // Reap is always a notification: there is nothing left to decide.
    if (e->mode == EngineMode::Async || p.event == EventKind::Reap) {
      if (e->client->backlogged() && p.event != EventKind::Reap) {
        // The client is not reading: wait for its output to drain rather than queue without
        // bound. Only threads this client traces wait; nothing is dropped.
        --p.next;
        p.waiting_on = e;
        const auto token = p.token;
        std::weak_ptr<TracedThread> wt = t;
        e->client->on_drained([this, wt, token] {
          auto t2 = wt.lock();
          if (t2 && t2->pass && t2->pass->token == token && t2->pass->waiting_on) {
            t2->pass->waiting_on = nullptr;
            step(t2);
          }
        });
        return;
      }
      wake_waiters(e, "report");
      ++stats_.events_sent;
      e->client->send_event(report_for(p, *e, p.combined), &p.event_lines);
      // An async engine keeps whatever hold it has; its standing action is resume.
      ReportReply standing;
      standing.action = e->hold ? ResumeAction::Stop : ResumeAction::Resume;
      apply(t, e, standing);
      continue;
    }
    --p.next;  // its turn ends when its reply is applied
    p.waiting_on = e;
    send_sync_report(t, e, p.combined);
    return;
  }
  finish_pass(t);
}

bool EngineHub::forget_report(ReportPass& p, const Engine* e) {
  const ReportInFlight* f = p.find(e);
  if (!f) return false;
  if (!f->answered) --reports_awaited_;
  p.forget(e);
  return true;
}

void EngineHub::forget_reports(ReportPass& p) {
  while (!p.in_flight.empty()) forget_report(p, p.in_flight.back().engine.get());
}

void EngineHub::step_later(const ThreadPtr& t) {
  const auto token = t->pass->token;
  boost::asio::post(io_, [this, t, token] {
    if (t->pass && t->pass->token == token && !t->pass->waiting_on) step(t);
  });
}

void EngineHub::on_reply(const ThreadPtr& t, const EnginePtr& e, std::uint64_t token,
                         std::optional<ReportReply> reply) {
  ReportInFlight* f = t->pass && t->pass->token == token ? t->pass->find(e.get()) : nullptr;
  if (!f || f->answered) {
    log::engine().debug("engine {}: late reply ignored", e->id);
    return;  // detached while reporting, or the thread died: the reply means nothing now
  }
  if (f->timer) f->timer->cancel();
  f->timer.reset();
  --reports_awaited_;
  if (!reply) log::engine().warn("engine {}: no usable reply to report, treating it as resume", e->id);
  if (t->pass->waiting_on != e) {
    // A concurrent engine answered before its turn: the pass takes the reply in its turn (the
    // combined action, signal, abort, return value), but the engine's own hold takes it now,
    // as utrace's did when a callback returned: barrier returns, and a control resume sent
    // after this reply clears the stop it asked for. A detach waits for the turn.
    f->answered = true;
    f->reply = std::move(reply);
    const ResumeAction action = f->reply ? f->reply->action : ResumeAction::Resume;
    if (action != ResumeAction::Detach && t->pass->event != EventKind::Death) {
      e->hold = action == ResumeAction::Stop;
      f->hold_applied = true;
      e->reporting = false;
      if (e->set) check_barriers(e->set);
    }
    return;
  }
  t->pass->waiting_on = nullptr;
  t->pass->forget(e.get());
  ++t->pass->next;
  finish_report(t, e, reply);
  step(t);
}

void EngineHub::finish_report(const ThreadPtr& t, const EnginePtr& e,
                              const std::optional<ReportReply>& reply, bool hold_applied) {
  e->reporting = false;
  apply(t, e, reply ? *reply : ReportReply{}, hold_applied);
  // The reply's effect is applied: now barrier() may return.
  if (e->set) check_barriers(e->set);
}

void EngineHub::apply(const ThreadPtr& t, const EnginePtr& e, const ReportReply& reply,
                      bool hold_applied) {
  if (!e->attached()) return;  // detached meanwhile: its reply is ignored entirely
  ReportPass& p = *t->pass;
  ResumeAction action = reply.action;
  // The signal disposition is replaced by each engine: the last one wins.
  if (p.signal >= 0 && reply.signal) {
    const bool deliver_reported = *reply.signal == ReportReply::kDeliver;
    p.signal = deliver_reported && p.base.signal ? p.base.signal->signo : *reply.signal;
  }
  if (p.event == EventKind::Death) {
    // Only detach means anything from a death report: it cancels the reap report.
    if (action == ResumeAction::Detach) {
      e->cancel_reap = true;
      drop_engine(e);
    }
    return;
  }
  if (action == ResumeAction::Detach) {
    drop_engine(e);
    return;
  }
  if (p.event == EventKind::SyscallEntry && reply.abort) {
    p.abort = *reply.abort;  // each engine replaces the choice before it
    p.retval = reply.retval;
  } else if (p.event == EventKind::SyscallExit && reply.retval) {
    p.retval = reply.retval;
  }
  p.combined = utrace::proto::combine(p.combined, action);
  if (!hold_applied) e->hold = (action == ResumeAction::Stop);
}

void EngineHub::finish_pass(const ThreadPtr& t) {
  auto p = std::move(t->pass);
  // Engines had their chance to attach to (and stop) the new child: let it go on.
  if (p->held_child) release_child(p->held_child);
  if (p->event == EventKind::Death) return reap(t);
  if (p->event == EventKind::Reap) return;
  if (p->signal >= 0) t->deliver_signal = p->signal;
  if (p->event == EventKind::SyscallEntry && p->abort) {
    // Skip the syscall (nr -1); its exit stop, which needs PTRACE_SYSCALL, sets the result.
    if (examine::set_syscall_nr(t->tid, -1) == 0) t->aborted_retval = p->retval.value_or(-ENOSYS);
  } else if (p->event == EventKind::SyscallExit && p->retval) {
    examine::set_return_value(t->tid, *p->retval);
  }
  switch (p->combined) {
    case ResumeAction::SingleStep:
    case ResumeAction::BlockStep:
      t->step_request = utrace::proto::combine(t->step_request, p->combined);
      break;
    case ResumeAction::Report:
    case ResumeAction::Interrupt:
      // Some engine wants to hear again before the thread runs: one quiesce pass, which cannot
      // ask for another (utrace downgrades REPORT/INTERRUPT there to avoid loops).
      if (p->event != EventKind::Quiesce) t->report_requested = true;
      break;
    default:
      break;
  }
  settle(t);
}

void EngineHub::on_death(const ThreadPtr& t, WaitStatus status) {
  // Any pass in flight is over: the thread is gone. Holds mean nothing now.
  abandon_pass(t);
  if (t->prelaunch) {
    t->prelaunch = false;
    finish_launch(t, ECHILD);  // never reached its exec: launch() fails, no reports
  }
  t->splice_attaching();
  for (auto& e : t->engines) e->hold = e->pending_stop = false;
  Report base = base_report(t);
  base.status = status.raw();
  if (status.type() == WaitStatus::Type::Exited) {
    base.exit_code = status.exit_code();
  } else {
    base.signal = utrace::proto::SignalInfo{status.fatal_signal(),
                                            names::signal_name(status.fatal_signal()), 0};
  }
  log::trace().debug("tid={}: died, {}", t->tid, status.str());
  if (start_pass(t, EventKind::Death, base, false)) return;
  reap(t);
}

void EngineHub::reap(const ThreadPtr& t) {
  t->splice_attaching();
  auto engines = t->engines;
  Report base = base_report(t);
  base.event = EventKind::Reap;
  base.seq = ++t->seq;
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

}  // namespace utraced
