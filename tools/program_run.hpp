// ProgramRun: `utracectl run`'s program, started by this process as its own child (like strace
// with a command). The program keeps this process's terminal, session and foreground process
// group: Ctrl-C and Ctrl-\ reach it from the terminal itself (utracectl ignores SIGINT and
// SIGQUIT meanwhile), Ctrl-Z stops both and `fg` continues both. SIGTERM sent to utracectl is
// passed on to the program. utracectl waitpid()s it, so its exit status is known even if the
// daemon goes away (then the program runs on untraced, and one line on stderr says so).
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include <boost/asio/signal_set.hpp>

#include "follower.hpp"
#include "utrace/client_sync.hpp"

namespace utracectl {

class ProgramRun {
 public:
  // Ignores SIGINT and SIGQUIT and passes SIGTERM on to the program from now on (until
  // destroyed), and watches SIGCHLD.
  ProgramRun(utrace::client::Client& client, Follower& follower);
  ~ProgramRun();
  ProgramRun(const ProgramRun&) = delete;
  ProgramRun& operator=(const ProgramRun&) = delete;

  // Starts argv traced (its engine adopted by the follower) and lets it run. Throws
  // ClientError (ENOENT, EACCES, ... with data.step).
  void start(const FollowSpec& spec, const std::vector<std::string>& argv);
  // Dispatches reports until the program has exited and its engine is gone; if the daemon's
  // connection is lost first, prints one line on stderr and waits for the program alone.
  // Returns its wait status.
  int wait();

  pid_t pid() const { return pid_; }
  bool daemon_lost() const { return lost_; }

 private:
  void watch_children();
  void poll_child();
  void wait_untraced();

  utrace::client::Client& client_;
  Follower& follower_;
  boost::asio::signal_set sigchld_;
  struct sigaction old_int_ {}, old_quit_ {}, old_term_ {};
  std::vector<int> default_signals_;  // the ones that were SIG_DFL before we ignored them
  utrace::client::EngineId engine_ = 0;
  pid_t pid_ = 0;
  std::optional<int> status_;
  bool lost_ = false;
  bool seccomp_ = false;   // a --seccomp run: the daemon kills it if it goes
  bool untraced_ = false;  // the daemon took its engine away at its exec (privileged program)
};

// strace's last line for a program killed by a signal: "+++ killed by SIGINT +++" (with
// " (core dumped)"); "" for a program that exited.
std::string killed_line(int status);

// Ends utracectl the way the program ended: the same exit code, or (with no core file) the
// same signal, so that a shell sees 128+N and knows it was SIGINT. Flush output first.
[[noreturn]] void exit_like(int status);

}  // namespace utracectl
