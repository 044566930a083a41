#include "connectors/smtp/smtp_connector.h"

#include <curl/curl.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string_view>

#include "connectors/client_pool.h"

namespace journeyd {

namespace {

/// One CURL easy handle and the last reply line the server sent on it. A handle keeps its
/// SMTP connection open between transfers, which is what makes consecutive sends cheap.
struct CurlSmtpHandle {
  CURL* curl = nullptr;
  std::string last_reply;           ///< the server's last response line (never client commands)
  std::string error_reply;          ///< the first 4xx/5xx line of the current transfer
  bool sent_rcpt = false;           ///< the last command sent was RCPT TO
  bool error_answers_rcpt = false;  ///< error_reply was the answer to RCPT TO
  char error_buffer[CURL_ERROR_SIZE] = {};
  ~CurlSmtpHandle() {
    if (curl != nullptr) curl_easy_cleanup(curl);
  }
};

/// The upload source for one message.
struct Payload {
  const std::string* data;
  size_t offset = 0;
};

size_t readPayload(char* buffer, size_t size, size_t count, void* user) {
  auto* payload = static_cast<Payload*>(user);
  size_t n = std::min(size * count, payload->data->size() - payload->offset);
  std::memcpy(buffer, payload->data->data() + payload->offset, n);
  payload->offset += n;
  return n;
}

/// Keeps the server's reply lines (CURLINFO_HEADER_IN), and of the client's commands
/// (CURLINFO_HEADER_OUT) only whether it was RCPT TO: other client lines carry AUTH data. libcurl
/// does not pipeline SMTP, so a reply answers the command sent just before it; that is how a
/// rejected recipient is told apart from a rejected sender, message or login.
int recordReply(CURL*, curl_infotype type, char* data, size_t size, void* user) {
  auto* handle = static_cast<CurlSmtpHandle*>(user);
  if (type == CURLINFO_HEADER_OUT) {
    handle->sent_rcpt = std::string_view(data, size).starts_with("RCPT TO:");
    return 0;
  }
  if (type != CURLINFO_HEADER_IN) return 0;
  std::string line(data, size);
  while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) line.pop_back();
  if (handle->error_reply.empty() && !line.empty() && (line[0] == '4' || line[0] == '5')) {
    handle->error_reply = line;
    handle->error_answers_rcpt = handle->sent_rcpt;
  }
  handle->last_reply = std::move(line);
  return 0;
}

/// Whether a reply to RCPT TO says the mailbox itself is bad (a hard bounce) rather than
/// refusing for another reason (policy, spam, relaying, a full mailbox, a greylist). With an
/// enhanced status code (RFC 3463) only 5.1.x counts, except 5.1.7/5.1.8 which are about the
/// sender; without one, the basic codes for a bad mailbox: 550, 551, 553 (RFC 5321 4.2.2).
bool isRecipientRejection(const std::string& reply) {
  if (reply.size() < 3 || reply[0] != '5') return false;
  char separator = 0;
  int klass = 0, subject = 0, detail = 0;
  if (std::sscanf(reply.c_str() + 3, "%c%d.%d.%d", &separator, &klass, &subject, &detail) == 4 &&
      (separator == ' ' || separator == '-') && klass == 5) {
    return subject == 1 && detail != 7 && detail != 8;
  }
  const std::string code = reply.substr(0, 3);
  return code == "550" || code == "551" || code == "553";
}

TimeMs nowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

bool isConnectionError(CURLcode rc) {
  switch (rc) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_WEIRD_SERVER_REPLY:
      return true;
    default:
      return false;
  }
}

std::string queueIdOf(const std::string& reply) {
  size_t at = reply.find("queued as ");
  if (at == std::string::npos) return {};
  std::string id = reply.substr(at + 10);
  size_t end = id.find_first_of(" \t\r\n");
  return end == std::string::npos ? id : id.substr(0, end);
}

}  // namespace

struct SmtpConnector::Impl {
  explicit Impl(SmtpConfig c) : config(std::move(c)), pool([this] { return makeHandle(); }) {}

