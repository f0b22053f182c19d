// Inferior: the debugged process as one utraced engine ("scope": "process", sync, following
// new threads). All-stop: a stop of one thread is kept (its report left in flight) and every
// other thread is held with `control stop` + `wait`; resuming answers each kept report (or
// releases each hold) with gdb's action. Other engines on the process are not touched: they
// see the threads pause while gdb holds them, and nothing of our breakpoints.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <deque>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "breakpoint_table.hpp"
#include "stop_filter.hpp"
#include "thread_registry.hpp"
#include "thread_stopper.hpp"
#include "utrace/client_sync.hpp"

namespace utracectl::gdbserver {

class Inferior {
 public:
  explicit Inferior(utrace::client::Client& client);
  Inferior(const Inferior&) = delete;
  Inferior& operator=(const Inferior&) = delete;

  // Attaches to a running process and stops all its threads. Throws ClientError.
  void attach(int pid);
  // Starts argv as our child, traced from its first instruction and held there. stdio_is_gdb:
  // our stdin/stdout carry the protocol: the program gets /dev/null and our stderr instead.
  void launch(const std::vector<std::string>& argv, bool stdio_is_gdb);

  int pid() const { return pid_; }
  bool launched() const { return launched_; }
  utrace::client::EngineId engine() const { return engine_; }
  utrace::client::Client& client() { return client_; }
  ThreadRegistry& threads() { return threads_; }
  BreakpointTable& breakpoints() { return *breakpoints_; }

  // Waits up to `timeout` for the daemon's socket or `other_fd` to become readable, then
  // handles what the daemon sent. True when other_fd is readable.
  bool wait_io(int other_fd, std::chrono::milliseconds timeout);
  // Handles what the daemon has sent, without waiting.
  void pump();
  // The next stop to tell gdb, taken off its thread; the process's end once all are dead.
  std::optional<StopEvent> take_stop();
  // Holds every live thread (all-stop). New threads found meanwhile are held too.
  void stop_all();

  struct Action {
    int tid = 0;
    bool step = false;
    int signo = 0;  // Linux numbering; 0: none
  };
  // Resumes the threads named (the others stay held). If one of them has a stop gdb has not
  // heard of yet, nothing is resumed and that stop is returned instead (as gdbserver does).
  // non_stop: the threads with such a stop stay stopped (take_stop() has it), the others go.
  std::optional<StopEvent> resume(const std::vector<Action>& actions, bool non_stop = false);
  // Non-stop: holds these threads; each without a stop of its own gets one (kind, signo), for
  // take_stop() (vCont;t: signal 0; vCtrlC: SIGINT).
  void stop_threads(const std::set<int>& tids, StopKind kind, int signo);
  // Non-stop, every thread running: holds one for a memory access (0 if none can be), and
  // lets it go again (unless it stopped for something gdb must hear of).
  int borrow_thread();
  void give_back(int tid);

  // A thread held now, for memory access: `preferred` if it is, else any; 0 if none.
  int examine_tid(int preferred);
  std::string read_memory(std::uint64_t addr, std::size_t size, int tid);
  std::size_t write_memory(std::uint64_t addr, std::string bytes, int tid);

  // catch syscall: on with the numbers (empty: all), or off.
  void set_syscall_catch(bool on, std::set<std::int64_t> nrs);
  // Signals (Linux numbers) delivered without stopping (QPassSignals).
  void set_pass_signals(std::set<int> signals) { filter_->set_pass_signals(std::move(signals)); }

  // gdb said exec-events+: a new program is a stop (T05exec:...), else it runs on.
  void set_report_exec(bool on) { report_exec_ = on; }
  // gdb said fork-events+: a fork is a stop (T05fork:...) and the child is held until gdb
  // lets it go (detach_process); else the child is let go at once.
  void set_report_fork(bool on) { report_fork_ = on; }
  // D;PID of a forked child: it runs on, untraced by us.
  void detach_process(int pid);

  // Removes our breakpoints and detaches: the program runs on, other engines untouched.
  void detach();
  // SIGKILL, and waits for the death to be reported (and reaps our own child).
  void kill();
  bool exited() const { return exited_; }

 private:
  void adopt(utrace::client::EngineId engine, utrace::proto::EventMask events);
  void handle(utrace::client::ReportMessage m);
  // A SIGTRAP of one of our own int3s (BreakpointTable's fallback): kept as a breakpoint stop.
  bool fallback_trap(ThreadState& t, utrace::client::ReportMessage& m);
  void keep(ThreadState& t, utrace::client::ReportMessage m, std::optional<StopEvent> ev);
  // A report gdb need not hear of: answered at once, or kept if we are stopping the thread.
  void pass_on(ThreadState& t, utrace::client::ReportMessage m, bool deliver_signal);
  void answer(const utrace::client::ReportMessage& m, utrace::proto::ResumeAction action,
              std::optional<int> signal = std::nullopt);
  void update_events(bool quiesce);
  void note_death(ThreadState& t, const utrace::proto::Report& r);
  void reap_child();

  utrace::client::Client& client_;
  utrace::client::EngineId engine_ = 0;
  pid_t pid_ = 0;
  bool launched_ = false;
  std::unique_ptr<BreakpointTable> breakpoints_;
  ThreadRegistry threads_;
  std::deque<utrace::client::ReportMessage> inbox_;
  std::unique_ptr<StopFilter> filter_;
  std::unique_ptr<ThreadStopper> stopper_;
  bool quiesce_ = false;
  bool report_exec_ = false;
  bool report_fork_ = false;
  utrace::proto::EventMask current_events_;
  bool exited_ = false;
  bool exit_reported_ = false;
  int exit_status_ = 0;
  bool have_leader_status_ = false;
};

}  // namespace utracectl::gdbserver
