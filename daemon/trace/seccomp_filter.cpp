#include "trace/seccomp_filter.hpp"

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace utraced::seccomp_filter {

std::string build_trace_filter(const std::vector<int>& syscalls, std::string* error) {
  scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
  if (!ctx) {
    *error = "seccomp_init failed";
    return "";
  }
  // The filter is installed by the child itself: no_new_privs is set just before.
  seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
  std::string out;
  for (int nr : syscalls) {
    if (int rc = seccomp_rule_add(ctx, SCMP_ACT_TRACE(0), nr, 0); rc < 0) {
      *error = "seccomp_rule_add(" + std::to_string(nr) + "): " + std::strerror(-rc);
      seccomp_release(ctx);
      return "";
    }
  }
  // libseccomp 2.5 exports to a file descriptor only: go through a memfd.
  int fd = ::memfd_create("utraced-seccomp", MFD_CLOEXEC);
  if (fd < 0 || seccomp_export_bpf(ctx, fd) < 0) {
    *error = "seccomp_export_bpf failed";
  } else {
    char buf[4096];
    ::lseek(fd, 0, SEEK_SET);
    for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;) out.append(buf, static_cast<std::size_t>(n));
    if (out.empty() || out.size() % sizeof(struct sock_filter) != 0) {
      *error = "bad BPF export";
      out.clear();
    }
  }
  if (fd >= 0) ::close(fd);
  seccomp_release(ctx);
  return out;
}

int install(const std::string& bpf) {
  struct sock_fprog prog;
  prog.len = static_cast<unsigned short>(bpf.size() / sizeof(struct sock_filter));
  prog.filter = reinterpret_cast<struct sock_filter*>(const_cast<char*>(bpf.data()));
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return errno;
  if (::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) != 0) return errno;
  return 0;
}

}  // namespace utraced::seccomp_filter
