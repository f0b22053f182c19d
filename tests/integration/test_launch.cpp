// `launch`: a program started traced and held before its first instruction; errors; following
// its children (a shell pipeline), a fork storm, thread churn and Ctrl-Z style job control on
// whole programs.
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <set>

#include "test_engine_common.hpp"

namespace utrace::test {
namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

struct TempDir {
  TempDir() {
    char tmpl[] = "/tmp/utraced-launch-XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~TempDir() { std::system(("rm -rf " + path).c_str()); }
  std::string path;
};

TEST(Launch, HeldBeforeItsFirstInstructionUntilResumed) {
  TestDaemon d;
  TempDir tmp;
  Client c = connect(d);
  client::LaunchOptions o;
  o.argv = {family_path(), "sleep"};
  o.stdout_path = tmp.path + "/out";
  std::ofstream(o.stdout_path).close();
  o.events = mask({EventKind::Exec, EventKind::Death});
  std::vector<proto::Report> seen;
  c.on_event([&](const ReportMessage& m) { seen.push_back(m.report); });
  auto r = c.launch(o);
  ASSERT_GT(r.pid, 0);
  pump({&c}, [&] { return !seen.empty(); }, 1s);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].event, EventKind::Exec);
  EXPECT_EQ(seen[0].tid, r.pid);
  EXPECT_EQ(status_file_field("/proc/" + std::to_string(r.pid) + "/status", "State")[0], 't');
  EXPECT_EQ(status_file_field("/proc/" + std::to_string(r.pid) + "/status", "TracerPid"),
            std::to_string(d.pid()));
  pump_for({&c}, 100ms);
  EXPECT_EQ(read_file(o.stdout_path), "") << "it ran before the resume";
  std::string reason;
  EXPECT_EQ(c.wait(r.engine, 1s, &reason), 0);
  EXPECT_EQ(reason, "stopped");
  EXPECT_EQ(c.control(r.engine, ResumeAction::Resume), 0);
  EXPECT_TRUE(eventually([&] { return read_file(o.stdout_path) == "ready " + std::to_string(r.pid) + "\n"; }));
  ::kill(r.pid, SIGKILL);
  EXPECT_TRUE(pump({&c}, [&] { return seen.size() == 2; }));
  EXPECT_EQ(seen.back().event, EventKind::Death);
  EXPECT_EQ(c.control(r.engine, ResumeAction::Stop), ESRCH);
}

TEST(Launch, ErrorsNameTheProblem) {
  TestDaemon d;
  Client c = connect(d);
  auto missing = c.request("launch", {{"argv", {"/nonexistent/program"}}});
  ASSERT_TRUE(missing.error);
  EXPECT_EQ(missing.error->errno_name(), "ENOENT");
  EXPECT_EQ(missing.error->data.value("step", ""), "exec");
  auto not_in_path = c.request("launch", {{"argv", {"no-such-program-here"}}});
  ASSERT_TRUE(not_in_path.error);
  EXPECT_EQ(not_in_path.error->errno_name(), "ENOENT");
  auto cwd = c.request("launch", {{"argv", {"/bin/true"}}, {"cwd", "/nonexistent"}});
  ASSERT_TRUE(cwd.error);
  EXPECT_EQ(cwd.error->data.value("step", ""), "chdir");
  for (auto bad : {json{{"argv", json::array()}}, json{{"argv", "ls"}},
                   json{{"argv", {"/bin/true"}}, {"env", {"NOEQUALS"}}},
                   json{{"argv", {"/bin/true"}}, {"scope", "galaxy"}}}) {
    auto r = c.request("launch", bad);
    ASSERT_TRUE(r.error) << bad.dump();
    EXPECT_EQ(r.error->code, -32602) << bad.dump();
  }
  EXPECT_EQ(c.stats().value("engines", -1), 0);  // nothing left over from the failures
}

