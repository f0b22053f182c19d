// Client::launch: the client-side start of a traced program (the recipe in client_sync.hpp and
// PROTOCOL.md): fork a held child, attach with hold_at_exec, let it exec, wait for the hold.
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/read.hpp>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <memory>
#include <optional>

#include "held_child.hpp"
#include "seccomp_trace_filter.hpp"
#include "sync_core.hpp"
#include "utrace/client_sync.hpp"
#include "utrace/proto/method_params.hpp"

namespace utrace::client {

namespace {

using detail::ChildFailure;
using detail::HeldChild;
namespace params = proto::params;
using Clock = std::chrono::steady_clock;

[[noreturn]] void fail(int err, const std::string& step, const std::string& why) {
  throw ClientError(proto::errno_error(err, "cannot start the program: " + why, {{"step", step}}),
                    "launch");
}

[[noreturn]] void bad_option(const std::string& parameter, const std::string& why) {
  throw ClientError(proto::invalid_params(parameter, why), "launch");
}

bool has_nul(const std::string& s) { return s.find('\0') != std::string::npos; }

void check_options(const LaunchOptions& o) {
  if (o.argv.empty()) bad_option("argv", "names no program");
  for (const auto& a : o.argv)
    if (has_nul(a)) bad_option("argv", "an argument contains a NUL byte");
  if (o.argv[0].empty()) bad_option("argv", "the program name is empty");
  if (o.env) {
    for (const auto& e : *o.env)
      if (has_nul(e) || e.find('=') == std::string::npos || e[0] == '=')
        bad_option("env", "'" + e + "' is not NAME=value");
  }
  if (has_nul(o.cwd)) bad_option("cwd", "contains a NUL byte");
  if (o.seccomp && o.syscalls.empty()) bad_option("seccomp", "needs syscalls");
  for (int sig : o.default_signals)
    if (sig <= 0 || sig >= NSIG || sig == SIGKILL || sig == SIGSTOP)
      bad_option("default_signals", std::to_string(sig) + " is not a signal that can be reset");
}

// The files named by stdin_path, stdout_path and stderr_path, opened by the caller (with its
// own permissions) before the fork; closed when launch returns.
class StdioFiles {
 public:
  explicit StdioFiles(const LaunchOptions& o) {
    const std::string* paths[3] = {&o.stdin_path, &o.stdout_path, &o.stderr_path};
    for (int i = 0; i < 3; ++i) {
      fds_[i] = o.stdio_fds[i];
      if (fds_[i] >= 0 || paths[i]->empty()) continue;
      const int flags = i == 0 ? O_RDONLY : O_WRONLY | O_CREAT | O_APPEND;
      const int fd = ::open(paths[i]->c_str(), flags | O_CLOEXEC | O_NOCTTY, 0644);
      if (fd < 0) {
        const int e = errno;
        fail(e, "stdio", "cannot open " + *paths[i] + ": " + std::strerror(e));
      }
      owned_[i] = fds_[i] = fd;
    }
  }
  ~StdioFiles() {
    for (int fd : owned_)
      if (fd >= 0) ::close(fd);
  }
  StdioFiles(const StdioFiles&) = delete;
  StdioFiles& operator=(const StdioFiles&) = delete;
  const std::array<int, 3>& fds() const { return fds_; }

 private:
  std::array<int, 3> fds_{-1, -1, -1};
  std::array<int, 3> owned_{-1, -1, -1};
};

std::string describe_status(int status) {
  if (WIFEXITED(status)) return "exited with " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    const char* abbrev = ::sigabbrev_np(WTERMSIG(status));
    return abbrev ? std::string("killed by SIG") + abbrev
                  : "killed by signal " + std::to_string(WTERMSIG(status));
  }
  return "ended";
}

std::chrono::milliseconds left(Clock::time_point deadline) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
}

// The read end of the child's error pipe, read asynchronously: the child's {step, errno}, or
// EOF. EOF alone proves nothing: a process another thread of the caller forks meanwhile keeps
// a copy of the write end until it execs (if ever), so the hold, not EOF, says the exec worked.
class ErrorPipe {
 public:
  ErrorPipe(boost::asio::io_context& io, int fd) : pipe_(io, fd), state_(std::make_shared<State>()) {
    boost::asio::async_read(pipe_, boost::asio::buffer(state_->bytes),
                            [s = state_](const boost::system::error_code&, std::size_t n) {
                              s->n = n;
                              s->done = true;
                            });
  }
  bool done() const { return state_->done; }  // a message, EOF or an error came
  std::optional<ChildFailure> failure() const {
    ChildFailure f;
    if (state_->done && detail::decode_failure(state_->bytes.data(), state_->n, &f)) return f;
    return std::nullopt;
  }

 private:
  struct State {
    bool done = false;
    std::array<char, detail::kChildFailureSize> bytes{};
    std::size_t n = 0;
  };
  boost::asio::posix::stream_descriptor pipe_;
  std::shared_ptr<State> state_;  // shared with the read's handler, which may outlive this
};

