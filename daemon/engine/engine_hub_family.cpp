// Whole programs in the EngineHub: clone/fork/vfork children held for their parent's pass and
// followed by engines that ask for it, exec by a non-leader thread, the exit-hold policy, and
// programs started by `launch`.
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "engine/engine_hub.hpp"
#include "sys/access_policy.hpp"
#include "sys/proc.hpp"
#include "trace/launcher.hpp"
#include "trace/ptrace.hpp"
#include "trace/seccomp_filter.hpp"
#include "util/log.hpp"
#include "utrace/proto/errors.hpp"

namespace utraced {

using utrace::proto::errno_error;
using utrace::proto::RpcError;

ThreadPtr EngineHub::adopt_child(const ThreadPtr& parent) {
  const auto child = static_cast<pid_t>(parent->stop.event_msg);
  if (child <= 0) return nullptr;
  pid_t tgid = child;
  if (parent->stop.clone_kind == PTRACE_EVENT_CLONE) {
    // CLONE_THREAD or a clone(2) without it: the kernel does not say which.
    auto st = proc::read_status(child);
    tgid = st ? st->tgid : parent->tgid;
  }
  ThreadPtr c = tracer_.adopt(child, tgid, parent);
  c->exitkill = c->want_exitkill = parent->exitkill;  // the kernel copied the parent's options
  c->seccomp_set = parent->seccomp_set;               // and the seccomp filter
  c->birth_hold = true;
  ++stats_.children_held;
  const bool same_process = tgid == parent->tgid;
  std::vector<EnginePtr> parents = parent->engines;
  parents.insert(parents.end(), parent->attaching.begin(), parent->attaching.end());
  // Each following client is checked for the child as for an attach of its own (its
  // credentials are its parent thread's, but a process-scope engine must never reach a thread
  // its client could not attach directly). Once per client.
  std::unordered_map<const ClientLink*, bool> allowed;
  for (auto& e : parents) {
    auto set = e->set;
    if (!e->attached() || !set || !set->follows(same_process) || set->members.count(child))
      continue;
    auto [it, fresh] = allowed.try_emplace(e->client, true);
    if (fresh) {
      // Fail closed: a child whose /proc cannot be read (killed already) is not followed.
      auto denied = check_trace_access(e->client->creds(), child, AccessCheck::Exec);
      it->second = !denied;
      if (denied && denied->code != ESRCH)
        send_notice(e, "credentials",
                    "child " + std::to_string(child) +
                        " not followed: the client may not trace it (PROTOCOL.md, Security)");
    }
    if (!it->second) continue;
    if (client_full(*e->client)) {
      send_notice(e, "follow_limit",
                  "child " + std::to_string(child) + " not followed: the connection's engines "
                  "cover " + std::to_string(limits_.threads_per_client) +
                      " threads (threads_per_client)");
      continue;
    }
    if (set->members.size() >= limits_.threads_per_engine) {
      send_notice(e, "follow_limit",
                  "child " + std::to_string(child) + " not followed: the engine covers " +
                      std::to_string(set->members.size()) + " threads (threads_per_engine)");
      continue;
    }
    AttachRequest like;
    like.events = e->events;
    like.mode = e->mode;
    like.concurrent = e->concurrent;
    like.type = e->type;
    like.data = e->data;
    like.report_timeout = e->report_timeout;
    like.syscalls = e->syscalls;
    like.exitkill = e->exitkill;
    add_member(set, c, like);
  }
  log::trace().debug("tid={}: child {} (tgid {}) held for the clone report", parent->tid, child,
                     tgid);
  tracer_.replay_unclaimed(child);  // its first stop may have come before this event
  return c;
}

void EngineHub::on_exec_credentials(const ThreadPtr& t) {
  // The exec stop: the new image's credentials (set-uid, set-gid, file capabilities, a
  // non-dumpable binary) are committed, and nothing of it has run. The kernel granted them
  // because the daemon, not the client, is the tracer: an engine whose client could not trace
  // the thread now is taken away here, before any report, wait result or examine call.
  std::vector<EnginePtr> engines = t->engines;
  engines.insert(engines.end(), t->attaching.begin(), t->attaching.end());
  std::unordered_map<const ClientLink*, std::optional<RpcError>> verdicts;
  for (auto& e : engines) {
    if (!e->attached() || !e->client) continue;
    auto [it, fresh] = verdicts.try_emplace(e->client);
    if (fresh) {
      it->second = check_trace_access(e->client->creds(), t->tid, AccessCheck::Exec);
      // ESRCH: its /proc could not be read. Only a thread killed meanwhile (no longer in a
      // ptrace-stop; its death follows) keeps its engines; any other failure fails closed.
      std::uint64_t msg = 0;
      if (it->second && it->second->code == ESRCH &&
          ptrace_ops::get_event_msg(t->tid, &msg) == ESRCH)
        it->second.reset();
    }
    const auto& denied = it->second;
    if (!denied) continue;
    const std::string why = denied->data.is_object() && denied->data.contains("reason")
                                ? denied->data["reason"].get<std::string>()
                                : std::string("denied");
    log::engine().info("tid={}: engine {} of client {} taken away at exec: {}", t->tid, e->id,
                       e->client->client_id(), denied->message);
    if (auto l = launches_.find(t->tid); l != launches_.end() && l->second.engine == e->set) {
      // A launch still waiting for this exec: the launch itself fails (its client has no
      // engine id yet to be told about).
      l->second.denied = utrace::proto::errno_error(
          EPERM, "the program cannot be traced by this client after its exec (" + why + ")",
          {{"reason", why}});
    } else {
      send_notice(e, "credentials",
                  "engine " + std::to_string(e->id) + " was taken away from tid " +
                      std::to_string(t->tid) + " at its exec: the client may no longer trace it (" +
                      why + ")");
    }
    e->reporting = false;
    drop_engine(e);  // no settle here: on_stop goes on, and lets the thread go if none is left
  }
  // PTRACE_O_EXITKILL stays only while an engine that asked for it is on the thread: otherwise
  // a client whose engine is gone (taken away here, or detached before) could still have the
  // new, perhaps privileged, image killed along with the daemon.
  const bool wanted = t->seccomp_set != nullptr ||
                      std::any_of(t->engines.begin(), t->engines.end(),
                                  [](const EnginePtr& e) { return e->exitkill; }) ||
                      std::any_of(t->attaching.begin(), t->attaching.end(),
                                  [](const EnginePtr& e) { return e->exitkill; });
  if (t->want_exitkill && !wanted) {
    t->want_exitkill = false;
    if (t->exitkill && ptrace_ops::set_options(t->tid, false) == 0) t->exitkill = false;
  }
}

void EngineHub::release_child(const ThreadPtr& child) {
  if (!child->birth_hold) return;
  child->birth_hold = false;
  // Not stopped yet: its first stop decides (no engines: detached there, running untraced).
  if (child->state == ThreadState::Stopped && !child->pass) settle(child);
}

void EngineHub::on_rekey(const ThreadPtr& t, pid_t former_tid) {
  // Its engines now answer to the leader's tid; the old leader's own engines, if any, keep
  // their set pointer and get its death and reap.
  for (auto* list : {&t->engines, &t->attaching})
    for (auto& e : *list) {
      if (!e->set) continue;
      auto it = e->set->members.find(former_tid);
      if (it != e->set->members.end() && it->second == e) e->set->members.erase(it);
      e->set->members[t->tid] = e;
    }
  auto it = launches_.find(former_tid);
  if (it != launches_.end()) {
    auto l = std::move(it->second);
    launches_.erase(it);
    launches_.emplace(t->tid, std::move(l));
  }
}

void EngineHub::watch_exit_hold(const ThreadPtr& t) {
  if (t->exit_watch) return;
  t->exit_watch = std::make_shared<boost::asio::steady_timer>(io_, std::chrono::milliseconds(20));
  std::weak_ptr<TracedThread> wt = t;
  t->exit_watch->async_wait([this, wt](const boost::system::error_code& ec) {
    auto t2 = wt.lock();
    if (!ec && t2) check_exit_hold(t2);
  });
}

void EngineHub::check_exit_hold(const ThreadPtr& t) {
  t->exit_watch.reset();
  if (t->state != ThreadState::Stopped || t->stop.kind != StopKind::Exit || t->pass ||
      !t->any_hold())
    return;
  // Policy (PROTOCOL.md, "Exit holds"): a held exit stop would keep a sibling's execve waiting
  // forever (de_thread waits for every other thread to die). As utrace let no engine delay a
  // group death, the hold is released and the engine told so.
  static const std::vector<long> kExec = {SYS_execve, SYS_execveat};
  if (!proc::sibling_in_syscall(t->tgid, t->tid, kExec)) return watch_exit_hold(t);
  for (auto& e : t->engines)
    if (e->hold) {
      e->hold = false;
      send_notice(e, "exec", "the hold on the exit stop of tid " + std::to_string(t->tid) +
                                 " was released: another thread of the process is in execve");
    }
  log::engine().info("tid={}: exit hold released for a sibling's exec", t->tid);
  settle(t);
}

void EngineHub::launch(ClientLink& client, const LaunchRequest& req,
                       std::function<void(const AttachResult*, const RpcError*)> done) {
  auto fail = [&](const RpcError& e) { done(nullptr, &e); };
  if (shutting_down_) return fail(errno_error(ESHUTDOWN, "the daemon is shutting down"));
  if (client_full(client)) return fail(client_full_error(limits_.threads_per_client));
  // Each launch in flight is a process of the daemon's until its exec: a few per connection.
  std::size_t in_flight = 0;
  for (auto& [tid, l] : launches_) in_flight += l.client == &client ? 1 : 0;
  if (in_flight >= kLaunchesInFlight)
    return fail(errno_error(EAGAIN, "too many launches of this connection are still starting",
                            {{"limit", "launches_in_flight"}, {"value", kLaunchesInFlight}}));
  if (engines_of(client).size() >= limits_.engines_per_client)
    return fail(errno_error(EAGAIN, "too many engines on this connection",
                            {{"limit", "engines_per_client"},
                             {"value", limits_.engines_per_client}}));
  launcher::Spec spec;
  spec.path = req.path;
  spec.argv = req.argv;
  spec.env = req.env;
  spec.cwd = req.cwd;
  for (int i = 0; i < 3; ++i) spec.stdio[i] = req.stdio[i];
  const auto& creds = client.creds();
  if (creds.uid == 0) {
    // A uid-0 client runs the program as root without dropping anything: only one that holds
    // every capability the daemon has may, or the program would get more than its client.
    auto self = proc::read_status(::getpid());
    const std::uint64_t mine = self ? self->cap_prm : ~0ull;
    if (!creds.caps_known || (mine & ~creds.cap_prm) != 0)
      return fail(errno_error(EPERM,
                              "a uid-0 client without all of the daemon's capabilities cannot "
                              "launch (the program would get capabilities its client lacks)",
                              {{"reason", "capabilities"}}));
  }
  spec.drop_privileges = creds.uid != 0;
  spec.uid = creds.uid;
  spec.gid = creds.gid;
  if (spec.drop_privileges) spec.groups = creds.groups;  // as the kernel gave them at connect
  std::shared_ptr<const SyscallSet> trapped;
  if (req.attach.seccomp) {
    if (!req.attach.syscalls)
      return fail(utrace::proto::invalid_params("seccomp", "needs a \"syscalls\" list"));
    std::vector<int> nrs;
    for (std::size_t i = 0; i < req.attach.syscalls->size(); ++i)
      if (req.attach.syscalls->test(i)) nrs.push_back(static_cast<int>(i));
    std::string why;
    spec.seccomp_bpf = seccomp_filter::build_trace_filter(nrs, &why);
    if (spec.seccomp_bpf.empty()) return fail(errno_error(EINVAL, "seccomp filter: " + why));
    trapped = req.attach.syscalls;
  }
  launcher::Child child;
  if (int err = launcher::spawn_held(spec, &child))
    return fail(errno_error(err, std::string("cannot start the program: ") + std::strerror(err)));
  ThreadPtr t;
  // A program under a RET_TRACE filter must not outlive its tracer: always exitkill.
  if (int err = tracer_.seize(child.pid, child.pid, &t, req.attach.exitkill || trapped, trapped != nullptr)) {
    ::kill(child.pid, SIGKILL);  // its death goes to the reaper like any child's
    launcher::release(child);
    ::close(child.error_fd);
    return fail(errno_error(err, std::string("cannot trace the new program: ") + std::strerror(err)));
  }
  t->prelaunch = true;
  tracer_.mark_launched(t);
  t->seccomp_set = trapped;
  auto set = std::make_shared<EngineSet>();
  set->id = next_engine_id_++;
  set->client = &client;
  set->pid = t->tgid;
  set->scope = req.attach.scope;
  set->follow = req.attach.follow;
  engines_.emplace(set->id, set);
  ++stats_.engines_attached;
  ++stats_.launched;
  add_member(set, t, req.attach);
  launches_[t->tid] = PendingLaunch{std::move(done), set, child.error_fd, &client, std::nullopt};
  log::engine().info("launched pid {} for client {}: {}", t->tid, client.client_id(), spec.path);
  launcher::release(child);
}

void EngineHub::finish_launch(const ThreadPtr& t, int err) {
  auto it = launches_.find(t->tid);
  if (it == launches_.end()) return;
  PendingLaunch l = std::move(it->second);
  launches_.erase(it);
  if (err == 0) {
    ::close(l.error_fd);
    if (l.denied) return l.done(nullptr, &*l.denied);
    if (!l.engine->attached) return;  // its client went away: the program runs on untraced
    auto m = l.engine->members.find(t->tid);
    if (m != l.engine->members.end()) m->second->hold = true;  // the launch hold
    AttachResult r{l.engine, true, {t->tid}};
    return l.done(&r, nullptr);
  }
  std::string step;
  int code = 0;
  RpcError e = launcher::read_failure(l.error_fd, &step, &code)
                   ? errno_error(code, "cannot start the program: " + step + " failed: " +
                                           std::strerror(code),
                                 {{"step", step}})
                   : errno_error(ECHILD, "the program died before its exec");
  ::close(l.error_fd);
  // The engine never reached its client: drop it without death reports.
  auto members = l.engine->members;
  for (auto& [tid, m] : members) drop_engine(m);
  drop_set(l.engine);
  l.done(nullptr, &e);
}

}  // namespace utraced
