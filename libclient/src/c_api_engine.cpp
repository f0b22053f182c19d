// The C API (utrace/client.h): engines, examine calls and launch.
#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstring>
#include <string>

#include "c_api_internal.hpp"
#include "utrace/proto/actions.hpp"
#include "utrace/proto/events.hpp"

using namespace utrace::client;
using utrace::client::capi::guarded;
namespace proto = utrace::proto;

namespace {

constexpr std::size_t kMaxMemory = 1024 * 1024;  // read_memory/write_memory size bound

struct RegField {
  const char* name;
  std::size_t offset;
};
#define UTRACE_REG(f) RegField{#f, offsetof(utrace_regs, f)}
constexpr RegField kRegs[] = {
    UTRACE_REG(r15), UTRACE_REG(r14), UTRACE_REG(r13), UTRACE_REG(r12),      UTRACE_REG(rbp),
    UTRACE_REG(rbx), UTRACE_REG(r11), UTRACE_REG(r10), UTRACE_REG(r9),       UTRACE_REG(r8),
    UTRACE_REG(rax), UTRACE_REG(rcx), UTRACE_REG(rdx), UTRACE_REG(rsi),      UTRACE_REG(rdi),
    UTRACE_REG(orig_rax), UTRACE_REG(rip), UTRACE_REG(cs), UTRACE_REG(eflags), UTRACE_REG(rsp),
    UTRACE_REG(ss),  UTRACE_REG(fs_base), UTRACE_REG(gs_base), UTRACE_REG(ds), UTRACE_REG(es),
    UTRACE_REG(fs),  UTRACE_REG(gs)};
#undef UTRACE_REG

std::uint64_t& reg_ref(utrace_regs& regs, const RegField& f) {
  return *reinterpret_cast<std::uint64_t*>(reinterpret_cast<char*>(&regs) + f.offset);
}

bool valid_action(utrace_action a) {
  return static_cast<int>(a) >= 0 && static_cast<int>(a) < proto::kResumeActionCount;
}

std::chrono::milliseconds ms(int timeout_ms) {
  return std::chrono::milliseconds(timeout_ms > 0 ? timeout_ms : 0);
}

// Events from a bit mask and a list of names; -EINVAL (recorded) for bad ones.
int events_of(utrace_client* c, const char* method, std::uint32_t bits, const char* names,
              proto::EventMask& out) {
  if (bits >> proto::kEventKindCount)
    return capi::fail(c, EINVAL, method, "events: unknown event bit");
  std::string bad;
  if (!capi::add_event_names(names, bits, &bad))
    return capi::fail(c, EINVAL, method, "events: unknown event '" + bad + "'");
  out = proto::EventMask(bits);
  return 0;
}

}  // namespace

