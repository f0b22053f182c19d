// The CPU affinity policy (utraced --cpu N): the daemon and the threads it traces run on CPU N
// while traced, and every thread gets its own mask back when the daemon lets it go.
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>

#include "test_engine_common.hpp"

namespace utrace::test {
namespace {

std::string cpus_of(pid_t pid) {
  return status_file_field("/proc/" + std::to_string(pid) + "/status", "Cpus_allowed_list");
}

std::vector<int> allowed_cpus() {
  cpu_set_t set;
  std::vector<int> cpus;
  if (::sched_getaffinity(0, sizeof set, &set) != 0) return cpus;
  for (int i = 0; i < CPU_SETSIZE; ++i)
    if (CPU_ISSET(i, &set)) cpus.push_back(i);
  return cpus;
}

void set_cpus(pid_t pid, int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  ASSERT_EQ(::sched_setaffinity(pid, sizeof set, &set), 0);
}

TEST(Affinity, TracedThreadsRunOnTheDaemonsCpuAndGetTheirOwnMaskBack) {
  const auto cpus = allowed_cpus();
  if (cpus.size() < 2) GTEST_SKIP() << "needs two CPUs";
  const std::string pin = std::to_string(cpus[0]), own = std::to_string(cpus[1]);
  TestDaemon d({"--cpu", pin});
  EXPECT_EQ(cpus_of(d.pid()), pin);

  auto t = Tracee::family("fork-counter");
  set_cpus(t->pid(), cpus[1]);  // the program's own choice, to be given back
  Client c = connect(d);
  client::AttachOptions o;
  o.pid = t->pid();
  o.follow = true;
  o.events = mask({EventKind::Clone});
  auto engine = c.attach(o).engine;
  EXPECT_EQ(cpus_of(t->pid()), pin);

  // A child forked while traced inherits the pinned mask; its own is its parent's.
  t->send("f");
  const std::string forked = t->read_line();
  ASSERT_EQ(forked.rfind("forked ", 0), 0u) << forked;
  const pid_t child = std::stoi(forked.substr(7));
  EXPECT_TRUE(eventually([&] { return task_status_field(child, child, "TracerPid") == std::to_string(d.pid()); }));
  EXPECT_EQ(cpus_of(child), pin);

  EXPECT_EQ(c.detach(engine), 0);
  EXPECT_TRUE(eventually([&] { return cpus_of(t->pid()) == own && cpus_of(child) == own; }))
      << "parent " << cpus_of(t->pid()) << ", child " << cpus_of(child);
  EXPECT_TRUE(eventually([&] { return released(*t); }));
  t->send("q");
  EXPECT_NE(t->wait_exit(), -1);
}

// A program started by the client (Client::launch) is pinned from its exec on, and gets its
// own mask back, the one it inherited from its caller, when let go.
TEST(Affinity, ALaunchedProgramGetsItsOwnMaskBack) {
  const auto cpus = allowed_cpus();
  if (cpus.size() < 2) GTEST_SKIP() << "needs two CPUs";
  const std::string ours = cpus_of(::getpid());  // the program inherits it
  const std::string pin = std::to_string(cpus[1]);
  TestDaemon d({"--cpu", pin});
  Client c = connect(d);
  client::LaunchOptions o;
  o.argv = {family_path(), "sleep"};
  o.events = mask({EventKind::Exit});
  auto l = c.launch(o);
  EXPECT_EQ(cpus_of(l.pid), pin);
  EXPECT_EQ(c.detach(l.engine), 0);
  EXPECT_TRUE(eventually([&] { return cpus_of(l.pid) == ours; })) << cpus_of(l.pid);
  ::kill(l.pid, SIGKILL);
  ::waitpid(l.pid, nullptr, 0);
}

TEST(Affinity, WithoutTheFlagNothingIsPinned) {
  TestDaemon d;
  auto t = Tracee::family("sleep");
  const std::string before = cpus_of(t->pid());
  Client c = connect(d);
  client::AttachOptions o;
  o.tid = t->pid();
  o.events = mask({EventKind::Exit});
  c.attach(o);
  EXPECT_EQ(cpus_of(t->pid()), before);
  EXPECT_EQ(cpus_of(d.pid()), cpus_of(::getpid()));
}

TEST(Affinity, ACpuTheDaemonMayNotUseIsRefusedAtStartUp) {
  try {
    TestDaemon d({"--cpu", std::to_string(CPU_SETSIZE - 1)});
    ADD_FAILURE() << "utraced started with --cpu " << CPU_SETSIZE - 1;
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("--cpu: CPU 1023 is not one this daemon may run on"),
              std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace utrace::test
