// Where the decoder reads a traced thread's memory. The next step backs it with the memory the
// daemon captured at the stop; unit tests back it with a map of addresses to bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace utrace::decode {

class MemorySource {
 public:
  virtual ~MemorySource() = default;
  // Exactly `len` bytes at `addr`, or nullopt when they are not all available.
  virtual std::optional<std::string> read(std::uint64_t addr, std::size_t len) = 0;
  // The bytes at `addr` up to (not including) the first NUL, at most `max` of them; a result of
  // `max` bytes means no NUL was seen among them. nullopt when `addr` is not readable.
  virtual std::optional<std::string> read_string(std::uint64_t addr, std::size_t max) = 0;
  // What fd `fd` of the thread refers to (the /proc/PID/fd/N link: "/etc/passwd",
  // "socket:[1234]"), for -y; nullopt when unknown. Asked only with DecodeOptions::fd_paths.
  virtual std::optional<std::string> fd_path(int fd) {
    (void)fd;
    return std::nullopt;
  }
  // The thread's stack pointer at the stop (rt_sigreturn's frame); nullopt when unknown.
  virtual std::optional<std::uint64_t> stack_pointer() { return std::nullopt; }
};

// A memory source that has nothing (every read fails): arguments print as addresses.
class NoMemory final : public MemorySource {
 public:
  std::optional<std::string> read(std::uint64_t, std::size_t) override { return std::nullopt; }
  std::optional<std::string> read_string(std::uint64_t, std::size_t) override {
    return std::nullopt;
  }
};

// strace's output options that change how arguments print.
struct DecodeOptions {
  std::size_t max_strlen = 32;  // -s N
  int hex = 0;                  // 0; 1: -x (non-ASCII strings in \x hex); 2: -xx (all in hex)
  bool fd_paths = false;        // -y: "3</etc/passwd>" (MemorySource::fd_path)
};

}  // namespace utrace::decode
