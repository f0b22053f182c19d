#include "sys/peer_creds.hpp"

#include <sys/socket.h>

namespace utraced {

std::optional<PeerCreds> PeerCreds::of_socket(int fd) {
  struct ucred uc {};
  socklen_t len = sizeof uc;
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) != 0) return std::nullopt;
  return PeerCreds{uc.pid, uc.uid, uc.gid};
}

}  // namespace utraced
