// LiquidTemplate construction and source positions (rendering is in liquid_renderer.cpp).
#include "daemon/render/liquid_template.h"

#include <algorithm>

#include "daemon/render/liquid_ast.h"
#include "daemon/render/utf8.h"

namespace journeyd {

LiquidTemplate::LiquidTemplate() : ast_(std::make_unique<LiquidAst>()) {}
LiquidTemplate::~LiquidTemplate() = default;

std::shared_ptr<const LiquidTemplate> LiquidTemplate::compile(std::string_view source,
                                                              const TemplateOrigin& origin,
                                                              Diagnostics& diags) {
  std::shared_ptr<LiquidTemplate> tmpl(new LiquidTemplate());
  tmpl->origin_ = origin;
  tmpl->ast_->source = std::string(source);
  tmpl->ast_->size_hint = source.size() + source.size() / 4 + 64;
  if (!parseLiquid(*tmpl->ast_, *tmpl, diags)) return nullptr;
  return tmpl;
}

const std::string& LiquidTemplate::source() const { return ast_->source; }

SourcePos LiquidTemplate::positionOf(std::size_t offset) const {
  const std::string& src = ast_->source;
  offset = std::min(offset, src.size());
  SourcePos pos = origin_.start;
  if (pos.line <= 0) pos.line = 1;
  if (pos.column <= 0) pos.column = 1;
  std::size_t line_start = 0;
  int newlines = 0;
  for (std::size_t i = 0; i < offset; ++i) {
    if (src[i] == '\n') {
      ++newlines;
      line_start = i + 1;
    }
  }
  const int col =
      static_cast<int>(utf8Length(std::string_view(src).substr(line_start, offset - line_start)));
  pos.line += newlines;
  pos.column = newlines == 0 ? pos.column + col : origin_.indent + 1 + col;
  return pos;
}

}  // namespace journeyd
