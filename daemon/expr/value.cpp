#include "daemon/expr/value.h"

#include <cmath>
#include <cstdio>

namespace journeyd {

Value Value::boolean(bool b) {
  Value v;
  v.kind_ = Kind::kBool;
  v.bool_ = b;
  return v;
}

Value Value::number(double n) {
  Value v;
  v.kind_ = Kind::kNumber;
  v.number_ = n;
  return v;
}

Value Value::duration(DurationMs ms) {
  Value v;
  v.kind_ = Kind::kDuration;
  v.number_ = static_cast<double>(ms);
  return v;
}

Value Value::stringView(std::string_view s) {
  Value v;
  v.kind_ = Kind::kString;
  v.string_ = s;
  return v;
}

Value Value::ownedString(std::string s) {
  auto owned = std::make_shared<const std::string>(std::move(s));
  Value v;
  v.kind_ = Kind::kString;
  v.string_ = *owned;
  v.owner_ = std::move(owned);
  return v;
}

Value Value::listView(const std::vector<Value>* items) {
  Value v;
  v.kind_ = Kind::kList;
  v.list_ = items;
  return v;
}

Value Value::ownedList(std::vector<Value> items) {
  auto owned = std::make_shared<const std::vector<Value>>(std::move(items));
  Value v;
  v.kind_ = Kind::kList;
  v.list_ = owned.get();
  v.owner_ = std::move(owned);
  return v;
}

Value Value::fromJson(const nlohmann::json* j) {
  if (j == nullptr) return Value();
  switch (j->type()) {
    case nlohmann::json::value_t::boolean:
      return boolean(j->get<bool>());
    case nlohmann::json::value_t::number_integer:
    case nlohmann::json::value_t::number_unsigned:
    case nlohmann::json::value_t::number_float:
      return number(j->get<double>());
    case nlohmann::json::value_t::string:
      return stringView(j->get_ref<const std::string&>());
    case nlohmann::json::value_t::array:
    case nlohmann::json::value_t::object: {
      Value v;
      v.kind_ = Kind::kJson;
      v.json_ = j;
      return v;
    }
    default:
      return Value();
  }
}

size_t Value::listSize() const {
  if (kind_ == Kind::kList) return list_->size();
  if (kind_ == Kind::kJson && json_->is_array()) return json_->size();
  return 0;
}

Value Value::listItem(size_t i) const {
  if (kind_ == Kind::kList) return i < list_->size() ? (*list_)[i] : Value();
  if (kind_ == Kind::kJson && json_->is_array() && i < json_->size()) return fromJson(&(*json_)[i]);
  return Value();
}

bool Value::truthy() const {
  switch (kind_) {
    case Kind::kNull:
      return false;
    case Kind::kBool:
      return bool_;
    case Kind::kNumber:
    case Kind::kDuration:
      return number_ != 0 && !std::isnan(number_);
    case Kind::kString:
      return !string_.empty();
    case Kind::kList:
      return !list_->empty();
    case Kind::kJson:
      return !json_->empty();
  }
  return false;
}

std::optional<TimeMs> Value::asTime(const date::time_zone* zone) const {
  if (kind_ == Kind::kNumber) return static_cast<TimeMs>(std::llround(number_));
  if (kind_ == Kind::kString) return parseIsoTimeIn(string_, zone);
  return std::nullopt;
}

namespace {
std::string formatNumber(double n) {
  if (std::isnan(n)) return "NaN";
  if (n == std::floor(n) && std::fabs(n) < 1e15) return std::to_string(static_cast<long long>(n));
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.10g", n);
  return buf;
}
}  // namespace

std::string Value::format() const {
  switch (kind_) {
    case Kind::kNull:
      return "null";
    case Kind::kBool:
      return bool_ ? "true" : "false";
    case Kind::kNumber:
      return formatNumber(number_);
    case Kind::kDuration:
      return formatDuration(static_cast<DurationMs>(number_));
    case Kind::kString:
      return nlohmann::json(string_).dump();
    case Kind::kList: {
      std::string out = "[";
      for (size_t i = 0; i < list_->size(); ++i) out += (i ? ", " : "") + (*list_)[i].format();
      return out + "]";
    }
    case Kind::kJson: {
      std::string out = json_->dump();
      if (out.size() > 80) out = out.substr(0, 77) + "...";
      return out;
    }
  }
  return "null";
}

nlohmann::json Value::toJson() const {
  switch (kind_) {
    case Kind::kNull:
      return nullptr;
    case Kind::kBool:
      return bool_;
    case Kind::kNumber:
      if (number_ == std::floor(number_) && std::fabs(number_) < 9e15) {
        return static_cast<std::int64_t>(number_);
      }
      return number_;
    case Kind::kDuration:
      return static_cast<std::int64_t>(number_);
    case Kind::kString:
      return std::string(string_);
    case Kind::kList: {
      nlohmann::json out = nlohmann::json::array();
      for (const auto& item : *list_) out.push_back(item.toJson());
      return out;
    }
    case Kind::kJson:
      return *json_;
  }
  return nullptr;
}

namespace {
bool looksLikeTime(std::string_view s) { return s.size() >= 10 && s[4] == '-' && s[7] == '-'; }
}  // namespace

bool valuesEqual(const Value& a, const Value& b) {
  using Kind = Value::Kind;
  if (a.isNumeric() && b.isNumeric()) return a.asNumber() == b.asNumber();
  if (a.isListLike() && b.isListLike()) {
    size_t n = a.listSize();
    if (n != b.listSize()) return false;
    for (size_t i = 0; i < n; ++i) {
      if (!valuesEqual(a.listItem(i), b.listItem(i))) return false;
    }
    return true;
  }
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case Kind::kNull:
      return true;
    case Kind::kBool:
      return a.asBool() == b.asBool();
    case Kind::kString:
      return a.asString() == b.asString();
    case Kind::kJson:
      return a.asJson() == b.asJson();
    default:
      return false;
  }
}

std::optional<int> compareValues(const Value& a, const Value& b, const date::time_zone* zone) {
  using Kind = Value::Kind;
  auto sign = [](auto x, auto y) { return x < y ? -1 : (y < x ? 1 : 0); };
  if (a.isNumeric() && b.isNumeric()) {
    if (std::isnan(a.asNumber()) || std::isnan(b.asNumber())) return std::nullopt;
    return sign(a.asNumber(), b.asNumber());
  }
  if (a.kind() == Kind::kString && b.kind() == Kind::kString) {
    if (looksLikeTime(a.asString()) && looksLikeTime(b.asString())) {
      auto ta = parseIsoTimeIn(a.asString(), zone);
      auto tb = parseIsoTimeIn(b.asString(), zone);
      if (ta && tb) return sign(*ta, *tb);
    }
    return sign(a.asString().compare(b.asString()), 0);
  }
  // An instant written as an ISO string against one written as epoch ms.
  if ((a.kind() == Kind::kString && b.kind() == Kind::kNumber) ||
      (a.kind() == Kind::kNumber && b.kind() == Kind::kString)) {
    auto ta = a.asTime(zone);
    auto tb = b.asTime(zone);
    if (ta && tb) return sign(*ta, *tb);
  }
  return std::nullopt;
}

}  // namespace journeyd
