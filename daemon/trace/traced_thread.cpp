#include "trace/traced_thread.hpp"

#include "util/check.hpp"
#include "util/log.hpp"

namespace utraced {

std::string_view to_string(ThreadState s) {
  switch (s) {
    case ThreadState::Newborn: return "Newborn";
    case ThreadState::Running: return "Running";
    case ThreadState::Stepping: return "Stepping";
    case ThreadState::Interrupting: return "Interrupting";
    case ThreadState::Stopped: return "Stopped";
    case ThreadState::Listening: return "Listening";
    case ThreadState::ListenInterrupting: return "ListenInterrupting";
    case ThreadState::Detached: return "Detached";
    case ThreadState::Dead: return "Dead";
  }
  return "?";
}

bool legal_transition(ThreadState from, ThreadState to) {
  using S = ThreadState;
  // Death can end every live state (SIGKILL, exit, a vanishing exec); Detached and Dead are
  // final. A stop ends every running state; only a Stopped thread is restarted or detached.
  if (from == S::Dead || from == S::Detached) return false;
  if (to == S::Dead) return true;
  switch (from) {
    case S::Newborn:
    case S::Running:
    case S::Stepping:
    case S::Interrupting:
      return to == S::Stopped ||
             (to == S::Interrupting && (from == S::Running || from == S::Stepping));
    case S::Stopped:
      // A restart that fails with ESRCH (killed out of the stop) leaves it Running too. SIGKILL
      // takes a thread out of its ptrace-stop into its exit stop with no restart (the Tracer
      // asserts that such a stop is PTRACE_EVENT_EXIT).
      return to == S::Running || to == S::Stepping || to == S::Listening || to == S::Detached ||
             to == S::Stopped;
    case S::Listening:
      // SIGCONT makes a LISTENing thread re-trap by itself.
      return to == S::ListenInterrupting || to == S::Stopped;
    case S::ListenInterrupting:
      return to == S::Stopped;
    case S::Detached:
    case S::Dead:
      return false;
  }
  return false;
}

void TracedThread::set_state(ThreadState next) {
  UT_ASSERT(legal_transition(state_, next), "tid={}: illegal transition {} -> {}", tid,
            to_string(state_), to_string(next));
  if (next == ThreadState::Stopped)
    log::trace().debug("tid={}: {} -> Stopped({})", tid, to_string(state_), to_string(stop.kind));
  else
    log::trace().debug("tid={}: {} -> {}", tid, to_string(state_), to_string(next));
  state_ = next;
}

}  // namespace utraced
