// Event kinds an engine can subscribe to (utrace's UTRACE_EVENT bits 0..13) and masks of them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace utrace::proto {

enum class EventKind : std::uint8_t {
  Quiesce = 0,       // before every other report, and alone after a report/interrupt request
  Reap = 1,          // the thread is gone for good; the engine is detached afterwards
  Clone = 2,         // in the parent after clone/fork/vfork, before the child runs
  Exec = 3,          // after a successful execve, before the new image runs
  Exit = 4,          // start of the thread's exit; status known, exit cannot be prevented
  Death = 5,         // the thread is dead
  SyscallEntry = 6,  // kernel entry of a syscall, before it runs
  SyscallExit = 7,   // syscall done, before the return to user mode
  Signal = 8,        // a signal with a user handler is about to be delivered
  SignalIgn = 9,     // a signal that would be ignored
  SignalStop = 10,   // a signal whose default action stops the process
  SignalTerm = 11,   // a signal whose default action terminates
  SignalCore = 12,   // a signal whose default action dumps core
  Jctl = 13,         // a job-control stop or continue took effect
  Breakpoint = 14,   // the thread hit an int3 this engine inserted (insert_breakpoint); sent to
                     // the breakpoint's owners whether or not they list it in their events
};

inline constexpr int kEventKindCount = 15;

std::string_view to_string(EventKind kind);
std::optional<EventKind> parse_event(std::string_view name);

// A set of EventKinds. Plain value type.
class EventMask {
 public:
  constexpr EventMask() = default;
  constexpr explicit EventMask(std::uint32_t bits) : bits_(bits & kAll) {}
  static constexpr EventMask of(EventKind k) { return EventMask(bit(k)); }

  constexpr bool has(EventKind k) const { return (bits_ & bit(k)) != 0; }
  constexpr bool empty() const { return bits_ == 0; }
  constexpr std::uint32_t bits() const { return bits_; }
  constexpr void set(EventKind k) { bits_ |= bit(k); }
  constexpr void clear(EventKind k) { bits_ &= ~bit(k); }
  constexpr bool any_syscall() const {
    return has(EventKind::SyscallEntry) || has(EventKind::SyscallExit);
  }
  // Bits present in *this but not in other.
  constexpr EventMask minus(EventMask other) const { return EventMask(bits_ & ~other.bits_); }
  constexpr EventMask operator|(EventMask o) const { return EventMask(bits_ | o.bits_); }
  constexpr bool operator==(const EventMask&) const = default;

  std::vector<std::string> names() const;

 private:
  static constexpr std::uint32_t bit(EventKind k) { return 1u << static_cast<unsigned>(k); }
  static constexpr std::uint32_t kAll = (1u << kEventKindCount) - 1;
  std::uint32_t bits_ = 0;
};

}  // namespace utrace::proto
