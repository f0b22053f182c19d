// NonStopMode: gdb's non-stop mode (QNonStop:1). Each thread stops and runs on its own: a stop
// is sent as a `%Stop:` notification, one at a time, and gdb fetches the others with vStopped;
// `?` lists every stopped thread the same way. vCont replies OK at once and touches only the
// threads it names (`t` stops one: it reports signal 0).
#pragma once

#include <deque>
#include <functional>
#include <string>

#include "inferior.hpp"
#include "rsp_connection.hpp"

namespace utracectl::gdbserver {

class NonStopMode {
 public:
  using Formatter = std::function<std::string(const StopEvent&)>;
  NonStopMode(RspConnection& conn, Inferior& inferior, Formatter format)
      : conn_(conn), inferior_(inferior), format_(std::move(format)) {}

  // Queues the stops the inferior has for gdb and notifies gdb of the first one. True once the
  // process's end is queued.
  bool collect();
  // `?`: a stop for every stopped thread: the first as the reply, the rest through vStopped.
  std::string question();
  // vStopped: gdb has the one before; the next, or OK when there is none.
  std::string next();

 private:
  RspConnection& conn_;
  Inferior& inferior_;
  Formatter format_;
  std::deque<std::string> queue_;  // the front one is with gdb while in_flight_
  bool in_flight_ = false;
};

}  // namespace utracectl::gdbserver
