#include "inferior.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <iostream>
#include <stdexcept>
#include <thread>

#include "utrace/proto/wide_values.hpp"

namespace utracectl::gdbserver {

namespace client = utrace::client;
namespace proto = utrace::proto;
using proto::EventKind;
using proto::ResumeAction;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

namespace {

proto::EventMask base_events() {
  proto::EventMask m;
  for (EventKind k :
       {EventKind::Clone, EventKind::Exec, EventKind::Death, EventKind::Reap, EventKind::Signal,
        EventKind::SignalIgn, EventKind::SignalStop, EventKind::SignalTerm, EventKind::SignalCore})
    m.set(k);
  return m;
}

bool is_signal_event(std::string_view ev) { return ev.rfind("signal", 0) == 0; }

}  // namespace

Inferior::Inferior(client::Client& client) : client_(client) {
  // Reports are only queued here; handle() runs from pump(), outside the client's dispatch.
  client_.on_report_deferred(client::kAllEngines,
                             [this](const client::ReportMessage& m) { inbox_.push_back(m); });
  client_.on_event(client::kAllEngines,
                   [this](const client::ReportMessage& m) { inbox_.push_back(m); });
}

void Inferior::attach(int pid) {
  client::AttachOptions o;
  o.pid = pid;
  o.events = base_events();
  o.mode = client::Mode::Sync;
  o.follow = true;  // forked children: gdb hears of them (fork events), or we let them go
  const client::AttachResult r = client_.attach(o);
  pid_ = pid;
  adopt(r.engine, o.events);
  for (int tid : r.tids) threads_.add(tid, pid);
  stop_all();
}

void Inferior::launch(const std::vector<std::string>& argv, bool stdio_is_gdb) {
  client::LaunchOptions o;
  o.argv = argv;
  // Not `exec` yet: a sync exec report in flight would keep launch's wait from seeing the hold.
  o.events = base_events();
  o.events.clear(EventKind::Exec);
  o.mode = client::Mode::Sync;
  o.follow = true;  // forked children: gdb hears of them (fork events), or we let them go
  o.default_signals = {SIGINT, SIGPIPE};  // ignored here, not in the program
  if (stdio_is_gdb) {  // as gdbserver does on stdio: keep the program off the protocol
    o.stdin_path = "/dev/null";
    o.stdio_fds[1] = 2;
  }
  const client::LaunchResult r = client_.launch(o);
  pid_ = r.pid;
  launched_ = true;
  if (!r.untraced.empty()) throw std::runtime_error("the program runs untraced: " + r.untraced);
  adopt(r.engine, o.events);
  ThreadState& t = threads_.add(pid_, pid_);
  t.held = true;  // at its exec stop, by hold_at_exec
  t.running = false;
  update_events(false);  // now with exec
}

void Inferior::adopt(client::EngineId engine, proto::EventMask events) {
  engine_ = engine;
  current_events_ = events;
  breakpoints_ = std::make_unique<BreakpointTable>(client_, engine_);
  filter_ = std::make_unique<StopFilter>(*breakpoints_);
  stopper_ = std::make_unique<ThreadStopper>(client_, engine_, threads_);
}

bool Inferior::wait_io(int other_fd, milliseconds timeout) {
  pump();
  if (!inbox_.empty()) return false;
  struct pollfd p[2] = {{client_.socket_fd(), POLLIN, 0}, {other_fd, POLLIN, 0}};
  const int n = other_fd >= 0 ? 2 : 1;
  int r;
  do r = ::poll(p, n, static_cast<int>(timeout.count()));
  while (r < 0 && errno == EINTR);
  pump();
  return n == 2 && r > 0 && (p[1].revents & (POLLIN | POLLHUP | POLLERR));
}

void Inferior::pump() {
  while (client_.is_open() && client_.run_one(client::Client::Duration::zero())) {
  }
  while (!inbox_.empty()) {
    client::ReportMessage m = std::move(inbox_.front());
    inbox_.pop_front();
    handle(std::move(m));
  }
}

void Inferior::handle(client::ReportMessage m) {
  const proto::Report& r = m.report;
  const nlohmann::json p = m.params();
  const std::string ev = p.value("event", "");
  ThreadState* tp = threads_.find(r.tid);
  if (!tp) {
    if (r.pid != pid_) {  // a process gdb was not told of (a vfork child we let go)
      if (m.is_report) answer(m, ResumeAction::Resume);
      return;
    }
    tp = &threads_.add(r.tid, r.pid);
  }
  ThreadState& t = *tp;
  if (!m.is_report) {
    if (ev == "reap") {
      t.dead = true;
      if (r.engine_gone.value_or(false) || threads_.empty(pid_)) exited_ = true;
    }
    return;
  }
  if (ev == "death") {
    answer(m, ResumeAction::Resume);
    note_death(t, r);
    return;
  }
  if (ev == "clone") {
    if (!r.child) return pass_on(t, std::move(m), false);
    const int child_pid = r.child_pid.value_or(r.pid);
    if (child_pid == r.pid) {
      threads_.add(*r.child, r.pid);
      return pass_on(t, std::move(m), false);
    }
    if (r.clone.value_or("") == "fork" && report_fork_ && r.pid == pid_) {
      threads_.add(*r.child, child_pid);  // held by stop_all until gdb detaches it (D;pid)
      StopEvent e{StopKind::Fork, t.tid, SIGTRAP};
      e.child_pid = child_pid;
      e.child_tid = *r.child;
      return keep(t, std::move(m), e);
    }
    // vfork (it shares our memory: breakpoints included), clone, or gdb without fork events:
    // the child is not gdb's. Followed only to be let go.
    client_.control(engine_, ResumeAction::Detach, *r.child);
    return pass_on(t, std::move(m), false);
  }
  if (ev == "exec") {
    breakpoints_->clear();  // a new image: the daemon dropped them (ours went with the old one)
    std::optional<StopEvent> e;
    if (t.running && report_exec_) {  // (not the exec stop a launch holds the program at)
      e = StopEvent{StopKind::Exec, t.tid, SIGTRAP};
      e->path = r.path.value_or("");
    }
    if (e || !t.running)
      keep(t, std::move(m), e);
    else
      pass_on(t, std::move(m), false);
    return;
  }
  if (fallback_trap(t, m)) return;
  const std::uint64_t addr = proto::read_u64(p.value("addr", nlohmann::json())).value_or(0);
  const Verdict v = filter_->sort(t, ev, r, p.value("step", false), addr);
  if (v.stop)
    keep(t, std::move(m), v.stop);
  else
    pass_on(t, std::move(m), v.deliver);
}

bool Inferior::fallback_trap(ThreadState& t, client::ReportMessage& m) {
  // Our own int3 (a daemon without insert_breakpoint): SIGTRAP, SI_KERNEL, rip just after it.
  const proto::Report& r = m.report;
  if (!breakpoints_->fallback() || !r.signal || r.signal->signo != SIGTRAP ||
      r.signal->code != 0x80 || t.stepping)
    return false;
  const nlohmann::json regs = client_.get_regs(engine_, t.tid);
  const std::uint64_t rip = proto::read_u64(regs["rip"]).value_or(0);
  if (!breakpoints_->has(rip - 1)) return false;
  client_.set_regs(engine_, {{"rip", proto::hex_u64(rip - 1)}}, t.tid);
  keep(t, std::move(m), StopEvent{StopKind::Breakpoint, t.tid, SIGTRAP, -1, rip - 1});
  return true;
}

void Inferior::pass_on(ThreadState& t, client::ReportMessage m, bool deliver_signal) {
  if (!t.stopping) {
    answer(m, ResumeAction::Resume,
           deliver_signal ? std::optional<int>(proto::ReportReply::kDeliver) : std::nullopt);
    return;
  }
  // We are stopping this thread: this stop is it (answering would release our hold).
  keep(t, std::move(m), std::nullopt);
  t.deliver_kept = deliver_signal;
}

void Inferior::keep(ThreadState& t, client::ReportMessage m, std::optional<StopEvent> ev) {
  if (t.report) answer(*t.report, ResumeAction::Stop);  // cannot happen: one pass at a time
  t.report = std::move(m);
  t.running = false;
  t.stopping = false;
  t.stepping = false;
  t.deliver_kept = false;
  t.forget_registers();
  if (ev) t.pending = ev;
}

void Inferior::answer(const client::ReportMessage& m, ResumeAction action,
                      std::optional<int> signal) {
  proto::ReportReply reply;
  reply.action = action;
  reply.signal = signal;
  client_.reply(m, reply);
}

void Inferior::note_death(ThreadState& t, const proto::Report& r) {
  t.dead = true;
  t.running = false;
  t.held = false;
  t.report.reset();
  t.pending.reset();
  if (r.status && (t.tid == pid_ || !have_leader_status_)) {
    exit_status_ = *r.status;
    have_leader_status_ = t.tid == pid_;
  }
  if (threads_.empty(pid_)) exited_ = true;
}

std::optional<StopEvent> Inferior::take_stop() {
  if (exited_) {
    if (exit_reported_) return std::nullopt;
    exit_reported_ = true;
    reap_child();
    StopEvent e{StopKind::Exited, pid_};
    e.status = exit_status_;
    return e;
  }
  for (auto& [tid, t] : threads_.all()) {
    if (t.dead || !t.pending || !t.resumed) continue;  // the others' wait for their resume
    StopEvent e = *t.pending;
    t.pending.reset();
    t.resumed = false;
    return e;
  }
  return std::nullopt;
}

void Inferior::reap_child() {
  if (!launched_) return;
  const auto deadline = Clock::now() + std::chrono::seconds(5);
  for (;;) {
    int status = 0;
    const pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      exit_status_ = status;
      return;
    }
    if ((r < 0 && errno != EINTR) || Clock::now() > deadline) return;
    std::this_thread::sleep_for(milliseconds(5));
  }
}

