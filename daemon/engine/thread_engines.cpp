#include "engine/thread_engines.hpp"

#include <algorithm>


namespace utraced {

ThreadEngines& thread_engines(TracedThread& t) {
  // Only the engine layer sets `ext`, and only here: the cast is always right.
  if (!t.ext) t.ext = std::make_unique<ThreadEngines>();
  return static_cast<ThreadEngines&>(*t.ext);
}

bool reporting(const Engine& e) {
  if (!e.thread || !e.thread->ext) return false;
  const auto& x = static_cast<const ThreadEngines&>(*e.thread->ext);
  return x.pass && x.pass->awaits(&e);
}

bool ThreadEngines::any_hold() const {
  auto holds = [](const EnginePtr& e) { return e->hold; };
  return std::any_of(engines.begin(), engines.end(), holds) ||
         std::any_of(attaching.begin(), attaching.end(), holds);
}

void ThreadEngines::splice_attaching() {
  engines.insert(engines.end(), attaching.begin(), attaching.end());
  attaching.clear();
}

bool ThreadEngines::remove_engine(const EnginePtr& e) {
  for (auto* list : {&engines, &attaching}) {
    auto it = std::find(list->begin(), list->end(), e);
    if (it != list->end()) {
      list->erase(it);
      return true;
    }
  }
  return false;
}

std::vector<EnginePtr> ThreadEngines::all() const {
  std::vector<EnginePtr> v = engines;
  v.insert(v.end(), attaching.begin(), attaching.end());
  return v;
}

}  // namespace utraced