// A shell pipeline with fork and exec, followed: every process of it is seen exec'ing, and the
// engine is gone once the last of them is reaped.
TEST(Launch, FollowsAShellPipeline) {
  TestDaemon d;
  TempDir tmp;
  Client c = connect(d);
  client::LaunchOptions o;
  o.argv = {"/bin/sh", "-c", "echo one two three | /usr/bin/wc -w | /bin/cat > " + tmp.path + "/n"};
  o.events = mask({EventKind::Exec, EventKind::Clone, EventKind::Reap});
  o.follow = true;
  std::map<int, std::string> exec_paths;
  std::set<int> reaped;
  int clones = 0;
  c.on_event([&](const ReportMessage& m) {
    if (m.report.event == EventKind::Exec) exec_paths[m.report.pid] = m.report.path.value_or("");
    if (m.report.event == EventKind::Clone) ++clones;
    if (m.report.event == EventKind::Reap) reaped.insert(m.report.tid);
  });
  auto r = c.launch(o);
  EXPECT_EQ(c.control(r.engine, ResumeAction::Resume), 0);
  ASSERT_TRUE(pump({&c}, [&] { return reaped.count(r.pid) > 0; }, 10s));
  EXPECT_EQ(read_file(tmp.path + "/n"), "3\n");
  EXPECT_GE(clones, 2);
  std::set<std::string> paths;
  for (auto& [pid, path] : exec_paths) paths.insert(path);
  EXPECT_TRUE(paths.count("/usr/bin/wc")) << "wc was not followed";
  EXPECT_TRUE(paths.count("/usr/bin/cat")) << "cat was not followed";
  for (auto& [pid, path] : exec_paths) EXPECT_TRUE(reaped.count(pid)) << path << " not reaped";
  EXPECT_TRUE(eventually([&] { return c.control(r.engine, ResumeAction::Stop) == ESRCH; }));
}

// A fork storm of 200 short children, followed: 200 clone events, each child reaped once.
TEST(Launch, FollowsAForkStorm) {
  TestDaemon d;
  auto t = Tracee::family("fork-storm", "200");
  Client c = connect(d);
  auto o = attach_opts(t->pid(), mask({EventKind::Clone, EventKind::Death, EventKind::Reap}));
  o.follow = true;
  auto e = c.attach(o).engine;
  // Counted per tid: a tid may come back as a later child (pids are reused, and another test
  // may rewind ns_last_pid), so each tid must die and be reaped as often as it was born.
  std::map<int, int> births, deaths, reaps;
  int reaped = 0;
  c.on_event(e, [&](const ReportMessage& m) {
    if (m.report.event == EventKind::Clone) ++births[*m.report.child];
    if (m.report.event == EventKind::Death) ++deaths[m.report.tid];
    if (m.report.event == EventKind::Reap) ++reaps[m.report.tid], ++reaped;
  });
  t->send("s");
  EXPECT_EQ(t->read_line(20s), "storm 200");
  EXPECT_TRUE(pump({&c}, [&] { return reaped == 200; }, 10s)) << reaped;
  int born = 0;
  for (auto& [child, n] : births) {
    born += n;
    EXPECT_EQ(deaths[child], n) << child;
    EXPECT_EQ(reaps[child], n) << child;
  }
  EXPECT_EQ(born, 200);
  EXPECT_EQ(c.detach(e), 0);
  EXPECT_TRUE(eventually([&] { return released(*t); }));
}

// 8 threads that create and join threads continuously, traced as a process for a while: no
// thread ever runs untraced, and detach releases them all.
TEST(Launch, ThreadChurnUnderAProcessEngine) {
  TestDaemon d;
  auto t = Tracee::family("churn", "8");
  Client c = connect(d);
  client::AttachOptions o;
  o.pid = t->pid();
  o.events = mask({EventKind::Clone, EventKind::Reap});
  auto e = c.attach(o).engine;
  int clones = 0, reaps = 0, escaped = 0;
  c.on_event(e, [&](const ReportMessage& m) {
    clones += m.report.event == EventKind::Clone;
    reaps += m.report.event == EventKind::Reap;
  });
  auto until = std::chrono::steady_clock::now() + 1500ms;
  while (std::chrono::steady_clock::now() < until) {
    pump_for({&c}, 20ms);
    for (pid_t tid : task_ids(t->pid())) {
      // A thread already dead (its status collected: the ptrace link is gone) does not count.
      char state = task_state(t->pid(), tid);
      auto tracer = task_status_field(t->pid(), tid, "TracerPid");
      if (state != 'Z' && state != 'X' && state != '?' && !tracer.empty() &&
          tracer != std::to_string(d.pid()))
        ++escaped;
    }
  }
  EXPECT_EQ(escaped, 0);
  EXPECT_GT(clones, 50);
  EXPECT_GT(reaps, 50);
  EXPECT_EQ(c.detach(e), 0);
  EXPECT_TRUE(eventually([&] {
    for (pid_t tid : task_ids(t->pid()))
      if (!task_released(t->pid(), tid) && task_state(t->pid(), tid) != '?') return false;
    return true;
  }));
}

