// Stop holds: a sync `stop` keeps the thread stopped until `control resume`; detach, client
// disconnect, client SIGKILL and daemon SIGTERM all leave it running and untraced.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <functional>
#include <memory>
#include <thread>

#include "utrace/proto/wide_values.hpp"
#include "common.hpp"
#include "utrace/engine.hpp"

namespace utrace::test {
namespace {

// Dispatches c's reports and events until pred holds (checked every few ms, since pred may
// depend on the tracee's state rather than on a message).
bool pump_until(Client& c, const std::function<bool()>& pred,
                std::chrono::milliseconds timeout = 5s) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return pred();
    c.run_for(5ms);
  }
  return true;
}

// Attaches a sync engine on syscall entry and answers `stop` to the first getppid entry.
client::EngineId hold_at_getppid(Client& c, Tracee& t) {
  auto r = c.attach(attach_opts(t.pid(), mask({EventKind::SyscallEntry}), client::Mode::Sync));
  // The handler outlives this function: it shares the flag rather than pointing at the stack.
  auto held = std::make_shared<bool>(false);
  c.on_report(r.engine, [held](const ReportMessage& m) {
    if (m.report.syscall && m.report.syscall->name == "getppid") {
      *held = true;
      return ResumeAction::Stop;
    }
    return ResumeAction::Resume;
  });
  t.send("g");
  EXPECT_TRUE(c.run_until([&] { return *held; }, 5s));
  EXPECT_EQ(c.barrier(r.engine), 0);  // the stop is applied once barrier returns
  return r.engine;
}

TEST(Holds, SyncStopKeepsThreadStoppedUntilResume) {
  TestDaemon d;
  Tracee t("on-input");
  Client c = connect(d);
  auto engine = hold_at_getppid(c, t);
  EXPECT_TRUE(eventually([&] { return t.state() == 't'; }));
  c.run_for(300ms);
  EXPECT_EQ(t.state(), 't') << "the held thread ran";
  EXPECT_EQ(c.list().at(0).held, true);
  EXPECT_EQ(c.control(engine, ResumeAction::Resume), 0);
  // It runs on, to its next syscall entry (the read it blocks in), which is reported and resumed.
  EXPECT_TRUE(pump_until(c, [&] { return t.state() == 'S'; }));
  EXPECT_EQ(t.tracer(), d.pid());
}

TEST(Holds, DetachWhileHeldReleases) {
  TestDaemon d;
  Tracee t("on-input");
  Client c = connect(d);
  auto engine = hold_at_getppid(c, t);
  EXPECT_EQ(c.detach(engine), 0);
  EXPECT_TRUE(eventually([&] { return released_running(t); }));
  EXPECT_EQ(c.control(engine, ResumeAction::Resume), ESRCH);
}

TEST(Holds, DisconnectWhileHeldReleases) {
  TestDaemon d;
  Tracee t("on-input");
  {
    Client c = connect(d);
    hold_at_getppid(c, t);
    EXPECT_EQ(t.state(), 't');
  }  // the connection closes here
  EXPECT_TRUE(eventually([&] { return released_running(t); }));
}

TEST(Holds, ClientKilledWhileHoldingReleases) {
  TestDaemon d;
  Tracee t("on-input");
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  pid_t holder = ::fork();
  if (holder == 0) {
    // The child holds the thread stopped, says so, and waits to be killed.
    Client c = Client::connect(d.socket());
    hold_at_getppid(c, t);
    char ok = 'h';
    (void)!::write(ready[1], &ok, 1);
    for (;;) ::pause();
  }
  char got = 0;
  ASSERT_EQ(::read(ready[0], &got, 1), 1);
  EXPECT_EQ(t.state(), 't');
  ::kill(holder, SIGKILL);
  int st = 0;
  ::waitpid(holder, &st, 0);
  EXPECT_TRUE(eventually([&] { return released_running(t); }));
  ::close(ready[0]);
  ::close(ready[1]);
}

TEST(Holds, DaemonSigtermDetachesEverything) {
  Tracee busy("getppid-loop");
  Tracee held("on-input");
  Tracee sleeper("sleep");
  {
    TestDaemon d;
    Client c = connect(d);
    c.attach(attach_opts(busy.pid(), mask({EventKind::SyscallEntry, EventKind::SyscallExit})));
    c.attach(attach_opts(sleeper.pid(), mask({EventKind::SyscallEntry})));
    hold_at_getppid(c, held);
    EXPECT_EQ(held.state(), 't');
    int st = d.stop();
    EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) << "status " << st;
  }
  for (Tracee* t : {&busy, &held, &sleeper})
    EXPECT_TRUE(eventually([&] { return released_running(*t); })) << "pid " << t->pid();
  EXPECT_TRUE(eventually([&] { return held.state() == 'S'; }));
  EXPECT_TRUE(eventually([&] { return sleeper.state() == 'S'; }));
  EXPECT_TRUE(runs_untraced(busy));
}

