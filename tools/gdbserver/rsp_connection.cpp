#include "rsp_connection.hpp"

#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <stdexcept>
#include <system_error>

namespace utracectl::gdbserver {

namespace {

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

constexpr char kHex[] = "0123456789abcdef";

std::string printable(std::string_view s) {
  std::string out;
  for (unsigned char c : s.substr(0, 400)) {
    if (c >= 0x20 && c < 0x7f)
      out += static_cast<char>(c);
    else
      out += "\\x" + std::string{kHex[c >> 4], kHex[c & 15]};
  }
  if (s.size() > 400) out += "...";
  return out;
}

}  // namespace

std::string to_hex(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

std::string from_hex(std::string_view hex) {
  std::string out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    const int hi = hex_digit(hex[i]), lo = hex_digit(hex[i + 1]);
    if (hi < 0 || lo < 0) break;
    out += static_cast<char>(hi * 16 + lo);
  }
  return out;
}

std::string hex_u64(std::uint64_t v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%llx", static_cast<unsigned long long>(v));
  return buf;
}

std::optional<std::uint64_t> parse_hex(std::string_view s) {
  if (s.empty() || s.size() > 16) return std::nullopt;
  std::uint64_t v = 0;
  for (char c : s) {
    const int d = hex_digit(c);
    if (d < 0) return std::nullopt;
    v = v * 16 + static_cast<unsigned>(d);
  }
  return v;
}

bool RspConnection::read_available() {
  if (closed_) return false;
  char buf[65536];
  for (;;) {
    struct pollfd p {
      in_fd_, POLLIN, 0
    };
    if (::poll(&p, 1, 0) <= 0) break;
    const ssize_t n = ::read(in_fd_, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      closed_ = true;
      break;
    }
    in_.append(buf, static_cast<std::size_t>(n));
    if (static_cast<std::size_t>(n) < sizeof buf) break;
  }
  parse();
  return !closed_ || !packets_.empty();
}

bool RspConnection::wait_input(std::chrono::milliseconds timeout) {
  struct pollfd p {
    in_fd_, POLLIN, 0
  };
  int r;
  do r = ::poll(&p, 1, static_cast<int>(timeout.count()));
  while (r < 0 && errno == EINTR);
  return read_available();
}

void RspConnection::parse() {
  for (;;) {
    std::size_t i = 0;
    while (i < in_.size() && in_[i] != '$') {
      if (in_[i] == '\x03')
        ++interrupts_;
      else if (in_[i] == '-' && !no_ack_ && !last_sent_.empty())
        write_all(last_sent_);
      ++i;
    }
    in_.erase(0, i);
    if (in_.empty()) return;
    const std::size_t hash = in_.find('#');
    if (hash == std::string::npos || hash + 2 >= in_.size()) return;  // incomplete
    std::string raw = in_.substr(1, hash - 1);
    const int hi = hex_digit(in_[hash + 1]), lo = hex_digit(in_[hash + 2]);
    in_.erase(0, hash + 3);
    unsigned sum = 0;
    for (unsigned char c : raw) sum += c;
    const bool good = hi >= 0 && lo >= 0 && static_cast<unsigned>(hi * 16 + lo) == (sum & 0xff);
    if (!no_ack_) write_all(good ? "+" : "-");
    if (!good && !no_ack_) continue;
    std::string payload;
    payload.reserve(raw.size());
    for (std::size_t k = 0; k < raw.size(); ++k) {
      if (raw[k] == '}' && k + 1 < raw.size())
        payload += static_cast<char>(raw[++k] ^ 0x20);
      else
        payload += raw[k];
    }
    if (debug_) std::fprintf(stderr, "gdbserver <- %s\n", printable(payload).c_str());
    packets_.push_back(std::move(payload));
  }
}

std::optional<std::string> RspConnection::next_packet() {
  if (packets_.empty()) return std::nullopt;
  std::string p = std::move(packets_.front());
  packets_.pop_front();
  return p;
}

bool RspConnection::take_interrupt() {
  if (interrupts_ == 0) return false;
  --interrupts_;
  return true;
}

std::string RspConnection::frame(char start, std::string_view payload) {
  if (debug_) std::fprintf(stderr, "gdbserver -> %c%s\n", start, printable(payload).c_str());
  std::string out(1, start);
  unsigned sum = 0;
  for (char c : payload) {
    if (c == '$' || c == '#' || c == '}' || c == '*') {
      out += '}';
      out += static_cast<char>(c ^ 0x20);
      sum += '}' + static_cast<unsigned char>(c ^ 0x20);
    } else {
      out += c;
      sum += static_cast<unsigned char>(c);
    }
  }
  out += '#';
  out += kHex[(sum >> 4) & 15];
  out += kHex[sum & 15];
  return out;
}

void RspConnection::send(std::string_view payload) {
  last_sent_ = frame('$', payload);
  write_all(last_sent_);
}

void RspConnection::notify(std::string_view payload) { write_all(frame('%', payload)); }

void RspConnection::write_all(std::string_view bytes) {
  while (!bytes.empty() && !closed_) {
    const ssize_t n = ::write(out_fd_, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      closed_ = true;  // gdb went away
      return;
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
}

}  // namespace utracectl::gdbserver
