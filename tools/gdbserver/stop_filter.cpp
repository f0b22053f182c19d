#include "stop_filter.hpp"

#include <csignal>

namespace utracectl::gdbserver {

Verdict StopFilter::sort(ThreadState& t, const std::string& event, const utrace::proto::Report& r,
                         bool step, std::uint64_t addr) const {
  Verdict v;
  if (event == "breakpoint") {
    if (breakpoints_.has(addr)) v.stop = StopEvent{StopKind::Breakpoint, t.tid, SIGTRAP, -1, addr};
    return v;
  }
  if (r.signal && event.rfind("signal", 0) == 0) {
    const int s = r.signal->signo;
    if (s == SIGTRAP && (step || t.stepping)) {
      v.stop = StopEvent{StopKind::Step, t.tid, SIGTRAP};
    } else if (t.inject_signal == s || pass_.count(s)) {
      if (t.inject_signal == s) t.inject_signal = 0;
      v.deliver = true;
    } else {
      v.stop = StopEvent{StopKind::Signal, t.tid, s};
    }
    return v;
  }
  if (event == "syscall_entry" || event == "syscall_exit") {
    const std::int64_t nr = r.syscall ? r.syscall->nr : -1;
    if (catch_syscalls_ && (catch_nrs_.empty() || catch_nrs_.count(nr))) {
      StopEvent e{event == "syscall_entry" ? StopKind::SyscallEntry : StopKind::SyscallReturn,
                  t.tid};
      e.sysno = nr;
      v.stop = e;
    }
  }
  return v;  // quiesce, exit, jctl, another engine's breakpoint...
}

}  // namespace utracectl::gdbserver
