#include "syscall_format.hpp"

#include <sys/wait.h>

#include <csignal>
#include <cstring>
#include <string_view>

#include <fmt/format.h>

#include "utrace/proto/errors.hpp"

namespace utracectl {

namespace {

// Below this magnitude a value is printed in decimal: counts, fds, flags, small sizes.
constexpr std::uint64_t kDecimalLimit = 0x100000;
// Syscall return values in [-kMaxErrno, -1] are negative errno values.
constexpr std::int64_t kMaxErrno = 4095;

// Kernel-internal errors that reach a tracer at syscall exit (include/linux/errno.h). They
// have no user-space errno name, so libc cannot name them.
struct InternalErrno {
  int value;
  const char* name;
  const char* description;
};
constexpr InternalErrno kInternalErrnos[] = {
    {512, "ERESTARTSYS", "To be restarted if SA_RESTART is set"},
    {513, "ERESTARTNOINTR", "To be restarted"},
    {514, "ERESTARTNOHAND", "To be restarted if no handler"},
    {515, "ENOIOCTLCMD", "No ioctl command"},
    {516, "ERESTART_RESTARTBLOCK", "Interrupted by signal"},
};

std::string signal_name(int signo) {
  if (const char* abbrev = sigabbrev_np(signo)) return std::string("SIG") + abbrev;
  return fmt::format("SIG{}", signo);
}

}  // namespace

std::string syscall_name(const utrace::proto::SyscallInfo& info) {
  if (!info.name.empty()) return info.name;
  return fmt::format("syscall_{}", info.nr);
}

std::string format_arg(std::uint64_t value) {
  const auto as_signed = static_cast<std::int64_t>(value);
  if (value < kDecimalLimit) return fmt::format("{}", value);
  if (as_signed < 0 && as_signed >= -kMaxErrno) return fmt::format("{}", as_signed);
  // An int argument such as -1 or AT_FDCWD, passed zero-extended in a 64-bit register.
  const auto as_int = static_cast<std::int32_t>(static_cast<std::uint32_t>(value));
  if ((value >> 32) == 0 && as_int < 0 && as_int >= -kMaxErrno) return fmt::format("{}", as_int);
  return fmt::format("{:#x}", value);
}

bool is_error_retval(std::int64_t retval) { return retval < 0 && retval >= -kMaxErrno; }

std::string format_retval(std::int64_t retval) {
  if (!is_error_retval(retval)) {
    if (retval >= 0 && static_cast<std::uint64_t>(retval) < kDecimalLimit)
      return fmt::format("{}", retval);
    return retval < 0 ? fmt::format("{}", retval)
                      : fmt::format("{:#x}", static_cast<std::uint64_t>(retval));
  }
  const int err = static_cast<int>(-retval);
  for (const auto& internal : kInternalErrnos) {
    if (internal.value == err) return fmt::format("? {} ({})", internal.name, internal.description);
  }
  const char* description = strerrordesc_np(err);
  return fmt::format("-1 {} ({})", utrace::proto::errno_name(err),
                     description ? description : "Unknown error");
}

std::string format_death(const utrace::proto::Report& report) {
  if (report.exit_code) return fmt::format("exited with {}", *report.exit_code);
  if (report.signal && report.signal->signo > 0) {
    std::string name =
        report.signal->name.empty() ? signal_name(report.signal->signo) : report.signal->name;
    bool core = report.status && WIFSIGNALED(*report.status) && WCOREDUMP(*report.status);
    return fmt::format("killed by {}{}", name, core ? " (core dumped)" : "");
  }
  if (report.status) {
    const int status = *report.status;
    if (WIFEXITED(status)) return fmt::format("exited with {}", WEXITSTATUS(status));
    if (WIFSIGNALED(status)) {
      return fmt::format("killed by {}{}", signal_name(WTERMSIG(status)),
                         WCOREDUMP(status) ? " (core dumped)" : "");
    }
  }
  return "exited";
}

}  // namespace utracectl
