// Registers and memory of a thread in a ptrace-stop (utrace's examine). Callers check that the
// engine holds the thread; these only do the ptrace / /proc work. All return 0 or an errno.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace utraced::examine {

inline constexpr std::size_t kMaxMemoryIo = 1024 * 1024;  // bytes per read_memory/write_memory

// {"rax": ..., "rip": ..., ...}: every field of x86-64 struct user_regs_struct, unsigned.
int get_regs(pid_t tid, nlohmann::json* out);
// Changes the named registers, leaves the rest. EINVAL (with *bad set) for an unknown name.
int set_regs(pid_t tid, const nlohmann::json& regs, std::string* bad);
// Reads up to size bytes at addr; a short read (unmapped tail) returns what could be read.
// PTRACE_GETREGSET/SETREGSET of an ELF note type (NT_PRFPREG, NT_X86_XSTATE): the bytes as
// the kernel gives them. set_regset needs exactly the size get_regset gives (EINVAL else).
int get_regset(pid_t tid, unsigned note, std::string* out);
int set_regset(pid_t tid, unsigned note, const std::string& bytes);
int read_memory(pid_t tid, std::uint64_t addr, std::size_t size, std::string* out);
// Writes bytes at addr (also into read-only mappings, as a debugger does); *written is set.
int write_memory(pid_t tid, std::uint64_t addr, const std::string& bytes, std::size_t* written);

// At a syscall-entry stop: change the syscall number (-1 skips the syscall).
int set_syscall_nr(pid_t tid, std::int64_t nr);
// At a syscall-exit stop: change the return value.
int set_return_value(pid_t tid, std::int64_t value);

}  // namespace utraced::examine
