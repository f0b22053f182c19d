#include "utrace/proto/report.hpp"

#include "utrace/proto/errors.hpp"
#include "utrace/proto/params.hpp"

namespace utrace::proto {

nlohmann::json to_json(const Report& r) {
  nlohmann::json j = {{"engine", r.engine},
                      {"tid", r.tid},
                      {"pid", r.pid},
                      {"event", to_string(r.event)},
                      {"action", to_string(r.action)},
                      {"seq", r.seq}};
  if (r.syscall) {
    nlohmann::json s = {{"nr", r.syscall->nr}, {"name", r.syscall->name}};
    if (r.event == EventKind::SyscallEntry) s["args"] = r.syscall->args;
    j["syscall"] = std::move(s);
  }
  if (r.retval) j["retval"] = *r.retval;
  if (r.status) j["status"] = *r.status;
  if (r.exit_code) j["exit_code"] = *r.exit_code;
  if (r.signal)
    j["signal"] = {{"signo", r.signal->signo}, {"name", r.signal->name}, {"code", r.signal->code}};
  if (r.child) j["child"] = *r.child;
  if (r.child_pid) j["child_pid"] = *r.child_pid;
  if (r.clone) j["clone"] = *r.clone;
  if (r.former_tid) j["former_tid"] = *r.former_tid;
  if (r.path) j["path"] = *r.path;
  if (r.engine_gone) j["engine_gone"] = *r.engine_gone;
  if (r.resumed) j["resumed"] = *r.resumed;
  if (r.for_event) j["for_event"] = to_string(*r.for_event);
  if (r.jctl) j["jctl"] = *r.jctl;
  return j;
}

Report report_from_json(const nlohmann::json& j) {
  Params p(j);
  Report r;
  auto engine = p.opt_unsigned("engine");
  if (!engine) throw RpcException(invalid_params("engine", "is required"));
  r.engine = *engine;
  r.tid = static_cast<int>(p.integer("tid", 0, INT32_MAX));
  r.pid = static_cast<int>(p.integer("pid", 0, INT32_MAX));
  auto ev = parse_event(p.string("event"));
  if (!ev) throw RpcException(invalid_params("event", "unknown event name"));
  r.event = *ev;
  r.action = p.action("action");
  r.seq = p.opt_unsigned("seq").value_or(0);
  if (const auto* s = p.raw("syscall"); s && !s->is_null()) {
    if (!s->is_object()) throw RpcException(invalid_params("syscall", "must be an object"));
    SyscallInfo si;
    Params sp(*s);
    si.nr = sp.integer("nr", -1, INT32_MAX);
    si.name = sp.opt_string("name").value_or("");
    if (const auto* a = sp.raw("args"); a && !a->is_null()) {
      if (!a->is_array() || a->size() > 6)
        throw RpcException(invalid_params("args", "must be a list of at most 6 integers"));
      for (std::size_t i = 0; i < a->size(); ++i) {
        const auto& x = (*a)[i];
        if (x.is_number_unsigned()) si.args[i] = x.get<std::uint64_t>();
        else if (x.is_number_integer()) si.args[i] = static_cast<std::uint64_t>(x.get<std::int64_t>());
        else throw RpcException(invalid_params("args", "must be a list of at most 6 integers"));
      }
    }
    r.syscall = si;
  }
  r.retval = p.opt_integer("retval", INT64_MIN, INT64_MAX);
  if (auto v = p.opt_integer("status", INT32_MIN, INT32_MAX)) r.status = static_cast<int>(*v);
  if (auto v = p.opt_integer("exit_code", 0, 255)) r.exit_code = static_cast<int>(*v);
  if (const auto* s = p.raw("signal"); s && !s->is_null()) {
    if (!s->is_object()) throw RpcException(invalid_params("signal", "must be an object"));
    Params sp(*s);
    SignalInfo si;
    si.signo = static_cast<int>(sp.integer("signo", 0, 128));
    si.name = sp.opt_string("name").value_or("");
    si.code = static_cast<int>(sp.opt_integer("code", INT32_MIN, INT32_MAX).value_or(0));
    r.signal = si;
  }
  if (auto v = p.opt_integer("child", 0, INT32_MAX)) r.child = static_cast<int>(*v);
  if (auto v = p.opt_integer("child_pid", 0, INT32_MAX)) r.child_pid = static_cast<int>(*v);
  if (auto v = p.opt_string("clone")) r.clone = *v;
  if (auto v = p.opt_integer("former_tid", 0, INT32_MAX)) r.former_tid = static_cast<int>(*v);
  if (auto v = p.opt_string("path")) r.path = *v;
  r.engine_gone = p.opt_bool("engine_gone");
  r.resumed = p.opt_bool("resumed");
  if (auto v = p.opt_string("for_event")) {
    auto k = parse_event(*v);
    if (!k) throw RpcException(invalid_params("for_event", "unknown event name"));
    r.for_event = *k;
  }
  if (auto v = p.opt_string("jctl")) {
    if (*v != "stopped" && *v != "continued")
      throw RpcException(invalid_params("jctl", "must be \"stopped\" or \"continued\""));
    r.jctl = *v;
  }
  return r;
}

nlohmann::json to_json(const ReportReply& r) {
  nlohmann::json j = {{"action", to_string(r.action)}};
  if (r.abort) j["syscall"] = *r.abort ? "abort" : "run";
  if (r.retval) j["retval"] = *r.retval;
  if (r.signal) {
    if (*r.signal == ReportReply::kDeliver) j["signal"] = "deliver";
    else if (*r.signal == 0) j["signal"] = "ignore";
    else j["signal"] = *r.signal;
  }
  return j;
}

ReportReply reply_from_json(const nlohmann::json& j) {
  if (j.is_null()) return ReportReply{};
  Params p(j);
  p.allow_only({"action", "signal", "syscall", "retval"});
  ReportReply r;
  if (p.has("action")) r.action = p.action("action");
  if (auto s = p.opt_string("syscall")) {
    if (*s != "run" && *s != "abort")
      throw RpcException(invalid_params("syscall", "must be \"run\" or \"abort\""));
    r.abort = *s == "abort";
  }
  r.retval = p.opt_integer("retval", INT64_MIN, INT64_MAX);
  if (const auto* s = p.raw("signal"); s && !s->is_null()) {
    if (*s == "deliver") r.signal = ReportReply::kDeliver;
    else if (*s == "ignore") r.signal = 0;
    else if (s->is_number_integer() && s->get<std::int64_t>() >= 1 && s->get<std::int64_t>() <= 64)
      r.signal = s->get<int>();
    else
      throw RpcException(invalid_params("signal", "must be \"deliver\", \"ignore\" or a signal number 1-64"));
  }
  return r;
}

}  // namespace utrace::proto
