// Credentials of a Unix socket peer, read once at accept (SO_PEERCRED).
#pragma once

#include <sys/types.h>

#include <optional>

namespace utraced {

struct PeerCreds {
  pid_t pid = 0;
  uid_t uid = static_cast<uid_t>(-1);
  gid_t gid = static_cast<gid_t>(-1);

  static std::optional<PeerCreds> of_socket(int fd);
};

}  // namespace utraced
