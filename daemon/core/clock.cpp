#include "daemon/core/clock.h"

#include <chrono>

namespace journeyd {

TimeMs SystemClock::now() const {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

}  // namespace journeyd
