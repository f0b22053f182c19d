#include "thread_stopper.hpp"

#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <iostream>

namespace utracectl::gdbserver {

namespace client = utrace::client;
namespace proto = utrace::proto;
using proto::ResumeAction;
using Clock = std::chrono::steady_clock;

void ThreadStopper::stop_all(const std::function<void()>& pump, const std::set<int>* only) {
  const auto deadline = Clock::now() + std::chrono::seconds(10);
  for (;;) {
    pump();
    int waiting_on = 0;
    for (auto& [tid, t] : threads_.all()) {
      if (t.dead || !t.running || (only && !only->count(tid))) continue;
      if (!t.stopping) {
        const int rc = client_.control(engine_, ResumeAction::Stop, tid);
        if (rc == 0) {  // stopped already (job control, another engine's hold)
          t.held = true;
          t.running = false;
          continue;
        }
        if (rc != EINPROGRESS) {  // ESRCH: gone; its death report says so
          t.running = false;
          continue;
        }
        t.held = true;  // applies at its next stop
        t.stopping = true;
      }
      if (!waiting_on) waiting_on = tid;
    }
    if (!waiting_on) return;
    if (Clock::now() > deadline) {
      std::cerr << "utracectl gdbserver: thread " << waiting_on << " does not stop\n";
      return;
    }
    // A report sent before this wait is not waited for: the short timeout goes back to pump().
    std::string reason;
    const int rc = client_.wait(engine_, std::chrono::milliseconds(100), &reason, waiting_on);
    ThreadState* t = threads_.find(waiting_on);
    if (t && ((rc == 0 && reason == "stopped") || rc == ESRCH)) {
      t->running = false;  // held (or gone: its death report comes)
      t->stopping = false;
    }
  }
}

void ThreadStopper::release(ThreadState& t, bool step, int signo) {
  t.forget_registers();
  const ResumeAction action = step ? ResumeAction::SingleStep : ResumeAction::Resume;
  if (t.report) {
    const client::ReportMessage m = std::move(*t.report);
    t.report.reset();
    proto::ReportReply reply;
    reply.action = action;
    const bool signal_report =
        m.report.signal && proto::to_string(m.report.event).rfind("signal", 0) == 0;
    if (signal_report)  // 0: ignore it (gdb saw it and said no signal), unless gdb passes it
      reply.signal = signo ? signo : t.deliver_kept ? proto::ReportReply::kDeliver : 0;
    else if (signo)
      inject(t, signo);
    client_.reply(m, reply);  // ends our hold too, if we had one
    if (!step && t.held) client_.control(engine_, ResumeAction::Resume, t.tid);
  } else {
    if (signo) inject(t, signo);
    client_.control(engine_, action, t.tid);
  }
  t.held = false;
  t.stopping = false;
  t.running = true;
  t.stepping = step;
}

void ThreadStopper::inject(ThreadState& t, int signo) {
  // gdb's C/S for a thread that did not stop at a signal: queue it; delivered when it comes.
  t.inject_signal = signo;
  ::syscall(SYS_tgkill, t.pid, t.tid, signo);
}

}  // namespace utracectl::gdbserver
