#include "rpc/dispatcher.hpp"

#include <linux/capability.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "engine/engine_hub.hpp"
#include "rpc/dispatcher_helpers.hpp"
#include "rpc/session.hpp"
#include "sys/names.hpp"
#include "utrace/proto/base64.hpp"
#include "utrace/proto/method_params.hpp"
#include "util/log.hpp"

namespace utraced {

namespace proto = utrace::proto;
using proto::ParamSpec;
using proto::Params;
using proto::RpcException;
namespace params = proto::params;

namespace dispatch {

[[noreturn]] void bad(const ParamSpec& spec, const std::string& why) {
  throw RpcException(proto::invalid_params(std::string(spec.name), why));
}

std::string errno_text(int err, std::uint64_t engine) {
  switch (err) {
    case ESRCH: return "no such engine " + std::to_string(engine) + " (detached, or its thread is gone)";
    case EINPROGRESS: return "in progress: the effect follows at the thread's next stop";
    case EINVAL: return "this action needs the engine to have the quiesce event";
    case EFAULT: return "bad address in the traced thread";
    case EAGAIN: return "too many outstanding barrier/wait calls on this connection";
    case EALREADY: return "the thread's death is being reported";
    default: return std::strerror(err);
  }
}

pid_t opt_tid(const Params& p) {
  return static_cast<pid_t>(p.opt_integer(params::tid).value_or(0));
}

std::uint64_t engine_param(const Params& p) {
  return static_cast<std::uint64_t>(p.integer(params::engine));
}

}  // namespace dispatch

using namespace dispatch;

namespace {

constexpr const char* kVersion = UTRACE_VERSION;  // meson.project_version()
constexpr int kProtocol = 2;  // 2: wide values as "0x…" strings (PROTOCOL.md, Numbers)
static_assert(static_cast<std::size_t>(params::list::limit.max) == Dispatcher::kListMaxEngines);

void throw_if(int err, std::uint64_t engine) {
  if (err)
    throw RpcException(proto::errno_error(err, errno_text(err, engine), {{"engine", engine}}));
}

nlohmann::json waiter_error_data(int code, std::uint64_t engine) {
  nlohmann::json d = {{"engine", engine}};
  if (code == EAGAIN) d["limit"] = "waiters_per_client";
  return d;
}

nlohmann::json engine_json(const EngineSet& set) {
  nlohmann::json tids = nlohmann::json::array(), held = nlohmann::json::array();
  for (const auto& [tid, e] : set.members) {
    tids.push_back(tid);
    if (e->hold) held.push_back(tid);
  }
  nlohmann::json j = {{"engine", set.id},
                      {"pid", set.pid},
                      {"tids", tids},
                      {"scope", set.scope == EngineScope::Process ? "process" : "thread"},
                      {"follow", set.follow},
                      {"held_tids", held}};
  if (!set.members.empty()) {
    const Engine& e = *set.members.begin()->second;
    j["tid"] = set.members.begin()->first;
    j["events"] = e.events.names();
    j["mode"] = e.mode == EngineMode::Sync ? "sync" : "async";
    j["concurrent"] = e.concurrent;
    j["type"] = e.type;
    j["held"] = !held.empty();
    if (e.syscalls) {
      nlohmann::json names_list = nlohmann::json::array();
      for (std::size_t i = 0; i < e.syscalls->size(); ++i)
        if (e.syscalls->test(i)) names_list.push_back(names::syscall_name(static_cast<std::int64_t>(i)));
      j["syscalls"] = names_list;
    }
  }
  return j;
}

bool daemon_wide_view(const PeerCreds& creds) {
  return creds.uid == 0 && creds.has_cap(CAP_SYS_PTRACE);
}

}  // namespace

Dispatcher::Dispatcher(EngineHub& hub) : hub_(hub) {
  auto plain = [this](nlohmann::json (Dispatcher::*fn)(Session&, const Params&)) {
    return [this, fn](Session& s, const nlohmann::json&, const Params& p) { return (this->*fn)(s, p); };
  };
  methods_.emplace("hello", plain(&Dispatcher::hello));
  methods_.emplace("attach", plain(&Dispatcher::attach));
  methods_.emplace("set_events", plain(&Dispatcher::set_events));
  methods_.emplace("control", plain(&Dispatcher::control));
  methods_.emplace("list", plain(&Dispatcher::list));
  methods_.emplace("stats", plain(&Dispatcher::stats));
  methods_.emplace("who", plain(&Dispatcher::who));
  methods_.emplace("barrier", [this](Session& s, const nlohmann::json& id, const Params& p) {
    return barrier(s, id, p);
  });
  methods_.emplace("wait", [this](Session& s, const nlohmann::json& id, const Params& p) {
    return wait(s, id, p);
  });
  // Removed in protocol 1's issue 13: the daemon starts no programs. A script still calling it
  // is told what replaces it.
  methods_.emplace("launch", [](Session&, const nlohmann::json&, const Params&) -> nlohmann::json {
    throw RpcException(proto::RpcError{
        -32601,
        "method not found: launch was removed (the daemon starts no programs); fork the "
        "program yourself and attach it with hold_at_exec (PROTOCOL.md, \"Starting a program "
        "traced from its first instruction\")",
        {{"method", "launch"}}});
  });
  methods_.emplace("get_regs", plain(&Dispatcher::get_regs));
  methods_.emplace("set_regs", plain(&Dispatcher::set_regs));
  methods_.emplace("read_memory", plain(&Dispatcher::read_memory));
  methods_.emplace("write_memory", plain(&Dispatcher::write_memory));
  methods_.emplace("get_regset", plain(&Dispatcher::get_regset));
  methods_.emplace("insert_breakpoint", plain(&Dispatcher::insert_breakpoint));
  methods_.emplace("remove_breakpoint", plain(&Dispatcher::remove_breakpoint));
  methods_.emplace("set_regset", plain(&Dispatcher::set_regset));
}

void Dispatcher::handle(Session& session, const proto::Message& m) {
  const bool notify = m.kind == proto::MessageKind::Notification;
  auto it = methods_.find(m.method);
  if (it == methods_.end()) {
    if (!notify)
      session.reply_error(m.id, proto::RpcError{proto::rpc_code::kMethodNotFound,
                                                "unknown method '" + m.method + "'",
                                                {{"method", m.method}}});
    return;
  }
  try {
    Params params(m.params);
    nlohmann::json result = it->second(session, notify ? nlohmann::json() : m.id, params);
    if (!notify && !result.is_null()) session.reply_result(m.id, result);
  } catch (const ExamineLater& later) {
    auto retry = [this, ws = session.weak_from_this(), m] {
      if (auto s = ws.lock(); s && !s->closed()) handle(*s, m);
    };
    if (!hub_.when_stopped(session, later.engine, later.tid, std::move(retry)) && !notify)
      session.reply_error(m.id, proto::errno_error(EAGAIN, "another examine call of this "
                                                           "connection waits for its thread to stop",
                                                   {{"engine", later.engine},
                                                    {"limit", "examine_waiting"}}));
  } catch (const RpcException& ex) {
    log::rpc().debug("client {}: {} failed: {}", session.client_id(), m.method, ex.what());
    if (!notify) session.reply_error(m.id, ex.error());
  } catch (const std::exception& ex) {
    log::rpc().error("client {}: {} raised {}", session.client_id(), m.method, ex.what());
    if (!notify)
      session.reply_error(m.id, proto::RpcError{proto::rpc_code::kInternalError,
                                                std::string("internal error: ") + ex.what(), nullptr});
  }
}

nlohmann::json Dispatcher::hello(Session& s, const Params& p) {
  p.allow_only(params::hello::table);
  if (auto name = p.opt_string(params::hello::client)) s.name = *name;
  if (auto v = p.opt_integer(params::hello::protocol); v && *v != kProtocol)
    bad(params::hello::protocol, "this daemon speaks protocol " + std::to_string(kProtocol));
  return {{"server", "utraced"},
          {"version", kVersion},
          {"protocol", kProtocol},
          {"pid", ::getpid()},
          {"uid", s.creds().uid},
          {"client", s.client_id()}};
}

void Dispatcher::parse_engine_options(const Params& p, AttachRequest* req) {
  namespace opt = params::engine_options;
  req->report_timeout = std::chrono::milliseconds(p.opt_integer(opt::report_timeout_ms).value_or(0));
  if (p.opt_choice(opt::scope).value_or("thread") == "process") req->scope = EngineScope::Process;
  req->follow = p.opt_bool(opt::follow).value_or(false);
  req->exitkill = p.opt_bool(opt::exitkill).value_or(false);
  if (const auto* list = p.opt_json(opt::syscalls); list && !list->is_null()) {
    if (!list->is_array()) bad(opt::syscalls, "must be a list of syscall names or numbers");
    auto set = std::make_shared<SyscallSet>();
    for (const auto& x : *list) {
      std::int64_t nr = -1;
      if (x.is_string()) nr = names::syscall_number(x.get<std::string>());
      else if (x.is_number_integer()) nr = x.get<std::int64_t>();
      if (nr < 0 || nr >= static_cast<std::int64_t>(set->size()))
        bad(opt::syscalls, "unknown syscall " + x.dump());
      set->set(static_cast<std::size_t>(nr));
    }
    req->syscalls = std::move(set);
  }
  req->events = p.events(opt::events);
  req->mode = p.opt_choice(opt::mode).value_or("async") == "sync" ? EngineMode::Sync : EngineMode::Async;
  req->concurrent = p.opt_bool(opt::concurrent).value_or(false);
  if (req->concurrent && req->mode != EngineMode::Sync)
    bad(opt::concurrent, "applies to sync engines only (\"mode\": \"sync\")");
  req->type = p.opt_string(opt::type).value_or("");
  if (const auto* d = p.opt_json(opt::data)) req->data = *d;
  if (const auto* c = p.opt_json(opt::capture); c && !c->is_null() && *c != false) {
    const std::string why =
        "must be true or {\"strsize\": 0-65536, \"fd_paths\": true|false}";
    CaptureOptions options;
    if (c->is_object()) {
      for (const auto& [key, value] : c->items()) {
        if (key == "strsize" && value.is_number_unsigned() &&
            value.get<std::uint64_t>() <= CaptureOptions::kMaxStrsize)
          options.strsize = value.get<std::size_t>();
        else if (key == "fd_paths" && value.is_boolean())
          options.fd_paths = value.get<bool>();
        else
          bad(opt::capture, why + " (bad \"" + key + "\")");
      }
    } else if (*c != true) {
      bad(opt::capture, why);
    }
    req->capture = options;
  }
}

nlohmann::json Dispatcher::attach(Session& s, const Params& p) {
  namespace ap = params::attach;
  p.allow_only(ap::table);
  AttachRequest req;
  parse_engine_options(p, &req);
  const bool by_tid = p.has(ap::tid.name), by_pid = p.has(ap::pid.name);
  if (by_tid && by_pid) bad(ap::tid, "give either tid or pid, not both");
  if (!by_tid && !by_pid) bad(ap::tid, "is required");
  req.tid = static_cast<pid_t>(by_tid ? p.integer(ap::tid) : p.integer(ap::pid));
  req.create = p.opt_bool(ap::create).value_or(true);
  req.exclusive = p.opt_bool(ap::exclusive).value_or(false);
  if (const auto* m = p.opt_json(ap::match); m && !m->is_null()) {
    if (!m->is_array()) bad(ap::match, "must be a list");
    for (const auto& x : *m) {
      if (x == "type") req.match_type = true;
      else if (x == "data") req.match_data = true;
      else bad(ap::match, "entries must be \"type\" or \"data\"");
    }
  }
  req.hold_at_exec = p.opt_bool(ap::hold_at_exec).value_or(false);
  if (req.hold_at_exec && !req.create)
    bad(ap::hold_at_exec, "needs a creating attach (not \"create\": false)");
  req.seccomp = p.opt_bool(ap::seccomp).value_or(false);
  if (req.seccomp && !req.hold_at_exec)
    bad(ap::seccomp, "needs \"hold_at_exec\": the filter is installed by the child before its exec");
  if (req.seccomp && !req.syscalls) bad(ap::seccomp, "needs a \"syscalls\" list");
  AttachResult r = hub_.attach(s, req);
  if (r.created) ++s.stats().engines_attached;
  return {{"engine", r.engine->id}, {"tids", r.tids}, {"created", r.created}};
}

nlohmann::json Dispatcher::set_events(Session& s, const Params& p) {
  p.allow_only(params::set_events::table);
  auto id = engine_param(p);
  throw_if(hub_.set_events(s, id, p.events(params::set_events::events)), id);
  return nlohmann::json::object();
}

nlohmann::json Dispatcher::control(Session& s, const Params& p) {
  p.allow_only(params::control::table);
  auto id = engine_param(p);
  auto action = p.action(params::control::action);
  throw_if(hub_.control(s, id, opt_tid(p), action), id);
  return nlohmann::json::object();
}

nlohmann::json Dispatcher::barrier(Session& s, const nlohmann::json& id, const Params& p) {
  p.allow_only(params::waiter::table);
  auto engine = engine_param(p);
  auto timeout = p.opt_integer(params::waiter::timeout_ms).value_or(10000);
  std::weak_ptr<Session> ws = s.shared_from_this();
  hub_.barrier(s, engine, opt_tid(p), std::chrono::milliseconds(timeout), [ws, id, engine](int code) {
    auto session = ws.lock();
    if (!session || session->closed() || id.is_null()) return;
    if (code)
      session->reply_error(id, proto::errno_error(code, code == ETIMEDOUT
                                                            ? "barrier timed out"
                                                            : errno_text(code, engine),
                                                  waiter_error_data(code, engine)));
    else
      session->reply_result(id, nlohmann::json::object());
  });
  return nullptr;  // replied by the callback, possibly already
}

nlohmann::json Dispatcher::wait(Session& s, const nlohmann::json& id, const Params& p) {
  p.allow_only(params::waiter::table);
  auto engine = engine_param(p);
  auto timeout = p.opt_integer(params::waiter::timeout_ms).value_or(10000);
  std::weak_ptr<Session> ws = s.shared_from_this();
  hub_.wait(s, engine, opt_tid(p), std::chrono::milliseconds(timeout),
            [ws, id, engine](int code, const char* reason, pid_t tid) {
              auto session = ws.lock();
              if (!session || session->closed() || id.is_null()) return;
              if (code)
                session->reply_error(id, proto::errno_error(code, code == ETIMEDOUT
                                                                      ? "wait timed out"
                                                                      : errno_text(code, engine),
                                                            waiter_error_data(code, engine)));
              else
                session->reply_result(id, {{"reason", reason}, {"tid", tid}});
            });
  return nullptr;
}

nlohmann::json Dispatcher::list(Session& s, const Params& p) {
  p.allow_only(params::list::table);
  const auto from = static_cast<std::uint64_t>(p.opt_integer(params::list::from).value_or(0));
  const auto limit =
      static_cast<std::size_t>(p.opt_integer(params::list::limit).value_or(kListMaxEngines));
  // One page is at most `limit` engines and about kListPageBytes of JSON (plus the one engine
  // that crosses it), and never over half the connection's output bound: no `list` allocates
  // more than that, however many engines the client has.
  const std::size_t budget = std::min(kListPageBytes, s.limits().queued_bytes / 2);
  const auto all = hub_.engines_of(s);  // sorted by id
  nlohmann::json engines = nlohmann::json::array();
  std::size_t bytes = 0;
  auto it = std::lower_bound(all.begin(), all.end(), from,
                             [](const EngineSetPtr& e, std::uint64_t id) { return e->id < id; });
  for (; it != all.end(); ++it) {
    if (engines.size() >= limit || (!engines.empty() && bytes >= budget)) break;
    nlohmann::json j = engine_json(**it);
    bytes += j.dump().size() + 1;
    engines.push_back(std::move(j));
  }
  nlohmann::json r = {{"engines", std::move(engines)}, {"total", all.size()}};
  if (it != all.end()) r["next"] = (*it)->id;
  return r;
}

nlohmann::json Dispatcher::stats(Session& s, const Params& p) {
  p.allow_only(params::stats::table);
  const ClientStats& own = s.stats();
  nlohmann::json r = {{"engines", hub_.engines_of(s).size()},
                      {"client",
                       {{"reports_sent", own.reports_sent},
                        {"events_sent", own.events_sent},
                        {"notices_sent", own.notices_sent},
                        {"engines_attached", own.engines_attached}}}};
  // Daemon-wide activity (other users' engines and stops) only for a client that could
  // trace every process itself: uid 0 with CAP_SYS_PTRACE (PROTOCOL.md, stats).
  if (!daemon_wide_view(s.creds())) {
    r["view"] = "client";
    return r;
  }
  const auto& st = hub_.stats();
  r["view"] = "daemon";
  r["engines_total"] = hub_.engine_count();
  r["threads_traced"] = hub_.tracer().size();
  r["stops"] = st.stops;
  r["reports_sent"] = st.reports_sent;
  r["events_sent"] = st.events_sent;
  r["children_held"] = st.children_held;
  r["captures"] = st.captures;
  return r;
}

}  // namespace utraced
