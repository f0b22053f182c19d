// The `who` method: which clients hold engines on a process (PROTOCOL.md, who). The answer to
// "gdb -p says Operation not permitted: who traces this?" when the tracer is utraced.
#include <cerrno>
#include <algorithm>
#include <map>
#include <unistd.h>

#include "engine/engine_hub.hpp"
#include "rpc/dispatcher.hpp"
#include "rpc/dispatcher_helpers.hpp"
#include "rpc/session.hpp"
#include "sys/access_policy.hpp"
#include "sys/proc.hpp"
#include "utrace/proto/method_params.hpp"

namespace utraced {

namespace proto = utrace::proto;
using proto::Params;
using proto::RpcException;

nlohmann::json Dispatcher::who(Session& s, const Params& p) {
  namespace wp = proto::params::who;
  p.allow_only(wp::table);
  const auto pid = static_cast<pid_t>(p.integer(wp::pid));
  auto st = proc::read_status(pid);
  if (!st || st->state == 'Z' || st->state == 'X' || st->tgid != pid)
    throw RpcException(no_such_thread(pid));
  // Root, and the owner of the process (its real or effective uid): other users' tracing is
  // not everyone's business. A process the client cannot see in its /proc is not there.
  const auto& creds = s.creds();
  const bool owner = st->uids[0] == creds.uid || st->uids[1] == creds.uid;
  if (creds.uid != 0 && !owner) {
    if (creds.proc_hidepid >= 2) throw RpcException(no_such_thread(pid));
    throw RpcException(proto::errno_error(
        EPERM, "only root and the owner of process " + std::to_string(pid) +
                   " may ask who traces it", {{"tid", pid}}));
  }
  // One entry per client, in the order of their client ids.
  std::map<std::uint64_t, nlohmann::json> clients;
  for (const auto& e : hub_.engines_on_process(pid)) {
    auto& c = clients[e->client->client_id()];
    if (c.is_null()) {
      const auto& pc = e->client->creds();
      c = {{"client", e->client->client_id()}, {"pid", pc.pid}, {"uid", pc.uid},
           {"comm", pc.comm}, {"engines", nlohmann::json::array()}};
    }
    auto& ids = c["engines"];
    if (std::find(ids.begin(), ids.end(), e->id) == ids.end()) ids.push_back(e->id);
  }
  nlohmann::json list = nlohmann::json::array();
  for (auto& [id, c] : clients) list.push_back(std::move(c));
  // TracerPid is world-readable in /proc anyway: it tells utraced from another tracer.
  return {{"pid", pid}, {"tracer_pid", st->tracer_pid}, {"utraced", st->tracer_pid == ::getpid()},
          {"clients", std::move(list)}};
}

}  // namespace utraced
