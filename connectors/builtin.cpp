#include "connectors/connector.h"
#include "connectors/log/log_connector.h"
#include "connectors/plugin/plugin_connector.h"
#include "connectors/sms_http/sms_http_connector.h"
#include "connectors/smtp/smtp_connector.h"
#include "connectors/webhook/webhook_connector.h"

namespace journeyd {

void registerBuiltinConnectors(ConnectorRegistry& registry) {
  registerLog(registry);
  registerSmtp(registry);
  registerSmsHttp(registry);
  registerWebhook(registry);
  registerPlugin(registry);
}

}  // namespace journeyd
