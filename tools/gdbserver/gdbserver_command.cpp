#include "gdbserver_command.hpp"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <cstring>
#include <iostream>
#include <stdexcept>

#include "gdb_session.hpp"
#include "inferior.hpp"
#include "rsp_connection.hpp"
#include "target_description.hpp"
#include "utrace/client_sync.hpp"

namespace utracectl::gdbserver {

namespace client = utrace::client;

namespace {

constexpr const char* kUsage =
    "usage: utracectl [--socket PATH] gdbserver [--listen [HOST]:PORT] [--debug] PID\n"
    "       utracectl [--socket PATH] gdbserver [--listen [HOST]:PORT] [--debug] -- CMD [ARG...]\n"
    "A GDB remote protocol server on one utraced engine: gdb debugs PID (or CMD, started\n"
    "traced from its first instruction) while other utraced clients keep tracing it.\n"
    "Without --listen it speaks on stdin/stdout:  (gdb) target remote | utracectl gdbserver PID\n"
    "With --listen it takes one TCP connection:   (gdb) target remote HOST:PORT\n"
    "(PORT 0 picks a free port; the line \"Listening on port N\" on stderr names it.)\n";

struct Options {
  std::string listen;  // "" for stdio
  bool debug = false;
  int pid = 0;
  std::vector<std::string> argv;
};

Options parse(const std::vector<std::string>& args) {
  Options o;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--listen" && i + 1 < args.size()) {
      o.listen = args[++i];
    } else if (a.rfind("--listen=", 0) == 0) {
      o.listen = a.substr(9);
    } else if (a == "--debug") {
      o.debug = true;
    } else if (a == "--") {
      o.argv.assign(args.begin() + static_cast<long>(i) + 1, args.end());
      if (o.argv.empty()) throw std::invalid_argument("no command after --");
      return o;
    } else if (!a.empty() && a[0] != '-' && o.pid == 0) {
      char* end = nullptr;
      const long v = std::strtol(a.c_str(), &end, 10);
      if (*end || v <= 0) throw std::invalid_argument("not a process id: " + a);
      o.pid = static_cast<int>(v);
    } else {
      throw std::invalid_argument("unexpected argument: " + a);
    }
  }
  if (o.pid == 0) throw std::invalid_argument("no PID and no -- CMD");
  return o;
}

// Binds HOST:PORT, says which port on stderr, accepts one connection.
int accept_one(const std::string& spec) {
  const std::size_t colon = spec.rfind(':');
  if (colon == std::string::npos) throw std::invalid_argument("--listen wants [HOST]:PORT");
  const std::string host = spec.substr(0, colon), port = spec.substr(colon + 1);
  struct addrinfo hints {};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  struct addrinfo* res = nullptr;
  if (int e = ::getaddrinfo(host.empty() ? nullptr : host.c_str(), port.c_str(), &hints, &res))
    throw std::runtime_error("--listen " + spec + ": " + ::gai_strerror(e));
  int fd = -1;
  for (struct addrinfo* ai = res; ai && fd < 0; ai = ai->ai_next) {
    fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) continue;
    const int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || ::listen(fd, 1) != 0) {
      ::close(fd);
      fd = -1;
    }
  }
  ::freeaddrinfo(res);
  if (fd < 0) throw std::runtime_error("--listen " + spec + ": " + std::strerror(errno));
  struct sockaddr_storage addr {};
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<struct sockaddr*>(&addr), &len);
  const int bound =
      ntohs(addr.ss_family == AF_INET6 ? reinterpret_cast<struct sockaddr_in6*>(&addr)->sin6_port
                                       : reinterpret_cast<struct sockaddr_in*>(&addr)->sin_port);
  std::cerr << "Listening on port " << bound << std::endl;
  int conn;
  do conn = ::accept4(fd, nullptr, nullptr, SOCK_CLOEXEC);
  while (conn < 0 && errno == EINTR);
  ::close(fd);
  if (conn < 0) throw std::runtime_error(std::string("accept: ") + std::strerror(errno));
  const int one = 1;
  ::setsockopt(conn, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  std::cerr << "Remote debugging connection accepted" << std::endl;
  return conn;
}

// Whether the held thread's XSAVE area has the AVX upper halves (ymm0h-ymm15h).
bool has_avx(Inferior& inferior) {
  const int tid = inferior.examine_tid(inferior.pid());
  if (!tid) return false;
  const client::Reply r = inferior.client().request(
      "get_regset", {{"engine", inferior.engine()}, {"tid", tid}, {"set", "xstate"}});
  return r.ok() && r.result.value("size", 0) >= 832;
}

}  // namespace

int gdbserver_command(const std::string& socket, const std::vector<std::string>& args) {
  Options o;
  try {
    if (!args.empty() && (args[0] == "-h" || args[0] == "--help")) {
      std::cout << kUsage;
      return 0;
    }
    o = parse(args);
  } catch (const std::invalid_argument& e) {
    std::cerr << "utracectl gdbserver: " << e.what() << "\n" << kUsage;
    return 2;
  }
  ::signal(SIGPIPE, SIG_IGN);
  if (o.listen.empty()) ::signal(SIGINT, SIG_IGN);  // gdb's Ctrl-C comes as \x03
  try {
    client::Client c =
        client::Client::connect(socket.empty() ? client::default_socket_path() : socket);
    c.hello("utracectl-gdbserver");
    Inferior inferior(c);
    if (o.argv.empty())
      inferior.attach(o.pid);
    else
      inferior.launch(o.argv, o.listen.empty());
    if (!o.argv.empty())
      std::cerr << "Process " << o.argv[0] << " created; pid = " << inferior.pid() << std::endl;
    else
      std::cerr << "Attached; pid = " << inferior.pid() << std::endl;
    const TargetDescription tdesc(has_avx(inferior));
    int in = 0, out = 1;
    if (!o.listen.empty()) in = out = accept_one(o.listen);
    RspConnection conn(in, out);
    conn.set_debug(o.debug);
    GdbSession session(conn, inferior, tdesc);
    const int status = session.run();
    if (in != 0) ::close(in);
    return status;
  } catch (const client::ClientError& e) {
    std::cerr << "utracectl gdbserver: " << (e.method().empty() ? "" : e.method() + ": ")
              << e.what() << '\n';
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "utracectl gdbserver: " << e.what() << '\n';
    return 1;
  }
}

}  // namespace utracectl::gdbserver
