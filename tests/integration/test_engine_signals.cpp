// utrace-semantics.md section 16, scenarios 11, 16, 24 and 35: interrupting a blocked syscall,
// clearing signal events while held, job control, and two interrupts making one report pass.
#include <signal.h>

#include <vector>

#include "raw_client.hpp"
#include "test_engine_common.hpp"

namespace utrace::test {
namespace {

bool is_quiesce(const ReportMessage& m) {
  return m.report.event == EventKind::Quiesce && !m.report.for_event;
}

// 11. A thread blocked in read() on an empty pipe; control(interrupt) -> a quiesce report comes
// at once; after resume, the same read() returns later data with no EINTR (the tracee exits on
// EINTR, so being alive and answering "g" proves it).
TEST(EngineSignals, InterruptBlockedReadReportsAndRestartsIt) {
  TestDaemon d;
  Tracee t("on-input");
  Client a = connect(d);
  auto ea = a.attach(attach_opts(t.pid(), mask({EventKind::Quiesce}), client::Mode::Sync)).engine;
  int quiesce = 0;
  a.on_report(ea, [&](const ReportMessage& m) {
    quiesce += is_quiesce(m);
    return ResumeAction::Resume;
  });
  ASSERT_TRUE(eventually([&] { return t.state() == 'S'; }));
  // The read() waits for input that is only sent below, so the report coming at all proves
  // the interrupt broke the sleep (a report that waited for the syscall would never come).
  EXPECT_EQ(a.control(ea, ResumeAction::Interrupt), 0);
  EXPECT_TRUE(pump({&a}, [&] { return quiesce == 1; }, 10s))
      << "no quiesce report while the thread sleeps in read()";
  EXPECT_TRUE(eventually([&] { return t.state() == 'S'; }));  // back in its read()
  // Now watch its syscalls: the restarted read returns our line, then getppid.
  std::vector<std::string> names;
  EXPECT_EQ(a.set_events(ea, mask({EventKind::SyscallEntry})), 0);
  a.on_report(ea, [&](const ReportMessage& m) {
    if (m.report.syscall) names.push_back(m.report.syscall->name);
    return ResumeAction::Resume;
  });
  t.send("g");
  EXPECT_TRUE(pump({&a}, [&] {
    return std::find(names.begin(), names.end(), "getppid") != names.end();
  }));
  EXPECT_EQ(t.wait_exit(100ms), -1) << "the tracee saw EINTR and exited";
}

// 16. Thread held stopped; set_events removing the signal events -> 0; a signal sent before the
// resume is not reported, and is delivered as usual (SIGWINCH: ignored by default).
TEST(EngineSignals, ClearingSignalEventsWhileHeldMeansNoSignalReport) {
  TestDaemon d;
  Tracee t("on-input");
  Client a = connect(d);
  auto ea = a.attach(attach_opts(t.pid(), mask({EventKind::SignalIgn}), client::Mode::Sync)).engine;
  std::vector<int> reported;  // signo of each signal_ign report, in order
  a.on_report(ea, [&](const ReportMessage& m) {
    if (m.report.event == EventKind::SignalIgn && m.report.signal)
      reported.push_back(m.report.signal->signo);
    return ResumeAction::Resume;
  });
  EXPECT_EQ(a.control(ea, ResumeAction::Stop), EINPROGRESS);
  EXPECT_EQ(wait_engine(a, ea).result.value("reason", ""), "stopped");
  EXPECT_EQ(a.set_events(ea, {}), 0);
  ::kill(t.pid(), SIGWINCH);
  EXPECT_TRUE(signal_pending(t.pid(), SIGWINCH)) << "held: the signal waits";
  EXPECT_EQ(a.control(ea, ResumeAction::Resume), 0);
  // Released: the signal is taken (no longer pending) and the thread is back in its read().
  EXPECT_TRUE(pump({&a}, [&] { return !signal_pending(t.pid(), SIGWINCH) && t.state() == 'S'; }))
      << "SIGWINCH still pending, state " << t.state();
  // With the event asked for again, signals are reported. Reports of one thread come in
  // order, so had the first SIGWINCH been reported, its report would come before SIGURG's.
  EXPECT_EQ(a.set_events(ea, mask({EventKind::SignalIgn})), 0);
  ::kill(t.pid(), SIGURG);
  EXPECT_TRUE(pump({&a}, [&] { return !reported.empty(); }));
  ::kill(t.pid(), SIGWINCH);
  EXPECT_TRUE(pump({&a}, [&] { return reported.size() >= 2; }));
  EXPECT_EQ(reported, (std::vector<int>{SIGURG, SIGWINCH}))
      << "a signal sent while the events were cleared was reported";
}

// 24. Two engines; kill -STOP -> each gets signal_stop then jctl(stopped); all resume -> the
// process stays stopped until SIGCONT; SIGCONT -> jctl(continued), then signal_ign for SIGCONT.
TEST(EngineSignals, JobControlStopAndContinue) {
  TestDaemon d;
  Tracee t("sleep");
  Client a = connect(d), b = connect(d);
  auto events = mask({EventKind::Jctl, EventKind::SignalStop, EventKind::SignalIgn});
  auto ea = a.attach(attach_opts(t.pid(), events, client::Mode::Sync)).engine;
  auto eb = b.attach(attach_opts(t.pid(), events)).engine;
  std::vector<std::string> seen_a, seen_b;
  auto name = [](const ReportMessage& m) {
    std::string n(proto::to_string(m.report.event));
    if (m.report.jctl) n += ":" + *m.report.jctl;
    return n;
  };
  a.on_report(ea, [&](const ReportMessage& m) {
    seen_a.push_back(name(m));
    return ResumeAction::Resume;
  });
  b.on_event(eb, [&](const ReportMessage& m) { seen_b.push_back(name(m)); });
  ::kill(t.pid(), SIGSTOP);
  EXPECT_TRUE(pump({&a, &b}, [&] { return seen_a.size() == 2 && seen_b.size() == 2; }));
  std::vector<std::string> stop = {"signal_stop", "jctl:stopped"};
  EXPECT_EQ(seen_a, stop);
  EXPECT_EQ(seen_b, stop);
  pump_for({&a, &b}, 200ms);
  EXPECT_NE(t.state(), 'S') << "all engines said resume, but job control must keep it stopped";
  ::kill(t.pid(), SIGCONT);
  EXPECT_TRUE(pump({&a, &b}, [&] { return seen_a.size() == 4 && seen_b.size() == 4; }));
  std::vector<std::string> all = {"signal_stop", "jctl:stopped", "jctl:continued", "signal_ign"};
  EXPECT_EQ(seen_a, all);
  EXPECT_EQ(seen_b, all);
  EXPECT_TRUE(eventually([&] { return t.state() == 'S'; }));
}

// 35. Two engines each control(interrupt) back to back -> exactly one quiesce pass (one report
// to each); nothing more arrives after the resume. "Back to back" is made exact by a third
// engine holding the thread while both requests arrive (otherwise the first pass can start
// before the second request, and then utrace makes a second pass too).
TEST(EngineSignals, TwoInterruptsMakeOneReportPass) {
  TestDaemon d;
  Tracee t("on-input");
  Client a = connect(d), b = connect(d), c = connect(d);
  auto ea = a.attach(attach_opts(t.pid(), mask({EventKind::Quiesce}), client::Mode::Sync)).engine;
  auto eb = b.attach(attach_opts(t.pid(), mask({EventKind::Quiesce}), client::Mode::Sync)).engine;
  auto ec = c.attach(attach_opts(t.pid(), {})).engine;
  int qa = 0, qb = 0, other = 0;
  a.on_report(ea, [&](const ReportMessage& m) {
    (is_quiesce(m) ? qa : other)++;
    return ResumeAction::Resume;
  });
  b.on_report(eb, [&](const ReportMessage& m) {
    (is_quiesce(m) ? qb : other)++;
    return ResumeAction::Resume;
  });
  ASSERT_TRUE(eventually([&] { return t.state() == 'S'; }));
  EXPECT_EQ(c.control(ec, ResumeAction::Stop), EINPROGRESS);
  EXPECT_EQ(wait_engine(c, ec).result.value("reason", ""), "stopped");
  EXPECT_EQ(a.control(ea, ResumeAction::Interrupt), 0);
  EXPECT_EQ(b.control(eb, ResumeAction::Interrupt), 0);
  pump_for({&a, &b}, 100ms);
  EXPECT_EQ(qa + qb, 0) << "no report while another engine holds the thread";
  EXPECT_EQ(c.control(ec, ResumeAction::Resume), 0);
  EXPECT_TRUE(pump({&a, &b}, [&] { return qa == 1 && qb == 1; }));
  pump_for({&a, &b}, 300ms);
  EXPECT_EQ(qa, 1);
  EXPECT_EQ(qb, 1);
  EXPECT_EQ(other, 0);
  EXPECT_TRUE(eventually([&] { return t.state() == 'S'; }));
}

// Stops t with SIGSTOP and waits until the daemon has handled the group-stop (and LISTENed
// it): engine e (which wants jctl) is told "stopped" only once the daemon handled that stop,
// so a request sent after that is answered after it. (/proc showing 't' is not enough: the
// kernel shows it before the daemon collected the stop; a request could overtake it.)
bool job_stop_listened(RawClient& r, Tracee& t, EngineId e) {
  auto stopped = std::make_shared<bool>(false);
  r.c.on_event(e, [stopped](const ReportMessage& m) {
    if (m.report.event == EventKind::Jctl && m.report.jctl == "stopped") *stopped = true;
  });
  ::kill(t.pid(), SIGSTOP);
  return r.run_until([&] { return *stopped; });
}

// The weaker wait of OneExamineCallPerConnectionWaitsForTheStop: /proc shows the stop and a
// round trip went by. That test needs its three requests read before the re-trap they cause
// is handled, which separate writes do not guarantee; after the exact wait above the daemon is
// idle and takes each line alone, so the re-trap wins nearly always. Here it usually loses,
// and the test is (rarely) flaky: see the issue 13/16 session note.
bool job_stop_seen(RawClient& r, Tracee& t) {
  ::kill(t.pid(), SIGSTOP);
  if (!eventually([&] { return t.state() == 't' || t.state() == 'T'; })) return false;
  return r.call("list", json::object()).ok();
}

// A job-control-stopped thread counts as stopped: control stop holds it at once (0), and its
// registers can be read right away. The daemon brings the LISTENing thread into a ptrace-stop;
// an examine call handled before that stop was dispatched waits for it (the call does not
// collect stops itself) instead of failing. Both requests go out in one write, so the daemon
// reads them together, before the re-trap's SIGCHLD can be handled in between.
TEST(EngineSignals, StopOfAJobStoppedThreadHoldsItForExamineAtOnce) {
  TestDaemon d;
  Tracee t("sleep");
  RawClient r(d);
  const EngineId e = r.attach({{"tid", t.pid()}, {"events", {"jctl"}}});
  ASSERT_NE(e, 0u);
  ASSERT_TRUE(job_stop_listened(r, t, e));
  for (int round = 0; round < 10; ++round) {
    std::optional<Reply> stop, regs;
    r.c.call("control", {{"engine", e}, {"action", "stop"}}, [&](Reply x) { stop = std::move(x); });
    r.c.call("get_regs", {{"engine", e}}, [&](Reply x) { regs = std::move(x); });
    ASSERT_TRUE(r.run_until([&] { return stop && regs; })) << "round " << round;
    ASSERT_TRUE(stop->ok()) << "round " << round << ": " << stop->error->message;
    ASSERT_TRUE(regs->ok()) << "round " << round << ": " << regs->error->message;
    EXPECT_TRUE(regs->result.at("regs").contains("rip"));
    ASSERT_TRUE(r.call("control", {{"engine", e}, {"action", "resume"}}).ok());
  }
  EXPECT_NE(t.state(), 'S') << "resume must leave the job-control stop in place";
  ::kill(t.pid(), SIGCONT);
  EXPECT_TRUE(eventually([&] { return t.state() == 'S'; }));
}

// A waiting examine call holds a copy of its request (up to a whole line): one per connection
// may wait, so a client cannot pile up requests behind a thread that does not re-trap.
TEST(EngineSignals, OneExamineCallPerConnectionWaitsForTheStop) {
  TestDaemon d;
  Tracee t("sleep");
  RawClient r(d);
  const EngineId e = r.attach({{"tid", t.pid()}, {"events", {"jctl"}}});
  ASSERT_NE(e, 0u);
  ASSERT_TRUE(job_stop_seen(r, t));
  std::optional<Reply> stop, first, second;
  r.c.call("control", {{"engine", e}, {"action", "stop"}}, [&](Reply x) { stop = std::move(x); });
  r.c.call("get_regs", {{"engine", e}}, [&](Reply x) { first = std::move(x); });
  r.c.call("get_regs", {{"engine", e}}, [&](Reply x) { second = std::move(x); });
  ASSERT_TRUE(r.run_until([&] { return stop && first && second; }));
  ASSERT_TRUE(stop->ok());
  EXPECT_TRUE(first->ok()) << first->error->message;
  ASSERT_FALSE(second->ok()) << "a second examine call waited too";
  EXPECT_EQ(second->error->code, EAGAIN);
  EXPECT_EQ(second->error->data.value("limit", ""), "examine_waiting");
  // Once the stop is there, examine is answered at once again.
  EXPECT_TRUE(r.call("get_regs", {{"engine", e}}).ok());
  ASSERT_TRUE(r.call("control", {{"engine", e}, {"action", "resume"}}).ok());
  ::kill(t.pid(), SIGCONT);
  EXPECT_TRUE(eventually([&] { return t.state() == 'S'; }));
}

}  // namespace
}  // namespace utrace::test
