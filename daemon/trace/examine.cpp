#include "trace/examine.hpp"

#include <fcntl.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <utility>

namespace utraced::examine {
namespace {

struct Field {
  const char* name;
  std::size_t offset;
};

#define UTRACED_REG(n) Field{#n, offsetof(struct user_regs_struct, n)}
constexpr Field kFields[] = {
    UTRACED_REG(r15), UTRACED_REG(r14), UTRACED_REG(r13),      UTRACED_REG(r12),
    UTRACED_REG(rbp), UTRACED_REG(rbx), UTRACED_REG(r11),      UTRACED_REG(r10),
    UTRACED_REG(r9),  UTRACED_REG(r8),  UTRACED_REG(rax),      UTRACED_REG(rcx),
    UTRACED_REG(rdx), UTRACED_REG(rsi), UTRACED_REG(rdi),      UTRACED_REG(orig_rax),
    UTRACED_REG(rip), UTRACED_REG(cs),  UTRACED_REG(eflags),   UTRACED_REG(rsp),
    UTRACED_REG(ss),  UTRACED_REG(fs_base), UTRACED_REG(gs_base), UTRACED_REG(ds),
    UTRACED_REG(es),  UTRACED_REG(fs),  UTRACED_REG(gs)};
#undef UTRACED_REG

unsigned long long& at(user_regs_struct& r, std::size_t off) {
  return *reinterpret_cast<unsigned long long*>(reinterpret_cast<char*>(&r) + off);
}

int getregs(pid_t tid, user_regs_struct* r) {
  return ::ptrace(PTRACE_GETREGS, tid, nullptr, r) == 0 ? 0 : errno;
}

}  // namespace

int get_regs(pid_t tid, nlohmann::json* out) {
  user_regs_struct r{};
  if (int err = getregs(tid, &r)) return err;
  *out = nlohmann::json::object();
  for (const auto& f : kFields) (*out)[f.name] = static_cast<std::uint64_t>(at(r, f.offset));
  return 0;
}

int set_regs(pid_t tid, const nlohmann::json& regs, std::string* bad) {
  user_regs_struct r{};
  if (!regs.is_object()) return EINVAL;
  for (auto& [name, value] : regs.items()) {
    bool known = false;
    for (const auto& f : kFields) known = known || name == f.name;
    if (!known || !(value.is_number_unsigned() || value.is_number_integer())) {
      *bad = name;
      return EINVAL;
    }
  }
  if (int err = getregs(tid, &r)) return err;
  for (auto& [name, value] : regs.items())
    for (const auto& f : kFields)
      if (name == f.name)
        at(r, f.offset) = value.is_number_unsigned()
                              ? value.get<std::uint64_t>()
                              : static_cast<std::uint64_t>(value.get<std::int64_t>());
  return ::ptrace(PTRACE_SETREGS, tid, nullptr, &r) == 0 ? 0 : errno;
}

int read_memory(pid_t tid, std::uint64_t addr, std::size_t size, std::string* out) {
  out->assign(size, '\0');
  iovec local{out->data(), size};
  iovec remote{reinterpret_cast<void*>(addr), size};
  ssize_t n = ::process_vm_readv(tid, &local, 1, &remote, 1, 0);
  if (n < 0) {
    // Fall back to /proc/TID/mem (e.g. pages process_vm_readv refuses).
    int fd = ::open(("/proc/" + std::to_string(tid) + "/mem").c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return errno == ENOENT ? ESRCH : errno;
    n = ::pread(fd, out->data(), size, static_cast<off_t>(addr));
    int err = errno;
    ::close(fd);
    if (n < 0) return err == EIO ? EFAULT : err;
  }
  out->resize(static_cast<std::size_t>(n));
  return 0;
}

int write_memory(pid_t tid, std::uint64_t addr, const std::string& bytes, std::size_t* written) {
  int fd = ::open(("/proc/" + std::to_string(tid) + "/mem").c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return errno == ENOENT ? ESRCH : errno;
  ssize_t n = ::pwrite(fd, bytes.data(), bytes.size(), static_cast<off_t>(addr));
  int err = errno;
  ::close(fd);
  if (n < 0) return err == EIO ? EFAULT : err;
  *written = static_cast<std::size_t>(n);
  return 0;
}

int set_syscall_nr(pid_t tid, std::int64_t nr) {
  user_regs_struct r{};
  if (int err = getregs(tid, &r)) return err;
  r.orig_rax = static_cast<unsigned long long>(nr);
  return ::ptrace(PTRACE_SETREGS, tid, nullptr, &r) == 0 ? 0 : errno;
}

int set_return_value(pid_t tid, std::int64_t value) {
  user_regs_struct r{};
  if (int err = getregs(tid, &r)) return err;
  r.rax = static_cast<unsigned long long>(value);
  return ::ptrace(PTRACE_SETREGS, tid, nullptr, &r) == 0 ? 0 : errno;
}

}  // namespace utraced::examine
