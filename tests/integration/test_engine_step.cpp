// Engine model, continued (utrace-semantics.md section 16): a client that disconnects while
// holding several threads (32), examining a held thread (36, utrace_prepare_examine's role is
// played by get_regs/read_memory/write_memory), and single/block stepping (38).
#include <signal.h>
#include <unistd.h>

#include <cstring>
#include <optional>
#include <string>
#include <thread>

#include "utrace/proto/wide_values.hpp"
#include "test_engine_common.hpp"
#include "utrace/proto/base64.hpp"

namespace utrace::test {
namespace {

// 32. A client holds 3 threads of one process stopped and disconnects: every engine is
// detached and every thread runs again, untraced.
TEST(EngineModel, DisconnectWhileHoldingThreeThreadsReleasesAll) {
  TestDaemon d;
  Tracee t("threads3");
  auto tids = task_ids(t.pid());
  ASSERT_EQ(tids.size(), 3u);
  Client other = connect(d);
  {
    Client a = connect(d);
    for (pid_t tid : tids) {
      auto e = a.attach(attach_opts(tid, {})).engine;
      hold_silently(a, e);
    }
    for (pid_t tid : tids) EXPECT_EQ(task_state(t.pid(), tid), 't') << tid;
    EXPECT_EQ(a.list().size(), 3u);
    EXPECT_EQ(a.stats().value("engines_total", -1), 3);
  }  // disconnect
  for (pid_t tid : tids)
    EXPECT_TRUE(eventually([&] { return task_released(t.pid(), tid); })) << "tid " << tid;
  EXPECT_EQ(other.stats().value("engines_total", -1), 0);
  EXPECT_EQ(other.stats().value("threads_traced", -1), 0);
}

// 32, second half: a thread in a job-control stop stays stopped after the holder disconnects.
TEST(EngineModel, DisconnectLeavesGroupStopInForce) {
  TestDaemon d;
  Tracee t("sleep");
  Client a = connect(d);
  auto ea = a.attach(attach_opts(t.pid(), {})).engine;
  hold_silently(a, ea);
  ASSERT_EQ(::kill(t.pid(), SIGSTOP), 0);
  EXPECT_TRUE(signal_pending(t.pid(), SIGSTOP)) << "held: the SIGSTOP waits";
  a.close();
  EXPECT_TRUE(eventually([&] { return t.tracer() == 0; }));
  EXPECT_TRUE(eventually([&] { return t.state() == 'T'; })) << "state " << t.state();
  // Untraced, nothing pending that could end the stop: it stays stopped until SIGCONT (no
  // need to watch it for a while).
  EXPECT_FALSE(signal_pending(t.pid(), SIGCONT));
  EXPECT_FALSE(signal_pending(t.pid(), SIGSTOP)) << "the SIGSTOP was never taken";
  EXPECT_EQ(t.state(), 'T');
  ::kill(t.pid(), SIGCONT);
  EXPECT_TRUE(eventually([&] { return t.state() == 'S'; }));
  EXPECT_TRUE(released(t));
}

std::string read_mem(Client& c, EngineId e, std::uint64_t addr, std::size_t size, int* err) {
  auto r = c.request("read_memory", {{"engine", e}, {"addr", addr}, {"size", size}});
  *err = code_of(r);
  if (!r.ok()) return {};
  EXPECT_EQ(r.result.at("size"), size);
  return proto::base64_decode(r.result.at("data").get<std::string>()).value_or("");
}

std::uint64_t reg(Client& c, EngineId e, const char* name) {
  auto r = c.request("get_regs", {{"engine", e}});
  EXPECT_TRUE(r.ok()) << (r.error ? r.error->message : "");
  // "0x…" strings on the wire (protocol 2, PROTOCOL.md "Numbers").
  return r.ok() ? proto::read_u64(r.result.at("regs").at(name)).value_or(0) : 0;
}

// 36. Examining needs a hold: EINVAL without one (also for another client's engine while A
// holds); with it, registers and memory can be read and written; after SIGKILL -> ESRCH.
TEST(EngineModel, ExamineOnlyWhileHeld) {
  TestDaemon d;
  Tracee t("spin");
  Client a = connect(d), b = connect(d);
  auto ea = a.attach(attach_opts(t.pid(), {})).engine;
  auto eb = b.attach(attach_opts(t.pid(), {})).engine;
  EXPECT_EQ(code_of(a.request("get_regs", {{"engine", ea}})), EINVAL);
  int err = 0;
  read_mem(a, ea, 0x1000, 8, &err);
  EXPECT_EQ(err, EINVAL);
  hold_silently(a, ea);
  EXPECT_EQ(code_of(b.request("get_regs", {{"engine", eb}})), EINVAL) << "B holds nothing";
  const auto rip = reg(a, ea, "rip");
  const auto rsp = reg(a, ea, "rsp");
  EXPECT_NE(rip, 0u);
  // The code at rip is readable.
  auto code = read_mem(a, ea, rip, 16, &err);
  EXPECT_EQ(err, 0);
  EXPECT_EQ(code.size(), 16u);
  // A stack slot well below the red zone: write, read back, restore.
  const std::uint64_t slot = rsp - 1024;
  auto orig = read_mem(a, ea, slot, 8, &err);
  ASSERT_EQ(err, 0);
  const std::string pattern = "\x11\x22\x33\x44\x55\x66\x77\x88";
  auto w = a.request("write_memory", {{"engine", ea}, {"addr", slot},
                                      {"data", proto::base64_encode(pattern)}});
  ASSERT_TRUE(w.ok()) << w.error->message;
  EXPECT_EQ(w.result.at("written"), 8);
  EXPECT_EQ(read_mem(a, ea, slot, 8, &err), pattern);
  EXPECT_TRUE(a.request("write_memory", {{"engine", ea}, {"addr", slot},
                                         {"data", proto::base64_encode(orig)}}).ok());
  // set_regs: writing rip back unchanged; an unknown register is a parameter error.
  EXPECT_EQ(code_of(a.request("set_regs", {{"engine", ea}, {"regs", {{"rip", rip}}}})), 0);
  EXPECT_EQ(reg(a, ea, "rip"), rip);
  EXPECT_EQ(code_of(a.request("set_regs", {{"engine", ea}, {"regs", {{"bogus", 1}}}})), -32602);
  // Released: examining needs the hold again.
  EXPECT_EQ(a.control(ea, ResumeAction::Resume), 0);
  EXPECT_EQ(code_of(a.request("get_regs", {{"engine", ea}})), EINVAL);
  // Dead: ESRCH.
  ASSERT_EQ(::kill(t.pid(), SIGKILL), 0);
  EXPECT_NE(t.wait_exit(), -1);
  EXPECT_EQ(code_of(a.request("get_regs", {{"engine", ea}})), ESRCH);
  read_mem(a, ea, rip, 8, &err);
  EXPECT_EQ(err, ESRCH);
  EXPECT_EQ(a.control(ea, ResumeAction::Stop), ESRCH);
}

// 36, last part ("prepare OK, then SIGKILL, then finish -> EAGAIN or ESRCH"), and 18.
// SIGKILL sent to a thread an engine holds stopped breaks the hold (utrace-semantics.md
// sections 1, 9.6, 14): the kernel stops it again at PTRACE_EVENT_EXIT, where the daemon drops
// every earlier hold (an engine may hold it again only by answering the exit report).
TEST(EngineModel, SigkillBreaksTheHold) {
  TestDaemon d;
  Tracee t("spin");
  Client a = connect(d);
  auto ea = a.attach(attach_opts(t.pid(), mask({EventKind::Death, EventKind::Reap}))).engine;
  std::vector<EventKind> seen;
  a.on_event(ea, [&](const ReportMessage& m) { seen.push_back(m.report.event); });
  hold_silently(a, ea);
  EXPECT_EQ(reg(a, ea, "rip") != 0, true);
  ASSERT_EQ(::kill(t.pid(), SIGKILL), 0);
  EXPECT_TRUE(a.run_until([&] { return seen.size() == 2; }, 3s));
  EXPECT_EQ(seen, (std::vector<EventKind>{EventKind::Death, EventKind::Reap}));
  EXPECT_EQ(code_of(a.request("get_regs", {{"engine", ea}})), ESRCH);
  EXPECT_EQ(a.control(ea, ResumeAction::Stop), ESRCH);
  EXPECT_NE(t.wait_exit(2s), -1) << "the killed process never died";
}

// 38. Single-stepping with two engines. A (quiesce) asks singlestep, B resumes: exactly one
// instruction (one nop byte) runs, then a SIGTRAP report reaches both; A answers ignore and
// stop; the program never gets the SIGTRAP. Then A blockstep + B singlestep -> one step.
TEST(EngineModel, SingleStepRunsOneInstruction) {
  TestDaemon d;
  Tracee t("nops");
  Client a = connect(d), b = connect(d);
  auto ea = a.attach(attach_opts(t.pid(), mask({EventKind::Quiesce}), client::Mode::Sync)).engine;
  auto eb = b.attach(attach_opts(t.pid(), mask({EventKind::Quiesce, EventKind::SignalCore}),
                                 client::Mode::Sync)).engine;
  int a_traps = 0, b_traps = 0, a_quiesce = 0;
  std::optional<std::uint64_t> trap_rip;
  std::optional<ResumeAction> b_saw;
  a.on_report(ea, [&](const ReportMessage& m) -> ReportReply {
    if (m.report.event == EventKind::Quiesce && m.report.for_event == EventKind::SignalCore) {
      ++a_traps;
      EXPECT_TRUE(m.report.signal && m.report.signal->signo == SIGTRAP && m.report.signal->code == 2);
      trap_rip = reg(a, ea, "rip");  // a report is in flight: examining is allowed
      return {ResumeAction::Stop, 0};  // hold it, and ignore the trap
    }
    ++a_quiesce;
    return {ResumeAction::Stop, std::nullopt};
  });
  b.on_report(eb, [&](const ReportMessage& m) -> ReportReply {
    if (m.report.event == EventKind::SignalCore) {
      ++b_traps;
      b_saw = m.report.action;
      EXPECT_EQ(m.report.signal->signo, SIGTRAP);
    }
    return {ResumeAction::Resume, std::nullopt};
  });
  // Stop it: A's quiesce report is answered stop; B then holds too. Until the program has
  // reached its nop sled (it may still be starting up on a loaded machine), let it go again.
  bool in_sled = false;
  for (int tries = 0; tries < 50 && !in_sled; ++tries) {
    const int q = a_quiesce;
    ASSERT_EQ(a.control(ea, ResumeAction::Stop), EINPROGRESS);
    ASSERT_TRUE(pump({&a, &b}, [&] { return a_quiesce == q + 1; }));
    ASSERT_EQ(a.control(ea, ResumeAction::Stop), 0);
    int err = 0;
    in_sled = read_mem(a, ea, reg(a, ea, "rip"), 1, &err) == std::string("\x90", 1);
    if (!in_sled) {
      ASSERT_EQ(a.control(ea, ResumeAction::Resume), 0);
      pump_for({&a, &b}, 20ms);
    }
  }
  ASSERT_TRUE(in_sled) << "the program never reached its nop sled";
  EXPECT_EQ(b.control(eb, ResumeAction::Stop), 0);

  auto step_once = [&](ResumeAction a_action, ResumeAction b_action) -> std::int64_t {
    const auto rip0 = reg(a, ea, "rip");
    int err = 0;
    auto byte = read_mem(a, ea, rip0, 1, &err);
    EXPECT_EQ(byte, std::string("\x90", 1)) << "not stopped in the nop sled";
    const int traps_before = a_traps;
    trap_rip.reset();
    EXPECT_EQ(a.control(ea, a_action), 0);
    pump_for({&a, &b}, 50ms);
    EXPECT_EQ(t.state(), 't') << "B still holds it";
    EXPECT_EQ(a_traps, traps_before);
    EXPECT_EQ(b.control(eb, b_action), 0);
    EXPECT_TRUE(pump({&a, &b}, [&] { return a_traps == traps_before + 1 && b_saw; }));
    EXPECT_TRUE(eventually([&] { return t.state() == 't'; }));
    return trap_rip ? static_cast<std::int64_t>(*trap_rip - rip0) : -1;
  };

  EXPECT_EQ(step_once(ResumeAction::SingleStep, ResumeAction::Resume), 1);
  EXPECT_EQ(b_traps, 1);
  EXPECT_EQ(*b_saw, ResumeAction::Stop) << "B is asked after A, who said stop";
  EXPECT_TRUE(a.list().at(0).held);
  // blockstep and singlestep combine to singlestep (the minimum).
  b_saw.reset();
  EXPECT_EQ(b.control(eb, ResumeAction::Stop), 0);
  EXPECT_EQ(step_once(ResumeAction::BlockStep, ResumeAction::SingleStep), 1);
  EXPECT_EQ(b_traps, 2);
  // Let it run: the ignored traps never reached the program.
  EXPECT_EQ(a.control(ea, ResumeAction::Resume), 0);
  EXPECT_TRUE(pump({&a, &b}, [&] { return t.state() == 'R'; }));
  pump_for({&a, &b}, 200ms);
  EXPECT_EQ(t.state(), 'R') << "killed by SIGTRAP?";
  a.close();
  b.close();
  EXPECT_TRUE(eventually([&] { return released(t); }));
  EXPECT_EQ(a_traps, 2);
}

}  // namespace
}  // namespace utrace::test
