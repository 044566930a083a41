// The kit's own instruments: its secret check is only as good as its log capture.
#include <doctest/doctest.h>

#include <cstdio>

#include "kit.h"

using namespace journeyd::kit;

TEST_CASE("the kit's log capture sees spdlog lines and raw stderr writes, then lets go") {
  std::string text;
  {
    LogCapture logs;
    spdlog::trace("msg=\"a trace line\" token=spdlog-secret-1");
    spdlog::error("msg=\"an error line\"");
    std::fprintf(stderr, "plugin says stderr-secret-2\n");
    text = logs.text();
  }
  CHECK(text.find("spdlog-secret-1") != std::string::npos);
  CHECK(text.find("an error line") != std::string::npos);
  CHECK(text.find("stderr-secret-2") != std::string::npos);
  CHECK(spdlog::default_logger()->name() != "kit");
}
