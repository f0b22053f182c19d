#include "signal_line.hpp"

#include <sys/wait.h>

#include <csignal>
#include <cstring>

#include <fmt/format.h>

#include "struct_printer.hpp"
#include "xlat.hpp"

namespace utrace::decode {

std::string si_code_name(int signo, int code) {
  switch (code) {
    case 0: return "SI_USER";
    case 0x80: return "SI_KERNEL";
    case -1: return "SI_QUEUE";
    case -2: return "SI_TIMER";
    case -3: return "SI_MESGQ";
    case -4: return "SI_ASYNCIO";
    case -5: return "SI_SIGIO";
    case -6: return "SI_TKILL";
    case -7: return "SI_DETHREAD";
    case -60: return "SI_ASYNCNL";
    default: break;
  }
  static constexpr const char* kChld[] = {"CLD_EXITED", "CLD_KILLED", "CLD_DUMPED", "CLD_TRAPPED", "CLD_STOPPED", "CLD_CONTINUED"};
  static constexpr const char* kSegv[] = {"SEGV_MAPERR", "SEGV_ACCERR", "SEGV_BNDERR", "SEGV_PKUERR", "SEGV_ACCADI", "SEGV_ADIDERR", "SEGV_ADIPERR", "SEGV_MTEAERR", "SEGV_MTESERR", "SEGV_CPERR"};
  static constexpr const char* kBus[] = {"BUS_ADRALN", "BUS_ADRERR", "BUS_OBJERR", "BUS_MCEERR_AR", "BUS_MCEERR_AO"};
  static constexpr const char* kIll[] = {"ILL_ILLOPC", "ILL_ILLOPN", "ILL_ILLADR", "ILL_ILLTRP", "ILL_PRVOPC", "ILL_PRVREG", "ILL_COPROC", "ILL_BADSTK", "ILL_BADIADDR"};
  static constexpr const char* kFpe[] = {"FPE_INTDIV", "FPE_INTOVF", "FPE_FLTDIV", "FPE_FLTOVF", "FPE_FLTUND", "FPE_FLTRES", "FPE_FLTINV", "FPE_FLTSUB", "FPE_FLTUNK", "FPE_CONDTRAP"};
  static constexpr const char* kTrap[] = {"TRAP_BRKPT", "TRAP_TRACE", "TRAP_BRANCH", "TRAP_HWBKPT", "TRAP_UNK", "TRAP_PERF"};
  static constexpr const char* kPoll[] = {"POLL_IN", "POLL_OUT", "POLL_MSG", "POLL_ERR", "POLL_PRI", "POLL_HUP"};
  auto pick = [&](const auto& names) -> std::string {
    const auto n = sizeof(names) / sizeof(names[0]);
    if (code >= 1 && static_cast<std::size_t>(code) <= n) return names[code - 1];
    return fmt::format("{}", code);
  };
  switch (signo) {
    case SIGCHLD: return pick(kChld);
    case SIGSEGV: return pick(kSegv);
    case SIGBUS: return pick(kBus);
    case SIGILL: return pick(kIll);
    case SIGFPE: return pick(kFpe);
    case SIGTRAP: return pick(kTrap);
    case SIGIO: return pick(kPoll);
    default: return fmt::format("{}", code);
  }
}

SignalDetails signal_details_from_siginfo(std::string_view b) {
  SignalDetails d;
  d.signo = static_cast<std::int32_t>(field_u32(b, 0));
  d.code = static_cast<std::int32_t>(field_u32(b, 8));
  const bool user = d.code <= 0;  // SI_USER, SI_QUEUE, SI_TKILL...: sender's pid and uid
  if (d.signo == SIGCHLD && d.code > 0) {
    d.pid = static_cast<std::int32_t>(field_u32(b, 16));
    d.uid = static_cast<std::int32_t>(field_u32(b, 20));
    d.status = static_cast<std::int32_t>(field_u32(b, 24));
    d.utime = static_cast<long>(field_u64(b, 32));
    d.stime = static_cast<long>(field_u64(b, 40));
  } else if (user) {
    d.pid = static_cast<std::int32_t>(field_u32(b, 16));
    d.uid = static_cast<std::int32_t>(field_u32(b, 20));
  } else if (d.signo == SIGSEGV || d.signo == SIGBUS || d.signo == SIGILL || d.signo == SIGFPE ||
             d.signo == SIGTRAP) {
    d.addr = field_u64(b, 16);
  }
  return d;
}

namespace {
std::string ticks(long t) {
  if (t == 0) return "0";
  return fmt::format("{} /* {}.{:02} s */", t, t / 100, t % 100);
}
}  // namespace

std::string signal_line(const SignalDetails& d) {
  std::string out = fmt::format("--- {} {{si_signo={}, si_code={}", signal_name(d.signo),
                                signal_name(d.signo), si_code_name(d.signo, d.code));
  if (d.pid) out += fmt::format(", si_pid={}", *d.pid);
  if (d.uid) out += fmt::format(", si_uid={}", *d.uid);
  if (d.status) {
    if (d.code == 1) out += fmt::format(", si_status={}", *d.status);  // CLD_EXITED
    else out += ", si_status=" + signal_name(*d.status);
  }
  if (d.utime) out += ", si_utime=" + ticks(*d.utime);
  if (d.stime) out += ", si_stime=" + ticks(*d.stime);
  if (d.addr) out += ", si_addr=" + format_addr(*d.addr);
  return out + "} ---";
}

std::string death_line(int status) {
  if (WIFEXITED(status)) return fmt::format("+++ exited with {} +++", WEXITSTATUS(status));
  if (WIFSIGNALED(status))
    return fmt::format("+++ killed by {}{} +++", signal_name(WTERMSIG(status)),
                       WCOREDUMP(status) ? " (core dumped)" : "");
  return "+++ exited +++";
}

}  // namespace utrace::decode
