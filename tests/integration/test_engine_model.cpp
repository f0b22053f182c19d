// The utrace engine model across several clients (utrace-semantics.md section 16): report
// order, exclusive attach and lookup, per-engine stop holds, control from a running thread,
// detach, client disconnect, examining a held thread, single-stepping.
// Numbers in the test comments are the scenario numbers of section 16.
#include <signal.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "test_engine_common.hpp"
#include "utrace/proto/base64.hpp"

namespace utrace::test {
namespace {

// 1. A then B on a tid, both with syscall entry and exit: entry order B,A; exit order A,B.
TEST(EngineModel, EntryReportsInReverseAttachOrderExitInAttachOrder) {
  TestDaemon d;
  Tracee t("on-input");
  Client a = connect(d), b = connect(d);
  auto both = mask({EventKind::SyscallEntry, EventKind::SyscallExit});
  auto ea = a.attach(attach_opts(t.pid(), both, client::Mode::Sync)).engine;
  auto eb = b.attach(attach_opts(t.pid(), both, client::Mode::Sync)).engine;
  // Sync reports: the daemon asks the next engine only after the previous one answered, so
  // the order the handlers run in is the daemon's order.
  std::vector<std::string> order;
  auto recorder = [&](const char* who) {
    return [&order, who](const ReportMessage& m) {
      if (is_getppid(m))
        order.push_back(std::string(who) + (m.report.event == EventKind::SyscallEntry ? ":entry" : ":exit"));
      return ResumeAction::Resume;
    };
  };
  a.on_report(ea, recorder("A"));
  b.on_report(eb, recorder("B"));
  t.send("g");
  ASSERT_TRUE(pump({&a, &b}, [&] { return order.size() == 4; }));
  EXPECT_EQ(order, (std::vector<std::string>{"B:entry", "A:entry", "A:exit", "B:exit"}));
  a.close();
  b.close();
  EXPECT_TRUE(eventually([&] { return released(t); }));
}

// 2. Exclusive attach: same client, same type, match type -> EEXIST; another client's
// exclusive attach with no match flags -> EEXIST (any engine matches); a different type with
// match type is not a clash.
TEST(EngineModel, ExclusiveAttachClashesAcrossClients) {
  TestDaemon d;
  Tracee t("sleep");
  Client x = connect(d), y = connect(d);
  json p = {{"tid", t.pid()}, {"type", "logger"}, {"exclusive", true}, {"match", {"type"}}};
  auto first = x.request("attach", p);
  ASSERT_TRUE(first.ok());
  auto second = x.request("attach", p);
  EXPECT_EQ(code_of(second), EEXIST);
  EXPECT_EQ(errno_of(second), "EEXIST");
  auto y_any = y.request("attach", {{"tid", t.pid()}, {"exclusive", true}});
  EXPECT_EQ(code_of(y_any), EEXIST);
  auto y_same_type = y.request("attach", p);
  EXPECT_EQ(code_of(y_same_type), EEXIST) << "exclusivity looks at every client's engines";
  auto y_other = y.request("attach", {{"tid", t.pid()}, {"type", "counter"}, {"exclusive", true},
                                      {"match", {"type"}}});
  EXPECT_TRUE(y_other.ok());
  EXPECT_EQ(x.list().size(), 1u);
  EXPECT_EQ(y.list().size(), 1u);
  x.close();
  y.close();
  EXPECT_TRUE(eventually([&] { return released(t); }));
}

// 3. Lookup: ENOENT with no engine; after attach it returns the same engine, created false.
// Another client's lookup does not see it (the daemon's per-client rule).
TEST(EngineModel, LookupFindsTheSameEngine) {
  TestDaemon d;
  Tracee t("sleep");
  Client x = connect(d), y = connect(d);
  json look = {{"tid", t.pid()}, {"create", false}};
  auto none = x.request("attach", look);
  EXPECT_EQ(code_of(none), ENOENT);
  EXPECT_EQ(errno_of(none), "ENOENT");
  auto made = x.request("attach", {{"tid", t.pid()}, {"type", "t1"}, {"events", {"exit"}}});
  ASSERT_TRUE(made.ok());
  EXPECT_EQ(made.result.at("created"), true);
  auto found = x.request("attach", look);
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(found.result.at("engine"), made.result.at("engine"));
  EXPECT_EQ(found.result.at("created"), false);
  auto by_type = x.request("attach", {{"tid", t.pid()}, {"create", false}, {"type", "t1"}, {"match", {"type"}}});
  ASSERT_TRUE(by_type.ok());
  EXPECT_EQ(by_type.result.at("engine"), made.result.at("engine"));
  EXPECT_EQ(code_of(x.request("attach", {{"tid", t.pid()}, {"create", false}, {"type", "t2"}, {"match", {"type"}}})),
            ENOENT);
  EXPECT_EQ(code_of(y.request("attach", look)), ENOENT);
  EXPECT_EQ(x.list().size(), 1u) << "a lookup creates nothing";
  x.close();
  y.close();
  EXPECT_TRUE(eventually([&] { return released(t); }));
}

// 5. A (asked first at entry) answers stop, B answers resume: the thread stays stopped, and
// B's report carried action stop.
TEST(EngineModel, StopFromOneEngineBeatsResumeFromAnother) {
  TestDaemon d;
  Tracee t("on-input");
  Client a = connect(d), b = connect(d);
  auto entry = mask({EventKind::SyscallEntry});
  // Entry reports go in reverse attach order: attach B first so that A is asked first.
  auto eb = b.attach(attach_opts(t.pid(), entry, client::Mode::Sync)).engine;
  auto ea = a.attach(attach_opts(t.pid(), entry, client::Mode::Sync)).engine;
  bool a_seen = false;
  std::optional<ResumeAction> b_saw;
  a.on_report(ea, [&](const ReportMessage& m) {
    if (!is_getppid(m)) return ResumeAction::Resume;
    a_seen = true;
    EXPECT_FALSE(b_saw) << "B was asked before A";
    return ResumeAction::Stop;
  });
  b.on_report(eb, [&](const ReportMessage& m) {
    if (is_getppid(m)) b_saw = m.report.action;
    return ResumeAction::Resume;
  });
  t.send("g");
  ASSERT_TRUE(pump({&a, &b}, [&] { return a_seen && b_saw; }));
  EXPECT_EQ(*b_saw, ResumeAction::Stop);
  EXPECT_TRUE(eventually([&] { return t.state() == 't'; }));
  pump_for({&a, &b}, 300ms);
  EXPECT_EQ(t.state(), 't');
  EXPECT_TRUE(a.list().at(0).held);
  EXPECT_FALSE(b.list().at(0).held);
  EXPECT_EQ(a.control(ea, ResumeAction::Resume), 0);
  EXPECT_TRUE(pump({&a, &b}, [&] { return t.state() == 'S'; }));
  a.close();
  b.close();
  EXPECT_TRUE(eventually([&] { return released(t); }));
}

// 6. A and B both hold: A's resume leaves it stopped; B's resume lets it run at once.
TEST(EngineModel, ThreadRunsOnlyWhenEveryHoldIsReleased) {
  TestDaemon d;
  Tracee t("spin");
  Client a = connect(d), b = connect(d);
  auto ea = a.attach(attach_opts(t.pid(), {})).engine;
  auto eb = b.attach(attach_opts(t.pid(), {})).engine;
  hold_silently(a, ea);
  EXPECT_EQ(b.control(eb, ResumeAction::Stop), 0) << "the thread is already stopped";
  EXPECT_EQ(t.state(), 't');
  const long ticks_held = cpu_ticks(t.pid());
  EXPECT_EQ(a.control(ea, ResumeAction::Resume), 0);
  // control's {} means its effect is complete (PROTOCOL.md), and B's list is answered after
  // it: had A's resume released the thread, it would be restarted by now.
  EXPECT_TRUE(b.list().at(0).held);
  EXPECT_EQ(t.state(), 't') << "B's hold was released by A";
  EXPECT_EQ(cpu_ticks(t.pid()), ticks_held) << "the spinning thread ran while B held it";
  EXPECT_EQ(b.control(eb, ResumeAction::Resume), 0);
  // How soon it runs (the scenario's 10 ms) is for bench/; here: it runs, and makes progress.
  EXPECT_TRUE(eventually([&] { return t.state() == 'R'; }, 10s)) << "state " << t.state();
  EXPECT_TRUE(eventually([&] { return cpu_ticks(t.pid()) > ticks_held; }, 10s));
  a.close();
  b.close();
  EXPECT_TRUE(eventually([&] { return released(t); }));
}

// 7 and 8. A busy thread, engine with quiesce: control stop -> EINPROGRESS and a quiesce
// report; answering stop keeps it stopped (control stop then says 0); answering resume lets
// it run with no hold left.
TEST(EngineModel, StopOnRunningThreadReportsQuiesce) {
  TestDaemon d;
  Tracee t("spin");
  Client a = connect(d);
  auto ea = a.attach(attach_opts(t.pid(), mask({EventKind::Quiesce}), client::Mode::Sync)).engine;
  std::vector<ReportMessage> seen;
  ResumeAction answer = ResumeAction::Resume;
  a.on_report(ea, [&](const ReportMessage& m) {
    seen.push_back(m);
    return answer;
  });

  // 8: the quiesce report is answered resume.
  EXPECT_EQ(a.control(ea, ResumeAction::Stop), EINPROGRESS);
  ASSERT_TRUE(a.run_until([&] { return seen.size() == 1; }, 5s));
  EXPECT_EQ(seen[0].report.event, EventKind::Quiesce);
  EXPECT_FALSE(seen[0].report.for_event) << "a report requested by control is a plain quiesce";
  EXPECT_EQ(a.barrier(ea), 0);
  EXPECT_TRUE(eventually([&] { return t.state() == 'R'; }));
  a.run_for(200ms);
  EXPECT_EQ(t.state(), 'R');
  EXPECT_FALSE(a.list().at(0).held);
  EXPECT_EQ(seen.size(), 1u);

  // 7: answered stop this time; no hold was left over, so it is EINPROGRESS again.
  answer = ResumeAction::Stop;
  EXPECT_EQ(a.control(ea, ResumeAction::Stop), EINPROGRESS);
  ASSERT_TRUE(a.run_until([&] { return seen.size() == 2; }, 5s));
  EXPECT_EQ(seen[1].report.event, EventKind::Quiesce);
  EXPECT_EQ(a.control(ea, ResumeAction::Stop), 0);
  EXPECT_TRUE(eventually([&] { return t.state() == 't'; }));
  a.run_for(200ms);
  EXPECT_EQ(t.state(), 't');
  EXPECT_TRUE(a.list().at(0).held);
  EXPECT_EQ(a.detach(ea), 0);
  EXPECT_TRUE(eventually([&] { return released(t); }));
  EXPECT_EQ(seen.size(), 2u);
}

// 9. Engine without quiesce: control stop -> EINPROGRESS, the thread stops with no report and
// stays stopped until control resume.
TEST(EngineModel, StopWithoutQuiesceHoldsSilently) {
  TestDaemon d;
  Tracee t("spin");
  Client a = connect(d);
  auto ea = a.attach(attach_opts(t.pid(), {}, client::Mode::Sync)).engine;
  int reports = 0;
  a.on_report(ea, [&](const ReportMessage&) {
    ++reports;
    return ResumeAction::Resume;
  });
  EXPECT_EQ(a.control(ea, ResumeAction::Stop), EINPROGRESS);
  auto w = wait_engine(a, ea);
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(w.result.value("reason", ""), "stopped");
  EXPECT_EQ(t.state(), 't');
  a.run_for(300ms);
  EXPECT_EQ(t.state(), 't');
  EXPECT_EQ(a.control(ea, ResumeAction::Stop), 0);
  EXPECT_EQ(reports, 0);
  EXPECT_EQ(a.control(ea, ResumeAction::Resume), 0);
  EXPECT_TRUE(eventually([&] { return t.state() == 'R'; }));
  EXPECT_EQ(code_of(wait_engine(a, ea, 200)), ETIMEDOUT) << "no hold after resume";
  EXPECT_EQ(reports, 0);
  EXPECT_EQ(a.detach(ea), 0);
  EXPECT_TRUE(eventually([&] { return released(t); }));
}

// 10. report/interrupt/singlestep/blockstep without quiesce -> EINVAL; a bad action -> -32602
// (the wire has action names, not numbers). With quiesce the same control is accepted.
TEST(EngineModel, ActionsNeedingQuiesceAreRejected) {
  TestDaemon d;
  Tracee t("spin");
  Client a = connect(d);
  auto ea = a.attach(attach_opts(t.pid(), mask({EventKind::Exit}))).engine;
  for (auto act : {ResumeAction::Report, ResumeAction::Interrupt, ResumeAction::SingleStep,
                   ResumeAction::BlockStep})
    EXPECT_EQ(a.control(ea, act), EINVAL) << proto::to_string(act);
  for (json bad : {json(7), json(0), json("pause"), json("STOP")}) {
    auto r = a.request("control", {{"engine", ea}, {"action", bad}});
    EXPECT_EQ(code_of(r), -32602) << bad.dump();
    if (r.error) {
      EXPECT_EQ(r.error->data.value("parameter", ""), "action");
    }
  }
  a.run_for(100ms);
  EXPECT_EQ(t.state(), 'R') << "a rejected control changed nothing";
  EXPECT_FALSE(a.list().at(0).held);
  auto eq = a.attach(attach_opts(t.pid(), mask({EventKind::Quiesce}))).engine;
  EXPECT_EQ(a.control(eq, ResumeAction::Report), 0);
  a.close();
  EXPECT_TRUE(eventually([&] { return released(t); }));
}

// 12. Thread stopped only by A: detach -> 0, the thread runs, A gets nothing more (B, still
// attached, does).
TEST(EngineModel, DetachReleasesAndEndsReports) {
  TestDaemon d;
  Tracee t("on-input");
  Client a = connect(d), b = connect(d);
  auto entry = mask({EventKind::SyscallEntry});
  auto ea = a.attach(attach_opts(t.pid(), entry, client::Mode::Sync)).engine;
  auto eb = b.attach(attach_opts(t.pid(), entry)).engine;
  int a_reports = 0, b_getppid = 0;
  bool held = false;
  a.on_report(ea, [&](const ReportMessage& m) {
    ++a_reports;
    if (is_getppid(m)) held = true;
    return is_getppid(m) ? ResumeAction::Stop : ResumeAction::Resume;
  });
  b.on_event(eb, [&](const ReportMessage& m) { b_getppid += is_getppid(m); });
  t.send("g");
  ASSERT_TRUE(pump({&a, &b}, [&] { return held && b_getppid == 1; }));
  EXPECT_TRUE(eventually([&] { return t.state() == 't'; }));
  const int before = a_reports;
  EXPECT_EQ(a.detach(ea), 0);
  EXPECT_TRUE(pump({&a, &b}, [&] { return t.state() == 'S'; })) << "detach did not release";
  EXPECT_EQ(t.tracer(), d.pid()) << "B still traces it";
  t.send("g");
  EXPECT_TRUE(pump({&a, &b}, [&] { return b_getppid == 2; }));
  pump_for({&a, &b}, 200ms);
  EXPECT_EQ(a_reports, before) << "A got a report after its detach";
  EXPECT_EQ(a.control(ea, ResumeAction::Stop), ESRCH);
  b.close();
  EXPECT_TRUE(eventually([&] { return released(t); }));
}

// 14. A's report answered detach: barrier(A) -> ESRCH at once, control(A) -> ESRCH, B goes on.
TEST(EngineModel, DetachReplyEndsTheEngine) {
  TestDaemon d;
  Tracee t("on-input");
  Client a = connect(d), b = connect(d);
  auto entry = mask({EventKind::SyscallEntry});
  auto ea = a.attach(attach_opts(t.pid(), entry, client::Mode::Sync)).engine;
  auto eb = b.attach(attach_opts(t.pid(), entry, client::Mode::Sync)).engine;
  int a_reports = 0, a_getppid = 0, b_getppid = 0;
  a.on_report(ea, [&](const ReportMessage& m) {
    ++a_reports;
    a_getppid += is_getppid(m);
    return is_getppid(m) ? ResumeAction::Detach : ResumeAction::Resume;
  });
  b.on_report(eb, [&](const ReportMessage& m) {
    b_getppid += is_getppid(m);
    return ResumeAction::Resume;
  });
  t.send("g");
  // Entry order is B then A; A's answer detaches it.
  ASSERT_TRUE(pump({&a, &b}, [&] { return b_getppid == 1 && a_getppid == 1; }));
  ASSERT_TRUE(a.list().empty());
  // "At once" without a clock: with timeout_ms 0 a barrier that had to wait would fail with
  // ETIMEDOUT straight away; the engine is gone, so it says ESRCH without waiting.
  EXPECT_EQ(code_of(a.request("barrier", {{"engine", ea}, {"timeout_ms", 0}})), ESRCH);
  EXPECT_EQ(a.barrier(ea, 2000ms), ESRCH);
  EXPECT_EQ(a.control(ea, ResumeAction::Stop), ESRCH);
  EXPECT_EQ(a.set_events(ea, {}), ESRCH);
  const int before = a_reports;
  t.send("g");
  EXPECT_TRUE(pump({&a, &b}, [&] { return b_getppid == 2; }));
  pump_for({&a, &b}, 100ms);
  EXPECT_EQ(a_reports, before);
  EXPECT_TRUE(pump({&a, &b}, [&] { return t.state() == 'S'; }));
  b.close();
  EXPECT_TRUE(eventually([&] { return released(t); }));
}

}  // namespace
}  // namespace utrace::test
