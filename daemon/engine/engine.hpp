// Engine: one client's attachment to one thread (utrace's struct utrace_engine). What a client
// calls "an engine" is an EngineSet: one Engine per thread it covers (one for scope "thread",
// every thread of a process for scope "process", plus followed children).
#pragma once

#include <sys/types.h>

#include <bitset>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "capture/capture_options.hpp"
#include "utrace/proto/events.hpp"

namespace utraced {

class ClientLink;
struct TracedThread;
struct EngineSet;

enum class EngineMode {
  Sync,   // reports are JSON-RPC requests; the thread waits for the reply
  Async,  // reports are `event` notifications; the standing action (resume) applies at once
};

enum class EngineState {
  Attached,  // receives reports
  Detached,  // gone: every call on it gives ESRCH; replies to it are ignored
};

// Syscall numbers (x86-64 has fewer than 1024).
using SyscallSet = std::bitset<1024>;

struct Engine {
  std::uint64_t id = 0;          // the id of its set, which the client knows
  std::shared_ptr<EngineSet> set;  // cleared when the engine is dropped
  ClientLink* client = nullptr;  // valid while Attached: a closing client detaches first
  std::shared_ptr<TracedThread> thread;
  utrace::proto::EventMask events;
  EngineMode mode = EngineMode::Async;
  std::string type;
  nlohmann::json data;
  EngineState state = EngineState::Attached;

  bool hold = false;          // utrace's ENGINE_STOP: this engine keeps the thread stopped
  bool pending_stop = false;  // control(stop) returned EINPROGRESS; becomes hold at the next stop
  bool cancel_reap = false;   // replied detach to death: no reap report
  bool exitkill = false;      // asked for PTRACE_O_EXITKILL (attach "exitkill")
  // Sync mode: asked at the start of each pass with the other concurrent engines, without
  // waiting for the replies of the engines before it (PROTOCOL.md, attach "concurrent").
  bool concurrent = false;
  // Sync mode: a report unanswered this long gets the default action (0: wait forever).
  std::chrono::milliseconds report_timeout{0};

  // Attached with `capture`: syscall and signal reports carry the argument memory.
  std::optional<CaptureOptions> capture;

  // syscall_entry/syscall_exit only for these syscalls (none: every syscall).
  std::shared_ptr<const SyscallSet> syscalls;

  bool attached() const { return state == EngineState::Attached; }
  // Its engine (set) inserted an int3 at addr in this thread's process (insert_breakpoint).
  bool owns_breakpoint(std::uint64_t addr) const;
  bool wants_syscall(std::int64_t nr) const {
    return !syscalls || (nr >= 0 && nr < static_cast<std::int64_t>(syscalls->size()) &&
                         syscalls->test(static_cast<std::size_t>(nr)));
  }
  bool wants(utrace::proto::EventKind k) const { return events.has(k); }
  // Asked for this event (for syscall events: for this syscall, nr).
  bool wants_event(utrace::proto::EventKind k, std::int64_t nr) const {
    const bool syscall =
        k == utrace::proto::EventKind::SyscallEntry || k == utrace::proto::EventKind::SyscallExit;
    // Breakpoint passes ask only the breakpoint's owners, whatever their events (nr is the
    // breakpoint's address there: ReportPass::syscall_nr).
    if (k == utrace::proto::EventKind::Breakpoint)
      return owns_breakpoint(static_cast<std::uint64_t>(nr));
    return wants(k) && (!syscall || wants_syscall(nr));
  }
  // Gets a report of this event: asked for it, or has quiesce (every event but reap, as
  // utrace's report_quiesce came before each one).
  bool interested(utrace::proto::EventKind k, std::int64_t nr) const {
    return wants_event(k, nr) ||
           (k != utrace::proto::EventKind::Reap && k != utrace::proto::EventKind::Breakpoint &&
            wants(utrace::proto::EventKind::Quiesce));
  }
};

using EnginePtr = std::shared_ptr<Engine>;

}  // namespace utraced
