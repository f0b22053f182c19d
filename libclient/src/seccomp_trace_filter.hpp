// SeccompTraceFilter: the seccomp program a launched child installs before its exec when only
// some syscalls should stop it: SECCOMP_RET_TRACE for those, SECCOMP_RET_ALLOW for every other.
// Built with libseccomp before the fork (classic BPF, exported once); installed by the child
// with only async-signal-safe calls.
#pragma once

#include <string>
#include <vector>

namespace utrace::client::detail {

class SeccompTraceFilter {
 public:
  // `syscalls` are names as libseccomp knows them ("openat") or decimal numbers. Throws
  // ClientError: -32602 (data.parameter "syscalls") for an empty list or an unknown name,
  // kInternalError when libseccomp fails.
  static SeccompTraceFilter build(const std::vector<std::string>& syscalls);

  // In the child, after the fork: sets PR_SET_NO_NEW_PRIVS (needed to install a filter
  // without CAP_SYS_ADMIN), then the filter. Async-signal-safe. Returns 0, or the errno with
  // *no_new_privs_failed telling which of the two prctl calls failed.
  int install(bool* no_new_privs_failed) const noexcept;

  // The raw `struct sock_filter` array.
  const std::string& bpf() const { return bpf_; }

 private:
  explicit SeccompTraceFilter(std::string bpf) : bpf_(std::move(bpf)) {}
  std::string bpf_;
};

}  // namespace utrace::client::detail
