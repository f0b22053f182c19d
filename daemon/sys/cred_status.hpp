// Credentials and capabilities of a task from /proc/PID/status, for the access policy and the
// peer credentials. nullopt when the task is gone or the file cannot be parsed.
#pragma once

#include <sys/types.h>

#include <array>
#include <cstdint>
#include <optional>

namespace utraced::proc {

struct CredStatus {
  char state = '?';
  pid_t tgid = 0;
  pid_t ppid = 0;                 // the real parent's tgid (0 for pid 1 and kthreadd)
  std::array<uid_t, 4> uids{};    // real, effective, saved, fs
  std::array<gid_t, 4> gids{};
  std::uint64_t cap_prm = 0;      // CapPrm
  std::uint64_t cap_eff = 0;      // CapEff
  bool has_caps = false;          // both CapPrm and CapEff were present
};

std::optional<CredStatus> read_cred_status(pid_t pid);

inline constexpr int kCapSysPtrace = 19;  // CAP_SYS_PTRACE

}  // namespace utraced::proc
