#include "trace/traced_thread.hpp"

#include <algorithm>

#include "util/log.hpp"

namespace utraced {

std::string_view to_string(ThreadState s) {
  switch (s) {
    case ThreadState::Running: return "Running";
    case ThreadState::Stopped: return "Stopped";
    case ThreadState::Listening: return "Listening";
    case ThreadState::Dead: return "Dead";
  }
  return "?";
}

void TracedThread::set_state(ThreadState next) {
  // Dead is final; everything else may move between the live states.
  if (state == ThreadState::Dead && next != ThreadState::Dead) {
    log::trace().error("tid={}: illegal transition {} -> {}, ignoring", tid, to_string(state),
                       to_string(next));
    return;
  }
  if (next == ThreadState::Stopped)
    log::trace().debug("tid={}: {} -> Stopped({})", tid, to_string(state), to_string(stop.kind));
  else
    log::trace().debug("tid={}: {} -> {}", tid, to_string(state), to_string(next));
  state = next;
}

bool TracedThread::any_hold() const {
  return std::any_of(engines.begin(), engines.end(), [](const EnginePtr& e) { return e->hold; }) ||
         std::any_of(attaching.begin(), attaching.end(),
                     [](const EnginePtr& e) { return e->hold; });
}

utrace::proto::EventMask TracedThread::event_union() const {
  utrace::proto::EventMask m;
  for (const auto& e : engines) m = m | e->events;
  for (const auto& e : attaching) m = m | e->events;
  return m;
}

void TracedThread::splice_attaching() {
  engines.insert(engines.end(), attaching.begin(), attaching.end());
  attaching.clear();
}

bool TracedThread::remove_engine(const EnginePtr& e) {
  for (auto* list : {&engines, &attaching}) {
    auto it = std::find(list->begin(), list->end(), e);
    if (it != list->end()) {
      list->erase(it);
      return true;
    }
  }
  return false;
}

}  // namespace utraced
