// A worked example of an out-of-tree journeyd connector: each message becomes a "CRM task"
// (a follow-up for a sales rep about a contact), POSTed as JSON to a CRM's HTTP API with libcurl.
//
// It is built against nothing of journeyd but the C header connectors/plugin/journeyd_connector.h
// and loaded by the daemon with dlopen (`connector: plugin`). C++ inside, C at the boundary:
// no exception and no C++ type crosses the four exported functions.
#include <curl/curl.h>

#include <cctype>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "journeyd_connector.h"

namespace {

/// The plugin's settings, validated once in create().
struct CrmTaskSettings {
  std::string url;                 // the CRM's task endpoint, http(s); required
  std::string token;               // API token sent as `Authorization: Bearer`; required
  long timeout_ms = 10000;         // whole request
  long connect_timeout_ms = 5000;  // TCP + TLS connect
};

/// The answer codes in a 4xx body that blame the contact itself: a hard bounce.
const char* const kContactGoneCodes[] = {"contact_not_found", "contact_unsubscribed"};

void copyInto(char* buffer, size_t size, const std::string& text) {
  std::snprintf(buffer, size, "%s", text.c_str());
}

/// One connector per channel: settings and a pool of CURL handles (kept-alive connections),
/// one per sending thread at a time.
struct Connector {
  CrmTaskSettings settings;
  std::mutex mutex;
  std::vector<CURL*> idle;

