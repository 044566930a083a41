#pragma once
/// The connector kit's view of one connector: how to configure it against a local fake
/// provider, how to make that fake answer each way the dispatcher cares about, and what the
/// fake received. One harness per connector type; the conformance suite
/// (conformance_test.cpp) runs every case against every harness listed in kit_harnesses.h.
#include <string>
#include <vector>

#include "connectors/connector.h"

namespace journeyd::kit {

/// How the fake provider answers the next sends.
enum class FakeMode {
  kAccept,             ///< takes the message
  kPermanent,          ///< refuses it for good, not because of the recipient (bad request, policy)
  kRecipientRejected,  ///< refuses it because the recipient can never take messages
  kRetryable,          ///< a temporary refusal without Retry-After (503, SMTP 451)
  kRetryAfter,         ///< a temporary refusal with `Retry-After: 7` (seconds)
  kHang,               ///< never answers (past the connector's timeout)
};

/// The Retry-After the fake gives in kRetryAfter, and what the kit expects back.
constexpr DurationMs kFakeRetryAfter = 7 * kSecondMs;

/// One message as the fake provider saw it.
struct Received {
  std::string idempotency_key;  ///< where the connector put OutboundMessage::id
  std::string payload;          ///< the raw request / message, for secret checks
};

/// A settings mistake and the diagnostic it must give. `line`/`column` are 1-based within
/// the harness's settings text; the kit adds the offset of the config file around it.
struct BadSettings {
  std::string settings;
  int line = 0;
  int column = 0;
  std::string message;  ///< after "channel 'kit': "
};

/// Everything the kit needs to know about one connector; a harness owns its fake provider
/// (started in the constructor, stopped in the destructor).
class ConnectorHarness {
 public:
  virtual ~ConnectorHarness() = default;
  /// The channel's settings as YAML block lines (`connector: x` first), pointing at the fake;
  /// `timeout` bounds one send.
  [[nodiscard]] virtual std::string settings(DurationMs timeout) const = 0;
  /// The kind the connector must report.
  [[nodiscard]] virtual MessageKind kind() const = 0;
  /// Whether the connector and its fake can show `mode` (a log file cannot hang).
  [[nodiscard]] virtual bool supports(FakeMode mode) const = 0;
  /// Makes the fake answer the next sends this way (kAccept until told otherwise).
  virtual void setMode(FakeMode mode) = 0;
  /// A message this connector's kind carries, with `id` as its idempotency key. Harnesses whose
  /// fake decides by recipient (SMTP) address it according to the current mode.
  [[nodiscard]] virtual OutboundMessage message(const std::string& id) const = 0;
  /// What the fake took so far (for SMTP: accepted messages; for HTTP: every request).
  [[nodiscard]] virtual std::vector<Received> received() const = 0;
  /// The secrets in settings() (password, token, signing secret); empty when none.
  [[nodiscard]] virtual std::vector<std::string> secrets() const = 0;
  /// Settings mistakes and their exact diagnostics (at least one).
  [[nodiscard]] virtual std::vector<BadSettings> badSettings() const = 0;
};

}  // namespace journeyd::kit
