#include "sys/access_policy.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <utility>

#include "sys/proc.hpp"

namespace utraced {

using utrace::proto::errno_error;
using utrace::proto::RpcError;

namespace {

// -1: no such file; 0..3 the scope; 3 for anything unparsable (fail closed).
int read_scope(const char* path) {
  std::ifstream in(path);
  if (!in) return -1;
  int v = -1;
  if (!(in >> v) || v < 0) return 3;
  return std::min(v, 3);
}

RpcError deny(pid_t tid, const char* reason, const std::string& message) {
  return errno_error(EPERM, "thread " + std::to_string(tid) + ": " + message,
                     {{"tid", tid}, {"reason", reason}});
}

// Yama's task_is_descendant: is the thread group of tid the client process or below it,
// following real parents (PPid) up to pid 1? /proc is read one step at a time, so a process
// reparented meanwhile is seen where it was when read.
bool is_descendant(pid_t ancestor, pid_t tgid) {
  pid_t walker = tgid;
  for (int depth = 0; walker > 0 && depth < 65536; ++depth) {
    if (walker == ancestor) return true;
    auto st = proc::read_status(walker);
    if (!st) return false;
    walker = st->ppid;
  }
  return false;
}

// Owner (uid, gid) of /proc/TID/environ: the task's euid/egid when dumpable, root otherwise
// (task_dump_owner). nullopt when the task is gone.
std::optional<std::pair<uid_t, gid_t>> dump_owner(pid_t tid) {
  struct stat sb {};
  if (::stat(("/proc/" + std::to_string(tid) + "/environ").c_str(), &sb) != 0) return std::nullopt;
  return std::make_pair(sb.st_uid, sb.st_gid);
}

}  // namespace

bool memory_readable_now(const PeerCreds& client, pid_t tid) {
  if (client.has_cap(proc::kCapSysPtrace)) return true;
  auto owner = dump_owner(tid);
  // Root's own thread cannot be told from a non-dumpable one (both root-owned): refuse, as the
  // attach-time check does for a client without CAP_SYS_PTRACE.
  return owner && owner->first == client.uid && owner->second == client.gid &&
         !(client.uid == 0 && client.gid == 0);
}

RpcError no_such_thread(pid_t tid) {
  return errno_error(ESRCH, "no such thread " + std::to_string(tid), {{"tid", tid}});
}

int effective_ptrace_scope() {
  int scope = std::max(read_scope(kYamaPath), 0);
  if (const char* p = std::getenv(kYamaPathEnv); p && *p) {
    int fake = read_scope(p);
    scope = std::max(scope, fake < 0 ? 3 : fake);
  }
  return scope;
}

namespace {

// What __ptrace_may_access refuses a client without CAP_SYS_PTRACE: the same refusal also hides
// the thread from a /proc mounted with hidepid= (has_pid_permissions asks ptrace_may_access
// too). There the client learns nothing: a thread it cannot see is reported like one that does
// not exist (hidepid=invisible), or refused without a reason (hidepid=noaccess).
std::optional<RpcError> refuse_credentials(const PeerCreds& client, pid_t tid,
                                           const proc::TaskStatus& st, AccessCheck kind) {
  const char* reason = nullptr;
  std::string why;
  // The caller's ids against all of the target's real/effective/saved.
  for (uid_t u : {st.uids[0], st.uids[1], st.uids[2]})
    if (!reason && u != client.uid) {
      reason = "uid";
      why = "runs as another user";
    }
  for (gid_t g : {st.gids[0], st.gids[1], st.gids[2]})
    if (!reason && g != client.gid) {
      reason = "gid";
      why = "runs with another group";
    }
  // cap_ptrace_access_check: the target may not hold capabilities the client does not.
  const std::uint64_t client_prm = client.caps_known ? client.cap_prm : 0;
  if (!reason && (!st.has_caps || (st.cap_prm & ~client_prm) != 0)) {
    reason = "capabilities";
    why = "holds capabilities the client does not have";
  }
  if (!reason) {
    // Dumpable: the kernel gives a task's /proc files (not the world-readable /proc/TID
    // directory itself, which always shows the euid) to its euid/egid when its mm is
    // dumpable, to root otherwise. When the target's euid and egid are root too the two
    // cannot be told apart: refuse.
    auto owner = dump_owner(tid);
    if (!owner) return no_such_thread(tid);
    if (owner->first != st.uids[1] || owner->second != st.gids[1] ||
        (st.uids[1] == 0 && st.gids[1] == 0)) {
      reason = "dumpable";
      why = "is not dumpable";
    }
  }
  if (!reason) return std::nullopt;
  // Only a new attach hides: a thread the client traces already is one it has seen, and
  // there ESRCH must keep meaning "gone" (a refusal must never read as that).
  if (kind == AccessCheck::Attach && client.proc_hidepid >= 2) return no_such_thread(tid);
  if (kind == AccessCheck::Attach && client.proc_hidepid == 1)
    return deny(tid, "hidden", "not permitted (the client lacks CAP_SYS_PTRACE)");
  return deny(tid, reason, why + " and the client lacks CAP_SYS_PTRACE");
}

// Yama (security_ptrace_access_check), read at every check so a change applies at once.
std::optional<RpcError> refuse_yama(const PeerCreds& client, pid_t tid, pid_t tgid,
                                    bool ptrace_cap) {
  switch (effective_ptrace_scope()) {
    case 0: return std::nullopt;
    case 1:
      // The walk looks for the connecting process's pid: only while that process exists (its
      // pidfd says so) can the pid not have been reused by another process.
      if (!ptrace_cap && !client.connector_alive())
        return deny(tid, "yama",
                    "ptrace_scope 1: the process that opened this connection has exited, so "
                    "its descendants cannot be told");
      if (!ptrace_cap && !is_descendant(client.pid, tgid))
        return deny(tid, "yama",
                    "ptrace_scope 1: not a descendant of the client process " +
                        std::to_string(client.pid) +
                        " (PR_SET_PTRACER exceptions are not honoured)");
      return std::nullopt;
    case 2:
      if (!ptrace_cap) return deny(tid, "yama", "ptrace_scope 2: the client lacks CAP_SYS_PTRACE");
      return std::nullopt;
    default: return deny(tid, "yama", "ptrace_scope 3: no process may be traced");
  }
}

}  // namespace

std::optional<RpcError> check_trace_access(const PeerCreds& client, pid_t tid, AccessCheck kind) {
  auto st = proc::read_status(tid);
  if (!st || st->state == 'Z' || st->state == 'X') return no_such_thread(tid);
  if (st->tgid == ::getpid()) return deny(tid, "daemon", "the daemon itself cannot be traced");
  const bool ptrace_cap = client.has_cap(proc::kCapSysPtrace);
  if (auto flags = proc::read_flags(tid); !flags || (*flags & proc::kPfKthread)) {
    if (!flags) return no_such_thread(tid);
    const int hidepid = kind == AccessCheck::Attach && !ptrace_cap ? client.proc_hidepid : 0;
    if (hidepid >= 2) return no_such_thread(tid);
    if (hidepid == 1) return deny(tid, "hidden", "not permitted (the client lacks CAP_SYS_PTRACE)");
    return deny(tid, "kthread", "kernel threads cannot be traced");
  }
  if (!ptrace_cap)
    if (auto refused = refuse_credentials(client, tid, *st, kind)) return refused;
  if (kind == AccessCheck::Exec) return std::nullopt;
  return refuse_yama(client, tid, st->tgid, ptrace_cap);
}

}  // namespace utraced
