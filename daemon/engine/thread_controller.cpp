#include "engine/thread_controller.hpp"

#include <cerrno>

#include "trace/examine.hpp"
#include "trace/ptrace.hpp"
#include "util/check.hpp"

namespace utraced {

void ThreadController::restart(const ThreadPtr& t, RestartDecision d) {
  UT_ASSERT(t->stopped(), "tid={}: restart {} while {}", t->tid, to_string(d.kind),
            to_string(t->state()));
  tracer_.restart(t, d);
}

bool ThreadController::set_exitkill(const ThreadPtr& t, bool on) {
  UT_ASSERT(t->stopped(), "tid={}: PTRACE_SETOPTIONS while {}", t->tid, to_string(t->state()));
  if (t->exitkill == on) return true;
  if (ptrace_ops::set_options(t->tid, on) != 0) return false;
  t->exitkill = on;
  return true;
}

int ThreadController::skip_syscall(const ThreadPtr& t) {
  UT_ASSERT(t->stopped() && (t->stop.kind == StopKind::SyscallEntry ||
                             t->stop.kind == StopKind::Seccomp),
            "tid={}: skip_syscall at {} ({})", t->tid, to_string(t->stop.kind),
            to_string(t->state()));
  return examine::set_syscall_nr(t->tid, -1);
}

void ThreadController::set_return_value(const ThreadPtr& t, std::int64_t value) {
  UT_ASSERT(t->stopped() && t->stop.kind == StopKind::SyscallExit,
            "tid={}: set_return_value at {} ({})", t->tid, to_string(t->stop.kind),
            to_string(t->state()));
  examine::set_return_value(t->tid, value);
}

void ThreadController::reread_syscall(const ThreadPtr& t) {
  UT_ASSERT(t->stopped(), "tid={}: reread_syscall while {}", t->tid, to_string(t->state()));
  ptrace_ops::get_syscall_info(t->tid, &t->stop);
}

bool ThreadController::still_stopped(const ThreadPtr& t) const {
  if (!t->stopped()) return false;
  std::uint64_t msg = 0;
  return ptrace_ops::get_event_msg(t->tid, &msg) != ESRCH;
}

}  // namespace utraced
