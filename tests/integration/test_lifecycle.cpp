// utrace-semantics.md section 16, scenarios 17-19, 33, 37 and 42: detach during death
// reporting, SIGKILL of a held thread, detach in reply to death, EXITKILL when the daemon dies,
// tid reuse, and SIGKILL while registers are being read.
#include <signal.h>
#include <unistd.h>

#include <fstream>

#include "test_engine_common.hpp"

namespace utrace::test {
namespace {

auto death_reap() { return mask({EventKind::Death, EventKind::Reap}); }

// 17. A's death report is in flight: B's detach is EALREADY; once the reap is dispatched, ESRCH.
TEST(Lifecycle, DetachDuringDeathReportingIsEalready) {
  TestDaemon d;
  Tracee t("on-input");
  Client a = connect(d), b = connect(d);
  auto ea = a.attach(attach_opts(t.pid(), death_reap(), client::Mode::Sync)).engine;
  auto eb = b.attach(attach_opts(t.pid(), death_reap())).engine;
  int detach_during_death = -1;
  bool b_reaped = false;
  a.on_report(ea, [&](const ReportMessage& m) {
    if (m.report.event == EventKind::Death) detach_during_death = b.detach(eb);
    return ResumeAction::Resume;
  });
  b.on_event(eb, [&](const ReportMessage& m) { b_reaped |= m.report.event == EventKind::Reap; });
  t.send("q");
  ASSERT_TRUE(pump({&a, &b}, [&] { return b_reaped; }));
  EXPECT_EQ(detach_during_death, EALREADY);
  EXPECT_EQ(b.detach(eb), ESRCH);
  EXPECT_EQ(a.control(ea, ResumeAction::Stop), ESRCH);
}

// 18. An engine holds the thread; kill -9: exit, death, reap in order; then ESRCH.
TEST(Lifecycle, SigkillOfAHeldThreadReportsExitDeathReap) {
  TestDaemon d;
  Tracee t("getppid-loop");
  Client c = connect(d);
  auto e = c.attach(attach_opts(t.pid(), mask({EventKind::Exit, EventKind::Death, EventKind::Reap}))).engine;
  hold_silently(c, e);
  std::vector<EventKind> seen;
  c.on_event(e, [&](const ReportMessage& m) { seen.push_back(m.report.event); });
  ::kill(t.pid(), SIGKILL);
  ASSERT_TRUE(pump({&c}, [&] { return seen.size() == 3; }));
  EXPECT_EQ(seen, (std::vector<EventKind>{EventKind::Exit, EventKind::Death, EventKind::Reap}));
  EXPECT_EQ(c.control(e, ResumeAction::Stop), ESRCH);
  EXPECT_NE(t.wait_exit(), -1);
}

// 19. A answers detach to death: no reap for A; B gets death then reap.
TEST(Lifecycle, DetachInReplyToDeathCancelsReap) {
  TestDaemon d;
  Tracee t("on-input");
  Client a = connect(d), b = connect(d);
  auto ea = a.attach(attach_opts(t.pid(), death_reap(), client::Mode::Sync)).engine;
  auto eb = b.attach(attach_opts(t.pid(), death_reap(), client::Mode::Sync)).engine;
  std::vector<std::string> seen;
  a.on_report(ea, [&](const ReportMessage& m) {
    seen.push_back("A " + std::string(proto::to_string(m.report.event)));
    return ResumeAction::Detach;
  });
  a.on_event(ea, [&](const ReportMessage& m) {
    seen.push_back("A " + std::string(proto::to_string(m.report.event)));
  });
  b.on_report(eb, [&](const ReportMessage& m) {
    seen.push_back("B " + std::string(proto::to_string(m.report.event)));
    return ResumeAction::Resume;
  });
  b.on_event(eb, [&](const ReportMessage& m) {
    seen.push_back("B " + std::string(proto::to_string(m.report.event)));
  });
  t.send("q");
  ASSERT_TRUE(pump({&a, &b}, [&] { return seen.size() >= 3; }));
  pump_for({&a, &b}, 100ms);
  EXPECT_EQ(seen, (std::vector<std::string>{"A death", "B death", "B reap"}));
}

// 33. The daemon dies with SIGKILL: a thread whose engine asked for exitkill dies with it; one
// without keeps running untraced.
TEST(Lifecycle, ExitkillTraceesDieWithTheDaemon) {
  Tracee plain("sleep"), doomed("getppid-loop");
  TestDaemon d;
  Client c = connect(d);
  c.attach(attach_opts(plain.pid(), mask({EventKind::Exit})));
  auto r = c.call("attach", {{"tid", doomed.pid()}, {"events", {"exit"}}, {"exitkill", true}});
  ASSERT_TRUE(r.contains("engine"));
  EXPECT_TRUE(eventually([&] { return doomed.tracer() == d.pid(); }));
  pump_for({&c}, 50ms);
  d.kill();
  int status = doomed.wait_exit(std::chrono::seconds(5));
  ASSERT_NE(status, -1) << "the exitkill tracee outlived the daemon";
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << status;
  EXPECT_TRUE(eventually([&] { return released(plain); }));
}

// 37. A thread is reaped and its tid reused by a new process: the old engine is ESRCH for every
// call, and the new process has no engines.
TEST(Lifecycle, TidReuseNeverReachesAnOldEngine) {
  TestDaemon d;
  Client c = connect(d);
  std::unique_ptr<Tracee> old = std::make_unique<Tracee>("on-input");
  const pid_t tid = old->pid();
  auto e = c.attach(attach_opts(tid, death_reap())).engine;
  bool reaped = false;
  c.on_event(e, [&](const ReportMessage& m) { reaped |= m.report.event == EventKind::Reap; });
  old->send("q");
  ASSERT_TRUE(pump({&c}, [&] { return reaped; }));
  ASSERT_NE(old->wait_exit(), -1);
  old.reset();
  // Make the kernel hand out the same pid again (root: ns_last_pid), retrying if another
  // process takes it first.
  std::unique_ptr<Tracee> reuse;
  for (int i = 0; i < 50 && !reuse; ++i) {
    std::ofstream("/proc/sys/kernel/ns_last_pid") << tid - 1;
    auto t = std::make_unique<Tracee>("sleep");
    if (t->pid() == tid) reuse = std::move(t);
  }
  if (!reuse) GTEST_SKIP() << "could not get pid " << tid << " reused";
  EXPECT_EQ(c.control(e, ResumeAction::Stop), ESRCH);
  EXPECT_EQ(c.set_events(e, mask({EventKind::Exit})), ESRCH);
  EXPECT_EQ(c.barrier(e), ESRCH);
  EXPECT_EQ(c.wait(e, 100ms), ESRCH);
  auto regs = c.request("get_regs", {{"engine", e}});
  ASSERT_TRUE(regs.error);
  EXPECT_EQ(regs.error->errno_name(), "ESRCH");
  auto lookup = c.request("attach", {{"tid", tid}, {"create", false}});
  ASSERT_TRUE(lookup.error);
  EXPECT_EQ(lookup.error->errno_name(), "ENOENT");
  EXPECT_TRUE(c.call("list")["engines"].empty());
  EXPECT_EQ(reuse->tracer(), 0);
}

// 42. SIGKILL of a held thread while its registers are being read: each read answers regs or
// an error (ESRCH/EINVAL), the daemon survives, and death and reap follow.
TEST(Lifecycle, SigkillWhileExaminingIsAnErrorNotACrash) {
  TestDaemon d;
  Tracee t("getppid-loop");
  Client c = connect(d);
  auto e = c.attach(attach_opts(t.pid(), death_reap())).engine;
  hold_silently(c, e);
  std::vector<EventKind> seen;
  c.on_event(e, [&](const ReportMessage& m) { seen.push_back(m.report.event); });
  int ok = 0, errors = 0;
  ::kill(t.pid(), SIGKILL);
  for (int i = 0; i < 200; ++i) {
    auto r = c.request("get_regs", {{"engine", e}});
    if (!r.error) ++ok;
    else {
      EXPECT_TRUE(r.error->errno_name() == "ESRCH" || r.error->errno_name() == "EINVAL")
          << r.error->message;
      ++errors;
    }
  }
  EXPECT_GT(errors, 0);
  ASSERT_TRUE(pump({&c}, [&] { return seen.size() == 2; }));
  EXPECT_EQ(seen, (std::vector<EventKind>{EventKind::Death, EventKind::Reap}));
  EXPECT_EQ(c.hello().value("server", ""), "utraced");
}

}  // namespace
}  // namespace utrace::test
