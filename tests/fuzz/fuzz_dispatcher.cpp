// libFuzzer target for the daemon's request path: the input is written, as a client would, into
// a real Session (a socketpair) in front of the real Dispatcher and EngineHub; the daemon's
// io_context runs until it is idle and every reply is read back. Any crash, sanitizer report,
// hang or uncaught exception is a bug. Every reply line must be a JSON-RPC response or
// notification.
//
// Safety: the session's client is an unprivileged user (uid/gid 65534, no capabilities), so an
// `attach` can only reach processes it could ptrace itself, and `launch` is disabled. Each input
// gets a fresh session, closed at the end (detaching whatever it attached).
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
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
    dispatcher.set_launch_enabled(false);
  }
};

World& world() {
  static World* w = new World;  // never destroyed: libFuzzer may exit at any time
  return *w;
}

void check_reply(const std::string& line) {
  auto j = nlohmann::json::parse(line, nullptr, false);
  if (!j.is_object() || j.value("jsonrpc", "") != "2.0") std::abort();
  if (!j.contains("result") && !j.contains("error") && !j.contains("method")) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  World& w = world();
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
  for (std::size_t nl; (nl = replies.find('\n', start)) != std::string::npos; start = nl + 1)
    check_reply(replies.substr(start, nl - start));
  session->stop();
  w.io.restart();
  w.io.poll();
  ::close(fds[1]);
  return 0;
}
