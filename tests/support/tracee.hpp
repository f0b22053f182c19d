// Tracee: a tests/tracees/tracee process in a given mode, started by the test (so the test is
// its real parent), with its stdin on a pipe. The destructor kills and reaps it.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>
#include <string_view>

namespace utrace::test {

class Tracee {
 public:
  explicit Tracee(const std::string& mode);
  // tests/tracees/family in `mode` with optional argument (see family.c).
  static std::unique_ptr<Tracee> family(const std::string& mode, const std::string& arg = "");
  ~Tracee();
  Tracee(const Tracee&) = delete;
  Tracee& operator=(const Tracee&) = delete;

  pid_t pid() const { return pid_; }
  // Writes line + "\n" to its stdin.
  void send(std::string_view line);
  // The next line it printed (without "\n"), or "" after the timeout or at EOF.
  std::string read_line(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // The State letter of /proc/PID/status ('R', 'S', 't', 'T', 'Z'), or '?' when gone.
  char state() const;
  // TracerPid from /proc/PID/status, or -1 when gone.
  pid_t tracer() const;
  // Waits for it to exit; returns the wait status, or -1 on timeout.
  int wait_exit(std::chrono::milliseconds timeout = std::chrono::seconds(10));

 private:
  Tracee(const std::string& binary, const std::vector<std::string>& args);
  pid_t pid_ = -1;
  int stdin_fd_ = -1;
  int stdout_fd_ = -1;
  std::string buffered_;
  bool reaped_ = false;
};

// tests/tracees/family: $FAMILY_BIN, else next to the tracee binary.
std::string family_path();

// Polls pred every 2 ms until it holds or the timeout passes; returns its last value.
bool eventually(const std::function<bool()>& pred,
                std::chrono::milliseconds timeout = std::chrono::seconds(5));

// The value of `key:` in a /proc status file (path), or "" when absent or gone.
std::string status_file_field(const std::string& path, const std::string& key);

// A thread is released when it is untraced (TracerPid 0) and not in a ptrace stop.
bool released(const Tracee& t);

}  // namespace utrace::test
