// The memory the daemon captured at a report's stop (attach option `capture`, PROTOCOL.md), as
// the decoder's MemorySource; NoMemory when the report carries none (arguments then print as
// addresses).
#pragma once

#include <memory>

#include "captured_memory.hpp"
#include "memory_source.hpp"
#include "utrace/proto/report.hpp"

namespace utracectl {

// Keeps a reference to `r`'s capture: `r` must outlive the source.
inline std::unique_ptr<utrace::decode::MemorySource> memory_of(const utrace::proto::Report& r) {
  if (r.capture) return std::make_unique<utrace::decode::CapturedMemory>(*r.capture);
  return std::make_unique<utrace::decode::NoMemory>();
}

}  // namespace utracectl
