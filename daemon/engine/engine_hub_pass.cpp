// Report passes of the EngineHub: a ReportPass per stop (or death), connected to the clients
// by a PassLink, and the end of each pass (its result applied, then one restart decision).
#include <boost/asio/post.hpp>
#include <cerrno>

#include <algorithm>

#include "engine/engine_hub.hpp"
#include "sys/access_policy.hpp"
#include "util/check.hpp"
#include "util/log.hpp"

namespace utraced {

using utrace::proto::EventKind;
using utrace::proto::Report;
using utrace::proto::ReportReply;
using utrace::proto::ResumeAction;

// The PassHost of one thread's pass: sends through the engines' client links, and brings
// replies, deadlines and drained output back to the pass with the pass's token (a reply to an
// older pass finds no pass of that token and changes nothing).
class EngineHub::PassLink final : public PassHost {
 public:
  PassLink(EngineHub& hub, const ThreadPtr& t, std::uint64_t token)
      : hub_(hub), t_(t), token_(token) {}

  // A `wait` woken by a report is answered after that report (PROTOCOL.md, wait): the wake
  // comes after the send (an event line still in the write batch goes out before the reply).
  std::shared_ptr<void> send_report(const EnginePtr& e, const Report& r) override {
    ++hub_.stats_.reports_sent;
    std::weak_ptr<TracedThread> wt = t_;
    std::weak_ptr<Engine> we = e;
    std::shared_ptr<boost::asio::steady_timer> timer;
    if (e->report_timeout.count() > 0) {
      timer = std::make_shared<boost::asio::steady_timer>(hub_.io_, e->report_timeout);
      timer->async_wait([&hub = hub_, wt, we, token = token_](const boost::system::error_code& ec) {
        auto t2 = wt.lock();
        auto e2 = we.lock();
        if (ec || !t2 || !e2) return;
        log::engine().warn("engine {}: no reply within {} ms, applying the default action",
                           e2->id, e2->report_timeout.count());
        hub.on_reply(t2, e2, token, std::nullopt);
      });
    }
    e->client->send_report(r, [&hub = hub_, wt, we, token = token_](
                                  std::optional<ReportReply> reply) {
      auto t2 = wt.lock();
      auto e2 = we.lock();
      if (t2 && e2) hub.on_reply(t2, e2, token, std::move(reply));
    });
    hub_.waiters_.wake(e, "report");
    return timer;
  }

  void send_event(const EnginePtr& e, const Report& r,
                  utrace::proto::EventLineCache& lines) override {
    ++hub_.stats_.events_sent;
    e->client->send_event(r, &lines);
    hub_.waiters_.wake(e, "report");
  }

  bool backlogged(const Engine& e) override { return e.client->backlogged(); }

  void wait_drained(const EnginePtr& e) override {
    std::weak_ptr<TracedThread> wt = t_;
    e->client->on_drained([&hub = hub_, wt, token = token_] {
      auto t2 = wt.lock();
      if (!t2) return;
      auto& x = thread_engines(*t2);
      if (!x.pass || x.pass->token() != token || x.pass->idle()) return;
      PassLink link(hub, t2, token);
      hub.advance(t2, x.pass->resume(link));
    });
  }

  void reply_applied(const EnginePtr& e) override {
    if (e->set) hub_.waiters_.check_barriers(e->set);
  }

  void detach(const EnginePtr& e) override { hub_.drop_engine(e); }

