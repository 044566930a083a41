#pragma once

namespace journeyd {

/// Entry point of the journeyd executable: dispatches to the subcommands.
int runCli(int argc, char** argv);

}  // namespace journeyd
