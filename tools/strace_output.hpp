// Where strace's lines go: stderr, one file (-o FILE), or one file per thread (-ff -o FILE:
// FILE.TID). Each stream remembers the thread whose line is left open (its entry printed, its
// exit not yet), which decides "<unfinished ...>" and "<... resumed>".
#pragma once

#include <ext/stdio_filebuf.h>
#include <fstream>
#include <map>
#include <memory>
#include <ostream>
#include <string>

namespace utracectl {

class StraceOutput {
 public:
  // path "": stderr; "-": stdout. separate: FILE.TID per thread (needs a path). Throws runtime_error when
  // FILE cannot be opened.
  StraceOutput(std::string path, bool separate, bool append);
  // Everything to `out`, as to stderr (tests).
  explicit StraceOutput(std::ostream& out) { streams_[0].out = &out; }

  struct Stream {
    std::ostream* out = nullptr;
    int open_tid = 0;          // whose line is open (0: none)
    std::size_t open_len = 0;  // the length of that line so far (for the column)
  };
  // The stream thread `tid` prints to (opened on first use with -ff).
  Stream& stream(int tid);
  // Every stream, for closing open lines at the end.
  template <typename F>
  void for_each(F f) {
    for (auto& [tid, s] : streams_) f(s);
  }
  bool to_file() const { return !path_.empty(); }
  bool separate() const { return separate_; }
  void flush();

 private:
  std::string path_;
  bool separate_ = false;
  bool append_ = false;
  // A file opened O_CLOEXEC (as strace opens -o FILE): the traced program does not inherit it,
  // so its own fds are numbered as they would be without utracectl.
  struct File {
    File(int fd) : buf(fd, std::ios::out), out(&buf) {}
    __gnu_cxx::stdio_filebuf<char> buf;
    std::ostream out;
  };
  std::unique_ptr<File> open_file(const std::string& name) const;
  std::map<int, std::unique_ptr<File>> files_;
  std::map<int, Stream> streams_;  // by tid with -ff, else one under 0
};

}  // namespace utracectl
