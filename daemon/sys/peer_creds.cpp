#include "sys/peer_creds.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <sstream>
#include <string>

#include "sys/proc.hpp"

#ifndef SO_PEERGROUPS
#define SO_PEERGROUPS 59
#endif
#ifndef SO_PEERPIDFD
#define SO_PEERPIDFD 77
#endif

namespace utraced {

namespace {

bool same_user_namespace(pid_t pid) {
  struct stat mine {}, theirs {};
  if (::stat("/proc/self/ns/user", &mine) != 0) return false;
  if (::stat(("/proc/" + std::to_string(pid) + "/ns/user").c_str(), &theirs) != 0) return false;
  return mine.st_dev == theirs.st_dev && mine.st_ino == theirs.st_ino;
}

// hidepid of the proc mount at /proc in pid's mount namespace: 0, 1 or 2 (-1: none found).
int read_hidepid(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/mountinfo");
  std::string line;
  int found = -1;
  while (std::getline(in, line)) {
    // ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTIONS
    std::istringstream f(line);
    std::string id, parent, dev, root, point;
    if (!(f >> id >> parent >> dev >> root >> point) || point != "/proc") continue;
    auto dash = line.find(" - ");
    if (dash == std::string::npos) continue;
    std::istringstream tail(line.substr(dash + 3));
    std::string fstype, source, super;
    if (!(tail >> fstype >> source >> super) || fstype != "proc") continue;
    int level = 0;
    std::istringstream opts(super);
    for (std::string o; std::getline(opts, o, ',');) {
      if (o.rfind("hidepid=", 0) != 0) continue;
      std::string v = o.substr(8);
      if (v == "1" || v == "noaccess") level = 1;
      else if (v == "0" || v == "off") level = 0;
      else level = 2;  // 2, invisible, 4, ptraceable
    }
    found = level;  // the last mount at /proc is the one on top
  }
  return found;
}

// The process behind a pidfd has not exited (a pidfd polls readable once it has). Unlike
// pidfd_send_signal(pidfd, 0) this needs no CAP_KILL, which the hardened unit does not give.
bool still_alive(int pidfd) {
  struct pollfd p {pidfd, POLLIN, 0};
  return ::poll(&p, 1, 0) == 0;
}

// Reads the peer's capabilities; true only if they are confirmed to be the peer's.
bool read_caps(int fd, PeerCreds& c) {
  int pidfd = -1;
  socklen_t len = sizeof pidfd;
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERPIDFD, &pidfd, &len) != 0 || pidfd < 0) return false;
  bool ok = false;
  auto st = proc::read_status(c.pid);
  if (st && st->has_caps && st->tgid == c.pid && st->uids[1] == c.uid &&
      same_user_namespace(c.pid) && still_alive(pidfd)) {
    // The peer still exists, so /proc/PID was the peer (its pid cannot have been reused).
    c.cap_eff = st->cap_eff;
    c.cap_prm = st->cap_prm;
    const int hidepid = read_hidepid(c.pid);
    // Still the peer after the mountinfo read: its pid was not reused in between.
    ok = still_alive(pidfd);
    if (ok) c.proc_hidepid = hidepid < 0 ? 1 : hidepid;
  }
  c.pidfd = std::shared_ptr<const int>(new int(pidfd), [](const int* p) {
    ::close(*p);
    delete p;
  });
  return ok;
}

}  // namespace

bool PeerCreds::connector_alive() const { return pidfd && still_alive(*pidfd); }

std::optional<PeerCreds> PeerCreds::of_socket(int fd) {
  struct ucred uc {};
  socklen_t len = sizeof uc;
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) != 0) return std::nullopt;
  PeerCreds c;
  c.pid = uc.pid;
  c.uid = uc.uid;
  c.gid = uc.gid;
  c.caps_known = uc.pid > 0 && read_caps(fd, c);
  if (uc.pid > 0) {
    std::ifstream comm("/proc/" + std::to_string(uc.pid) + "/comm");
    std::getline(comm, c.comm);
  }
  return c;
}

}  // namespace utraced
