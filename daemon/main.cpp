// utraced: parse arguments, build the Daemon, run it.
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
         "  --max-line BYTES   largest accepted JSON line (default 1048576)\n";
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
    else if (a == "--max-line") {
      auto v = value("--max-line");
      char* end = nullptr;
      unsigned long long n = std::strtoull(v.c_str(), &end, 10);
      if (!end || *end || n < 64 || n > (1ull << 30)) {
        std::cerr << "utraced: --max-line must be a number between 64 and 1073741824\n";
        return 2;
      }
      config.max_line = n;
    } else if (a == "--help" || a == "-h") {
      usage(std::cout);
      return 0;
    } else if (a == "--version") {
      std::cout << "utraced 0.1.0\n";
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
  utraced::Daemon daemon(config);
  return daemon.run();
} catch (const std::exception& ex) {
  std::cerr << "utraced: " << ex.what() << "\n";
  return EXIT_FAILURE;
}
