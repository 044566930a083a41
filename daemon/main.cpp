#include <malloc.h>

#include "daemon/cli/cli.h"

int main(int argc, char** argv) {
  // The daemon's threads allocate and free in bursts (a planner batch, a group commit): keep
  // the freed heap instead of handing it back to the kernel and asking again moments later.
  mallopt(M_TRIM_THRESHOLD, 256 * 1024 * 1024);
  mallopt(M_TOP_PAD, 16 * 1024 * 1024);
  return journeyd::runCli(argc, argv);
}
