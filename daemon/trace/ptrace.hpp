// Thin fallible ptrace wrappers. Each returns 0 or an errno value and never throws.
// ESRCH from a thread believed to be in a ptrace-stop means it was killed out of the stop
// (SIGKILL): callers then wait for its death status instead of treating it as an error.
#pragma once

#include <sys/types.h>

#include <cstdint>

#include "trace/stop_event.hpp"

namespace utraced::ptrace_ops {

// Options set on every seized thread (utrace-semantics.md section 14).
unsigned long base_options();

// PTRACE_SEIZE with base_options(), plus EXITKILL and TRACESECCOMP when asked.
int seize(pid_t tid, bool exitkill = false);
int set_options(pid_t tid, bool exitkill);  // PTRACE_SETOPTIONS, in a stop
int interrupt(pid_t tid);                    // PTRACE_INTERRUPT (sticky if already stopped)
int resume_syscall(pid_t tid, int sig);      // PTRACE_SYSCALL
int resume_cont(pid_t tid, int sig);         // PTRACE_CONT
int resume_singlestep(pid_t tid, int sig);   // PTRACE_SINGLESTEP
int resume_blockstep(pid_t tid, int sig);    // PTRACE_SINGLEBLOCK
int listen(pid_t tid);                       // PTRACE_LISTEN (only from an EVENT_STOP)
int detach(pid_t tid, int sig);              // PTRACE_DETACH
int get_event_msg(pid_t tid, std::uint64_t* msg);
int get_si_code(pid_t tid, int* si_code);
// Rewrites si_signo of the pending siginfo (before restarting with a different signal).
int set_signo(pid_t tid, int signo);
// Fills kind (SyscallEntry/SyscallExit), nr, args / retval. Returns ENOENT if not a syscall stop.
int get_syscall_info(pid_t tid, StopEvent* ev);
int get_orig_syscall_nr(pid_t tid, std::int64_t* nr);

}  // namespace utraced::ptrace_ops
