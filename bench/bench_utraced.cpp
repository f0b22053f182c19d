// utraced under load: starts a private utraced, runs the workload under K engines, and prints
// the workload's elapsed nanoseconds on stdout (diagnostics on stderr).
//
//   bench_utraced [--utraced PATH] [--workload PATH] --n N --engines K
//                 --mode async|sync|concurrent --interest all|one|none
//     concurrent: sync engines attached with "concurrent": true
//     all:  every engine wants syscall_entry + syscall_exit
//     one:  engine 0 wants syscall_entry + syscall_exit, the others only `exit`
//     none: every engine wants only `exec` (no engine wants the hot syscall)
//   Each engine has its own connection, serviced by its own thread with its own blocking
//   Client; sync engines answer every report with `resume`.
//
//   bench_utraced [--utraced PATH] [--workload PATH] --memory T
//     Daemon VmRSS with nothing traced, after attaching one engine to each of T sleeping
//     threads, and after attaching T more engines to one (already traced) thread. Prints
//     "rss0_kib rss_threads_kib rss_engines_kib T" on stdout.
//
//   Also: --client-poll-us U makes every client poll U µs for input before it sleeps
//   (Client::set_poll); --daemon-arg X (repeatable) passes X to utraced; --filter-alone / --launch-seccomp
//   measure a seccomp filter without and with the daemon (see run_filter_alone).
//   --files runs `workload --files N` (openat/read/close rounds); --capture attaches with
//   "capture" (the daemon captures argument memory at each stop); --decode also decodes every
//   syscall with utracectl's decoder over that memory (decode/), as `utracectl trace` does.
//
// Pinning is done from outside (taskset): the daemon, the workload and the client threads all
// inherit this process's CPU affinity. Two placements from inside, for experiments:
//   --split       the daemon and the workload on CPU 0, the client threads on CPU 1
//   --pin-daemon  only the daemon on CPU 0
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <seccomp.h>

#include <utrace/client_sync.hpp>

#include "captured_memory.hpp"
#include "syscall_decoder.hpp"

#ifndef BENCH_UTRACED_PATH
#define BENCH_UTRACED_PATH "build/daemon/utraced"
#endif
#ifndef BENCH_WORKLOAD_PATH
#define BENCH_WORKLOAD_PATH "build/bench/workload"
#endif

namespace {

using namespace std::chrono_literals;
using utrace::client::AttachOptions;
using utrace::client::Client;
using utrace::client::Mode;
using utrace::client::ReportMessage;
using utrace::proto::EventKind;
using utrace::proto::EventMask;
using utrace::proto::ResumeAction;

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "bench_utraced: %s\n", what.c_str());
  std::exit(1);
}

// --split: the daemon and the workload on CPU 0, this process (the clients) on CPU 1.
bool g_split = false;
// --pin-daemon: only the daemon on CPU 0.
bool g_pin_daemon = false;

void pin_to(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  if (::sched_setaffinity(0, sizeof set, &set) != 0) die("sched_setaffinity failed");
}

bool accepts_connections(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) return false;
  path.copy(addr.sun_path, path.size());
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  bool ok = ::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

