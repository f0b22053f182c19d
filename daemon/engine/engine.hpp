// Engine: one client's attachment to one thread (utrace's struct utrace_engine).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "utrace/proto/events.hpp"

namespace utraced {

class ClientLink;
struct TracedThread;

enum class EngineMode {
  Sync,   // reports are JSON-RPC requests; the thread waits for the reply
  Async,  // reports are `event` notifications; the standing action (resume) applies at once
};

enum class EngineState {
  Attached,  // receives reports
  Detached,  // gone: every call on it gives ESRCH; replies to it are ignored
};

struct Engine {
  std::uint64_t id = 0;
  ClientLink* client = nullptr;  // valid while Attached: a closing client detaches first
  std::shared_ptr<TracedThread> thread;
  utrace::proto::EventMask events;
  EngineMode mode = EngineMode::Async;
  std::string type;
  nlohmann::json data;
  EngineState state = EngineState::Attached;

  bool hold = false;          // utrace's ENGINE_STOP: this engine keeps the thread stopped
  bool pending_stop = false;  // control(stop) returned EINPROGRESS; becomes hold at the next stop
  bool reporting = false;     // a report to this engine is in flight (sync mode)
  bool cancel_reap = false;   // replied detach to death: no reap report
  // Sync mode: a report unanswered this long gets the default action (0: wait forever).
  std::chrono::milliseconds report_timeout{0};

  // barrier() callers waiting for `reporting` to clear: called with 0 or an errno.
  std::vector<std::function<void(int)>> barrier_waiters;
  // wait() callers: called with (0, "stopped" | "report") or (ESRCH, "detached").
  std::vector<std::function<void(int, const char*)>> wait_waiters;

  bool attached() const { return state == EngineState::Attached; }
  bool wants(utrace::proto::EventKind k) const { return events.has(k); }
};

using EnginePtr = std::shared_ptr<Engine>;

}  // namespace utraced
