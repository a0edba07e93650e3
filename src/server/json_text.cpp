#include "server/json_text.h"

namespace odma::server {

std::string to_json_text(const nlohmann::json& j) {
  return j.dump(/*indent=*/-1, ' ', /*ensure_ascii=*/false,
                nlohmann::json::error_handler_t::replace);
}

}  // namespace odma::server
