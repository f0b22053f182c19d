// StopKind: what kind of ptrace-stop a WaitStatus is (utrace-semantics.md section 13), and the
// StopEvent the tracer builds from it with the extra ptrace queries each kind needs.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "trace/wait_status.hpp"

namespace utraced {

enum class StopKind {
  SyscallEntry,    // syscall-enter-stop; restart with SYSCALL to see its exit
  SyscallExit,     // syscall-exit-stop
  SyscallStop,     // SIGTRAP|0x80 before PTRACE_GET_SYSCALL_INFO decided entry or exit
  SignalDelivery,  // a signal is about to be delivered; restart with it (or 0 to suppress)
  GroupStop,       // EVENT_STOP with a stop signal: job control; restart with LISTEN to keep it
  Interrupt,       // EVENT_STOP|SIGTRAP: PTRACE_INTERRUPT, a new child's first stop, or a leftover
  Clone,           // EVENT_CLONE/FORK/VFORK; event_msg is the child tid
  VforkDone,       // EVENT_VFORK_DONE
  Exec,            // EVENT_EXEC; event_msg is the former tid
  Exit,            // EVENT_EXIT; event_msg is the exit status
  Seccomp,         // EVENT_SECCOMP; event_msg is the filter's data
};

std::string_view to_string(StopKind kind);

// Classifies a Stopped status. Syscall stops come back as SyscallStop; the caller refines them
// with PTRACE_GET_SYSCALL_INFO.
StopKind classify_stop(WaitStatus status);

struct StopEvent {
  StopKind kind = StopKind::Interrupt;
  int signo = 0;                 // WSTOPSIG without the 0x80 bit
  int clone_kind = 0;            // for Clone: PTRACE_EVENT_FORK/VFORK/CLONE
  std::uint64_t event_msg = 0;   // PTRACE_GETEVENTMSG for event stops
  std::int64_t syscall_nr = -1;  // syscall stops
  std::array<std::uint64_t, 6> args{};  // syscall entry
  std::int64_t retval = 0;              // syscall exit
  bool is_error = false;                // syscall exit
  int si_code = 0;                      // signal-delivery stops
  // How the thread was when this stop came (its state before Stopped): restarted with a step
  // (a SIGTRAP here is the step's trap), or LISTENing in a job-control stop.
  bool after_step = false;
  bool job_stopped = false;
  // When the daemon collected the stop (util/clock_us.hpp): CLOCK_REALTIME, CLOCK_MONOTONIC.
  std::uint64_t real_us = 0, mono_us = 0;
};

}  // namespace utraced
