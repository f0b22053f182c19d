// Client operations of the EngineHub: attach, set_events, control, barrier, detach.
#include "engine/engine_hub.hpp"

#include <unistd.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cerrno>

#include "engine/deadline_callback.hpp"
#include "sys/access_policy.hpp"
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
    : io_(io), limits_(limits), tracer_(*this), shutdown_timer_(io) {}

EnginePtr EngineHub::lookup(const ClientLink& client, std::uint64_t id) const {
  auto it = engines_.find(id);
  if (it == engines_.end() || it->second->client != &client) return nullptr;
  return it->second;
}

std::vector<EnginePtr> EngineHub::engines_of(const ClientLink& client) const {
  std::vector<EnginePtr> v;
  for (auto& [id, e] : engines_)
    if (e->client == &client) v.push_back(e);
  std::sort(v.begin(), v.end(), [](const EnginePtr& a, const EnginePtr& b) { return a->id < b->id; });
  return v;
}

AttachResult EngineHub::attach(ClientLink& client, const AttachRequest& req) {
  if (shutting_down_) throw RpcException(errno_error(ESHUTDOWN, "the daemon is shutting down"));
  if (auto err = check_trace_access(client.creds(), req.tid)) throw RpcException(*err);
  if (req.create && engines_of(client).size() >= limits_.engines_per_client)
    throw RpcException(errno_error(EAGAIN, "too many engines on this connection",
                                   {{"limit", "engines_per_client"},
                                    {"value", limits_.engines_per_client}}));

  ThreadPtr t = tracer_.find(req.tid);
  auto matches = [&](const EnginePtr& e) {
    return e->attached() && (!req.match_type || e->type == req.type) &&
           (!req.match_data || e->data == req.data);
  };
  if (!req.create) {
    // Lookup only sees the client's own engines: other clients' engines are invisible.
    if (t)
      for (auto* list : {&t->engines, &t->attaching})
        for (auto& e : *list)
          if (e->client == &client && matches(e)) return {e, false};
    throw RpcException(errno_error(ENOENT, "no matching engine on thread " + std::to_string(req.tid),
                                   {{"tid", req.tid}}));
  }
  if (req.exclusive && t) {
    // utrace: exclusivity is checked against every engine on the thread, from any client.
    for (auto* list : {&t->engines, &t->attaching})
      for (auto& e : *list)
        if (matches(e))
          throw RpcException(errno_error(
              EEXIST, "an engine matching the exclusive attach exists on thread " +
                          std::to_string(req.tid), {{"tid", req.tid}}));
  }
  if (!t) {
    auto st = proc::read_status(req.tid);
    if (!st) throw RpcException(errno_error(ESRCH, "no such thread " + std::to_string(req.tid)));
    int err = tracer_.seize(req.tid, st->tgid, &t);
    if (err == EPERM) {
      auto now = proc::read_status(req.tid);
      if (now && now->tracer_pid != 0 && now->tracer_pid != ::getpid())
        throw RpcException(errno_error(EPERM,
                                       "thread " + std::to_string(req.tid) +
                                           " is already traced by pid " +
                                           std::to_string(now->tracer_pid),
                                       {{"tid", req.tid}, {"tracer_pid", now->tracer_pid}}));
      throw RpcException(errno_error(EPERM, "the kernel refused to trace thread " +
                                                std::to_string(req.tid), {{"tid", req.tid}}));
    }
    if (err)
      throw RpcException(errno_error(err, "cannot trace thread " + std::to_string(req.tid),
                                     {{"tid", req.tid}}));
  }
  auto e = std::make_shared<Engine>();
  e->id = next_engine_id_++;
  e->client = &client;
  e->thread = t;
  e->events = req.events;
  e->mode = req.mode;
  e->type = req.type;
  e->data = req.data;
  e->report_timeout = req.report_timeout;
  // An engine attached during a pass first sees the next event (utrace's attaching list).
  (t->pass ? t->attaching : t->engines).push_back(e);
  engines_.emplace(e->id, e);
  ++stats_.engines_attached;
  log::engine().info("engine {} attached to tid {} by client {} (events [{}], {})", e->id, t->tid,
                     client.client_id(), fmt::join(e->events.names(), ","),
                     e->mode == EngineMode::Sync ? "sync" : "async");
  ensure_stop_mode(t);
  return {e, true};
}

