/* journeyd connector plugin ABI, version 1.
 *
 * A connector plugin is a shared library (`.so`) that journeyd loads with dlopen(3) when a channel
 * says `connector: plugin` and `path: /usr/lib/journeyd/connectors/libx.so`. It exports the four
 * functions declared below with C linkage. This header is plain C (C99) on purpose: C structs
 * and functions have one calling convention and layout per platform, so a plugin built with any
 * compiler or standard library (C, C++, Rust, Zig...) works with any journeyd build of the same
 * ABI version. Nothing else of journeyd is needed to build a plugin.
 *
 * Contract (journeyd side):
 *   - journeyd_connector_abi_version() is resolved and called first; when it does not return
 *     JD_CONNECTOR_ABI_VERSION the library is refused before anything else in it is touched.
 *   - create() is called once per channel at start-up (and on reload), with the channel's
 *     `settings:` map as a JSON object text; it validates them and returns a handle, or NULL
 *     with the problem written into `error`. A library used by two channels gets two handles.
 *   - send() is called from several dispatcher threads at once with the same handle, so it must
 *     be thread-safe. It blocks until the provider answered or the plugin's own timeout passed:
 *     journeyd cannot interrupt it, so every network operation must be bounded.
 *   - destroy() is called once per handle after the last send() returned.
 *   - Every pointer journeyd passes is valid only for the duration of the call; strings are
 *     NUL-terminated UTF-8 and never NULL (empty strings instead).
 *
 * Contract (plugin side): never print or return a secret from the settings (tokens, passwords)
 * in `reason`, `error` or on stderr; pass message->id to the provider as its idempotency key.
 */
#ifndef JOURNEYD_CONNECTOR_H
#define JOURNEYD_CONNECTOR_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** The ABI version this header describes; bumped on any incompatible change. */
#define JD_CONNECTOR_ABI_VERSION 1u

/** Marks the four entry points as exported (build plugins with -fvisibility=hidden). */
#if defined(__GNUC__)
#define JD_CONNECTOR_EXPORT __attribute__((visibility("default")))
#else
#define JD_CONNECTOR_EXPORT
#endif

/** One name/value pair (a header, a metadata entry). */
typedef struct jd_pair {
  const char* name;
  const char* value;
} jd_pair;

/** A rendered message, the same bytes on every retry. */
typedef struct jd_message {
  const char* id;         /**< idempotency key, stable across retries: pass it to the provider */
  const char* channel;    /**< channel name from the config */
  const char* to;         /**< recipient (address, number, contact id); empty when none */
  const char* subject;    /**< email kind */
  const char* html;       /**< email kind */
  const char* text;       /**< email kind */
  const char* body;       /**< sms text, or webhook JSON body */
  const jd_pair* headers; /**< extra headers to carry (e.g. List-Unsubscribe) */
  size_t header_count;
  const jd_pair* metadata; /**< who and why: customer_id, journey, step */
  size_t metadata_count;
  int64_t created_at_ms; /**< when the message was queued, ms since the Unix epoch */
} jd_message;

/** What send() returns. */
typedef enum jd_send_status {
  JD_SEND_SENT = 0,   /**< the provider accepted the message */
  JD_SEND_RETRY = 1,  /**< temporary: timeout, connection refused, 429, 5xx; retried later */
  JD_SEND_FAILED = 2, /**< permanent: not retried (bad request, credentials, content) */
  /** permanent, and the provider said the recipient itself can never take messages (no such
   * mailbox or contact, opted out at the provider): journeyd suppresses the address. When in
   * doubt answer JD_SEND_FAILED. */
  JD_SEND_BOUNCED = 3
} jd_send_status;

#define JD_REASON_SIZE 512
#define JD_PROVIDER_ID_SIZE 256
#define JD_SETTING_SIZE 128
#define JD_ERROR_SIZE 512

/** Filled by send(); journeyd zeroes it before the call. */
typedef struct jd_send_result {
  char reason[JD_REASON_SIZE];           /**< with RETRY/FAILED/BOUNCED: why (no secrets) */
  char provider_id[JD_PROVIDER_ID_SIZE]; /**< with SENT: the provider's id, when it gave one */
  int64_t retry_after_ms; /**< with RETRY: the provider's Retry-After in ms; 0 when not given */
} jd_send_result;

/** Filled by create() when it refuses the settings; journeyd zeroes it before the call. */
typedef struct jd_settings_error {
  /** the settings key at fault (`url`, or `auth.token` for a nested one), or empty; journeyd
   * reports the problem at that key's FILE:LINE:COL */
  char setting[JD_SETTING_SIZE];
  char message[JD_ERROR_SIZE]; /**< what is wrong, for the operator (no secret values) */
} jd_settings_error;

/** A plugin's own state for one channel; opaque to journeyd. */
typedef struct jd_connector jd_connector;

/** Returns JD_CONNECTOR_ABI_VERSION as the plugin was compiled. */
JD_CONNECTOR_EXPORT uint32_t journeyd_connector_abi_version(void);

/** Validates `settings_json` (a JSON object) and builds a connector; NULL with `error` filled
 * when the settings are wrong. */
JD_CONNECTOR_EXPORT jd_connector* journeyd_connector_create(const char* settings_json,
                                                            jd_settings_error* error);

/** Sends one message; returns a jd_send_status. Thread-safe; bounded by the plugin's timeouts. */
JD_CONNECTOR_EXPORT int journeyd_connector_send(jd_connector* connector, const jd_message* message,
                                                jd_send_result* result);

/** Releases a connector made by create(). */
JD_CONNECTOR_EXPORT void journeyd_connector_destroy(jd_connector* connector);

/* The symbol names and their types, for the loader. */
#define JD_SYMBOL_ABI_VERSION "journeyd_connector_abi_version"
#define JD_SYMBOL_CREATE "journeyd_connector_create"
#define JD_SYMBOL_SEND "journeyd_connector_send"
#define JD_SYMBOL_DESTROY "journeyd_connector_destroy"
typedef uint32_t (*jd_abi_version_fn)(void);
typedef jd_connector* (*jd_create_fn)(const char*, jd_settings_error*);
typedef int (*jd_send_fn)(jd_connector*, const jd_message*, jd_send_result*);
typedef void (*jd_destroy_fn)(jd_connector*);

#ifdef __cplusplus
}
#endif

#endif /* JOURNEYD_CONNECTOR_H */
