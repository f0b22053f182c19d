// ReportPass against fake engines, with no daemon, no sockets and no ptrace: the order of
// reports, the combined action, sticky per-engine holds, concurrent replies applied in their
// turn, detach during a report, and the in-flight facts (awaits, the unanswered count) that
// the rest of the daemon derives from the pass. Rules: utrace-semantics.md section 4.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "engine/report_pass.hpp"

namespace utraced {
namespace {

using utrace::proto::EventKind;
using utrace::proto::EventMask;
using utrace::proto::Report;
using utrace::proto::ReportReply;
using utrace::proto::ResumeAction;
using Progress = ReportPass::Progress;

EnginePtr engine(std::uint64_t id, EngineMode mode, std::vector<EventKind> events,
                 bool concurrent = false) {
  auto e = std::make_shared<Engine>();
  e->id = id;
  e->mode = mode;
  e->concurrent = concurrent;
  for (auto k : events) e->events = e->events | EventMask::of(k);
  return e;
}

// Records what the pass sends; detach() drops the engine as the hub would (its pass forgets
// it), so reentrancy is exercised too.
struct FakeHost : PassHost {
  std::vector<std::string> log;  // "report 2 resume", "event 1 stop", "applied 2", "detach 3"
  std::vector<EnginePtr> backlogged_engines;
  ReportPass* pass = nullptr;
  bool forgot_turn = false;

