#include "held_child.hpp"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "seccomp_trace_filter.hpp"
#include "utrace/client_error.hpp"

extern char** environ;

namespace utrace::client::detail {

namespace {

// In the child: only async-signal-safe calls from here on.
[[noreturn]] void fail(int err_fd, ChildStep step, int err) {
  int msg[2] = {static_cast<int>(step), err};
  ssize_t n = ::write(err_fd, msg, sizeof msg);
  (void)n;
  ::_exit(127);
}

// Resets every signal the parent catches (its handlers must not run here) and the ones the
// plan names to SIG_DFL. Ignored signals stay ignored, as across an exec.
void reset_signals(const sigset_t& defaults) {
  struct sigaction dfl;
  std::memset(&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig) {
    if (sig == SIGKILL || sig == SIGSTOP) continue;
    struct sigaction old;
    if (::sigaction(sig, nullptr, &old) != 0) continue;  // glibc's own signals
    const bool caught = (old.sa_flags & SA_SIGINFO) ||
                        (old.sa_handler != SIG_DFL && old.sa_handler != SIG_IGN);
    if (caught || ::sigismember(&defaults, sig) == 1) ::sigaction(sig, &dfl, nullptr);
  }
}

// fds[i] becomes fd i (i = 0..2); -1 leaves it alone. Each source is first copied above 2, so
// that one target cannot clobber another's source.
void place_stdio(const std::array<int, 3>& fds, int err_fd) {
  int moved[3] = {-1, -1, -1};
  for (int i = 0; i < 3; ++i) {
    if (fds[i] < 0) continue;
    moved[i] = ::fcntl(fds[i], F_DUPFD_CLOEXEC, 3);
    if (moved[i] < 0) fail(err_fd, ChildStep::Stdio, errno);
  }
  for (int i = 0; i < 3; ++i) {
    if (moved[i] < 0) continue;
    if (::dup2(moved[i], i) < 0) fail(err_fd, ChildStep::Stdio, errno);  // dup2 clears CLOEXEC
    ::close(moved[i]);
  }
}

// execvp's loop over prepared candidates: a candidate that is missing (ENOENT, ENOTDIR, ...)
// or not permitted (EACCES, remembered) is skipped; any other error ends the search.
[[noreturn]] void exec_candidates(char* const* candidates, char* const* argv, char* const* envp,
                                  int err_fd) {
  bool eacces = false;
  int last = ENOENT;
  for (char* const* c = candidates; *c; ++c) {
    ::execve(*c, argv, envp);
    last = errno;
    switch (last) {
      case EACCES: eacces = true; [[fallthrough]];
      case ENOENT:
      case ENOTDIR:
      case ESTALE:
      case ENODEV:
      case ETIMEDOUT:
        continue;
      default:
        fail(err_fd, ChildStep::Exec, last);
    }
  }
  fail(err_fd, ChildStep::Exec, eacces ? EACCES : last);
}

[[noreturn]] void run_child(const ChildPlan& plan, char* const* candidates, char* const* argv,
                            char* const* envp, int go_fd, int err_fd) {
  reset_signals(plan.default_signals);
  if (plan.close_fd >= 0) ::close(plan.close_fd);
  char c;
  ssize_t n;
  do n = ::read(go_fd, &c, 1);
  while (n < 0 && errno == EINTR);
  if (n != 1) ::_exit(127);  // the parent gave up on it
  ::close(go_fd);
  place_stdio(plan.stdio, err_fd);
  if (!plan.cwd.empty() && ::chdir(plan.cwd.c_str()) != 0) fail(err_fd, ChildStep::Chdir, errno);
  if (plan.filter) {
    bool nnp_failed = false;
    if (int e = plan.filter->install(&nnp_failed))
      fail(err_fd, nnp_failed ? ChildStep::NoNewPrivs : ChildStep::Seccomp, e);
  }
  exec_candidates(candidates, argv, envp, err_fd);
}

std::vector<char*> c_strings(const std::vector<std::string>& v) {
  std::vector<char*> out;
  out.reserve(v.size() + 1);
  for (const auto& s : v) out.push_back(const_cast<char*>(s.c_str()));
  out.push_back(nullptr);
  return out;
}

[[noreturn]] void start_failed(int err, const char* what) {
  throw ClientError(proto::errno_error(err, std::string("cannot start the program: ") + what +
                                                " failed: " + std::strerror(err),
                                       {{"step", "fork"}}),
                    "launch");
}

int wait_for(pid_t pid) {
  int status = 0;
  pid_t r;
  do r = ::waitpid(pid, &status, 0);
  while (r < 0 && errno == EINTR);
  return r == pid ? status : -1;
}

}  // namespace

const char* step_name(ChildStep step) {
  switch (step) {
    case ChildStep::Stdio: return "stdio";
    case ChildStep::Chdir: return "chdir";
    case ChildStep::NoNewPrivs: return "no_new_privs";
    case ChildStep::Seccomp: return "seccomp";
    case ChildStep::Exec: return "exec";
  }
  return "start";
}

bool decode_failure(const char* bytes, std::size_t n, ChildFailure* out) {
  if (n != kChildFailureSize) return false;
  int msg[2];
  std::memcpy(msg, bytes, sizeof msg);
  if (msg[0] < static_cast<int>(ChildStep::Stdio) || msg[0] > static_cast<int>(ChildStep::Exec))
    return false;
  out->step = static_cast<ChildStep>(msg[0]);
  out->err = msg[1];
  return true;
}

std::vector<std::string> program_candidates(const std::string& name, const char* path) {
  if (name.empty()) return {};
  if (name.find('/') != std::string::npos) return {name};
  const std::string dirs = path ? path : "/usr/local/bin:/usr/bin:/bin";
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos <= dirs.size()) {
    std::size_t end = dirs.find(':', pos);
    if (end == std::string::npos) end = dirs.size();
    const std::string dir = dirs.substr(pos, end - pos);
    out.push_back((dir.empty() ? "." : dir) + "/" + name);
    pos = end + 1;
  }
  return out;
}

