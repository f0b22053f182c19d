// The one restart decision after a stop (utrace-semantics.md section 15, rule 4). Pure: no
// ptrace, no sockets; unit-tested exhaustively.
#pragma once

#include <string_view>

#include "trace/restart.hpp"
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

RestartDecision decide_restart(const RestartInput& in);

}  // namespace utraced
