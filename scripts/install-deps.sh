#!/usr/bin/env bash
# Installs the Debian 12 packages journeyd needs to build, test, package and benchmark.
# Idempotent and quiet: only what is missing is installed; safe with no terminal.
set -euo pipefail

packages=(
  # toolchain; clang-format checks the layout (tests/format)
  g++ cmake ninja-build pkg-config ccache clang-format
  # core libraries
  libboost-dev libyaml-cpp-dev libcpp-httplib-dev libsqlitecpp-dev libsqlite3-dev
  libspdlog-dev libfmt-dev doctest-dev nlohmann-json3-dev libexpected-dev libcli11-dev libcsv-dev
  # connectors, time zones, models, systemd
  libcurl4-openssl-dev libssl-dev libhowardhinnant-date-dev tzdata libnlopt-cxx-dev libsystemd-dev
  libphonenumber-dev
  # real peers for tests and load tools for benchmarks
  python3 python3-aiosmtpd openssl sqlite3 curl wrk
  # reference numbers for the statistics tests (tests/results); the schema check (tests/schemas)
  python3-scipy python3-jsonschema python3-yaml
  # the Debian package (`make deb`) and its test (tests/packaging)
  dpkg-dev debhelper fakeroot lintian procps
  # systemd-analyze, which scores the units' sandboxing (tests/units)
  systemd
  # promtool: checks the /metrics exposition and the shipped alert rules (tests/integration)
  prometheus
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
