#!/bin/sh
# The units pass `systemd-analyze verify`, and the service's exposure score
# (systemd-analyze security) stays at 1.1 or better. Skipped (77) where
# systemd-analyze is missing. Usage: systemd_test.sh SRCDIR FEEDMUX
set -eu
src=$1
bin=$2
if ! command -v systemd-analyze >/dev/null 2>&1; then
	echo "systemd_test: skipped: no systemd-analyze"
	exit 77
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/feedmux-units-XXXXXX")
trap 'rm -rf "$tmp"' EXIT
# verify checks that ExecStart= names an executable: the one just built.
sed "s|/usr/local/bin/feedmux|$bin|g" "$src/systemd/feedmux.service" \
    >"$tmp/feedmux.service"
cp "$src/systemd/feedmux.socket" "$tmp/"
cd "$tmp"
# --man=no: the man pages are not installed here.
if ! systemd-analyze verify --man=no feedmux.service feedmux.socket \
    >verify.log 2>&1 || [ -s verify.log ]; then
	cat verify.log
	echo "systemd_test: systemd-analyze verify complained" >&2
	exit 1
fi
systemd-analyze security --offline=yes feedmux.service >security.log 2>&1 ||
	true
tail -n 1 security.log
if ! systemd-analyze security --offline=yes --threshold=11 feedmux.service \
    >/dev/null 2>&1; then
	grep '✗' security.log || true
	echo "systemd_test: exposure worse than 1.1" >&2
	exit 1
fi
echo "systemd_test: passed"
