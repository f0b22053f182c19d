// hold_at_exec in the EngineHub: a client's own child, seized before its execve, is silent
// until the exec and held there by the client's engine (PROTOCOL.md, "Starting a program traced
// from its first instruction"). The daemon starts no programs itself.
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

void EngineHub::check_exec_hold_target(pid_t tid) {
  const std::string what = "thread " + std::to_string(tid);
  if (controller_.find(tid))
    throw RpcException(errno_error(
        EINVAL, what + " is traced by utraced already: hold_at_exec is for a process nobody "
                       "traces yet (your own child, before its exec)", {{"tid", tid}}));
  auto st = proc::read_status(tid);
  if (!st) throw RpcException(no_such_thread(tid));
  if (st->tgid != tid)
    throw RpcException(errno_error(
        EINVAL, what + " is not a process id (its process is " + std::to_string(st->tgid) +
                    "): hold_at_exec needs the process", {{"tid", tid}}));
  if (auto n = proc::list_tasks(tid).size(); n != 1)
    throw RpcException(errno_error(
        EINVAL, "process " + std::to_string(tid) + " has " + std::to_string(n) +
                    " threads: hold_at_exec needs a one-thread process before its exec",
        {{"tid", tid}}));
}

void EngineHub::hold_until_exec(ClientLink& client, const EngineSetPtr& set, const ThreadPtr& t,
                                const AttachRequest& req) {
  auto& x = thread_engines(*t);
  x.birth = BirthState::BeforeExec;  // restarted silently, no reports, until its exec
  if (req.seccomp) {
    // Its RET_TRACE syscalls would fail with ENOSYS without a tracer: never detached, killed
    // with the daemon (exitkill, set at the seize).
    x.seccomp_set = req.syscalls;
    x.want_exitkill = true;
  }
  // Entries of engines detached before their child's exec (the child let go untraced, so no
  // exec or death comes to end them) go here: the map stays as small as the holds waiting.
  std::erase_if(exec_holds_, [](const auto& kv) { return !kv.second.engine->attached; });
  exec_holds_[t->tid] = ExecHold{set, &client};
  log::engine().info("tid={}: engine {} of client {} holds it at its exec", t->tid, set->id,
                     client.client_id());
}

void EngineHub::end_exec_hold(const ThreadPtr& t, int err) {
  auto it = exec_holds_.find(t->tid);
  if (it == exec_holds_.end()) return;
  EngineSetPtr set = std::move(it->second.engine);
  exec_holds_.erase(it);
  // A death before the exec is reported like any death.
  if (err != 0 || !set->attached) return;
  auto m = set->members.find(t->tid);
  if (m != set->members.end()) m->second->hold = true;
}

void EngineHub::forget_exec_holds(const ClientLink& client) {
  // The client's child runs on: its engine goes with the client (detach_client), and the
  // child, left without engines, is let go at its next stop. Never killed.
  std::erase_if(exec_holds_, [&](const auto& kv) { return kv.second.client == &client; });
}

}  // namespace utraced