class Daemon {
 public:
  explicit Daemon(const std::string& bin, const std::vector<std::string>& extra = {}) {
    char tmpl[] = "/tmp/utraced-bench-XXXXXX";
    if (!::mkdtemp(tmpl)) die("mkdtemp failed");
    dir_ = tmpl;
    socket_ = dir_ + "/utraced.sock";
    const std::string log = dir_ + "/daemon.log";
    pid_ = ::fork();
    if (pid_ < 0) die("fork failed");
    if (pid_ == 0) {
      int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (fd >= 0) ::dup2(fd, 2);
      int devnull = ::open("/dev/null", O_RDWR);
      if (devnull >= 0) {
        ::dup2(devnull, 0);
        ::dup2(devnull, 1);
      }
      if (g_split || g_pin_daemon) pin_to(0);
      std::vector<const char*> argv = {bin.c_str(), "--socket", socket_.c_str(), "--log-level",
                                       "warn"};
      for (const auto& x : extra) argv.push_back(x.c_str());
      argv.push_back(nullptr);
      ::execv(bin.c_str(), const_cast<char* const*>(argv.data()));
      ::_exit(127);
    }
    auto deadline = std::chrono::steady_clock::now() + 10s;
    while (!accepts_connections(socket_)) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        die("utraced (" + bin + ") exited at start-up; log in " + log);
      }
      if (std::chrono::steady_clock::now() > deadline) die("utraced does not accept connections");
      std::this_thread::sleep_for(2ms);
    }
  }
  ~Daemon() { stop(); }

  // SIGTERM, wait; true if it exited 0.
  bool stop() {
    if (pid_ <= 0) return true;
    ::kill(pid_, SIGTERM);
    int status = 0;
    auto deadline = std::chrono::steady_clock::now() + 10s;
    bool killed = false;
    while (::waitpid(pid_, &status, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() > deadline) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, &status, 0);
        killed = true;
        break;
      }
      std::this_thread::sleep_for(2ms);
    }
    pid_ = -1;
    const bool ok = !killed && WIFEXITED(status) && WEXITSTATUS(status) == 0;
    if (ok) {
      std::error_code ec;
      std::filesystem::remove_all(dir_, ec);
    } else {
      std::fprintf(stderr, "bench_utraced: utraced did not exit 0 on SIGTERM (status %d); log in %s\n",
                   status, (dir_ + "/daemon.log").c_str());
    }
    return ok;
  }

  long rss_kib() const {
    std::ifstream in("/proc/" + std::to_string(pid_) + "/status");
    std::string line;
    while (std::getline(in, line)) {
      if (line.rfind("VmRSS:", 0) == 0) return std::strtol(line.c_str() + 6, nullptr, 10);
    }
    return -1;
  }

  const std::string& socket() const { return socket_; }

 private:
  std::string dir_, socket_;
  pid_t pid_ = -1;
};

// The workload, started with pipes on stdin (the "go" byte) and stdout (its report).
struct Workload {
  pid_t pid = -1;
  int in = -1;   // write end of its stdin
  int out = -1;  // read end of its stdout

  Workload(const std::string& bin, const std::vector<std::string>& args) {
    int pin[2], pout[2];
    if (::pipe2(pin, O_CLOEXEC) != 0 || ::pipe2(pout, O_CLOEXEC) != 0) die("pipe failed");
    pid = ::fork();
    if (pid < 0) die("fork failed");
    if (pid == 0) {
      ::dup2(pin[0], 0);
      ::dup2(pout[1], 1);
      if (g_split) pin_to(0);
      std::vector<char*> argv;
      argv.push_back(const_cast<char*>(bin.c_str()));
      for (auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      ::execv(bin.c_str(), argv.data());
      ::_exit(127);
    }
    ::close(pin[0]);
    ::close(pout[1]);
    in = pin[1];
    out = pout[0];
  }

  void go() {
    if (in >= 0) {
      (void)!::write(in, "g", 1);
      ::close(in);
      in = -1;
    }
  }

  std::string read_line() {
    std::string s;
    char c;
    while (::read(out, &c, 1) == 1) {
      if (c == '\n') break;
      s.push_back(c);
    }
    return s;
  }

  int wait() {
    int status = 0;
    ::waitpid(pid, &status, 0);
    pid = -1;
    return status;
  }

  ~Workload() {
    if (in >= 0) ::close(in);
    if (out >= 0) ::close(out);
    if (pid > 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
  }
};

struct Args {
  std::string utraced = BENCH_UTRACED_PATH;
  std::string workload = BENCH_WORKLOAD_PATH;
  long n = 100000;
  int engines = 1;
  Mode mode = Mode::Async;
  bool concurrent = false;  // --mode concurrent
  long client_poll_us = 0;  // --client-poll-us U: Client::set_poll(U µs) in every client
  std::string interest = "all";
  long memory_threads = 0;
  bool launch_seccomp = false;  // launch the workload with a filter trapping uname only
  bool filter_alone = false;    // the same filter, untraced: the baseline of launch_seccomp
  std::vector<std::string> daemon_args;  // --daemon-arg X (repeatable): extra utraced flags
  bool files = false;    // --files: the workload's openat/read/close rounds (workload --files)
  bool capture = false;  // --capture: engines attached with "capture" (argument memory)
  bool decode = false;   // --decode: capture, and each syscall decoded as utracectl prints it
};

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string k = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) die("missing value for " + k);
      return argv[++i];
    };
    if (k == "--utraced") a.utraced = value();
    else if (k == "--workload") a.workload = value();
    else if (k == "--n") a.n = std::stol(value());
    else if (k == "--engines") a.engines = std::stoi(value());
    else if (k == "--mode") {
      const std::string m = value();
      if (m == "async") a.mode = Mode::Async;
      else if (m == "sync") a.mode = Mode::Sync;
      else if (m == "concurrent") a.mode = Mode::Sync, a.concurrent = true;
      else die("bad --mode " + m);
    } else if (k == "--interest") {
      a.interest = value();
      if (a.interest != "all" && a.interest != "one" && a.interest != "none")
        die("bad --interest " + a.interest);
    } else if (k == "--memory") a.memory_threads = std::stol(value());
    else if (k == "--launch-seccomp") a.launch_seccomp = true;
    else if (k == "--filter-alone") a.filter_alone = true;
    else if (k == "--daemon-arg") a.daemon_args.push_back(value());
    else if (k == "--client-poll-us") a.client_poll_us = std::stol(value());
    else if (k == "--split") g_split = true;
    else if (k == "--pin-daemon") g_pin_daemon = true;
    else if (k == "--files") a.files = true;
    else if (k == "--capture") a.capture = true;
    else if (k == "--decode") a.decode = a.capture = true;
    else die("unknown argument " + k);
  }
  if (a.engines < 1 || a.n < 1) die("--engines and --n must be positive");
  return a;
}

