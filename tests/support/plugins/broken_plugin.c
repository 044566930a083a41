/* A connector plugin built wrong on purpose, for the loader's tests (tests/connector_kit/):
 * with BROKEN_ABI_VERSION it claims another ABI version, with BROKEN_NO_SEND it lacks
 * journeyd_connector_send, with BROKEN_STATUS its send() answers that status (not a
 * jd_send_status). Written in C to prove journeyd_connector.h is plain C. */
#include <stdio.h>
#include <stdlib.h>

#include "journeyd_connector.h"

struct jd_connector {
  int unused;
};

JD_CONNECTOR_EXPORT uint32_t journeyd_connector_abi_version(void) {
#ifdef BROKEN_ABI_VERSION
  return BROKEN_ABI_VERSION;
#else
  return JD_CONNECTOR_ABI_VERSION;
#endif
}

JD_CONNECTOR_EXPORT jd_connector* journeyd_connector_create(const char* settings_json,
                                                            jd_settings_error* error) {
  (void)settings_json;
  (void)error;
  return calloc(1, sizeof(jd_connector));
}

#ifndef BROKEN_NO_SEND
JD_CONNECTOR_EXPORT int journeyd_connector_send(jd_connector* connector, const jd_message* message,
                                                jd_send_result* result) {
  (void)connector;
  (void)message;
#ifdef BROKEN_STATUS
  snprintf(result->reason, sizeof result->reason, "%s", "made up");
  return BROKEN_STATUS;
#else
  (void)result;
  return JD_SEND_SENT;
#endif
}
#endif

JD_CONNECTOR_EXPORT void journeyd_connector_destroy(jd_connector* connector) { free(connector); }
