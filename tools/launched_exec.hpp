// The execve that `utracectl run` makes its child do. The daemon holds the child at that exec
// (hold_at_exec) and only then reports it, so its entry is never seen: its line is decoded here
// from what utracectl knows, as strace prints it: execve("/usr/bin/true", ["true"],
// 0x7ffc... /* 37 vars */) = 0 (the path found in PATH as strace and execvp find it, argv cut at
// -s, the real envp pointer: the child inherits utracectl's environ).
#pragma once

#include <string>
#include <vector>

#include "syscall_decoder.hpp"

namespace utracectl {

utrace::decode::PendingCall launched_execve(const utrace::decode::SyscallDecoder& decoder,
                                            const std::vector<std::string>& argv);

}  // namespace utracectl
