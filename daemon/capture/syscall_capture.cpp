#include "capture/syscall_capture.hpp"

#include <signal.h>
#include <sys/ptrace.h>

#include "capture/tracee_memory.hpp"

namespace utraced {

namespace {
utrace::decode::DecodeOptions decode_options(const CaptureOptions& o) {
  utrace::decode::DecodeOptions d;
  d.max_strlen = o.strsize;
  d.fd_paths = o.fd_paths;
  return d;
}
}  // namespace

utrace::proto::Capture SyscallCapture::at_entry(pid_t tid, std::int64_t nr,
                                                const std::array<std::uint64_t, 6>& args,
                                                const CaptureOptions& options) {
  TraceeMemory mem(tid);
  utrace::decode::SyscallDecoder decoder(decode_options(options));
  pending_ = decoder.enter(nr, args, mem);
  pending_options_ = options;
  return mem.take();
}

utrace::proto::Capture SyscallCapture::at_exit(pid_t tid, std::int64_t nr, std::int64_t retval,
                                               const CaptureOptions& options) {
  TraceeMemory mem(tid);
  if (pending_ && pending_->nr == nr) {
    // The options of the entry: the exit reads what the entry's text promised (an engine with
    // a larger strsize attached in between gets its size from the next call on).
    (void)options;
    utrace::decode::SyscallDecoder decoder(decode_options(pending_options_));
    decoder.exit(*pending_, retval, mem);
  }
  pending_.reset();
  return mem.take();
}

utrace::proto::Capture SyscallCapture::at_signal(pid_t tid) {
  utrace::proto::Capture c;
  siginfo_t si{};
  if (::ptrace(PTRACE_GETSIGINFO, tid, nullptr, &si) == 0)
    c.siginfo.assign(reinterpret_cast<const char*>(&si), sizeof si);
  return c;
}

}  // namespace utraced
