#include "strace_output.hpp"

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
  auto f = std::make_unique<std::ofstream>(path_, append_ ? std::ios::app : std::ios::trunc);
  if (!*f) throw std::runtime_error("cannot write " + path_);
  s.out = f.get();
  files_[0] = std::move(f);
}

StraceOutput::Stream& StraceOutput::stream(int tid) {
  if (!separate_) return streams_[0];
  auto it = streams_.find(tid);
  if (it != streams_.end()) return it->second;
  const std::string name = path_ + "." + std::to_string(tid);
  auto f = std::make_unique<std::ofstream>(name, append_ ? std::ios::app : std::ios::trunc);
  if (!*f) throw std::runtime_error("cannot write " + name);
  Stream& s = streams_[tid];
  s.out = f.get();
  files_[tid] = std::move(f);
  return s;
}

void StraceOutput::flush() {
  for (auto& [tid, s] : streams_) s.out->flush();
}

}  // namespace utracectl
