// Every client-controlled resource has a bound here (DESIGN.md section 6). Exceeding one gives
// the error EAGAIN with data.limit naming it, or (connections) a refusal.
#pragma once

#include <cstddef>

namespace utraced {

struct Limits {
  std::size_t max_line = 1024 * 1024;          // bytes in one JSON line (--max-line)
  std::size_t connections_per_uid = 64;        // open connections of one uid (--max-connections)
  std::size_t engines_per_client = 4096;       // attached engines of one connection (--max-engines)
  std::size_t queued_bytes = 4 * 1024 * 1024;  // unsent output to one client (--max-queue)
  std::size_t waiters_per_client = 1024;       // outstanding barrier + wait calls (--max-waiters)
  std::size_t threads_per_engine = 4096;       // threads one engine covers (--max-threads-per-engine)
};

}  // namespace utraced
