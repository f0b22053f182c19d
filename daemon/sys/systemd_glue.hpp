// The two pieces of the systemd protocol the daemon needs, without libsystemd: an inherited
// listening socket (socket activation, $LISTEN_FDS) and readiness notification ($NOTIFY_SOCKET).
#pragma once

#include <optional>
#include <string_view>

namespace utraced::systemd {

// The listening socket passed by systemd (fd 3) when $LISTEN_PID is us and $LISTEN_FDS >= 1.
// The variables are unset so children do not inherit them.
std::optional<int> inherited_socket();
// Sends state ("READY=1", "STOPPING=1") to $NOTIFY_SOCKET; does nothing without it.
void notify(std::string_view state);

}  // namespace utraced::systemd
