#include "test_daemon.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <gtest/gtest.h>

namespace utrace::test {

namespace {
std::string env_or(const char* name, const char* fallback) {
  const char* v = std::getenv(name);
  return v && *v ? v : fallback;
}

// True once the daemon accepts connections on `path`. The socket file exists from bind(), a
// moment before listen(); a client connecting in between gets ECONNREFUSED.
bool accepts_connections(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) return false;
  path.copy(addr.sun_path, path.size());
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  bool ok = ::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}
}  // namespace

std::string utraced_path() { return env_or("UTRACED_BIN", "build/daemon/utraced"); }
std::string tracee_path() { return env_or("TRACEE_BIN", "build/tests/tracees/tracee"); }

TestDaemon::TestDaemon(const std::vector<std::string>& extra_args) {
  char tmpl[] = "/tmp/utraced-test-XXXXXX";
  if (!::mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
  dir_ = tmpl;
  socket_ = dir_ + "/utraced.sock";
  const std::string log = dir_ + "/daemon.log";
  const std::string bin = utraced_path();
  pid_ = ::fork();
  if (pid_ == 0) {
    int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) ::dup2(fd, 2);
    std::vector<const char*> argv = {bin.c_str(), "--socket", socket_.c_str(), "--log-level",
                                     "debug"};
    for (const auto& a : extra_args) argv.push_back(a.c_str());
    argv.push_back(nullptr);
    ::execv(bin.c_str(), const_cast<char* const*>(argv.data()));
    ::_exit(127);
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!accepts_connections(socket_)) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("utraced exited at start-up:\n" + this->log());
    }
    if (std::chrono::steady_clock::now() > deadline)
      throw std::runtime_error("utraced does not accept connections on its socket:\n" +
                               this->log());
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

TestDaemon::~TestDaemon() {
  int status = stop();
  const bool failed = ::testing::Test::HasFailure();
  if (status != -1 && !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
    ADD_FAILURE() << "utraced did not exit 0 on SIGTERM (status " << status << ")";
  }
  if (failed || ::testing::Test::HasFailure()) {
    std::fprintf(stderr, "utraced log kept in %s/daemon.log; repro: %s --socket %s\n",
                 dir_.c_str(), utraced_path().c_str(), socket_.c_str());
    return;
  }
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

std::string TestDaemon::log() const {
  std::ifstream in(dir_ + "/daemon.log");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

int TestDaemon::stop() {
  if (pid_ <= 0) return -1;
  ::kill(pid_, SIGTERM);
  int status = 0;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (::waitpid(pid_, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  pid_ = -1;
  return status;
}

void TestDaemon::kill() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
}

}  // namespace utrace::test
