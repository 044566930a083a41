#include "daemon/api/consent_change.h"

#include "daemon/customers/customer_writer.h"
#include "daemon/scheduler/journey_runner.h"
#include "daemon/store/database.h"

namespace journeyd {

using json = nlohmann::json;

Result<void> applyConsentChange(Database& db, JourneyRunner* runner, const ConsentChange& change) {
  // Journeys see it as an identify of the patched traits, so attribute_changed triggers and
  // exit_when conditions on those traits act on it.
  InboundMessage m;
  m.type = MessageType::kIdentify;
  m.traits = change.traits;
  m.received_at = m.timestamp = change.at;
  m.message_id = change.message_id;
  AppliedMessage applied;
  applied.customer_id = change.customer_id;
  auto& before = db.prepare("SELECT traits FROM customers WHERE id = ?");
  before.bind(1, change.customer_id);
  if (!before.executeStep()) return fail(Error::notFound("no such customer"));
  applied.previous_traits = json::parse(before.getColumn(0).getString(), nullptr, false);
  before.reset();
  auto& ev = db.prepare(
      "INSERT OR IGNORE INTO events (customer_id, message_id, type, name, ts, received_at, properties) "
      "VALUES (?, ?, 'track', ?, ?, ?, ?)");
  ev.bind(1, change.customer_id);
  ev.bind(2, change.message_id);
  ev.bind(3, change.event);
  ev.bind(4, change.at);
  ev.bind(5, change.at);
  ev.bind(6, change.properties.dump());
  ev.exec();
  // A replay of the same change (a provider retrying an old STOP after a START) is recorded once
  // and changes nothing the second time.
  if (db.sql().getChanges() == 0) return ok();
  auto& up = db.prepare("UPDATE customers SET traits = json_patch(traits, ?), updated_at = ? WHERE id = ?");
  up.bind(1, m.traits.dump());
  up.bind(2, change.at);
  up.bind(3, change.customer_id);
  up.exec();
  // At once: exit_when on unsubscribed ends enrollments mid-wait.
  return runner ? runner->onMessage(db, applied, m) : ok();
}

}  // namespace journeyd
