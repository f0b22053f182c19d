// QueryHandler: gdb's general queries and settings that do not run the program: qSupported,
// qXfer (features, threads, auxv, exec-file), the thread list, qAttached, QPassSignals,
// QCatchSyscalls and the packets answered with a fixed reply.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "inferior.hpp"
#include "target_description.hpp"

namespace utracectl::gdbserver {

// "p<pid>.<tid>" (multiprocess syntax; hex).
std::string thread_id(int pid, int tid);

class QueryHandler {
 public:
  QueryHandler(Inferior& inferior, const TargetDescription& tdesc)
      : inferior_(inferior), tdesc_(tdesc) {}

  // The reply to a q/Q/v packet it knows; nullopt for the others.
  std::optional<std::string> handle(std::string_view packet, int current_tid);

 private:
  std::string xfer(std::string_view object, std::string_view annex, std::size_t offset,
                   std::size_t length);
  std::string threads_xml();
  std::string thread_list();
  std::string id_of(int tid);  // "p<its pid>.<tid>"

  Inferior& inferior_;
  const TargetDescription& tdesc_;
};

}  // namespace utracectl::gdbserver
