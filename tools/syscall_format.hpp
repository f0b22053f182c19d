// Text formatting of syscalls and deaths for `utracectl trace` and `utracectl count`.
#pragma once

#include <cstdint>
#include <string>

#include "utrace/proto/report.hpp"

namespace utracectl {

// The syscall's name, or "syscall_NR" when the daemon did not know it.
std::string syscall_name(const utrace::proto::SyscallInfo& info);
// Decimal for small values and for small negatives (-1, AT_FDCWD), also when an int was passed
// zero-extended (0xffffffff prints as -1); hex for everything else.
std::string format_arg(std::uint64_t value);
// "3", "0x7f12...", "-1 ENOENT (No such file or directory)", "? ERESTARTSYS (...)".
std::string format_retval(std::int64_t retval);
// True when a syscall return value is a negative errno (including kernel-internal restarts).
bool is_error_retval(std::int64_t retval);
// "exited with 3" / "killed by SIGKILL" (+ " (core dumped)") for a death report.
std::string format_death(const utrace::proto::Report& report);

}  // namespace utracectl