EventMask mask_for(const Args& a, int index) {
  EventMask m;
  if (a.interest == "all" || (a.interest == "one" && index == 0)) {
    m.set(EventKind::SyscallEntry);
    m.set(EventKind::SyscallExit);
  } else if (a.interest == "one") {
    m.set(EventKind::Exit);
  } else {
    m.set(EventKind::Exec);
  }
  return m;
}

// Start gate: the main thread waits until every engine is attached.
struct Gate {
  std::mutex mu;
  std::condition_variable cv;
  int ready = 0;
  int failed = 0;
  void arrive(bool ok) {
    std::lock_guard lk(mu);
    ++ready;
    if (!ok) ++failed;
    cv.notify_all();
  }
};

int run_throughput(const Args& a) {
  Daemon daemon(a.utraced, a.daemon_args);
  Workload w(a.workload, a.files ? std::vector<std::string>{"--files", std::to_string(a.n)}
                                 : std::vector<std::string>{std::to_string(a.n)});
  if (g_split) pin_to(1);  // the client threads, started below, inherit it

  Gate gate;
  std::atomic<bool> done{false};
  std::atomic<int> errors{0};
  std::vector<unsigned long long> seen(a.engines, 0);
  std::vector<std::thread> threads;
  for (int i = 0; i < a.engines; ++i) {
    threads.emplace_back([&, i] {
      bool arrived = false;
      try {
        Client c = Client::connect(daemon.socket());
        c.hello("bench-" + std::to_string(i));
        unsigned long long& count = seen[i];
        c.on_report(utrace::client::kAllEngines, [&count](const ReportMessage&) {
          ++count;
          return ResumeAction::Resume;
        });
        // --decode: what utracectl does with each event (the printing itself aside).
        utrace::decode::SyscallDecoder decoder;
        std::map<int, utrace::decode::PendingCall> calls;
        std::size_t chars = 0;
        c.on_event([&, decode = a.decode](const ReportMessage& m) {
          ++count;
          if (!decode) return;
          static const utrace::proto::Capture kNone;
          const auto& r = m.report;
          utrace::decode::CapturedMemory mem(r.capture ? *r.capture : kNone);
          if (r.event == EventKind::SyscallEntry && r.syscall) {
            calls[r.tid] = decoder.enter(r.syscall->nr, r.syscall->args, mem);
          } else if (r.event == EventKind::SyscallExit) {
            auto it = calls.find(r.tid);
            if (it == calls.end()) return;
            chars += utrace::decode::SyscallDecoder::line(
                         it->second, decoder.exit(it->second, r.retval.value_or(0), mem))
                         .size();
            calls.erase(it);
          }
        });
        AttachOptions o;
        if (a.capture) o.capture = nlohmann::json{{"strsize", 32}};
        o.tid = w.pid;
        o.events = mask_for(a, i);
        o.mode = a.mode;
        o.concurrent = a.concurrent;
        auto engine = c.attach(o).engine;
        gate.arrive(true);
        arrived = true;
        if (a.client_poll_us > 0) c.set_poll(std::chrono::microseconds(a.client_poll_us));
        while (!done.load()) c.run_for(20ms);
        c.detach(engine);  // ESRCH once the thread is gone: fine
        if (a.decode && chars == 0) throw std::runtime_error("--decode: nothing was decoded");
        c.close();
      } catch (const std::exception& e) {
        std::fprintf(stderr, "bench_utraced: engine %d: %s\n", i, e.what());
        ++errors;
        if (!arrived) gate.arrive(false);
      }
    });
  }
  {
    std::unique_lock lk(gate.mu);
    gate.cv.wait(lk, [&] { return gate.ready == a.engines; });
  }
  if (gate.failed) {
    done = true;
    for (auto& t : threads) t.join();
    die("attach failed");
  }

  w.go();
  const std::string line = w.read_line();
  const int status = w.wait();

  unsigned long long stops = 0;
  try {
    Client c = Client::connect(daemon.socket());
    auto s = c.stats();
    stops = s.value("stops", 0ull);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_utraced: stats: %s\n", e.what());
    ++errors;
  }
  done = true;
  for (auto& t : threads) t.join();
  const bool clean = daemon.stop();

  std::fprintf(stderr, "bench_utraced: n=%ld engines=%d mode=%s interest=%s daemon_stops=%llu reports/events:",
               a.n, a.engines, a.concurrent ? "concurrent" : a.mode == Mode::Sync ? "sync" : "async", a.interest.c_str(), stops);
  for (auto v : seen) std::fprintf(stderr, " %llu", v);
  std::fprintf(stderr, "\n");

  if (line.empty() || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::fprintf(stderr, "bench_utraced: workload failed (status %d, output '%s')\n", status,
                 line.c_str());
    return 1;
  }
  std::printf("%s\n", line.c_str());
  return (errors == 0 && clean) ? 0 : 1;
}

