#include "connectors/connector.h"

namespace journeyd {

void registerBuiltinConnectors(ConnectorRegistry& /*registry*/) {}

}  // namespace journeyd
