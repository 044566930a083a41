#pragma once
/// The connectors the kit checks: add your connector's harness here (see connectors/README.md,
/// "The connector kit").
#include <tuple>

#include "http_harnesses.h"
#include "local_harnesses.h"

namespace journeyd::kit {

using KitHarnesses =
    std::tuple<SmtpHarness, SmsHttpHarness, WebhookHarness, LogHarness, CrmTaskPluginHarness>;

}  // namespace journeyd::kit

TYPE_TO_STRING(journeyd::kit::SmtpHarness);
TYPE_TO_STRING(journeyd::kit::SmsHttpHarness);
TYPE_TO_STRING(journeyd::kit::WebhookHarness);
TYPE_TO_STRING(journeyd::kit::LogHarness);
TYPE_TO_STRING(journeyd::kit::CrmTaskPluginHarness);
