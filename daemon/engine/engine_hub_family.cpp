// Whole programs in the EngineHub: clone/fork/vfork children held for their parent's pass and
// followed by engines that ask for it, exec (credentials again, a non-leader's new tid) and the
// exit-hold policy.
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
  ThreadPtr c = controller_.adopt(child, tgid, parent);  // copies the parent's options
  auto& cx = thread_engines(*c);
  auto& px = thread_engines(*parent);
  cx.want_exitkill = c->exitkill;
  cx.seccomp_set = px.seccomp_set;  // the kernel copied the seccomp filter too
  cx.foreign_ret_trace = px.foreign_ret_trace;
  cx.birth = BirthState::BirthHold;
  // A fork copies the parent's memory, int3s included (vfork and clone may share it: left).
  if (parent->stop.clone_kind == PTRACE_EVENT_FORK && breakpoints_.has_process(parent->tgid))
    cx.scrub_breakpoints_of = parent->tgid;
  // A vfork child shares them: kept traced until its exec or exit (ThreadEngines).
  if (parent->stop.clone_kind == PTRACE_EVENT_VFORK && breakpoints_.has_process(parent->tgid))
    cx.shares_breakpoints_of = parent->tgid;
  ++stats_.children_held;
  const bool same_process = tgid == parent->tgid;
  const std::vector<EnginePtr> parents = px.all();
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
    if (registry_.client_full(*e->client)) {
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
    like.capture = e->capture;
    add_member(set, c, like);
  }
  log::trace().debug("tid={}: child {} (tgid {}) held for the clone report", parent->tid, child,
                     tgid);
  controller_.tracer().replay_unclaimed(child);  // its first stop may have come before this event
  return c;
}

void EngineHub::on_exec_credentials(const ThreadPtr& t) {
  // The exec stop: the new image's credentials (set-uid, set-gid, file capabilities, a
  // non-dumpable binary) are committed, and nothing of it has run. The kernel granted them
  // because the daemon, not the client, is the tracer: an engine whose client could not trace
  // the thread now is taken away here, before any report, wait result or examine call.
  auto& x = thread_engines(*t);
  const std::vector<EnginePtr> engines = x.all();
  std::unordered_map<const ClientLink*, std::optional<RpcError>> verdicts;
  for (auto& e : engines) {
    if (!e->attached() || !e->client) continue;
    auto [it, fresh] = verdicts.try_emplace(e->client);
    if (fresh) {
      it->second = check_trace_access(e->client->creds(), t->tid, AccessCheck::Exec);
      // ESRCH: its /proc could not be read. Only a thread killed meanwhile (no longer in a
      // ptrace-stop; its death follows) keeps its engines; any other failure fails closed.
      if (it->second && it->second->code == ESRCH && !controller_.still_stopped(t))
        it->second.reset();
    }
    const auto& denied = it->second;
    if (!denied) continue;
    const std::string why = denied->data.is_object() && denied->data.contains("reason")
                                ? denied->data["reason"].get<std::string>()
                                : std::string("denied");
    log::engine().info("tid={}: engine {} of client {} taken away at exec: {}", t->tid, e->id,
                       e->client->client_id(), denied->message);
    send_notice(e, "credentials",
                "engine " + std::to_string(e->id) + " was taken away from tid " +
                    std::to_string(t->tid) + " at its exec: the client may no longer trace it (" +
                    why + ")");
    drop_engine(e);  // no settle here: on_stop goes on, and lets the thread go if none is left
  }
  // PTRACE_O_EXITKILL stays only while an engine that asked for it is on the thread: otherwise
  // a client whose engine is gone (taken away here, or detached before) could still have the
  // new, perhaps privileged, image killed along with the daemon.
  const auto now = x.all();
  const bool wanted = x.seccomp_set != nullptr ||
                      std::any_of(now.begin(), now.end(), [](auto& e) { return e->exitkill; });
  if (x.want_exitkill && !wanted) {
    x.want_exitkill = false;
    controller_.set_exitkill(t, false);
  }
}

