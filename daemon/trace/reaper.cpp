#include "trace/reaper.hpp"

#include <signal.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>
#include <utility>
#include <vector>

#include "util/log.hpp"

namespace utraced {
namespace {

int open_sigchld_fd() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGCHLD);
  if (int err = ::pthread_sigmask(SIG_BLOCK, &set, nullptr))
    throw std::system_error(err, std::generic_category(), "blocking SIGCHLD");
  int fd = ::signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), "signalfd(SIGCHLD)");
  return fd;
}

}  // namespace

Reaper::Reaper(boost::asio::io_context& io, Handler handler)
    : sigchld_(io, open_sigchld_fd()), handler_(std::move(handler)) {}

void Reaper::start() {
  arm();
  drain();
}

void Reaper::arm() {
  sigchld_.async_wait(boost::asio::posix::descriptor_base::wait_read,
                      [this](const boost::system::error_code& ec) {
                        if (ec) return;  // closed at shutdown
                        // Consume the pending SIGCHLDs; waitpid tells what happened. A
                        // standard signal is pending at most once, so one read takes it; read
                        // again only if the buffer came back full (no EAGAIN read per stop).
                        signalfd_siginfo info[16];
                        while (::read(sigchld_.native_handle(), info, sizeof info) ==
                               static_cast<ssize_t>(sizeof info)) {
                        }
                        if (batch_begin_) batch_begin_();
                        try {
                          drain();
                        } catch (...) {
                          if (batch_end_) batch_end_();  // never leave the batch open
                          throw;
                        }
                        if (batch_end_) batch_end_();
                        arm();
                      });
}

void Reaper::drain() {
  std::vector<std::pair<pid_t, WaitStatus>> batch;
  for (;;) {
    int status = 0;
    pid_t tid = ::waitpid(-1, &status, __WALL | WNOHANG);
    if (tid > 0) {
      batch.emplace_back(tid, WaitStatus(status));
      continue;
    }
    if (tid < 0 && errno == EINTR) continue;
    break;  // 0: nothing more now; ECHILD: no children at all
  }
  for (auto& [tid, st] : batch) {
    if (log::trace().should_log(spdlog::level::trace))  // st.str() formats: not per stop for nothing
      log::trace().trace("waitpid: tid={} {}", tid, st.str());
    handler_(tid, st);
  }
}

}  // namespace utraced
