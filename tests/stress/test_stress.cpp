// Stress: one tracee process with 64 threads, each calling getppid() in a loop; 4 clients (4
// connections, each served by its own thread with its own blocking Client) attach one async
// engine with syscall_entry + syscall_exit to every thread, so each thread has 4 engines. The
// clients collect events until 1,000,000 have arrived in all, then two of them detach every
// engine and two simply disconnect.
//
// Checked, per client and per thread:
//   - `seq` strictly increasing with no gap from the first event the engine saw on: every engine
//     wants exactly the events that cause passes on these threads (syscall entry and exit), so
//     the daemon starts a pass, and takes a new seq, only for events every engine of the thread
//     wants (engine_hub_pass.cpp start_pass: one ++seq per pass; step reports to every attached
//     engine of the pass in turn; an engine attached during a pass joins from the next one; a
//     backlogged client makes the pass wait, it never skips the engine);
//   - entry and exit alternate, every syscall is getppid (after the first event, which may be
//     the exit of the main thread's write of "ready"), getppid returns this process's pid;
//   - every event comes from the one engine of this client on that thread;
// and across clients: where two engines saw the same seq of a thread, they saw the same event.
// Afterwards no thread is left stopped or traced, the daemon traces nothing, and the tracee is
// alive and dies by SIGKILL.
//
// Knobs (environment): UTRACED_STRESS_EVENTS (default 1000000), UTRACED_STRESS_THREADS (64),
// UTRACED_STRESS_CLIENTS (4), UTRACED_STRESS_SECONDS (time limit for collecting, default 150).
// The measured count, duration and rate are printed on stdout ("stress: ...").
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "test_engine_common.hpp"

namespace utrace::test {
namespace {

using Clock = std::chrono::steady_clock;

long env_long(const char* name, long fallback) {
  const char* v = std::getenv(name);
  if (!v || !*v) return fallback;
  char* end = nullptr;
  long n = std::strtol(v, &end, 10);
  return (end && *end == '\0' && n > 0) ? n : fallback;
}

double seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

// What one client saw of one thread.
struct ThreadLog {
  EngineId engine = 0;         // the engine the events came from (must be this client's one)
  std::uint64_t first = 0;     // first seq seen, 0 before any event
  std::uint64_t last = 0;
  std::uint64_t events = 0;
  std::vector<std::uint8_t> kind;  // kind[seq - first]: 'n' entry, 'x' exit, 0 never seen
  std::uint64_t gaps = 0;          // seqs skipped
  std::uint64_t not_increasing = 0;
  std::uint64_t same_kind_twice = 0;
  std::uint64_t not_getppid = 0;
  std::uint64_t bad_retval = 0;
  std::uint64_t wrong_engine = 0;
  std::string first_problem;

