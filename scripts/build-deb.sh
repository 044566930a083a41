#!/usr/bin/env bash
# Builds the Debian package: OUT/journeyd_VERSION_ARCH.deb (OUT defaults to build/deb).
# dpkg-buildpackage writes its results beside the source folder, so it runs on a copy of the
# checkout (tracked files and new ones not ignored) in OUT/journeyd, keeping the checkout's
# parent folder clean. Usage: scripts/build-deb.sh [OUT] [JOBS]
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(realpath -m "${1:-build/deb}")
jobs=${2:-$(nproc)}
src="$out/journeyd"

rm -rf "$src"
rm -f "$out"/journeyd_* "$out"/journeyd-dbgsym_*
mkdir -p "$src"
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  git ls-files -z --cached --others --exclude-standard |
    while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
    tar --null -T - -cf - | tar -C "$src" -xf -
else
  tar --exclude=./build --exclude='./build-*' --exclude=./var --exclude=./.git -cf - . |
    tar -C "$src" -xf -
fi

cd "$src"
DEB_BUILD_OPTIONS="nocheck parallel=$jobs" dpkg-buildpackage -b -us -uc
ls "$out"/journeyd_*.deb
