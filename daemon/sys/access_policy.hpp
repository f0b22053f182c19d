// May this client trace that thread? The kernel's ptrace_may_access(PTRACE_MODE_ATTACH_REALCREDS)
// decided for the *client* (DESIGN.md section 6): the daemon runs as root with CAP_SYS_PTRACE
// and must not be a way around it. The rules, in the order they are checked, are in
// proto/PROTOCOL.md section "Permissions".
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

#include "sys/peer_creds.hpp"
#include "utrace/proto/errors.hpp"

namespace utraced {

// nullopt when allowed; otherwise the error to return: ESRCH (no such thread) or EPERM with
// data {"tid", "reason"}, reason one of "daemon", "kthread", "uid", "gid", "capabilities",
// "dumpable", "yama".
std::optional<utrace::proto::RpcError> check_trace_access(const PeerCreds& client, pid_t tid);

// Yama's ptrace_scope as the policy sees it: the larger of /proc/sys/kernel/yama/ptrace_scope
// (0 when absent) and the file named by $UTRACED_YAMA_PATH, if set (for tests: it can only make
// the policy stricter). A file that exists but cannot be parsed counts as 3.
int effective_ptrace_scope();

inline constexpr const char* kYamaPath = "/proc/sys/kernel/yama/ptrace_scope";
inline constexpr const char* kYamaPathEnv = "UTRACED_YAMA_PATH";

}  // namespace utraced
