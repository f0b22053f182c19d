#include "utrace/proto/errors.hpp"

#include <cstring>

namespace utrace::proto {

nlohmann::json RpcError::to_json() const {
  nlohmann::json j = {{"code", code}, {"message", message}};
  if (!data.is_null()) j["data"] = data;
  return j;
}

RpcError RpcError::from_json(const nlohmann::json& j) {
  RpcError e;
  if (!j.is_object()) {
    e.message = "malformed error object";
    return e;
  }
  if (auto it = j.find("code"); it != j.end() && it->is_number_integer()) e.code = it->get<int>();
  if (auto it = j.find("message"); it != j.end() && it->is_string())
    e.message = it->get<std::string>();
  if (auto it = j.find("data"); it != j.end()) e.data = *it;
  return e;
}

std::string RpcError::errno_name() const {
  if (data.is_object()) {
    auto it = data.find("errno");
    if (it != data.end() && it->is_string()) return it->get<std::string>();
  }
  return "";
}

RpcError errno_error(int err, std::string message, nlohmann::json extra) {
  RpcError e;
  e.code = err;
  e.message = std::move(message);
  e.data = nlohmann::json::object();
  e.data["errno"] = proto::errno_name(err);
  if (extra.is_object())
    for (auto& [k, v] : extra.items()) e.data[k] = v;
  return e;
}

RpcError invalid_params(const std::string& parameter, const std::string& message) {
  RpcError e;
  e.code = rpc_code::kInvalidParams;
  e.message = parameter.empty() ? message : "parameter '" + parameter + "': " + message;
  e.data = {{"parameter", parameter}};
  return e;
}

}  // namespace utrace::proto
