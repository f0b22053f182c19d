#include "sys/access_policy.hpp"

#include <unistd.h>

#include <cerrno>

#include "sys/proc.hpp"

namespace utraced {

using utrace::proto::errno_error;

std::optional<utrace::proto::RpcError> check_trace_access(const PeerCreds& client, pid_t tid) {
  auto st = proc::read_status(tid);
  if (!st || st->state == 'Z' || st->state == 'X')
    return errno_error(ESRCH, "no such thread " + std::to_string(tid), {{"tid", tid}});
  if (st->tgid == ::getpid())
    return errno_error(EPERM, "the daemon itself cannot be traced", {{"tid", tid}});
  if (auto flags = proc::read_flags(tid); flags && (*flags & proc::kPfKthread))
    return errno_error(EPERM, "kernel threads cannot be traced", {{"tid", tid}});
  if (client.uid == 0) return std::nullopt;
  for (uid_t u : {st->uids[0], st->uids[1], st->uids[2]})
    if (u != client.uid)
      return errno_error(EPERM, "thread " + std::to_string(tid) + " belongs to another user",
                         {{"tid", tid}, {"reason", "uid"}});
  for (gid_t g : {st->gids[0], st->gids[1], st->gids[2]})
    if (g != client.gid)
      return errno_error(EPERM, "thread " + std::to_string(tid) + " runs with another group",
                         {{"tid", tid}, {"reason", "gid"}});
  if (auto owner = proc::proc_owner(tid); owner && *owner != client.uid)
    return errno_error(EPERM, "thread " + std::to_string(tid) + " is not dumpable",
                       {{"tid", tid}, {"reason", "dumpable"}});
  return std::nullopt;
}

}  // namespace utraced
