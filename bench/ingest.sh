#!/usr/bin/env bash
# Ingestion benchmark: starts journeyd on 127.0.0.1 with a fresh database, drives it with
# bench_ingest (batch and single-track scenarios), then times `journeyd import` of 1,000,000
# NDJSON events. Prints the figures; bounded in time; cleans up after itself.
#
#   bench/ingest.sh            (after `make bench`; SECONDS_PER_RUN=10 by default)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
RUN=${SECONDS_PER_RUN:-10}
EVENTS=${IMPORT_EVENTS:-1000000}
work=$(mktemp -d /tmp/journeyd-bench-XXXXXX)
trap 'kill $pid 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT

cat > "$work/journeyd.yaml" <<YAML
keys: { write: [bench-key], admin: [bench-admin] }
store: { data_dir: data, synchronous: normal }
log: { level: warn }
YAML

start() {
  rm -rf "$work/data"
  "$BUILD/journeyd" serve --config "$work/journeyd.yaml" --listen 127.0.0.1:0 2>"$work/log" &
  pid=$!
  for _ in $(seq 100); do
    port=$(grep -o 'addr=127.0.0.1:[0-9]*' "$work/log" | head -1 | cut -d: -f2 || true)
    [ -n "$port" ] && return 0
    sleep 0.1
  done
  echo "journeyd did not start"; cat "$work/log"; exit 1
}
# The daemon logs at warn; ask it for its port through a one-off info line.
sed -i 's/level: warn/level: info/' "$work/journeyd.yaml"

echo "== /v1/batch, 100 track events per request"
start
"$BUILD/bench_ingest" --port "$port" --key bench-key --mode batch --batch 100 --connections 8 --seconds "$RUN"
kill $pid; wait $pid || true

echo "== /v1/track, single events, as fast as possible"
start
"$BUILD/bench_ingest" --port "$port" --key bench-key --mode track --connections 32 --seconds "$RUN"
echo "== /v1/track at 2,000 requests/s (latency)"
"$BUILD/bench_ingest" --port "$port" --key bench-key --mode track --connections 16 --rate 2000 --seconds "$RUN"
kill $pid; wait $pid || true

echo "== journeyd import of $EVENTS NDJSON events"
python3 - "$work/events.ndjson" "$EVENTS" <<'PY'
import sys
path, n = sys.argv[1], int(sys.argv[2])
with open(path, "w") as f:
    for i in range(n):
        event = "Order Completed" if i % 10 == 0 else "Product Viewed"
        f.write('{"type":"track","userId":"user-%d","event":"%s","messageId":"imp-%d",'
                '"properties":{"product_id":"p-%d","price":%d.99},"timestamp":"2026-11-01T10:%02d:%02dZ"}\n'
                % (i % 100000, event, i, i % 997, i % 300, (i // 60) % 60, i % 60))
PY
rm -rf "$work/data"
"$BUILD/journeyd" import --config "$work/journeyd.yaml" "$work/events.ndjson"
