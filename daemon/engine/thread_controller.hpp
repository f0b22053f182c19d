// ThreadController: the engine layer's only way to ptrace. It owns the Tracer (the table of
// seized threads) and offers what engines may do to a thread, each request checked against
// the thread's state first (ptrace requests need a ptrace-stop: asserted, not hoped for).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "trace/restart.hpp"
#include "trace/tracer.hpp"

namespace utraced {

class ThreadController {
 public:
  ThreadController(StopSink& sink, boost::asio::io_context& io) : tracer_(sink, io) {}

  Tracer& tracer() { return tracer_; }
  const Tracer& tracer() const { return tracer_; }
  ThreadPtr find(pid_t tid) const { return tracer_.find(tid); }

  // PTRACE_SEIZE (0 or an errno); adopt a child the kernel attached.
  int seize(pid_t tid, pid_t tgid, ThreadPtr* out, bool exitkill) {
    return tracer_.seize(tid, tgid, out, exitkill);
  }
  ThreadPtr adopt(pid_t tid, pid_t tgid, const ThreadPtr& parent) {
    return tracer_.adopt(tid, tgid, parent);
  }

  // Running or LISTENing: PTRACE_INTERRUPT (once). Otherwise nothing.
  void interrupt(const ThreadPtr& t) { tracer_.interrupt(t); }
  // Carries out a restart decision of a Stopped thread.
  void restart(const ThreadPtr& t, RestartDecision d);
  // PTRACE_O_EXITKILL on or off (a Stopped thread); true when the option is now as asked.
  bool set_exitkill(const ThreadPtr& t, bool on);
  // At a syscall-entry stop: skip the syscall (its number becomes -1). 0 or an errno.
  int skip_syscall(const ThreadPtr& t);
  // At a syscall-exit stop: the value the syscall returns.
  void set_return_value(const ThreadPtr& t, std::int64_t value);
  // At a syscall-entry stop: reads number and arguments again into t->stop (an engine may
  // have changed them while it held the thread).
  void reread_syscall(const ThreadPtr& t);
  // The tid is still our tracee in a ptrace-stop (the kernel answers ESRCH otherwise: killed,
  // or the tid now names another task).
  bool still_stopped(const ThreadPtr& t) const;

 private:
  Tracer tracer_;
};

}  // namespace utraced
