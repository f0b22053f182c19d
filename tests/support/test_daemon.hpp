// TestDaemon: a private utraced on a socket in a fresh temporary directory, for one test.
// The destructor stops it (SIGTERM) and removes the directory; on test failure the directory
// and the daemon's log are kept and their path printed.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace utrace::test {

// Paths of the binaries under test, from the environment meson sets (UTRACED_BIN, TRACEE_BIN).
std::string utraced_path();
std::string tracee_path();

class TestDaemon {
 public:
  // extra_args: more utraced flags (e.g. {"--cpu", "0"}).
  explicit TestDaemon(const std::vector<std::string>& extra_args = {});
  ~TestDaemon();
  TestDaemon(const TestDaemon&) = delete;
  TestDaemon& operator=(const TestDaemon&) = delete;

  const std::string& socket() const { return socket_; }
  pid_t pid() const { return pid_; }
  std::string log() const;
  // SIGTERM and wait: the wait status (WIFEXITED/WEXITSTATUS), or -1 if already stopped.
  int stop();
  // SIGKILL and wait.
  void kill();

 private:
  std::string dir_;
  std::string socket_;
  pid_t pid_ = -1;
};

}  // namespace utrace::test
