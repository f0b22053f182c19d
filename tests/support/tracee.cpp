#include "tracee.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <thread>

#include "test_daemon.hpp"

namespace utrace::test {

Tracee::Tracee(const std::string& mode) : Tracee(tracee_path(), {mode}) {}

std::string family_path() {
  const char* env = std::getenv("FAMILY_BIN");
  if (env && *env) return env;
  const std::string tracee = tracee_path();
  return tracee.substr(0, tracee.rfind('/') + 1) + "family";
}

std::unique_ptr<Tracee> Tracee::family(const std::string& mode, const std::string& arg) {
  std::vector<std::string> args = {mode};
  if (!arg.empty()) args.push_back(arg);
  return std::unique_ptr<Tracee>(new Tracee(family_path(), args));
}

Tracee::Tracee(const std::string& bin, const std::vector<std::string>& args) {
  int in[2], out[2];
  if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0)
    throw std::runtime_error("pipe failed");
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(bin.c_str()));
  for (auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_ = ::fork();
  if (pid_ == 0) {
    ::dup2(in[0], 0);
    ::dup2(out[1], 1);
    ::execv(bin.c_str(), argv.data());
    ::_exit(127);
  }
  ::close(in[0]);
  ::close(out[1]);
  stdin_fd_ = in[1];
  stdout_fd_ = out[0];
  auto first = read_line();  // "ready PID"
  if (first.rfind("ready", 0) != 0)
    throw std::runtime_error("tracee " + args.front() + " did not start (" + bin + ")");
}

Tracee::~Tracee() {
  if (stdin_fd_ >= 0) ::close(stdin_fd_);
  if (stdout_fd_ >= 0) ::close(stdout_fd_);
  if (!reaped_ && pid_ > 0) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
}

std::string Tracee::read_line(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto nl = buffered_.find('\n');
    if (nl != std::string::npos) {
      std::string line = buffered_.substr(0, nl);
      buffered_.erase(0, nl + 1);
      return line;
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0 || stdout_fd_ < 0) return "";
    struct pollfd pfd = {stdout_fd_, POLLIN, 0};
    int r = ::poll(&pfd, 1, static_cast<int>(left.count()));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return "";
    char buf[256];
    ssize_t n = ::read(stdout_fd_, buf, sizeof buf);
    if (n <= 0) return "";
    buffered_.append(buf, static_cast<std::size_t>(n));
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
