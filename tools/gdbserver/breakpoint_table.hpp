// BreakpointTable: gdb's Z0/z0 software breakpoints. The daemon keeps them (insert_breakpoint /
// remove_breakpoint: it writes the int3, hides it from every client's memory reads, and turns
// the trap into a `breakpoint` report to this engine alone). A daemon without those methods
// (-32601) gets the classic fallback: the int3 written with write_memory, its SIGTRAP taken as
// a breakpoint when rip-1 is one of ours, the original bytes put back in memory reads here.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "utrace/client_sync.hpp"

namespace utracectl::gdbserver {

class BreakpointTable {
 public:
  BreakpointTable(utrace::client::Client& client, utrace::client::EngineId engine)
      : client_(client), engine_(engine) {}

  // tid: a thread this engine holds (the daemon needs one to reach the memory).
  // False when the address cannot hold one (unmapped): gdb is answered E01.
  bool insert(std::uint64_t addr, int tid);
  bool remove(std::uint64_t addr, int tid);
  void remove_all(int tid);
  bool has(std::uint64_t addr) const { return table_.count(addr) != 0; }
  // True while the daemon manages them (after the first insert that it accepted).
  bool fallback() const { return fallback_; }

  // Fallback only: the original bytes in place of our int3s in memory read at addr.
  void hide(std::uint64_t addr, std::string& bytes) const;
  // Fallback only: a write over our int3s changes the saved bytes and keeps the int3s.
  void shield(std::uint64_t addr, std::string& bytes);
  // Exec or a new process image: forget them (the daemon dropped them).
  void clear() { table_.clear(); }

 private:
  utrace::client::Client& client_;
  utrace::client::EngineId engine_;
  std::map<std::uint64_t, char> table_;  // address -> original byte (fallback)
  bool fallback_ = false;
};

}  // namespace utracectl::gdbserver
