#!/usr/bin/env bash
# The Debian package end to end, on this machine: `make deb`, lintian (no errors), install it,
# check where its files went, run the daemon the way the installed unit does, send a sign-up to
# the bundled newcomer guide and see the welcome email written by the default log channel,
# stop it, purge, and check that nothing is left behind. Registered in ctest as `packaging`.
#
# It installs and purges a system package, so it needs root; otherwise it is skipped (exit 77).
# If journeyd is already installed and this test did not install it, it refuses to run.
set -euo pipefail

if [ "$(id -u)" -ne 0 ]; then
  echo "SKIP: the packaging test installs and purges the journeyd package, which needs root"
  exit 77
fi

cd "$(dirname "$0")/../.."
source_dir=$PWD
deb_dir=${JOURNEYD_DEB_DIR:-$source_dir/build/deb}
work=$(mktemp -d /tmp/journeyd-deb-test.XXXXXX)
marker=/var/tmp/journeyd-deb-test.installed   # "this test installed journeyd"
export DEBIAN_FRONTEND=noninteractive
started=$SECONDS
daemon_pid=""
main_pid=""

step() { echo "== $* ($((SECONDS - started))s)"; }
fail() {
  echo "FAIL: $*" >&2
  exit 1
}
installed() { dpkg-query -W -f='${Status}' journeyd 2>/dev/null | grep -q 'ok installed\|config-files'; }

cleanup() {
  local status=$?
  for pid in $main_pid $daemon_pid; do kill -KILL "$pid" 2>/dev/null || true; done
  if [ $status -ne 0 ]; then
    [ -f "$work/daemon.log" ] && { echo "--- daemon log"; tail -n 40 "$work/daemon.log"; }
    if [ -f "$marker" ] && apt-get purge -y -qq journeyd >/dev/null 2>&1; then rm -f "$marker"; fi
  fi
  rm -rf "$work"
}
trap cleanup EXIT

if installed; then
  [ -f "$marker" ] || fail "journeyd is installed on this machine and this test would purge it; remove it first"
  step "purging the package left by an interrupted run"
  apt-get purge -y -qq journeyd >/dev/null
fi

# --- build ------------------------------------------------------------------------------
step "make deb (log: $work/deb.log)"
if ! make deb BUILD="$(dirname "$deb_dir")" >"$work/deb.log" 2>&1; then
  tail -n 60 "$work/deb.log"
  fail "make deb"
