// utraced --spin-us (EventLoop): after sending sync reports the daemon polls for the replies
// instead of sleeping. It must still serve everything else while it polls, and a report that
// is not answered must not keep it busy beyond the budget.
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

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

// A busy sync engine: every syscall of a getppid loop is reported and answered; another
// connection is served meanwhile; the counts add up.
TEST(ReplySpin, SyncReportsAreServedWhilePolling) {
  TestDaemon d({"--spin-us", "200"});
  Tracee t("getppid-loop");
  Client a = connect(d), other = connect(d);
  auto ea = a.attach(attach_opts(t.pid(), mask({EventKind::SyscallEntry, EventKind::SyscallExit}),
                                 client::Mode::Sync)).engine;
  int entries = 0, exits = 0;
  a.on_report(ea, [&](const ReportMessage& m) {
    (m.report.event == EventKind::SyscallEntry ? entries : exits)++;
    return ResumeAction::Resume;
  });
  ASSERT_TRUE(a.run_until([&] { return exits >= 2000; }, 20s));
  EXPECT_EQ(other.list().size(), 0u);
  auto stats = other.stats();
  EXPECT_GE(stats.value("reports_sent", 0ull), 4000ull);
  a.detach(ea);
  EXPECT_LE(entries - exits, 1);
  EXPECT_TRUE(eventually([&] { return released(t); }));
}

// A report held unanswered for 600 ms: the daemon polls at most 2 ms for it, then sleeps.
TEST(ReplySpin, AHeldReportDoesNotKeepTheDaemonBusy) {
  TestDaemon d({"--spin-us", "2000"});
  Tracee t("on-input");
  RawClient a(d);
  auto at = a.call("attach", attach_params(t.pid(), {"syscall_entry"}, "sync"));
  ASSERT_TRUE(at.ok());
  const EngineId ea = at.result.at("engine");
  a.keep_getppid(ea);
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
