// The C API (utrace/client.h): reports, events and notices, by callback or by
// utrace_next_message(), and the replies to reports.
#include <cerrno>
#include <chrono>
#include <string>

#include "c_api_internal.hpp"

using namespace utrace::client;
using utrace::client::capi::guarded;
namespace proto = utrace::proto;

namespace utrace::client::capi {

namespace {

const char* str(const std::optional<std::string>& s) { return s ? s->c_str() : ""; }

proto::ReportReply to_proto(const utrace_reply& r) {
  proto::ReportReply out;
  const int a = static_cast<int>(r.action);
  out.action = a >= 0 && a < proto::kResumeActionCount ? static_cast<proto::ResumeAction>(a)
                                                       : proto::ResumeAction::Resume;
  if (r.set_signal) out.signal = r.signal < 0 ? proto::ReportReply::kDeliver : r.signal;
  if (r.set_abort) out.abort = r.abort != 0;
  if (r.set_retval) out.retval = r.retval;
  return out;
}

Held held_message(const ReportMessage& m) {
  Held h;
  h.kind = m.needs_reply() ? UTRACE_MSG_REPORT : UTRACE_MSG_EVENT;
  h.message = m;
  return h;
}

Held held_notice(const nlohmann::json& params) {
  Held h;
  h.kind = UTRACE_MSG_NOTICE;
  h.notice = params.is_object() ? params : nlohmann::json::object();
  auto text = [&](const char* key) {
    auto it = h.notice.find(key);
    return it != h.notice.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  h.reason = text("reason");
  h.text = text("message");
  h.json = nlohmann::json{{"jsonrpc", "2.0"}, {"method", "notice"}, {"params", h.notice}}.dump(
      -1, ' ', false, nlohmann::json::error_handler_t::replace);
  return h;
}

template <class T>
T number(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_number_integer() ? it->get<T>() : T{};
}

// Callback lookup: the engine's own, else the catch-all (0).
const Callback* find(const std::map<EngineId, Callback>& m, EngineId engine) {
  auto it = m.find(engine);
  if (it == m.end()) it = m.find(kAllEngines);
  return it == m.end() ? nullptr : &it->second;
}

void forget_if_gone(utrace_client* c, const ReportMessage& m) {
  if (m.report.event == proto::EventKind::Reap && m.report.engine_gone.value_or(false) &&
      m.report.engine != kAllEngines) {
    c->report_callbacks.erase(m.report.engine);
    c->event_callbacks.erase(m.report.engine);
  }
}

}  // namespace

void fill_message(const Held& h, utrace_message* out) {
  *out = utrace_message{};
  out->kind = h.kind;
  out->for_event = -1;
  out->syscall_name = out->signal_name = out->clone_kind = out->path = out->jctl = "";
  out->reason = h.reason.c_str();
  out->text = h.text.c_str();
  out->token = h.token;
  if (h.kind == UTRACE_MSG_NOTICE) {
    out->engine = number<std::uint64_t>(h.notice, "engine");
    out->tid = number<pid_t>(h.notice, "tid");
    out->pid = number<pid_t>(h.notice, "pid");
    out->json = h.json.c_str();
    return;
  }
  const proto::Report& r = h.message.report;
  out->json = h.message.line.c_str();
  out->engine = r.engine;
  out->tid = r.tid;
  out->pid = r.pid;
  out->event = static_cast<utrace_event>(r.event);
  out->action = static_cast<utrace_action>(r.action);
  out->seq = r.seq;
  if (r.syscall) {
    out->has_syscall = 1;
    out->syscall_nr = r.syscall->nr;
    out->syscall_name = r.syscall->name.c_str();
    for (int i = 0; i < 6; ++i) out->args[i] = r.syscall->args[static_cast<std::size_t>(i)];
  }
  if (r.retval) {
    out->has_retval = 1;
    out->retval = *r.retval;
  }
  if (r.status) {
    out->has_status = 1;
    out->status = *r.status;
  }
  if (r.exit_code) {
    out->has_exit_code = 1;
    out->exit_code = *r.exit_code;
  }
  if (r.signal) {
    out->signo = r.signal->signo;
    out->signal_name = r.signal->name.c_str();
    out->signal_code = r.signal->code;
  }
  out->child = r.child.value_or(0);
  out->child_pid = r.child_pid.value_or(0);
  out->clone_kind = str(r.clone);
  out->former_tid = r.former_tid.value_or(0);
  out->path = str(r.path);
  out->resumed = r.resumed.value_or(false) ? 1 : 0;
  out->engine_gone = r.engine_gone.value_or(false) ? 1 : 0;
  out->for_event = r.for_event ? static_cast<int>(*r.for_event) : -1;
  out->jctl = str(r.jctl);
  out->addr = r.addr.value_or(0);
  out->step = r.step.value_or(false) ? 1 : 0;
}

void install_routing(utrace_client* c) {
  c->client.on_report_deferred(kAllEngines, [c](const ReportMessage& m) {
    const Callback* cb = find(c->report_callbacks, m.report.engine);
    if (!cb || !cb->report) {
      Held h = held_message(m);
      h.token = c->next_token++;
      c->unanswered.emplace(h.token, m);
      c->queue.push_back(std::move(h));
      return;
    }
    const Callback call = *cb;  // a copy: the callback may replace itself
    utrace_message msg;
    const Held h = held_message(m);
    fill_message(h, &msg);
    utrace_reply reply;
    utrace_reply_init(&reply);
    utrace_action action = UTRACE_RESUME;
    try {
      action = call.report(c, &msg, &reply, call.user);
    } catch (...) {
      c->client.reply(m, proto::ReportReply{});  // never leave the thread waiting
      throw;
    }
    reply.action = action;
    c->client.reply(m, to_proto(reply));
  });
  c->client.on_event(kAllEngines, [c](const ReportMessage& m) {
    const Callback* cb = find(c->event_callbacks, m.report.engine);
    if (cb && cb->event) {
      const Callback call = *cb;
      utrace_message msg;
      const Held h = held_message(m);
      fill_message(h, &msg);
      call.event(c, &msg, call.user);
    } else {
      c->queue.push_back(held_message(m));
    }
    forget_if_gone(c, m);
  });
  // Notices come while the library reads: a callback here must not make blocking calls, so
  // notices are queued, and the notice callback is called from utrace_run/next_message.
  c->client.on_notice([c](const nlohmann::json& params) { c->queue.push_back(held_notice(params)); });
}

}  // namespace utrace::client::capi

namespace {

Client::Duration duration_of(int timeout_ms) {
  if (timeout_ms < 0) return Client::kForever;
  return std::chrono::duration_cast<Client::Duration>(std::chrono::milliseconds(timeout_ms));
}

// Passes queued notices to the notice callback, if one is set; the rest stay queued.
void deliver_notices(utrace_client* c) {
  if (!c->notice_callback.event) return;
  for (auto it = c->queue.begin(); it != c->queue.end();) {
    if (it->kind != UTRACE_MSG_NOTICE) {
      ++it;
      continue;
    }
    capi::Held h = std::move(*it);
    it = c->queue.erase(it);
    utrace_message msg;
    capi::fill_message(h, &msg);
    const capi::Callback call = c->notice_callback;
    call.event(c, &msg, call.user);
    it = c->queue.begin();  // the callback may have changed the queue
  }
}

}  // namespace

extern "C" {

void utrace_reply_init(utrace_reply* r) {
  if (!r) return;
  *r = utrace_reply{};
  r->action = UTRACE_RESUME;
}

int utrace_next_message(utrace_client* c, int timeout_ms, utrace_message* msg) {
  return guarded(c, "next_message", [&] {
    if (!msg) return capi::fail(c, EINVAL, "next_message", "no message to fill");
    auto ready = [c] {
      deliver_notices(c);
      return !c->queue.empty();
    };
    if (!ready() && c->client.is_open()) {
      // A second, zero-timeout round dispatches what the first one's last look read.
      if (!c->client.run_until(ready, duration_of(timeout_ms)))
        c->client.run_until(ready, Client::Duration::zero());
    }
    if (c->queue.empty()) {
      if (!c->client.is_open())
        return capi::fail(c, ECONNRESET, "next_message", "the connection to utraced is closed");
      return 0;
    }
    c->current = std::move(c->queue.front());
    c->queue.pop_front();
    capi::fill_message(c->current, msg);
    return 1;
  });
}

int utrace_reply_to(utrace_client* c, const utrace_message* report, const utrace_reply* reply) {
  return guarded(c, "reply", [&] {
    if (!report || !reply) return capi::fail(c, EINVAL, "reply", "no report or reply");
    auto it = c->unanswered.find(report->token);
    if (report->kind != UTRACE_MSG_REPORT || it == c->unanswered.end())
      return capi::fail(c, ENOENT, "reply", "not a report waiting for an answer");
    const ReportMessage m = std::move(it->second);
    c->unanswered.erase(it);
    c->client.reply(m, capi::to_proto(*reply));
    return 0;
  });
}

int utrace_reply_action(utrace_client* c, const utrace_message* report, utrace_action action) {
  utrace_reply r;
  utrace_reply_init(&r);
  r.action = action;
  return utrace_reply_to(c, report, &r);
}

int utrace_fileno(const utrace_client* c) {
  if (!c) return -1;
  try {
    return c->client.socket_fd();
  } catch (...) {
    return -1;
  }
}

int utrace_on_report(utrace_client* c, utrace_engine_id engine, utrace_report_fn fn, void* user) {
  return guarded(c, "on_report", [&] {
    if (fn) c->report_callbacks[engine] = capi::Callback{fn, nullptr, user};
    else c->report_callbacks.erase(engine);
    return 0;
  });
}

int utrace_on_event(utrace_client* c, utrace_engine_id engine, utrace_event_fn fn, void* user) {
  return guarded(c, "on_event", [&] {
    if (fn) c->event_callbacks[engine] = capi::Callback{nullptr, fn, user};
    else c->event_callbacks.erase(engine);
    return 0;
  });
}

int utrace_on_notice(utrace_client* c, utrace_event_fn fn, void* user) {
  return guarded(c, "on_notice", [&] {
    c->notice_callback = capi::Callback{nullptr, fn, user};
    return 0;
  });
}

int utrace_run(utrace_client* c, int timeout_ms) {
  return guarded(c, "run", [&] {
    deliver_notices(c);
    c->client.run_until(
        [c] {
          deliver_notices(c);
          return false;
        },
        duration_of(timeout_ms));
    return 0;
  });
}

}  // extern "C"
