// Attach and detach against sleeping, busy and spinning tracees; EPERM and ESRCH.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sys/stat.h>

#include <cstdlib>
#include <functional>

#include "common.hpp"

namespace utrace::test {
namespace {

TEST(AttachDetach, SleepingTraceeIsTracedThenReleased) {
  TestDaemon d;
  Tracee t("sleep");
  Client c = connect(d);
  auto r = c.attach(attach_opts(t.pid(), mask({EventKind::SyscallEntry, EventKind::SyscallExit})));
  EXPECT_GT(r.engine, 0u);
  ASSERT_EQ(r.tids, std::vector<int>{t.pid()});
  EXPECT_TRUE(eventually([&] { return t.tracer() == d.pid(); }));
  // Turning syscall tracing on interrupts and restarts its nanosleep: it must go back to sleep.
  EXPECT_TRUE(eventually([&] { return t.state() == 'S'; }));
  EXPECT_EQ(c.detach(r.engine), 0);
  EXPECT_TRUE(eventually([&] { return released(t); }));
  // Detaching interrupts it once more: it goes back to its sleep (briefly R on the way).
  EXPECT_TRUE(eventually([&] { return t.state() == 'S'; }));
}

TEST(AttachDetach, BusyTraceeReportsGetppid) {
  TestDaemon d;
  Tracee t("getppid-loop");
  Client c = connect(d);
  int seen = 0;
  std::string name;
  auto r = c.attach(attach_opts(t.pid(), mask({EventKind::SyscallEntry})));
  c.on_event(r.engine, [&](const ReportMessage& m) {
    ++seen;
    name = m.report.syscall ? m.report.syscall->name : "";
    EXPECT_EQ(m.report.tid, t.pid());
    EXPECT_EQ(m.report.event, EventKind::SyscallEntry);
  });
  EXPECT_TRUE(c.run_until([&] { return seen >= 100; }, 5s));
  EXPECT_EQ(name, "getppid");
  EXPECT_EQ(c.detach(r.engine), 0);
  EXPECT_TRUE(eventually([&] { return released(t); }));
  EXPECT_EQ(t.state(), 'R');
}

TEST(AttachDetach, SpinningTraceeStopsAndResumes) {
  TestDaemon d;
  Tracee t("spin");
  Client c = connect(d);
  auto r = c.attach(attach_opts(t.pid(), {}));
  EXPECT_EQ(c.control(r.engine, ResumeAction::Stop), EINPROGRESS);
  EXPECT_TRUE(eventually([&] { return t.state() == 't'; }));
  EXPECT_EQ(c.control(r.engine, ResumeAction::Stop), 0);  // now it is stopped
  EXPECT_EQ(c.list().at(0).held, true);
  EXPECT_EQ(c.control(r.engine, ResumeAction::Resume), 0);
  EXPECT_TRUE(eventually([&] { return t.state() == 'R'; }));
  EXPECT_EQ(t.tracer(), d.pid());
}

TEST(AttachDetach, DeadTidIsEsrch) {
  TestDaemon d;
  pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  int st = 0;
  ::waitpid(child, &st, 0);
  Client c = connect(d);
  try {
    c.attach(attach_opts(child, mask({EventKind::SyscallEntry})));
    FAIL() << "attach to a dead tid succeeded";
  } catch (const ClientError& e) {
    EXPECT_EQ(e.errno_name(), "ESRCH");
    EXPECT_EQ(e.error().data.at("tid"), child);
  }
  // The connection stays usable.
  EXPECT_EQ(c.hello().at("server"), "utraced");
}

TEST(AttachDetach, ThreadUnderStraceIsEpermNamingTheTracer) {
  TestDaemon d;
  Tracee t("sleep");
  pid_t strace = ::fork();
  if (strace == 0) {
    std::string pid = std::to_string(t.pid());
    ::execlp("strace", "strace", "-q", "-o", "/dev/null", "-p", pid.c_str(),
             static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ASSERT_TRUE(eventually([&] { return t.tracer() == strace; })) << "strace did not attach";
  Client c = connect(d);
  try {
    c.attach(attach_opts(t.pid(), mask({EventKind::SyscallEntry})));
    ADD_FAILURE() << "attach to a thread under strace succeeded";
  } catch (const ClientError& e) {
    EXPECT_EQ(e.errno_name(), "EPERM");
    EXPECT_EQ(e.error().data.at("tracer_pid"), strace);
  }
  ::kill(strace, SIGTERM);
  int st = 0;
  ::waitpid(strace, &st, 0);
  EXPECT_TRUE(eventually([&] { return t.tracer() == 0; }));
}

TEST(AttachDetach, KernelThreadAndDaemonAreEperm) {
  TestDaemon d;
  Client c = connect(d);
  for (pid_t tid : {pid_t{2}, d.pid()}) {
    try {
      c.attach(attach_opts(tid, {}));
      ADD_FAILURE() << "attach to " << tid << " succeeded";
    } catch (const ClientError& e) {
      EXPECT_EQ(e.errno_name(), "EPERM") << "tid " << tid;
    }
  }
}

// Runs fn in a child process with the credentials of user `nobody`; returns its exit code.
int as_nobody(const std::function<int()>& fn) {
  pid_t child = ::fork();
  if (child == 0) {
    if (::setgid(65534) != 0 || ::setuid(65534) != 0) ::_exit(100);
    int rc = 101;
    try {
      rc = fn();
    } catch (...) {
    }
    ::_exit(rc);
  }
  int st = 0;
  ::waitpid(child, &st, 0);
  return WIFEXITED(st) ? WEXITSTATUS(st) : 200;
}

TEST(AttachDetach, UnprivilegedClientCannotTraceAnotherUsersProcess) {
  TestDaemon d;
  ::chmod(d.socket().substr(0, d.socket().rfind('/')).c_str(), 0755);  // let nobody reach it
  Tracee root_owned("sleep");
  // 0: EPERM as expected; 1: attach succeeded; 2: another error.
  int rc = as_nobody([&] {
    Client c = Client::connect(d.socket());
    try {
      c.attach(attach_opts(root_owned.pid(), mask({EventKind::SyscallEntry})));
      return 1;
    } catch (const ClientError& e) {
      return e.errno_name() == "EPERM" && e.error().data.at("reason") == "uid" ? 0 : 2;
    }
  });
  EXPECT_EQ(rc, 0);
  EXPECT_EQ(root_owned.tracer(), 0);
}

TEST(AttachDetach, UnprivilegedClientTracesItsOwnProcess) {
  TestDaemon d;
  ::chmod(d.socket().substr(0, d.socket().rfind('/')).c_str(), 0755);
  // nobody may not reach the build tree (CI clones anywhere): run a copy of the tracee from the
  // daemon's temporary directory.
  const std::string dir = d.socket().substr(0, d.socket().rfind('/'));
  const std::string copy = dir + "/tracee";
  const std::string original = tracee_path();
  ASSERT_EQ(std::system(("cp " + original + " " + copy + " && chmod 755 " + copy).c_str()), 0);
  ::setenv("TRACEE_BIN", copy.c_str(), 1);
  int rc = as_nobody([&] {
    Tracee own("getppid-loop");  // started by nobody, so nobody's and dumpable
    Client c = Client::connect(d.socket());
    auto r = c.attach(attach_opts(own.pid(), mask({EventKind::SyscallEntry})));
    int seen = 0;
    c.on_event(r.engine, [&](const ReportMessage&) { ++seen; });
    if (!c.run_until([&] { return seen > 10; }, 5s)) return 3;
    return c.detach(r.engine) == 0 && eventually([&] { return released(own); }) ? 0 : 4;
  });
  ::setenv("TRACEE_BIN", original.c_str(), 1);
  EXPECT_EQ(rc, 0);
}

TEST(AttachDetach, ExitDeathReapComeOnceInOrder) {
  TestDaemon d;
  Tracee t("on-input");
  Client c = connect(d);
  std::vector<proto::Report> got;
  auto r = c.attach(attach_opts(t.pid(), mask({EventKind::Exit, EventKind::Death, EventKind::Reap})));
  c.on_event(r.engine, [&](const ReportMessage& m) { got.push_back(m.report); });
  t.send("q");
  ASSERT_TRUE(c.run_until([&] { return !got.empty() && got.back().event == EventKind::Reap; }, 5s));
  c.run_for(100ms);  // nothing more may arrive
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].event, EventKind::Exit);
  EXPECT_EQ(got[0].status, 3 << 8);
  EXPECT_EQ(got[1].event, EventKind::Death);
  EXPECT_EQ(got[1].exit_code, 3);
  EXPECT_EQ(got[2].event, EventKind::Reap);
  EXPECT_LT(got[0].seq, got[1].seq);
  EXPECT_LT(got[1].seq, got[2].seq);
  int st = t.wait_exit();
  EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 3);
  // After reap the engine is gone.
  EXPECT_EQ(c.control(r.engine, ResumeAction::Stop), ESRCH);
}

}  // namespace
}  // namespace utrace::test
