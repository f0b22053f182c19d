// HeldChild: a forked child that waits, before its exec, until its parent lets it go, so that
// utraced can be asked to attach to it first. The client-side half of `Client::launch`.
//
// The child runs only async-signal-safe calls (the caller may be multithreaded): it closes its
// copy of the daemon connection (a parent that disconnects must really be gone), waits for
// one byte on a close-on-exec pipe (EOF: the parent gave up, it exits 127), puts its stdio in
// place, changes directory, installs a seccomp filter if asked, and execs, trying each
// candidate path as execvp does. A failure is written to a close-on-exec error pipe as
// {step, errno} before it exits 127; a successful exec closes that pipe (EOF).
//
// It keeps everything else of its parent: session, process group, terminal, credentials,
// rlimits, signal mask. Signals the parent catches are reset to SIG_DFL at once (as exec would
// do), so that none of the parent's handlers runs in the child.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <array>
#include <string>
#include <vector>

namespace utrace::client::detail {

class SeccompTraceFilter;

// Everything the child needs, prepared before the fork.
struct ChildPlan {
  std::vector<std::string> candidates;  // files to execve, in order (see program_candidates)
  std::vector<std::string> argv;
  const std::vector<std::string>* env = nullptr;  // nullptr: the parent's environ
  std::string cwd;                                // "": the parent's
  std::array<int, 3> stdio{-1, -1, -1};  // fds that become 0, 1, 2 (-1: inherited as they are)
  sigset_t default_signals{};            // set to SIG_DFL before the exec
  const SeccompTraceFilter* filter = nullptr;
  int close_fd = -1;  // closed by the child at once (the parent's daemon connection)
};

// The steps a child can fail at, as written on its error pipe.
enum class ChildStep : int { Stdio = 1, Chdir, NoNewPrivs, Seccomp, Exec };
const char* step_name(ChildStep step);

struct ChildFailure {
  ChildStep step = ChildStep::Exec;
  int err = 0;
};
inline constexpr std::size_t kChildFailureSize = 2 * sizeof(int);
// The {step, errno} a child wrote, or false for anything else.
bool decode_failure(const char* bytes, std::size_t n, ChildFailure* out);

// The files execvp would try for `name`: a name with a '/' is the only candidate; otherwise
// DIR/name for each DIR of `path` ("" counts as "."), or of /usr/local/bin:/usr/bin:/bin when
// path is null. Pure string work.
std::vector<std::string> program_candidates(const std::string& name, const char* path);

class HeldChild {
 public:
  // Forks the child. Throws ClientError (errno of pipe2 or fork, data.step "fork").
  explicit HeldChild(const ChildPlan& plan);
  // A child still owned is killed (SIGKILL) and reaped.
  ~HeldChild();
  HeldChild(const HeldChild&) = delete;
  HeldChild& operator=(const HeldChild&) = delete;

  pid_t pid() const { return pid_; }
  // Lets it go on to its exec.
  void release();
  // The read end of the error pipe; the caller takes it over (and must close it).
  int take_error_fd();
  // SIGKILL (if still owned) and waitpid; returns the wait status (-1 if it was not ours).
  int kill_and_reap();
  // Waits for a child that is ending by itself; returns the wait status.
  int reap();
  // From now on the caller owns the child (it waitpid()s it).
  pid_t disown();

 private:
  pid_t pid_ = -1;
  int go_fd_ = -1;
  int error_fd_ = -1;
};

}  // namespace utrace::client::detail
