// A C++ user's hello-world, built by test_install.sh with only
// `pkg-config --cflags --libs utrace-client` and no -std of its own: connect, hello, and touch
// the public headers' types (Engine, AttachOptions, ClientError, proto names).
#include <iostream>

#include <utrace/engine.hpp>

int main(int argc, char** argv) {
  using namespace utrace;
  try {
    auto c = argc > 1 ? client::Client::connect(argv[1]) : client::Client::connect();
    auto id = c.hello("hello_cpp");
    client::AttachOptions o;
    o.events.set(proto::EventKind::SyscallEntry);
    std::cout << id.value("server", "?") << " " << id.value("version", "?") << " protocol "
              << id.value("protocol", 0) << " (" << proto::to_string(proto::EventKind::Exec)
              << ", " << o.to_params().dump() << ")\n";
    try {
      c.get_regs(999999999);
    } catch (const client::ClientError& e) {
      std::cout << "get_regs on no engine: " << e.errno_name() << "\n";
    }
    return 0;
  } catch (const client::ClientError& e) {
    std::cerr << "hello_cpp: " << e.what() << "\n";
    return 1;
  }
}
