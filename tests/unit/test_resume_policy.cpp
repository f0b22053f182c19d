// decide_restart over every combination of its inputs.
#include <gtest/gtest.h>

#include "engine/resume_policy.hpp"

namespace utraced {
namespace {

using utrace::proto::ResumeAction;

constexpr StopKind kStops[] = {StopKind::SyscallEntry, StopKind::SyscallExit,
                               StopKind::SignalDelivery, StopKind::GroupStop, StopKind::Interrupt,
                               StopKind::Clone,          StopKind::VforkDone, StopKind::Exec,
                               StopKind::Exit,           StopKind::Seccomp};

// The rules, written independently of the implementation's control flow.
RestartDecision expected(const RestartInput& in) {
  const int sig = in.stop == StopKind::SignalDelivery ? in.signal : 0;
  if (!in.has_engines) return {RestartKind::Detach, sig};
  if (in.any_hold) return {RestartKind::Hold, 0};
  if (in.report_requested) return {RestartKind::ReportFirst, 0};
  if (in.stop == StopKind::GroupStop) return {RestartKind::Listen, 0};
  if (in.final_action == ResumeAction::SingleStep) return {RestartKind::SingleStep, sig};
  if (in.final_action == ResumeAction::BlockStep) return {RestartKind::BlockStep, sig};
  return {in.want_syscalls ? RestartKind::Syscall : RestartKind::Cont, sig};
}

TEST(ResumePolicy, Exhaustive) {
  int cases = 0;
  for (StopKind stop : kStops)
    for (int signal : {0, 10})
      for (int bits = 0; bits < 16; ++bits)
        for (int a = 0; a < utrace::proto::kResumeActionCount; ++a) {
          RestartInput in;
          in.stop = stop;
          in.signal = signal;
          in.has_engines = bits & 1;
          in.any_hold = bits & 2;
          in.report_requested = bits & 4;
          in.want_syscalls = bits & 8;
          in.final_action = static_cast<ResumeAction>(a);
          auto d = decide_restart(in);
          EXPECT_EQ(d, expected(in)) << to_string(stop) << " sig " << signal << " bits " << bits
                                     << " action " << a;
          // A signal is only ever passed from a signal-delivery stop.
          if (stop != StopKind::SignalDelivery) EXPECT_EQ(d.signal, 0);
          ++cases;
        }
  EXPECT_EQ(cases, 10 * 2 * 16 * 7);
}

TEST(ResumePolicy, HoldWinsOverEverythingButDetach) {
  RestartInput in{.stop = StopKind::SyscallEntry, .signal = 0, .has_engines = true, .any_hold = true,
                  .report_requested = true, .want_syscalls = true};
  EXPECT_EQ(decide_restart(in).kind, RestartKind::Hold);
}

TEST(ResumePolicy, GroupStopListensInsteadOfContinuing) {
  RestartInput in{.stop = StopKind::GroupStop, .signal = 19, .has_engines = true};
  EXPECT_EQ(decide_restart(in), (RestartDecision{RestartKind::Listen, 0}));
}

TEST(ResumePolicy, LastEngineGoneDetachesPassingTheSignal) {
  RestartInput in{.stop = StopKind::SignalDelivery, .signal = 10, .has_engines = false};
  EXPECT_EQ(decide_restart(in), (RestartDecision{RestartKind::Detach, 10}));
}

}  // namespace
}  // namespace utraced
