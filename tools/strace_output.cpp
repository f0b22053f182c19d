#include "strace_output.hpp"

#include <fcntl.h>

#include <cerrno>
#include <cstring>
#include <iostream>
#include <stdexcept>

namespace utracectl {

StraceOutput::StraceOutput(std::string path, bool separate, bool append)
    : path_(std::move(path)), separate_(separate && !path_.empty()), append_(append) {
  if (separate_) return;  // files are opened per thread
  Stream& s = streams_[0];
  if (path_.empty() || path_ == "-") {
    s.out = path_.empty() ? &std::cerr : &std::cout;
    return;
  }
  auto f = open_file(path_);
  s.out = &f->out;
  files_[0] = std::move(f);
}

StraceOutput::Stream& StraceOutput::stream(int tid) {
  if (!separate_) return streams_[0];
  auto it = streams_.find(tid);
  if (it != streams_.end()) return it->second;
  const std::string name = path_ + "." + std::to_string(tid);
  auto f = open_file(name);
  Stream& s = streams_[tid];
  s.out = &f->out;
  files_[tid] = std::move(f);
  return s;
}

std::unique_ptr<StraceOutput::File> StraceOutput::open_file(const std::string& name) const {
  const int flags = O_WRONLY | O_CREAT | O_CLOEXEC | (append_ ? O_APPEND : O_TRUNC);
  const int fd = ::open(name.c_str(), flags, 0666);
  if (fd < 0) throw std::runtime_error("cannot write " + name + ": " + std::strerror(errno));
  return std::make_unique<File>(fd);  // the filebuf closes it
}

void StraceOutput::flush() {
  for (auto& [tid, s] : streams_) s.out->flush();
}

}  // namespace utracectl
