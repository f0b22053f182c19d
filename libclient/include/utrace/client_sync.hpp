// utrace::client::Client: a blocking client of utraced with its own io_context.
//
// Reports and events are dispatched to the handlers only from inside this class's blocking
// functions: while a call waits for its reply, and in run_for / run_until / run_one. Handlers
// may themselves make blocking calls (a report handler can call control() or barrier()).
// Not thread-safe: use one Client from one thread.
#pragma once

#include <array>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <nlohmann/json.hpp>

#include "utrace/client.hpp"
#include "utrace/client_error.hpp"
#include "utrace/proto/actions.hpp"
#include "utrace/proto/events.hpp"

namespace utrace::client {

namespace detail {
class SyncCore;
}

inline constexpr const char* kDefaultSocketPath = "/run/utraced/utraced.sock";
// $UTRACED_SOCKET if set and not empty, else kDefaultSocketPath.
std::string default_socket_path();

// How an engine receives its events: "sync" reports wait for the client's reply, "async"
// events are notifications and the thread goes on with the engine's standing action.
enum class Mode { Async, Sync };
std::string_view to_string(Mode mode);

struct AttachOptions {
  int tid = 0;  // the thread to attach to, or 0 to attach to the process `pid`
  int pid = 0;  // with tid == 0: every thread of this process ("scope": "process")
  proto::EventMask events;
  Mode mode = Mode::Async;
  // Sync only: asked at the start of each report pass, without waiting for the replies of the
  // engines before it; its `action` is then what they had decided when the pass began.
  bool concurrent = false;
  bool create = true;       // false: look up an existing engine of this client instead
  bool exclusive = false;   // with create: fail with EEXIST if a matching engine exists
  std::string type;         // engine type, "" for none
  nlohmann::json data;      // opaque engine data, null for none
  bool match_type = false;  // match engines by `type`
  bool match_data = false;  // match engines by `data`
  bool follow = false;      // also attach to children forked/cloned later (like strace -f)
  std::vector<std::string> syscalls;  // syscall events only for these names (empty: all)
  // A process (pid, with one thread) not traced yet: it runs freely and nothing is reported
  // until its next successful execve, where this engine holds it (wait answers "stopped").
  // Used by Client::launch, on its own child before the exec.
  bool hold_at_exec = false;
  // With hold_at_exec and syscalls: the process installs, before its exec, a seccomp filter
  // trapping (SECCOMP_RET_TRACE) exactly `syscalls`; the daemon then only stops it at those.
  bool seccomp = false;
  // Argument memory in syscall and signal reports (PROTOCOL.md, attach "capture"): null for
  // none, else true or {"strsize": N, "fd_paths": bool}. Decode it with decode/'s
  // CapturedMemory and the same strsize/fd_paths.
  nlohmann::json capture;

  // The `attach` params; only non-default optional fields are included.
  nlohmann::json to_params() const;
};

struct AttachResult {
  EngineId engine = 0;
  std::vector<int> tids;
  bool created = false;
};

// Client::launch: start a program traced from its first instruction, as this process's own
// child (the recipe of PROTOCOL.md, "Starting a program traced"):
//   1. everything the child needs is prepared (argv, environment, the seccomp filter);
//   2. the child is forked and waits on a close-on-exec pipe;
//   3. an engine is attached to it with `hold_at_exec` (and `seccomp`);
//   4. the child is let go: it puts its stdio in place, changes directory, installs the
//      filter (with no_new_privs) and execs; a failure comes back on an error pipe;
//   5. launch waits until the engine holds the program at its exec stop, and returns.
// The program has not run one instruction of its own yet: attach more engines now if wanted,
// then control(engine, resume) lets it go. Its engine's reports are dispatched from then on,
// like any engine's (an `exec` report or event, if asked for, may already have come during
// launch).
//
// The program is the caller's child: same session, process group and controlling terminal
// (it never calls setsid), credentials, rlimits, cgroup, namespaces and no_new_privs state;
// by default also the caller's cwd, environment and fds 0-2. The caller must waitpid() it;
// it keeps running (untraced) if the daemon goes away, except a `seccomp` program, which the
// daemon traces with exitkill: it is killed then, rather than left with failing syscalls.
//
// The child only makes async-signal-safe calls, so launch may be called from a multithreaded
// program; signals the caller catches are reset to SIG_DFL in the child (as exec would), and
// the caller's signal mask and ignored signals are inherited as across any exec.
struct LaunchOptions {
  std::vector<std::string> argv;  // argv[0] without a '/' is looked up in PATH, like execvp
  std::optional<std::vector<std::string>> env;  // NAME=value; unset: the caller's environ
  std::string cwd;                              // "": the caller's
  // "" : the caller's own fd 0/1/2, inherited. A path is opened by the caller before the fork
  // (stdin read-only; stdout and stderr created 0644 if missing, and appended to).
  std::string stdin_path, stdout_path, stderr_path;
  // >= 0: this fd of the caller becomes the program's fd 0/1/2 (takes precedence over a path).
  std::array<int, 3> stdio_fds{-1, -1, -1};
  // Signals set to SIG_DFL in the child before its exec (e.g. ones the caller ignores only
  // while the program runs, as `utracectl run` does with SIGINT and SIGQUIT).
  std::vector<int> default_signals;

