#include "engine/engine_waiters.hpp"

#include <cerrno>

#include "engine/deadline_callback.hpp"
#include "engine/thread_engines.hpp"

namespace utraced {

void EngineWaiters::barrier(const EngineSetPtr& set, std::uint64_t client, pid_t tid,
                            std::chrono::milliseconds timeout, std::function<void(int)> done) {
  if (!set || (tid != 0 && !set->members.count(tid))) return done(ESRCH);
  bool in_flight = false;
  for (auto& [mtid, e] : set->members)
    if ((tid == 0 || mtid == tid) && reporting(*e)) in_flight = true;
  if (!in_flight) return done(0);
  if (!take(client)) return done(EAGAIN);
  done = [this, client, d = std::move(done)](int code) {
    release(client);
    d(code);
  };
  set->barrier_waiters.push_back(
      {tid, with_deadline<int>(io_, timeout, std::move(done), ETIMEDOUT)});
}

void EngineWaiters::check_barriers(const EngineSetPtr& set) {
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
      else if (!reporting(*it->second)) code = 0;
    } else {
      code = 0;
      for (auto& [mtid, e] : set->members)
        if (reporting(*e)) code = -1;
    }
    if (code < 0) {
      set->barrier_waiters.push_back(std::move(w));
    } else {
      fire.push_back(std::move(w.done));
      codes.push_back(code);
    }
  }
  for (std::size_t i = 0; i < fire.size(); ++i) fire[i](codes[i]);
}

void EngineWaiters::wait(const EngineSetPtr& set, std::uint64_t client, pid_t tid,
                         std::chrono::milliseconds timeout,
                         std::function<void(int, const char*, pid_t)> done) {
  if (!set || (tid != 0 && !set->members.count(tid))) return done(ESRCH, "detached", tid);
  bool all_dead = true;
  for (auto& [mtid, e] : set->members) {
    auto& t = *e->thread;
    if (tid != 0 && mtid != tid) continue;
    if (e->hold && t.stopped() && !thread_engines(t).pass) return done(0, "stopped", mtid);
    all_dead = all_dead && t.dead();
  }
  // "It always ends": a thread already dead (its death report out, its reap to come) will
  // never stop again.
  if (all_dead) return done(ESRCH, "dead", tid);
  if (!take(client)) return done(EAGAIN, "limit", tid);
  done = [this, client, d = std::move(done)](int code, const char* reason, pid_t t) {
    release(client);
    d(code, reason, t);
  };
  set->wait_waiters.push_back(
      {tid, with_deadline<int, const char*, pid_t>(io_, timeout, std::move(done), ETIMEDOUT,
                                                   "timeout", tid)});
}

void EngineWaiters::wake(const EnginePtr& e, const char* reason) {
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

void EngineWaiters::wake_stopped(TracedThread& t) {
  auto& x = thread_engines(t);
  if (!t.stopped() || x.pass) return;
  for (auto& e : std::vector<EnginePtr>(x.engines))
    if (e->hold) wake(e, "stopped");
}

void EngineWaiters::fail(const EngineSetPtr& set, pid_t tid) {
  // tid 0: the whole set is gone. Otherwise the member on tid is: callers waiting on that tid
  // end, and so do callers waiting on any member once none is left.
  std::vector<EngineSet::WaitWaiter> fire;
  auto waiters = std::move(set->wait_waiters);
  set->wait_waiters.clear();
  for (auto& w : waiters) {
    if (tid == 0 || w.tid == tid || (w.tid == 0 && set->members.empty()))
      fire.push_back(std::move(w));
    else
      set->wait_waiters.push_back(std::move(w));
  }
  for (auto& w : fire) w.done(ESRCH, "detached", w.tid ? w.tid : tid);
}

bool EngineWaiters::take(std::uint64_t client) {
  auto& n = per_client_[client];
  if (n >= limits_.waiters_per_client) return false;
  ++n;
  return true;
}

void EngineWaiters::release(std::uint64_t client) {
  auto it = per_client_.find(client);
  if (it != per_client_.end() && it->second > 0 && --it->second == 0) per_client_.erase(it);
}

}  // namespace utraced
