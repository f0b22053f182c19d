#include "sys/cred_status.hpp"

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

namespace utraced::proc {

std::optional<CredStatus> read_cred_status(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  if (!in) return std::nullopt;
  CredStatus st;
  std::string line;
  bool uid = false, gid = false, prm = false, eff = false;
  while (std::getline(in, line)) {
    auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string key = line.substr(0, colon);
    std::istringstream val(line.substr(colon + 1));
    if (key == "State") val >> st.state;
    else if (key == "Tgid") val >> st.tgid;
    else if (key == "PPid") val >> st.ppid;
    else if (key == "Uid") uid = static_cast<bool>(val >> st.uids[0] >> st.uids[1] >> st.uids[2] >> st.uids[3]);
    else if (key == "Gid") gid = static_cast<bool>(val >> st.gids[0] >> st.gids[1] >> st.gids[2] >> st.gids[3]);
    else if (key == "CapPrm" || key == "CapEff") {
      std::string hex;
      val >> hex;
      char* end = nullptr;
      std::uint64_t v = std::strtoull(hex.c_str(), &end, 16);
      if (hex.empty() || *end != '\0') continue;
      if (key == "CapPrm") st.cap_prm = v, prm = true;
      else st.cap_eff = v, eff = true;
    }
  }
  if (!uid || !gid) return std::nullopt;
  st.has_caps = prm && eff;
  return st;
}

}  // namespace utraced::proc
