// Client operations of the EngineHub: set_events, control, barrier, wait, examine, detach, and
// shutdown. attach is in engine_hub_attach.cpp, hold_at_exec in engine_hub_exec_hold.cpp.
#include "engine/engine_hub.hpp"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <cerrno>

#include "sys/access_policy.hpp"
#include "sys/proc.hpp"
#include "util/check.hpp"
#include "util/log.hpp"

namespace utraced {

using utrace::proto::EventKind;
using utrace::proto::EventMask;
using utrace::proto::ResumeAction;

EngineHub::EngineHub(boost::asio::io_context& io, const Limits& limits)
    : io_(io),
      limits_(limits),
      controller_(*this, io),
      registry_(limits),
      waiters_(io, limits),
      shutdown_timer_(io) {}

int EngineHub::set_events(ClientLink& client, std::uint64_t id, EventMask events) {
  auto set = registry_.find(client, id);
  if (!set) return ESRCH;
  int rc = 0;
  auto members = set->members;
  for (auto& [tid, e] : members) {
    const auto& t = e->thread;
    if (t->dead()) {
      const bool pass = thread_engines(*t).pass != nullptr;
      EventMask added = events.minus(e->events), cleared = e->events.minus(events);
      if (added.has(EventKind::Death) || added.has(EventKind::Quiesce)) return EALREADY;
      if (pass && (cleared.has(EventKind::Death) || cleared.has(EventKind::Quiesce)))
        return EALREADY;
    }
    const bool clearing = !e->events.minus(events).empty();
    e->events = events;
    ensure_stop_mode(t);
    // The cleared events are never reported from now on (the pass re-reads the mask), but a
    // report already sent cannot be called back: the client must use barrier.
    if (clearing && reporting(*e)) rc = EINPROGRESS;
  }
  return rc;
}

int EngineHub::control(ClientLink& client, std::uint64_t id, pid_t tid, ResumeAction action) {
  // One thread (given, or the engine's only one): utrace's control, codes and all.
  if (auto e = registry_.find(client, id, tid)) return control_one(e, action);
  if (tid != 0) return ESRCH;
  // No tid: every thread of the engine (detach: the whole engine; members whose death is being
  // reported are forgotten, without their reap).
  auto set = registry_.find(client, id);
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
  if (!t->traced()) return ESRCH;
  auto& x = thread_engines(*t);
  switch (action) {
    case ResumeAction::Stop:
      if (t->stopped() || t->job_stopped()) {
        // Stopped already (a job-control stop counts, as in utrace): held from now on. A
        // LISTENing thread is brought into a ptrace-stop (it re-traps at once) for examine.
        e->hold = true;
        controller_.interrupt(t);
        waiters_.wake_stopped(*t);
        return 0;
      }
      // utrace: with quiesce, a report follows and the engine keeps the stop by answering
      // stop; without it, the hold is applied silently at the next stop. A stop already on
      // its way (an interrupt sent) is not waited for here: it is dispatched by the event loop.
      if (e->wants(EventKind::Quiesce)) x.report_requested = true;
      else e->pending_stop = true;
      controller_.interrupt(t);
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
      x.report_requested = true;
      if (!t->stopped()) controller_.interrupt(t);
      settle(t);
      return 0;
    case ResumeAction::SingleStep:
    case ResumeAction::BlockStep:
      e->hold = false;
      e->pending_stop = false;
      x.step_request = utrace::proto::combine(x.step_request, action);
      if (!t->stopped()) controller_.interrupt(t);
      settle(t);
      return 0;
    case ResumeAction::Detach:
      break;
  }
  return EINVAL;
}

void EngineHub::barrier(ClientLink& client, std::uint64_t engine, pid_t tid,
                        std::chrono::milliseconds timeout, std::function<void(int)> done) {
  waiters_.barrier(registry_.find(client, engine), client.client_id(), tid, timeout,
                   std::move(done));
}

void EngineHub::wait(ClientLink& client, std::uint64_t engine, pid_t tid,
                     std::chrono::milliseconds timeout,
                     std::function<void(int, const char*, pid_t)> done) {
  waiters_.wait(registry_.find(client, engine), client.client_id(), tid, timeout,
                std::move(done));
}

int EngineHub::examinable(ClientLink& client, std::uint64_t id, pid_t tid, ThreadPtr* out) {
  auto e = registry_.find(client, id, tid);
  if (!e) {
    auto set = registry_.find(client, id);
    return set && tid == 0 && set->members.size() > 1 ? EDOM : ESRCH;
  }
  const ThreadPtr& t = e->thread;
  if (!t->traced()) return ESRCH;
  if (!e->hold && !reporting(*e)) return EINVAL;
  if (!t->stopped()) return e->hold && t->stop_coming() ? kStopComing : EINVAL;
  // Registers and memory are reached through the tid with the daemon's privilege: make sure
  // the tid is still our tracee in a ptrace-stop (the kernel answers ESRCH otherwise), so that
  // no other task that took the tid (an untraced sibling's exec) can be reached through it.
  if (!controller_.still_stopped(t)) return ESRCH;
  // ptrace_access_vm's rule: a tracer without CAP_SYS_PTRACE reaches no memory of a task that
  // made itself non-dumpable (prctl PR_SET_DUMPABLE 0, a credential change) since the attach.
  // Its credentials cannot otherwise have changed under a stopped thread (exec is checked).
  if (!client.creds().has_cap(proc::kCapSysPtrace) &&
      check_trace_access(client.creds(), t->tid, AccessCheck::Exec))
    return EPERM;
  *out = t;
  return 0;
}

bool EngineHub::when_stopped(ClientLink& client, std::uint64_t id, pid_t tid,
                             std::function<void()> retry) {
  auto e = registry_.find(client, id, tid);
  const std::uint64_t cid = client.client_id();
  if (!e || parked_examine_.count(cid)) return false;
  thread_engines(*e->thread).stop_waiters.emplace_back(cid, std::move(retry));
  parked_examine_.emplace(cid, e->thread);
  return true;
}

void EngineHub::fire_stop_waiters(TracedThread& t) {
  auto& x = thread_engines(t);
  if (x.stop_waiters.empty()) return;
  for (auto& [cid, retry] : x.stop_waiters) parked_examine_.erase(cid);
  boost::asio::post(io_, [w = std::move(x.stop_waiters)] {
    for (auto& [cid, retry] : w) retry();
  });
  x.stop_waiters.clear();
}

void EngineHub::forget_parked_examine(std::uint64_t client) {
  auto it = parked_examine_.find(client);
  if (it == parked_examine_.end()) return;
  if (auto t = it->second.lock()) {
    auto& w = thread_engines(*t).stop_waiters;
    std::erase_if(w, [client](const auto& p) { return p.first == client; });
  }
  parked_examine_.erase(it);
}

void EngineHub::drop_engine(const EnginePtr& e) {
  if (!e->attached()) return;
  e->state = EngineState::Detached;
  e->hold = false;
  e->pending_stop = false;
  const ThreadPtr& t = e->thread;
  auto& x = thread_engines(*t);
  x.remove_engine(e);
  if (e->client) registry_.uncount_member(*e->client);
  log::engine().info("engine {} detached from tid {}", e->id, t->tid);
  // Its reply will never count: the pass goes on without it.
  if (x.pass && x.pass->forget(e.get())) resume_later(t);
  if (auto set = std::move(e->set)) {
    auto it = set->members.find(t->tid);
    if (it != set->members.end() && it->second == e) set->members.erase(it);
    waiters_.fail(set, t->tid);
    if (set->members.empty()) drop_set(set);
    else waiters_.check_barriers(set);
  }
  e->client = nullptr;
}

void EngineHub::drop_set(const EngineSetPtr& set) {
  if (!set->attached) return;
  release_breakpoints(*set);
  set->attached = false;
  registry_.erase(*set);
  // Members still attached (in death reporting) are forgotten: no engine may outlive the
  // handle its client knows.
  auto members = set->members;
  for (auto& [tid, e] : members) drop_engine(e);
  set->members.clear();
  waiters_.fail(set, 0);
  waiters_.check_barriers(set);
  set->client = nullptr;
}

int EngineHub::detach_engine(const EnginePtr& e) {
  if (!e->attached()) return ESRCH;
  const ThreadPtr t = e->thread;
  if (t->dead()) return thread_engines(*t).pass ? EALREADY : ESRCH;
  const bool in_flight = reporting(*e);
  drop_engine(e);  // a reply in flight will be ignored, even STOP; the pass goes on without it
  if (in_flight) return EINPROGRESS;
  settle(t);
  return 0;
}

std::vector<EnginePtr> EngineHub::engines_on_process(pid_t tgid) const {
  std::vector<EnginePtr> out;
  for (auto& t : controller_.tracer().threads())
    if (t->tgid == tgid)
      for (auto& e : thread_engines(*t).all())
        if (e->attached()) out.push_back(e);
  return out;
}

void EngineHub::detach_client(ClientLink& client) {
  waiters_.forget_client(client.client_id());
  forget_parked_examine(client.client_id());
  forget_exec_holds(client);
  for (auto& set : registry_.of(client)) {
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

void EngineHub::shutdown(std::function<void()> done) {
  shutting_down_ = true;
  std::vector<EnginePtr> all;
  for (auto& set : registry_.all())
    for (auto& [tid, e] : set->members) all.push_back(e);
  for (auto& e : all) drop_engine(e);
  for (auto& t : controller_.tracer().threads()) {
    auto& x = thread_engines(*t);
    x.pass.reset();
    if (x.birth == BirthState::BirthHold) x.birth = BirthState::Traced;
    // Threads under a RET_TRACE filter are not detached: they were seized with exitkill and
    // end with the daemon (PROTOCOL.md, "Runs under a seccomp filter").
    if (!x.seccomp_set) settle(t);
  }
  shutdown_done_ = std::move(done);
  shutdown_deadline_ = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  poll_shutdown();
}

void EngineHub::poll_shutdown() {
  std::size_t left = 0;
  auto& tracer = controller_.tracer();
  for (auto& t : tracer.threads()) left += thread_engines(*t).seccomp_set ? 0 : 1;
  if (left == 0 || std::chrono::steady_clock::now() >= shutdown_deadline_) {
    if (tracer.size() != 0)
      log::main().warn("{} threads still traced at exit; the kernel detaches them", tracer.size());
    if (auto done = std::move(shutdown_done_)) done();
    return;
  }
  shutdown_timer_.expires_after(std::chrono::milliseconds(5));
  shutdown_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) poll_shutdown();
  });
}

}  // namespace utraced
