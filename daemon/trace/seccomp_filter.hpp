// SeccompFilter: the filter a launched program runs under when its engine only wants some
// syscalls: SECCOMP_RET_TRACE for those, SECCOMP_RET_ALLOW for every other, built with
// libseccomp and exported as classic BPF for the child to install before its exec.
#pragma once

#include <string>
#include <vector>

namespace utraced::seccomp_filter {

// The raw `struct sock_filter` array, or "" with *error set.
std::string build_trace_filter(const std::vector<int>& syscalls, std::string* error);

// In the launched child (async-signal-safe): installs the filter. 0 or an errno.
int install(const std::string& bpf);

}  // namespace utraced::seccomp_filter
