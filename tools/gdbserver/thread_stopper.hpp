// ThreadStopper: holds and lets go the threads of our engine, one by one. Holding a running
// thread is `control stop` (EINPROGRESS) and then `wait {"tid"}` until the daemon says it is
// held, or until it stops with a report to us instead (that report, kept in flight, holds it).
// Letting one go answers its kept report with gdb's action (and signal), or releases the hold
// with `control resume` / `control singlestep`.
#pragma once

#include <functional>
#include <set>

#include "thread_registry.hpp"
#include "utrace/client_sync.hpp"

namespace utracectl::gdbserver {

class ThreadStopper {
 public:
  ThreadStopper(utrace::client::Client& client, utrace::client::EngineId engine,
                ThreadRegistry& threads)
      : client_(client), engine_(engine), threads_(threads) {}

  // Holds every running thread (new ones found meanwhile too); `pump` handles what the daemon
  // sends while we wait (a report that holds a thread we are stopping is kept by it).
  // only: just these threads.
  void stop_all(const std::function<void()>& pump, const std::set<int>* only = nullptr);
  // Lets a held thread go: continue or single-step, with a signal (Linux number) or 0.
  // A control single-step needs the engine's `quiesce` event: the caller sets it first.
  void release(ThreadState& t, bool step, int signo);

 private:
  void inject(ThreadState& t, int signo);

  utrace::client::Client& client_;
  utrace::client::EngineId engine_;
  ThreadRegistry& threads_;
};

}  // namespace utracectl::gdbserver