  std::unique_ptr<CurlSmtpHandle> makeHandle() const {
    auto handle = std::make_unique<CurlSmtpHandle>();
    CURL* curl = curl_easy_init();
    handle->curl = curl;
    if (curl == nullptr) return handle;
    curl_easy_setopt(curl, CURLOPT_URL, config.url.c_str());
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(curl, CURLOPT_READFUNCTION, readPayload);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(config.timeout));
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(config.connect_timeout));
    curl_easy_setopt(curl, CURLOPT_USE_SSL,
                     config.tls == SmtpConfig::Tls::kNone ? CURLUSESSL_NONE : CURLUSESSL_ALL);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, config.verify_tls ? 1L : 0L);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, config.verify_tls ? 2L : 0L);
    if (!config.ca_file.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, config.ca_file.c_str());
    if (!config.username.empty()) {
      curl_easy_setopt(curl, CURLOPT_USERNAME, config.username.c_str());
      curl_easy_setopt(curl, CURLOPT_PASSWORD, config.password.c_str());
    }
    const std::string mail_from = "<" + config.from.address + ">";
    curl_easy_setopt(curl, CURLOPT_MAIL_FROM, mail_from.c_str());  // curl copies strings
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, handle->error_buffer);
    curl_easy_setopt(curl, CURLOPT_DEBUGFUNCTION, recordReply);
    curl_easy_setopt(curl, CURLOPT_DEBUGDATA, handle.get());
    curl_easy_setopt(curl, CURLOPT_VERBOSE, 1L);
    return handle;
  }

  SmtpConfig config;
  ClientPool<CurlSmtpHandle> pool;
};

SmtpConnector::SmtpConnector(SmtpConfig config) {
  static std::once_flag curl_initialized;
  std::call_once(curl_initialized, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  impl_ = std::make_unique<Impl>(std::move(config));
}

SmtpConnector::~SmtpConnector() = default;

SendResult SmtpConnector::send(const OutboundMessage& message) {
  auto recipient = parseMailbox(message.to);
  if (!recipient || !recipient->display_name.empty()) {
    return SendResult::failed("invalid email address '" + message.to + "'");
  }
  const std::string data =
      buildMimeMessage(message, {impl_->config.from, impl_->config.reply_to,
                                 message.created_at > 0 ? message.created_at : nowMs()});

  auto handle = impl_->pool.acquire();
  CURL* curl = handle->curl;
  if (curl == nullptr) {
    handle.discard();
    return SendResult::retry("cannot create a CURL handle");
  }
  Payload payload{&data};
  curl_slist* recipients = curl_slist_append(nullptr, ("<" + recipient->address + ">").c_str());
  curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, recipients);
  curl_easy_setopt(curl, CURLOPT_READDATA, &payload);
  handle->last_reply.clear();
  handle->error_reply.clear();
  handle->sent_rcpt = false;
  handle->error_answers_rcpt = false;
  handle->error_buffer[0] = '\0';
  const CURLcode rc = curl_easy_perform(curl);
  curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, nullptr);
  curl_easy_setopt(curl, CURLOPT_READDATA, nullptr);
  curl_slist_free_all(recipients);

  long code = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
  if (rc == CURLE_OK) return SendResult::sent(queueIdOf(handle->last_reply));

  std::string detail = handle->error_reply.empty() ? std::string(curl_easy_strerror(rc))
                                                   : "SMTP " + handle->error_reply;
  if (handle->error_buffer[0] != '\0' && handle->error_reply.empty()) {
    detail += std::string(" (") + handle->error_buffer + ")";
  }
  if (code < 400 && !handle->error_reply.empty()) code = std::atol(handle->error_reply.c_str());
  if (code >= 500) {
    if (handle->error_answers_rcpt && isRecipientRejection(handle->error_reply)) {
      return SendResult::bounced(detail);
    }
    return SendResult::failed(detail);
  }
  if (code >= 400) return SendResult::retry(detail);
  if (rc == CURLE_LOGIN_DENIED) return SendResult::failed("SMTP authentication failed: " + detail);
  if (isConnectionError(rc)) {
    handle.discard();
    return SendResult::retry(detail);
  }
  return SendResult::retry(detail);
}

void registerSmtp(ConnectorRegistry& registry) {
  registry.add(
      "smtp",
      [](const YAML::Node& settings, ConnectorConfigContext& ctx) -> std::unique_ptr<Connector> {
        auto config = parseSmtpConfig(settings, ctx);
        if (!config) return nullptr;
        return std::make_unique<SmtpConnector>(std::move(*config));
      });
}

}  // namespace journeyd