 private:
  EngineHub& hub_;
  ThreadPtr t_;
  std::uint64_t token_;
};

bool EngineHub::start_pass(const ThreadPtr& t, PassSpec spec, ThreadPtr held_child) {
  auto& x = thread_engines(*t);
  UT_ASSERT(!x.pass, "tid={}: a pass started while pass {} runs", t->tid, x.pass->token());
  x.splice_attaching();
  const std::int64_t nr = spec.base.syscall ? spec.base.syscall->nr
                         : spec.base.addr  ? static_cast<std::int64_t>(*spec.base.addr)
                                           : -1;
  bool any = false;
  for (auto& e : x.engines) any = any || e->interested(spec.event, nr);
  if (!any) return false;
  spec.base.seq = ++x.seq;
  const auto token = next_token_++;
  x.pass = std::make_unique<ReportPass>(token, spec.event, std::move(spec.base), x.engines,
                                        spec.reverse, spec.signal, &reports_awaited_);
  x.pass->held_child = std::move(held_child);
  add_capture(t, *x.pass);
  PassLink link(*this, t, token);
  advance(t, x.pass->start(link));
  return true;
}

void EngineHub::add_capture(const ThreadPtr& t, ReportPass& pass) {
  const EventKind ev = pass.event();
  const bool entry = ev == EventKind::SyscallEntry, exit = ev == EventKind::SyscallExit;
  const bool signal = ev == EventKind::Signal || ev == EventKind::SignalIgn ||
                      ev == EventKind::SignalStop || ev == EventKind::SignalTerm ||
                      ev == EventKind::SignalCore;
  if (!entry && !exit && !signal) return;
  auto& x = thread_engines(*t);
  const Report& base = pass.base();
  const std::int64_t nr = base.syscall ? base.syscall->nr : -1;
  std::vector<const Engine*> to;
  CaptureOptions options{0, false};
  for (const auto& e : x.engines) {
    if (!e->attached() || !e->capture || !e->wants_event(ev, nr)) continue;
    // ptrace_access_vm's rule, as for read_memory: no memory of a thread that made itself
    // non-dumpable since the attach, unless the client has CAP_SYS_PTRACE.
    if (!memory_readable_now(e->client->creds(), t->tid)) continue;
    to.push_back(e.get());
    options.strsize = std::max(options.strsize, e->capture->strsize);
    options.fd_paths = options.fd_paths || e->capture->fd_paths;
  }
  if (to.empty()) {
    if (entry) x.capture.forget();  // this call's exit has nothing to finish
    return;
  }
  utrace::proto::Capture c;
  if (signal) c = SyscallCapture::at_signal(t->tid);
  else if (entry) c = x.capture.at_entry(t->tid, nr, base.syscall->args, options);
  else c = x.capture.at_exit(t->tid, nr, base.retval.value_or(0), options);
  ++stats_.captures;
  pass.set_capture(std::make_shared<const utrace::proto::Capture>(std::move(c)), std::move(to));
}

void EngineHub::advance(const ThreadPtr& t, ReportPass::Progress progress) {
  if (progress == ReportPass::Progress::Done) finish_pass(t);
}

void EngineHub::on_reply(const ThreadPtr& t, const EnginePtr& e, std::uint64_t token,
                         std::optional<ReportReply> reply) {
  auto& x = thread_engines(*t);
  if (!x.pass || x.pass->token() != token) {
    log::engine().debug("engine {}: late reply ignored", e->id);
    return;  // detached while reporting, or the thread died: the reply means nothing now
  }
  PassLink link(*this, t, token);
  advance(t, x.pass->on_reply(link, e, std::move(reply)));
}

void EngineHub::resume_later(const ThreadPtr& t) {
  // Never from inside a pass's own call (drop_engine runs inside apply): posted.
  const auto token = thread_engines(*t).pass->token();
  boost::asio::post(io_, [this, t, token] {
    auto& x = thread_engines(*t);
    if (!x.pass || x.pass->token() != token || !x.pass->idle()) return;
    PassLink link(*this, t, token);
    advance(t, x.pass->resume(link));
  });
}

void EngineHub::abandon_pass(const ThreadPtr& t) {
  auto& x = thread_engines(*t);
  if (!x.pass) return;
  // The thread left the stop without us (SIGKILL): the replies still owed mean nothing now.
  auto pass = std::move(x.pass);
  auto had = pass->abandon();
  auto child = std::move(pass->held_child);
  pass.reset();
  for (auto& e : had)
    if (e->set) waiters_.check_barriers(e->set);
  if (child) release_child(child);
}

void EngineHub::finish_pass(const ThreadPtr& t) {
  auto& x = thread_engines(*t);
  auto p = std::move(x.pass);
  UT_ASSERT(p && p->done(), "tid={}: finish of a pass that is not done", t->tid);
  // Engines had their chance to attach to (and stop) the new child: let it go on.
  if (p->held_child) release_child(p->held_child);
  if (p->event() == EventKind::Death) return reap(t);
  if (p->event() == EventKind::Reap) return;
  if (p->signal() >= 0) x.deliver_signal = p->signal();
  if (p->event() == EventKind::SyscallEntry && p->abort()) {
    // Skip the syscall (nr -1); its exit stop, which needs PTRACE_SYSCALL, sets the result.
    if (controller_.skip_syscall(t) == 0) x.aborted_retval = p->retval().value_or(-ENOSYS);
  } else if (p->event() == EventKind::SyscallExit && p->retval()) {
    controller_.set_return_value(t, *p->retval());
  }
  switch (p->combined()) {
    case ResumeAction::SingleStep:
    case ResumeAction::BlockStep:
      x.step_request = utrace::proto::combine(x.step_request, p->combined());
      break;
    case ResumeAction::Report:
    case ResumeAction::Interrupt:
      // Some engine wants to hear again before the thread runs: one quiesce pass, which cannot
      // ask for another (utrace downgrades REPORT/INTERRUPT there to avoid loops).
      if (p->event() != EventKind::Quiesce) x.report_requested = true;
      break;
    default:
      break;
  }
  settle(t);
}

}  // namespace utraced
