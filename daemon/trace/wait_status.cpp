#include "trace/wait_status.hpp"

#include <sys/wait.h>

#include <fmt/format.h>

namespace utraced {

WaitStatus WaitStatus::for_exit(int code) { return WaitStatus((code & 0xff) << 8); }
WaitStatus WaitStatus::for_fatal_signal(int sig, bool core) {
  return WaitStatus((sig & 0x7f) | (core ? 0x80 : 0));
}
WaitStatus WaitStatus::for_stop_signal(int sig) { return WaitStatus(((sig & 0xff) << 8) | 0x7f); }
WaitStatus WaitStatus::for_ptrace_event(int event, int sig) {
  return WaitStatus((event << 16) | ((sig & 0xff) << 8) | 0x7f);
}
WaitStatus WaitStatus::for_syscall_stop() { return for_stop_signal(SIGTRAP | 0x80); }

WaitStatus::Type WaitStatus::type() const {
  if (WIFEXITED(raw_)) return Type::Exited;
  if (WIFSIGNALED(raw_)) return Type::Signaled;
  if (WIFSTOPPED(raw_)) return Type::Stopped;
  return Type::Continued;
}

int WaitStatus::exit_code() const { return WEXITSTATUS(raw_); }
int WaitStatus::fatal_signal() const { return WTERMSIG(raw_); }
bool WaitStatus::core_dumped() const { return WCOREDUMP(raw_); }
int WaitStatus::stop_signal() const { return WSTOPSIG(raw_); }
int WaitStatus::ptrace_event() const { return (raw_ >> 16) & 0xff; }

std::string WaitStatus::str() const {
  switch (type()) {
    case Type::Exited: return fmt::format("exited({})", exit_code());
    case Type::Signaled: return fmt::format("killed({}{})", fatal_signal(), core_dumped() ? ",core" : "");
    case Type::Stopped: return fmt::format("stopped(sig={:#x},event={})", stop_signal(), ptrace_event());
    case Type::Continued: break;
  }
  return fmt::format("continued({:#x})", raw_);
}

}  // namespace utraced
