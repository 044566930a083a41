#pragma once
/// Compile-time checks of operand and argument types, wherever the types are known from
/// literals (internal to daemon/expr/).
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "daemon/expr/node.h"

namespace journeyd {

/// A problem with the operands of a unary or binary node, or nullopt.
std::optional<std::string> checkOperands(const Node& node);

/// The static type of an arithmetic node from its operands' types.
StaticType arithmeticType(const Node& node);

/// A problem with one argument against what the function expects ("expects ..."), or nullopt.
std::optional<std::string> checkArgument(ArgType expected, const Node& argument);

/// Arity and positional argument problems of a call, each with the byte offset it points at.
std::vector<std::pair<size_t, std::string>> checkCall(const Node& call,
                                                      const std::vector<size_t>& arg_offsets,
                                                      size_t name_offset);

/// "unknown name 'x'" with a did-you-mean among the roots, or the list of roots.
std::string unknownNameMessage(const std::string& name, const std::vector<std::string>& roots);

}  // namespace journeyd