extern "C" {

void utrace_attach_options_init(utrace_attach_options* o) {
  if (o) *o = utrace_attach_options{};
}

int utrace_attach(utrace_client* c, const utrace_attach_options* o, utrace_attach_result* out) {
  return guarded(c, "attach", [&] {
    if (!o) return capi::fail(c, EINVAL, "attach", "no options");
    if (o->target <= 0) return capi::fail(c, EINVAL, "attach", "target must be a tid or pid > 0");
    AttachOptions a;
    if (o->scope == UTRACE_SCOPE_PROCESS) a.pid = o->target;
    else if (o->scope == UTRACE_SCOPE_THREAD) a.tid = o->target;
    else return capi::fail(c, EINVAL, "attach", "scope must be thread or process");
    if (int rc = events_of(c, "attach", o->events, o->event_names, a.events)) return rc;
    if (o->mode != UTRACE_MODE_ASYNC && o->mode != UTRACE_MODE_SYNC)
      return capi::fail(c, EINVAL, "attach", "mode must be async or sync");
    a.mode = o->mode == UTRACE_MODE_SYNC ? Mode::Sync : Mode::Async;
    a.concurrent = o->concurrent != 0;
    a.follow = o->follow != 0;
    a.syscalls = capi::split_names(o->syscalls);
    if (o->type) a.type = o->type;
    if (o->data_json) {
      a.data = nlohmann::json::parse(o->data_json, nullptr, /*allow_exceptions=*/false);
      if (a.data.is_discarded()) return capi::fail(c, EINVAL, "attach", "data_json is not JSON");
    }
    a.create = o->lookup == 0;
    a.exclusive = o->exclusive != 0;
    a.match_type = o->match_type != 0;
    a.match_data = o->match_data != 0;
    AttachResult r = c->client.attach(a);
    if (out) {
      out->engine = r.engine;
      out->created = r.created ? 1 : 0;
      out->ntids = static_cast<int>(r.tids.size());
      out->first_tid = r.tids.empty() ? 0 : r.tids.front();
    }
    return 0;
  });
}

int utrace_set_events(utrace_client* c, utrace_engine_id engine, uint32_t events) {
  return guarded(c, "set_events", [&] {
    proto::EventMask mask;
    if (int rc = events_of(c, "set_events", events, nullptr, mask)) return rc;
    int err = c->client.set_events(engine, mask);
    return err ? capi::fail(c, err, "set_events", std::strerror(err)) : 0;
  });
}

int utrace_control(utrace_client* c, utrace_engine_id engine, pid_t tid, utrace_action action) {
  return guarded(c, "control", [&] {
    if (!valid_action(action)) return capi::fail(c, EINVAL, "control", "unknown action");
    int err = c->client.control(engine, static_cast<proto::ResumeAction>(action), tid);
    return err ? capi::fail(c, err, "control", std::strerror(err)) : 0;
  });
}

int utrace_detach(utrace_client* c, utrace_engine_id engine) {
  return utrace_control(c, engine, 0, UTRACE_DETACH);
}

int utrace_barrier(utrace_client* c, utrace_engine_id engine, pid_t tid, int timeout_ms) {
  return guarded(c, "barrier", [&] {
    int err = c->client.barrier(engine, ms(timeout_ms), tid);
    return err ? capi::fail(c, err, "barrier", std::strerror(err)) : 0;
  });
}

int utrace_wait(utrace_client* c, utrace_engine_id engine, pid_t tid, int timeout_ms,
                utrace_wait_result* out) {
  return guarded(c, "wait", [&] {
    std::string reason;
    int woke = 0;
    int err = c->client.wait(engine, ms(timeout_ms), &reason, tid, &woke);
    if (err) return capi::fail(c, err, "wait", std::strerror(err));
    if (out) {
      out->stopped = reason == "stopped" ? 1 : 0;
      out->tid = woke;
    }
    return 0;
  });
}

int utrace_get_regs(utrace_client* c, utrace_engine_id engine, pid_t tid, utrace_regs* regs) {
  return guarded(c, "get_regs", [&] {
    if (!regs) return capi::fail(c, EINVAL, "get_regs", "no regs");
    nlohmann::json r = c->client.get_regs(engine, tid);
    utrace_regs out{};
    for (const auto& f : kRegs) {
      auto it = r.find(f.name);
      if (it == r.end() || !capi::to_u64(*it, reg_ref(out, f)))
        return capi::fail(c, EBADMSG, "get_regs", std::string("no register ") + f.name);
    }
    *regs = out;
    return 0;
  });
}

int utrace_set_regs(utrace_client* c, utrace_engine_id engine, pid_t tid, const utrace_regs* regs) {
  return guarded(c, "set_regs", [&] {
    if (!regs) return capi::fail(c, EINVAL, "set_regs", "no regs");
    utrace_regs copy = *regs;
    nlohmann::json j = nlohmann::json::object();
    for (const auto& f : kRegs) j[f.name] = reg_ref(copy, f);
    c->client.set_regs(engine, j, tid);
    return 0;
  });
}

int utrace_set_reg(utrace_client* c, utrace_engine_id engine, pid_t tid, const char* name,
                   uint64_t value) {
  return guarded(c, "set_regs", [&] {
    if (!name) return capi::fail(c, EINVAL, "set_regs", "no register name");
    for (const auto& f : kRegs) {
      if (std::strcmp(f.name, name) == 0) {
        c->client.set_regs(engine, nlohmann::json{{f.name, value}}, tid);
        return 0;
      }
    }
    return capi::fail(c, EINVAL, "set_regs", std::string("unknown register '") + name + "'");
  });
}

ssize_t utrace_read_memory(utrace_client* c, utrace_engine_id engine, pid_t tid, uint64_t addr,
                           void* buf, size_t size) {
  return guarded(c, "read_memory", [&]() -> ssize_t {
    if (!buf || size == 0 || size > kMaxMemory)
      return capi::fail(c, EINVAL, "read_memory", "size must be 1 to 1048576 with a buffer");
    std::string bytes = c->client.read_memory(engine, addr, size, tid);
    const std::size_t n = bytes.size() < size ? bytes.size() : size;
    std::memcpy(buf, bytes.data(), n);
    return static_cast<ssize_t>(n);
  });
}

ssize_t utrace_write_memory(utrace_client* c, utrace_engine_id engine, pid_t tid, uint64_t addr,
                            const void* buf, size_t size) {
  return guarded(c, "write_memory", [&]() -> ssize_t {
    if (!buf || size == 0 || size > kMaxMemory)
      return capi::fail(c, EINVAL, "write_memory", "size must be 1 to 1048576 with a buffer");
    std::size_t n = c->client.write_memory(
        engine, addr, std::string_view(static_cast<const char*>(buf), size), tid);
    return static_cast<ssize_t>(n);
  });
}

void utrace_launch_options_init(utrace_launch_options* o) {
  if (!o) return;
  *o = utrace_launch_options{};
  o->stdin_fd = o->stdout_fd = o->stderr_fd = -1;
}

int utrace_launch(utrace_client* c, const utrace_launch_options* o, utrace_launch_result* out) {
  return guarded(c, "launch", [&] {
    if (!o || !o->argv || !o->argv[0])
      return capi::fail(c, EINVAL, "launch", "argv must name a program");
    LaunchOptions l;
    for (auto p = o->argv; *p; ++p) l.argv.emplace_back(*p);
    if (o->envp) {
      l.env.emplace();
      for (auto p = o->envp; *p; ++p) l.env->emplace_back(*p);
    }
    if (o->cwd) l.cwd = o->cwd;
    if (o->stdin_path) l.stdin_path = o->stdin_path;
    if (o->stdout_path) l.stdout_path = o->stdout_path;
    if (o->stderr_path) l.stderr_path = o->stderr_path;
    l.stdio_fds = {o->stdin_fd, o->stdout_fd, o->stderr_fd};
    if (int rc = events_of(c, "launch", o->events, o->event_names, l.events)) return rc;
    if (o->mode != UTRACE_MODE_ASYNC && o->mode != UTRACE_MODE_SYNC)
      return capi::fail(c, EINVAL, "launch", "mode must be async or sync");
    l.mode = o->mode == UTRACE_MODE_SYNC ? Mode::Sync : Mode::Async;
    l.concurrent = o->concurrent != 0;
    l.follow = o->follow != 0;
    l.syscalls = capi::split_names(o->syscalls);
    l.seccomp = o->seccomp != 0;
    if (o->start_timeout_ms > 0) l.start_timeout = std::chrono::milliseconds(o->start_timeout_ms);
    LaunchResult r = c->client.launch(l);
    if (out) {
      out->engine = r.engine;
      out->pid = r.pid;
      out->untraced = r.untraced.empty() ? 0 : 1;
    }
    return 0;
  });
}

}  // extern "C"
