// WaitStatus decoding and stop classification from synthetic statuses (no tracee).
#include <linux/ptrace.h>
#include <signal.h>

#include <gtest/gtest.h>

#include "trace/stop_event.hpp"
#include "trace/wait_status.hpp"

namespace utraced {
namespace {

TEST(WaitStatus, Exited) {
  auto s = WaitStatus::for_exit(3);
  EXPECT_EQ(s.type(), WaitStatus::Type::Exited);
  EXPECT_EQ(s.exit_code(), 3);
  EXPECT_TRUE(s.is_dead());
  EXPECT_EQ(s.raw(), 3 << 8);
}

TEST(WaitStatus, Signaled) {
  auto s = WaitStatus::for_fatal_signal(SIGKILL);
  EXPECT_EQ(s.type(), WaitStatus::Type::Signaled);
  EXPECT_EQ(s.fatal_signal(), SIGKILL);
  EXPECT_FALSE(s.core_dumped());
  EXPECT_TRUE(WaitStatus::for_fatal_signal(SIGSEGV, true).core_dumped());
  EXPECT_TRUE(s.is_dead());
}

TEST(WaitStatus, StoppedFields) {
  auto s = WaitStatus::for_ptrace_event(PTRACE_EVENT_EXIT);
  EXPECT_EQ(s.type(), WaitStatus::Type::Stopped);
  EXPECT_EQ(s.stop_signal(), SIGTRAP);
  EXPECT_EQ(s.ptrace_event(), PTRACE_EVENT_EXIT);
  EXPECT_FALSE(s.is_dead());
  EXPECT_EQ(WaitStatus::for_syscall_stop().stop_signal(), SIGTRAP | 0x80);
  EXPECT_EQ(WaitStatus::for_stop_signal(SIGUSR1).ptrace_event(), 0);
}

TEST(WaitStatus, ContinuedIsItsOwnType) {
  EXPECT_EQ(WaitStatus(0xffff).type(), WaitStatus::Type::Continued);
}

TEST(StopKind, SyscallStop) {
  EXPECT_EQ(classify_stop(WaitStatus::for_syscall_stop()), StopKind::SyscallStop);
}

TEST(StopKind, PlainSignalsAreSignalDelivery) {
  for (int sig : {SIGUSR1, SIGTRAP, SIGSEGV, SIGCHLD, SIGSTOP, SIGCONT, SIGRTMIN})
    EXPECT_EQ(classify_stop(WaitStatus::for_stop_signal(sig)), StopKind::SignalDelivery) << sig;
}

TEST(StopKind, EventStopWithStopSignalIsGroupStop) {
  for (int sig : {SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU})
    EXPECT_EQ(classify_stop(WaitStatus::for_ptrace_event(PTRACE_EVENT_STOP, sig)),
              StopKind::GroupStop)
        << sig;
}

TEST(StopKind, EventStopWithSigtrapIsInterrupt) {
  EXPECT_EQ(classify_stop(WaitStatus::for_ptrace_event(PTRACE_EVENT_STOP, SIGTRAP)),
            StopKind::Interrupt);
}

TEST(StopKind, PtraceEvents) {
  EXPECT_EQ(classify_stop(WaitStatus::for_ptrace_event(PTRACE_EVENT_FORK)), StopKind::Clone);
  EXPECT_EQ(classify_stop(WaitStatus::for_ptrace_event(PTRACE_EVENT_VFORK)), StopKind::Clone);
  EXPECT_EQ(classify_stop(WaitStatus::for_ptrace_event(PTRACE_EVENT_CLONE)), StopKind::Clone);
  EXPECT_EQ(classify_stop(WaitStatus::for_ptrace_event(PTRACE_EVENT_VFORK_DONE)),
            StopKind::VforkDone);
  EXPECT_EQ(classify_stop(WaitStatus::for_ptrace_event(PTRACE_EVENT_EXEC)), StopKind::Exec);
  EXPECT_EQ(classify_stop(WaitStatus::for_ptrace_event(PTRACE_EVENT_EXIT)), StopKind::Exit);
  EXPECT_EQ(classify_stop(WaitStatus::for_ptrace_event(PTRACE_EVENT_SECCOMP)), StopKind::Seccomp);
}

TEST(StopKind, NamesAreDistinct) {
  std::set<std::string_view> names;
  for (int k = 0; k <= static_cast<int>(StopKind::Seccomp); ++k)
    names.insert(to_string(static_cast<StopKind>(k)));
  EXPECT_EQ(names.size(), static_cast<std::size_t>(StopKind::Seccomp) + 1);
}

}  // namespace
}  // namespace utraced
