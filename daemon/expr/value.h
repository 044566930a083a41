#pragma once
/// The values an expression produces: null, bool, number, string, list, duration, or a reference
/// to a JSON array/object in the caller's data.
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/core/time.h"

namespace journeyd {

/// One result of evaluation. Cheap to copy: strings and lists read from the caller's JSON or from
/// the compiled expression are views (no allocation); only values built during evaluation
/// (lower(), string concatenation, lists of computed items) own their storage, shared.
/// A Value that views caller data is valid only while that data lives.
class Value {
 public:
  enum class Kind : std::uint8_t { kNull, kBool, kNumber, kString, kList, kDuration, kJson };

  Value() : number_(0) {}
  static Value null() { return Value(); }
  static Value boolean(bool b);
  static Value number(double n);
  static Value duration(DurationMs ms);
  /// A view of a string that outlives the Value (caller data, compiled literal).
  static Value stringView(std::string_view s);
  static Value ownedString(std::string s);
  /// A view of a list that outlives the Value (a compiled literal list).
  static Value listView(const std::vector<Value>* items);
  static Value ownedList(std::vector<Value> items);
  /// Scalars become plain values (strings as views); arrays and objects stay references.
  static Value fromJson(const nlohmann::json* j);

  [[nodiscard]] Kind kind() const { return kind_; }
  [[nodiscard]] bool isNull() const { return kind_ == Kind::kNull; }
  [[nodiscard]] bool asBool() const { return bool_; }
  /// The number, or the duration in ms.
  [[nodiscard]] double asNumber() const { return number_; }
  [[nodiscard]] std::string_view asString() const { return string_; }
  [[nodiscard]] const std::vector<Value>& asList() const { return *list_; }
  [[nodiscard]] const nlohmann::json& asJson() const { return *json_; }
  [[nodiscard]] bool isNumeric() const {
    return kind_ == Kind::kNumber || kind_ == Kind::kDuration;
  }
  /// A list literal/computed list, or a JSON array.
  [[nodiscard]] bool isListLike() const {
    return kind_ == Kind::kList || (kind_ == Kind::kJson && json_->is_array());
  }
  /// Number of items of a list-like value (0 otherwise).
  [[nodiscard]] size_t listSize() const;
  /// Item i of a list-like value (null when out of range).
  [[nodiscard]] Value listItem(size_t i) const;

  /// null, false, 0, "", empty lists and objects are false; everything else is true.
  [[nodiscard]] bool truthy() const;
  /// Epoch ms for a number or an ISO-8601 string, a calendar date being the start of that day in
  /// `zone` (UTC when null; see parseIsoTimeIn); nullopt otherwise.
  [[nodiscard]] std::optional<TimeMs> asTime(const date::time_zone* zone = nullptr) const;
  /// A readable rendering for explanations: strings quoted, durations as `30d`, lists in [].
  [[nodiscard]] std::string format() const;
  /// The value as JSON (durations as ms).
  [[nodiscard]] nlohmann::json toJson() const;

 private:
  Kind kind_ = Kind::kNull;
  union {
    bool bool_;
    double number_;
    const std::vector<Value>* list_;
    const nlohmann::json* json_;
  };
  std::string_view string_;
  std::shared_ptr<const void> owner_;  // keeps an owned string or list alive
};

/// `==` semantics: numbers and durations numerically, null equals only null, ISO-8601 strings
/// as text; lists and JSON item by item.
[[nodiscard]] bool valuesEqual(const Value& a, const Value& b);

/// Ordering for `< <= > >=`: -1/0/1, or nullopt when the values cannot be ordered (null,
/// mismatched types). Strings that are both ISO-8601 instants compare as instants; an ISO-8601
/// string and a number compare as instants (epoch ms), a calendar date as the start of that day in
/// `zone` (UTC when null).
[[nodiscard]] std::optional<int> compareValues(const Value& a, const Value& b,
                                               const date::time_zone* zone = nullptr);

}  // namespace journeyd
