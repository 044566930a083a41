#!/bin/sh
# The shipped systemd units keep their sandboxing: `systemd-analyze security` scores each at
# most 1.5 (lower is safer; it reads the unit files offline, no running systemd needed).
# Running the daemon under those settings needs systemd as PID 1, which this test machine does
# not have; tests/packaging/deb_test.sh verifies the installed units with `systemd-analyze verify`.
set -eu
root=${1:-.}
status=0
for unit in journeyd.service journeyd-model-fit.service; do
  line=$(systemd-analyze security --offline=yes "$root/etc/$unit" 2>&1 | grep "Overall exposure level" || true)
  echo "$unit: ${line#*: }"
  if ! systemd-analyze security --offline=yes --threshold=15 "$root/etc/$unit" >/dev/null 2>&1; then
    echo "FAIL: $unit scores above 1.5" >&2
    status=1
  fi
done
exit $status
