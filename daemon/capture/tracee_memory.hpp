// TraceeMemory: the strace decoder's MemorySource over a stopped thread's real memory, which
// records every read (CapturedRegion) so that the client can replay the decoder over exactly the
// same bytes (decode/captured_memory.hpp). Bounded: at most kCaptureCap bytes per stop.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "memory_source.hpp"
#include "utrace/proto/report.hpp"

namespace utraced {

inline constexpr std::size_t kCaptureCap = 256 * 1024;  // bytes of memory per stop

class TraceeMemory final : public utrace::decode::MemorySource {
 public:
  explicit TraceeMemory(pid_t tid) : tid_(tid) {}

  std::optional<std::string> read(std::uint64_t addr, std::size_t len) override;
  std::optional<std::string> read_string(std::uint64_t addr, std::size_t max) override;
  std::optional<std::string> fd_path(int fd) override;
  std::optional<std::uint64_t> stack_pointer() override;

  // What was read; the recorder is empty afterwards.
  utrace::proto::Capture take() { return std::move(capture_); }

 private:
  // The bytes of an earlier read that cover [addr, addr+len), if any.
  const std::string* recorded(std::uint64_t addr, std::size_t len, std::size_t* offset) const;
  // process_vm_readv of up to len bytes, page by page: stops at the first unreadable page.
  std::string read_pages(std::uint64_t addr, std::size_t len, bool stop_at_nul);
  bool over_cap(std::size_t len);

  pid_t tid_;
  std::size_t used_ = 0;
  utrace::proto::Capture capture_;
};

}  // namespace utraced
