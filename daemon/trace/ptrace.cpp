#include "trace/ptrace.hpp"

#include <signal.h>
#include <sys/ptrace.h>
#include <sys/user.h>

#include <cerrno>
#include <cstddef>

namespace utraced::ptrace_ops {
namespace {

int call(int request, pid_t tid, void* addr, void* data) {
  errno = 0;
  long r = ::ptrace(static_cast<__ptrace_request>(request), tid, addr, data);
  return r == -1 && errno != 0 ? errno : 0;
}

void* sig_arg(int sig) { return reinterpret_cast<void*>(static_cast<long>(sig)); }

}  // namespace

// PTRACE_O_TRACESECCOMP always: a SECCOMP_RET_TRACE syscall of a thread whose tracer did not
// ask for seccomp stops fails with ENOSYS. With it, any thread's RET_TRACE filter is honoured
// (its trapped syscalls stop and then run), whoever installed the filter.
unsigned long base_options() {
  return PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACECLONE | PTRACE_O_TRACEFORK |
         PTRACE_O_TRACEVFORK | PTRACE_O_TRACEVFORKDONE | PTRACE_O_TRACEEXEC |
         PTRACE_O_TRACEEXIT | PTRACE_O_TRACESECCOMP;
}

int seize(pid_t tid, bool exitkill) {
  unsigned long o = base_options() | (exitkill ? PTRACE_O_EXITKILL : 0);
  return call(PTRACE_SEIZE, tid, nullptr, reinterpret_cast<void*>(o));
}
int set_options(pid_t tid, bool exitkill) {
  unsigned long o = base_options() | (exitkill ? PTRACE_O_EXITKILL : 0);
  return call(PTRACE_SETOPTIONS, tid, nullptr, reinterpret_cast<void*>(o));
}
int interrupt(pid_t tid) { return call(PTRACE_INTERRUPT, tid, nullptr, nullptr); }
int resume_syscall(pid_t tid, int sig) { return call(PTRACE_SYSCALL, tid, nullptr, sig_arg(sig)); }
int resume_cont(pid_t tid, int sig) { return call(PTRACE_CONT, tid, nullptr, sig_arg(sig)); }
int resume_singlestep(pid_t tid, int sig) {
  return call(PTRACE_SINGLESTEP, tid, nullptr, sig_arg(sig));
}
int resume_blockstep(pid_t tid, int sig) {
  return call(PTRACE_SINGLEBLOCK, tid, nullptr, sig_arg(sig));
}
int listen(pid_t tid) { return call(PTRACE_LISTEN, tid, nullptr, nullptr); }
int detach(pid_t tid, int sig) { return call(PTRACE_DETACH, tid, nullptr, sig_arg(sig)); }

int get_event_msg(pid_t tid, std::uint64_t* msg) {
  unsigned long m = 0;
  int r = call(PTRACE_GETEVENTMSG, tid, nullptr, &m);
  *msg = m;
  return r;
}

int get_si_code(pid_t tid, int* si_code) {
  siginfo_t si{};
  int r = call(PTRACE_GETSIGINFO, tid, nullptr, &si);
  *si_code = si.si_code;
  return r;
}

int set_signo(pid_t tid, int signo) {
  siginfo_t si{};
  if (int r = call(PTRACE_GETSIGINFO, tid, nullptr, &si)) return r;
  si.si_signo = signo;
  return call(PTRACE_SETSIGINFO, tid, nullptr, &si);
}

int get_syscall_info(pid_t tid, StopEvent* ev) {
  struct __ptrace_syscall_info info {};
  errno = 0;
  long n = ::ptrace(static_cast<__ptrace_request>(PTRACE_GET_SYSCALL_INFO), tid,
                    reinterpret_cast<void*>(sizeof info), &info);
  if (n < 0) return errno;
  switch (info.op) {
    case PTRACE_SYSCALL_INFO_ENTRY:
      ev->kind = StopKind::SyscallEntry;
      ev->syscall_nr = static_cast<std::int64_t>(info.entry.nr);
      for (int i = 0; i < 6; ++i) ev->args[i] = info.entry.args[i];
      return 0;
    case PTRACE_SYSCALL_INFO_SECCOMP:
      ev->kind = StopKind::Seccomp;
      ev->syscall_nr = static_cast<std::int64_t>(info.seccomp.nr);
      for (int i = 0; i < 6; ++i) ev->args[i] = info.seccomp.args[i];
      return 0;
    case PTRACE_SYSCALL_INFO_EXIT:
      ev->kind = StopKind::SyscallExit;
      ev->retval = info.exit.rval;
      ev->is_error = info.exit.is_error != 0;
      return 0;
    default:
      return ENOENT;
  }
}

int get_orig_syscall_nr(pid_t tid, std::int64_t* nr) {
  errno = 0;
  long v = ::ptrace(PTRACE_PEEKUSER, tid,
                    reinterpret_cast<void*>(offsetof(struct user_regs_struct, orig_rax)), nullptr);
  if (v == -1 && errno != 0) return errno;
  *nr = v;
  return 0;
}

}  // namespace utraced::ptrace_ops
