#include "trace/stop_event.hpp"

#include <linux/ptrace.h>
#include <signal.h>

namespace utraced {

std::string_view to_string(StopKind kind) {
  switch (kind) {
    case StopKind::SyscallEntry: return "syscall-entry";
    case StopKind::SyscallExit: return "syscall-exit";
    case StopKind::SyscallStop: return "syscall";
    case StopKind::SignalDelivery: return "signal-delivery";
    case StopKind::GroupStop: return "group-stop";
    case StopKind::Interrupt: return "interrupt";
    case StopKind::Clone: return "clone";
    case StopKind::VforkDone: return "vfork-done";
    case StopKind::Exec: return "exec";
    case StopKind::Exit: return "exit";
    case StopKind::Seccomp: return "seccomp";
  }
  return "?";
}

StopKind classify_stop(WaitStatus status) {
  const int sig = status.stop_signal();
  switch (status.ptrace_event()) {
    case 0:
      return sig == (SIGTRAP | 0x80) ? StopKind::SyscallStop : StopKind::SignalDelivery;
    case PTRACE_EVENT_STOP:
      return (sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU)
                 ? StopKind::GroupStop
                 : StopKind::Interrupt;
    case PTRACE_EVENT_FORK:
    case PTRACE_EVENT_VFORK:
    case PTRACE_EVENT_CLONE:
      return StopKind::Clone;
    case PTRACE_EVENT_VFORK_DONE: return StopKind::VforkDone;
    case PTRACE_EVENT_EXEC: return StopKind::Exec;
    case PTRACE_EVENT_EXIT: return StopKind::Exit;
    case PTRACE_EVENT_SECCOMP: return StopKind::Seccomp;
    default: break;
  }
  // An event the daemon never enabled: treat as an interrupt-like trap and resume it.
  return StopKind::Interrupt;
}

}  // namespace utraced
