#include "capture/tracee_memory.hpp"

#include <stddef.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <climits>
#include <cstring>

namespace utraced {

namespace {
constexpr std::uint64_t kPage = 4096;
constexpr int kAtFdcwd = -100;
}  // namespace

bool TraceeMemory::over_cap(std::size_t len) {
  if (used_ + len <= kCaptureCap) return false;
  capture_.truncated = true;
  return true;
}

const std::string* TraceeMemory::recorded(std::uint64_t addr, std::size_t len,
                                          std::size_t* offset) const {
  for (const auto& region : capture_.mem) {
    if (addr >= region.addr && addr - region.addr <= region.bytes.size() &&
        region.bytes.size() - (addr - region.addr) >= len) {
      *offset = addr - region.addr;
      return &region.bytes;
    }
  }
  return nullptr;
}

std::string TraceeMemory::read_pages(std::uint64_t addr, std::size_t len, bool stop_at_nul) {
  // process_vm_readv does not split an iovec: a read that runs into an unmapped page fails
  // whole. Read up to each page end in turn.
  // A string is read 256 bytes first, then in growing pieces: most are short, and a path's
  // limit is PATH_MAX.
  std::string out;
  std::size_t piece = stop_at_nul ? 256 : len;
  while (out.size() < len) {
    const std::uint64_t at = addr + out.size();
    const std::size_t chunk =
        std::min<std::uint64_t>({len - out.size(), kPage - at % kPage, piece});
    piece *= 2;
    const std::size_t old = out.size();
    out.resize(old + chunk);
    iovec local{out.data() + old, chunk};
    iovec remote{reinterpret_cast<void*>(at), chunk};
    const ssize_t n = ::process_vm_readv(tid_, &local, 1, &remote, 1, 0);
    out.resize(old + (n > 0 ? static_cast<std::size_t>(n) : 0));
    if (n <= 0 || static_cast<std::size_t>(n) < chunk) break;
    if (stop_at_nul && std::memchr(out.data() + old, '\0', chunk)) break;
  }
  return out;
}

std::optional<std::string> TraceeMemory::read(std::uint64_t addr, std::size_t len) {
  if (len == 0) return std::string();
  std::size_t offset = 0;
  if (const auto* have = recorded(addr, len, &offset)) return have->substr(offset, len);
  if (addr + len < addr || over_cap(len)) return std::nullopt;
  std::string bytes = read_pages(addr, len, false);
  if (bytes.size() != len) return std::nullopt;
  used_ += len;
  capture_.mem.push_back({addr, bytes});
  return bytes;
}

std::optional<std::string> TraceeMemory::read_string(std::uint64_t addr, std::size_t max) {
  // Recorded already (argv strings read twice, say): as the client's replay will find it.
  // (The longest region from addr, as CapturedMemory::read_string picks it.)
  std::optional<std::string_view> best;
  for (const auto& region : capture_.mem) {
    if (addr < region.addr || addr - region.addr >= region.bytes.size()) continue;
    std::string_view rest(region.bytes);
    rest.remove_prefix(addr - region.addr);
    if (!best || rest.size() > best->size()) best = rest;
  }
  if (best) {
    const auto nul = best->substr(0, max).find('\0');
    if (nul != std::string_view::npos) return std::string(best->substr(0, nul));
    if (best->size() >= max) return std::string(best->substr(0, max));
    // shorter than asked: read afresh (the new, longer region is the one the replay picks)
  }
  if (max == 0) return std::string();
  if (over_cap(std::min<std::size_t>(max, kPage))) return std::nullopt;
  std::string bytes = read_pages(addr, std::min(max, kCaptureCap - used_), true);
  if (bytes.empty()) return std::nullopt;
  const auto nul = bytes.find('\0');
  if (nul != std::string::npos) bytes.resize(nul + 1);  // the region keeps its NUL
  used_ += bytes.size();
  capture_.mem.push_back({addr, bytes});
  if (nul != std::string::npos) bytes.resize(nul);
  return bytes;
}

std::optional<std::uint64_t> TraceeMemory::stack_pointer() {
  if (capture_.sp) return capture_.sp;
  errno = 0;
  const long sp = ::ptrace(PTRACE_PEEKUSER, tid_, offsetof(struct user_regs_struct, rsp), nullptr);
  if (errno) return std::nullopt;
  capture_.sp = static_cast<std::uint64_t>(sp);
  return capture_.sp;
}

std::optional<std::string> TraceeMemory::fd_path(int fd) {
  if (auto it = capture_.fds.find(fd); it != capture_.fds.end()) return it->second;
  if (fd < 0 && fd != kAtFdcwd) return std::nullopt;
  const std::string link = "/proc/" + std::to_string(tid_) +
                           (fd == kAtFdcwd ? std::string("/cwd") : "/fd/" + std::to_string(fd));
  std::array<char, PATH_MAX> buf{};
  const ssize_t n = ::readlink(link.c_str(), buf.data(), buf.size());
  if (n <= 0) return std::nullopt;
  std::string path(buf.data(), static_cast<std::size_t>(n));
  capture_.fds.emplace(fd, path);
  return path;
}

}  // namespace utraced