void Inferior::stop_threads(const std::set<int>& tids, StopKind kind, int signo) {
  stopper_->stop_all([this] { pump(); }, &tids);
  for (int tid : tids)
    if (ThreadState* t = threads_.find(tid); t && t->stopped() && !t->pending)
      t->pending = StopEvent(kind, tid, signo);
}

int Inferior::borrow_thread() {
  for (int tid : threads_.live(pid_)) {
    const std::set<int> one{tid};
    stopper_->stop_all([this] { pump(); }, &one);
    if (threads_.find(tid)->stopped()) return tid;
  }
  return 0;
}

void Inferior::give_back(int tid) {
  ThreadState* t = threads_.find(tid);
  if (t && t->stopped() && !t->pending) stopper_->release(*t, false, 0);
}

void Inferior::stop_all() {
  for (auto& [tid, t] : threads_.all()) t.resumed = false;  // gdb sees them all stopped
  stopper_->stop_all([this] { pump(); });
}

std::optional<StopEvent> Inferior::resume(const std::vector<Action>& actions, bool non_stop) {
  pump();
  if (exited_) return take_stop();  // nullopt once told: gdb knows
  for (const Action& a : actions)
    if (ThreadState* t = threads_.find(a.tid)) t->resumed = true;
  for (const Action& a : actions) {
    ThreadState* t = threads_.find(a.tid);
    if (!t || !t->pending) continue;
    if ((t->pending->kind == StopKind::Breakpoint && !breakpoints_->has(t->pending->addr)) ||
        (t->pending->kind == StopKind::Step && !a.step)) {
      // A breakpoint gone: rip is at its address already and runs the original instruction.
      // A step done while another thread's stop was reported: gdb no longer steps it.
      t->pending.reset();
      continue;
    }
    if (non_stop) continue;  // it stays stopped; take_stop() tells gdb
    StopEvent e = *t->pending;
    t->pending.reset();
    t->resumed = false;
    return e;
  }
  bool control_step = false;
  for (const Action& a : actions) {
    ThreadState* t = threads_.find(a.tid);
    if (t && a.step && !t->report) control_step = true;
  }
  update_events(control_step);  // control singlestep needs quiesce
  for (const Action& a : actions) {
    ThreadState* t = threads_.find(a.tid);
    if (t && !t->dead && !t->running && !t->pending) stopper_->release(*t, a.step, a.signo);
  }
  return std::nullopt;
}

