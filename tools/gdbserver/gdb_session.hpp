// GdbSession: one gdb connection in all-stop mode. Runs the loop that reads packets (or, while
// the program runs, waits for its next stop and for gdb's `\x03`) and answers them: registers,
// memory, breakpoints, resuming (c/C/s/S/vCont), detach and kill; general queries go to the
// QueryHandler.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "inferior.hpp"
#include "non_stop_mode.hpp"
#include "query_handler.hpp"
#include "register_file.hpp"
#include "rsp_connection.hpp"
#include "target_description.hpp"

namespace utracectl::gdbserver {

class GdbSession {
 public:
  GdbSession(RspConnection& conn, Inferior& inferior, const TargetDescription& tdesc);

  // Serves gdb until it detaches, kills the program, or goes away. Returns utracectl's exit
  // status (0; for a program we started and gdb let go: still 0).
  int run();

 private:
  // False when the session is over.
  bool handle(const std::string& packet);
  void report_stop(const StopEvent& e);
  std::string stop_reply(const StopEvent& e) const;
  bool resume_vcont(std::string_view args);
  void resume_legacy(char kind, std::string_view args);
  void start(const std::vector<Inferior::Action>& actions);
  // The thread a packet's Hg/Hc names, resolved to a live one.
  int thread_for(int selected);
  std::string read_memory(std::string_view args);
  std::string write_memory(std::string_view args, bool binary);
  std::string breakpoint(std::string_view args, bool insert);
  // gdb went away: a program we attached to runs on; one we started is killed (as gdbserver).
  void abandon();
  // A held thread for a memory access: Hg's, any held one, or (non-stop, all running) one
  // held for this packet only (borrowed_, let go after it).
  int examine_thread();
  // Ctrl-C in non-stop mode (vCtrlC, \x03): the leader stops with SIGINT.
  void interrupt();

  RspConnection& conn_;
  Inferior& inferior_;
  RegisterFile regs_;
  QueryHandler queries_;
  NonStopMode nonstop_;
  bool non_stop_ = false;
  int borrowed_ = 0;
  bool running_ = false;
  bool finished_ = false;  // the process is gone (W/X sent)
  int general_tid_ = 0;    // Hg
  int continue_tid_ = 0;   // Hc (0: any, -1: all)
  StopEvent last_stop_;
};

}  // namespace utracectl::gdbserver
