#!/usr/bin/env bash
# Runs one of README's commands, word for word, on a fresh Debian 12 root: proof that
# scripts/install-deps.sh names everything and nothing works only because this machine
# happens to have it. The root is built with `debootstrap --variant=minbase bookworm` from the
# mirror apt uses here, holding only what a new machine has (compiler, CMake, make, git,
# GoogleTest, Google Benchmark, python3); the committed HEAD is cloned into it. Nothing is
# cached between runs. Needs root and debootstrap.
#
# Usage: scripts/clean-room.sh [scripts/test.sh | scripts/demo.sh [ARGS...]]   (default: scripts/test.sh)
# Environment: CS_CLEAN_ROOM_DIR  parent folder for the root (default /var/tmp)
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
[ $# -gt 0 ] || set -- scripts/test.sh
command_line="$*"

die() { echo "clean-room: $*" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || die "needs root (debootstrap, chroot and mounts)"
command -v debootstrap >/dev/null || die "debootstrap is not installed (apt-get install debootstrap)"

# The mirror apt is configured with: the first bookworm URI of a deb822 or one-line source.
mirror=$(grep -hsE '^(URIs:|deb )' /etc/apt/sources.list.d/*.sources /etc/apt/sources.list |
         grep -v security | head -1 | sed -E 's/^URIs:[[:space:]]*//; s/^deb (\[[^]]*\] )?//; s/[[:space:]].*//' || true)
mirror=${mirror:-http://deb.debian.org/debian}
commit=$(git -C "$repo" rev-parse HEAD)
git -C "$repo" diff --quiet HEAD || echo "clean-room: note: uncommitted changes are not tested; testing $commit"

root=$(mktemp -d "${CS_CLEAN_ROOM_DIR:-/var/tmp}/circuitscope-clean-room.XXXXXX")
cleanup() {
  local rc=$?
  for m in dev/pts dev sys proc; do
    if mountpoint -q "$root/$m"; then umount -R "$root/$m" 2>/dev/null || umount -R -l "$root/$m"; fi
  done
  # Only after every mount is gone may the tree be deleted (never through a bind mount).
  if ! grep -q " $root/" /proc/mounts; then rm -rf "$root"; else echo "clean-room: $root still has mounts; left in place" >&2; fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

start=$(date +%s)
echo "clean-room: debootstrap bookworm from $mirror into $root"
debootstrap --variant=minbase \
  --include=g++,cmake,make,git,ca-certificates,libgtest-dev,libgmock-dev,libbenchmark-dev,python3 \
  bookworm "$root" "$mirror" >"$root.debootstrap.log" 2>&1 ||
  { tail -20 "$root.debootstrap.log" >&2; rm -f "$root.debootstrap.log"; die "debootstrap failed"; }
rm -f "$root.debootstrap.log"
echo "clean-room: root ready in $(( $(date +%s) - start )) s"

# The same package sources as this machine (updates and security included), and name resolution.
if ls /etc/apt/sources.list.d/*.sources >/dev/null 2>&1; then
  rm -f "$root/etc/apt/sources.list"
  cp /etc/apt/sources.list.d/*.sources "$root/etc/apt/sources.list.d/"
fi
cp /etc/resolv.conf "$root/etc/resolv.conf"
# debootstrap writes no /etc/hosts; an installed Debian has one naming localhost (the browser tests
# reach chromedriver through it).
[ -f "$root/etc/hosts" ] || printf '127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\n' >"$root/etc/hosts"
mount -t proc proc "$root/proc"
mount --rbind /sys "$root/sys" && mount --make-rslave "$root/sys"
# Recursively, so /dev/pts and /dev/shm come along (the browser tests use shared memory).
mount --rbind /dev "$root/dev" && mount --make-rslave "$root/dev"

git clone --quiet --no-hardlinks "$repo" "$root/root/circuitscope"
git -C "$root/root/circuitscope" checkout --quiet "$commit"

echo "clean-room: running '$command_line' at $commit"
set +e
chroot "$root" /usr/bin/env -i HOME=/root LANG=C.UTF-8 TERM=dumb \
  PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  bash -c 'cd /root/circuitscope && "$@"' clean-room "$@"
rc=$?
set -e
elapsed=$(( $(date +%s) - start ))
if [ $rc -ne 0 ]; then
  die "'$command_line' failed (exit $rc) on a fresh Debian 12 root after ${elapsed} s; if a package was not found, scripts/install-deps.sh does not name it"
fi
echo "clean-room: '$command_line' passed on a fresh Debian 12 root in ${elapsed} s (debootstrap included)"
echo "clean-room: the root holds $(du -sxh "$root" | cut -f1) (the base system, the packages, the clone and its build)"
