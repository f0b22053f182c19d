#include "trace/examine.hpp"

#include "utrace/proto/wide_values.hpp"

#include <fcntl.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
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
  // "0x…" strings: exact in every JSON parser (wide_values.hpp, PROTOCOL.md "Numbers").
  for (const auto& f : kFields) (*out)[f.name] = utrace::proto::hex_u64(at(r, f.offset));
  return 0;
}

int set_regs(pid_t tid, const nlohmann::json& regs, std::string* bad) {
  user_regs_struct r{};
  if (!regs.is_object()) return EINVAL;
  for (auto& [name, value] : regs.items()) {
    bool known = false;
    for (const auto& f : kFields) known = known || name == f.name;
    if (!known || !utrace::proto::read_u64(value)) {
      *bad = name;
      return EINVAL;
    }
  }
  if (int err = getregs(tid, &r)) return err;
  for (auto& [name, value] : regs.items())
    for (const auto& f : kFields)
      if (name == f.name)
        at(r, f.offset) = *utrace::proto::read_u64(value);
  return ::ptrace(PTRACE_SETREGS, tid, nullptr, &r) == 0 ? 0 : errno;
}

// Words the thread's own mappings forbid to process_vm_readv/writev (code pages are not
// writable, PROT_NONE pages not readable) are reached with ptrace's forced access, as a
// debugger's breakpoints are: never through /proc/TID/mem, which is owner-only (0600) and
// would need CAP_DAC_OVERRIDE in the daemon for every other user's process.
namespace {

constexpr std::uint64_t kWord = sizeof(long);
// Forced access costs two ptrace calls per word in the daemon's one event loop: at most this
// many bytes per call (a breakpoint is one byte), so no client can stall the daemon for long
// with 1 MiB writes into code pages. The rest is reported as not done (fewer bytes).
constexpr std::size_t kMaxForcedBytes = 64 * 1024;

// Reads the aligned word at `aligned`; false when it is not mapped (errno set).
bool peek(pid_t tid, std::uint64_t aligned, long* word) {
  errno = 0;
  *word = ::ptrace(PTRACE_PEEKDATA, tid, reinterpret_cast<void*>(aligned), nullptr);
  return errno == 0;
}

// Copies between `buf` and the thread's memory at addr, word by word, from byte `done` on.
// Returns the number of bytes done when the first word fails (or all of them).
std::size_t forced_copy(pid_t tid, std::uint64_t addr, char* buf, std::size_t size,
                        std::size_t done, bool write) {
  const std::size_t end = std::min(size, done + kMaxForcedBytes);
  while (done < end) {
    const std::uint64_t a = addr + done;
    const std::uint64_t aligned = a & ~(kWord - 1);
    const std::size_t off = a - aligned;
    const std::size_t n = std::min<std::size_t>(kWord - off, end - done);
    long word = 0;
    if (!peek(tid, aligned, &word)) break;
    if (write) {
      std::memcpy(reinterpret_cast<char*>(&word) + off, buf + done, n);
      if (::ptrace(PTRACE_POKEDATA, tid, reinterpret_cast<void*>(aligned),
                   reinterpret_cast<void*>(word)) != 0)
        break;
    } else {
      std::memcpy(buf + done, reinterpret_cast<char*>(&word) + off, n);
    }
    done += n;
  }
  return done;
}

// errno of a copy that did nothing: the thread gone, or the address not mapped.
int copy_error(int err) { return err == ESRCH ? ESRCH : EFAULT; }

}  // namespace

int read_memory(pid_t tid, std::uint64_t addr, std::size_t size, std::string* out) {
  out->assign(size, '\0');
  iovec local{out->data(), size};
  iovec remote{reinterpret_cast<void*>(addr), size};
  ssize_t n = ::process_vm_readv(tid, &local, 1, &remote, 1, 0);
  int err = errno;
  std::size_t done = n > 0 ? static_cast<std::size_t>(n) : 0;
  if (done < size) {
    done = forced_copy(tid, addr, out->data(), size, done, false);
    if (done == 0) return copy_error(n < 0 ? err : errno);
  }
  out->resize(done);
  return 0;
}

int write_memory(pid_t tid, std::uint64_t addr, const std::string& bytes, std::size_t* written) {
  std::string buf = bytes;
  iovec local{buf.data(), buf.size()};
  iovec remote{reinterpret_cast<void*>(addr), buf.size()};
  ssize_t n = ::process_vm_writev(tid, &local, 1, &remote, 1, 0);
  int err = errno;
  std::size_t done = n > 0 ? static_cast<std::size_t>(n) : 0;
  if (done < buf.size()) {
    done = forced_copy(tid, addr, buf.data(), buf.size(), done, true);
    if (done == 0) return copy_error(n < 0 ? err : errno);
  }
  *written = done;
  return 0;
}

int get_regset(pid_t tid, unsigned note, std::string* out) {
  // Room for any XSAVE area (AMX tiles make it ~11 KB); the kernel says how much it filled.
  out->assign(32 * 1024, '\0');
  iovec iov{out->data(), out->size()};
  if (::ptrace(PTRACE_GETREGSET, tid, reinterpret_cast<void*>(static_cast<std::uintptr_t>(note)),
               &iov) != 0)
    return errno;
  out->resize(iov.iov_len);
  return 0;
}

int set_regset(pid_t tid, unsigned note, const std::string& bytes) {
  std::string now;
  if (int err = get_regset(tid, note, &now)) return err;
  if (bytes.size() != now.size()) return EINVAL;  // the kernel wants the whole set
  std::string copy = bytes;
  iovec iov{copy.data(), copy.size()};
  if (::ptrace(PTRACE_SETREGSET, tid, reinterpret_cast<void*>(static_cast<std::uintptr_t>(note)),
               &iov) != 0)
    return errno == EFAULT ? EINVAL : errno;  // a malformed XSAVE header
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
