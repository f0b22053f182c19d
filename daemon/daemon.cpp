#include "daemon.hpp"

#include <signal.h>

#include <sys/stat.h>

#include <stdexcept>

#include "event_loop.hpp"
#include "sys/systemd_glue.hpp"
#include "util/log.hpp"

namespace utraced {

Daemon::Daemon(const DaemonConfig& config)
    : config_(config),
      stop_signals_(io_, SIGTERM, SIGINT),
      hub_(io_, config_.limits),
      reaper_(io_, [this](pid_t tid, WaitStatus st) { hub_.tracer().on_wait(tid, st); }),
      dispatcher_(hub_) {
  // A client that vanishes mid-write must not kill the daemon.
  ::signal(SIGPIPE, SIG_IGN);
  reaper_.set_batch_hooks([this] { write_batch_.begin(); }, [this] { write_batch_.end(); });
  if (config_.cpu) {
    AffinityPolicy policy(config_.cpu);
    if (auto why = policy.pin_self(); !why.empty()) throw std::runtime_error("--cpu: " + why);
    hub_.tracer().set_affinity(std::move(policy));
  }
  auto inherited = config_.socket_given ? std::nullopt : systemd::inherited_socket();
  if (inherited) {
    listener_ = std::make_unique<Listener>(io_, *inherited, "(socket from systemd)", dispatcher_,
                                           hub_, config_.limits, write_batch_);
  } else {
    if (!config_.socket_given) ::mkdir("/run/utraced", 0755);  // the default path's directory
    listener_ = std::make_unique<Listener>(io_, config_.socket_path, dispatcher_, hub_,
                                           config_.limits, write_batch_);
  }
}

int Daemon::run() {
  stop_signals_.async_wait([this](const boost::system::error_code& ec, int signo) {
    if (!ec) shutdown(signo);
  });
  reaper_.start();
  listener_->start();
  log::main().info("utraced ready (pid {})", ::getpid());
  systemd::notify("READY=1");
  EventLoop(io_, hub_, std::chrono::microseconds(config_.spin_us)).run();
  log::main().info("utraced stopped");
  return 0;
}

void Daemon::shutdown(int signo) {
  if (stopping_) return;
  stopping_ = true;
  log::main().info("signal {}: detaching everything and exiting", signo);
  systemd::notify("STOPPING=1");
  listener_->stop();
  hub_.shutdown([this] {
    listener_.reset();
    io_.stop();
  });
}

}  // namespace utraced
