#include "trace/tracer.hpp"

#include <signal.h>
#include <sys/ptrace.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "sys/proc.hpp"
#include "util/clock_us.hpp"
#include "trace/ptrace.hpp"
#include "util/check.hpp"
#include "util/log.hpp"

namespace utraced {

int Tracer::seize(pid_t tid, pid_t tgid, ThreadPtr* out, bool exitkill) {
  if (threads_.count(tid)) return EEXIST;
  int err = ptrace_ops::seize(tid, exitkill);
  if (err) return err;
  auto t = std::make_shared<TracedThread>(tid, tgid, ThreadState::Running);
  t->exitkill = exitkill;
  t->saved_affinity = affinity_.pin(tid);
  threads_.emplace(tid, t);
  log::trace().debug("tid={}: seized (tgid {})", tid, tgid);
  *out = std::move(t);
  return 0;
}

ThreadPtr Tracer::adopt(pid_t tid, pid_t tgid, const ThreadPtr& parent) {
  if (auto t = find(tid)) return t;
  // Newborn: its first stop (EVENT_STOP) is on its way; no PTRACE_INTERRUPT must add another.
  auto t = std::make_shared<TracedThread>(tid, tgid, ThreadState::Newborn);
  if (parent) {
    t->saved_affinity = parent->saved_affinity;
    t->exitkill = parent->exitkill;  // the kernel copied the parent's options
  }
  threads_.emplace(tid, t);
  log::trace().debug("tid={}: adopted child (tgid {})", tid, tgid);
  return t;
}

void Tracer::replay_unclaimed(pid_t tid) {
  auto it = unclaimed_.find(tid);
  if (it == unclaimed_.end()) return;
  WaitStatus status = it->second.status;
  unclaimed_.erase(it);
  if (status.type() != WaitStatus::Type::Stopped) {
    // A death kept for this tid may be an older process's (a program we had already
    // let go, say): if the tid is alive and traced by us now, it is not this child's.
    auto st = proc::read_status(tid);
    if (st && st->tracer_pid == ::getpid() && st->state != 'Z' && st->state != 'X') return;
  }
  on_wait(tid, status);
}

ThreadPtr Tracer::find(pid_t tid) const {
  auto it = threads_.find(tid);
  return it == threads_.end() ? nullptr : it->second;
}

std::vector<ThreadPtr> Tracer::threads() const {
  std::vector<ThreadPtr> v;
  v.reserve(threads_.size());
  for (auto& [tid, t] : threads_) v.push_back(t);
  return v;
}

void Tracer::on_wait(pid_t tid, WaitStatus status) {
  if (status.type() == WaitStatus::Type::Stopped && status.ptrace_event() == PTRACE_EVENT_EXEC) {
    unsigned long former = 0;
    if (ptrace_ops::get_event_msg(tid, &former) == 0 && former != static_cast<unsigned long>(tid))
      rekey_exec(tid, static_cast<pid_t>(former));
  }
  auto t = find(tid);
  if (!t) return on_unknown(tid, status);
  switch (status.type()) {
    case WaitStatus::Type::Exited:
    case WaitStatus::Type::Signaled:
      threads_.erase(tid);
      t->set_state(ThreadState::Dead);
      sink_.on_death(t, status);
      return;
    case WaitStatus::Type::Stopped:
      fill_stop(t, status);
      UT_ASSERT(!t->stopped() || t->stop.kind == StopKind::Exit,
                "tid={}: a {} stop while in a ptrace-stop (only SIGKILL's exit stop may come)",
                tid, to_string(t->stop.kind));
      t->set_state(ThreadState::Stopped);
      sink_.on_stop(t);
      return;
    case WaitStatus::Type::Continued:
      return;
  }
}

void Tracer::on_unknown(pid_t tid, WaitStatus status) {
  // An auto-attached child (TRACECLONE/FORK/VFORK) may report its first stop before its
  // parent's clone event: keep the status until the parent's event adopts the child. One that
  // is never claimed (its parent was killed before its event stop) is let go by the sweep.
  if (status.type() == WaitStatus::Type::Continued) return;
  unclaimed_[tid] = {status, std::chrono::steady_clock::now()};
  log::trace().debug("tid={}: status {} before its parent's event, kept", tid, status.str());
  if (sweep_armed_) return;
  sweep_armed_ = true;
  sweep_timer_.expires_after(std::chrono::milliseconds(500));
  sweep_timer_.async_wait([this](const boost::system::error_code& ec) {
    sweep_armed_ = false;
    if (!ec) sweep_unclaimed();
  });
}

void Tracer::sweep_unclaimed() {
  const auto old = std::chrono::steady_clock::now() - std::chrono::milliseconds(400);
  for (auto it = unclaimed_.begin(); it != unclaimed_.end();) {
    if (it->second.seen > old) {
      ++it;
      continue;
    }
    if (it->second.status.type() == WaitStatus::Type::Stopped) {
      affinity_.restore(it->first, affinity_.original());  // its parent's own mask is unknown
      int err = ptrace_ops::detach(it->first, 0);
      log::trace().debug("tid={}: unclaimed child stop, detached ({})", it->first,
                         err ? std::strerror(err) : "ok");
    }
    it = unclaimed_.erase(it);
  }
  if (!unclaimed_.empty() && !sweep_armed_) {
    sweep_armed_ = true;
    sweep_timer_.expires_after(std::chrono::milliseconds(500));
    sweep_timer_.async_wait([this](const boost::system::error_code& ec) {
      sweep_armed_ = false;
      if (!ec) sweep_unclaimed();
    });
  }
}

void Tracer::watch_vanish(const ThreadPtr& t, int round) {
  auto timer = std::make_shared<boost::asio::steady_timer>(
      sweep_timer_.get_executor(), std::chrono::milliseconds(round < 5 ? 20 : 200));
  std::weak_ptr<TracedThread> wt = t;
  timer->async_wait([this, wt, timer, round](const boost::system::error_code& ec) {
    auto t = wt.lock();
    if (ec || !t || find(t->tid) != t || !t->traced()) return;
    if (t->state() != ThreadState::Running) return watch_vanish(t, round + 1);
    // Ours still (exiting, or a zombie whose death status the reaper collects): look later.
    auto st = proc::read_status(t->tid);
    if (st && st->tracer_pid == ::getpid()) return watch_vanish(t, round + 1);
    // /proc unreadable (the daemon out of fds, say) while the tid exists: cannot tell yet.
    if (!st && (::kill(t->tid, 0) == 0 || errno != ESRCH)) return watch_vanish(t, round + 1);
    // Not ours any more, and its death never came: the leader vanished in an untraced
    // thread's exec (or the tid is free). Its death is reported as an exit with status 0, as
    // for a leader that vanishes in a traced thread's exec (rekey_exec).
    threads_.erase(t->tid);
    t->set_state(ThreadState::Dead);
    log::trace().debug("tid={}: vanished after its exit stop (an untraced thread's exec)",
                       t->tid);
    sink_.on_death(t, WaitStatus(0));
  });
}

void Tracer::rekey_exec(pid_t tid, pid_t former) {
  auto moving = find(former);
  if (!moving) return;
  // The old leader vanished inside the exec: its death is never reported by the kernel.
  if (auto leader = find(tid)) {
    threads_.erase(tid);
    leader->set_state(ThreadState::Dead);
    log::trace().debug("tid={}: old leader gone in the exec of tid {}", tid, former);
    sink_.on_death(leader, WaitStatus(0));
  }
  threads_.erase(former);
  moving->tid = tid;
  threads_.emplace(tid, moving);
  log::trace().debug("tid={}: exec'd and became tid {}", former, tid);
  sink_.on_rekey(moving, former);
}

void Tracer::fill_stop(const ThreadPtr& t, WaitStatus status) {
  // Any ptrace stop cancels a pending PTRACE_INTERRUPT (kernel/signal.c, ptrace_stop: "any
  // trap clears pending STOP trap"): a syscall stop may answer it as well as an EVENT_STOP.
  StopEvent ev;
  ev.after_step = t->restarted_with == RestartKind::SingleStep ||
                  t->restarted_with == RestartKind::BlockStep;
  ev.job_stopped = t->job_stopped();
  ev.kind = classify_stop(status);
  ev.signo = status.stop_signal() & 0x7f;
  const pid_t tid = t->tid;
  switch (ev.kind) {
    case StopKind::SyscallStop:
      if (ptrace_ops::get_syscall_info(tid, &ev) != 0) {
        ev.kind = StopKind::Interrupt;  // killed meanwhile; its death status follows
        break;
      }
      if (ev.kind == StopKind::SyscallEntry) {
        t->last_syscall_nr = ev.syscall_nr;
      } else {
        ev.syscall_nr = t->last_syscall_nr;
        if (ev.syscall_nr < 0) ptrace_ops::get_orig_syscall_nr(tid, &ev.syscall_nr);
        t->last_syscall_nr = -1;
      }
      break;
    case StopKind::Seccomp:
      // The syscall about to run (entry side): its number and arguments.
      if (ptrace_ops::get_syscall_info(tid, &ev) != 0) {
        ev.kind = StopKind::Interrupt;  // killed meanwhile
        break;
      }
      ev.clone_kind = status.ptrace_event();
      break;
    case StopKind::Clone:
    case StopKind::Exec:
    case StopKind::Exit:
    case StopKind::VforkDone:
      ev.clone_kind = status.ptrace_event();
      ptrace_ops::get_event_msg(tid, &ev.event_msg);
      break;
    case StopKind::SignalDelivery:
      ptrace_ops::get_si_code(tid, &ev.si_code);
      break;
    default:
      break;
  }
  ev.real_us = clock_us(CLOCK_REALTIME);
  ev.mono_us = clock_us(CLOCK_MONOTONIC);
  t->stop = ev;
}

void Tracer::restart(const ThreadPtr& t, RestartDecision d) {
  UT_ASSERT(t->stopped(), "tid={}: restart {} while {}", t->tid, to_string(d.kind),
            to_string(t->state()));
  int err = 0;
  // A signal pass may have changed the signal: the kernel delivers si_signo, so rewrite it.
  if (d.signal && t->stop.kind == StopKind::SignalDelivery && d.signal != t->stop.signo)
    ptrace_ops::set_signo(t->tid, d.signal);
  switch (d.kind) {
    case RestartKind::Hold:
    case RestartKind::ReportFirst:
      return;
    case RestartKind::Detach:
      affinity_.restore(t->tid, t->saved_affinity);
      err = ptrace_ops::detach(t->tid, d.signal);
      threads_.erase(t->tid);
      log::trace().debug("tid={}: detached (signal {}): {}", t->tid, d.signal,
                         err ? std::strerror(err) : "ok");
      t->set_state(ThreadState::Detached);  // lives on, untraced
      return;
    case RestartKind::Listen:
      err = ptrace_ops::listen(t->tid);
      if (!err) {
        t->restarted_with = d.kind;
        t->set_state(ThreadState::Listening);
        return;
      }
      break;
    case RestartKind::Syscall:
      err = ptrace_ops::resume_syscall(t->tid, d.signal);
      break;
    case RestartKind::Cont:
      err = ptrace_ops::resume_cont(t->tid, d.signal);
      break;
    case RestartKind::SingleStep:
      err = ptrace_ops::resume_singlestep(t->tid, d.signal);
      break;
    case RestartKind::BlockStep:
      err = ptrace_ops::resume_blockstep(t->tid, d.signal);
      break;
  }
  if (err && err != ESRCH)
    log::trace().error("tid={}: restart {} failed: {}", t->tid, to_string(d.kind),
                       std::strerror(err));
  // ESRCH: killed out of the stop; its death status follows. Either way it is not stopped now.
  t->restarted_with = d.kind;
  const bool step = !err && (d.kind == RestartKind::SingleStep || d.kind == RestartKind::BlockStep);
  t->set_state(step ? ThreadState::Stepping : ThreadState::Running);
  if (t->stop.kind == StopKind::Exit && t->tid == t->tgid) watch_vanish(t);
}

void Tracer::interrupt(const ThreadPtr& t) {
  const ThreadState s = t->state();
  if (s != ThreadState::Running && s != ThreadState::Stepping && s != ThreadState::Listening)
    return;  // stopped, gone, or a stop is coming already
  int err = ptrace_ops::interrupt(t->tid);
  if (err && err != ESRCH)
    log::trace().error("tid={}: PTRACE_INTERRUPT failed: {}", t->tid, std::strerror(err));
  if (err) return;
  t->set_state(s == ThreadState::Listening ? ThreadState::ListenInterrupting
                                           : ThreadState::Interrupting);
}

}  // namespace utraced
