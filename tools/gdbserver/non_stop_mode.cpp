#include "non_stop_mode.hpp"

namespace utracectl::gdbserver {

bool NonStopMode::collect() {
  bool ended = false;
  while (auto e = inferior_.take_stop()) {
    queue_.push_back(format_(*e));
    ended = ended || e->kind == StopKind::Exited;
  }
  if (!in_flight_ && !queue_.empty()) {
    conn_.notify("Stop:" + queue_.front());
    in_flight_ = true;
  }
  return ended;
}

std::string NonStopMode::question() {
  queue_.clear();
  for (int tid : inferior_.threads().live()) {
    const ThreadState* t = inferior_.threads().find(tid);
    if (t->stopped() && !t->pending) queue_.push_back(format_(StopEvent(StopKind::Signal, tid, 0)));
  }
  if (queue_.empty()) {
    in_flight_ = false;
    return "OK";
  }
  in_flight_ = true;
  return queue_.front();
}

std::string NonStopMode::next() {
  if (!queue_.empty()) queue_.pop_front();
  if (queue_.empty()) {
    in_flight_ = false;
    return "OK";
  }
  return queue_.front();
}

}  // namespace utracectl::gdbserver
