#pragma once
// Helpers shared by the render tests.
#include <nlohmann/json.hpp>
#include <string>

#include "daemon/render/liquid_template.h"

namespace journeyd::test {

/// Compiles and renders; "COMPILE: <diagnostics>" or "RENDER: <message>" on failure.
inline std::string renderLiquid(std::string_view source,
                                const nlohmann::json& vars = nlohmann::json::object(),
                                const RenderOptions& options = {}) {
  Diagnostics diags;
  auto tmpl = LiquidTemplate::compile(source, SourcePos{"t.liquid", 1, 1}, diags);
  if (!tmpl) return "COMPILE: " + diags.format();
  auto out = tmpl->render(vars, options);
  if (!out) return "RENDER: " + out.error().message;
  return *out;
}

struct Case {
  const char* source;
  const char* want;
};

}  // namespace journeyd::test