fi
debs=("$deb_dir"/journeyd_*.deb)
if [ ${#debs[@]} -ne 1 ] || [ ! -f "${debs[0]}" ]; then fail "expected one journeyd_*.deb in $deb_dir"; fi
deb=${debs[0]}
changes=$(ls "$deb_dir"/journeyd_*.changes)
echo "built $(basename "$deb") in $((SECONDS - started))s"

step "lintian"
# Warnings are allowed where justified (debian/journeyd.lintian-overrides says why); errors fail.
lintian --fail-on error --display-info "$changes" | tee "$work/lintian.txt" ||
  fail "lintian reported errors"
if grep -q '^E: ' "$work/lintian.txt"; then fail "lintian reported errors"; fi

# --- install ----------------------------------------------------------------------------
step "apt-get install $(basename "$deb")"
touch "$marker"
apt-get install -y -qq "$deb" >"$work/install.log" 2>&1 || {
  cat "$work/install.log"
  fail "apt-get install"
}
dpkg -L journeyd | sort >"$work/files"
conffiles=$(dpkg-query -W -f='${Conffiles}\n' journeyd | awk 'NF {print $1}' | sort)

step "files, conffiles, user, keys"
for f in /usr/bin/journeyd /lib/systemd/system/journeyd.service \
  /lib/systemd/system/journeyd-model-fit.service /lib/systemd/system/journeyd-model-fit.timer \
  /etc/journeyd/journeyd.yaml /etc/journeyd/journeys/newcomer-guide.yaml \
  /etc/journeyd/journeys/segments.yaml /etc/journeyd/templates/newcomer/welcome.yaml \
  /usr/share/man/man8/journeyd.8.gz /usr/share/doc/journeyd/copyright \
  /usr/share/doc/journeyd/changelog.gz /usr/share/doc/journeyd/README.md /usr/share/doc/journeyd/operations.md \
  /usr/share/doc/journeyd/examples/journeys/newcomer-guide.yaml \
  /usr/share/doc/journeyd/examples/templates/newcomer/welcome.yaml; do
  grep -qx "$f" "$work/files" || fail "$f is not in the package"
  [ -f "$f" ] || fail "$f is in the package but not on disk"
done
[ -x /usr/bin/journeyd ] || fail "/usr/bin/journeyd is not executable"
# Every shipped journey and template, and the config, are conffiles; nothing else is.
expected_conffiles=$( (
  echo /etc/journeyd/journeyd.yaml
  cd "$source_dir" && find journeys templates -type f | sed 's|^|/etc/journeyd/|'
) | sort)
[ "$conffiles" = "$expected_conffiles" ] ||
  fail "conffiles differ from the config, journeys and templates: $(diff <(echo "$expected_conffiles") <(echo "$conffiles") || true)"
if grep -q '\.keys$\|\.env$' "$work/files"; then fail "the package ships a key file"; fi
if grep -q 'dev-write-key\|dev-admin-key' /etc/journeyd/journeyd.yaml; then fail "the config ships the development keys"; fi

getent passwd journeyd >/dev/null || fail "no journeyd user"
getent group journeyd >/dev/null || fail "no journeyd group"
[ "$(getent passwd journeyd | cut -d: -f6)" = /var/lib/journeyd ] || fail "journeyd's home is not /var/lib/journeyd"
[ "$(stat -c '%U:%G %a' /var/lib/journeyd)" = "journeyd:journeyd 750" ] ||
  fail "/var/lib/journeyd is $(stat -c '%U:%G %a' /var/lib/journeyd)"
for kind in write admin; do
  f=/etc/journeyd/$kind.keys
  [ "$(stat -c '%U:%G %a' "$f")" = "root:journeyd 640" ] || fail "$f is $(stat -c '%U:%G %a' "$f")"
  grep -qE '^[0-9a-f]{48}$' "$f" || fail "$f holds no generated key"
done
write_key=$(grep -v '^#' /etc/journeyd/write.keys | head -n1)
admin_key=$(grep -v '^#' /etc/journeyd/admin.keys | head -n1)

runuser -u journeyd -- /usr/bin/journeyd validate /etc/journeyd/journeyd.yaml /etc/journeyd/journeys \
  /etc/journeyd/templates >"$work/validate.txt" 2>&1 || {
  cat "$work/validate.txt"
  fail "journeyd validate on the installed config, journeys and templates"
}
[ "$(/usr/bin/journeyd --version)" = "journeyd $(dpkg-query -W -f='${Version}' journeyd)" ] ||
  fail "journeyd --version does not match the package version"

if command -v systemd-analyze >/dev/null; then
  step "systemd-analyze verify"
  # It checks each unit's lines, commands and Documentation= (man pages need man-db): any
  # message is a problem, but for the man check where man-db is not installed.
  verify=$(systemd-analyze verify /lib/systemd/system/journeyd.service \
    /lib/systemd/system/journeyd-model-fit.service /lib/systemd/system/journeyd-model-fit.timer 2>&1) || true
  command -v man >/dev/null || verify=$(grep -v "Command 'man " <<<"$verify" || true)
  [ -z "$verify" ] || fail "systemd-analyze verify: $verify"
fi

# --- run --------------------------------------------------------------------------------
# As the unit does: its User= and ExecStart= (plus a test port), working directory /, and
# keys from the documented places: /etc/journeyd/write.keys (generated) and, through the
# unit's EnvironmentFile=, JOURNEYD_WRITE_KEY in /etc/journeyd/journeyd.env.
step "serve"
unit=/lib/systemd/system/journeyd.service
user=$(sed -n 's/^User=//p' $unit)
exec_start=$(sed -n 's/^ExecStart=//p' $unit)
grep -qx 'EnvironmentFile=-/etc/journeyd/journeyd.env' $unit || fail "the unit does not read /etc/journeyd/journeyd.env"
[ "$user" = journeyd ] || fail "the unit runs as '$user'"
env_key=test-env-write-key-$RANDOM$RANDOM
(
  umask 027
  printf 'JOURNEYD_WRITE_KEY=%s\n' "$env_key" >/etc/journeyd/journeyd.env
)
chgrp journeyd /etc/journeyd/journeyd.env
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base=http://127.0.0.1:$port
(
  cd /
  set -a
  # shellcheck source=/dev/null
  . /etc/journeyd/journeyd.env
  set +a
  # shellcheck disable=SC2086 # ExecStart is split into words, as systemd does
  exec runuser -u "$user" -- $exec_start --listen "127.0.0.1:$port"
) >"$work/daemon.log" 2>&1 &
daemon_pid=$!
for _ in $(seq 1 150); do
  curl -fsS "$base/readyz" >/dev/null 2>&1 && break
  kill -0 "$daemon_pid" 2>/dev/null || fail "the daemon exited while starting"
  sleep 0.2
done
curl -fsS "$base/readyz" >/dev/null || fail "the daemon is not ready after 30s"
# runuser forks and does not pass SIGHUP on: signal journeyd itself, as systemd does (MAINPID).
main_pid=$(pgrep -P "$daemon_pid" -x journeyd) || fail "no journeyd process under runuser"
[ "$(stat -c %U "/proc/$main_pid")" = journeyd ] || fail "journeyd does not run as the journeyd user"
if grep -q 'no write keys configured\|no admin keys configured' "$work/daemon.log"; then fail "the daemon found no keys"; fi

step "send a sign-up, see the welcome email"
post() { # KEY PATH BODY
  curl -fsS -u "$1:" -H 'Content-Type: application/json' -d "$3" "$base$2" >/dev/null || fail "POST $2 refused"
}
post "$env_key" /v1/identify '{"userId": "deb-1", "traits": {"email": "deb-1@example.com", "first_name": "Deb"}}'
post "$write_key" /v1/track '{"userId": "deb-1", "event": "Signed Up"}'
[ "$(curl -s -o /dev/null -w '%{http_code}' -u wrong-key: -d '{"userId": "x", "event": "E"}' "$base/v1/track")" = 401 ] ||
  fail "a wrong write key is not refused"
curl -fsS -H "Authorization: Bearer $admin_key" "$base/v1/customers/deb-1" | grep -q 'newcomer-guide' ||
  fail "the admin API (generated admin key) does not show the enrollment"
outbox=/var/lib/journeyd/outbox/email.ndjson
for _ in $(seq 1 150); do
  grep -q '"to":"deb-1@example.com"' "$outbox" 2>/dev/null && break
  sleep 0.2
done
grep '"to":"deb-1@example.com"' "$outbox" | grep -q 'Welcome' || fail "no welcome email in $outbox"
[ "$(stat -c %U "$outbox")" = journeyd ] || fail "$outbox is not owned by journeyd"
[ -f /var/lib/journeyd/journeyd.db ] || fail "no database in /var/lib/journeyd"

step "reload (SIGHUP) and stop (SIGTERM)"
kill -HUP "$main_pid"
for _ in $(seq 1 50); do
  grep -q 'msg="\?reloaded' "$work/daemon.log" && break
  sleep 0.2
done
grep -q 'msg="\?reloaded' "$work/daemon.log" || fail "no reload after SIGHUP"
curl -fsS "$base/healthz" >/dev/null || fail "not healthy after reload"
kill -TERM "$main_pid"
status=0
wait "$daemon_pid" || status=$?
daemon_pid=""
main_pid=""
[ $status -eq 0 ] || fail "the daemon exited with $status on SIGTERM"
grep -q 'msg=stopped' "$work/daemon.log" || fail "no 'stopped' line after SIGTERM"

# --- reinstall --------------------------------------------------------------------------
step "reinstall keeps an edited config, the keys and the state"
echo '# edited by the packaging test' >>/etc/journeyd/journeyd.yaml
keys_before=$(cat /etc/journeyd/write.keys /etc/journeyd/admin.keys)
apt-get install -y -qq --reinstall "$deb" >"$work/reinstall.log" 2>&1 || {
  cat "$work/reinstall.log"
  fail "apt-get install --reinstall"
}
grep -q '^# edited by the packaging test$' /etc/journeyd/journeyd.yaml || fail "reinstall lost the edited config"
[ "$(cat /etc/journeyd/write.keys /etc/journeyd/admin.keys)" = "$keys_before" ] || fail "reinstall changed the keys"
[ -f /var/lib/journeyd/journeyd.db ] || fail "reinstall lost the database"

# --- purge ------------------------------------------------------------------------------
step "apt-get purge journeyd"
apt-get purge -y -qq journeyd >"$work/purge.log" 2>&1 || {
  cat "$work/purge.log"
  fail "apt-get purge"
}
rm -f "$marker"
if installed; then fail "journeyd is still known to dpkg after purge"; fi
while read -r f; do
  case "$f" in
  /etc/journeyd* | /usr/share/doc/journeyd* | /usr/bin/journeyd | /usr/share/man/man8/journeyd.8.gz | \
    /lib/systemd/system/journeyd*) [ ! -e "$f" ] || fail "$f is left after purge" ;;
  esac
done <"$work/files"
for p in /etc/journeyd /var/lib/journeyd /usr/share/doc/journeyd /usr/bin/journeyd; do
  [ ! -e "$p" ] || fail "$p is left after purge"
done
if getent passwd journeyd >/dev/null; then fail "the journeyd user is left after purge"; fi
if getent group journeyd >/dev/null; then fail "the journeyd group is left after purge"; fi
leftovers=$(find /etc/systemd /var/lib/systemd/deb-systemd-helper-enabled /var/lib/systemd/deb-systemd-helper-masked \
  -name 'journeyd*' 2>/dev/null || true)
[ -z "$leftovers" ] || fail "systemd state left after purge: $leftovers"

step "ok: built, lintian-clean of errors, installed, served, sent, purged"
