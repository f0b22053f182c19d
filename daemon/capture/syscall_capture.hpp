// SyscallCapture: the argument memory of one thread's syscalls and signals, for engines attached
// with `capture` (PROTOCOL.md, attach). The daemon replays the strace decoder (decode/) at the
// stop over the thread's real memory and keeps what it read: the decoder decides what to read,
// from the syscall table shared with utracectl (proto/syscall_table.hpp), so that what the
// client decodes afterwards from the capture is what it would have read itself at the stop.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <optional>

#include "capture/capture_options.hpp"
#include "syscall_decoder.hpp"
#include "utrace/proto/report.hpp"

namespace utraced {

class SyscallCapture {
 public:
  // At a syscall-entry stop: the in-arguments (keeps the call for its exit).
  utrace::proto::Capture at_entry(pid_t tid, std::int64_t nr, const std::array<std::uint64_t, 6>& args,
                                  const CaptureOptions& options);
  // At the exit stop of the call entered last: the out-arguments. Without a captured entry of
  // that syscall (attached during the call), only what the exit alone needs: nothing.
  utrace::proto::Capture at_exit(pid_t tid, std::int64_t nr, std::int64_t retval,
                                 const CaptureOptions& options);
  // At a signal-delivery stop: the raw siginfo.
  static utrace::proto::Capture at_signal(pid_t tid);
  // No capture at this entry: the exit that follows has nothing to finish.
  void forget() { pending_.reset(); }

 private:
  std::optional<utrace::decode::PendingCall> pending_;
  CaptureOptions pending_options_;
};

}  // namespace utraced
