#include "sys/names.hpp"

#include <seccomp.h>
#include <signal.h>
#include <string.h>

#include <cstdlib>
#include <vector>

namespace utraced::names {

const std::string& syscall_name(std::int64_t nr) {
  static const std::string kEmpty;
  static std::vector<std::string> cache = [] {
    std::vector<std::string> v(1024);
    for (int i = 0; i < static_cast<int>(v.size()); ++i) {
      if (char* n = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, i)) {
        v[static_cast<std::size_t>(i)] = n;
        std::free(n);
      }
    }
    return v;
  }();
  if (nr < 0 || nr >= static_cast<std::int64_t>(cache.size())) return kEmpty;
  return cache[static_cast<std::size_t>(nr)];
}

std::int64_t syscall_number(const std::string& name) {
  int nr = seccomp_syscall_resolve_name_arch(SCMP_ARCH_NATIVE, name.c_str());
  return nr == __NR_SCMP_ERROR || nr < 0 ? -1 : nr;
}

std::string signal_name(int signo) {
  if (const char* n = sigabbrev_np(signo)) return std::string("SIG") + n;
  if (signo >= SIGRTMIN && signo <= SIGRTMAX) return "SIGRT_" + std::to_string(signo - SIGRTMIN);
  return "SIG" + std::to_string(signo);
}

}  // namespace utraced::names
