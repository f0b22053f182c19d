#include "launched_exec.hpp"

#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <map>
#include <string_view>

extern char** environ;

namespace utracectl {

namespace {

// Memory made up of the strings and arrays utracectl hands to execve.
class ExecMemory final : public utrace::decode::MemorySource {
 public:
  std::uint64_t add(std::string bytes) {
    const std::uint64_t addr = next_;
    next_ += bytes.size() + 64;
    blocks_[addr] = std::move(bytes);
    return addr;
  }
  void add_at(std::uint64_t addr, std::string bytes) { blocks_[addr] = std::move(bytes); }
  std::optional<std::string> read(std::uint64_t addr, std::size_t len) override {
    for (const auto& [base, b] : blocks_)
      if (addr >= base && addr + len <= base + b.size()) return b.substr(addr - base, len);
    return std::nullopt;
  }
  std::optional<std::string> read_string(std::uint64_t addr, std::size_t max) override {
    for (const auto& [base, b] : blocks_) {
      if (addr >= base && addr < base + b.size()) {
        std::string s = b.substr(addr - base, max);
        return s.substr(0, s.find('\0'));
      }
    }
    return std::nullopt;
  }

 private:
  std::uint64_t next_ = 0x10000;
  std::map<std::uint64_t, std::string> blocks_;
};

std::string pointers(const std::vector<std::uint64_t>& v) {
  std::string b;
  for (auto p : v) b.append(reinterpret_cast<const char*>(&p), sizeof p);
  return b;
}

// execvp's choice: argv0 with a '/', else the first executable PATH entry.
std::string resolve(const std::string& argv0) {
  if (argv0.find('/') != std::string::npos) return argv0;
  const char* path = ::getenv("PATH");
  std::string_view dirs = path ? path : "/usr/local/bin:/bin:/usr/bin";
  std::size_t start = 0;
  while (start <= dirs.size()) {
    std::size_t end = dirs.find(':', start);
    if (end == std::string_view::npos) end = dirs.size();
    std::string dir(dirs.substr(start, end - start));
    const std::string candidate = (dir.empty() ? "." : dir) + "/" + argv0;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    start = end + 1;
  }
  return argv0;
}

}  // namespace

utrace::decode::PendingCall launched_execve(const utrace::decode::SyscallDecoder& decoder,
                                            const std::vector<std::string>& argv) {
  ExecMemory mem;
  const std::string path = resolve(argv.empty() ? std::string() : argv[0]);
  const std::uint64_t path_addr = mem.add(path + std::string(1, '\0'));
  std::vector<std::uint64_t> argv_ptrs;
  for (const auto& a : argv) argv_ptrs.push_back(mem.add(a + std::string(1, '\0')));
  argv_ptrs.push_back(0);
  const std::uint64_t argv_addr = mem.add(pointers(argv_ptrs));
  // The environment's pointer array, where it is: only its count is printed.
  const auto envp = reinterpret_cast<std::uint64_t>(environ);
  std::vector<std::uint64_t> env_ptrs;
  for (char** e = environ; e && *e; ++e) env_ptrs.push_back(reinterpret_cast<std::uint64_t>(*e));
  env_ptrs.push_back(0);
  mem.add_at(envp, pointers(env_ptrs));
  return decoder.enter(59, {path_addr, argv_addr, envp, 0, 0, 0}, mem);
}

}  // namespace utracectl