  // The engine attached to the program ("scope": "process").
  proto::EventMask events;
  Mode mode = Mode::Async;
  bool concurrent = false;      // sync only: as AttachOptions::concurrent
  bool follow = false;          // follow children too (like strace -f)
  std::vector<std::string> syscalls;  // syscall events only for these names (empty: all)
  // With syscalls: the child installs a seccomp filter that returns SECCOMP_RET_TRACE for
  // exactly those syscalls, so no other syscall stops the program (like strace --seccomp-bpf).
  bool seccomp = false;
  // The engine's argument memory capture (AttachOptions::capture): null for none.
  nlohmann::json capture;

  // Bound on starting: the exec and the hold. Exceeded: the child is killed, ETIMEDOUT.
  std::chrono::milliseconds start_timeout{30000};

  // The `attach` of the engine on the child `pid` (hold_at_exec, and seccomp when set).
  AttachOptions attach_options(int pid) const;
};

struct LaunchResult {
  EngineId engine = 0;  // 0 when untraced
  int pid = 0;          // the caller's child: waitpid() it
  // "" : traced and held. Otherwise the program became one this client may not trace at its
  // exec (set-uid, set-gid, file capabilities, unreadable): the daemon took the engine away
  // (this is its `credentials` notice) and the program runs on, untraced, with its privilege,
  // as it would have without utraced. (Under `seccomp`, no_new_privs keeps this from
  // happening: the bits are ignored.)
  std::string untraced;
};

struct EngineInfo {
  EngineId engine = 0;
  int tid = 0;
  int pid = 0;
  proto::EventMask events;
  Mode mode = Mode::Async;
  bool concurrent = false;  // a sync engine asked without waiting for the engines before it
  std::string type;   // "" when the engine has none
  bool held = false;  // the engine holds its thread stopped
};

class Client {
 public:
  using Clock = std::chrono::steady_clock;
  using Duration = Clock::duration;
  static constexpr Duration kForever = Duration::max();

  // Throws ClientError (client_code::kConnectFailed) when the socket cannot be connected.
  static Client connect(const std::string& socket_path = default_socket_path());
  ~Client();
  Client(Client&&) noexcept;
  Client& operator=(Client&&) noexcept;

  // Checks the protocol version and returns the daemon's identity:
  // {"server","version","protocol","pid","uid","client"}.
  nlohmann::json hello(const std::string& client_name = "");
  // Throws ClientError for every error, application errors included (ESRCH, EPERM, ...).
  AttachResult attach(const AttachOptions& options);
  // These return 0, or the positive errno of an application error (EINPROGRESS, ESRCH, ...).
  int set_events(EngineId engine, proto::EventMask events);
  int control(EngineId engine, proto::ResumeAction action, int tid = 0);
  // timeout 0 leaves the bound to the daemon.
  // tid: one thread of a process engine (0: all of its threads).
  int barrier(EngineId engine, std::chrono::milliseconds timeout = {}, int tid = 0);
  // Starts a program as this process's child, traced and held at its exec (LaunchOptions).
  // Throws ClientError, with no child left behind: the errno of the step that failed, named
  // in error().data["step"] ("exec": ENOENT, EACCES, ENOEXEC...; "chdir", "stdio",
  // "no_new_privs", "seccomp", "fork"; "hold" (ESRCH) when the program died before its exec
  // stop); -32602 for bad options; ETIMEDOUT (start_timeout). The daemon's refusal of the
  // attach is rethrown as it came (method "attach"). A program the client may not trace
  // after its exec is not an error: see LaunchResult::untraced.
  LaunchResult launch(const LaunchOptions& options);
  int detach(EngineId engine) { return control(engine, proto::ResumeAction::Detach); }
  std::vector<EngineInfo> list();
  nlohmann::json stats();

