#include "utrace/client_error.hpp"

namespace utrace::client {

proto::RpcError make_client_error(int code, std::string message, std::error_code sys) {
  proto::RpcError e;
  e.code = code;
  e.message = std::move(message);
  if (sys) e.data = {{"system_error", sys.message()}, {"system_errno", sys.value()}};
  return e;
}

ClientError::ClientError(proto::RpcError error, std::string method, std::error_code sys)
    : std::runtime_error(error.message),
      error_(std::move(error)),
      method_(std::move(method)),
      sys_(sys) {}

}  // namespace utrace::client
