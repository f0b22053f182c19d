// The one restart decision after a stop (utrace-semantics.md section 15, rule 4). Pure: no
// ptrace, no sockets; unit-tested exhaustively.
#pragma once

#include <string_view>

#include "trace/stop_event.hpp"
#include "utrace/proto/actions.hpp"

namespace utraced {

struct RestartInput {
  StopKind stop = StopKind::Interrupt;
  int signal = 0;             // signal to deliver (signal-delivery stops only; 0 = none)
  bool has_engines = false;   // any engine left on the thread
  bool any_hold = false;      // some engine holds the thread stopped
  bool report_requested = false;  // a quiesce report was asked for and not yet run
  bool want_syscalls = false;     // some engine wants syscall entry or exit
  utrace::proto::ResumeAction final_action = utrace::proto::ResumeAction::Resume;  // last pass
};

enum class RestartKind {
  Hold,        // stay in the ptrace-stop
  ReportFirst, // run a quiesce report pass, then decide again
  Detach,      // no engines: PTRACE_DETACH (a group-stopped thread stays stopped)
  Listen,      // group-stop: PTRACE_LISTEN keeps job-control semantics
  Syscall,     // PTRACE_SYSCALL
  Cont,        // PTRACE_CONT
  SingleStep,  // PTRACE_SINGLESTEP
  BlockStep,   // PTRACE_SINGLEBLOCK
};

std::string_view to_string(RestartKind k);

struct RestartDecision {
  RestartKind kind = RestartKind::Hold;
  int signal = 0;  // passed to the restart; only ever non-zero from a signal-delivery stop
  bool operator==(const RestartDecision&) const = default;
};

RestartDecision decide_restart(const RestartInput& in);

}  // namespace utraced
