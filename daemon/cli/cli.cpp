#include "daemon/cli/cli.h"

#include <cstdio>

namespace journeyd {

int runCli(int, char**) {
  std::puts("journeyd " JOURNEYD_VERSION);
  return 0;
}

}  // namespace journeyd
