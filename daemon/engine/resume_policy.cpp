#include "engine/resume_policy.hpp"

namespace utraced {

using utrace::proto::ResumeAction;

RestartDecision decide_restart(const RestartInput& in) {
  // A signal only counts when restarting from a signal-delivery stop; elsewhere the kernel
  // ignores it, so never pass one (utrace-semantics.md section 15, rule 5).
  const int sig = in.stop == StopKind::SignalDelivery ? in.signal : 0;
  if (!in.has_engines) return {RestartKind::Detach, sig};
  if (in.any_hold) return {RestartKind::Hold, 0};
  if (in.report_requested) return {RestartKind::ReportFirst, 0};
  if (in.stop == StopKind::GroupStop) return {RestartKind::Listen, 0};
  if (in.final_action == ResumeAction::SingleStep) return {RestartKind::SingleStep, sig};
  if (in.final_action == ResumeAction::BlockStep) return {RestartKind::BlockStep, sig};
  return {in.want_syscalls ? RestartKind::Syscall : RestartKind::Cont, sig};
}

}  // namespace utraced
