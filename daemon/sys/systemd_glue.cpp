#include "sys/systemd_glue.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>

namespace utraced::systemd {

std::optional<int> inherited_socket() {
  const char* pid = std::getenv("LISTEN_PID");
  const char* fds = std::getenv("LISTEN_FDS");
  std::optional<int> fd;
  if (pid && fds && std::strtol(pid, nullptr, 10) == ::getpid() && std::strtol(fds, nullptr, 10) >= 1) {
    constexpr int kFirstFd = 3;  // SD_LISTEN_FDS_START
    ::fcntl(kFirstFd, F_SETFD, FD_CLOEXEC);
    fd = kFirstFd;
  }
  ::unsetenv("LISTEN_PID");
  ::unsetenv("LISTEN_FDS");
  ::unsetenv("LISTEN_FDNAMES");
  return fd;
}

void notify(std::string_view state) {
  const char* path = std::getenv("NOTIFY_SOCKET");
  if (!path || !*path) return;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::string p(path);
  if (p.size() >= sizeof addr.sun_path) return;
  std::memcpy(addr.sun_path, p.data(), p.size());
  if (addr.sun_path[0] == '@') addr.sun_path[0] = '\0';  // abstract namespace
  int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return;
  ::sendto(fd, state.data(), state.size(), MSG_NOSIGNAL, reinterpret_cast<sockaddr*>(&addr),
           static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + p.size()));
  ::close(fd);
}

}  // namespace utraced::systemd
