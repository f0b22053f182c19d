// The `launch` method: start a program traced from its first instruction (PROTOCOL.md).
#include <cerrno>

#include "engine/engine_hub.hpp"
#include "rpc/dispatcher.hpp"
#include "rpc/session.hpp"
#include "trace/launcher.hpp"

namespace utraced {

namespace proto = utrace::proto;
using proto::Params;
using proto::RpcException;

namespace {

std::vector<std::string> string_list(const Params& p, const char* key, bool required) {
  std::vector<std::string> out;
  const auto* v = p.raw(key);
  if (!v || v->is_null()) {
    if (required) throw RpcException(proto::invalid_params(key, "is required"));
    return out;
  }
  if (!v->is_array()) throw RpcException(proto::invalid_params(key, "must be a list of strings"));
  for (const auto& x : *v) {
    if (!x.is_string()) throw RpcException(proto::invalid_params(key, "must be a list of strings"));
    auto s = x.get<std::string>();
    if (s.find('\0') != std::string::npos)
      throw RpcException(proto::invalid_params(key, "strings must not contain NUL bytes"));
    out.push_back(std::move(s));
  }
  return out;
}

std::string path_param(const Params& p, const char* key) {
  auto v = p.opt_string(key).value_or("");
  if (v.find('\0') != std::string::npos)
    throw RpcException(proto::invalid_params(key, "must not contain NUL bytes"));
  return v;
}

}  // namespace

nlohmann::json Dispatcher::launch(Session& s, const nlohmann::json& id, const Params& p) {
  p.allow_only({"argv", "env", "cwd", "stdin", "stdout", "stderr", "scope", "follow", "exitkill", "syscalls", "seccomp", "events",
                "mode", "concurrent", "type", "data", "report_timeout_ms"});
  if (!launch_enabled_)
    throw RpcException(proto::errno_error(EPERM, "launch is disabled on this daemon (--no-launch)",
                                          {{"reason", "launch_disabled"}}));
  LaunchRequest req;
  parse_engine_options(p, &req.attach);
  if (!p.has("scope")) req.attach.scope = EngineScope::Process;
  req.attach.seccomp = p.opt_bool("seccomp").value_or(false);
  if (req.attach.seccomp && !req.attach.syscalls)
    throw RpcException(proto::invalid_params("seccomp", "needs a \"syscalls\" list"));
  req.argv = string_list(p, "argv", true);
  if (req.argv.empty() || req.argv.front().empty())
    throw RpcException(proto::invalid_params("argv", "must name a program"));
  if (p.has("env")) {
    req.env = string_list(p, "env", false);
    for (const auto& e : req.env)
      if (e.find('=') == std::string::npos || e.front() == '=')
        throw RpcException(proto::invalid_params("env", "entries must be NAME=value, not '" + e + "'"));
  } else {
    req.env = {"PATH=/usr/local/bin:/usr/bin:/bin"};
  }
  req.cwd = path_param(p, "cwd");
  req.stdio[0] = path_param(p, "stdin");
  req.stdio[1] = path_param(p, "stdout");
  req.stdio[2] = path_param(p, "stderr");
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
