// ReportPass: one report pass over a thread's engines (utrace's REPORT_CALLBACKS), from the
// stop that started it to the combined result the restart decision reads. It owns the engine
// order, the cursor, the sync reports in flight (their replies and deadlines) and the result;
// every "is a report to this engine in flight?" answer is derived from it (awaits()).
//
// Rules (utrace-semantics.md section 4): engines are visited in report order, one at a time; a
// sync engine's turn ends when its reply is applied; an async engine gets an event and its
// standing action; a held engine forces STOP on the combined action; concurrent sync engines
// are asked when the pass starts and their replies wait for their turn, but their own hold
// takes the reply when it comes; an engine detached meanwhile is skipped and its reply
// ignored. Everything that leaves the pass (sending, waiting for a slow reader, dropping an
// engine that replied detach, waking barrier callers) goes through a PassHost, so the pass is
// unit-tested against fake engines with no daemon (tests/unit/test_report_pass.cpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "engine/engine.hpp"
#include "utrace/proto/actions.hpp"
#include "utrace/proto/report.hpp"
#include "utrace/proto/report_line.hpp"

namespace utraced {

class PassHost {
 public:
  virtual ~PassHost() = default;
  // Sends e its sync report; the reply must come back to ReportPass::on_reply. Returns the
  // report's deadline (its timer; dropping it cancels it), or null when there is none.
  virtual std::shared_ptr<void> send_report(const EnginePtr& e,
                                            const utrace::proto::Report& report) = 0;
  virtual void send_event(const EnginePtr& e, const utrace::proto::Report& report,
                          utrace::proto::EventLineCache& lines) = 0;
  // The client of e is not reading its output. wait_drained: call ReportPass::resume once it
  // has drained (nothing is dropped; only threads that client traces wait).
  virtual bool backlogged(const Engine& e) = 0;
  virtual void wait_drained(const EnginePtr& e) = 0;
  // e's reply was applied (or will never count): barrier callers of e may return.
  virtual void reply_applied(const EnginePtr& e) = 0;
  // e replied detach: take it off the thread (after a death report: with no reap report).
  virtual void detach(const EnginePtr& e) = 0;
};

class ReportPass {
 public:
  enum class Progress { Waiting, Done };

  // `order` is the thread's engines in attach order; reverse: syscall entry (the engine
  // attached last is closest to user mode). signal >= 0: a signal pass, with the signal the
  // stop would deliver. awaited: the daemon's count of unanswered sync reports, kept by passes.
  ReportPass(std::uint64_t token, utrace::proto::EventKind event, utrace::proto::Report base,
             std::vector<EnginePtr> order, bool reverse, int signal, std::size_t* awaited);
  ~ReportPass();
  ReportPass(const ReportPass&) = delete;
  ReportPass& operator=(const ReportPass&) = delete;

  // Asks the concurrent sync engines, then runs the pass as far as it can go.
  Progress start(PassHost& host);
  // A reply from e (nullopt: no usable reply, or its deadline passed). Stale replies (e has no
  // report in flight, or already answered) change nothing and return Waiting.
  Progress on_reply(PassHost& host, const EnginePtr& e,
                    std::optional<utrace::proto::ReportReply> reply);
  // The pass may go on after a wait_drained, or after forget() of the engine in its turn.
  Progress resume(PassHost& host);
  // e is detached: its report no longer counts. True when the pass was waiting for e's turn
  // (the caller resumes it later: never from inside a PassHost call).
  bool forget(const Engine* e);
  // Forgets every report (the thread left the stop without us); returns the engines that had
  // one, for their barrier callers.
  std::vector<EnginePtr> abandon();

  // A sync report to e is in flight: sent, its reply not yet applied to e's hold.
  bool awaits(const Engine* e) const;
  // Waiting for nothing: neither an engine's turn nor a client's output to drain.
  bool idle() const { return !waiting_on_; }
  bool done() const { return next_ >= order_.size() && !waiting_on_; }

  std::uint64_t token() const { return token_; }
  utrace::proto::EventKind event() const { return event_; }
  const utrace::proto::Report& base() const { return base_; }
  // The result, once done: combined action, signal disposition (-1 outside signal passes; 0
  // ignore; n deliver n), syscall abort and return value.
  utrace::proto::ResumeAction combined() const { return combined_; }
  int signal() const { return signal_; }
  bool abort() const { return abort_; }
  const std::optional<std::int64_t>& retval() const { return retval_; }
  // The report e gets: the pass's base with e's id and `action` as the action so far.
  utrace::proto::Report report_for(const Engine& e, utrace::proto::ResumeAction action) const;

  // The memory captured at this stop, for the engines in `to` (attached with `capture` and
  // allowed to read the thread's memory now).
  void set_capture(std::shared_ptr<const utrace::proto::Capture> capture,
                   std::vector<const Engine*> to) {
    capture_ = std::move(capture);
    capture_to_ = std::move(to);
  }

  // Clone passes: the new child, held at its first stop until the pass ends (the hub lets it
  // go; the pass only carries it).
  std::shared_ptr<TracedThread> held_child;

 private:
  struct Asked {  // a sync report sent and not yet applied
    EnginePtr engine;
    bool answered = false;      // the reply came (or its deadline passed)
    bool hold_applied = false;  // e's hold took the reply when it came (ahead of its turn)
    std::optional<utrace::proto::ReportReply> reply;
    std::shared_ptr<void> deadline;
  };

  Progress step(PassHost& host);
  void ask(PassHost& host, const EnginePtr& e, utrace::proto::ResumeAction action);
  Asked* find(const Engine* e);
  const Asked* find(const Engine* e) const;
  void erase(const Engine* e);
  // e's reply applied in its turn: combined action, signal, abort, hold, detach.
  void apply(PassHost& host, const EnginePtr& e, const utrace::proto::ReportReply& reply,
             bool hold_applied);
  void finish_turn(PassHost& host, const EnginePtr& e,
                   const std::optional<utrace::proto::ReportReply>& reply, bool hold_applied);
  // The syscall of a syscall pass; the address of a breakpoint pass (Engine::wants_event).
  std::int64_t syscall_nr() const {
    return base_.syscall ? base_.syscall->nr
           : base_.addr  ? static_cast<std::int64_t>(*base_.addr)
                         : -1;
  }

  std::shared_ptr<const utrace::proto::Capture> capture_;
  std::vector<const Engine*> capture_to_;
  std::uint64_t token_;
  utrace::proto::EventKind event_;
  utrace::proto::Report base_;
  std::vector<EnginePtr> order_;
  std::size_t next_ = 0;
  EnginePtr waiting_on_;  // the engine in its turn: its reply, or its client's output to drain
  std::vector<Asked> asked_;
  std::size_t* awaited_;
  utrace::proto::ResumeAction combined_ = utrace::proto::ResumeAction::Resume;
  int signal_;
  bool abort_ = false;
  std::optional<std::int64_t> retval_;
  utrace::proto::EventLineCache lines_;  // the pass's event lines, encoded once
};

}  // namespace utraced
