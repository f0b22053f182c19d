// Programs started by `launch` in the EngineHub: spawned held before their execve, seized,
// reported from their exec stop on (or failed, when they never get there).
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "engine/engine_hub.hpp"
#include "sys/access_policy.hpp"
#include "sys/proc.hpp"
#include "trace/launcher.hpp"
#include "trace/seccomp_filter.hpp"
#include "util/log.hpp"
#include "utrace/proto/errors.hpp"

namespace utraced {

using utrace::proto::errno_error;
using utrace::proto::RpcError;

void EngineHub::launch(ClientLink& client, const LaunchRequest& req,
                       std::function<void(const AttachResult*, const RpcError*)> done) {
  auto fail = [&](const RpcError& e) { done(nullptr, &e); };
  if (shutting_down_) return fail(errno_error(ESHUTDOWN, "the daemon is shutting down"));
  if (registry_.client_full(client)) return fail(registry_.client_full_error());
  // Each launch in flight is a process of the daemon's until its exec: a few per connection.
  std::size_t in_flight = 0;
  for (auto& [tid, l] : launches_) in_flight += l.client == &client && l.done ? 1 : 0;
  if (in_flight >= kLaunchesInFlight)
    return fail(errno_error(EAGAIN, "too many launches of this connection are still starting",
                            {{"limit", "launches_in_flight"}, {"value", kLaunchesInFlight}}));
  if (registry_.of(client).size() >= limits_.engines_per_client)
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
  const bool exitkill = req.attach.exitkill || trapped;
  if (int err = controller_.seize(child.pid, child.pid, &t, exitkill, trapped != nullptr)) {
    ::kill(child.pid, SIGKILL);  // its death goes to the reaper like any child's
    launcher::release(child);
    ::close(child.error_fd);
    return fail(errno_error(err, std::string("cannot trace the new program: ") + std::strerror(err)));
  }
  auto& x = thread_engines(*t);
  x.birth = BirthState::Launching;
  x.want_exitkill = exitkill;
  x.seccomp_set = trapped;
  controller_.tracer().mark_launched(t);
  auto set = registry_.create(client, t->tgid, req.attach.scope, req.attach.follow);
  ++stats_.engines_attached;
  ++stats_.launched;
  add_member(set, t, req.attach);
  launches_[t->tid] = PendingLaunch{std::move(done), set, child.error_fd, &client, std::nullopt};
  log::engine().info("launched pid {} for client {}: {}", t->tid, client.client_id(), spec.path);
  launcher::release(child);
}

void EngineHub::check_exec_hold_target(pid_t tid) {
  const std::string what = "thread " + std::to_string(tid);
  if (controller_.find(tid))
    throw utrace::proto::RpcException(errno_error(
        EINVAL, what + " is traced by utraced already: hold_at_exec is for a process nobody "
                       "traces yet (your own child, before its exec)", {{"tid", tid}}));
  auto st = proc::read_status(tid);
  if (!st) throw utrace::proto::RpcException(no_such_thread(tid));
  if (st->tgid != tid)
    throw utrace::proto::RpcException(errno_error(
        EINVAL, what + " is not a process id (its process is " + std::to_string(st->tgid) +
                    "): hold_at_exec needs the process", {{"tid", tid}}));
  if (auto n = proc::list_tasks(tid).size(); n != 1)
    throw utrace::proto::RpcException(errno_error(
        EINVAL, "process " + std::to_string(tid) + " has " + std::to_string(n) +
                    " threads: hold_at_exec needs a one-thread process before its exec",
        {{"tid", tid}}));
}

void EngineHub::hold_until_exec(ClientLink& client, const EngineSetPtr& set, const ThreadPtr& t,
                                const AttachRequest& req) {
  auto& x = thread_engines(*t);
  x.birth = BirthState::Launching;  // restarted silently, no reports, until its exec
  if (req.seccomp) {
    x.seccomp_set = req.syscalls;
    x.want_exitkill = true;
  }
  launches_[t->tid] = PendingLaunch{nullptr, set, -1, &client, std::nullopt};
  log::engine().info("tid={}: engine {} of client {} holds it at its exec", t->tid, set->id,
                     client.client_id());
}

void EngineHub::finish_launch(const ThreadPtr& t, int err) {
  auto it = launches_.find(t->tid);
  if (it == launches_.end()) return;
  PendingLaunch l = std::move(it->second);
  launches_.erase(it);
  if (!l.done) {
    // hold_at_exec: the attach was answered long ago. At the exec the engine takes its hold; a
    // death before it is reported like any death.
    if (err != 0 || !l.engine->attached) return;
    auto m = l.engine->members.find(t->tid);
    if (m != l.engine->members.end()) m->second->hold = true;
    return;
  }
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

namespace utraced {

void EngineHub::cancel_launches(const ClientLink& client) {
  // Launches still before their exec are cancelled: the program never started (its child may
  // be blocked opening a stdio path), and nothing may stay allocated for a client that left.
  for (auto it = launches_.begin(); it != launches_.end();) {
    if (it->second.client != &client) {
      ++it;
      continue;
    }
    if (!it->second.done) {
      // hold_at_exec: the client's own child. Its engine goes with the client; the child runs on
      // untraced (settled at its next stop), never killed.
      it = launches_.erase(it);
      continue;
    }
    auto t = controller_.find(it->first);
    if (t && thread_engines(*t).birth == BirthState::Launching) ::kill(t->tid, SIGKILL);
    ::close(it->second.error_fd);
    log::engine().info("launch of pid {} abandoned by client {}: cancelled", it->first,
                       client.client_id());
    it = launches_.erase(it);
  }
}

}  // namespace utraced