  // Waits until the engine holds its thread stopped or the next report to it is sent; returns
  // 0 (with *reason "stopped" or "report"), ESRCH or ETIMEDOUT. timeout 0: the daemon's default.
  // For a process engine, tid picks one thread (0: any) and *woke_tid tells which one it was.
  int wait(EngineId engine, std::chrono::milliseconds timeout = {}, std::string* reason = nullptr,
           int tid = 0, int* woke_tid = nullptr);
  // Examine a thread the engine holds stopped (or is being reported to). Application errors
  // (EINVAL without a hold, ESRCH, EFAULT) are thrown as ClientError.
  // tid: which thread of a process engine (needed when it covers several).
  // {"rax": "0x…", "rip": "0x…", ...}: each value a "0x…" string (PROTOCOL.md, Numbers); read
  // one with utrace::proto::read_u64 (utrace/proto/wide_values.hpp).
  nlohmann::json get_regs(EngineId engine, int tid = 0);
  // Only those named; each value a std::uint64_t or a "0x…" string.
  void set_regs(EngineId engine, const nlohmann::json& regs, int tid = 0);
  std::string read_memory(EngineId engine, std::uint64_t addr, std::size_t size, int tid = 0);
  std::size_t write_memory(EngineId engine, std::uint64_t addr, std::string_view bytes,
                           int tid = 0);

  // Raw call: the result, or ClientError for any error.
  nlohmann::json call(const std::string& method,
                      const nlohmann::json& params = nlohmann::json::object());
  // Raw call returning the daemon's error in the Reply; throws only for client-side failures
  // (connection lost, timeout).
  Reply request(const std::string& method, const nlohmann::json& params = nlohmann::json::object());

  // Handlers, by engine id or kAllEngines; see AsyncClient for the rules. A report without a
  // handler is answered "resume"; engine-specific handlers are dropped after the `reap` that
  // says `engine_gone`.
  void on_report(EngineId engine, AsyncClient::ReportHandler handler);
  void on_report(EngineId engine, AsyncClient::ActionHandler handler);
  // The handler must call reply(message, ...) exactly once, now or later (from this thread);
  // the thread reported stays stopped until then. An empty handler removes the one set.
  void on_report_deferred(EngineId engine, AsyncClient::DeferredReportHandler handler);
  // Answers a report given to a deferred handler. Ignored for events and closed connections.
  void reply(const ReportMessage& message, const proto::ReportReply& reply);
  void on_event(EngineId engine, AsyncClient::EventHandler handler);
  void on_event(AsyncClient::EventHandler handler) { on_event(kAllEngines, std::move(handler)); }
  // `notice` notifications (a hold the daemon released, a child it could not follow). The
  // handler runs while the client reads and must not make blocking calls.
  void on_notice(AsyncClient::NoticeHandler handler);

  // Dispatch incoming reports and events. All throw ClientError when the connection is lost.
  void run_for(Duration duration);
  // Returns true once pred() holds, false if the timeout passed first. pred is checked first
  // and after every completed I/O operation or dispatched message.
  bool run_until(const std::function<bool()>& pred, Duration timeout = kForever);
  // Dispatches at most one report or event; false if none came within the timeout. A zero
  // timeout dispatches one that is ready without waiting (a polling loop may call run_one(0)).
  bool run_one(Duration timeout = kForever);

  // Bound on every blocking call's wait for its reply (kForever, the default: no bound);
  // exceeding it throws ClientError (client_code::kTimeout).
  void set_call_timeout(Duration timeout);
  // Before sleeping for input, poll for it this long (0, the default: never), yielding the CPU
  // while nothing is ready. A sync engine whose thread waits for it answers sooner, because
  // the next report finds it awake; it costs up to `poll` of CPU per wait. Pays when the
  // client has a CPU to itself (bench/RESULTS.md, run 8).
  void set_poll(Duration poll);
  // For timers and signal sets of the calling program; their handlers run inside the blocking
  // calls. Such objects must be destroyed before the Client.
  boost::asio::io_context& io_context();
  // The connection's socket (close-on-exec), -1 when closed: readable when input waits. Input
  // already read is dispatched by run_one(0), so poll(2) it only after run_one(0) said false.
  int socket_fd() const;
  void close();
  bool is_open() const;

 private:
  explicit Client(std::unique_ptr<detail::SyncCore> core);
  // 0 for success, the errno for an application error; throws for anything else.
  int errno_call(const std::string& method, const nlohmann::json& params);

  std::unique_ptr<detail::SyncCore> core_;
};

}  // namespace utrace::client
