// BreakpointTable: the int3s engines inserted (insert_breakpoint), by process and address, with
// the original byte and the engine ids that own each. Pure bookkeeping: the EngineHub writes
// and restores the bytes (engine_hub_breakpoints.cpp).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace utraced {

class BreakpointTable {
 public:
  struct Entry {
    std::uint8_t original = 0;     // the byte under the int3
    std::set<std::uint64_t> owners;  // engine ids; empty: an orphan, its byte not yet restored
  };

  Entry* find(pid_t tgid, std::uint64_t addr);
  // A new entry (owners empty); the caller sets original and adds the owner.
  Entry& add(pid_t tgid, std::uint64_t addr) { return procs_[tgid][addr]; }
  void erase(pid_t tgid, std::uint64_t addr);
  // Every entry of the process (an exec or the process's end: the memory is gone).
  void drop_process(pid_t tgid) { procs_.erase(tgid); }
  bool has_process(pid_t tgid) const { return procs_.count(tgid) != 0; }
  // The process's entries, by address (for a forked child's copy).
  const std::map<std::uint64_t, Entry>* entries(pid_t tgid) const;
  // Entries without owners, to restore at the process's next stop.
  std::vector<std::uint64_t> orphans(pid_t tgid) const;

  // bytes read at addr as the program's own code: the original bytes under any int3.
  void show_original(pid_t tgid, std::uint64_t addr, std::string& bytes) const;
  // bytes about to be written at addr: each int3 stays, the written byte becomes its original.
  void write_through(pid_t tgid, std::uint64_t addr, std::string& bytes);

 private:
  std::map<pid_t, std::map<std::uint64_t, Entry>> procs_;
};

}  // namespace utraced
