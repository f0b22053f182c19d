// Shared helpers for integration tests: a private daemon, tracees, and a libclient Client.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "test_daemon.hpp"
#include "tracee.hpp"
#include "utrace/client_sync.hpp"

namespace utrace::test {

using namespace std::chrono_literals;
using client::Client;
using client::ClientError;
using client::ReportMessage;
using proto::EventKind;
using proto::EventMask;
using proto::ResumeAction;

inline EventMask mask(std::initializer_list<EventKind> kinds) {
  EventMask m;
  for (auto k : kinds) m.set(k);
  return m;
}

inline client::AttachOptions attach_opts(pid_t tid, EventMask events,
                                         client::Mode mode = client::Mode::Async) {
  client::AttachOptions o;
  o.tid = tid;
  o.events = events;
  o.mode = mode;
  return o;
}

inline Client connect(const TestDaemon& d) {
  Client c = Client::connect(d.socket());
  c.set_call_timeout(10s);
  return c;
}

}  // namespace utrace::test