  std::shared_ptr<void> send_report(const EnginePtr& e, const Report& r) override {
    log.push_back("report " + std::to_string(e->id) + " " +
                  std::string(utrace::proto::to_string(r.action)));
    return nullptr;
  }
  void send_event(const EnginePtr& e, const Report& r, utrace::proto::EventLineCache&) override {
    log.push_back("event " + std::to_string(e->id) + " " +
                  std::string(utrace::proto::to_string(r.action)));
  }
  bool backlogged(const Engine& e) override {
    for (auto& b : backlogged_engines)
      if (b.get() == &e) return true;
    return false;
  }
  void wait_drained(const EnginePtr& e) override { log.push_back("drain " + std::to_string(e->id)); }
  void reply_applied(const EnginePtr& e) override {
    log.push_back("applied " + std::to_string(e->id));
  }
  void detach(const EnginePtr& e) override {
    log.push_back("detach " + std::to_string(e->id));
    e->state = EngineState::Detached;
    forgot_turn = pass->forget(e.get()) || forgot_turn;
  }
};

ReportReply reply(ResumeAction a) {
  ReportReply r;
  r.action = a;
  return r;
}

struct PassTest : ::testing::Test {
  std::size_t awaited = 0;
  FakeHost host;
  std::unique_ptr<ReportPass> make(EventKind event, std::vector<EnginePtr> order,
                                   bool reverse = false, int signal = -1) {
    Report base;
    base.tid = 100;
    base.pid = 100;
    if (event == EventKind::SyscallEntry) base.syscall = utrace::proto::SyscallInfo{39, "getpid", {}};
    auto p = std::make_unique<ReportPass>(7, event, base, std::move(order), reverse, signal,
                                          &awaited);
    host.pass = p.get();
    return p;
  }
};

TEST_F(PassTest, SyncEnginesOneAtATimeWithTheActionSoFar) {
  auto a = engine(1, EngineMode::Sync, {EventKind::Exit});
  auto b = engine(2, EngineMode::Sync, {EventKind::Exit});
  auto p = make(EventKind::Exit, {a, b});
  EXPECT_EQ(p->start(host), Progress::Waiting);
  EXPECT_EQ(host.log, (std::vector<std::string>{"report 1 resume"}));
  EXPECT_TRUE(p->awaits(a.get()));
  EXPECT_FALSE(p->awaits(b.get())) << "b is not asked before a's reply is applied";
  EXPECT_EQ(awaited, 1u);
  EXPECT_EQ(p->on_reply(host, a, reply(ResumeAction::Report)), Progress::Waiting);
  EXPECT_FALSE(p->awaits(a.get()));
  EXPECT_TRUE(p->awaits(b.get()));
  EXPECT_EQ(host.log.back(), "report 2 report") << "b sees the combined action so far";
  EXPECT_EQ(p->on_reply(host, b, reply(ResumeAction::SingleStep)), Progress::Done);
  EXPECT_EQ(p->combined(), ResumeAction::Report) << "the most restrictive action wins";
  EXPECT_EQ(awaited, 0u);
}

TEST_F(PassTest, SyscallEntryVisitsTheLastAttachedFirst) {
  auto a = engine(1, EngineMode::Async, {EventKind::SyscallEntry});
  auto b = engine(2, EngineMode::Async, {EventKind::SyscallEntry});
  auto p = make(EventKind::SyscallEntry, {a, b}, /*reverse=*/true);
  EXPECT_EQ(p->start(host), Progress::Done);
  EXPECT_EQ(host.log, (std::vector<std::string>{"event 2 resume", "event 1 resume"}));
}

TEST_F(PassTest, AHeldEngineForcesStopAndKeepsItsHold) {
  auto a = engine(1, EngineMode::Async, {EventKind::Exit});
  auto b = engine(2, EngineMode::Sync, {EventKind::Exit});
  a->hold = true;
  auto p = make(EventKind::Exit, {a, b});
  EXPECT_EQ(p->start(host), Progress::Waiting);
  EXPECT_EQ(host.log.back(), "report 2 stop");
  EXPECT_EQ(p->on_reply(host, b, reply(ResumeAction::Resume)), Progress::Done);
  EXPECT_EQ(p->combined(), ResumeAction::Stop);
  EXPECT_TRUE(a->hold) << "an async engine's standing action keeps its hold";
  EXPECT_FALSE(b->hold);
}

TEST_F(PassTest, AHoldCountsEvenForAnEngineThatDoesNotHearTheEvent) {
  auto quiet = engine(1, EngineMode::Sync, {EventKind::Death});  // not interested in exit
  auto b = engine(2, EngineMode::Sync, {EventKind::Exit});
  quiet->hold = true;
  auto p = make(EventKind::Exit, {quiet, b});
  EXPECT_EQ(p->start(host), Progress::Waiting);
  EXPECT_EQ(host.log, (std::vector<std::string>{"report 2 stop"}))
      << "the engine after a holding one sees STOP as the action so far";
  EXPECT_EQ(p->on_reply(host, b, reply(ResumeAction::Resume)), Progress::Done);
  EXPECT_EQ(p->combined(), ResumeAction::Stop);
  EXPECT_TRUE(quiet->hold);
}

TEST_F(PassTest, ReplyStopHoldsAndResumeReleasesOnlyThatEngine) {
  auto a = engine(1, EngineMode::Sync, {EventKind::Exit});
  auto b = engine(2, EngineMode::Sync, {EventKind::Exit});
  b->hold = true;
  auto p = make(EventKind::Exit, {a, b});
  p->start(host);
  p->on_reply(host, a, reply(ResumeAction::Stop));
  EXPECT_TRUE(a->hold);
  EXPECT_EQ(p->on_reply(host, b, reply(ResumeAction::Resume)), Progress::Done);
  EXPECT_FALSE(b->hold) << "b's reply replaces b's own hold";
  EXPECT_TRUE(a->hold) << "releasing one hold never releases another's";
}

TEST_F(PassTest, ConcurrentEnginesAreAskedAtTheStartAndAppliedInTurn) {
  auto a = engine(1, EngineMode::Sync, {EventKind::Exit}, true);
  auto b = engine(2, EngineMode::Sync, {EventKind::Exit}, true);
  auto p = make(EventKind::Exit, {a, b});
  EXPECT_EQ(p->start(host), Progress::Waiting);
  EXPECT_EQ(host.log, (std::vector<std::string>{"report 1 resume", "report 2 resume"}));
  EXPECT_EQ(awaited, 2u);
  // b answers first: its hold takes the reply now, the pass takes it in b's turn.
  EXPECT_EQ(p->on_reply(host, b, reply(ResumeAction::Stop)), Progress::Waiting);
  EXPECT_TRUE(b->hold);
  EXPECT_FALSE(p->awaits(b.get())) << "barrier on b returns once its hold took the reply";
  EXPECT_EQ(host.log.back(), "applied 2");
  EXPECT_EQ(awaited, 1u);
  EXPECT_EQ(p->on_reply(host, b, reply(ResumeAction::Resume)), Progress::Waiting)
      << "a second reply is stale";
  EXPECT_TRUE(b->hold);
  EXPECT_EQ(p->on_reply(host, a, reply(ResumeAction::Resume)), Progress::Done);
  EXPECT_EQ(p->combined(), ResumeAction::Stop);
  EXPECT_EQ(awaited, 0u);
}

TEST_F(PassTest, AnEngineDetachedDuringItsReportIsSkippedAndItsReplyIgnored) {
  auto a = engine(1, EngineMode::Sync, {EventKind::Exit});
  auto b = engine(2, EngineMode::Sync, {EventKind::Exit});
  auto p = make(EventKind::Exit, {a, b});
  p->start(host);
  a->state = EngineState::Detached;  // the client detached it (EINPROGRESS)
  EXPECT_TRUE(p->forget(a.get())) << "the pass was waiting for a's turn";
  EXPECT_EQ(awaited, 0u);
  EXPECT_FALSE(p->awaits(a.get()));
  EXPECT_EQ(p->resume(host), Progress::Waiting);
  EXPECT_EQ(host.log.back(), "report 2 resume");
  EXPECT_EQ(p->on_reply(host, a, reply(ResumeAction::Stop)), Progress::Waiting);
  EXPECT_FALSE(a->hold) << "a detached engine's STOP is ignored";
  EXPECT_EQ(p->on_reply(host, b, reply(ResumeAction::Resume)), Progress::Done);
  EXPECT_EQ(p->combined(), ResumeAction::Resume) << "a thread held by no engine runs";
}

TEST_F(PassTest, ReplyDetachDropsTheEngineAndDeathDetachCancelsReap) {
  auto a = engine(1, EngineMode::Sync, {EventKind::Death});
  auto p = make(EventKind::Death, {a});
  p->start(host);
  EXPECT_EQ(p->on_reply(host, a, reply(ResumeAction::Detach)), Progress::Done);
  EXPECT_TRUE(a->cancel_reap);
  EXPECT_EQ(host.log, (std::vector<std::string>{"report 1 resume", "detach 1", "applied 1"}));
}

TEST_F(PassTest, TheLastSignalDispositionWins) {
  auto a = engine(1, EngineMode::Sync, {EventKind::SignalTerm});
  auto b = engine(2, EngineMode::Sync, {EventKind::SignalTerm});
  auto p = make(EventKind::SignalTerm, {a, b}, false, /*signal=*/15);
  p->start(host);
  ReportReply ignore = reply(ResumeAction::Resume);
  ignore.signal = 0;
  p->on_reply(host, a, ignore);
  EXPECT_EQ(p->signal(), 0);
  ReportReply other = reply(ResumeAction::Resume);
  other.signal = 10;
  EXPECT_EQ(p->on_reply(host, b, other), Progress::Done);
  EXPECT_EQ(p->signal(), 10);
}

TEST_F(PassTest, QuiesceEnginesGetTheEventAsQuiesceAndReapSkipsThem) {
  auto q = engine(1, EngineMode::Async, {EventKind::Quiesce});
  auto p = make(EventKind::Exit, {q});
  const Report r = p->report_for(*q, ResumeAction::Resume);
  EXPECT_EQ(r.event, EventKind::Quiesce);
  EXPECT_EQ(r.for_event, EventKind::Exit);
  EXPECT_EQ(p->start(host), Progress::Done);
  EXPECT_EQ(host.log, (std::vector<std::string>{"event 1 resume"}));
  host.log.clear();
  auto reap = make(EventKind::Reap, {q});
  EXPECT_EQ(reap->start(host), Progress::Done);
  EXPECT_TRUE(host.log.empty()) << "quiesce does not cover reap";
}

TEST_F(PassTest, ABackloggedAsyncClientMakesThePassWaitNotDrop) {
  auto a = engine(1, EngineMode::Async, {EventKind::Exit});
  host.backlogged_engines = {a};
  auto p = make(EventKind::Exit, {a});
  EXPECT_EQ(p->start(host), Progress::Waiting);
  EXPECT_EQ(host.log, (std::vector<std::string>{"drain 1"}));
  EXPECT_FALSE(p->idle());
  host.backlogged_engines.clear();
  EXPECT_EQ(p->resume(host), Progress::Done);
  EXPECT_EQ(host.log.back(), "event 1 resume");
}

TEST_F(PassTest, AbandonAndDestructionForgetEveryUnansweredReport) {
  auto a = engine(1, EngineMode::Sync, {EventKind::Exit}, true);
  auto b = engine(2, EngineMode::Sync, {EventKind::Exit}, true);
  {
    auto p = make(EventKind::Exit, {a, b});
    p->start(host);
    EXPECT_EQ(awaited, 2u);
    auto had = p->abandon();
    EXPECT_EQ(had.size(), 2u);
    EXPECT_EQ(awaited, 0u);
    EXPECT_TRUE(p->done());
  }
  {
    auto p = make(EventKind::Exit, {a, b});
    p->start(host);
    EXPECT_EQ(awaited, 2u);
  }
  EXPECT_EQ(awaited, 0u) << "a pass destroyed mid-way leaves no report counted as awaited";
}

TEST_F(PassTest, SyscallAbortIsTheLastEnginesChoice) {
  auto a = engine(1, EngineMode::Sync, {EventKind::SyscallEntry});
  auto b = engine(2, EngineMode::Sync, {EventKind::SyscallEntry});
  auto p = make(EventKind::SyscallEntry, {a, b}, true);
  p->start(host);
  ReportReply abort = reply(ResumeAction::Resume);
  abort.abort = true;
  abort.retval = -1;
  p->on_reply(host, b, abort);
  ReportReply run = reply(ResumeAction::Resume);
  run.abort = false;
  EXPECT_EQ(p->on_reply(host, a, run), Progress::Done);
  EXPECT_FALSE(p->abort());
}

}  // namespace
}  // namespace utraced
