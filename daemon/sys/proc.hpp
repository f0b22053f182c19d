// /proc parsing for traced threads. All functions return nullopt when the task is gone.
#pragma once

#include <sys/types.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace utraced::proc {

struct TaskStatus {
  char state = '?';    // R, S, D, T, t, Z, X ...
  pid_t tgid = 0;
  pid_t ppid = 0;       // the real parent's tgid (0 for pid 1 and kthreadd)
  pid_t tracer_pid = 0;
  std::array<uid_t, 4> uids{};  // real, effective, saved, fs
  std::array<gid_t, 4> gids{};
  std::uint64_t cap_prm = 0;    // CapPrm
  std::uint64_t cap_eff = 0;    // CapEff
  bool has_caps = false;        // both CapPrm and CapEff were present
  std::uint64_t sig_pending = 0;  // SigPnd: the thread's own pending signals (bit N-1: signal N)
};

// /proc/TID/status; nullopt when the task is gone or its Uid/Gid lines cannot be parsed.
std::optional<TaskStatus> read_status(pid_t tid);

inline constexpr int kCapSysPtrace = 19;  // CAP_SYS_PTRACE
// The kernel's PF_* flags from /proc/TID/stat (field 9).
std::optional<unsigned long> read_flags(pid_t tid);
// Thread ids of a process from /proc/PID/task.
std::vector<pid_t> list_tasks(pid_t pid);

// /proc/PID/task/TID/wchan: the kernel function a sleeping thread waits in ("0": unknown).
std::string wchan(pid_t pid, pid_t tid);
// /proc/PID/exe, or "" when it cannot be read.
std::string exe_path(pid_t pid);
// True when a thread of the process other than `except` waits in execve for its siblings to
// die (de_thread): it sleeps killably ('D'), is not exiting, is the one thread the exec's kill
// spared (no SIGKILL pending) and, where the kernel names it, sleeps in de_thread (wchan).
// Read from /proc/TID/status, stat and wchan, which CAP_SYS_PTRACE lets the daemon read:
// /proc/TID/syscall is owner-only (0400) and the daemon has no CAP_DAC_* capability.
bool sibling_waits_in_exec(pid_t pid, pid_t except);

inline constexpr unsigned long kPfKthread = 0x00200000;
inline constexpr unsigned long kPfExiting = 0x00000004;

}  // namespace utraced::proc
