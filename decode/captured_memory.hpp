// CapturedMemory: a MemorySource over the memory the daemon captured at a stop (the report's
// `capture`, PROTOCOL.md attach "capture"). The daemon captured it by running this same decoder
// over the thread's real memory, so replaying the decoder here reads exactly those bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "memory_source.hpp"
#include "utrace/proto/report.hpp"

namespace utrace::decode {

class CapturedMemory final : public MemorySource {
 public:
  // Keeps a reference: `capture` must outlive this source.
  explicit CapturedMemory(const utrace::proto::Capture& capture) : capture_(capture) {}

  std::optional<std::string> read(std::uint64_t addr, std::size_t len) override;
  std::optional<std::string> read_string(std::uint64_t addr, std::size_t max) override;
  std::optional<std::string> fd_path(int fd) override;
  std::optional<std::uint64_t> stack_pointer() override { return capture_.sp; }

 private:
  const utrace::proto::Capture& capture_;
};

}  // namespace utrace::decode