TEST(Holds, DaemonSigkillLeavesTraceesRunning) {
  Tracee busy("getppid-loop");
  TestDaemon d;
  Client c = connect(d);
  c.attach(attach_opts(busy.pid(), mask({EventKind::SyscallEntry})));
  EXPECT_TRUE(eventually([&] { return busy.tracer() == d.pid(); }));
  d.kill();
  // Untraced is not enough: a thread left in a job-control or ptrace stop (T/t) is not
  // running. It must be in R/S and burn CPU in its getppid loop.
  EXPECT_TRUE(runs_untraced(busy));
}

TEST(TwoEngines, TwoClientsSeeTheSameThread) {
  TestDaemon d;
  Tracee t("on-input");
  Client a = connect(d);
  Client b = connect(d);
  auto ea = a.attach(attach_opts(t.pid(), mask({EventKind::SyscallEntry}), client::Mode::Sync));
  auto eb = b.attach(attach_opts(t.pid(), mask({EventKind::SyscallEntry})));
  EXPECT_NE(ea.engine, eb.engine);
  bool a_held = false;
  int b_seen = 0;
  a.on_report(ea.engine, [&](const ReportMessage& m) {
    if (m.report.syscall && m.report.syscall->name == "getppid") {
      a_held = true;
      return ResumeAction::Stop;
    }
    return ResumeAction::Resume;
  });
  b.on_event(eb.engine, [&](const ReportMessage& m) {
    if (m.report.syscall && m.report.syscall->name == "getppid") {
      ++b_seen;
      // Entry reports go in reverse attach order: B (attached last) is asked first.
      EXPECT_EQ(m.report.action, ResumeAction::Resume);
    }
  });
  t.send("g");
  EXPECT_TRUE(a.run_until([&] { return a_held; }, 5s));
  EXPECT_TRUE(b.run_until([&] { return b_seen == 1; }, 5s));
  EXPECT_TRUE(eventually([&] { return t.state() == 't'; }));
  // B's engine cannot release A's hold; B cannot see A's engine at all.
  EXPECT_EQ(b.control(eb.engine, ResumeAction::Resume), 0);
  EXPECT_EQ(b.control(ea.engine, ResumeAction::Resume), ESRCH);
  b.run_for(200ms);
  EXPECT_EQ(t.state(), 't');
  EXPECT_EQ(a.control(ea.engine, ResumeAction::Resume), 0);
  EXPECT_TRUE(pump_until(a, [&] { return t.state() == 'S'; }));
}

}  // namespace
}  // namespace utrace::test

namespace utrace::test {
namespace {

// The Engine handle: the same hold / examine / release cycle, written against engine objects.
TEST(EngineHandle, HoldExamineRelease) {
  TestDaemon d;
  Tracee t("on-input");
  Client c = connect(d);
  auto engine = client::attach_engine(
      c, attach_opts(t.pid(), mask({EventKind::SyscallEntry}), client::Mode::Sync));
  EXPECT_EQ(engine.tids(), std::vector<int>{t.pid()});
  bool held = false;
  engine.on_report([&](const ReportMessage& m) {
    if (m.report.syscall && m.report.syscall->name == "getppid") {
      held = true;
      return ResumeAction::Stop;
    }
    return ResumeAction::Resume;
  });
  t.send("g");
  ASSERT_TRUE(c.run_until([&] { return held; }, 5s));
  std::string reason;
  EXPECT_EQ(engine.wait(5s, &reason), 0);
  EXPECT_EQ(reason, "stopped");
  EXPECT_EQ(engine.regs().at("orig_rax"), "0x6e");  // getppid (110), "0x…" in protocol 2
  auto sp = proto::read_u64(engine.regs().at("rsp")).value();  // "0x…" (protocol 2)
  auto bytes = engine.read_memory(sp, 8);
  EXPECT_EQ(bytes.size(), 8u);
  EXPECT_EQ(engine.write_memory(sp, bytes), 8u);
  EXPECT_EQ(engine.set_events({}), 0);
  EXPECT_EQ(engine.resume(), 0);
  EXPECT_TRUE(eventually([&] { return t.state() == 'S'; }));
  EXPECT_EQ(engine.detach(), 0);
  EXPECT_TRUE(eventually([&] { return released_running(t); }));
  EXPECT_EQ(engine.stop(), ESRCH);
}

}  // namespace
}  // namespace utrace::test
