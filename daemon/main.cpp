// utraced: parse arguments, build the Daemon, run it.
#include <sched.h>
#include <sys/resource.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>

#include "daemon.hpp"
#include "util/log.hpp"

namespace {

void usage(std::ostream& out) {
  out << "usage: utraced [--socket PATH] [--log-level LEVEL] [--max-line BYTES]\n"
         "  --socket PATH      listen on PATH (default: the socket systemd passes, else\n"
         "                     /run/utraced/utraced.sock)\n"
         "  --log-level LEVEL  trace, debug, info, warn, error, off (default info, or $UTRACED_LOG)\n"
         "  --max-line BYTES   largest accepted JSON line (default 1048576)\n"
         "  --max-connections N  connections per uid (default 64)\n"
         "  --max-engines N    engines per connection (default 4096)\n"
         "  --max-queue BYTES  unsent output per connection before it is paused (default 4 MiB)\n"
         "  --max-waiters N    outstanding barrier/wait calls per connection (default 1024)\n"
         "  --max-threads-per-engine N  threads one engine may cover (default 4096)\n"
         "  --max-threads-per-client N  threads all engines of one connection may cover,\n"
         "                     summed (default 16384)\n"
         "  --max-depth N      arrays/objects nested in one JSON line (default 64, at most 1024)\n"
         "  --cpu N            run the daemon and every thread it traces on CPU N (their own\n"
         "                     affinity comes back when they are let go); off by default\n"
         "  --spin-us U        after sending sync reports, poll up to U µs for the replies\n"
         "                     instead of sleeping (default 0: off)\n"
         "  --event-batch N    async events written together, up to N lines (default 16; 1: each\n"
         "                     at once)\n"
         "  --event-delay-us U the longest an async event waits for its batch (default 1000)\n"
         "  -h, --help         print this help\n"
         "  --version          print the version (utraced " UTRACE_VERSION ")\n";
}

std::size_t number(const std::string& flag, const std::string& v, unsigned long long min,
                   unsigned long long max) {
  char* end = nullptr;
  errno = 0;
  unsigned long long n = std::strtoull(v.c_str(), &end, 10);
  if (v.empty() || !end || *end || errno || n < min || n > max) {
    std::cerr << "utraced: " << flag << " must be a number between " << min << " and " << max
              << ", not '" << v << "'\n";
    std::exit(2);
  }
  return static_cast<std::size_t>(n);
}

}  // namespace

namespace {
// Every connection costs two descriptors (its socket and a pidfd of the client): the soft
// limit goes up to the hard one (the unit's LimitNOFILE), as systemd advises for programs that
// do not use select().
void raise_fd_limit() {
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= rl.rlim_max) return;
  rl.rlim_cur = rl.rlim_max;
  if (::setrlimit(RLIMIT_NOFILE, &rl) != 0)
    utraced::log::main().warn("cannot raise the descriptor limit: {}", std::strerror(errno));
}
}  // namespace

int main(int argc, char** argv) try {
  utraced::DaemonConfig config;
  std::string level = std::getenv("UTRACED_LOG") ? std::getenv("UTRACED_LOG") : "info";
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&](const char* name) -> std::string {
      if (i + 1 >= argc) {
        std::cerr << "utraced: " << name << " needs a value\n";
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--socket") {
      config.socket_path = value("--socket");
      config.socket_given = true;
    }
    else if (a == "--log-level") level = value("--log-level");
    else if (a == "--max-line") config.limits.max_line = number(a, value("--max-line"), 64, 1ull << 30);
    else if (a == "--max-connections")
      config.limits.connections_per_uid = number(a, value("--max-connections"), 1, 1u << 20);
    else if (a == "--max-engines")
      config.limits.engines_per_client = number(a, value("--max-engines"), 1, 1u << 24);
    else if (a == "--max-queue")
      config.limits.queued_bytes = number(a, value("--max-queue"), 4096, 1ull << 34);
    else if (a == "--max-waiters")
      config.limits.waiters_per_client = number(a, value("--max-waiters"), 1, 1u << 24);
    else if (a == "--max-threads-per-engine")
      config.limits.threads_per_engine = number(a, value("--max-threads-per-engine"), 1, 1u << 22);
    else if (a == "--max-threads-per-client")
      config.limits.threads_per_client =
          number(a, value("--max-threads-per-client"), 1, 1u << 24);
    else if (a == "--max-depth")
      config.limits.nesting_depth = number(a, value("--max-depth"), 2, 1024);
    else if (a == "--no-launch")
      // Kept so that old command lines still start: the daemon starts no programs any more.
      std::cerr << "utraced: --no-launch is obsolete (the daemon starts no programs); ignored\n";
    else if (a == "--cpu") config.cpu = static_cast<int>(number(a, value("--cpu"), 0, CPU_SETSIZE - 1));
    else if (a == "--spin-us") config.spin_us = static_cast<long>(number(a, value("--spin-us"), 0, 1000000));
    else if (a == "--event-batch")
      config.limits.event_batch = number(a, value("--event-batch"), 1, 4096);
    else if (a == "--event-delay-us")
      config.limits.event_delay_us = number(a, value("--event-delay-us"), 0, 1000000);
    else if (a == "--help" || a == "-h") {
      usage(std::cout);
      return 0;
    } else if (a == "--version") {
      std::cout << "utraced " UTRACE_VERSION "\n";
      return 0;
    } else {
      std::cerr << "utraced: unknown argument '" << a << "'\n";
      usage(std::cerr);
      return 2;
    }
  }
  if (!utraced::log::init(level)) {
    std::cerr << "utraced: unknown log level '" << level << "'\n";
    return 2;
  }
  raise_fd_limit();
  utraced::Daemon daemon(config);
  return daemon.run();
} catch (const std::exception& ex) {
  std::cerr << "utraced: " << ex.what() << "\n";
  return EXIT_FAILURE;
}
