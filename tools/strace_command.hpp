// `utracectl trace`, `run` and `count`: strace's command line and output over utraced engines.
// trace -p PID attaches to running threads (-f: their whole processes and children), run starts
// PROG as utracectl's child (held at its exec: ProgramRun), count is `trace -c` with the table on
// stdout.
#pragma once

#include <string>
#include <vector>

#include "strace_options.hpp"

namespace utracectl {

// `socket` is the --socket given before the command word ("" : the default). Returns the exit
// status (run exits as its program did instead). Throws UsageError, ClientError.
int strace_command(std::string socket, StraceOptions::Command command,
                   const std::vector<std::string>& args);

}  // namespace utracectl
