// RspConnection: the GDB remote serial protocol's framing on a byte stream (stdio or one TCP
// connection): `$payload#cs` packets, `+`/`-` acknowledgements until QStartNoAckMode, the
// `\x03` interrupt byte, and `}` escapes both ways.
#pragma once

#include <chrono>
#include <deque>
#include <optional>
#include <string>
#include <string_view>

namespace utracectl::gdbserver {

class RspConnection {
 public:
  // Reads from in_fd and writes to out_fd (the same descriptor for a socket). Not owned.
  RspConnection(int in_fd, int out_fd) : in_fd_(in_fd), out_fd_(out_fd) {}

  int input_fd() const { return in_fd_; }
  // Reads what is available without blocking (poll said readable, or nothing happens) and
  // splits it into packets and interrupts. False once the peer closed the connection.
  bool read_available();
  // Blocks until input comes or `timeout` passes; then read_available(). False on EOF.
  bool wait_input(std::chrono::milliseconds timeout);
  bool closed() const { return closed_; }

  // The next received packet's payload, unescaped (checksums are not enforced: a pipe or TCP
  // does not corrupt bytes; a bad one is answered `-` and dropped in ack mode).
  std::optional<std::string> next_packet();
  bool has_packet() const { return !packets_.empty(); }
  // True once for each `\x03` received.
  bool take_interrupt();

  // Sends one packet (escaping `$`, `#`, `}` and `*`). In ack mode a `-` makes it go again.
  void send(std::string_view payload);
  // An asynchronous notification (non-stop: `%Stop:...`), never acknowledged.
  void notify(std::string_view payload);
  void set_no_ack() { no_ack_ = true; }
  // A trace of every packet on stderr (utracectl gdbserver --debug).
  void set_debug(bool on) { debug_ = on; }

 private:
  void parse();
  std::string frame(char start, std::string_view payload);
  void write_all(std::string_view bytes);

  int in_fd_;
  int out_fd_;
  std::string in_;
  std::deque<std::string> packets_;
  int interrupts_ = 0;
  std::string last_sent_;
  bool no_ack_ = false;
  bool closed_ = false;
  bool debug_ = false;
};

// Hex helpers shared by the packet handlers.
std::string to_hex(std::string_view bytes);
std::string from_hex(std::string_view hex);  // stops at the first non-hex pair
std::string hex_u64(std::uint64_t v);        // without leading zeros ("0" for 0)
std::optional<std::uint64_t> parse_hex(std::string_view s);

}  // namespace utracectl::gdbserver