std::vector<int> tids_of(pid_t pid) {
  std::vector<int> tids;
  for (auto& e : std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task"))
    tids.push_back(std::stoi(e.path().filename().string()));
  return tids;
}

int run_memory(const Args& a) {
  const long count = a.memory_threads;
  Daemon daemon(a.utraced, a.daemon_args);
  Workload w(a.workload, {"--threads", std::to_string(count)});
  const std::string ready = w.read_line();
  if (ready.rfind("ready", 0) != 0) die("workload --threads did not start: '" + ready + "'");
  std::vector<int> others;
  for (int t : tids_of(w.pid))
    if (t != w.pid) others.push_back(t);
  if (static_cast<long>(others.size()) != count) die("workload has an unexpected thread count");

  EventMask m;
  m.set(EventKind::SyscallEntry);
  m.set(EventKind::SyscallExit);
  m.set(EventKind::Exit);
  m.set(EventKind::Death);

  long rss0 = 0, rss1 = 0, rss2 = 0;
  {
    Client c = Client::connect(daemon.socket());
    c.hello("bench-memory");
    std::this_thread::sleep_for(50ms);
    rss0 = daemon.rss_kib();
    for (int tid : others) {
      AttachOptions o;
      o.tid = tid;
      o.events = m;
      c.attach(o);
    }
    c.stats();  // a round trip: everything before it is handled
    rss1 = daemon.rss_kib();
    for (long i = 0; i < count; ++i) {
      AttachOptions o;
      o.tid = w.pid;
      o.events = m;
      c.attach(o);
    }
    c.stats();
    rss2 = daemon.rss_kib();
    c.close();  // detaches every engine
  }
  w.go();
  w.wait();
  const bool clean = daemon.stop();
  std::printf("%ld %ld %ld %ld\n", rss0, rss1, rss2, count);
  std::fprintf(stderr,
               "bench_utraced: daemon VmRSS %ld KiB idle, %ld KiB with %ld threads traced (1 engine each), "
               "%ld KiB with %ld more engines on one thread\n",
               rss0, rss1, count, rss2, count);
  return clean ? 0 : 1;
}

}  // namespace

