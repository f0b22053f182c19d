#include "engine/report_pass.hpp"

#include <algorithm>

#include "util/check.hpp"
#include "util/log.hpp"

namespace utraced {

using utrace::proto::EventKind;
using utrace::proto::Report;
using utrace::proto::ReportReply;
using utrace::proto::ResumeAction;

ReportPass::ReportPass(std::uint64_t token, EventKind event, Report base,
                       std::vector<EnginePtr> order, bool reverse, int signal,
                       std::size_t* awaited)
    : token_(token),
      event_(event),
      base_(std::move(base)),
      order_(std::move(order)),
      awaited_(awaited),
      signal_(signal) {
  base_.event = event;
  if (reverse) std::reverse(order_.begin(), order_.end());
}

ReportPass::~ReportPass() { abandon(); }

ReportPass::Progress ReportPass::start(PassHost& host) {
  if (event_ != EventKind::Reap) {
    // What the engines before each one decided when the pass started: STOP if one holds.
    ResumeAction before = ResumeAction::Resume;
    for (const auto& e : order_) {  // ask() never changes the order
      if (!e->attached()) continue;
      if (e->hold) before = ResumeAction::Stop;
      if (e->mode == EngineMode::Sync && e->concurrent && e->interested(event_, syscall_nr()))
        ask(host, e, before);
    }
  }
  return step(host);
}

void ReportPass::ask(PassHost& host, const EnginePtr& e, ResumeAction action) {
  UT_ASSERT(!find(e.get()), "engine {} asked twice in one pass", e->id);
  auto deadline = host.send_report(e, report_for(*e, action));
  asked_.push_back(Asked{e, false, false, std::nullopt, std::move(deadline)});
  ++*awaited_;
}

Report ReportPass::report_for(const Engine& e, ResumeAction action) const {
  Report r = base_;
  r.engine = e.id;
  r.action = action;
  if (!e.wants_event(event_, syscall_nr())) {
    r.event = EventKind::Quiesce;  // a quiesce engine that did not ask for this event
    r.for_event = event_;
  } else if (capture_ &&
             std::find(capture_to_.begin(), capture_to_.end(), &e) != capture_to_.end()) {
    r.capture = *capture_;
  }
  return r;
}

ReportPass::Progress ReportPass::step(PassHost& host) {
  UT_ASSERT(!waiting_on_, "pass {} stepped while waiting on engine {}", token_, waiting_on_->id);
  while (next_ < order_.size()) {
    EnginePtr e = order_[next_];
    if (!e->attached()) {
      ++next_;
      continue;
    }
    if (e->hold) combined_ = ResumeAction::Stop;  // a held engine forces STOP on the pass
    if (Asked* f = find(e.get())) {
      // Asked at the pass start (concurrent): its reply is applied now, in its turn.
      if (!f->answered) {
        waiting_on_ = e;
        return Progress::Waiting;
      }
      auto reply = std::move(f->reply);
      const bool hold_applied = f->hold_applied;
      erase(e.get());
      ++next_;
      finish_turn(host, e, reply, hold_applied);
      continue;
    }
    if (!e->interested(event_, syscall_nr())) {  // re-read: set_events may have cleared it
      ++next_;
      continue;
    }
    // Reap is always a notification: there is nothing left to decide.
    if (e->mode == EngineMode::Async || event_ == EventKind::Reap) {
      if (event_ != EventKind::Reap && host.backlogged(*e)) {
        waiting_on_ = e;
        host.wait_drained(e);
        return Progress::Waiting;
      }
      ++next_;
      host.send_event(e, report_for(*e, combined_), lines_);
      // An async engine keeps whatever hold it has; its standing action is resume.
      ReportReply standing;
      standing.action = e->hold ? ResumeAction::Stop : ResumeAction::Resume;
      apply(host, e, standing, false);
      continue;
    }
    waiting_on_ = e;  // its turn ends when its reply is applied
    ask(host, e, combined_);
    return Progress::Waiting;
  }
  return Progress::Done;
}

ReportPass::Progress ReportPass::on_reply(PassHost& host, const EnginePtr& e,
                                          std::optional<ReportReply> reply) {
  Asked* f = find(e.get());
  if (!f || f->answered) {
    log::engine().debug("engine {}: late reply ignored", e->id);
    return done() ? Progress::Done : Progress::Waiting;
  }
  f->deadline.reset();
  --*awaited_;
  f->answered = true;
  if (!reply)
    log::engine().warn("engine {}: no usable reply to report, treating it as resume", e->id);
  if (waiting_on_ != e) {
    // A concurrent engine answered before its turn: the pass takes the reply in its turn (the
    // combined action, signal, abort, return value), but the engine's own hold takes it now,
    // as utrace's did when a callback returned: barrier returns, and a control resume sent
    // after this reply clears the stop it asked for. A detach waits for the turn.
    f->reply = std::move(reply);
    const ResumeAction action = f->reply ? f->reply->action : ResumeAction::Resume;
    if (action != ResumeAction::Detach && event_ != EventKind::Death) {
      e->hold = action == ResumeAction::Stop;
      f->hold_applied = true;
      host.reply_applied(e);
    }
    return Progress::Waiting;
  }
  waiting_on_ = nullptr;
  erase(e.get());
  ++next_;
  finish_turn(host, e, reply, false);
  return step(host);
}

ReportPass::Progress ReportPass::resume(PassHost& host) {
  if (waiting_on_ && find(waiting_on_.get())) return Progress::Waiting;  // its reply is owed
  waiting_on_ = nullptr;
  return step(host);
}

bool ReportPass::forget(const Engine* e) {
  erase(e);
  if (waiting_on_.get() != e) return false;
  waiting_on_ = nullptr;
  return true;
}

std::vector<EnginePtr> ReportPass::abandon() {
  std::vector<EnginePtr> had;
  while (!asked_.empty()) {
    had.push_back(asked_.back().engine);
    erase(asked_.back().engine.get());
  }
  waiting_on_ = nullptr;
  next_ = order_.size();
  return had;
}

bool ReportPass::awaits(const Engine* e) const {
  const Asked* f = find(e);
  return f && !(f->answered && f->hold_applied);
}

ReportPass::Asked* ReportPass::find(const Engine* e) {
  for (auto& f : asked_)
    if (f.engine.get() == e) return &f;
  return nullptr;
}

const ReportPass::Asked* ReportPass::find(const Engine* e) const {
  for (const auto& f : asked_)
    if (f.engine.get() == e) return &f;
  return nullptr;
}

void ReportPass::erase(const Engine* e) {
  auto it = std::find_if(asked_.begin(), asked_.end(),
                         [e](const Asked& f) { return f.engine.get() == e; });
  if (it == asked_.end()) return;
  if (!it->answered) {
    UT_ASSERT(*awaited_ > 0, "unanswered report count underflow (engine {})", e->id);
    --*awaited_;
  }
  asked_.erase(it);  // drops its deadline timer, which cancels it
}

void ReportPass::finish_turn(PassHost& host, const EnginePtr& e,
                             const std::optional<ReportReply>& reply, bool hold_applied) {
  apply(host, e, reply ? *reply : ReportReply{}, hold_applied);
  host.reply_applied(e);  // the reply's effect is applied: now barrier() may return
}

void ReportPass::apply(PassHost& host, const EnginePtr& e, const ReportReply& reply,
                       bool hold_applied) {
  if (!e->attached()) return;  // detached meanwhile: its reply is ignored entirely
  const ResumeAction action = reply.action;
  // The signal disposition is replaced by each engine: the last one wins.
  if (signal_ >= 0 && reply.signal) {
    const bool deliver_reported = *reply.signal == ReportReply::kDeliver;
    signal_ = deliver_reported && base_.signal ? base_.signal->signo : *reply.signal;
  }
  if (event_ == EventKind::Death) {
    // Only detach means anything from a death report: it cancels the reap report.
    if (action == ResumeAction::Detach) {
      e->cancel_reap = true;
      host.detach(e);
    }
    return;
  }
  if (action == ResumeAction::Detach) {
    host.detach(e);
    return;
  }
  if (event_ == EventKind::SyscallEntry && reply.abort) {
    abort_ = *reply.abort;  // each engine replaces the choice before it
    retval_ = reply.retval;
  } else if (event_ == EventKind::SyscallExit && reply.retval) {
    retval_ = reply.retval;
  }
  combined_ = utrace::proto::combine(combined_, action);
  if (!hold_applied) e->hold = (action == ResumeAction::Stop);
}

}  // namespace utraced
