// utrace-semantics.md section 16, scenarios 20-23, 40 and 41: clone children held for the
// parent's report pass, untraced children, vfork, exec by a non-leader thread, process-scope
// attach during thread creation, and the exit-hold policy when a sibling execs.
#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <set>
#include <sstream>

#include "test_engine_common.hpp"

namespace utrace::test {
namespace {

// "word N ..." -> N (the first number after the word), or -1.
int number_after(const std::string& line, const std::string& word) {
  std::istringstream in(line);
  std::string w;
  int n = -1;
  if (in >> w && w == word) in >> n;
  return n;
}

// The "tids LEADER A B" line of `family exec-thread`.
struct ExecThreadTids {
  pid_t leader = 0, a = 0, b = 0;
};
ExecThreadTids read_tids(Tracee& t) {
  std::istringstream in(t.read_line());
  std::string word;
  ExecThreadTids ids;
  in >> word >> ids.leader >> ids.a >> ids.b;
  if (word != "tids") ids = {};
  return ids;
}

bool proc_gone_or_zombie(pid_t pid) {
  auto s = status_file_field("/proc/" + std::to_string(pid) + "/status", "State");
  return s.empty() || s[0] == 'Z' || s[0] == 'X';
}

// 20. A returns STOP from report_clone and attaches C to the child with STOP: the counter the
// child increments first thing stays 0 while C holds it; releasing C lets the child run.
TEST(Family, CloneChildHeldBeforeItsFirstInstruction) {
  TestDaemon d;
  auto t = Tracee::family("fork-counter");
  Client a = connect(d), c = connect(d);
  auto ea = a.attach(attach_opts(t->pid(), mask({EventKind::Clone}), client::Mode::Sync)).engine;
  EngineId ec = 0;
  pid_t child = 0;
  std::string clone_kind;
  a.on_report(ea, [&](const ReportMessage& m) {
    if (m.report.event != EventKind::Clone) return ResumeAction::Resume;
    child = *m.report.child;
    clone_kind = m.report.clone.value_or("");
    ec = c.attach(attach_opts(child, mask({}))).engine;
    int rc = c.control(ec, ResumeAction::Stop);
    EXPECT_TRUE(rc == 0 || rc == EINPROGRESS) << rc;
    return ResumeAction::Stop;
  });
  t->send("f");
  ASSERT_TRUE(pump({&a, &c}, [&] { return ec != 0; }));
  EXPECT_EQ(clone_kind, "fork");
  // A holds the parent: it cannot print "forked" yet.
  EXPECT_TRUE(eventually([&] { return t->state() == 't'; }));
  EXPECT_EQ(t->read_line(100ms), "");
  EXPECT_EQ(a.control(ea, ResumeAction::Resume), 0);
  EXPECT_EQ(number_after(t->read_line(), "forked"), child);
  t->send("c");
  EXPECT_EQ(t->read_line(), "counter 0");
  EXPECT_EQ(task_state(child, child), 't');
  pump_for({&a, &c}, 100ms);
  t->send("c");
  EXPECT_EQ(t->read_line(), "counter 0") << "the held child ran";
  EXPECT_EQ(c.control(ec, ResumeAction::Resume), 0);
  EXPECT_TRUE(eventually([&] {
    t->send("c");
    return t->read_line() == "counter 1";
  }));
  EXPECT_EQ(c.detach(ec), 0);
  EXPECT_TRUE(eventually([&] { return task_released(child, child); }));
}

// 21. A fork child no engine attaches to runs untraced (TracerPid 0), and its exit is not
// reported to any engine.
TEST(Family, UnwantedChildRunsUntraced) {
  TestDaemon d;
  auto t = Tracee::family("fork-counter");
  Client a = connect(d);
  auto events = mask({EventKind::Clone, EventKind::Exit, EventKind::Death, EventKind::Reap});
  auto ea = a.attach(attach_opts(t->pid(), events)).engine;
  std::vector<proto::Report> seen;
  a.on_event(ea, [&](const ReportMessage& m) { seen.push_back(m.report); });
  t->send("f");
  pid_t child = number_after(t->read_line(), "forked");
  ASSERT_GT(child, 0);
  pump({&a}, [&] { return !seen.empty(); });
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].event, EventKind::Clone);
  EXPECT_EQ(seen[0].child, child);
  EXPECT_TRUE(eventually([&] { return task_released(child, child); }));
  t->send("c");
  EXPECT_EQ(t->read_line(), "counter 1");
  ::kill(child, SIGKILL);
  EXPECT_TRUE(eventually([&] { return proc_gone_or_zombie(child); }));
  pump_for({&a}, 200ms);
  for (auto& r : seen) EXPECT_NE(r.tid, child) << "an event about the untraced child";
}

// 22. vfork with STOP in report_clone: the parent is held before the vfork wait while the
// child execs /bin/true; the parent returns from vfork only after the release.
TEST(Family, VforkParentHeldBeforeTheVforkWait) {
  TestDaemon d;
  auto t = Tracee::family("vfork-exec");
  Client a = connect(d);
  auto ea = a.attach(attach_opts(t->pid(), mask({EventKind::Clone}), client::Mode::Sync)).engine;
  pid_t child = 0;
  std::string kind;
  a.on_report(ea, [&](const ReportMessage& m) {
    if (m.report.event == EventKind::Clone) {
      child = *m.report.child;
      kind = m.report.clone.value_or("");
      return ResumeAction::Stop;
    }
    return ResumeAction::Resume;
  });
  t->send("v");
  ASSERT_TRUE(pump({&a}, [&] { return child != 0; }));
  EXPECT_EQ(kind, "vfork");
  // The untraced child runs /bin/true and exits; the parent stays held.
  EXPECT_TRUE(eventually([&] { return proc_gone_or_zombie(child); }));
  EXPECT_EQ(t->state(), 't');
  EXPECT_EQ(t->read_line(100ms), "");
  EXPECT_EQ(a.control(ea, ResumeAction::Resume), 0);
  EXPECT_EQ(number_after(t->read_line(), "vforked"), child);
  EXPECT_EQ(t->read_line(), "reaped " + std::to_string(child) + " 0");
}

// 23. Three threads; non-leader A execs: A's engine gets EXEC with tid == pid (former_tid A),
// the old leader's engine gets DEATH and REAP, B's engine EXIT, DEATH and REAP; afterwards no
// engine answers to A's tid.
TEST(Family, ExecByANonLeaderThreadMovesItsEngines) {
  TestDaemon d;
  auto t = Tracee::family("exec-thread");
  const auto [leader, ta, tb] = read_tids(*t);
  ASSERT_GT(tb, 0);
  Client c = connect(d);
  auto all = mask({EventKind::Exec, EventKind::Exit, EventKind::Death, EventKind::Reap});
  auto el = c.attach(attach_opts(leader, all)).engine;
  auto ea = c.attach(attach_opts(ta, all)).engine;
  auto eb = c.attach(attach_opts(tb, all)).engine;
  std::map<EngineId, std::vector<std::string>> seen;
  std::optional<proto::Report> exec_report;
  c.on_event([&](const ReportMessage& m) {
    seen[m.report.engine].push_back(std::string(proto::to_string(m.report.event)));
    if (m.report.event == EventKind::Exec) exec_report = m.report;
  });
  t->send("x");
  ASSERT_TRUE(pump({&c}, [&] {
    return exec_report && seen[el].size() >= 2 && seen[eb].size() >= 3;
  }));
  pump_for({&c}, 100ms);
  EXPECT_EQ(exec_report->engine, ea);
  EXPECT_EQ(exec_report->tid, leader);
  EXPECT_EQ(exec_report->pid, leader);
  EXPECT_EQ(seen[ea], std::vector<std::string>{"exec"});  // the exec'ing thread does not exit
  EXPECT_EQ(seen[el], (std::vector<std::string>{"exit", "death", "reap"}));
  EXPECT_EQ(seen[eb], (std::vector<std::string>{"exit", "death", "reap"}));
  // A's engine answers to the leader's tid now, and to nothing else.
  EXPECT_EQ(c.control(ea, ResumeAction::Stop, ta), ESRCH);
  EXPECT_EQ(c.control(el, ResumeAction::Stop), ESRCH);
  int rc = c.control(ea, ResumeAction::Stop);
  EXPECT_TRUE(rc == 0 || rc == EINPROGRESS) << rc;
  EXPECT_TRUE(eventually([&] { return t->state() == 't'; }));
  EXPECT_EQ(task_ids(leader), std::vector<pid_t>{leader});
  EXPECT_EQ(c.detach(ea), 0);
  EXPECT_TRUE(eventually([&] { return released(*t); }));
}

// Only the leader is traced, and an untraced thread execs: the leader vanishes inside the exec
// (the exec'ing thread takes its tid, untraced) and the kernel reports no death for it. Its
// engine still gets exit, death and reap once each; afterwards the engine is gone (ESRCH) and
// a new attach to the tid reaches the new image (no record of the old leader is left).
TEST(Family, LeaderVanishingInAnUntracedThreadsExecStillDies) {
  TestDaemon d;
  auto t = Tracee::family("exec-thread");
  const auto [leader, ta, tb] = read_tids(*t);
  ASSERT_GT(tb, 0);
  Client c = connect(d);
  auto all = mask({EventKind::Exit, EventKind::Death, EventKind::Reap});
  auto el = c.attach(attach_opts(leader, all)).engine;
  std::vector<std::string> seen;
  c.on_event([&](const ReportMessage& m) {
    if (m.report.engine == el) seen.push_back(std::string(proto::to_string(m.report.event)));
  });
  t->send("x");
  ASSERT_TRUE(pump({&c}, [&] { return seen.size() >= 3; }))
      << "events seen: " << seen.size();
  pump_for({&c}, 100ms);
  EXPECT_EQ(seen, (std::vector<std::string>{"exit", "death", "reap"}));
  EXPECT_EQ(c.control(el, ResumeAction::Stop), ESRCH);
  // The tid now names the exec'd program: a new engine traces it for real.
  auto again = c.attach(attach_opts(leader, mask({EventKind::Death}))).engine;
  int rc = c.control(again, ResumeAction::Stop);
  EXPECT_TRUE(rc == 0 || rc == EINPROGRESS) << rc;
  EXPECT_TRUE(eventually([&] { return t->state() == 't'; }));
  EXPECT_EQ(c.detach(again), 0);
  EXPECT_TRUE(eventually([&] { return released(*t); }));
}

// 40. Attach to a process while it creates 50 threads: every thread ends up with the engine.
TEST(Family, ProcessAttachDuringThreadCreationMissesNone) {
  TestDaemon d;
  auto t = Tracee::family("spawn", "50");
  Client c = connect(d);
  client::AttachOptions o;
  o.pid = t->pid();
  o.events = mask({EventKind::Clone});
  auto r = c.attach(o);
  EXPECT_GE(r.tids.size(), 1u);
  EXPECT_EQ(t->read_line(), "spawned 50");
  pump_for({&c}, 100ms);
  auto tids = task_ids(t->pid());
  ASSERT_EQ(tids.size(), 51u);
  auto list = c.call("list");
  std::set<pid_t> engine_tids;
  for (auto& e : list["engines"])
    if (e["engine"] == r.engine)
      for (auto& x : e["tids"]) engine_tids.insert(x.get<pid_t>());
  for (pid_t tid : tids) {
    EXPECT_EQ(task_status_field(t->pid(), tid, "TracerPid"), std::to_string(d.pid())) << tid;
    EXPECT_TRUE(engine_tids.count(tid)) << "thread " << tid << " escaped the engine";
  }
  EXPECT_EQ(c.detach(r.engine), 0);
  EXPECT_TRUE(eventually([&] {
    for (pid_t tid : tids)
      if (!task_released(t->pid(), tid)) return false;
    return true;
  }));
}

// 41. A holds the EVENT_EXIT stop of B while A' (another thread) execs: the exec completes, the
// hold is released with a notice, and the engine gets death and reap for B.
TEST(Family, ExitHoldDoesNotWedgeASiblingsExec) {
  TestDaemon d;
  auto t = Tracee::family("exec-thread");
  const auto [leader, ta, tb] = read_tids(*t);
  ASSERT_GT(tb, 0);
  Client c = connect(d);
  auto eb = c.attach(attach_opts(tb, mask({EventKind::Exit, EventKind::Death, EventKind::Reap}),
                                 client::Mode::Sync)).engine;
  std::vector<std::string> seen;
  std::vector<nlohmann::json> notices;
  c.on_report(eb, [&](const ReportMessage& m) {
    seen.push_back(std::string(proto::to_string(m.report.event)));
    return m.report.event == EventKind::Exit ? ResumeAction::Stop : ResumeAction::Resume;
  });
  c.on_event(eb, [&](const ReportMessage& m) {
    seen.push_back(std::string(proto::to_string(m.report.event)));
  });
  c.on_notice([&](const nlohmann::json& n) { notices.push_back(n); });
  t->send("x");
  ASSERT_TRUE(pump({&c}, [&] { return seen.size() >= 3; }, 5s))
      << "the exec stayed wedged behind the exit hold";
  EXPECT_EQ(seen, (std::vector<std::string>{"exit", "death", "reap"}));
  ASSERT_EQ(notices.size(), 1u);
  EXPECT_EQ(notices[0].value("reason", ""), "exec");
  EXPECT_EQ(notices[0].value("tid", 0), tb);
  EXPECT_TRUE(eventually([&] { return task_ids(leader).size() == 1; }));
}

}  // namespace
}  // namespace utrace::test