  ~Connector() {
    for (CURL* curl : idle) curl_easy_cleanup(curl);
  }
  CURL* acquire() {
    {
      std::lock_guard lock(mutex);
      if (!idle.empty()) {
        CURL* curl = idle.back();
        idle.pop_back();
        return curl;
      }
    }
    return curl_easy_init();
  }
  void release(CURL* curl) {
    std::lock_guard lock(mutex);
    idle.push_back(curl);
  }
};

/// What one request brought back.
struct Answer {
  std::string body;
  std::string retry_after;
};

size_t onBody(char* data, size_t size, size_t count, void* user) {
  static_cast<Answer*>(user)->body.append(data, size * count);
  return size * count;
}

size_t onHeader(char* data, size_t size, size_t count, void* user) {
  std::string line(data, size * count);
  const std::string name = "retry-after:";
  if (line.size() > name.size()) {
    std::string head = line.substr(0, name.size());
    for (char& c : head) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (head == name) {
      std::string value = line.substr(name.size());
      while (!value.empty() && std::isspace(static_cast<unsigned char>(value.front())))
        value.erase(0, 1);
      while (!value.empty() && std::isspace(static_cast<unsigned char>(value.back())))
        value.pop_back();
      static_cast<Answer*>(user)->retry_after = value;
    }
  }
  return size * count;
}

/// Retry-After as delta seconds or an HTTP-date, in ms from now; 0 when absent or past.
int64_t retryAfterMs(const std::string& value) {
  if (value.empty()) return 0;
  if (value.find_first_not_of("0123456789") == std::string::npos) {
    return value.size() > 9 ? 0 : std::stoll(value) * 1000;
  }
  const time_t at = curl_getdate(value.c_str(), nullptr);
  const time_t now = std::time(nullptr);
  return at > now ? static_cast<int64_t>(at - now) * 1000 : 0;
}

/// The provider's error text and code from a JSON error body.
void errorOf(const std::string& body, std::string* text, std::string* code) {
  auto json = nlohmann::json::parse(body, nullptr, false);
  if (json.is_object()) {
    if (json.contains("message") && json["message"].is_string()) *text = json["message"];
    if (json.contains("code") && json["code"].is_string()) *code = json["code"];
  }
  if (text->empty()) *text = body.substr(0, 200);
  for (char& c : *text) {
    if (c == '\r' || c == '\n') c = ' ';
  }
}

bool parseSettings(const char* settings_json, CrmTaskSettings* out, jd_settings_error* error) {
  auto fail = [&](const char* key, const std::string& message) {
    copyInto(error->setting, sizeof error->setting, key);
    copyInto(error->message, sizeof error->message, message);
    return false;
  };
  auto json = nlohmann::json::parse(settings_json, nullptr, false);
  if (!json.is_object()) return fail("", "settings must be a map");
  for (const auto& [key, value] : json.items()) {
    if (key != "url" && key != "token" && key != "timeout_ms" && key != "connect_timeout_ms") {
      return fail(key.c_str(), "unknown setting '" + key +
                                   "' (known: url, token, timeout_ms, connect_timeout_ms)");
    }
  }
  if (!json.contains("url") || !json["url"].is_string()) {
    return fail("url", "missing required setting 'url' (the CRM's task endpoint)");
  }
  out->url = json["url"];
  if (out->url.rfind("http://", 0) != 0 && out->url.rfind("https://", 0) != 0) {
    return fail("url", "'url' must be an http:// or https:// URL, not '" + out->url + "'");
  }
  if (!json.contains("token") || !json["token"].is_string() || json["token"] == "") {
    return fail("token", "missing required setting 'token' (write token: ${CRM_TOKEN})");
  }
  out->token = json["token"];
  for (const char* key : {"timeout_ms", "connect_timeout_ms"}) {
    if (!json.contains(key)) continue;
    if (!json[key].is_number_integer() || json[key].get<long>() <= 0) {
      return fail(key, std::string("'") + key + "' must be a positive number of milliseconds");
    }
    (std::strcmp(key, "timeout_ms") == 0 ? out->timeout_ms : out->connect_timeout_ms) = json[key];
  }
  return true;
}

std::string taskJson(const jd_message& m) {
  nlohmann::json metadata = nlohmann::json::object();
  for (size_t i = 0; i < m.metadata_count; ++i) metadata[m.metadata[i].name] = m.metadata[i].value;
  std::string title = m.subject;
  if (title.empty() && metadata.contains("journey"))
    title = "Follow up: " + metadata["journey"].get<std::string>();
  nlohmann::json task = {{"external_id", m.id},
                         {"contact", m.to},
                         {"title", title},
                         {"body", *m.body != '\0' ? m.body : m.text},
                         {"metadata", metadata}};
  return task.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

int sendTask(Connector& connector, const jd_message& m, jd_send_result* result) {
  CURL* curl = connector.acquire();
  if (curl == nullptr) {
    copyInto(result->reason, sizeof result->reason, "cannot create a CURL handle");
    return JD_SEND_RETRY;
  }
  const CrmTaskSettings& s = connector.settings;
  const std::string body = taskJson(m);
  const std::string auth = "Authorization: Bearer " + s.token;
  const std::string idempotency = std::string("Idempotency-Key: ") + m.id;
  curl_slist* headers = nullptr;
  headers = curl_slist_append(headers, "Content-Type: application/json");
  headers = curl_slist_append(headers, auth.c_str());
  headers = curl_slist_append(headers, idempotency.c_str());
  Answer answer;
  curl_easy_setopt(curl, CURLOPT_URL, s.url.c_str());
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, s.timeout_ms);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, s.connect_timeout_ms);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.c_str());
  curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  curl_easy_setopt(curl, CURLOPT_USERAGENT, "journeyd-crm-task/1");
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, onBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &answer);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, onHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &answer);
  const CURLcode rc = curl_easy_perform(curl);
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, nullptr);
  curl_slist_free_all(headers);
  if (rc != CURLE_OK) {
    curl_easy_cleanup(curl);  // the connection is in an unknown state
    copyInto(result->reason, sizeof result->reason,
             std::string("CRM request failed: ") + curl_easy_strerror(rc));
    return JD_SEND_RETRY;
  }
  connector.release(curl);
  if (status >= 200 && status < 300) {
    auto json = nlohmann::json::parse(answer.body, nullptr, false);
    if (json.is_object() && json.contains("id")) {
      copyInto(result->provider_id, sizeof result->provider_id,
               json["id"].is_string() ? json["id"].get<std::string>() : json["id"].dump());
    }
    return JD_SEND_SENT;
  }
  std::string text, code;
  errorOf(answer.body, &text, &code);
  copyInto(result->reason, sizeof result->reason,
           "HTTP " + std::to_string(status) + (text.empty() ? "" : ": " + text));
  if (status == 408 || status == 429 || status >= 500) {
    result->retry_after_ms = retryAfterMs(answer.retry_after);
    return JD_SEND_RETRY;
  }
  for (const char* gone : kContactGoneCodes) {
    if (code == gone) return JD_SEND_BOUNCED;
  }
  return JD_SEND_FAILED;
}

}  // namespace

struct jd_connector {
  Connector impl;
};

extern "C" {

JD_CONNECTOR_EXPORT uint32_t journeyd_connector_abi_version(void) {
  return JD_CONNECTOR_ABI_VERSION;
}

JD_CONNECTOR_EXPORT jd_connector* journeyd_connector_create(const char* settings_json,
                                                            jd_settings_error* error) {
  static std::once_flag curl_ready;
  std::call_once(curl_ready, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  try {
    auto connector = new jd_connector();
    if (!parseSettings(settings_json, &connector->impl.settings, error)) {
      delete connector;
      return nullptr;
    }
    return connector;
  } catch (const std::exception& e) {
    copyInto(error->message, sizeof error->message, std::string("cannot start: ") + e.what());
    return nullptr;
  }
}

JD_CONNECTOR_EXPORT int journeyd_connector_send(jd_connector* connector, const jd_message* message,
                                                jd_send_result* result) {
  try {
    return sendTask(connector->impl, *message, result);
  } catch (const std::exception& e) {
    copyInto(result->reason, sizeof result->reason, std::string("crm_task: ") + e.what());
    return JD_SEND_RETRY;
  }
}

JD_CONNECTOR_EXPORT void journeyd_connector_destroy(jd_connector* connector) { delete connector; }

}  // extern "C"
