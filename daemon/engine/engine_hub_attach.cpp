// attach of the EngineHub: seizing threads, engine sets on one thread or a whole process.
#include <unistd.h>

#include <cerrno>

#include "engine/engine_hub.hpp"
#include "sys/access_policy.hpp"
#include "sys/proc.hpp"
#include "util/log.hpp"
#include "utrace/proto/errors.hpp"

namespace utraced {

using utrace::proto::errno_error;
using utrace::proto::RpcException;

ThreadPtr EngineHub::seize_thread(const ClientLink& client, pid_t tid, bool exitkill) {
  // Traced already (for this or another client): its credentials can only change by exec now,
  // and every exec stop checks each engine again (on_exec_credentials). The caller checked.
  if (ThreadPtr t = controller_.find(tid)) return t;
  auto st = proc::read_status(tid);
  if (!st) throw RpcException(no_such_thread(tid));
  ThreadPtr t;
  int err = controller_.seize(tid, st->tgid, &t, exitkill);
  if (err == EPERM) {
    auto now = proc::read_status(tid);
    if (now && now->tracer_pid != 0 && now->tracer_pid != ::getpid())
      throw RpcException(errno_error(EPERM,
                                     "thread " + std::to_string(tid) +
                                         " is already traced by pid " +
                                         std::to_string(now->tracer_pid),
                                     {{"tid", tid}, {"tracer_pid", now->tracer_pid}}));
    if (!now) throw RpcException(no_such_thread(tid));
    throw RpcException(errno_error(EPERM, "the kernel refused to trace thread " +
                                              std::to_string(tid), {{"tid", tid}}));
  }
  if (err)
    throw RpcException(
        errno_error(err, "cannot trace thread " + std::to_string(tid), {{"tid", tid}}));
  // The check before the seize saw whatever had this tid then: an exec of a set-uid program,
  // or a recycled pid, may have come in between. Check again the thread the daemon now traces
  // (its tid cannot be reused while we trace it) and let it go before anything is returned.
  if (auto denied = check_trace_access(client.creds(), tid)) {
    log::engine().info("tid={}: refused after the seize ({}), letting it go", tid,
                       denied->message);
    settle(t);  // no engines: stopped and detached at its next stop, never left stopped
    throw RpcException(*denied);
  }
  return t;
}

EnginePtr EngineHub::add_member(const EngineSetPtr& set, const ThreadPtr& t,
                                const AttachRequest& req) {
  auto e = std::make_shared<Engine>();
  e->id = set->id;
  e->set = set;
  e->client = set->client;
  e->thread = t;
  e->events = req.events;
  e->mode = req.mode;
  e->concurrent = req.concurrent;
  e->type = req.type;
  e->data = req.data;
  e->report_timeout = req.report_timeout;
  e->syscalls = req.syscalls;
  e->exitkill = req.exitkill;
  e->capture = req.capture;
  auto& x = thread_engines(*t);
  // Another engine on a hold_at_exec child before its exec (another client, root say) hears
  // it from now on: the silence is for the set-up code of the child's own client, and must not
  // let a process hide from a tracer. The exec hold itself stays (end_exec_hold).
  if (x.birth == BirthState::BeforeExec) x.birth = BirthState::Traced;
  // An engine attached during a pass first sees the next event (utrace's attaching list).
  (x.pass ? x.attaching : x.engines).push_back(e);
  registry_.count_member(*set->client);
  set->members[t->tid] = e;
  if (req.exitkill && !x.want_exitkill) {
    // Set at the thread's next stop (options only change in a stop): stop it for that.
    x.want_exitkill = true;
    if (t->stopped()) controller_.set_exitkill(t, true);
    else if (!t->exitkill) controller_.interrupt(t);
  }
  log::engine().info("engine {} attached to tid {} by client {} (events [{}], {})", e->id, t->tid,
                     set->client->client_id(), fmt::join(e->events.names(), ","),
                     e->mode == EngineMode::Sync ? "sync" : "async");
  ensure_stop_mode(t);
  return e;
}

void EngineHub::attach_process(const EngineSetPtr& set, const AttachRequest& req, pid_t tgid) {
  // Threads created by a thread we already trace are followed at their clone stop; threads
  // created by one we have not seized yet show up in the next listing. Loop until it is stable.
  for (int round = 0; round < 1000; ++round) {
    bool added = false;
    for (pid_t tid : proc::list_tasks(tgid)) {
      if (set->members.count(tid)) continue;
      if (registry_.client_full(*set->client)) throw RpcException(registry_.client_full_error());
      if (set->members.size() >= limits_.threads_per_engine)
        throw RpcException(errno_error(EAGAIN, "process " + std::to_string(tgid) +
                                                   " has more threads than one engine may cover",
                                       {{"limit", "threads_per_engine"},
                                        {"value", limits_.threads_per_engine}}));
      // Each thread on its own: threads of one process may hold different credentials.
      if (auto denied = check_trace_access(set->client->creds(), tid)) {
        if (denied->code == ESRCH) continue;  // exited meanwhile
        throw RpcException(*denied);
      }
      ThreadPtr t;
      try {
        t = seize_thread(*set->client, tid, req.exitkill);
      } catch (const RpcException& ex) {
        if (ex.error().code == ESRCH) continue;  // exited meanwhile
        if (ex.error().code == EPERM) {
          auto st = proc::read_status(tid);
          // A new thread of a thread we trace, auto-attached by the kernel: it is adopted
          // (and followed: the set has scope process) at its parent's clone stop, which the
          // event loop dispatches; this call does not wait for it.
          if (st && st->tracer_pid == ::getpid()) continue;
        }
        // The kernel refuses to attach to an exiting thread: it is as good as gone.
        auto flags = proc::read_flags(tid);
        if (ex.error().code == EPERM && (!flags || (*flags & proc::kPfExiting))) continue;
        throw;
      }
      if (!t->traced()) continue;
      add_member(set, t, req);
      added = true;
    }
    if (!added) return;
  }
}

AttachResult EngineHub::attach(ClientLink& client, const AttachRequest& req) {
  if (shutting_down_) throw RpcException(errno_error(ESHUTDOWN, "the daemon is shutting down"));
  if (auto err = check_trace_access(client.creds(), req.tid)) throw RpcException(*err);
  ThreadPtr t = controller_.find(req.tid);
  auto matches = [&](const EnginePtr& e) {
    return e->attached() && (!req.match_type || e->type == req.type) &&
           (!req.match_data || e->data == req.data);
  };
  if (!req.create) {
    // Lookup only sees the client's own engines: other clients' engines are invisible.
    if (t)
      for (auto& e : thread_engines(*t).all())
        if (e->client == &client && matches(e)) {
          std::vector<pid_t> tids;
          for (auto& [tid, m] : e->set->members) tids.push_back(tid);
          return {e->set, false, tids};
        }
    throw RpcException(errno_error(ENOENT, "no matching engine on thread " + std::to_string(req.tid),
                                   {{"tid", req.tid}}));
  }
  if (registry_.of(client).size() >= limits_.engines_per_client)
    throw RpcException(errno_error(EAGAIN, "too many engines on this connection",
                                   {{"limit", "engines_per_client"},
                                    {"value", limits_.engines_per_client}}));
  if (registry_.client_full(client)) throw RpcException(registry_.client_full_error());
  if (req.exclusive && t) {
    // utrace: exclusivity is checked against every engine on the thread, from any client.
    for (auto& e : thread_engines(*t).all())
      if (matches(e))
        throw RpcException(errno_error(
            EEXIST, "an engine matching the exclusive attach exists on thread " +
                        std::to_string(req.tid), {{"tid", req.tid}}));
  }
  if (req.hold_at_exec) check_exec_hold_target(req.tid);
  // A child under a RET_TRACE filter must not outlive its tracer: always exitkill.
  if (!t) t = seize_thread(client, req.tid, req.exitkill || req.seccomp);
  auto set = registry_.create(client, t->tgid, req.scope, req.follow);
  ++stats_.engines_attached;
  add_member(set, t, req);
  if (req.hold_at_exec) hold_until_exec(client, set, t, req);
  if (req.scope == EngineScope::Process) {
    try {
      attach_process(set, req, t->tgid);
    } catch (const RpcException&) {
      // Undo the attach: detach every member (they may have stopped their threads).
      auto members = set->members;
      for (auto& [tid, e] : members) detach_engine(e);
      drop_set(set);
      throw;
    }
  }
  std::vector<pid_t> tids;
  for (auto& [tid, m] : set->members) tids.push_back(tid);
  if (tids.empty()) throw RpcException(no_such_thread(req.tid));
  return {set, true, tids};
}

}  // namespace utraced
