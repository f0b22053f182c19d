// Syscall filters and Client::launch with a seccomp filter (installed by the child before its
// exec; attach "seccomp"): syscalls no engine wants do not stop the program at all; the
// filter's program stays safe when its engines go.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>

#include "test_engine_common.hpp"

namespace utrace::test {
namespace {

struct LaunchRun {
  std::vector<std::string> syscall_reports;  // "entry getpid", "exit getpid = N"
  std::uint64_t stops = 0;
  int pid = 0;
};

// Launches `family syscalls 20000` with an engine that wants getpid only; returns what it saw
// and how many ptrace stops the daemon made meanwhile.
LaunchRun run_filtered(const TestDaemon& d, bool seccomp) {
  Client c = connect(d);
  client::LaunchOptions o;
  o.argv = {family_path(), "syscalls", "20000"};
  o.events = mask({EventKind::SyscallEntry, EventKind::SyscallExit, EventKind::Reap});
  o.syscalls = {"getpid"};
  o.seccomp = seccomp;
  LaunchRun run;
  bool gone = false;
  c.on_event([&](const ReportMessage& m) {
    const auto& r = m.report;
    if (r.event == EventKind::SyscallEntry) run.syscall_reports.push_back("entry " + r.syscall->name);
    if (r.event == EventKind::SyscallExit)
      run.syscall_reports.push_back("exit " + r.syscall->name + " = " + std::to_string(*r.retval));
    if (r.event == EventKind::Reap) gone |= r.engine_gone.value_or(false);
  });
  auto before = c.stats().value("stops", std::uint64_t{0});
  auto l = c.launch(o);
  run.pid = l.pid;
  EXPECT_EQ(c.control(l.engine, ResumeAction::Resume), 0);
  EXPECT_TRUE(c.run_until([&] { return gone; }, 20s));
  run.stops = c.stats().value("stops", std::uint64_t{0}) - before;
  int status = -1;
  EXPECT_EQ(::waitpid(l.pid, &status, 0), l.pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  return run;
}

TEST(Seccomp, OnlyTheWantedSyscallsStopTheProgram) {
  TestDaemon d;
  LaunchRun filtered = run_filtered(d, false), trapped = run_filtered(d, true);
  // Both report only getpid (the program's printf of "ready PID" and its last call), entry and
  // exit, with the result.
  for (const LaunchRun* r : {&filtered, &trapped}) {
    const std::string exit = "exit getpid = " + std::to_string(r->pid);
    EXPECT_EQ(r->syscall_reports,
              (std::vector<std::string>{"entry getpid", exit, "entry getpid", exit}));
  }
  // Without seccomp every syscall stops twice; with it, only getpid (plus exec and exit stops).
  EXPECT_GT(filtered.stops, 40000u);
  EXPECT_LT(trapped.stops, 50u) << "syscalls no engine wants stopped the program";
}

// All engines detach from a program under the filter: it stays traced (never detached, or its
// getpid would fail with ENOSYS) and keeps working; a new engine without a filter sees every
// syscall again.
TEST(Seccomp, TheProgramOutlivesItsEnginesSafely) {
  TestDaemon d;
  char tmpl[] = "/tmp/utraced-seccomp-XXXXXX";
  std::string dir = ::mkdtemp(tmpl);
  const std::string out = dir + "/out";
  Client c = connect(d);
  client::LaunchOptions o;
  o.argv = {family_path(), "getpid-on-signal"};
  o.stdout_path = out;
  o.events = mask({EventKind::SyscallEntry});
  o.syscalls = {"getpid"};
  o.seccomp = true;
  int entries = 0;
  c.on_event([&](const ReportMessage& m) { entries += m.report.event == EventKind::SyscallEntry; });
  auto l = c.launch(o);
  EXPECT_EQ(c.control(l.engine, ResumeAction::Resume), 0);
  auto lines = [&] {
    std::ifstream in(out);
    std::vector<std::string> v;
    for (std::string s; std::getline(in, s);) v.push_back(s);
    return v;
  };
  const std::string good = "getpid " + std::to_string(l.pid);
  EXPECT_TRUE(eventually([&] { return lines().size() == 1; }));  // "ready PID"
  ::kill(l.pid, SIGUSR1);
  EXPECT_TRUE(eventually([&] { return lines().size() == 2; }));
  EXPECT_EQ(lines().back(), good);
  c.run_for(50ms);
  EXPECT_EQ(entries, 2);  // the getpid for "ready PID", then the one after SIGUSR1
  EXPECT_EQ(c.detach(l.engine), 0);
  ::kill(l.pid, SIGUSR1);
  EXPECT_TRUE(eventually([&] { return lines().size() == 3; }));
  EXPECT_EQ(lines().back(), good) << "getpid failed once the engines were gone";
  EXPECT_EQ(status_file_field("/proc/" + std::to_string(l.pid) + "/status", "TracerPid"),
            std::to_string(d.pid()));
  // A new engine that wants every syscall: the thread goes back to stopping at each one.
  std::vector<std::string> names;
  auto e2 = c.attach(attach_opts(l.pid, mask({EventKind::SyscallEntry}))).engine;
  c.on_event(e2, [&](const ReportMessage& m) { names.push_back(m.report.syscall->name); });
  c.run_for(50ms);
  ::kill(l.pid, SIGUSR1);
  EXPECT_TRUE(c.run_until([&] {
    return std::find(names.begin(), names.end(), "write") != names.end();
  }, 5s));
  EXPECT_EQ(std::count(names.begin(), names.end(), "getpid"), 1) << "getpid reported twice";
  EXPECT_EQ(lines().back(), good);
  EXPECT_EQ(c.detach(e2), 0);
  ::kill(l.pid, SIGKILL);
  ::waitpid(l.pid, nullptr, 0);
  std::system(("rm -rf " + dir).c_str());
}

// The filter is the child's own: it has no_new_privs and seccomp mode 2 before its first
// instruction, and the daemon (told "seccomp") never detaches it; killing the daemon kills it
// (exitkill), as documented, instead of leaving it with failing syscalls.
TEST(Seccomp, TheChildInstallsItAndDiesWithTheDaemon) {
  TestDaemon d;
  Client c = connect(d);
  client::LaunchOptions o;
  o.argv = {family_path(), "sleep"};
  o.events = mask({EventKind::SyscallEntry});
  o.syscalls = {"getpid"};
  o.seccomp = true;
  int stdout_pipe[2];
  ASSERT_EQ(::pipe2(stdout_pipe, O_CLOEXEC), 0);
  o.stdio_fds[1] = stdout_pipe[1];
  auto l = c.launch(o);
  ::close(stdout_pipe[1]);
  const std::string status = "/proc/" + std::to_string(l.pid) + "/status";
  EXPECT_EQ(status_file_field(status, "NoNewPrivs"), "1");
  EXPECT_EQ(status_file_field(status, "Seccomp"), "2");
  EXPECT_EQ(status_file_field(status, "State")[0], 't');  // held at its exec
  EXPECT_EQ(c.control(l.engine, ResumeAction::Resume), 0);
  char line[64] = {};
  EXPECT_GT(::read(stdout_pipe[0], line, sizeof line - 1), 0);  // "ready PID": it runs
  ::close(stdout_pipe[0]);
  d.kill();
  int st = -1;
  EXPECT_EQ(::waitpid(l.pid, &st, 0), l.pid);
  EXPECT_TRUE(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL) << st;
}

TEST(Seccomp, BadFiltersAreRefused) {
  TestDaemon d;
  Client c = connect(d);
  for (auto syscalls : {std::vector<std::string>{"no_such_call"}, std::vector<std::string>{}}) {
    client::LaunchOptions o;
    o.argv = {"/bin/true"};
    o.syscalls = syscalls;
    o.seccomp = true;
    try {
      c.launch(o);
      ADD_FAILURE() << "started";
    } catch (const ClientError& e) {
      EXPECT_EQ(e.code(), -32602) << e.what();
    }
  }
  // The daemon's side: seccomp needs hold_at_exec and syscalls.
  auto no_hold = c.request("attach", {{"pid", ::getpid()}, {"seccomp", true}, {"syscalls", {"getpid"}}});
  ASSERT_TRUE(no_hold.error);
  EXPECT_EQ(no_hold.error->code, -32602);
  auto attach = c.request("attach", {{"tid", ::getpid()}, {"syscalls", "getpid"}});
  ASSERT_TRUE(attach.error);
  EXPECT_EQ(attach.error->code, -32602);
}

}  // namespace
}  // namespace utrace::test
