// `utracectl gdbserver`: a GDB remote serial protocol server on one utraced engine (issue 15).
#pragma once

#include <string>
#include <vector>

namespace utracectl::gdbserver {

// `socket` is the daemon's socket ("" for the default); `args` are the words after
// "gdbserver". Returns the process exit status.
int gdbserver_command(const std::string& socket, const std::vector<std::string>& args);

}  // namespace utracectl::gdbserver
