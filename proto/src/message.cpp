#include "utrace/proto/message.hpp"

namespace utrace::proto {
namespace {

Message invalid(int code, std::string why, nlohmann::json id = nullptr) {
  Message m;
  m.kind = MessageKind::Invalid;
  m.id = std::move(id);
  RpcError e;
  e.code = code;
  e.message = std::move(why);
  m.error = std::move(e);
  return m;
}

bool valid_id(const nlohmann::json& id) {
  return id.is_string() || id.is_number_integer() || id.is_number_unsigned() || id.is_null();
}

}  // namespace

bool nesting_exceeds(std::string_view text, std::size_t max_depth) {
  std::size_t depth = 0;
  bool in_string = false, escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') in_string = false;
      continue;
    }
    switch (c) {
      case '"': in_string = true; break;
      case '[':
      case '{':
        if (++depth > max_depth) return true;
        break;
      case ']':
      case '}':
        if (depth > 0) --depth;
        break;
      default: break;
    }
  }
  return false;
}

Message parse_message(std::string_view line, std::size_t max_depth) {
  // Before nlohmann builds (and later copies, dumps and frees, all recursively) anything.
  if (nesting_exceeds(line, max_depth)) {
    Message m = invalid(rpc_code::kInvalidRequest,
                        "nesting too deep: more than " + std::to_string(max_depth) +
                            " nested arrays/objects (the nesting depth limit)");
    m.error->data = {{"limit", "nesting_depth"}, {"value", max_depth}};
    return m;
  }
  nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return invalid(rpc_code::kParseError, "parse error: not valid JSON");
  return classify_message(j);
}

Message classify_message(const nlohmann::json& j) {
  if (!j.is_object()) return invalid(rpc_code::kInvalidRequest, "a message must be a JSON object");
  nlohmann::json id = nullptr;
  bool has_id = false;
  if (auto it = j.find("id"); it != j.end()) {
    if (!valid_id(*it))
      return invalid(rpc_code::kInvalidRequest, "'id' must be a string, an integer or null");
    id = *it;
    has_id = true;
  }
  auto ver = j.find("jsonrpc");
  if (ver == j.end() || *ver != "2.0")
    return invalid(rpc_code::kInvalidRequest, "'jsonrpc' must be \"2.0\"", id);

  Message m;
  m.id = id;
  if (auto it = j.find("method"); it != j.end()) {
    if (!it->is_string()) return invalid(rpc_code::kInvalidRequest, "'method' must be a string", id);
    m.method = it->get<std::string>();
    m.params = nlohmann::json::object();
    if (auto p = j.find("params"); p != j.end()) {
      if (!p->is_object() && !p->is_null())
        return invalid(rpc_code::kInvalidRequest, "'params' must be an object", id);
      if (p->is_object()) m.params = *p;
    }
    m.kind = has_id ? MessageKind::Request : MessageKind::Notification;
    return m;
  }
  auto r = j.find("result");
  auto e = j.find("error");
  if (!has_id || (r == j.end()) == (e == j.end()))
    return invalid(rpc_code::kInvalidRequest,
                   "a message needs 'method', or 'id' with exactly one of 'result'/'error'", id);
  m.kind = MessageKind::Response;
  if (r != j.end()) m.result = *r;
  if (e != j.end()) m.error = RpcError::from_json(*e);
  return m;
}

std::string dump_line(const nlohmann::json& j) {
  std::string s = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  s.push_back('\n');
  return s;
}

std::string encode_request(const nlohmann::json& id, std::string_view method,
                           const nlohmann::json& params) {
  return dump_line({{"jsonrpc", "2.0"}, {"id", id}, {"method", method}, {"params", params}});
}

std::string encode_notification(std::string_view method, const nlohmann::json& params) {
  return dump_line({{"jsonrpc", "2.0"}, {"method", method}, {"params", params}});
}

std::string encode_result(const nlohmann::json& id, const nlohmann::json& result) {
  return dump_line({{"jsonrpc", "2.0"}, {"id", id}, {"result", result}});
}

std::string encode_error(const nlohmann::json& id, const RpcError& error) {
  return dump_line({{"jsonrpc", "2.0"}, {"id", id}, {"error", error.to_json()}});
}

}  // namespace utrace::proto
