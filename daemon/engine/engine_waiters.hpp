// EngineWaiters: the client calls that park until something happens to an engine. barrier()
// ends once no report to the engine is in flight and its reply is applied; wait() once the
// engine holds a thread stopped or a report is sent to it. Callers park on the engine's set,
// for one member (tid) or for all (tid 0); each ends exactly once: woken, ESRCH when the engine
// goes, or ETIMEDOUT. At most Limits::waiters_per_client park per connection.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <unordered_map>

#include <boost/asio/io_context.hpp>

#include "engine/engine_set.hpp"
#include "rpc/limits.hpp"
#include "trace/traced_thread.hpp"

namespace utraced {

class EngineWaiters {
 public:
  EngineWaiters(boost::asio::io_context& io, const Limits& limits) : io_(io), limits_(limits) {}

  void barrier(const EngineSetPtr& set, std::uint64_t client, pid_t tid,
               std::chrono::milliseconds timeout, std::function<void(int)> done);
  void wait(const EngineSetPtr& set, std::uint64_t client, pid_t tid,
            std::chrono::milliseconds timeout, std::function<void(int, const char*, pid_t)> done);

  // Fires the set's barrier callers whose condition now holds (or ESRCH).
  void check_barriers(const EngineSetPtr& set);
  // Wakes wait() callers of e (its tid, or any) with 0 and the reason.
  void wake(const EnginePtr& e, const char* reason);
  // Wakes wait() callers of the thread's engines that now hold it stopped.
  void wake_stopped(TracedThread& t);
  // The member on tid is gone (tid 0: the whole set): its callers get ESRCH.
  void fail(const EngineSetPtr& set, pid_t tid);
  void forget_client(std::uint64_t client) { per_client_.erase(client); }

 private:
  bool take(std::uint64_t client);
  void release(std::uint64_t client);

  boost::asio::io_context& io_;
  const Limits& limits_;
  std::unordered_map<std::uint64_t, std::size_t> per_client_;  // barrier + wait calls parked
};

}  // namespace utraced
