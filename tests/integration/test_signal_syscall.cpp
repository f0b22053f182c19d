// utrace-semantics.md section 16, scenarios 25-29: a hold on a job-control-stopped thread,
// delivering / ignoring / changing a signal, the last engine's signal choice winning, syscall
// abort order at entry, and the entry pass run again (RESUMED) after changed arguments.
#include <signal.h>
#include <unistd.h>

#include "test_engine_common.hpp"

namespace utrace::test {
namespace {

auto signal_events() {
  return mask({EventKind::Signal, EventKind::SignalIgn, EventKind::SignalStop,
               EventKind::SignalTerm, EventKind::SignalCore});
}

// 25. A job-control-stopped (LISTENing) thread: control(stop) -> 0; SIGCONT while held does not
// let it run until the hold is released.
TEST(SignalSyscall, HoldOnAJobControlStoppedThreadOutlastsSigcont) {
  TestDaemon d;
  Tracee t("sleep");
  Client c = connect(d);
  auto e = c.attach(attach_opts(t.pid(), mask({}))).engine;
  ::kill(t.pid(), SIGSTOP);
  ASSERT_TRUE(eventually([&] { return t.state() == 't' || t.state() == 'T'; }));
  pump_for({&c}, 20ms);
  int rc = c.control(e, ResumeAction::Stop);
  ASSERT_TRUE(rc == 0 || rc == EINPROGRESS) << rc;
  std::string reason;
  EXPECT_EQ(c.wait(e, 1s, &reason), 0);
  EXPECT_EQ(reason, "stopped");
  ::kill(t.pid(), SIGCONT);
  pump_for({&c}, 200ms);
  EXPECT_EQ(t.state(), 't') << "SIGCONT let a held thread run";
  EXPECT_EQ(c.control(e, ResumeAction::Resume), 0);
  EXPECT_TRUE(eventually([&] { return t.state() == 'S'; }));
  EXPECT_EQ(c.detach(e), 0);
  EXPECT_TRUE(eventually([&] { return released(t); }));
}

// 26. SIGUSR1 with a handler: "ignore" -> the handler does not run; a change to SIGUSR2 -> the
// SIGUSR2 handler runs and sees the original si_code and si_pid.
TEST(SignalSyscall, IgnoreOrChangeASignal) {
  TestDaemon d;
  auto t = Tracee::family("handlers");
  Client c = connect(d);
  auto e = c.attach(attach_opts(t->pid(), signal_events(), client::Mode::Sync)).engine;
  int reports = 0;
  std::optional<int> choice;
  c.on_report(e, [&](const ReportMessage& m) {
    ++reports;
    EXPECT_EQ(m.report.event, EventKind::Signal);
    proto::ReportReply r;
    r.signal = choice;
    return r;
  });
  choice = 0;  // ignore
  ::kill(t->pid(), SIGUSR1);
  ASSERT_TRUE(pump({&c}, [&] { return reports == 1; }));
  pump_for({&c}, 100ms);
  EXPECT_EQ(t->read_line(100ms), "") << "the handler ran for an ignored signal";
  choice = SIGUSR2;
  ::kill(t->pid(), SIGUSR1);
  ASSERT_TRUE(pump({&c}, [&] { return reports == 2; }));
  EXPECT_EQ(t->read_line(), "got " + std::to_string(SIGUSR2) + " code=0 pid=" +
                                std::to_string(::getpid()));
  pump_for({&c}, 50ms);
  EXPECT_EQ(reports, 2) << "the changed signal was reported again as new";
}

// 27. A answers "change to SIGTERM", B (asked after A) answers "deliver": B's choice is final,
// so the SIGUSR1 handler runs and the program lives.
TEST(SignalSyscall, TheLastEnginesSignalChoiceWins) {
  TestDaemon d;
  auto t = Tracee::family("handlers");
  Client a = connect(d), b = connect(d);
  auto ea = a.attach(attach_opts(t->pid(), signal_events(), client::Mode::Sync)).engine;
  auto eb = b.attach(attach_opts(t->pid(), signal_events(), client::Mode::Sync)).engine;
  std::vector<char> order;
  a.on_report(ea, [&](const ReportMessage&) {
    order.push_back('A');
    proto::ReportReply r;
    r.signal = SIGTERM;
    return r;
  });
  b.on_report(eb, [&](const ReportMessage& m) {
    order.push_back('B');
    EXPECT_EQ(m.report.signal->signo, SIGUSR1);  // reports show the original signal
    proto::ReportReply r;
    r.signal = proto::ReportReply::kDeliver;
    return r;
  });
  ::kill(t->pid(), SIGUSR1);
  ASSERT_TRUE(pump({&a, &b}, [&] { return order.size() == 2; }));
  EXPECT_EQ(order, (std::vector<char>{'A', 'B'}));
  EXPECT_EQ(t->read_line(), "got " + std::to_string(SIGUSR1) + " code=0 pid=" +
                                std::to_string(::getpid()));
  EXPECT_NE(t->state(), '?');
}

// 28. Entry engines are asked in reverse attach order (B, then A, attached first): the last
// asked wins the abort choice.
TEST(SignalSyscall, AbortChoiceOfTheLastEntryEngineWins) {
  TestDaemon d;
  Tracee t("on-input");
  Client a = connect(d), b = connect(d);
  auto ea = a.attach(attach_opts(t.pid(), mask({EventKind::SyscallEntry, EventKind::SyscallExit}),
                                 client::Mode::Sync)).engine;
  auto eb = b.attach(attach_opts(t.pid(), mask({EventKind::SyscallEntry}), client::Mode::Sync)).engine;
  bool a_aborts = true;
  std::vector<char> order;
  std::vector<std::int64_t> getppid_results;
  a.on_report(ea, [&](const ReportMessage& m) {
    proto::ReportReply r;
    if (m.report.syscall && m.report.syscall->name == "getppid") {
      if (m.report.event == EventKind::SyscallEntry) {
        order.push_back('A');
        r.abort = a_aborts;
      } else {
        getppid_results.push_back(*m.report.retval);
      }
    }
    return r;
  });
  b.on_report(eb, [&](const ReportMessage& m) {
    proto::ReportReply r;
    if (m.report.syscall && m.report.syscall->name == "getppid") {
      order.push_back('B');
      r.abort = !a_aborts;
    }
    return r;
  });
  t.send("g");
  ASSERT_TRUE(pump({&a, &b}, [&] { return getppid_results.size() == 1; }));
  EXPECT_EQ(order, (std::vector<char>{'B', 'A'}));
  EXPECT_EQ(getppid_results[0], -ENOSYS) << "A (asked last) aborted it";
  a_aborts = false;
  t.send("g");
  ASSERT_TRUE(pump({&a, &b}, [&] { return getppid_results.size() == 2; }));
  EXPECT_EQ(getppid_results[1], ::getpid()) << "A (asked last) let it run";
}

// 29. A holds the thread at the entry of lseek(-1, ...), changes arg0 to 0 (its stdin, a pipe)
// and resumes with report: every entry engine gets the entry again, marked resumed and with
// the new argument, and the syscall sees it (ESPIPE instead of EBADF).
TEST(SignalSyscall, ChangedArgumentsAndTheResumedEntryPass) {
  TestDaemon d;
  Tracee t("on-input");
  Client a = connect(d), b = connect(d);
  auto ea = a.attach(attach_opts(t.pid(), mask({EventKind::SyscallEntry, EventKind::SyscallExit,
                                                EventKind::Quiesce}),
                                 client::Mode::Sync)).engine;
  auto eb = b.attach(attach_opts(t.pid(), mask({EventKind::SyscallEntry}), client::Mode::Sync)).engine;
  std::vector<std::string> seen;  // "A entry", "B entry resumed arg0=0", ...
  std::optional<std::int64_t> lseek_result;
  bool held = false;
  auto note = [&](char who, const ReportMessage& m) {
    if (!m.report.syscall || m.report.syscall->name != "lseek") return;
    if (m.report.event == EventKind::SyscallExit) {
      lseek_result = m.report.retval;
      return;
    }
    seen.push_back(std::string(1, who) + (m.report.resumed.value_or(false) ? " resumed" : " entry") +
                   " arg0=" + std::to_string(static_cast<int>(m.report.syscall->args[0])));
  };
  a.on_report(ea, [&](const ReportMessage& m) {
    note('A', m);
    if (m.report.syscall && m.report.syscall->name == "lseek" &&
        m.report.event == EventKind::SyscallEntry && !m.report.resumed) {
      held = true;
      return ResumeAction::Stop;
    }
    return ResumeAction::Resume;
  });
  b.on_report(eb, [&](const ReportMessage& m) {
    note('B', m);
    return ResumeAction::Resume;
  });
  t.send("s");  // close(-1), lseek(-1, 4242, SEEK_CUR), getppid(), kill(0, 0)
  ASSERT_TRUE(pump({&a, &b}, [&] { return held; }));
  ASSERT_EQ(a.wait(ea, 2s), 0);
  a.set_regs(ea, {{"rdi", 0}});
  EXPECT_EQ(a.control(ea, ResumeAction::Report), 0);
  ASSERT_TRUE(pump({&a, &b}, [&] { return lseek_result.has_value(); }));
  EXPECT_EQ(seen, (std::vector<std::string>{"B entry arg0=-1", "A entry arg0=-1",
                                            "B resumed arg0=0", "A resumed arg0=0"}));
  EXPECT_EQ(*lseek_result, -ESPIPE) << "the syscall did not see the changed argument";
}

}  // namespace
}  // namespace utrace::test
