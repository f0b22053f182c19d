// Every client-controlled resource has a bound here (DESIGN.md section 6). Exceeding one gives
// the error EAGAIN with data.limit naming it, or (connections) a refusal.
#pragma once

#include <cstddef>

namespace utraced {

struct Limits {
  std::size_t max_line = 1024 * 1024;          // bytes in one JSON line (--max-line)
  std::size_t connections_per_uid = 64;        // open connections of one uid (--max-connections)
  std::size_t engines_per_client = 4096;       // attached engines of one connection (--max-engines)
  // Unsent output to one client (--max-queue). Checked before each request line: while over
  // it, no more of the client's lines are executed (nor read); a single reply longer than it
  // is replaced by EAGAIN (data.limit "queued_bytes").
  std::size_t queued_bytes = 4 * 1024 * 1024;
  std::size_t waiters_per_client = 1024;       // outstanding barrier + wait calls (--max-waiters)
  std::size_t threads_per_engine = 4096;       // threads one engine covers (--max-threads-per-engine)
  // Threads covered by all engines of one connection, summed (--max-threads-per-client): without
  // it, 4096 process engines over a 4096-thread process are 16 M engine records (~5 GB).
  std::size_t threads_per_client = 16384;
  // Arrays/objects nested in one line (--max-depth); deeper lines get -32600 without being
  // parsed (utrace/proto/message.hpp, kMaxDepth).
  std::size_t nesting_depth = 64;
  // int3s one engine may keep inserted (insert_breakpoint): each costs the daemon a table entry
  // and two ptrace calls, and gdb uses tens.
  std::size_t breakpoints_per_engine = 4096;
  // Not limits but the daemon's batching of async `event` lines: up to this many lines wait for
  // one write, at most event_delay_us (--event-batch, --event-delay-us; 1: every event is written
  // at once). Anything else sent to the client flushes them first, in order. Measured
  // (bench/RESULTS.md, run 6 and after): 16 pays 10-50 % per stop when the daemon and clients
  // share a CPU or several engines are attached, and is within noise otherwise.
  std::size_t event_batch = 16;
  std::size_t event_delay_us = 1000;
};

}  // namespace utraced
