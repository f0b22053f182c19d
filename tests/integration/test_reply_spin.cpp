// Polling instead of sleeping, on both sides of a sync report. utraced --spin-us (EventLoop):
// after sending sync reports the daemon polls for the replies; it must still serve everything
// else meanwhile, and a report that is not answered must not keep it busy beyond the budget.
// Client::set_poll: the library polls for input before it sleeps, with the same bound; and
// run_one(0) dispatches what is ready without waiting.
#include <time.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>

#include "raw_client.hpp"

namespace utrace::test {
namespace {

// utime + stime of a process, in clock ticks.
long cpu_ticks(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::istringstream fields(stat.substr(stat.rfind(')') + 2));
  std::string f;
  long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && fields >> f; ++i) {
    if (i == 14) utime = std::stol(f);
    if (i == 15) stime = std::stol(f);
  }
  return utime + stime;
}

// A sync engine on a getppid loop: its first 2000 syscalls are reported and answered; the
// entries and exits add up.
void answer_busy_sync_engine(Client& a, pid_t pid) {
  auto ea = a.attach(attach_opts(pid, mask({EventKind::SyscallEntry, EventKind::SyscallExit}),
                                 client::Mode::Sync)).engine;
  int entries = 0, exits = 0;
  a.on_report(ea, [&](const ReportMessage& m) {
    (m.report.event == EventKind::SyscallEntry ? entries : exits)++;
    return ResumeAction::Resume;
  });
  ASSERT_TRUE(a.run_until([&] { return exits >= 2000; }, 20s));
  a.detach(ea);
  EXPECT_LE(entries - exits, 1);
}

// A busy sync engine with a polling daemon; another connection is served meanwhile.
TEST(ReplySpin, SyncReportsAreServedWhilePolling) {
  TestDaemon d({"--spin-us", "200"});
  Tracee t("getppid-loop");
  Client a = connect(d), other = connect(d);
  answer_busy_sync_engine(a, t.pid());
  EXPECT_EQ(other.list().size(), 0u);
  EXPECT_GE(other.stats().value("reports_sent", 0ull), 4000ull);
  EXPECT_TRUE(eventually([&] { return released(t); }));
}

// A report held unanswered for 600 ms: the daemon polls at most 2 ms for it, then sleeps.
TEST(ReplySpin, AHeldReportDoesNotKeepTheDaemonBusy) {
  TestDaemon d({"--spin-us", "2000"});
  Tracee t("on-input");
  RawClient a(d);
  a.keep_getppid(a.attach(attach_params(t.pid(), {"syscall_entry"}, "sync")));
  t.send("g");
  ASSERT_TRUE(a.run_until([&] { return a.kept.size() == 1; }));
  const long before = cpu_ticks(d.pid());
  a.run_for(600ms);
  const long used_ms = (cpu_ticks(d.pid()) - before) * 1000 / ::sysconf(_SC_CLK_TCK);
  EXPECT_LT(used_ms, 300) << "the daemon kept polling for an unanswered report";
  EXPECT_EQ(t.state(), 't');
  a.c.reply(a.kept[0], ReportReply{});
  EXPECT_TRUE(a.run_until([&] { return t.state() == 'S'; }));
  a.c.close();
  EXPECT_TRUE(eventually([&] { return released(t); }));
}

long thread_cpu_ms() {
  timespec ts{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

// Both sides poll: every report of a busy sync engine is dispatched and answered.
TEST(ReplySpin, APollingClientAnswersEveryReport) {
  TestDaemon d({"--spin-us", "50"});
  Tracee t("getppid-loop");
  Client a = connect(d);
  a.set_poll(100us);
  answer_busy_sync_engine(a, t.pid());
  EXPECT_TRUE(eventually([&] { return released(t); }));
}

// A polling client with nothing to read polls only `poll` long, then sleeps.
TEST(ReplySpin, AnIdlePollingClientSleeps) {
  TestDaemon d;
  Client a = connect(d);
  a.set_poll(2ms);
  const long before = thread_cpu_ms();
  a.run_for(500ms);
  EXPECT_LT(thread_cpu_ms() - before, 200) << "the client kept polling with nothing to read";
}

// run_one(0) looks at what is ready without waiting: a report already sent is dispatched.
TEST(ReplySpin, RunOneWithZeroTimeoutDispatchesAReadyReport) {
  TestDaemon d;
  Tracee t("on-input");
  Client a = connect(d);
  auto o = attach_opts(t.pid(), mask({EventKind::SyscallEntry}), client::Mode::Sync);
  o.syscalls = {"getppid"};  // the read it waits in is restarted at attach: not reported
  auto ea = a.attach(o).engine;
  int seen = 0;
  a.on_report(ea, [&](const ReportMessage& m) {
    seen += is_getppid(m);
    return ResumeAction::Resume;
  });
  EXPECT_FALSE(a.run_one(0ms)) << "nothing was sent yet";
  t.send("g");
  ASSERT_TRUE(eventually([&] { return t.state() == 't'; }));
  std::this_thread::sleep_for(50ms);  // the report is in the socket by now
  int calls = 0;
  while (seen == 0 && calls < 10) {
    a.run_one(0ms);
    ++calls;
  }
  EXPECT_EQ(seen, 1) << "run_one(0) never dispatched the report";
  EXPECT_LE(calls, 3);
  a.close();
  EXPECT_TRUE(eventually([&] { return released(t); }));
}

TEST(ReplySpin, ABadValueIsRefused) {
  try {
    TestDaemon d({"--spin-us", "soon"});
    ADD_FAILURE() << "utraced started with --spin-us soon";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("--spin-us must be a number between 0 and 1000000"),
              std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace utrace::test
