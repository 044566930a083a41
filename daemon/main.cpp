#include "daemon/cli/cli.h"

int main(int argc, char** argv) { return journeyd::runCli(argc, argv); }
