// The `launch` method: start a program traced from its first instruction (PROTOCOL.md).
#include <cerrno>

#include "engine/engine_hub.hpp"
#include "rpc/dispatcher.hpp"
#include "rpc/dispatcher_helpers.hpp"
#include "rpc/session.hpp"
#include "trace/launcher.hpp"
#include "utrace/proto/method_params.hpp"

namespace utraced {

namespace proto = utrace::proto;
using proto::ParamSpec;
using proto::Params;
using proto::RpcException;
namespace lp = proto::params::launch;
using dispatch::bad;

namespace {

std::vector<std::string> string_list(const Params& p, const ParamSpec& spec) {
  std::vector<std::string> out;
  const auto* v = p.raw(spec.name);
  if (!v || v->is_null()) {
    if (spec.required) bad(spec, "is required");
    return out;
  }
  if (!v->is_array()) bad(spec, "must be a list of strings");
  for (const auto& x : *v) {
    if (!x.is_string()) bad(spec, "must be a list of strings");
    auto s = x.get<std::string>();
    if (s.find('\0') != std::string::npos) bad(spec, "strings must not contain NUL bytes");
    out.push_back(std::move(s));
  }
  return out;
}

std::string path_param(const Params& p, const ParamSpec& spec) {
  auto v = p.opt_string(spec).value_or("");
  if (v.find('\0') != std::string::npos) bad(spec, "must not contain NUL bytes");
  return v;
}

}  // namespace

nlohmann::json Dispatcher::launch(Session& s, const nlohmann::json& id, const Params& p) {
  p.allow_only(lp::table);
  if (!launch_enabled_)
    throw RpcException(proto::errno_error(EPERM, "launch is disabled on this daemon (--no-launch)",
                                          {{"reason", "launch_disabled"}}));
  LaunchRequest req;
  parse_engine_options(p, &req.attach);
  if (!p.has(lp::scope.name)) req.attach.scope = EngineScope::Process;
  req.attach.seccomp = p.opt_bool(lp::seccomp).value_or(false);
  if (req.attach.seccomp && !req.attach.syscalls) bad(lp::seccomp, "needs a \"syscalls\" list");
  req.argv = string_list(p, lp::argv);
  if (req.argv.empty() || req.argv.front().empty()) bad(lp::argv, "must name a program");
  if (p.has(lp::env.name)) {
    req.env = string_list(p, lp::env);
    for (const auto& e : req.env)
      if (e.find('=') == std::string::npos || e.front() == '=')
        bad(lp::env, "entries must be NAME=value, not '" + e + "'");
  } else {
    req.env = {"PATH=/usr/local/bin:/usr/bin:/bin"};
  }
  req.cwd = path_param(p, lp::cwd);
  req.stdio[0] = path_param(p, lp::stdin_path);
  req.stdio[1] = path_param(p, lp::stdout_path);
  req.stdio[2] = path_param(p, lp::stderr_path);
  // Looked up in PATH by the child once it has the client's identity (launcher.hpp): the daemon
  // itself never searches a directory for a client.
  req.path = req.argv.front();
  std::weak_ptr<Session> ws = s.shared_from_this();
  hub_.launch(s, req, [ws, id](const AttachResult* r, const proto::RpcError* err) {
    auto session = ws.lock();
    if (!session || session->closed()) return;
    if (!err) {
      ++session->stats().launched;
      ++session->stats().engines_attached;
    }
    if (id.is_null()) return;
    if (err) return session->reply_error(id, *err);
    session->reply_result(id, {{"engine", r->engine->id},
                               {"pid", r->tids.front()},
                               {"tids", r->tids},
                               {"created", true}});
  });
  return nullptr;
}

}  // namespace utraced
