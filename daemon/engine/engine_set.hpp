// EngineSet: what a client knows as one engine id. It has one Engine (member) per thread it
// covers: one for scope "thread"; every thread of the process for scope "process", including
// threads created later; and, with `follow`, the children forked or cloned by its threads.
// barrier() and wait() callers wait here, for one member (tid) or for all of them (tid 0).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <utility>
#include <vector>

#include "engine/engine.hpp"

namespace utraced {

enum class EngineScope { Thread, Process };

struct EngineSet {
  std::uint64_t id = 0;
  ClientLink* client = nullptr;  // valid while attached
  pid_t pid = 0;                 // the process attached to (tgid)
  EngineScope scope = EngineScope::Thread;
  bool follow = false;  // also attach to children of fork/vfork/clone (and their threads)
  bool attached = true;
  std::map<pid_t, EnginePtr> members;  // by tid
  // The int3s it inserted (insert_breakpoint), as (process, address).
  std::set<std::pair<pid_t, std::uint64_t>> breakpoints;

  struct BarrierWaiter {
    pid_t tid = 0;  // 0: until no member has a report in flight
    std::function<void(int)> done;
  };
  struct WaitWaiter {
    pid_t tid = 0;  // 0: any member
    std::function<void(int, const char*, pid_t)> done;
  };
  std::vector<BarrierWaiter> barrier_waiters;
  std::vector<WaitWaiter> wait_waiters;

  // Does this set take the new thread `same_process` (a thread of the same process) or a child
  // process (!same_process)?
  bool follows(bool same_process) const {
    return follow || (same_process && scope == EngineScope::Process);
  }
};

using EngineSetPtr = std::shared_ptr<EngineSet>;

}  // namespace utraced