int EngineHub::set_events(ClientLink& client, std::uint64_t id, EventMask events) {
  auto e = lookup(client, id);
  if (!e) return ESRCH;
  const auto& t = e->thread;
  if (t->state == ThreadState::Dead) {
    bool pass = t->pass != nullptr;
    EventMask added = events.minus(e->events), cleared = e->events.minus(events);
    if (added.has(EventKind::Death) || added.has(EventKind::Quiesce)) return EALREADY;
    if (pass && (cleared.has(EventKind::Death) || cleared.has(EventKind::Quiesce))) return EALREADY;
  }
  const bool clearing = !e->events.minus(events).empty();
  e->events = events;
  ensure_stop_mode(t);
  // The cleared events are never reported from now on (step() re-reads the mask), but a report
  // already sent cannot be called back: the client must use barrier.
  return clearing && e->reporting ? EINPROGRESS : 0;
}

int EngineHub::control(ClientLink& client, std::uint64_t id, ResumeAction action) {
  auto e = lookup(client, id);
  if (!e) return ESRCH;
  const bool needs_quiesce = action == ResumeAction::Report || action == ResumeAction::Interrupt ||
                             action == ResumeAction::SingleStep ||
                             action == ResumeAction::BlockStep;
  if (needs_quiesce && !e->wants(EventKind::Quiesce)) return EINVAL;
  const auto& t = e->thread;
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

void EngineHub::barrier(ClientLink& client, std::uint64_t id, std::chrono::milliseconds timeout,
                        std::function<void(int)> done) {
  auto e = lookup(client, id);
  if (!e) return done(ESRCH);
  if (!e->reporting) return done(0);
  if (!take_waiter(client.client_id())) return done(EAGAIN);
  done = [this, cid = client.client_id(), d = std::move(done)](int code) {
    release_waiter(cid);
    d(code);
  };
  e->barrier_waiters.push_back(with_deadline<int>(io_, timeout, std::move(done), ETIMEDOUT));
}

void EngineHub::wait(ClientLink& client, std::uint64_t id, std::chrono::milliseconds timeout,
                     std::function<void(int, const char*)> done) {
  auto e = lookup(client, id);
  if (!e) return done(ESRCH, "detached");
  const auto& t = e->thread;
  if (e->hold && t->state == ThreadState::Stopped && !t->pass) return done(0, "stopped");
  if (!take_waiter(client.client_id())) return done(EAGAIN, "limit");
  done = [this, cid = client.client_id(), d = std::move(done)](int code, const char* reason) {
    release_waiter(cid);
    d(code, reason);
  };
  e->wait_waiters.push_back(
      with_deadline<int, const char*>(io_, timeout, std::move(done), ETIMEDOUT, "timeout"));
}

bool EngineHub::take_waiter(std::uint64_t client) {
  auto& n = waiters_by_client_[client];
  if (n >= limits_.waiters_per_client) return false;
  ++n;
  return true;
}

void EngineHub::release_waiter(std::uint64_t client) {
  auto it = waiters_by_client_.find(client);
  if (it != waiters_by_client_.end() && it->second > 0 && --it->second == 0)
    waiters_by_client_.erase(it);
}

void EngineHub::wake_waiters(const EnginePtr& e, const char* reason) {
  if (e->wait_waiters.empty()) return;
  auto waiters = std::move(e->wait_waiters);
  e->wait_waiters.clear();
  for (auto& w : waiters) w(0, reason);
}

void EngineHub::wake_stopped(const ThreadPtr& t) {
  if (t->state != ThreadState::Stopped || t->pass) return;
  for (auto& e : t->engines)
    if (e->hold) wake_waiters(e, "stopped");
}

int EngineHub::examinable(ClientLink& client, std::uint64_t id, ThreadPtr* out) {
  auto e = lookup(client, id);
  if (!e || e->thread->state == ThreadState::Dead) return ESRCH;
  if (!e->hold && !e->reporting) return EINVAL;
  if (e->thread->state != ThreadState::Stopped) tracer_.poll();  // a stop may be on its way
  if (!e->attached() || e->thread->state == ThreadState::Dead) return ESRCH;
  if (e->thread->state != ThreadState::Stopped) return EINVAL;
  *out = e->thread;
  return 0;
}

void EngineHub::notify_barriers(const EnginePtr& e, int code) {
  auto waiters = std::move(e->barrier_waiters);
  e->barrier_waiters.clear();
  for (auto& w : waiters) w(code);
}

void EngineHub::drop_engine(const EnginePtr& e) {
  if (!e->attached()) return;
  e->state = EngineState::Detached;
  e->hold = false;
  e->pending_stop = false;
  e->thread->remove_engine(e);
  engines_.erase(e->id);
  log::engine().info("engine {} detached from tid {}", e->id, e->thread->tid);
  notify_barriers(e, ESRCH);
  auto waiters = std::move(e->wait_waiters);
  e->wait_waiters.clear();
  for (auto& w : waiters) w(ESRCH, "detached");
  e->client = nullptr;
}

int EngineHub::detach_engine(const EnginePtr& e) {
  if (!e->attached()) return ESRCH;
  const ThreadPtr t = e->thread;
  if (t->state == ThreadState::Dead) return t->pass ? EALREADY : ESRCH;
  const bool in_flight = e->reporting;
  e->reporting = false;
  drop_engine(e);
  if (t->pass && t->pass->waiting_on == e) {
    // Its reply will be ignored, even STOP; the pass goes on without waiting for it.
    t->pass->waiting_on = nullptr;
    step_later(t);
  }
  if (in_flight) return EINPROGRESS;
  settle(t);
  return 0;
}

void EngineHub::detach_client(ClientLink& client) {
  waiters_by_client_.erase(client.client_id());
  for (auto& e : engines_of(client)) {
    int rc = detach_engine(e);
    if (rc == EALREADY) drop_engine(e);  // death reporting in progress: just forget it
  }
}

void EngineHub::ensure_stop_mode(const ThreadPtr& t) {
  // Syscall tracing can only be switched on at a stop: interrupt a running thread so that the
  // restart after the stop uses PTRACE_SYSCALL. Switching off is lazy.
  if (t->state == ThreadState::Running && !t->syscall_mode && t->event_union().any_syscall())
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
      if (!t->has_engines() && tracer_.find(t->tid) == t) tracer_.interrupt(t);
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
  in.has_engines = t->has_engines();
  in.any_hold = t->any_hold();
  in.report_requested = t->report_requested;
  in.want_syscalls = t->event_union().any_syscall() || t->aborted_retval.has_value();
  RestartDecision d = decide_restart(in);
  if (d.kind == RestartKind::ReportFirst) {
    t->report_requested = false;
    if (start_pass(t, EventKind::Quiesce, base_report(t), false)) return;
    return settle(t);
  }
  if (d.kind == RestartKind::Hold) {
    log::engine().debug("tid={}: held stopped", t->tid);
    wake_stopped(t);
    return;
  }
  t->step_request = ResumeAction::Resume;
  t->stepping = d.kind == RestartKind::SingleStep || d.kind == RestartKind::BlockStep;
  tracer_.restart(t, d);
}

void EngineHub::shutdown(std::function<void()> done) {
  shutting_down_ = true;
  std::vector<EnginePtr> all;
  for (auto& [id, e] : engines_) all.push_back(e);
  for (auto& e : all) {
    e->reporting = false;
    drop_engine(e);
  }
  for (auto& t : tracer_.threads()) {
    t->pass.reset();
    settle(t);
  }
  shutdown_done_ = std::move(done);
  shutdown_deadline_ = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  poll_shutdown();
}

void EngineHub::poll_shutdown() {
  if (tracer_.size() == 0 || std::chrono::steady_clock::now() >= shutdown_deadline_) {
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
