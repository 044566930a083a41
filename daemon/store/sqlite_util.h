#pragma once
/// Small helpers for the SQLite repositories: NULL-aware binds and column reads. Internal to
/// daemon/store/.
#include <SQLiteCpp/Statement.h>

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "daemon/core/time.h"

namespace journeyd {

/// The column's text, "" for NULL.
inline std::string textColumn(SQLite::Statement& q, int index) {
  return q.isColumnNull(index) ? std::string{} : q.getColumn(index).getString();
}

/// The column's integer time, nullopt for NULL.
inline std::optional<TimeMs> timeColumn(SQLite::Statement& q, int index) {
  if (q.isColumnNull(index)) return std::nullopt;
  return q.getColumn(index).getInt64();
}

/// The column's integer time as ISO-8601 text, JSON null for NULL.
inline nlohmann::json isoColumn(SQLite::Statement& q, int index) {
  if (q.isColumnNull(index)) return nlohmann::json();
  return formatIsoTime(q.getColumn(index).getInt64());
}

/// The column's JSON text parsed (discarded when malformed), JSON null for NULL.
inline nlohmann::json jsonColumn(SQLite::Statement& q, int index) {
  if (q.isColumnNull(index)) return nlohmann::json();
  return nlohmann::json::parse(q.getColumn(index).getString(), nullptr, false);
}

/// Binds text, or NULL when it is empty.
inline void bindText(SQLite::Statement& q, int index, const std::string& text) {
  if (text.empty()) {
    q.bind(index);
  } else {
    q.bind(index, text);
  }
}

inline void bindOptionalText(SQLite::Statement& q, int index,
                             const std::optional<std::string>& text) {
  if (text) {
    q.bind(index, *text);
  } else {
    q.bind(index);
  }
}

inline void bindOptionalTime(SQLite::Statement& q, int index, const std::optional<TimeMs>& t) {
  if (t) {
    q.bind(index, *t);
  } else {
    q.bind(index);
  }
}

/// The first column of every row, as ids; resets the statement.
inline std::vector<std::int64_t> readIds(SQLite::Statement& q) {
  std::vector<std::int64_t> ids;
  while (q.executeStep()) ids.push_back(q.getColumn(0).getInt64());
  q.reset();
  return ids;
}

}  // namespace journeyd