HeldChild::HeldChild(const ChildPlan& plan) {
  int go[2], err[2];
  if (::pipe2(go, O_CLOEXEC) != 0) start_failed(errno, "pipe2");
  if (::pipe2(err, O_CLOEXEC) != 0) {
    const int e = errno;
    ::close(go[0]);
    ::close(go[1]);
    start_failed(e, "pipe2");
  }
  // Everything the child needs is built before the fork: it only makes system calls.
  auto candidates = c_strings(plan.candidates);
  auto argv = c_strings(plan.argv);
  std::vector<char*> env_storage;
  char* const* envp = environ;
  if (plan.env) {
    env_storage = c_strings(*plan.env);
    envp = env_storage.data();
  }
  const pid_t pid = ::fork();
  if (pid < 0) {
    const int e = errno;
    for (int fd : {go[0], go[1], err[0], err[1]}) ::close(fd);
    start_failed(e, "fork");
  }
  if (pid == 0) {
    ::close(go[1]);
    ::close(err[0]);
    run_child(plan, candidates.data(), argv.data(), envp, go[0], err[1]);
  }
  ::close(go[0]);
  ::close(err[1]);
  pid_ = pid;
  go_fd_ = go[1];
  error_fd_ = err[0];
}

HeldChild::~HeldChild() {
  if (error_fd_ >= 0) ::close(error_fd_);
  // Killed rather than left to see EOF on its go pipe: a process another thread forked
  // meanwhile may hold a copy of the write end for as long as it does not exec.
  kill_and_reap();
  if (go_fd_ >= 0) ::close(go_fd_);
}

void HeldChild::release() {
  if (go_fd_ < 0) return;
  const char c = 'g';
  ssize_t n;
  do n = ::write(go_fd_, &c, 1);
  while (n < 0 && errno == EINTR);
  ::close(go_fd_);
  go_fd_ = -1;
}

int HeldChild::take_error_fd() {
  const int fd = error_fd_;
  error_fd_ = -1;
  return fd;
}

int HeldChild::kill_and_reap() {
  if (pid_ <= 0) return -1;
  ::kill(pid_, SIGKILL);
  return reap();
}

int HeldChild::reap() {
  if (pid_ <= 0) return -1;
  if (go_fd_ >= 0) {
    ::close(go_fd_);
    go_fd_ = -1;
  }
  const int status = wait_for(pid_);
  pid_ = -1;
  return status;
}

pid_t HeldChild::disown() {
  const pid_t pid = pid_;
  pid_ = -1;
  return pid;
}

}  // namespace utrace::client::detail
