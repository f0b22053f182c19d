// Polling instead of sleeping, on both sides of a sync report. utraced --spin-us (EventLoop):
// after sending sync reports the daemon polls for the replies; it must still serve everything
// else meanwhile, and a report that is not answered must not keep it busy beyond the budget.
// Client::set_poll: the library polls for input before it sleeps, with the same bound; and
// run_one(0) dispatches what is ready without waiting.
#include <dirent.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>

#include "raw_client.hpp"

namespace utrace::test {
namespace {

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

// Whether one of this process's sockets (the client's connection: the only one here) has a
// whole line ready to read. MSG_PEEK leaves it for the client.
bool socket_has_line() {
  DIR* dir = ::opendir("/proc/self/fd");
  if (!dir) return false;
  bool found = false;
  while (auto* ent = ::readdir(dir)) {
    if (ent->d_name[0] == '.') continue;
    const int fd = std::atoi(ent->d_name);
    struct stat st {};
    if (fd == ::dirfd(dir) || ::fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode)) continue;
    char buf[65536];
    const ssize_t n = ::recv(fd, buf, sizeof buf, MSG_PEEK | MSG_DONTWAIT);
    if (n > 0 && std::memchr(buf, '\n', static_cast<std::size_t>(n))) found = true;
  }
  ::closedir(dir);
  return found;
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
  // The condition itself: with the report unanswered, the daemon goes to sleep (a polling
  // daemon is always R).
  const std::string daemon_status = "/proc/" + std::to_string(d.pid()) + "/status";
  EXPECT_TRUE(eventually([&] { return status_file_field(daemon_status, "State")[0] == 'S'; },
                         10s))
      << "the daemon never slept with a report unanswered";
  // And a bound on CPU time (not wall time: a loaded machine does not raise it): a daemon
  // that polls for the whole 600 ms uses about 600 ms of CPU, one that sleeps about none.
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
  // CPU time of this thread, not wall time: a client polling for the whole 500 ms uses about
  // 500 ms of CPU whatever the load; one that sleeps after 2 ms uses about none.
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
  EXPECT_FALSE(socket_has_line()) << "a line is pending before the tracee did anything";
  t.send("g");
  ASSERT_TRUE(eventually([&] { return t.state() == 't'; }));
  ASSERT_TRUE(eventually([] { return socket_has_line(); }, 10s)) << "no report line came";
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
