// Client operations of the EngineHub: set_events, control, examine, detach; restart decisions
// (settle) and shutdown. attach is in engine_hub_attach.cpp, barrier/wait in engine_hub_wait.cpp.
#include "engine/engine_hub.hpp"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cerrno>

#include "engine/deadline_callback.hpp"
#include "sys/access_policy.hpp"
#include "sys/names.hpp"
#include "trace/ptrace.hpp"
#include "sys/proc.hpp"
#include "util/log.hpp"
#include "utrace/proto/errors.hpp"

namespace utraced {

using utrace::proto::errno_error;
using utrace::proto::EventKind;
using utrace::proto::EventMask;
using utrace::proto::ResumeAction;
using utrace::proto::RpcException;

EngineHub::EngineHub(boost::asio::io_context& io, const Limits& limits)
    : io_(io), limits_(limits), tracer_(*this, io), shutdown_timer_(io) {}

EngineSetPtr EngineHub::lookup_set(const ClientLink& client, std::uint64_t id) const {
  auto it = engines_.find(id);
  if (it == engines_.end() || it->second->client != &client) return nullptr;
  return it->second;
}

EnginePtr EngineHub::lookup(const ClientLink& client, std::uint64_t id, pid_t tid) const {
  auto set = lookup_set(client, id);
  if (!set) return nullptr;
  if (tid == 0) return set->members.size() == 1 ? set->members.begin()->second : nullptr;
  auto it = set->members.find(tid);
  return it == set->members.end() ? nullptr : it->second;
}

std::vector<EngineSetPtr> EngineHub::engines_of(const ClientLink& client) const {
  std::vector<EngineSetPtr> v;
  for (auto& [id, set] : engines_)
    if (set->client == &client) v.push_back(set);
  std::sort(v.begin(), v.end(),
            [](const EngineSetPtr& a, const EngineSetPtr& b) { return a->id < b->id; });
  return v;
}

int EngineHub::set_events(ClientLink& client, std::uint64_t id, EventMask events) {
  auto set = lookup_set(client, id);
  if (!set) return ESRCH;
  int rc = 0;
  auto members = set->members;
  for (auto& [tid, e] : members) {
    const auto& t = e->thread;
    if (t->state == ThreadState::Dead) {
      bool pass = t->pass != nullptr;
      EventMask added = events.minus(e->events), cleared = e->events.minus(events);
      if (added.has(EventKind::Death) || added.has(EventKind::Quiesce)) return EALREADY;
      if (pass && (cleared.has(EventKind::Death) || cleared.has(EventKind::Quiesce)))
        return EALREADY;
    }
    const bool clearing = !e->events.minus(events).empty();
    e->events = events;
    ensure_stop_mode(t);
    // The cleared events are never reported from now on (step() re-reads the mask), but a
    // report already sent cannot be called back: the client must use barrier.
    if (clearing && e->reporting) rc = EINPROGRESS;
  }
  return rc;
}

int EngineHub::control(ClientLink& client, std::uint64_t id, pid_t tid, ResumeAction action) {
  // One thread (given, or the engine's only one): utrace's control, codes and all.
  if (auto e = lookup(client, id, tid)) return control_one(e, action);
  if (tid != 0) return ESRCH;
  // No tid: every thread of the engine (detach: the whole engine; members whose death is being
  // reported are forgotten, without their reap).
  auto set = lookup_set(client, id);
  if (!set) return ESRCH;
  int rc = 0;
  auto members = set->members;
  for (auto& [mtid, e] : members) {
    int r = control_one(e, action);
    if (r == EINPROGRESS || (r != 0 && rc == 0)) rc = r;
  }
  if (action == ResumeAction::Detach) {
    // Members in death reporting stay until reaped; the client's handle is gone now.
    if (rc == EALREADY) rc = 0;
    drop_set(set);
  }
  return rc;
}

int EngineHub::control_one(const EnginePtr& e, ResumeAction action) {
  const bool needs_quiesce = action == ResumeAction::Report || action == ResumeAction::Interrupt ||
                             action == ResumeAction::SingleStep ||
                             action == ResumeAction::BlockStep;
  if (needs_quiesce && !e->wants(EventKind::Quiesce)) return EINVAL;
  const ThreadPtr t = e->thread;
  if (action == ResumeAction::Detach) return detach_engine(e);
  if (t->state == ThreadState::Dead) return ESRCH;
  switch (action) {
    case ResumeAction::Stop:
      if (t->state == ThreadState::Listening) {
        // Job-control stopped: bring it into a ptrace-stop (it re-traps at once) and hold it.
        e->hold = true;
        tracer_.interrupt(t);
        tracer_.poll();
        return 0;
      }
      if (t->state == ThreadState::Running && t->interrupt_sent) {
        // The stop we asked for may already have happened: collect it before answering.
        tracer_.poll();
        if (!e->attached() || t->state == ThreadState::Dead) return ESRCH;
      }
      if (t->state == ThreadState::Stopped) {
        e->hold = true;
        wake_stopped(t);
        return 0;
      }
      // utrace: with quiesce, a report follows and the engine keeps the stop by answering
      // stop; without it, the hold is applied silently at the next stop.
      if (e->wants(EventKind::Quiesce)) t->report_requested = true;
      else e->pending_stop = true;
      tracer_.interrupt(t);
      return EINPROGRESS;
    case ResumeAction::Resume:
      e->hold = false;
      e->pending_stop = false;
      settle(t);
      return 0;
    case ResumeAction::Report:
    case ResumeAction::Interrupt:
      e->hold = false;
      e->pending_stop = false;
      t->report_requested = true;
      if (t->state != ThreadState::Stopped) tracer_.interrupt(t);
      settle(t);
      return 0;
    case ResumeAction::SingleStep:
    case ResumeAction::BlockStep:
      e->hold = false;
      e->pending_stop = false;
      t->step_request = utrace::proto::combine(t->step_request, action);
      if (t->state != ThreadState::Stopped) tracer_.interrupt(t);
      settle(t);
      return 0;
    case ResumeAction::Detach:
      break;
  }
  return EINVAL;
}

int EngineHub::examinable(ClientLink& client, std::uint64_t id, pid_t tid, ThreadPtr* out) {
  auto e = lookup(client, id, tid);
  if (!e) {
    auto set = lookup_set(client, id);
    return set && tid == 0 && set->members.size() > 1 ? EDOM : ESRCH;
  }
  if (e->thread->state == ThreadState::Dead) return ESRCH;
  if (!e->hold && !e->reporting) return EINVAL;
  if (e->thread->state != ThreadState::Stopped) tracer_.poll();  // a stop may be on its way
  if (!e->attached() || e->thread->state == ThreadState::Dead) return ESRCH;
  if (e->thread->state != ThreadState::Stopped) return EINVAL;
  // Registers and memory are reached through the tid with the daemon's privilege: make sure
  // the tid is still our tracee in a ptrace-stop (the kernel answers ESRCH otherwise), so that
  // no other task that took the tid (an untraced sibling's exec) can be reached through it.
  std::uint64_t msg = 0;
  if (ptrace_ops::get_event_msg(e->thread->tid, &msg) == ESRCH) return ESRCH;
  // ptrace_access_vm's rule: a tracer without CAP_SYS_PTRACE reaches no memory of a task that
  // made itself non-dumpable (prctl PR_SET_DUMPABLE 0, a credential change) since the attach.
  // Its credentials cannot otherwise have changed under a stopped thread (exec is checked).
  if (!client.creds().has_cap(proc::kCapSysPtrace) &&
      check_trace_access(client.creds(), e->thread->tid, AccessCheck::Exec))
    return EPERM;
  *out = e->thread;
  return 0;
}

void EngineHub::drop_engine(const EnginePtr& e) {
  if (!e->attached()) return;
  e->state = EngineState::Detached;
  e->hold = false;
  e->pending_stop = false;
  e->thread->remove_engine(e);
  if (e->client) {
    auto it = members_by_client_.find(e->client->client_id());
    if (it != members_by_client_.end() && --it->second == 0) members_by_client_.erase(it);
  }
  log::engine().info("engine {} detached from tid {}", e->id, e->thread->tid);
  if (const auto& t = e->thread; t->pass) {
    // Its reply will never count: the pass goes on without it.
    if (forget_report(*t->pass, e.get())) e->reporting = false;
    if (t->pass->waiting_on == e) {
      t->pass->waiting_on = nullptr;
      step_later(t);
    }
  }
  if (auto set = std::move(e->set)) {
    auto it = set->members.find(e->thread->tid);
    if (it != set->members.end() && it->second == e) set->members.erase(it);
    fail_waiters(set, e->thread->tid);
    if (set->members.empty()) drop_set(set);
    else check_barriers(set);
  }
  e->client = nullptr;
}

void EngineHub::drop_set(const EngineSetPtr& set) {
  if (!set->attached) return;
  set->attached = false;
  engines_.erase(set->id);
  // Members still attached (in death reporting) are forgotten: no engine may outlive the
  // handle its client knows.
  auto members = set->members;
  for (auto& [tid, e] : members) drop_engine(e);
  set->members.clear();
  fail_waiters(set, 0);
  check_barriers(set);
  set->client = nullptr;
}

int EngineHub::detach_engine(const EnginePtr& e) {
  if (!e->attached()) return ESRCH;
  const ThreadPtr t = e->thread;
  if (t->state == ThreadState::Dead) return t->pass ? EALREADY : ESRCH;
  const bool in_flight = e->reporting;
  e->reporting = false;
  drop_engine(e);  // a reply in flight will be ignored, even STOP; the pass goes on without it
  if (in_flight) return EINPROGRESS;
  settle(t);
  return 0;
}

void EngineHub::detach_client(ClientLink& client) {
  waiters_by_client_.erase(client.client_id());
  // Launches still before their exec are cancelled: the program never started (its child may
  // be blocked opening a stdio path), and nothing may stay allocated for a client that left.
  for (auto it = launches_.begin(); it != launches_.end();) {
    if (it->second.client != &client) {
      ++it;
      continue;
    }
    if (auto t = tracer_.find(it->first); t && t->prelaunch) ::kill(t->tid, SIGKILL);
    ::close(it->second.error_fd);
    log::engine().info("launch of pid {} abandoned by client {}: cancelled", it->first,
                       client.client_id());
    it = launches_.erase(it);
  }
  for (auto& set : engines_of(client)) {
    auto members = set->members;
    for (auto& [tid, e] : members) {
      int rc = detach_engine(e);
      if (rc == EALREADY) drop_engine(e);  // death reporting in progress: just forget it
    }
    drop_set(set);
  }
}

void EngineHub::send_notice(const EnginePtr& e, const char* reason, const std::string& message) {
  if (!e->client) return;
  e->client->send_notice({{"engine", e->id},
                          {"tid", e->thread->tid},
                          {"pid", e->thread->tgid},
                          {"reason", reason},
                          {"message", message}});
}

void EngineHub::ensure_stop_mode(const ThreadPtr& t) {
  // Syscall tracing can only be switched on at a stop: interrupt a running thread so that the
  // restart after the stop uses PTRACE_SYSCALL. Switching off is lazy.
  if (t->state == ThreadState::Running && !t->syscall_mode && needs_syscall_stops(*t))
    tracer_.interrupt(t);
}

void EngineHub::settle(const ThreadPtr& t) {
  if (t->pass) return;  // the pass decides when it ends
  switch (t->state) {
    case ThreadState::Dead:
      return;
    case ThreadState::Running:
    case ThreadState::Listening:
      // No engines left: stop it so that it can be detached (on_stop does that).
      if (!t->has_engines() && !t->birth_hold && !t->seccomp_set && tracer_.find(t->tid) == t)
        tracer_.interrupt(t);
      ensure_stop_mode(t);
      return;
    case ThreadState::Stopped:
      break;
  }
  RestartInput in;
  in.stop = t->stop.kind;
  in.signal = t->stop.kind != StopKind::SignalDelivery ? 0
              : t->deliver_signal >= 0                ? t->deliver_signal
                                                      : t->stop.signo;
  in.final_action = t->step_request;
  // A new child waiting for its parent's clone pass is held like a thread with a STOP engine.
  in.has_engines = t->has_engines() || t->birth_hold;
  in.any_hold = t->any_hold() || t->birth_hold;
  in.report_requested = t->report_requested;
  in.want_syscalls =
      needs_syscall_stops(*t) || t->aborted_retval.has_value() || t->exit_stop_needed;
  RestartDecision d = decide_restart(in);
  if (d.kind == RestartKind::ReportFirst) {
    t->report_requested = false;
    if (t->stop.kind == StopKind::SyscallEntry) {
      // utrace's UTRACE_SYSCALL_RESUMED: released at syscall entry with a report asked for, the
      // entry pass runs again, with the arguments as they are now (an engine may have changed
      // them while it held the thread).
      ptrace_ops::get_syscall_info(t->tid, &t->stop);
      utrace::proto::Report base = base_report(t);
      base.syscall = utrace::proto::SyscallInfo{t->stop.syscall_nr,
                                                names::syscall_name(t->stop.syscall_nr),
                                                t->stop.args};
      base.resumed = true;
      if (start_pass(t, EventKind::SyscallEntry, base, true)) return;
      return settle(t);
    }
    if (start_pass(t, EventKind::Quiesce, base_report(t), false)) return;
    return settle(t);
  }
  if (d.kind == RestartKind::Hold) {
    log::engine().debug("tid={}: held stopped", t->tid);
    wake_stopped(t);
    if (t->stop.kind == StopKind::Exit) watch_exit_hold(t);
    return;
  }
  if (t->prelaunch && d.kind == RestartKind::Syscall) d.kind = RestartKind::Cont;  // silent
  if (d.kind == RestartKind::Detach && t->seccomp_set) {
    // Never detach a thread under a RET_TRACE filter (its trapped syscalls would fail with
    // ENOSYS): it stays traced, unreported, until it exits.
    d.kind = t->stop.kind == StopKind::GroupStop ? RestartKind::Listen : RestartKind::Cont;
  }
  t->step_request = ResumeAction::Resume;
  t->stepping = d.kind == RestartKind::SingleStep || d.kind == RestartKind::BlockStep;
  tracer_.restart(t, d);
}

void EngineHub::shutdown(std::function<void()> done) {
  shutting_down_ = true;
  std::vector<EnginePtr> all;
  for (auto& [id, set] : engines_)
    for (auto& [tid, e] : set->members) all.push_back(e);
  for (auto& e : all) {
    e->reporting = false;
    drop_engine(e);
  }
  for (auto& t : tracer_.threads()) {
    if (t->pass) forget_reports(*t->pass);
    t->pass.reset();
    t->birth_hold = false;
    // Threads under a RET_TRACE filter are not detached: they were launched with exitkill and
    // end with the daemon (PROTOCOL.md, launch with seccomp).
    if (!t->seccomp_set) settle(t);
  }
  shutdown_done_ = std::move(done);
  shutdown_deadline_ = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  poll_shutdown();
}

void EngineHub::poll_shutdown() {
  std::size_t left = 0;
  for (auto& t : tracer_.threads()) left += t->seccomp_set ? 0 : 1;
  if (left == 0 || std::chrono::steady_clock::now() >= shutdown_deadline_) {
    if (tracer_.size() != 0)
      log::main().warn("{} threads still traced at exit; the kernel detaches them",
                       tracer_.size());
    if (auto done = std::move(shutdown_done_)) done();
    return;
  }
  shutdown_timer_.expires_after(std::chrono::milliseconds(5));
  shutdown_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) poll_shutdown();
  });
}

}  // namespace utraced
