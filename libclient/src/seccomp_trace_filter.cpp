#include "seccomp_trace_filter.hpp"

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <memory>

#include "utrace/client_error.hpp"

namespace utrace::client::detail {

namespace {

[[noreturn]] void bad_syscalls(const std::string& why) {
  throw ClientError(proto::invalid_params("syscalls", why), "launch");
}

[[noreturn]] void libseccomp_failed(const std::string& what) {
  throw ClientError(make_client_error(proto::rpc_code::kInternalError,
                                     "cannot build the seccomp filter: " + what),
                    "launch");
}

// "openat" -> its number on this architecture; "257" -> 257.
int syscall_number(const std::string& name) {
  int nr = -1;
  auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), nr);
  if (!name.empty() && ec == std::errc() && end == name.data() + name.size()) {
    if (nr < 0) bad_syscalls("'" + name + "' is not a syscall number");
    return nr;
  }
  nr = seccomp_syscall_resolve_name(name.c_str());
  if (nr == __NR_SCMP_ERROR) bad_syscalls("unknown syscall '" + name + "'");
  return nr;
}

struct ContextDeleter {
  void operator()(void* ctx) const { seccomp_release(ctx); }
};

}  // namespace

SeccompTraceFilter SeccompTraceFilter::build(const std::vector<std::string>& syscalls) {
  if (syscalls.empty()) bad_syscalls("a seccomp filter needs at least one syscall");
  std::unique_ptr<void, ContextDeleter> ctx(seccomp_init(SCMP_ACT_ALLOW));
  if (!ctx) libseccomp_failed("seccomp_init failed");
  // The child sets no_new_privs itself just before installing the filter.
  seccomp_attr_set(ctx.get(), SCMP_FLTATR_CTL_NNP, 0);
  for (const auto& name : syscalls) {
    const int nr = syscall_number(name);
    if (int rc = seccomp_rule_add(ctx.get(), SCMP_ACT_TRACE(0), nr, 0); rc < 0)
      libseccomp_failed("seccomp_rule_add(" + name + "): " + std::strerror(-rc));
  }
  // libseccomp 2.5 exports to a file descriptor only: go through a memfd.
  const int fd = ::memfd_create("utrace-seccomp", MFD_CLOEXEC);
  if (fd < 0) libseccomp_failed(std::string("memfd_create: ") + std::strerror(errno));
  std::string bpf;
  const bool exported = seccomp_export_bpf(ctx.get(), fd) == 0;
  if (exported && ::lseek(fd, 0, SEEK_SET) == 0) {
    char buf[4096];
    for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;)
      bpf.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  if (!exported) libseccomp_failed("seccomp_export_bpf failed");
  if (bpf.empty() || bpf.size() % sizeof(struct sock_filter) != 0 ||
      bpf.size() / sizeof(struct sock_filter) > BPF_MAXINSNS)
    libseccomp_failed("bad BPF export (" + std::to_string(bpf.size()) + " bytes)");
  return SeccompTraceFilter(std::move(bpf));
}

int SeccompTraceFilter::install(bool* no_new_privs_failed) const noexcept {
  struct sock_fprog prog;
  prog.len = static_cast<unsigned short>(bpf_.size() / sizeof(struct sock_filter));
  prog.filter = reinterpret_cast<struct sock_filter*>(const_cast<char*>(bpf_.data()));
  *no_new_privs_failed = true;
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return errno;
  *no_new_privs_failed = false;
  if (::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) != 0) return errno;
  return 0;
}

}  // namespace utrace::client::detail
