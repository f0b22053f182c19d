#include "program_run.hpp"

#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <iostream>

#include "syscall_format.hpp"

namespace utracectl {

namespace client = utrace::client;
using utrace::proto::ResumeAction;

namespace {

// The program's pid for the SIGTERM handler (0 until it is started).
std::atomic<pid_t> g_program{0};
static_assert(std::atomic<pid_t>::is_always_lock_free);

void pass_on(int sig) {
  const pid_t pid = g_program.load();
  if (pid > 0) {
    ::kill(pid, sig);
    return;
  }
  // Nothing started yet: end as the signal would have ended us (a child still held before
  // its exec sees its go pipe close, and exits).
  ::signal(sig, SIG_DFL);
  ::raise(sig);
}

bool is_default(const struct sigaction& sa) {
  return !(sa.sa_flags & SA_SIGINFO) && sa.sa_handler == SIG_DFL;
}

bool is_ignored(const struct sigaction& sa) {
  return !(sa.sa_flags & SA_SIGINFO) && sa.sa_handler == SIG_IGN;
}

}  // namespace

ProgramRun::ProgramRun(client::Client& client, Follower& follower)
    : client_(client), follower_(follower), sigchld_(client.io_context(), SIGCHLD) {
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  ::sigemptyset(&ignore.sa_mask);
  // The terminal sends Ctrl-C and Ctrl-\ to the whole foreground group, the program included:
  // they are the program's to act on. The program gets them back as they were.
  ::sigaction(SIGINT, &ignore, &old_int_);
  ::sigaction(SIGQUIT, &ignore, &old_quit_);
  if (is_default(old_int_)) default_signals_.push_back(SIGINT);
  if (is_default(old_quit_)) default_signals_.push_back(SIGQUIT);
  ::sigaction(SIGTERM, nullptr, &old_term_);
  if (!is_ignored(old_term_)) {
    struct sigaction term {};
    term.sa_handler = pass_on;
    term.sa_flags = SA_RESTART;
    ::sigemptyset(&term.sa_mask);
    ::sigaction(SIGTERM, &term, nullptr);
  }
  watch_children();
}

ProgramRun::~ProgramRun() {
  ::sigaction(SIGTERM, &old_term_, nullptr);
  ::sigaction(SIGQUIT, &old_quit_, nullptr);
  ::sigaction(SIGINT, &old_int_, nullptr);
  g_program = 0;
  boost::system::error_code ignored;
  sigchld_.cancel(ignored);
}

void ProgramRun::start(const FollowSpec& spec, const std::vector<std::string>& argv) {
  client::LaunchOptions o;
  o.argv = argv;
  o.events = spec.events;
  o.mode = spec.mode;
  o.follow = spec.follow;
  o.syscalls = spec.syscalls;
  o.seccomp = spec.seccomp;
  o.capture = spec.capture;  // one engine, as strace: it holds, reports and captures
  o.default_signals = default_signals_;
  seccomp_ = spec.seccomp;
  const client::LaunchResult r = client_.launch(o);
  engine_ = r.engine;
  pid_ = r.pid;
  g_program = r.pid;
  if (!r.untraced.empty()) {
    // A privileged program (set-uid...): it runs as it would without utraced, untraced.
    std::cerr << "utracectl: " << pid_ << " runs untraced: " << r.untraced << std::endl;
    untraced_ = true;
    poll_child();
    return;
  }
  follower_.adopt(r.engine, r.pid, spec);
  try {
    client_.control(engine_, ResumeAction::Resume);  // the hold at its exec
  } catch (const client::ClientError&) {
    lost_ = true;  // wait() says so and waits for the program alone
  }
  poll_child();
}

int ProgramRun::wait() {
  if (untraced_) {
    wait_untraced();
    return *status_;
  }
  if (!lost_) {
    try {
      client_.run_until([this] { return status_.has_value(); });
      // Its own death is reported before it can be waited for; its followed children may
      // outlive it (like strace -f, wait for them). An engine taken away at a privileged
      // exec ends without a reap: ask now and then.
      while (!follower_.finished()) {
        if (client_.run_until([this] { return follower_.finished(); }, std::chrono::seconds(1)))
          break;
        if (client_.control(engine_, ResumeAction::Resume) == ESRCH) {
          client_.run_until([this] { return follower_.finished(); }, {});  // what is queued
          break;
        }
      }
    } catch (const client::ClientError& e) {
      if (e.code() != client::client_code::kConnectionClosed)
        std::cerr << "utracectl: " << e.what() << '\n';
      lost_ = true;
    }
  }
  if (lost_) {
    // A seccomp run was traced with exitkill: the daemon's end kills it (PROTOCOL.md), and
    // its SIGCHLD may come before or after the connection's end.
    if (seccomp_)
      std::cerr << "utracectl: lost utraced; " << pid_ << " is killed with it (a --seccomp run)\n";
    else if (!status_)
      std::cerr << "utracectl: lost utraced; " << pid_ << " runs on untraced\n";
    else
      std::cerr << "utracectl: lost utraced\n";  // followed children may run on, untraced
    client_.close();  // its engine goes with the connection, if the daemon is still there
    wait_untraced();
  }
  return *status_;
}

void ProgramRun::watch_children() {
  sigchld_.async_wait([this](const boost::system::error_code& ec, int) {
    if (ec) return;
    poll_child();
    watch_children();
  });
}

void ProgramRun::poll_child() {
  if (pid_ <= 0 || status_) return;
  int status = 0;
  pid_t r;
  do r = ::waitpid(pid_, &status, WNOHANG);
  while (r < 0 && errno == EINTR);
  if (r == pid_) status_ = status;
}

void ProgramRun::wait_untraced() {
  while (!status_) {
    int status = 0;
    const pid_t r = ::waitpid(pid_, &status, 0);
    if (r == pid_) status_ = status;
    else if (r < 0 && errno != EINTR) status_ = 1 << 8;  // not ours any more: exit 1
  }
}

std::string killed_line(int status) {
  if (!WIFSIGNALED(status)) return "";
  utrace::proto::Report r;
  r.status = status;
  return "+++ " + format_death(r) + " +++";
}

void exit_like(int status) {
  std::cout.flush();
  std::cerr.flush();
  if (WIFEXITED(status)) std::exit(WEXITSTATUS(status));
  if (!WIFSIGNALED(status)) std::exit(1);
  const int sig = WTERMSIG(status);
  // As strace does: no core file of ours over the program's.
  struct rlimit no_core = {0, 0};
  ::setrlimit(RLIMIT_CORE, &no_core);
  ::signal(sig, SIG_DFL);
  sigset_t mask;
  ::sigemptyset(&mask);
  ::sigaddset(&mask, sig);
  ::sigprocmask(SIG_UNBLOCK, &mask, nullptr);
  ::raise(sig);
  std::_Exit(128 + sig);  // a signal that does not kill
}

}  // namespace utracectl
