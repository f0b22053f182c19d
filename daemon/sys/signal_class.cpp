#include "sys/signal_class.hpp"

#include <signal.h>

#include <cstdint>
#include <fstream>
#include <string>

namespace utraced {

using utrace::proto::EventKind;

EventKind default_signal_class(int signo) {
  switch (signo) {
    case SIGCHLD: case SIGURG: case SIGWINCH: case SIGCONT:
      return EventKind::SignalIgn;
    case SIGSTOP: case SIGTSTP: case SIGTTIN: case SIGTTOU:
      return EventKind::SignalStop;
    case SIGQUIT: case SIGILL: case SIGTRAP: case SIGABRT: case SIGBUS: case SIGFPE:
    case SIGSEGV: case SIGSYS: case SIGXCPU: case SIGXFSZ:
      return EventKind::SignalCore;
    default:
      return EventKind::SignalTerm;
  }
}

EventKind classify_signal(pid_t tid, int signo) {
  std::ifstream in("/proc/" + std::to_string(tid) + "/status");
  std::string line;
  std::uint64_t ign = 0, cgt = 0;
  while (std::getline(in, line)) {
    if (line.rfind("SigIgn:", 0) == 0) ign = std::stoull(line.substr(7), nullptr, 16);
    else if (line.rfind("SigCgt:", 0) == 0) cgt = std::stoull(line.substr(7), nullptr, 16);
  }
  const std::uint64_t bit = signo >= 1 && signo <= 64 ? (std::uint64_t{1} << (signo - 1)) : 0;
  if (signo != SIGKILL && signo != SIGSTOP) {
    if (cgt & bit) return EventKind::Signal;
    if (ign & bit) return EventKind::SignalIgn;
  }
  return default_signal_class(signo);
}

}  // namespace utraced
