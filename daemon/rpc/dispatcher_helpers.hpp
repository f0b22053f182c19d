// What the dispatcher's files share: parameter errors and the common engine/tid parameters.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

#include "utrace/proto/params.hpp"

namespace utraced::dispatch {

// Throws invalid params naming the parameter.
[[noreturn]] void bad(const utrace::proto::ParamSpec& spec, const std::string& why);
// The message of an errno answer about an engine.
std::string errno_text(int err, std::uint64_t engine);
pid_t opt_tid(const utrace::proto::Params& p);           // `tid`, 0 when absent
std::uint64_t engine_param(const utrace::proto::Params& p);  // `engine` (required)

// Thrown by an examine method when the engine holds its thread but the thread's ptrace-stop
// is on its way: Dispatcher::handle runs the request again once that stop was dispatched.
struct ExamineLater {
  std::uint64_t engine;
  pid_t tid;
};

}  // namespace utraced::dispatch
