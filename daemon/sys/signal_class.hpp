// Which signal event (utrace's SIGNAL_* classes) a signal about to be delivered belongs to,
// from the thread's dispositions in /proc/TID/status and the default-action table.
#pragma once

#include <sys/types.h>

#include "utrace/proto/events.hpp"

namespace utraced {

// Signal (user handler), SignalIgn (ignored: SIG_IGN, or default-ignore), SignalStop,
// SignalTerm or SignalCore (default actions).
utrace::proto::EventKind classify_signal(pid_t tid, int signo);
// The default-action class alone (no /proc lookup).
utrace::proto::EventKind default_signal_class(int signo);

}  // namespace utraced
