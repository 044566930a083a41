#pragma once
/// Filter groups (internal): each file adds its filters to the registry built by findFilter().
#include <vector>

#include "daemon/render/liquid_ast.h"

namespace journeyd {

void addStringFilters(std::vector<FilterDef>& out);
void addArrayFilters(std::vector<FilterDef>& out);
void addMathFilters(std::vector<FilterDef>& out);
void addDateFilters(std::vector<FilterDef>& out);

/// Sets the filter result.
inline void setResult(FilterContext& ctx, Json value) { ctx.value = LiquidValue(std::move(value)); }

}  // namespace journeyd
