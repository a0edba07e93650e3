// JSON → the text odma sends: compact (no spaces), non-ASCII characters as raw UTF-8 (as vLLM's
// pydantic model_dump_json writes them), and any ill-formed UTF-8 byte as U+FFFD rather than the
// exception nlohmann's default dump() throws: a response must never fail to serialise.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace odma::server {

[[nodiscard]] std::string to_json_text(const nlohmann::json& j);

}  // namespace odma::server
