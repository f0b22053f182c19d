// May this client trace that thread? A first version of the kernel's ptrace_may_access decided
// for the *client* (DESIGN.md section 6): the daemon runs as root and must not be a way around it.
#pragma once

#include <sys/types.h>

#include <optional>

#include "sys/peer_creds.hpp"
#include "utrace/proto/errors.hpp"

namespace utraced {

// nullopt when allowed; otherwise the error to return (ESRCH, EPERM or EACCES with the reason).
std::optional<utrace::proto::RpcError> check_trace_access(const PeerCreds& client, pid_t tid);

}  // namespace utraced
