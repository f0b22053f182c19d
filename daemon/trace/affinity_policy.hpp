// The optional CPU affinity policy (`utraced --cpu N`): the daemon and every thread it traces
// run on CPU N, so that each ptrace stop and resume is a wake-up on the same CPU instead of a
// cross-CPU one; clients stay wherever the scheduler (or their user) puts them.
//
// It changes the traced threads' affinity, which they can see (sched_getaffinity) and which
// squeezes a multi-threaded program onto one CPU; so it is off unless asked for. Each thread's
// own mask is saved when it is seized (a child adopted at birth inherits its parent's saved
// mask, as the kernel copied the pinned one) and put back when the daemon lets it go.
#pragma once

#include <sched.h>
#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>

namespace utraced {

class AffinityPolicy {
 public:
  using Mask = std::shared_ptr<const cpu_set_t>;

  AffinityPolicy() = default;
  explicit AffinityPolicy(std::optional<int> cpu) : cpu_(cpu) {}

  bool enabled() const { return cpu_.has_value(); }
  // Pins the daemon itself, remembering its mask from before. Returns "" or why it cannot (a
  // CPU it may not use).
  std::string pin_self();
  // The daemon's mask from before pin_self: what an unclaimed child gets back (its parent's own
  // mask is unknown). Null when disabled.
  Mask original() const { return original_; }
  // Pins `tid`; returns its mask from before, or null when disabled or it failed (a thread
  // that cannot be pinned is still traced, only not pinned).
  Mask pin(pid_t tid) const;
  // Gives `tid` back `saved` (nothing when null).
  void restore(pid_t tid, const Mask& saved) const;

 private:
  std::optional<int> cpu_;
  Mask original_;
};

}  // namespace utraced
