// barrier() and wait() of the EngineHub: callers park on the engine's set, for one thread of it
// or for all, and are woken by report passes, holds and detaches. Each ends exactly once.
#include <cerrno>

#include "engine/deadline_callback.hpp"
#include "engine/engine_hub.hpp"

namespace utraced {

void EngineHub::barrier(ClientLink& client, std::uint64_t id, pid_t tid,
                        std::chrono::milliseconds timeout, std::function<void(int)> done) {
  auto set = lookup_set(client, id);
  if (!set || (tid != 0 && !set->members.count(tid))) return done(ESRCH);
  bool in_flight = false;
  for (auto& [mtid, e] : set->members)
    if ((tid == 0 || mtid == tid) && e->reporting) in_flight = true;
  if (!in_flight) return done(0);
  if (!take_waiter(client.client_id())) return done(EAGAIN);
  done = [this, cid = client.client_id(), d = std::move(done)](int code) {
    release_waiter(cid);
    d(code);
  };
  set->barrier_waiters.push_back({tid, with_deadline<int>(io_, timeout, std::move(done), ETIMEDOUT)});
}

void EngineHub::check_barriers(const EngineSetPtr& set) {
  if (set->barrier_waiters.empty()) return;
  std::vector<std::function<void(int)>> fire;
  std::vector<int> codes;
  auto waiters = std::move(set->barrier_waiters);
  set->barrier_waiters.clear();
  for (auto& w : waiters) {
    int code = -1;
    if (!set->attached) {
      code = ESRCH;
    } else if (w.tid != 0) {
      auto it = set->members.find(w.tid);
      if (it == set->members.end()) code = ESRCH;
      else if (!it->second->reporting) code = 0;
    } else {
      code = 0;
      for (auto& [mtid, e] : set->members)
        if (e->reporting) code = -1;
    }
    if (code < 0) set->barrier_waiters.push_back(std::move(w));
    else {
      fire.push_back(std::move(w.done));
      codes.push_back(code);
    }
  }
  for (std::size_t i = 0; i < fire.size(); ++i) fire[i](codes[i]);
}

void EngineHub::wait(ClientLink& client, std::uint64_t id, pid_t tid,
                     std::chrono::milliseconds timeout,
                     std::function<void(int, const char*, pid_t)> done) {
  auto set = lookup_set(client, id);
  if (!set || (tid != 0 && !set->members.count(tid))) return done(ESRCH, "detached", tid);
  for (auto& [mtid, e] : set->members) {
    const auto& t = e->thread;
    if ((tid == 0 || mtid == tid) && e->hold && t->state == ThreadState::Stopped && !t->pass)
      return done(0, "stopped", mtid);
  }
  if (!take_waiter(client.client_id())) return done(EAGAIN, "limit", tid);
  done = [this, cid = client.client_id(), d = std::move(done)](int code, const char* reason,
                                                               pid_t t) {
    release_waiter(cid);
    d(code, reason, t);
  };
  set->wait_waiters.push_back(
      {tid, with_deadline<int, const char*, pid_t>(io_, timeout, std::move(done), ETIMEDOUT,
                                                   "timeout", tid)});
}

void EngineHub::wake_waiters(const EnginePtr& e, const char* reason) {
  auto set = e->set;
  if (!set || set->wait_waiters.empty()) return;
  const pid_t tid = e->thread->tid;
  std::vector<EngineSet::WaitWaiter> fire;
  auto waiters = std::move(set->wait_waiters);
  set->wait_waiters.clear();
  for (auto& w : waiters) {
    if (w.tid == 0 || w.tid == tid) fire.push_back(std::move(w));
    else set->wait_waiters.push_back(std::move(w));
  }
  for (auto& w : fire) w.done(0, reason, tid);
}

void EngineHub::wake_stopped(const ThreadPtr& t) {
  if (t->state != ThreadState::Stopped || t->pass) return;
  for (auto& e : t->engines)
    if (e->hold) wake_waiters(e, "stopped");
}

void EngineHub::fail_waiters(const EngineSetPtr& set, pid_t tid) {
  // tid 0: the whole set is gone. Otherwise the member on tid is: callers waiting on that tid
  // end, and so do callers waiting on any member once none is left.
  std::vector<EngineSet::WaitWaiter> fire;
  auto waiters = std::move(set->wait_waiters);
  set->wait_waiters.clear();
  for (auto& w : waiters) {
    if (tid == 0 || w.tid == tid || (w.tid == 0 && set->members.empty())) fire.push_back(std::move(w));
    else set->wait_waiters.push_back(std::move(w));
  }
  for (auto& w : fire) w.done(ESRCH, "detached", w.tid ? w.tid : tid);
}

bool EngineHub::take_waiter(std::uint64_t client) {
  auto& n = waiters_by_client_[client];
  if (n >= limits_.waiters_per_client) return false;
  ++n;
  return true;
}

void EngineHub::release_waiter(std::uint64_t client) {
  auto it = waiters_by_client_.find(client);
  if (it != waiters_by_client_.end() && it->second > 0 && --it->second == 0)
    waiters_by_client_.erase(it);
}

}  // namespace utraced