void EngineHub::release_child(const ThreadPtr& child) {
  auto& x = thread_engines(*child);
  if (x.birth != BirthState::BirthHold) return;
  x.birth = BirthState::Traced;
  // Not stopped yet: its first stop decides (no engines: detached there, running untraced).
  if (child->stopped() && !x.pass) settle(child);
}

void EngineHub::on_rekey(const ThreadPtr& t, pid_t former_tid) {
  // Its engines now answer to the leader's tid; the old leader's own engines, if any, keep
  // their set pointer and get its death and reap.
  for (auto& e : thread_engines(*t).all()) {
    if (!e->set) continue;
    auto it = e->set->members.find(former_tid);
    if (it != e->set->members.end() && it->second == e) e->set->members.erase(it);
    e->set->members[t->tid] = e;
  }
  auto it = exec_holds_.find(former_tid);
  if (it != exec_holds_.end()) {
    auto h = std::move(it->second);
    exec_holds_.erase(it);
    exec_holds_.emplace(t->tid, std::move(h));
  }
}

void EngineHub::watch_exit_hold(const ThreadPtr& t) {
  auto& x = thread_engines(*t);
  if (x.exit_watch) return;
  x.exit_watch = std::make_shared<boost::asio::steady_timer>(io_, std::chrono::milliseconds(20));
  std::weak_ptr<TracedThread> wt = t;
  x.exit_watch->async_wait([this, wt](const boost::system::error_code& ec) {
    auto t2 = wt.lock();
    if (!ec && t2) check_exit_hold(t2);
  });
}

void EngineHub::check_exit_hold(const ThreadPtr& t) {
  auto& x = thread_engines(*t);
  x.exit_watch.reset();
  if (!t->stopped() || t->stop.kind != StopKind::Exit || x.pass || !x.any_hold()) return;
  // Policy (PROTOCOL.md, "Exit holds"): a held exit stop would keep a sibling's execve waiting
  // forever (de_thread waits for every other thread to die). As utrace let no engine delay a
  // group death, the hold is released and the engine told so.
  if (!sibling_in_exec(*t)) return watch_exit_hold(t);
  release_exit_holds(t);
  settle(t);
}

bool EngineHub::sibling_in_exec(const TracedThread& t) {
  return proc::sibling_waits_in_exec(t.tgid, t.tid);
}

void EngineHub::release_exit_holds(const ThreadPtr& t) {
  for (auto& e : thread_engines(*t).engines)
    if (e->hold) {
      e->hold = false;
      send_notice(e, "exec", "the hold on the exit stop of tid " + std::to_string(t->tid) +
                                 " was released: another thread of the process is in execve");
    }
  log::engine().info("tid={}: exit hold released for a sibling's exec", t->tid);
}

bool EngineHub::exit_hold_broken(const ThreadPtr& t, WaitStatus status) {
  // A thread held in its exit stop died: only SIGKILL takes a thread out of a ptrace-stop, and
  // in an exit stop it comes from a sibling's exec (de_thread) or from the death of the whole
  // group. The exec'ing sibling waits in execve until this death is collected, so it is
  // usually still there; if it already went on, the process living on tells an exec from a
  // group death (which kills the leader too), after a grace for that death to show.
  auto& x = thread_engines(*t);
  if (t->stop.kind != StopKind::Exit || !x.any_hold()) return false;
  if (sibling_in_exec(*t)) {
    release_exit_holds(t);
    return false;
  }
  auto timer = std::make_shared<boost::asio::steady_timer>(io_, std::chrono::milliseconds(20));
  timer->async_wait([this, t, status, timer](const boost::system::error_code&) {
    auto st = proc::read_status(t->tgid);
    if (st && st->state != 'Z' && st->state != 'X') release_exit_holds(t);
    report_death(t, status);
  });
  return true;
}

}  // namespace utraced