void Inferior::update_events(bool quiesce) {
  proto::EventMask m = base_events();
  if (filter_->catching_syscalls()) {
    m.set(EventKind::SyscallEntry);
    m.set(EventKind::SyscallExit);
  }
  if (quiesce) m.set(EventKind::Quiesce);
  if (quiesce == quiesce_ && m == current_events_) return;
  quiesce_ = quiesce;
  current_events_ = m;
  client_.set_events(engine_, m);
}

int Inferior::examine_tid(int preferred) {
  if (ThreadState* t = threads_.find(preferred); t && t->stopped()) return preferred;
  for (auto& [tid, t] : threads_.all())
    if (t.stopped()) return tid;
  return 0;
}

std::string Inferior::read_memory(std::uint64_t addr, std::size_t size, int tid) {
  std::string bytes = client_.read_memory(engine_, addr, size, tid);
  breakpoints_->hide(addr, bytes);
  return bytes;
}

std::size_t Inferior::write_memory(std::uint64_t addr, std::string bytes, int tid) {
  breakpoints_->shield(addr, bytes);
  return client_.write_memory(engine_, addr, bytes, tid);
}

void Inferior::set_syscall_catch(bool on, std::set<std::int64_t> nrs) {
  filter_->set_syscall_catch(on, std::move(nrs));
  update_events(quiesce_);
}

void Inferior::detach() {
  pump();
  if (const int tid = examine_tid(0)) breakpoints_->remove_all(tid);
  for (auto& [tid, t] : threads_.all()) {
    if (!t.report) continue;
    const client::ReportMessage m = std::move(*t.report);
    t.report.reset();
    const bool sig = m.report.signal && is_signal_event(proto::to_string(m.report.event));
    // A signal gdb stopped at goes to the program; our own traps never do.
    if (sig)
      answer(m, ResumeAction::Resume, m.report.signal->signo == SIGTRAP ? 0 : -1);
    else
      answer(m, ResumeAction::Resume);
  }
  client_.control(engine_, ResumeAction::Detach);
}

void Inferior::detach_process(int pid) {
  for (auto& [tid, t] : threads_.all()) {
    if (t.pid != pid || t.dead) continue;
    if (t.report) {
      const client::ReportMessage m = std::move(*t.report);
      t.report.reset();
      answer(m, ResumeAction::Resume);
    }
    client_.control(engine_, ResumeAction::Detach, tid);
    t.dead = true;
  }
}

void Inferior::kill() {
  ::kill(pid_, SIGKILL);
  const auto deadline = Clock::now() + std::chrono::seconds(10);
  while (!exited_ && Clock::now() < deadline && client_.is_open()) wait_io(-1, milliseconds(100));
  exit_reported_ = true;
  reap_child();
}

}  // namespace utracectl::gdbserver
