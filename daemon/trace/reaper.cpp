#include "trace/reaper.hpp"

#include <sys/wait.h>

#include <cerrno>
#include <utility>
#include <vector>

#include "util/log.hpp"

namespace utraced {

Reaper::Reaper(boost::asio::io_context& io, Handler handler)
    : sigchld_(io, SIGCHLD), handler_(std::move(handler)) {}

void Reaper::start() {
  arm();
  drain();
}

void Reaper::arm() {
  sigchld_.async_wait([this](const boost::system::error_code& ec, int) {
    if (ec) return;  // cancelled at shutdown
    drain();
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
    log::trace().trace("waitpid: tid={} {}", tid, st.str());
    handler_(tid, st);
  }
}

}  // namespace utraced
