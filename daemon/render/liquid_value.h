#pragma once
/// Values seen by the Liquid renderer: a borrowed pointer into the (immutable) render variables
/// when a lookup found one, or an owned JSON value produced by a literal or a filter. Lookups
/// therefore never copy customer data; only filters create new values.
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace journeyd {

using Json = nlohmann::json;

/// One Liquid value; cheap to move, borrowed data stays valid for the whole render.
class LiquidValue {
 public:
  LiquidValue() = default;
  explicit LiquidValue(Json owned) : owned_(std::move(owned)) {}
  /// Borrows `j`; `keep` (optional) keeps shared storage (assigned variables) alive.
  static LiquidValue borrow(const Json& j, std::shared_ptr<const Json> keep = nullptr) {
    LiquidValue v;
    v.ref_ = &j;
    v.keep_ = std::move(keep);
    return v;
  }
  [[nodiscard]] const Json& get() const {
    if (ref_ != nullptr) return *ref_;
    return owned_ ? *owned_ : nullJson();
  }
  /// A sub-value (object member / array element) with the same lifetime guarantees.
  [[nodiscard]] LiquidValue child(const Json& sub) const {
    if (ref_ != nullptr) return borrow(sub, keep_);
    return LiquidValue(sub);  // owned parent: copy the part (rare: lookups on filter results)
  }
  /// The value as an owned JSON (copies borrowed data).
  [[nodiscard]] Json take() && {
    if (ref_ != nullptr) return *ref_;
    return owned_ ? std::move(*owned_) : Json();
  }
  [[nodiscard]] bool isNil() const { return get().is_null(); }

 private:
  static const Json& nullJson() {
    static const Json kNull;
    return kNull;
  }
  const Json* ref_ = nullptr;
  std::shared_ptr<const Json> keep_;
  // optional: an empty LiquidValue (most of them) costs nothing to build, move or destroy.
  std::optional<Json> owned_;
};

/// Member `key` of an object (nullptr when absent or not an object).
[[nodiscard]] const Json* findMember(const Json& obj, const std::string& key);
/// `value.key` as Liquid reads it: object members, then the virtual `size` of objects, arrays and
/// strings and `first` / `last` of arrays; nil otherwise.
[[nodiscard]] LiquidValue memberOf(const LiquidValue& cur, const std::string& key);
/// `value[index]` of an array, negative indexes counting from the end; nil when out of range.
[[nodiscard]] LiquidValue elementOf(const LiquidValue& cur, std::int64_t index);

/// Liquid truthiness: only nil and false are falsy.
[[nodiscard]] inline bool isTruthy(const Json& j) {
  return !(j.is_null() || (j.is_boolean() && !j.get<bool>()));
}
/// Empty string, array or object (Liquid's `empty`).
[[nodiscard]] bool isEmptyValue(const Json& j);
/// nil, false, empty or whitespace-only string (Liquid's `blank`).
[[nodiscard]] bool isBlankValue(const Json& j);

/// Appends the Liquid text form: nil → "", floats like Ruby (`1.0`), arrays concatenated,
/// objects as JSON.
void appendText(std::string& out, const Json& j);
[[nodiscard]] std::string toText(const Json& j);

/// Number conversion used by math filters: numbers as is, numeric strings parsed, else 0.
[[nodiscard]] Json toNumber(const Json& j);
/// Integer conversion for filter arguments (truncate: N); nullopt when not numeric.
[[nodiscard]] std::optional<std::int64_t> toInteger(const Json& j);

/// Liquid `==`: numbers compare by value across int/float, otherwise same type and content.
[[nodiscard]] bool liquidEquals(const Json& a, const Json& b);
/// Ordering for `<` etc. and `sort`: numbers with numbers, strings with strings; nullopt when
/// the two cannot be compared.
[[nodiscard]] std::optional<int> liquidCompare(const Json& a, const Json& b);

/// Ruby's Float#to_s: shortest round-trip digits, always with a fractional part.
void appendFloat(std::string& out, double d);

/// HTML escaping of & < > " ' (Liquid's `escape`).
void appendHtmlEscaped(std::string& out, std::string_view s);
/// Escapes text as the contents of a JSON string (no surrounding quotes).
void appendJsonEscaped(std::string& out, std::string_view s);

}  // namespace journeyd
