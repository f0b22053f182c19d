#include "gdbserver_command.hpp"

#include <iostream>

namespace utracectl::gdbserver {

int gdbserver_command(const std::string&, const std::vector<std::string>&) {
  std::cerr << "utracectl gdbserver: not implemented yet\n";
  return 2;
}

}  // namespace utracectl::gdbserver
