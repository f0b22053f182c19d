// May this client trace that thread? The kernel's ptrace_may_access(PTRACE_MODE_ATTACH_REALCREDS)
// decided for the *client* (DESIGN.md section 6): the daemon runs as root with CAP_SYS_PTRACE
// and must not be a way around it. The rules, in the order they are checked, are in
// proto/PROTOCOL.md section "Permissions".
//
// The check runs at every point where a client gains or keeps access to a thread: before and
// again after the seize of each thread (the thread the daemon now traces cannot change under
// it except by exec), for each thread a process-scope attach or a follow adopts, and at every
// exec stop with the new credentials (AccessCheck::Exec).
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

#include "sys/peer_creds.hpp"
#include "utrace/proto/errors.hpp"

namespace utraced {

enum class AccessCheck {
  Attach,  // a new engine (or member): every rule, Yama included; a refusal about a thread the
           // client's /proc hides reads like "no such thread"
  Exec,    // a thread the client traces already (exec, a followed child, examine): the
           // credential rules (uids, gids, capabilities, dumpable) only; Yama's relationship
           // rule is an attach-time rule in the kernel too. ESRCH here means only that the
           // thread is gone or its /proc could not be read: callers must fail closed.
};

// nullopt when allowed; otherwise the error to return: ESRCH (no such thread, or one the
// client cannot see through its /proc) or EPERM with data {"tid", "reason"}, reason one of
// "daemon", "kthread", "uid", "gid", "capabilities", "dumpable", "yama", "hidden". Messages name
// no ids, owner or tracer of the target (least disclosure: PROTOCOL.md "Security").
std::optional<utrace::proto::RpcError> check_trace_access(const PeerCreds& client, pid_t tid,
                                                          AccessCheck kind = AccessCheck::Attach);

// May this client read the memory of a thread it traces, now? ptrace_access_vm's rule: yes with
// CAP_SYS_PTRACE; else only while the thread's mm is dumpable for the client (its /proc files
// belong to the client's uid and gid). One stat(2): cheap enough for every captured stop.
bool memory_readable_now(const PeerCreds& client, pid_t tid);

// ESRCH "no such thread TID": also the answer about a thread the client cannot see.
utrace::proto::RpcError no_such_thread(pid_t tid);

// Yama's ptrace_scope as the policy sees it: the larger of /proc/sys/kernel/yama/ptrace_scope
// (0 when absent) and the file named by $UTRACED_YAMA_PATH, if set (for tests: it can only make
// the policy stricter). A file that exists but cannot be parsed counts as 3.
int effective_ptrace_scope();

inline constexpr const char* kYamaPath = "/proc/sys/kernel/yama/ptrace_scope";
inline constexpr const char* kYamaPathEnv = "UTRACED_YAMA_PATH";

}  // namespace utraced
