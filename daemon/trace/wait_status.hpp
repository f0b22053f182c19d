// WaitStatus: the one place that decodes waitpid() statuses. No other file uses W* macros.
#pragma once

#include <string>

namespace utraced {

class WaitStatus {
 public:
  enum class Type {
    Exited,     // the thread exited normally; exit_code() is valid
    Signaled,   // the thread was killed by fatal_signal()
    Stopped,    // the thread is in a ptrace-stop; stop_signal()/ptrace_event() are valid
    Continued,  // WIFCONTINUED; never requested by the daemon, ignored
  };

  explicit WaitStatus(int raw = 0) : raw_(raw) {}
  static WaitStatus for_exit(int code);
  static WaitStatus for_fatal_signal(int sig, bool core = false);
  static WaitStatus for_stop_signal(int sig);          // signal-delivery or group stop
  static WaitStatus for_ptrace_event(int event, int sig = 5 /*SIGTRAP*/);
  static WaitStatus for_syscall_stop();                // SIGTRAP|0x80 (TRACESYSGOOD)

  Type type() const;
  int raw() const { return raw_; }
  int exit_code() const;     // Exited only
  int fatal_signal() const;  // Signaled only
  bool core_dumped() const;  // Signaled only
  int stop_signal() const;   // Stopped only: WSTOPSIG, including the 0x80 syscall bit
  int ptrace_event() const;  // Stopped only: status >> 16 (0 if none)
  bool is_dead() const { return type() == Type::Exited || type() == Type::Signaled; }

  std::string str() const;

 private:
  int raw_;
};

}  // namespace utraced
