#pragma once
/// Turns expression text into a checked Node tree (internal to daemon/expr/).
#include <memory>
#include <string_view>

#include "daemon/core/diagnostic.h"
#include "daemon/expr/expression.h"
#include "daemon/expr/node.h"

namespace journeyd {

/// The tree of `source`, or nullptr after adding every problem found to `diagnostics`.
std::unique_ptr<Node> parseExpression(std::string_view source, const SourcePos& origin,
                                      const CompileOptions& options, Diagnostics& diagnostics);

}  // namespace journeyd
