// Credentials of a Unix socket peer, read once at accept: uid/gid/pid from SO_PEERCRED (the
// peer's effective ids at connect time), and its capabilities from /proc/PID/status.
//
// The pid in SO_PEERCRED could in principle have been reused between connect and accept. Where
// the kernel has SO_PEERPIDFD (Linux 6.5+) we take a pidfd of the peer, read /proc/PID/status,
// and then check by polling the pidfd (readable once the process exited) that the peer still
// exists: while it exists its pid cannot have been reused, so the status we read was the peer's.
// The pidfd is kept for the connection's life (PeerCreds::pidfd), so later rules about the
// client process can check the same way that its pid was not reused. Without SO_PEERPIDFD, or if the
// check fails, the capabilities are taken as unknown, i.e. none: the client is then treated as
// an ordinary user of its uid (never more privileged than SO_PEERCRED alone says).
//
// Capabilities are only honoured when the peer lives in the daemon's own user namespace: a
// "root" in a child user namespace has a full CapEff that means nothing outside it.
//
// With the same check, the hidepid= option of the peer's own /proc mount (from
// /proc/PID/mountinfo) is read: errors about threads the peer could not see there say no more
// than that (access_policy.hpp). Unknown counts as hidepid=noaccess.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace utraced {

struct PeerCreds {
  pid_t pid = 0;
  uid_t uid = static_cast<uid_t>(-1);
  gid_t gid = static_cast<gid_t>(-1);
  // Capability sets of the peer process, read at accept. Zero when not known (see above).
  std::uint64_t cap_eff = 0;
  std::uint64_t cap_prm = 0;
  // True when the capability sets were read and confirmed (pidfd check, same user namespace).
  bool caps_known = false;
  // The peer's /proc: 0 shows every process, 1 (hidepid=noaccess) shows other users' processes
  // but not their files, 2 (invisible, ptraceable) hides them.
  int proc_hidepid = 1;
  // The connecting process's command name (/proc/PID/comm at accept), for `who`.
  std::string comm;

  // A pidfd of the connecting process, kept for the connection's life (shared by copies;
  // closed with the last), so that rules about "the client process" (Yama's descendant walk)
  // can tell whether PeerCreds::pid still names it. Null without SO_PEERPIDFD.
  std::shared_ptr<const int> pidfd;

  bool has_cap(int cap) const { return caps_known && cap >= 0 && cap < 64 && (cap_eff >> cap) & 1; }
  // The connecting process still exists, so `pid` is still its pid (false when unknown).
  bool connector_alive() const;

  static std::optional<PeerCreds> of_socket(int fd);
};

}  // namespace utraced