[[noreturn]] void start_failed(HeldChild& child, const ChildFailure& failure) {
  child.reap();  // it exits 127 by itself
  const std::string step = detail::step_name(failure.step);
  fail(failure.err, step, step + " failed: " + std::strerror(failure.err));
}

// wait gave ESRCH before the hold, without a `credentials` notice: the program died (killed
// between its exec and the stop). It is reaped (killed first, should it still be there).
[[noreturn]] void died_before_hold(HeldChild& child) {
  const int status = child.kill_and_reap();
  fail(ESRCH, "hold", "the program died before its exec stop (" + describe_status(status) + ")");
}

}  // namespace

AttachOptions LaunchOptions::attach_options(int pid) const {
  AttachOptions a;
  a.pid = pid;
  a.events = events;
  a.mode = mode;
  a.concurrent = concurrent;
  a.follow = follow;
  a.syscalls = syscalls;
  a.hold_at_exec = true;
  a.seccomp = seccomp;
  a.capture = capture;
  return a;
}

LaunchResult Client::launch(const LaunchOptions& o) {
  check_options(o);
  const auto deadline = Clock::now() + o.start_timeout;
  std::optional<detail::SeccompTraceFilter> filter;
  if (o.seccomp) filter = detail::SeccompTraceFilter::build(o.syscalls);
  StdioFiles files(o);
  detail::ChildPlan plan;
  const char* path = ::getenv("PATH");
  if (o.env) {
    path = nullptr;
    for (const auto& e : *o.env)
      if (e.rfind("PATH=", 0) == 0) path = e.c_str() + 5;
  }
  plan.candidates = detail::program_candidates(o.argv[0], path);
  plan.argv = o.argv;
  if (o.env) plan.env = &*o.env;
  plan.cwd = o.cwd;
  plan.stdio = files.fds();
  ::sigemptyset(&plan.default_signals);
  for (int sig : o.default_signals) ::sigaddset(&plan.default_signals, sig);
  plan.filter = filter ? &*filter : nullptr;
  plan.close_fd = core_->async().socket_fd();

  HeldChild child(plan);  // ended and reaped by its destructor on any failure below
  const EngineId engine = attach(o.attach_options(child.pid())).engine;
  core_->watch(engine);
  struct Unwatch {
    detail::SyncCore& core;
    EngineId engine;
    ~Unwatch() { core.unwatch(engine); }
  } unwatch{*core_, engine};
  child.release();
  // Until the engine holds it at its exec stop, or the child says what failed, or it dies.
  ErrorPipe error_pipe(io_context(), child.take_error_fd());
  for (;;) {
    const auto timeout = left(deadline);
    if (timeout.count() <= 0) fail(ETIMEDOUT, "hold", "the program was not held at its exec in time");
    const auto waited = std::make_shared<std::optional<Reply>>();
    nlohmann::json wait_params = {{std::string(params::waiter::engine.name), engine},
                                  {std::string(params::waiter::timeout_ms.name),
                                   std::min(timeout, std::chrono::milliseconds(60000)).count()}};
    core_->async().call("wait", wait_params, [waited](Reply r) { *waited = std::move(r); });
    // A sync engine's exec report holds it there too, and may come before this wait is seen by
    // the daemon (which then waits for the next report, or for a hold the unanswered report
    // keeps from being taken): held either way.
    auto exec_reported = [&] { return core_->watched(engine).exec_reported; };
    if (!run_until([&] { return error_pipe.failure() || waited->has_value() || exec_reported(); },
                   timeout))
      fail(ETIMEDOUT, "hold", "the program was not held at its exec in time");
    if (auto failure = error_pipe.failure()) start_failed(child, *failure);
    if (!waited->has_value()) break;  // its exec report is in flight
    const Reply& reply = **waited;
    if (reply.error && client_code::is_client_code(reply.error->code))
      throw ClientError(*reply.error, "wait");
    const int rc = reply.error ? reply.error->code : 0;
    if (rc == ETIMEDOUT) continue;
    const auto seen = core_->watched(engine);
    // "stopped", or "report": its exec report (held either way), or its death.
    if (rc == 0 && !seen.died) break;
    if (rc == ESRCH && !seen.taken_away.empty()) {
      // Taken away at the exec (the new image is privileged): the daemon let it run on.
      LaunchResult untraced;
      untraced.pid = child.disown();
      untraced.untraced = seen.taken_away;
      return untraced;
    }
    if (rc != 0 && rc != ESRCH) fail(rc, "hold", std::string("wait failed: ") + std::strerror(rc));
    // It died. Before its exec, it wrote why on the pipe first (read it if it is there).
    run_until([&] { return error_pipe.done(); }, std::chrono::seconds(1));
    if (auto failure = error_pipe.failure()) start_failed(child, *failure);
    died_before_hold(child);
  }
  LaunchResult held;
  held.engine = engine;
  held.pid = child.disown();
  return held;
}

}  // namespace utrace::client
