// What an engine attached with `capture` asked for (PROTOCOL.md, attach).
#pragma once

#include <cstddef>

namespace utraced {

struct CaptureOptions {
  std::size_t strsize = 32;  // strace's -s: string and buffer bytes shown
  bool fd_paths = false;     // strace's -y: what each fd argument refers to
  static constexpr std::size_t kMaxStrsize = 65536;
};

}  // namespace utraced
