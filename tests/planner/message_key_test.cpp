// The idempotency key of a journey message, which is also the webhook-id receivers dedupe by.
#include <doctest/doctest.h>

#include "daemon/planner/planner.h"

using journeyd::messageKey;

TEST_CASE("message keys are valid Standard Webhooks ids for every valid journey and step id") {
  // Dots are allowed in journey and step ids but forbidden in a webhook-id (the signature's
  // separator).
  const auto key = messageKey("spring.sale", 7, "partner.notify", 1);
  CHECK(key == "7-1-spring_sale-partner_notify");
  CHECK(key.find('.') == std::string::npos);
  // Only letters, digits, '-' and '_', whatever the ids hold (they are free text in YAML).
  for (const auto& id : {std::string("会员.活动"), std::string("a b/c:d"), std::string("x.y.z")}) {
    for (char c : messageKey(id, 42, id, 3)) {
      const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '_';
      CHECK_MESSAGE(ok, "unexpected character in " << messageKey(id, 42, id, 3));
    }
  }
  // Stable for the same (enrollment, run): a retry carries the same id; another run differs,
  // even where two ids differ only in characters that became '_'.
  CHECK(messageKey("spring.sale", 7, "partner.notify", 1) == key);
  CHECK(messageKey("spring.sale", 7, "partner.notify", 2) != key);
  CHECK(messageKey("spring_sale", 8, "partner_notify", 1) != key);
}
