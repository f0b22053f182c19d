// RestartKind / RestartDecision: how the tracer restarts a Stopped thread. The engine layer
// decides (engine/resume_policy.hpp); the Tracer carries the decision out.
#pragma once

#include <string_view>

namespace utraced {

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

inline std::string_view to_string(RestartKind k) {
  switch (k) {
    case RestartKind::Hold: return "hold";
    case RestartKind::ReportFirst: return "report-first";
    case RestartKind::Detach: return "detach";
    case RestartKind::Listen: return "listen";
    case RestartKind::Syscall: return "syscall";
    case RestartKind::Cont: return "cont";
    case RestartKind::SingleStep: return "singlestep";
    case RestartKind::BlockStep: return "blockstep";
  }
  return "?";
}

struct RestartDecision {
  RestartKind kind = RestartKind::Hold;
  int signal = 0;  // passed to the restart; only ever non-zero from a signal-delivery stop
  bool operator==(const RestartDecision&) const = default;
};

}  // namespace utraced
