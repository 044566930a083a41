#pragma once
/// Logging set-up: spdlog, one line per event with key=value fields, to stderr (the journal under
/// systemd) or to a file that SIGHUP reopens.
#include "daemon/config/config.h"

namespace journeyd {

/// (Re)creates the default logger from the settings; safe to call again on SIGHUP.
void setupLogging(const LogSettings& settings);

}  // namespace journeyd
