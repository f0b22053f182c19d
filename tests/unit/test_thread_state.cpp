// The tracer's per-thread state machine: the transition table against the ptrace facts it
// encodes (utrace-semantics.md sections 13-14), written out here, not derived from the table.
#include <gtest/gtest.h>

#include <set>
#include <utility>

#include "trace/traced_thread.hpp"

namespace utraced {
namespace {

using S = ThreadState;

const S kAll[] = {S::Newborn,   S::Running,            S::Stepping, S::Interrupting, S::Stopped,
                  S::Listening, S::ListenInterrupting, S::Detached, S::Dead};

TEST(ThreadState, TransitionsAreExactlyThePtraceOnes) {
  const std::set<std::pair<S, S>> legal = {
      // A new child's first stop; an interrupted or running thread stops.
      {S::Newborn, S::Stopped},       {S::Running, S::Stopped},
      {S::Stepping, S::Stopped},      {S::Interrupting, S::Stopped},
      // PTRACE_INTERRUPT of a running thread (a stepping one too).
      {S::Running, S::Interrupting},  {S::Stepping, S::Interrupting},
      // Only a ptrace-stopped thread is restarted (CONT/SYSCALL, a step, LISTEN) or detached.
      {S::Stopped, S::Running},       {S::Stopped, S::Stepping},
      {S::Stopped, S::Listening},     {S::Stopped, S::Detached},
      // SIGKILL takes a ptrace-stopped thread into its exit stop (PTRACE_EVENT_EXIT).
      {S::Stopped, S::Stopped},
      // A LISTENing thread: interrupted, or it re-traps by itself at SIGCONT.
      {S::Listening, S::ListenInterrupting}, {S::Listening, S::Stopped},
      {S::ListenInterrupting, S::Stopped},
      // Death ends every live state.
      {S::Newborn, S::Dead}, {S::Running, S::Dead}, {S::Stepping, S::Dead},
      {S::Interrupting, S::Dead}, {S::Stopped, S::Dead}, {S::Listening, S::Dead},
      {S::ListenInterrupting, S::Dead},
  };
  for (S from : kAll)
    for (S to : kAll)
      EXPECT_EQ(legal_transition(from, to), legal.count({from, to}) == 1)
          << to_string(from) << " -> " << to_string(to);
}

TEST(ThreadState, AnIllegalTransitionAborts) {
  TracedThread t(1, 1, S::Running);
  t.set_state(S::Stopped);
  t.set_state(S::Detached);
  EXPECT_FALSE(t.traced());
  EXPECT_DEATH(t.set_state(S::Running), "illegal transition Detached -> Running");
}

TEST(ThreadState, DerivedFacts) {
  TracedThread t(1, 1, S::Newborn);
  EXPECT_TRUE(t.stop_coming()) << "no PTRACE_INTERRUPT may be added to a newborn's first stop";
  t.set_state(S::Stopped);
  EXPECT_TRUE(t.stopped());
  t.set_state(S::Listening);
  EXPECT_TRUE(t.job_stopped());
  EXPECT_FALSE(t.stop_coming());
  t.set_state(S::ListenInterrupting);
  EXPECT_TRUE(t.job_stopped());
  EXPECT_TRUE(t.stop_coming());
  t.set_state(S::Dead);
  EXPECT_TRUE(t.dead());
  EXPECT_FALSE(t.traced());
}

}  // namespace
}  // namespace utraced