// The workload under a seccomp filter that traps uname (SECCOMP_RET_TRACE) and allows the
// rest, with no tracer (uname then fails with ENOSYS, which the workload ignores): what the
// filter alone costs.
int run_filter_alone(const Args& a) {
  int out[2];
  if (::pipe(out) != 0) die("pipe");
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(out[1], 1);
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
    if (!ctx || seccomp_rule_add(ctx, SCMP_ACT_TRACE(0), SCMP_SYS(uname), 0) < 0 ||
        seccomp_load(ctx) < 0)
      ::_exit(126);
    const std::string n = std::to_string(a.n);
    ::execl(a.workload.c_str(), a.workload.c_str(), "--go", n.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::close(out[1]);
  std::string line;
  char buf[64];
  for (ssize_t r; (r = ::read(out[0], buf, sizeof buf)) > 0;) line.append(buf, static_cast<std::size_t>(r));
  ::close(out[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) die("workload under the filter failed");
  std::printf("%s", line.c_str());
  return 0;
}

// The workload started by Client::launch with one async engine that wants uname only, under a
// seccomp filter (installed by the workload's process before its exec) trapping uname only:
// getppid never stops.
int run_launch_seccomp(const Args& a) {
  Daemon daemon(a.utraced, a.daemon_args);
  char tmpl[] = "/tmp/utraced-bench-XXXXXX";
  const std::string dir = ::mkdtemp(tmpl);
  const std::string out = dir + "/out";
  unsigned long long stops = 0, reports = 0;
  {
    Client c = Client::connect(daemon.socket());
    utrace::client::LaunchOptions o;
    o.argv = {a.workload, "--go", std::to_string(a.n)};
    o.stdout_path = out;
    o.events.set(EventKind::SyscallEntry);
    o.events.set(EventKind::SyscallExit);
    o.events.set(EventKind::Reap);
    o.syscalls = {"uname"};
    o.seccomp = true;
    bool gone = false;
    c.on_event([&](const ReportMessage& m) {
      ++reports;
      gone |= m.report.event == EventKind::Reap && m.report.engine_gone.value_or(false);
    });
    auto l = c.launch(o);
    c.control(l.engine, ResumeAction::Resume);
    if (!c.run_until([&] { return gone; }, std::chrono::minutes(5))) die("launched workload did not end");
    stops = c.stats().value("stops", 0ull);
    int status = 0;
    if (::waitpid(l.pid, &status, 0) != l.pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
      die("launched workload failed");
  }
  const bool clean = daemon.stop();
  std::ifstream in(out);
  std::string line;
  std::getline(in, line);
  std::filesystem::remove_all(dir);
  std::fprintf(stderr, "bench_utraced: launch+seccomp n=%ld daemon_stops=%llu reports/events=%llu\n",
               a.n, stops, reports);
  if (line.empty()) die("launched workload printed nothing");
  std::printf("%s\n", line.c_str());
  return clean ? 0 : 1;
}

int main(int argc, char** argv) {
  ::signal(SIGPIPE, SIG_IGN);
  const Args a = parse(argc, argv);
  try {
    if (a.filter_alone) return run_filter_alone(a);
    if (a.launch_seccomp) return run_launch_seccomp(a);
    return a.memory_threads > 0 ? run_memory(a) : run_throughput(a);
  } catch (const std::exception& e) {
    die(e.what());
  }
}