// A tracee in a job like a shell's: its own process group, whose parent (in the same session,
// another group) keeps the group from being orphaned, so that SIGTSTP really stops it (the
// kernel discards SIGTSTP for orphaned process groups).
class ShellJob {
 public:
  ShellJob() {
    int p[2];
    if (::pipe(p) != 0) return;
    shell_ = ::fork();
    if (shell_ == 0) {
      ::setsid();
      pid_t job = ::fork();
      if (job == 0) {
        ::setpgid(0, 0);
        ::close(p[0]);
        ::dup2(p[1], 1);
        const std::string bin = tracee_path();
        ::execl(bin.c_str(), bin.c_str(), "getppid-loop", static_cast<char*>(nullptr));
        ::_exit(127);
      }
      ::close(p[1]);
      ::waitpid(job, nullptr, WUNTRACED);  // stays around as the job's parent
      ::waitpid(job, nullptr, 0);
      ::_exit(0);
    }
    ::close(p[1]);
    char buf[64] = {};
    if (::read(p[0], buf, sizeof buf - 1) > 0) job_ = std::atoi(buf + 6);  // "ready PID"
    ::close(p[0]);
  }
  ~ShellJob() {
    if (job_ > 0) ::kill(job_, SIGKILL);
    if (shell_ > 0) {
      ::kill(shell_, SIGKILL);
      ::waitpid(shell_, nullptr, 0);
    }
  }
  pid_t pid() const { return job_; }
  char state() const {
    auto v = status_file_field("/proc/" + std::to_string(job_) + "/status", "State");
    return v.empty() ? '?' : v[0];
  }

 private:
  pid_t shell_ = -1, job_ = -1;
};

// Ctrl-Z style: SIGTSTP stops a traced job (jctl "stopped"), SIGCONT continues it (jctl
// "continued"), and in between it really is stopped for the user.
TEST(Launch, CtrlZStyleStopAndContinue) {
  TestDaemon d;
  ShellJob t;
  ASSERT_GT(t.pid(), 0);
  Client c = connect(d);
  auto e = c.attach(attach_opts(t.pid(), mask({EventKind::Jctl, EventKind::SignalStop}))).engine;
  std::vector<std::string> seen;
  c.on_event(e, [&](const ReportMessage& m) {
    seen.push_back(m.report.event == EventKind::Jctl ? m.report.jctl.value_or("")
                                                     : m.report.signal->name);
  });
  ::kill(t.pid(), SIGTSTP);
  ASSERT_TRUE(pump({&c}, [&] { return seen.size() == 2; })) << seen.size();
  EXPECT_EQ(seen, (std::vector<std::string>{"SIGTSTP", "stopped"}));
  EXPECT_TRUE(eventually([&] { return t.state() == 't' || t.state() == 'T'; }));
  pump_for({&c}, 100ms);
  EXPECT_TRUE(t.state() == 't' || t.state() == 'T') << "it ran on while job-control stopped";
  ::kill(t.pid(), SIGCONT);
  ASSERT_TRUE(pump({&c}, [&] { return seen.size() == 3; }));
  EXPECT_EQ(seen.back(), "continued");
  EXPECT_TRUE(eventually([&] { return t.state() == 'R' || t.state() == 'S'; }));
  EXPECT_EQ(c.detach(e), 0);
  EXPECT_TRUE(eventually([&] {
    return status_file_field("/proc/" + std::to_string(t.pid()) + "/status", "TracerPid") == "0";
  }));
}

}  // namespace
}  // namespace utrace::test
