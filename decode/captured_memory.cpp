#include "captured_memory.hpp"

#include <string_view>

namespace utrace::decode {

std::optional<std::string> CapturedMemory::read(std::uint64_t addr, std::size_t len) {
  if (len == 0) return std::string();
  for (const auto& region : capture_.mem) {
    if (addr < region.addr) continue;
    const std::uint64_t offset = addr - region.addr;
    if (offset <= region.bytes.size() && region.bytes.size() - offset >= len)
      return region.bytes.substr(offset, len);
  }
  return std::nullopt;
}

std::optional<std::string> CapturedMemory::read_string(std::uint64_t addr, std::size_t max) {
  // The region that holds the most bytes from addr on: the daemon recorded a string from its
  // start up to its NUL (kept), up to its limit, or up to an unreadable page.
  std::optional<std::string_view> best;
  for (const auto& region : capture_.mem) {
    if (addr < region.addr || addr - region.addr >= region.bytes.size()) continue;
    std::string_view rest(region.bytes);
    rest.remove_prefix(addr - region.addr);
    if (!best || rest.size() > best->size()) best = rest;
  }
  if (!best) return max == 0 ? std::optional<std::string>(std::string()) : std::nullopt;
  std::string_view rest = best->substr(0, max);
  const auto nul = rest.find('\0');
  return std::string(nul == std::string_view::npos ? rest : rest.substr(0, nul));
}

std::optional<std::string> CapturedMemory::fd_path(int fd) {
  auto it = capture_.fds.find(fd);
  if (it == capture_.fds.end()) return std::nullopt;
  return it->second;
}

}  // namespace utrace::decode
