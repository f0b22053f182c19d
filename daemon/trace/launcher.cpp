#include "trace/launcher.hpp"

#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <linux/close_range.h>
#include <sys/syscall.h>

#include "trace/seccomp_filter.hpp"

namespace utraced::launcher {
namespace {

enum Step : int { kWait = 1, kGroups, kGid, kUid, kNoNewPrivs, kCwd, kStdio, kSeccomp, kExec };

const char* step_name(int step) {
  switch (step) {
    case kWait: return "wait";
    case kGroups: return "setgroups";
    case kGid: return "setgid";
    case kUid: return "setuid";
    case kNoNewPrivs: return "no_new_privs";
    case kCwd: return "chdir";
    case kStdio: return "open stdio";
    case kSeccomp: return "seccomp";
    case kExec: return "exec";
  }
  return "start";
}

// In the child: only async-signal-safe calls from here on.
[[noreturn]] void fail(int fd, int step) {
  int msg[2] = {step, errno};
  ssize_t n = ::write(fd, msg, sizeof msg);
  (void)n;
  ::_exit(127);
}

// execvp's loop over prepared candidates, with the caller's (the client's) credentials: a
// candidate that is missing (ENOENT, ENOTDIR, ...) or not permitted (EACCES, remembered) is
// skipped; any other error ends the search with that error.
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
        fail(err_fd, kExec);
    }
  }
  errno = eacces ? EACCES : last;
  fail(err_fd, kExec);
}

[[noreturn]] void run_child(const Spec& spec, char* const* candidates, char* const* argv,
                            char* const* envp, int go_fd, int err_fd) {
  sigset_t all;
  ::sigemptyset(&all);
  ::sigprocmask(SIG_SETMASK, &all, nullptr);
  for (int sig = 1; sig < NSIG; ++sig) ::signal(sig, SIG_DFL);
  char c;
  ssize_t n;
  do n = ::read(go_fd, &c, 1);
  while (n < 0 && errno == EINTR);
  if (n != 1) fail(err_fd, kWait);  // the daemon gave up on it
  ::close(go_fd);
  ::setsid();  // its own session and process group, not the daemon's
  if (spec.drop_privileges) {
    if (::setgroups(spec.groups.size(), spec.groups.data()) != 0) fail(err_fd, kGroups);
    if (::setresgid(spec.gid, spec.gid, spec.gid) != 0) fail(err_fd, kGid);
    if (::setresuid(spec.uid, spec.uid, spec.uid) != 0) fail(err_fd, kUid);
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) fail(err_fd, kNoNewPrivs);
  }
  if (!spec.cwd.empty() && ::chdir(spec.cwd.c_str()) != 0) fail(err_fd, kCwd);
  for (int fd = 0; fd < 3; ++fd) {
    const char* path = spec.stdio[fd].empty() ? "/dev/null" : spec.stdio[fd].c_str();
    int f = fd == 0 ? ::open(path, O_RDONLY | O_NOCTTY)
                    : ::open(path, O_WRONLY | O_CREAT | O_APPEND | O_NOCTTY, 0644);
    if (f < 0) fail(err_fd, kStdio);
    if (f != fd) {
      if (::dup2(f, fd) < 0) fail(err_fd, kStdio);
      ::close(f);
    }
  }
  if (!spec.seccomp_bpf.empty()) {
    if (int e = seccomp_filter::install(spec.seccomp_bpf)) {
      errno = e;
      fail(err_fd, kSeccomp);
    }
  }
  // Nothing of the daemon's leaks into the program (the error pipe is already close-on-exec).
  ::syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC);
  exec_candidates(candidates, argv, envp, err_fd);
}

std::vector<char*> c_strings(const std::vector<std::string>& v) {
  std::vector<char*> out;
  out.reserve(v.size() + 1);
  for (const auto& s : v) out.push_back(const_cast<char*>(s.c_str()));
  out.push_back(nullptr);
  return out;
}

}  // namespace

int spawn_held(const Spec& spec, Child* out) {
  int go[2], err[2];
  if (::pipe2(go, O_CLOEXEC) != 0) return errno;
  if (::pipe2(err, O_CLOEXEC) != 0) {
    int e = errno;
    ::close(go[0]);
    ::close(go[1]);
    return e;
  }
  // Everything the child needs is built before the fork: it only makes system calls.
  const auto candidate_paths = program_candidates(spec.path, spec.env);
  auto candidates = c_strings(candidate_paths);
  auto argv = c_strings(spec.argv);
  auto envp = c_strings(spec.env);
  pid_t pid = ::fork();
  if (pid < 0) {
    int e = errno;
    for (int fd : {go[0], go[1], err[0], err[1]}) ::close(fd);
    return e;
  }
  if (pid == 0) {
    ::close(go[1]);
    ::close(err[0]);
    run_child(spec, candidates.data(), argv.data(), envp.data(), go[0], err[1]);
  }
  ::close(go[0]);
  ::close(err[1]);
  ::fcntl(err[0], F_SETFL, O_NONBLOCK);
  out->pid = pid;
  out->go_fd = go[1];
  out->error_fd = err[0];
  return 0;
}

void release(Child& child) {
  if (child.go_fd < 0) return;
  char c = 'g';
  ssize_t n = ::write(child.go_fd, &c, 1);
  (void)n;
  ::close(child.go_fd);
  child.go_fd = -1;
}

bool read_failure(int error_fd, std::string* step, int* err) {
  int msg[2] = {0, 0};
  ssize_t n = ::read(error_fd, msg, sizeof msg);
  if (n != static_cast<ssize_t>(sizeof msg)) return false;
  *step = step_name(msg[0]);
  *err = msg[1];
  return true;
}

std::vector<std::string> program_candidates(const std::string& name,
                                            const std::vector<std::string>& env) {
  if (name.empty()) return {};
  if (name.find('/') != std::string::npos) return {name};
  std::string path = "/usr/local/bin:/usr/bin:/bin";
  for (const auto& e : env)
    if (e.rfind("PATH=", 0) == 0) path = e.substr(5);
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos <= path.size()) {
    std::size_t end = path.find(':', pos);
    if (end == std::string::npos) end = path.size();
    std::string dir = path.substr(pos, end - pos);
    out.push_back((dir.empty() ? "." : dir) + "/" + name);
    pos = end + 1;
  }
  return out;
}

}  // namespace utraced::launcher
