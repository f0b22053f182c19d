// libFuzzer target for the daemon's request path: the input is written, as a client would, into
// a real Session (a socketpair) in front of the real Dispatcher and EngineHub; the daemon's
// io_context runs until it is idle and every reply is read back. Any crash, sanitizer report,
// hang or uncaught exception is a bug. Every reply line must be a JSON-RPC response or
// notification.
//
// Bounded memory: the output bound is the smallest the daemon accepts (--max-queue 4096), so
// the session's pause/resume of request lines runs all the time, and every reply over 4096
// bytes must come back as EAGAIN. The daemon's RSS (VmRSS of this process) may not grow by
// more than kMaxGrowthKiB over one input: 64 MiB, a generous multiple of what one connection
// may cost (twice its output bound plus one 64 KiB read plus one line of at most max_line),
// and far below the ~600 MiB that 1,500 `list` requests in one read once cost (issue 12).
// ASan's quarantine of freed memory is capped (__asan_default_options) so that it does not
// count as growth.
//
// Safety: the session's client is an unprivileged user (uid/gid 65534, no capabilities), so an
// `attach` can only reach processes it could ptrace itself (and the daemon starts no programs). Each input
// gets a fresh session, closed at the end (detaching whatever it attached).
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "engine/engine_hub.hpp"
#include "rpc/dispatcher.hpp"
#include "rpc/session.hpp"
#include "util/log.hpp"

namespace {

struct World {
  boost::asio::io_context io;
  utraced::Limits limits;
  utraced::EngineHub hub{io, limits};
  utraced::Dispatcher dispatcher{hub};
  World() {
    utraced::log::init("off");
    limits.max_line = 64 * 1024;
    limits.queued_bytes = 4096;
    // (The daemon starts no programs: nothing to disable.)
  }
};

World& world() {
  static World* w = new World;  // never destroyed: libFuzzer may exit at any time
  return *w;
}

constexpr long kMaxGrowthKiB = 64 * 1024;

long vm_rss_kib() {
  FILE* f = std::fopen("/proc/self/status", "r");
  if (!f) return 0;
  char line[256];
  long kib = 0;
  while (std::fgets(line, sizeof line, f))
    if (std::strncmp(line, "VmRSS:", 6) == 0) kib = std::strtol(line + 6, nullptr, 10);
  std::fclose(f);
  return kib;
}

void check_reply(const std::string& line) {
  auto j = nlohmann::json::parse(line, nullptr, false);
  if (!j.is_object() || j.value("jsonrpc", "") != "2.0") std::abort();
  if (!j.contains("result") && !j.contains("error") && !j.contains("method")) std::abort();
}

}  // namespace

extern "C" const char* __asan_default_options() { return "quarantine_size_mb=16"; }

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  World& w = world();
  const long rss_before = vm_rss_kib();
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) return 0;
  utraced::PeerCreds creds;
  creds.pid = ::getpid();
  creds.uid = 65534;
  creds.gid = 65534;
  utraced::Session::Socket socket(w.io, boost::asio::local::stream_protocol(), fds[0]);
  bool closed = false;
  auto session = std::make_shared<utraced::Session>(std::move(socket), 1, creds, w.dispatcher,
                                                    w.hub, w.limits,
                                                    [&closed](utraced::Session&) { closed = true; });
  session->start();
  // The client side: write the input (and a final newline), read all replies.
  std::string input(reinterpret_cast<const char*>(data), size);
  input.push_back('\n');
  std::size_t off = 0;
  std::string replies;
  ::fcntl(fds[1], F_SETFL, O_NONBLOCK);
  for (int round = 0; round < 10000; ++round) {
    if (off < input.size()) {
      ssize_t n = ::write(fds[1], input.data() + off, input.size() - off);
      if (n > 0) off += static_cast<std::size_t>(n);
    }
    w.io.restart();
    std::size_t ran = w.io.poll();
    char buf[65536];
    ssize_t n;
    bool got = false;
    while ((n = ::read(fds[1], buf, sizeof buf)) > 0) {
      replies.append(buf, static_cast<std::size_t>(n));
      got = true;
    }
    if (off >= input.size() && ran == 0 && !got) break;
  }
  std::size_t start = 0;
  for (std::size_t nl; (nl = replies.find('\n', start)) != std::string::npos; start = nl + 1) {
    // No reply is over the output bound: a longer one must have become EAGAIN.
    if (nl - start + 1 > w.limits.queued_bytes) std::abort();
    check_reply(replies.substr(start, nl - start));
  }
  session->stop();
  w.io.restart();
  w.io.poll();
  ::close(fds[1]);
  replies = std::string();
  input = std::string();
  const long grown = vm_rss_kib() - rss_before;
  if (grown > kMaxGrowthKiB) {
    std::fprintf(stderr, "fuzz_dispatcher: RSS grew %ld KiB over one input (bound %ld KiB)\n",
                 grown, kMaxGrowthKiB);
    std::abort();
  }
  return 0;
}
