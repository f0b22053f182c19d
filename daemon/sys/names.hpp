// Syscall names (from libseccomp, cached) and signal names.
#pragma once

#include <cstdint>
#include <string>

namespace utraced::names {

// "getppid", or "" if libseccomp does not know nr on the native architecture.
const std::string& syscall_name(std::int64_t nr);
// The number of a syscall name on the native architecture, or -1.
std::int64_t syscall_number(const std::string& name);
// "SIGUSR1", or "SIG<n>" for unnamed values.
std::string signal_name(int signo);

}  // namespace utraced::names