  void problem(const std::string& what) {
    if (first_problem.empty()) first_problem = what;
  }
};

struct ClientLog {
  std::vector<ThreadLog> threads;
  std::vector<EngineId> engines;  // by thread index, from attach
  std::uint64_t events = 0;
  std::uint64_t foreign = 0;      // events for a tid or pid that is not the tracee's
  int detach_einprogress = 0;
  std::string error;              // an exception or failed call, if any
};

TEST(Stress, MillionEventsFromFourClientsOnSixtyFourThreads) {
  const std::uint64_t target = env_long("UTRACED_STRESS_EVENTS", 1000000);
  const int nthreads = static_cast<int>(env_long("UTRACED_STRESS_THREADS", 64));
  const int nclients = static_cast<int>(env_long("UTRACED_STRESS_CLIENTS", 4));
  const auto limit = std::chrono::seconds(env_long("UTRACED_STRESS_SECONDS", 150));

  TestDaemon d;
  Tracee t("getppid-threads:" + std::to_string(nthreads));
  const pid_t pid = t.pid();
  const auto tids = task_ids(pid);
  ASSERT_EQ(tids.size(), static_cast<std::size_t>(nthreads));
  std::unordered_map<pid_t, int> index;
  for (int i = 0; i < nthreads; ++i) index[tids[i]] = i;
  const std::int64_t me = ::getpid();  // the tracee's parent: what getppid returns

  std::vector<ClientLog> logs(nclients);
  for (auto& l : logs) l.threads.resize(nthreads);
  std::atomic<std::uint64_t> total{0};
  std::atomic<int> attached_clients{0};
  std::atomic<bool> abort{false};
  std::mutex times_mu;
  Clock::time_point t_start = Clock::now(), t_attached{}, t_target{};
  std::uint64_t at_attached = 0;  // events received when the last client had attached

  auto client_main = [&](int k) {
    ClientLog& log = logs[k];
    try {
      Client c = connect(d);
      c.on_event([&](const ReportMessage& m) {
        const auto& r = m.report;
        auto it = index.find(r.tid);
        if (it == index.end() || r.pid != pid) {
          ++log.foreign;
          return;
        }
        ThreadLog& tl = log.threads[it->second];
        const std::uint8_t kind = r.event == EventKind::SyscallEntry  ? 'n'
                                  : r.event == EventKind::SyscallExit ? 'x'
                                                                      : '?';
        const std::string where = "tid " + std::to_string(r.tid) + " seq " + std::to_string(r.seq);
        if (tl.events == 0) {
          tl.engine = r.engine;
          tl.first = tl.last = r.seq;
          tl.kind.push_back(kind);
        } else {
          if (r.engine != tl.engine) {
            ++tl.wrong_engine;
            tl.problem(where + ": engine " + std::to_string(r.engine) + " after " +
                       std::to_string(tl.engine));
          }
          if (r.seq <= tl.last) {
            ++tl.not_increasing;
            tl.problem(where + " after seq " + std::to_string(tl.last));
          } else {
            if (r.seq != tl.last + 1) {
              tl.gaps += r.seq - tl.last - 1;
              tl.problem(where + ": gap after seq " + std::to_string(tl.last));
            }
            if (kind == tl.kind[tl.last - tl.first]) {
              ++tl.same_kind_twice;
              tl.problem(where + ": two " + std::string(proto::to_string(r.event)) +
                         " in a row");
            }
            tl.kind.resize(r.seq - tl.first + 1, 0);
            tl.kind[r.seq - tl.first] = kind;
            tl.last = r.seq;
          }
          // The first event may be the end of the main thread's write("ready"); after it only
          // getppid runs.
          if (kind == '?' || !r.syscall || r.syscall->name != "getppid") {
            ++tl.not_getppid;
            tl.problem(where + ": " + std::string(proto::to_string(r.event)) + " " +
                       (r.syscall ? r.syscall->name : std::string("(no syscall)")));
          } else if (kind == 'x' && r.retval != me) {
            ++tl.bad_retval;
            tl.problem(where + ": getppid returned " +
                       (r.retval ? std::to_string(*r.retval) : std::string("nothing")));
          }
        }
        ++tl.events;
        ++log.events;
        total.fetch_add(1, std::memory_order_relaxed);
      });
      const auto events = mask({EventKind::SyscallEntry, EventKind::SyscallExit});
      for (pid_t tid : tids) log.engines.push_back(c.attach(attach_opts(tid, events)).engine);
      if (attached_clients.fetch_add(1) + 1 == nclients) {
        std::lock_guard lock(times_mu);
        t_attached = Clock::now();
        at_attached = total.load();
      }
      const auto deadline = t_start + limit;
      auto done = [&] { return total.load(std::memory_order_relaxed) >= target || abort.load(); };
      // Short slices: the predicate is only re-checked when something arrives on this client.
      while (!done() && Clock::now() < deadline) c.run_until(done, 100ms);
      {
        std::lock_guard lock(times_mu);
        if (t_target == Clock::time_point{} && total.load() >= target) t_target = Clock::now();
      }
      if (k % 2 == 0) {
        // Detach every engine explicitly (events keep coming, and are checked, meanwhile).
        for (auto e : log.engines) {
          int rc = c.detach(e);
          if (rc == EINPROGRESS) ++log.detach_einprogress;
          else if (rc != 0 && log.error.empty())
            log.error = "detach of engine " + std::to_string(e) + ": " + std::to_string(rc);
        }
        if (!c.list().empty() && log.error.empty()) log.error = "engines left after detach";
      }
      c.close();  // odd clients: disconnect with every engine attached
    } catch (const std::exception& ex) {
      log.error = ex.what();
      abort = true;
    }
  };

  std::vector<std::thread> clients;
  for (int k = 0; k < nclients; ++k) clients.emplace_back(client_main, k);
  for (auto& th : clients) th.join();
  const auto t_end = Clock::now();

  const std::uint64_t got = total.load();
  const double collect_s = t_target != Clock::time_point{} ? seconds(t_target - t_start) : 0;
  const double steady_s =
      t_target != Clock::time_point{} && t_attached != Clock::time_point{}
          ? seconds(t_target - t_attached) : 0;
  std::printf(
      "stress: %llu events (target %llu) from %d clients x %d threads (%d engines) in %.2f s "
      "from the first attach = %.0f events/s; all attached after %.2f s (%llu events by then), "
      "then %.0f events/s; %.2f s in all with detach/disconnect\n",
      static_cast<unsigned long long>(got), static_cast<unsigned long long>(target), nclients,
      nthreads, nclients * nthreads, collect_s, collect_s > 0 ? got / collect_s : 0.0,
      t_attached != Clock::time_point{} ? seconds(t_attached - t_start) : -1.0,
      static_cast<unsigned long long>(at_attached),
      steady_s > 0 ? (got - at_attached) / steady_s : 0.0, seconds(t_end - t_start));
  std::fflush(stdout);
  RecordProperty("events", std::to_string(got));
  RecordProperty("seconds", std::to_string(collect_s));

  for (int k = 0; k < nclients; ++k) {
    SCOPED_TRACE("client " + std::to_string(k));
    const ClientLog& log = logs[k];
    EXPECT_EQ(log.error, "");
    EXPECT_EQ(log.foreign, 0u);
    ASSERT_EQ(log.engines.size(), static_cast<std::size_t>(nthreads));
    std::uint64_t sum = 0;
    for (int i = 0; i < nthreads; ++i) {
      SCOPED_TRACE("tid " + std::to_string(tids[i]));
      const ThreadLog& tl = log.threads[i];
      sum += tl.events;
      EXPECT_GT(tl.events, 0u) << "no event at all from this thread";
      if (tl.events == 0) continue;
      EXPECT_EQ(tl.engine, log.engines[i]);
      EXPECT_EQ(tl.wrong_engine, 0u) << tl.first_problem;
      EXPECT_EQ(tl.not_increasing, 0u) << tl.first_problem;
      EXPECT_EQ(tl.gaps, 0u) << tl.first_problem;
      EXPECT_EQ(tl.same_kind_twice, 0u) << tl.first_problem;
      EXPECT_EQ(tl.not_getppid, 0u) << tl.first_problem;
      EXPECT_EQ(tl.bad_retval, 0u) << tl.first_problem;
      EXPECT_EQ(tl.events, tl.last - tl.first + 1) << tl.first_problem;
    }
    EXPECT_EQ(sum, log.events);
  }
  EXPECT_GE(got, target) << "did not reach the target within " << limit.count() << " s";

  // Across clients: one seq of a thread is one event, whoever saw it.
  std::uint64_t compared = 0, differing = 0;
  std::string first_difference;
  for (int i = 0; i < nthreads; ++i)
    for (int a = 0; a < nclients; ++a)
      for (int b = a + 1; b < nclients; ++b) {
        const ThreadLog& x = logs[a].threads[i];
        const ThreadLog& y = logs[b].threads[i];
        if (x.events == 0 || y.events == 0) continue;
        for (std::uint64_t s = std::max(x.first, y.first) + 1; s <= std::min(x.last, y.last);
             ++s) {
          ++compared;
          if (x.kind[s - x.first] != y.kind[s - y.first]) {
            ++differing;
            if (first_difference.empty())
              first_difference = "tid " + std::to_string(tids[i]) + " seq " + std::to_string(s) +
                                 ": clients " + std::to_string(a) + " and " + std::to_string(b);
          }
        }
      }
  EXPECT_GT(compared, 0u);
  EXPECT_EQ(differing, 0u) << first_difference;

  // Nothing left stopped or traced, the daemon traces nothing, the tracee lives on.
  for (pid_t tid : tids)
    EXPECT_TRUE(eventually([&] { return task_released(pid, tid); }, 10s))
        << "tid " << tid << " state " << task_state(pid, tid) << " tracer "
        << task_status_field(pid, tid, "TracerPid");
  {
    Client c = connect(d);
    EXPECT_TRUE(eventually([&] { return c.stats().value("threads_traced", -1) == 0; }, 10s))
        << c.stats().dump();
    EXPECT_EQ(c.stats().value("engines_total", -1), 0) << c.stats().dump();
  }
  EXPECT_EQ(task_ids(pid).size(), static_cast<std::size_t>(nthreads));
  EXPECT_NE(t.state(), 'Z');
  ASSERT_EQ(::kill(pid, SIGKILL), 0);
  int status = t.wait_exit(10s);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "wait status " << status;
}

}  // namespace
}  // namespace utrace::test
