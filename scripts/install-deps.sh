#!/bin/sh
# Installs the Debian packages coracle needs to build, run and test, when some are missing (Debian 12, root).
set -eu
PKGS="gcc meson ninja-build pkg-config libmicrohttpd-dev libgnutls28-dev libjansson-dev libyaml-dev
libsqlite3-dev libarchive-dev libcmocka-dev clang-format python3-pytest iproute2 util-linux openssl
docker-registry skopeo busybox-static apache2-utils zstd runc libnftables-dev nftables zlib1g-dev"
missing=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "coracle: installing missing packages:$missing"
if [ "$(id -u)" != 0 ]; then
  echo "coracle: run as root (or install them yourself): apt-get install$missing" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing
