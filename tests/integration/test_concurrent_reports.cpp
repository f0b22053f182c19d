// Concurrent sync engines ("concurrent": true, PROTOCOL.md "Concurrent sync engines"): asked
// together when a pass starts, their replies applied in utrace's report order all the same.
// Reports are held back with RawClient (AsyncClient::on_report_deferred) and answered in an
// order each test chooses.
#include <unistd.h>

#include <cerrno>
#include <optional>

#include "raw_client.hpp"

namespace utrace::test {
namespace {

EngineId attach_concurrent(RawClient& c, pid_t tid, std::vector<std::string> events,
                           int report_timeout_ms = 0) {
  json p = attach_params(tid, std::move(events), "sync");
  p["concurrent"] = true;
  if (report_timeout_ms) p["report_timeout_ms"] = report_timeout_ms;
  return c.attach(p);
}

EngineId attach_sync(RawClient& c, pid_t tid, std::vector<std::string> events) {
  return c.attach(attach_params(tid, std::move(events), "sync"));
}

ReportReply stop_reply() {
  ReportReply r;
  r.action = ResumeAction::Stop;
  return r;
}

ReportReply abort_choice(bool abort) {
  ReportReply r;
  r.abort = abort;
  return r;
}

// A then B attached, both concurrent; syscall entries go B, A. Both are asked before either
// answers. A answers first, B last: A's choice still wins, because A comes last in report
// order (sequentially applied in arrival order, B's would).
TEST(ConcurrentReports, AskedTogetherAndAppliedInReportOrder) {
  TestDaemon d;
  Tracee t("on-input");
  RawClient a(d), b(d);
  const EngineId ea = attach_concurrent(a, t.pid(), {"syscall_entry", "syscall_exit"});
  const EngineId eb = attach_concurrent(b, t.pid(), {"syscall_entry"});
  a.keep_getppid(ea);
  b.keep_getppid(eb);
  for (bool a_aborts : {true, false}) {
    SCOPED_TRACE(a_aborts ? "A aborts, B runs" : "A runs, B aborts");
    a.kept.clear();
    b.kept.clear();
    t.send("g");
    ASSERT_TRUE(run_all({&a, &b}, [&] { return a.kept.size() == 1 && b.kept.size() == 1; }))
        << "both engines must be asked before either answers";
    EXPECT_EQ(a.kept[0].report.event, EventKind::SyscallEntry);
    EXPECT_EQ(b.kept[0].report.event, EventKind::SyscallEntry);
    EXPECT_EQ(a.kept[0].report.action, ResumeAction::Resume);
    a.c.reply(a.kept[0], abort_choice(a_aborts));
    run_all_for({&a, &b}, 100ms);
    EXPECT_EQ(a.kept.size(), 1u) << "the pass went on before B answered";
    EXPECT_EQ(t.state(), 't');
    b.c.reply(b.kept[0], abort_choice(!a_aborts));
    ASSERT_TRUE(run_all({&a, &b}, [&] { return a.kept.size() == 2; }));
    ASSERT_EQ(a.kept[1].report.event, EventKind::SyscallExit);
    ASSERT_TRUE(a.kept[1].report.retval);
    EXPECT_EQ(*a.kept[1].report.retval, a_aborts ? -ENOSYS : ::getpid());
    a.c.reply(a.kept[1], ReportReply{});
  }
  EXPECT_TRUE(run_all({&a, &b}, [&] { return t.state() == 'S'; }));
  a.c.close();
  b.c.close();
  EXPECT_TRUE(eventually([&] { return released(t); }));
}

// Syscall exits go in attach order: S (sync), C (concurrent), L (sync). C is asked with S, at
// the pass start, and sees "resume"; L waits for its turn and sees the stops before it. C's
// stop takes hold when C answers: C's barrier returns at once, and C's control resume, sent
// before S answers, is not undone when C's turn comes.
TEST(ConcurrentReports, MixedWithSequentialEngines) {
  TestDaemon d;
  Tracee t("on-input");
  RawClient s(d), c(d), l(d);
  const EngineId es = attach_sync(s, t.pid(), {"syscall_exit"});
  const EngineId ec = attach_concurrent(c, t.pid(), {"syscall_exit"});
  const EngineId el = attach_sync(l, t.pid(), {"syscall_exit"});
  s.keep_getppid(es);
  c.keep_getppid(ec);
  l.keep_getppid(el);
  t.send("g");
  ASSERT_TRUE(run_all({&s, &c, &l}, [&] { return s.kept.size() == 1 && c.kept.size() == 1; }));
  EXPECT_EQ(c.kept[0].report.action, ResumeAction::Resume);
  c.c.reply(c.kept[0], stop_reply());
  EXPECT_TRUE(c.call("barrier", {{"engine", ec}, {"timeout_ms", 5000}}).ok());
  auto listed = c.call("list", json::object());
  EXPECT_EQ(listed.result.at("engines").at(0).at("held"), true) << "C's stop took hold";
  EXPECT_TRUE(c.call("control", {{"engine", ec}, {"action", "resume"}}).ok());
  run_all_for({&s, &c, &l}, 200ms);
  EXPECT_TRUE(l.kept.empty()) << "L was asked before S answered";
  s.c.reply(s.kept[0], stop_reply());
  ASSERT_TRUE(run_all({&s, &c, &l}, [&] { return l.kept.size() == 1; }));
  EXPECT_EQ(l.kept[0].report.action, ResumeAction::Stop) << "L sees the stops before it";
  l.c.reply(l.kept[0], ReportReply{});
  run_all_for({&s, &c, &l}, 100ms);
  EXPECT_EQ(t.state(), 't') << "S holds it";
  listed = c.call("list", json::object());
  EXPECT_EQ(listed.result.at("engines").at(0).at("held"), false) << "C's resume was undone";
  EXPECT_TRUE(s.call("control", {{"engine", es}, {"action", "resume"}}).ok());
  EXPECT_TRUE(run_all({&s, &c, &l}, [&] { return t.state() == 'S'; }));
  s.c.close();
  c.c.close();
  l.c.close();
  EXPECT_TRUE(eventually([&] { return released(t); }));
}

// Entry order B, A. A answers abort before its turn; then B's client goes away without
// answering. The pass does not wait for B and applies A's kept reply.
TEST(ConcurrentReports, ClosedConnectionBeforeItsTurnDoesNotHoldUpThePass) {
  TestDaemon d;
  Tracee t("on-input");
  RawClient a(d);
  auto b = std::make_unique<RawClient>(d);
  const EngineId ea = attach_concurrent(a, t.pid(), {"syscall_entry", "syscall_exit"});
  const EngineId eb = attach_concurrent(*b, t.pid(), {"syscall_entry"});
  a.keep_getppid(ea);
  b->keep_getppid(eb);
  t.send("g");
  ASSERT_TRUE(run_all({&a, b.get()}, [&] { return a.kept.size() == 1 && b->kept.size() == 1; }));
  a.c.reply(a.kept[0], abort_choice(true));
  run_all_for({&a, b.get()}, 100ms);
  EXPECT_EQ(a.kept.size(), 1u);
  b->c.close();
  b.reset();
  ASSERT_TRUE(a.run_until([&] { return a.kept.size() == 2; }));
  ASSERT_TRUE(a.kept[1].report.retval);
  EXPECT_EQ(*a.kept[1].report.retval, -ENOSYS) << "A's kept reply was applied";
  a.c.reply(a.kept[1], ReportReply{});
  EXPECT_TRUE(a.run_until([&] { return t.state() == 'S'; }));
  a.c.close();
  EXPECT_TRUE(eventually([&] { return released(t); }));
}

// Entry order B, A. B (asked first) never answers and has a 600 ms deadline; A answers abort
// at once. At B's deadline its default (resume, no abort choice) is applied, then A's abort.
TEST(ConcurrentReports, DeadlineOfAnEarlierEngineThenTheKeptReply) {
  TestDaemon d;
  Tracee t("on-input");
  RawClient a(d), b(d);
  const EngineId ea = attach_concurrent(a, t.pid(), {"syscall_entry", "syscall_exit"});
  const EngineId eb = attach_concurrent(b, t.pid(), {"syscall_entry"}, 600);
  a.keep_getppid(ea);
  b.keep_getppid(eb);
  t.send("g");
  ASSERT_TRUE(run_all({&a, &b}, [&] { return a.kept.size() == 1 && b.kept.size() == 1; }));
  const auto asked = std::chrono::steady_clock::now();
  a.c.reply(a.kept[0], abort_choice(true));
  ASSERT_TRUE(run_all({&a, &b}, [&] { return a.kept.size() == 2; }));
  EXPECT_GE(std::chrono::steady_clock::now() - asked, 400ms) << "B's deadline was not waited for";
  ASSERT_TRUE(a.kept[1].report.retval);
  EXPECT_EQ(*a.kept[1].report.retval, -ENOSYS);
  b.c.reply(b.kept[0], stop_reply());  // late: ignored
  a.c.reply(a.kept[1], ReportReply{});
  EXPECT_TRUE(run_all({&a, &b}, [&] { return t.state() == 'S'; }));
  run_all_for({&a, &b}, 100ms);
  EXPECT_EQ(t.state(), 'S') << "B's late stop was applied";
  a.c.close();
  b.c.close();
  EXPECT_TRUE(eventually([&] { return released(t); }));
}

// "concurrent" is for sync engines; the library passes it and list reports it.
TEST(ConcurrentReports, ParametersAndList) {
  TestDaemon d;
  Tracee t("on-input");
  RawClient r(d);
  auto bad = r.call("attach", {{"tid", t.pid()}, {"events", {"exit"}}, {"concurrent", true}});
  EXPECT_EQ(code_of(bad), -32602);
  ASSERT_TRUE(bad.error);
  EXPECT_EQ(bad.error->data.value("parameter", ""), "concurrent") << bad.error->message;
  bad = r.call("attach", {{"tid", t.pid()}, {"mode", "sync"}, {"concurrent", "yes"}});
  EXPECT_EQ(code_of(bad), -32602);
  ASSERT_TRUE(bad.error);
  EXPECT_EQ(bad.error->data.value("parameter", ""), "concurrent") << bad.error->message;
  r.c.close();

  Client c = connect(d);
  auto o = attach_opts(t.pid(), mask({EventKind::Exit}), client::Mode::Sync);
  o.concurrent = true;
  c.attach(o);
  o.concurrent = false;
  c.attach(o);
  auto engines = c.list();
  ASSERT_EQ(engines.size(), 2u);
  EXPECT_TRUE(engines[0].concurrent);
  EXPECT_FALSE(engines[1].concurrent);
  c.close();
  EXPECT_TRUE(eventually([&] { return released(t); }));
}

}  // namespace
}  // namespace utrace::test
