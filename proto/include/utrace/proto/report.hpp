// The params of a `report` request / `event` notification, and the reply to a report.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "utrace/proto/actions.hpp"
#include "utrace/proto/events.hpp"

namespace utrace::proto {

struct SyscallInfo {
  std::int64_t nr = -1;
  std::string name;                  // from libseccomp; "" if unknown
  std::array<std::uint64_t, 6> args{};  // at entry only
  bool operator==(const SyscallInfo&) const = default;
};

struct SignalInfo {
  int signo = 0;
  std::string name;  // "SIGUSR1"
  int code = 0;      // si_code
  bool operator==(const SignalInfo&) const = default;
};

// Tracee memory the daemon read at the stop for an engine attached with `capture` (what the strace
// decoder reads to print this syscall or signal), so that the client decodes it afterwards.
struct CapturedRegion {
  std::uint64_t addr = 0;
  std::string bytes;  // raw bytes (base64 on the wire)
  bool operator==(const CapturedRegion&) const = default;
};

struct Capture {
  std::vector<CapturedRegion> mem;  // in the order read
  std::map<int, std::string> fds;   // fd -> /proc/PID/fd/N link text (capture fd_paths)
  std::string siginfo;              // signal reports: the raw siginfo_t (128 bytes); else empty
  bool truncated = false;           // the per-stop cap was reached: some reads got nothing
  // The stack pointer, when the decoder asked for it (rt_sigreturn: its frame's signal mask).
  std::optional<std::uint64_t> sp;
  bool operator==(const Capture&) const = default;
};

struct Report {
  std::uint64_t engine = 0;
  int tid = 0;
  int pid = 0;                  // thread group id
  EventKind event = EventKind::Quiesce;
  ResumeAction action = ResumeAction::Resume;  // combined action so far in this pass
  std::uint64_t seq = 0;        // per-thread event sequence number, increasing
  std::optional<SyscallInfo> syscall;  // syscall_entry, syscall_exit
  std::optional<std::int64_t> retval;  // syscall_exit: the return value (negative errno on error)
  std::optional<int> status;           // exit: the exit status; death: the raw wait status
  std::optional<int> exit_code;        // death: WEXITSTATUS when the thread exited
  std::optional<SignalInfo> signal;    // signal reports; death: the killing signal
  std::optional<int> child;            // clone: the new thread's tid
  std::optional<int> child_pid;        // clone: the new thread's process (== pid for a thread)
  std::optional<std::string> clone;    // clone: "thread", "fork", "vfork" or "clone"
  std::optional<int> former_tid;       // exec: the tid that called exec, when not the leader
  std::optional<std::string> path;     // exec: the program now running (/proc/PID/exe)
  // syscall_entry: the entry pass again after a report was asked for at this stop (utrace's
  // UTRACE_SYSCALL_RESUMED); `syscall.args` are the arguments as they are now.
  std::optional<bool> resumed;
  // reap: true when this was the engine's last thread: its id is gone for good.
  std::optional<bool> engine_gone;
  // quiesce: the event the thread stopped for, when this engine has quiesce but not that event
  std::optional<EventKind> for_event;
  // jctl: "stopped" (with signal: the stop signal) or "continued"
  std::optional<std::string> jctl;
  // When the daemon saw the stop (or the death), in microseconds: CLOCK_REALTIME since the
  // epoch and CLOCK_MONOTONIC. Exact in a double until the year 2255 (PROTOCOL.md, Numbers).
  std::optional<std::uint64_t> time_us;
  std::optional<std::uint64_t> mono_us;
  // Engines attached with `capture`: syscall and signal reports carry the memory read at the stop.
  std::optional<Capture> capture;
  // breakpoint: the address of the int3 (rip has been set back to it).
  std::optional<std::uint64_t> addr;
  // signal_core SIGTRAP of a step the daemon made for a singlestep/blockstep: not the
  // program's signal (tools that print signals skip it); never delivered unless asked for.
  std::optional<bool> step;
  bool operator==(const Report&) const = default;
};

nlohmann::json to_json(const Report& r);
// Throws RpcException (invalid params) when a required field is missing or mistyped.
Report report_from_json(const nlohmann::json& j);

// The result an engine returns to a `report` request.
struct ReportReply {
  ResumeAction action = ResumeAction::Resume;
  // Signal reports only. nullopt: keep the disposition the previous engine left; kDeliver:
  // deliver the reported signal; 0: ignore it; n > 0: deliver signal n instead.
  static constexpr int kDeliver = -1;
  std::optional<int> signal;
  // syscall_entry only: true to skip the syscall ("syscall": "abort"), false to run it ("run").
  std::optional<bool> abort;
  // syscall_entry with abort: the value the skipped syscall returns (default -ENOSYS);
  // syscall_exit: the new return value.
  std::optional<std::int64_t> retval;
  bool operator==(const ReportReply&) const = default;
};

nlohmann::json to_json(const ReportReply& r);
// Throws RpcException naming the bad field.
ReportReply reply_from_json(const nlohmann::json& j);

}  // namespace utrace::proto
