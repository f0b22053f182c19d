// strace's lines for signals and deaths: "--- SIGCHLD {si_signo=SIGCHLD, ...} ---",
// "+++ exited with 0 +++", "+++ killed by SIGTERM +++".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace utrace::decode {

// What is known of a delivered signal. A report today carries signo and si_code only; the
// other fields come from the raw siginfo (128 bytes) once the daemon ships it.
struct SignalDetails {
  int signo = 0;
  int code = 0;
  std::optional<int> pid, uid, status;
  std::optional<long> utime, stime;
  std::optional<std::uint64_t> addr;
};

// Parses the kernel's siginfo_t (x86-64 layout).
SignalDetails signal_details_from_siginfo(std::string_view siginfo);
// "--- SIGCHLD {si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=1, si_uid=0, si_status=0, si_utime=0, si_stime=0} ---"
// Fields that are not known are left out.
std::string signal_line(const SignalDetails& d);
// "+++ exited with 3 +++" or "+++ killed by SIGSEGV (core dumped) +++" from a wait status.
std::string death_line(int wait_status);
// The si_code name for a signal ("SI_USER", "CLD_EXITED", "SEGV_MAPERR"), or a number.
std::string si_code_name(int signo, int code);

}  // namespace utrace::decode
