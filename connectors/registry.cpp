#include "connectors/connector.h"

namespace journeyd {

bool ConnectorRegistry::add(const std::string& type, ConnectorFactory factory) {
  return factories_.emplace(type, std::move(factory)).second;
}

const ConnectorFactory* ConnectorRegistry::find(const std::string& type) const {
  auto it = factories_.find(type);
  return it == factories_.end() ? nullptr : &it->second;
}

std::vector<std::string> ConnectorRegistry::names() const {
  std::vector<std::string> out;
  for (const auto& [name, _] : factories_) out.push_back(name);
  return out;
}

}  // namespace journeyd
