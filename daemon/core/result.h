#pragma once
/// Errors as values: every fallible operation in journeyd returns Result<T>.
/// An Error carries a code that separates retryable from permanent failures, a message with
/// context, and (for API input) the offending field.
#include <string>
#include <tl/expected.hpp>
#include <utility>

namespace journeyd {

enum class ErrorCode {
  kInvalidArgument,  ///< bad input from a user or client; permanent
  kNotFound,         ///< the thing asked for does not exist; permanent
  kConflict,         ///< the request contradicts stored state; permanent
  kUnauthorized,     ///< missing or wrong credentials; permanent
  kTooLarge,         ///< input over a configured limit; permanent
  kUnavailable,      ///< a resource is busy or down; retryable
  kInternal,         ///< an unexpected failure; retryable
  kStorage,          ///< the storage itself failed: a full disk or an I/O error; retryable
};

struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;
  std::string field;  ///< JSON field or config key at fault, when there is one

  [[nodiscard]] bool retryable() const {
    return code == ErrorCode::kUnavailable || code == ErrorCode::kInternal ||
           code == ErrorCode::kStorage;
  }
  /// The disk is full or failing (not a statement, a job or a request at fault).
  [[nodiscard]] bool storage() const { return code == ErrorCode::kStorage; }

  static Error invalid(std::string message, std::string field = {}) {
    return {ErrorCode::kInvalidArgument, std::move(message), std::move(field)};
  }
  static Error notFound(std::string message) {
    return {ErrorCode::kNotFound, std::move(message), {}};
  }
  static Error internal(std::string message) {
    return {ErrorCode::kInternal, std::move(message), {}};
  }
  static Error unavailable(std::string message) {
    return {ErrorCode::kUnavailable, std::move(message), {}};
  }
};

/// The machine-readable name of a code, as used in API error bodies ("invalid_argument", ...).
const char* errorCodeName(ErrorCode code);

template <typename T>
using Result = tl::expected<T, Error>;

/// Result<void> success value: `return ok();`.
inline Result<void> ok() { return {}; }

inline tl::unexpected<Error> fail(Error error) { return tl::unexpected<Error>(std::move(error)); }

}  // namespace journeyd
