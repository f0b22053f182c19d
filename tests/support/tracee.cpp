#include "tracee.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <stdexcept>
#include <thread>

#include "test_daemon.hpp"

namespace utrace::test {

Tracee::Tracee(const std::string& mode) {
  int in[2], out[2];
  if (::pipe(in) != 0 || ::pipe(out) != 0) throw std::runtime_error("pipe failed");
  const std::string bin = tracee_path();
  pid_ = ::fork();
  if (pid_ == 0) {
    ::dup2(in[0], 0);
    ::dup2(out[1], 1);
    ::close(in[1]);
    ::close(out[0]);
    ::execl(bin.c_str(), bin.c_str(), mode.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::close(in[0]);
  ::close(out[1]);
  stdin_fd_ = in[1];
  char buf[64] = {};
  ssize_t n = ::read(out[0], buf, sizeof buf - 1);  // "ready PID\n"
  ::close(out[0]);
  if (n <= 0) throw std::runtime_error("tracee " + mode + " did not start (" + bin + ")");
}

Tracee::~Tracee() {
  if (stdin_fd_ >= 0) ::close(stdin_fd_);
  if (!reaped_ && pid_ > 0) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
}

void Tracee::send(std::string_view line) {
  std::string s(line);
  s.push_back('\n');
  if (::write(stdin_fd_, s.data(), s.size()) != static_cast<ssize_t>(s.size()))
    throw std::runtime_error("write to tracee failed");
}

std::string status_file_field(const std::string& path, const std::string& key) {
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(key + ":", 0) == 0) {
      auto v = line.substr(key.size() + 1);
      auto p = v.find_first_not_of(" \t");
      return p == std::string::npos ? "" : v.substr(p);
    }
  return "";
}

namespace {
std::string status_field(pid_t pid, const std::string& key) {
  return status_file_field("/proc/" + std::to_string(pid) + "/status", key);
}
}  // namespace

char Tracee::state() const {
  auto v = status_field(pid_, "State");
  return v.empty() ? '?' : v[0];
}

pid_t Tracee::tracer() const {
  auto v = status_field(pid_, "TracerPid");
  return v.empty() ? -1 : std::stoi(v);
}

int Tracee::wait_exit(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  int status = 0;
  while (::waitpid(pid_, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) return -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  reaped_ = true;
  return status;
}

bool eventually(const std::function<bool()>& pred, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return pred();
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

bool released(const Tracee& t) {
  char s = t.state();
  return t.tracer() == 0 && s != 't' && s != '?';
}

}  // namespace utrace::test
