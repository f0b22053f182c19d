// Engine model races with reports in flight (utrace-semantics.md section 16): detach while a
// report is in flight (13), set_events + barrier (15), barrier ordering (30), a hung client and
// the report deadline (31), attach during a pass (39).
//
// "In flight" is made deterministic in two ways: a Client's report handler makes the call itself
// before it answers (the daemon has seen the report sent, not answered), or an AsyncClient keeps
// the report (on_report_deferred) and answers it later.
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "raw_client.hpp"

namespace utrace::test {
namespace {

using Clock = std::chrono::steady_clock;
using client::AsyncClient;

// 13. A's reply to a report will say stop but comes 500 ms late; A detaches meanwhile ->
// EINPROGRESS; the reply is ignored, the thread is not left stopped (B still traces it), and
// barrier(A) -> ESRCH.
TEST(EngineRaces, DetachWhileReportInFlightIgnoresStopReply) {
  TestDaemon d;
  Tracee t("on-input");
  Client a = connect(d), b = connect(d);
  auto entry = mask({EventKind::SyscallEntry});
  auto eb = b.attach(attach_opts(t.pid(), entry)).engine;
  auto ea = a.attach(attach_opts(t.pid(), entry, client::Mode::Sync)).engine;
  std::optional<int> detach_rc;
  int a_getppid = 0, b_getppid = 0;
  a.on_report(ea, [&](const ReportMessage& m) {
    if (!is_getppid(m)) return ResumeAction::Resume;
    ++a_getppid;
    detach_rc = a.detach(ea);  // the report is in flight: its reply has not been sent
    // The reply comes late: only once the pass went on without it and the thread is back in
    // its read() (B, async, does not wait for anyone).
    EXPECT_TRUE(eventually([&] { return t.state() == 'S'; }, 10s))
        << "the pass waited for a detached engine's reply: state " << t.state();
    return ResumeAction::Stop;
  });
  b.on_event(eb, [&](const ReportMessage& m) { b_getppid += is_getppid(m); });
  t.send("g");
  ASSERT_TRUE(a.run_until([&] { return detach_rc.has_value(); }, 5s));
  EXPECT_EQ(*detach_rc, EINPROGRESS);
  EXPECT_EQ(a.barrier(ea, 1000ms), ESRCH);
  EXPECT_TRUE(a.list().empty());
  // Not stopped: it goes back to its read() while B still traces it.
  EXPECT_TRUE(pump({&a, &b}, [&] { return t.state() == 'S' && b_getppid == 1; }));
  // A's late stop reply was sent before this request on the same connection: the daemon
  // has read it (and ignored it) by the time the list is answered.
  EXPECT_TRUE(a.list().empty());
  EXPECT_EQ(t.state(), 'S');
  EXPECT_EQ(t.tracer(), d.pid());
  EXPECT_EQ(a.control(ea, ResumeAction::Resume), ESRCH);
  t.send("g");
  EXPECT_TRUE(pump({&a, &b}, [&] { return b_getppid == 2; }));
  EXPECT_EQ(a_getppid, 1);
  b.close();
  EXPECT_TRUE(eventually([&] { return released(t); }));
}

// 15. A report to A is in flight; set_events(A, none) -> EINPROGRESS; barrier times out while it
// is still in flight, returns 0 once answered; no syscall report reaches A afterwards.
TEST(EngineRaces, ClearEventsWhileReportInFlightThenBarrier) {
  TestDaemon d;
  Tracee t("on-input");
  Client a = connect(d);
  auto ea = a.attach(attach_opts(t.pid(), mask({EventKind::SyscallEntry, EventKind::SyscallExit}),
                                 client::Mode::Sync)).engine;
  std::optional<int> set_rc, inner_barrier;
  std::vector<std::string> after;
  a.on_report(ea, [&](const ReportMessage& m) {
    if (set_rc) {
      after.push_back(m.report.syscall ? m.report.syscall->name : "?");
      return ResumeAction::Resume;
    }
    if (is_getppid(m) && m.report.event == EventKind::SyscallEntry) {
      set_rc = a.set_events(ea, {});
      inner_barrier = a.barrier(ea, 100ms);
    }
    return ResumeAction::Resume;
  });
  t.send("g");
  ASSERT_TRUE(a.run_until([&] { return set_rc.has_value(); }, 5s));
  EXPECT_EQ(*set_rc, EINPROGRESS);
  EXPECT_EQ(*inner_barrier, ETIMEDOUT) << "barrier returned with the report still unanswered";
  EXPECT_EQ(a.barrier(ea, 2000ms), 0);
  t.send("g");
  t.send("s");
  a.run_for(300ms);
  EXPECT_TRUE(after.empty()) << "report after barrier: " << after.front();
  EXPECT_EQ(a.set_events(ea, {}), 0) << "nothing in flight now";
  a.close();
  EXPECT_TRUE(eventually([&] { return released(t); }));
}

// 30. barrier with nothing in flight -> {} at once; with a report in flight that will be
// answered stop, barrier returns only after the answer, and a control resume sent after the
// barrier's reply releases the thread.
TEST(EngineRaces, BarrierWaitsForTheReplyAndItsEffect) {
  TestDaemon d;
  Tracee t("on-input");
  RawClient a(d);
  auto at = a.call("attach", attach_params(t.pid(), {"syscall_entry"}, "sync"));
  ASSERT_TRUE(at.ok());
  const EngineId ea = at.result.at("engine");
  a.keep_getppid(ea);
  // "At once" without a clock: with timeout_ms 0, a barrier that had to wait would fail with
  // ETIMEDOUT straight away.
  auto now = a.call("barrier", {{"engine", ea}, {"timeout_ms", 0}});
  EXPECT_TRUE(now.ok()) << "barrier with nothing in flight waited: " << errno_of(now);
  EXPECT_TRUE(a.call("barrier", {{"engine", ea}, {"timeout_ms", 5000}}).ok());

  t.send("g");
  ASSERT_TRUE(a.run_until([&] { return a.kept.size() == 1; }));
  EXPECT_EQ(code_of(a.call("barrier", {{"engine", ea}, {"timeout_ms", 0}})), ETIMEDOUT)
      << "barrier with timeout 0 and a report in flight";
  std::optional<Reply> barrier;
  Clock::time_point barrier_at{};
  a.c.call("barrier", {{"engine", ea}, {"timeout_ms", 5000}}, [&](Reply r) {
    barrier = std::move(r);
    barrier_at = Clock::now();
  });
  a.run_for(300ms);
  EXPECT_FALSE(barrier) << "barrier returned with the report in flight";
  const auto replied_at = Clock::now();
  a.c.reply(a.kept[0], ReportReply{ResumeAction::Stop, std::nullopt});
  ASSERT_TRUE(a.run_until([&] { return barrier.has_value(); }));
  EXPECT_TRUE(barrier->ok());
  EXPECT_GE(barrier_at, replied_at);
  // The stop is applied by now: resume releases it.
  EXPECT_TRUE(eventually([&] { return t.state() == 't'; }));
  auto l = a.call("list", json::object());
  EXPECT_EQ(l.result.at("engines").at(0).at("held"), true);
  EXPECT_TRUE(a.call("control", {{"engine", ea}, {"action", "resume"}}).ok());
  EXPECT_TRUE(a.run_until([&] { return t.state() == 'S'; }));
  a.c.close();
  EXPECT_TRUE(eventually([&] { return released(t); }));
}

// 31. A hangs on a report. A barrier gives up (ETIMEDOUT: the daemon's form of a cancelled
// barrier) and changes nothing; at A's report deadline the default action (resume) is
// applied and B, next in the pass, is reported to; A's late "stop" is ignored.
TEST(EngineRaces, HungClientTimesOutAndThePassContinues) {
  TestDaemon d;
  Tracee t("on-input");
  RawClient a(d);
  Client b = connect(d);
  json pa = attach_params(t.pid(), {"syscall_exit"}, "sync");
  pa["report_timeout_ms"] = 400;
  auto at = a.call("attach", pa);
  ASSERT_TRUE(at.ok());
  const EngineId ea = at.result.at("engine");
  a.keep_getppid(ea);
  auto eb = b.attach(attach_opts(t.pid(), mask({EventKind::SyscallExit}), client::Mode::Sync)).engine;
  std::optional<ResumeAction> b_saw;
  Clock::time_point b_at{};
  b.on_report(eb, [&](const ReportMessage& m) {
    if (is_getppid(m) && !b_saw) {
      b_saw = m.report.action;
      b_at = Clock::now();
    }
    return ResumeAction::Resume;
  });
  t.send("g");
  // B is sync too and answers the exit of the read() before getppid: pump both.
  ASSERT_TRUE(a.run_until([&] {
    b.run_one(1ms);
    return a.kept.size() == 1;
  }));
  const auto sent_at = Clock::now();
  auto bar = a.call("barrier", {{"engine", ea}, {"timeout_ms", 100}});
  EXPECT_EQ(code_of(bar), ETIMEDOUT);
  EXPECT_EQ(errno_of(bar), "ETIMEDOUT");
  auto l = a.call("list", json::object());
  ASSERT_EQ(l.result.at("engines").size(), 1u) << "the timed-out barrier changed the engine";
  EXPECT_EQ(l.result.at("engines").at(0).at("held"), false);
  EXPECT_EQ(t.state(), 't') << "the thread waits for A";
  EXPECT_FALSE(b_saw);
  ASSERT_TRUE(b.run_until([&] { return b_saw.has_value(); }, 5s));
  EXPECT_EQ(*b_saw, ResumeAction::Resume) << "A's default action is resume";
  EXPECT_GE(b_at - sent_at, 250ms) << "B was asked before A's deadline";
  EXPECT_TRUE(a.call("barrier", {{"engine", ea}, {"timeout_ms", 1000}}).ok());
  // The late answer is ignored.
  a.c.reply(a.kept[0], ReportReply{ResumeAction::Stop, std::nullopt});
  a.run_for(100ms);
  EXPECT_TRUE(b.run_until([&] { return t.state() == 'S'; }, 5s));
  l = a.call("list", json::object());
  EXPECT_EQ(l.result.at("engines").at(0).at("held"), false);
  a.c.close();
  b.close();
  EXPECT_TRUE(eventually([&] { return released(t); }));
}

// 39. C attached while A's report for getppid's entry is in flight gets no report for that
// entry; its first report is the next event, getppid's exit.
TEST(EngineRaces, EngineAttachedDuringPassSeesOnlyTheNextEvent) {
  TestDaemon d;
  Tracee t("on-input");
  Client a = connect(d), c = connect(d);
  auto ea = a.attach(attach_opts(t.pid(), mask({EventKind::SyscallEntry}), client::Mode::Sync)).engine;
  std::optional<EngineId> ec;
  std::vector<ReportMessage> c_seen;
  a.on_report(ea, [&](const ReportMessage& m) {
    if (is_getppid(m) && !ec) {
      ec = c.attach(attach_opts(t.pid(), mask({EventKind::SyscallEntry, EventKind::SyscallExit}),
                                client::Mode::Sync)).engine;
      c.on_report(*ec, [&](const ReportMessage& r) {
        c_seen.push_back(r);
        return ResumeAction::Resume;
      });
    }
    return ResumeAction::Resume;
  });
  t.send("g");
  ASSERT_TRUE(pump({&a, &c}, [&] { return !c_seen.empty(); }));
  ASSERT_TRUE(ec);
  EXPECT_EQ(c_seen[0].report.event, EventKind::SyscallExit);
  EXPECT_TRUE(is_getppid(c_seen[0])) << c_seen[0].line;
  t.send("g");
  EXPECT_TRUE(pump({&a, &c}, [&] {
    for (auto& m : c_seen)
      if (is_getppid(m) && m.report.event == EventKind::SyscallEntry) return true;
    return false;
  })) << "C gets later entries";
  a.close();
  c.close();
  EXPECT_TRUE(eventually([&] { return released(t); }));
}

}  // namespace
}  // namespace utrace::test
