#!/bin/sh
# cmake --install puts every file in its place, and never overwrites the
# administrator's /etc/feedmux/feedmux.conf. Usage: install_test.sh BUILDDIR
set -eu
build=$1
tmp=$(mktemp -d "${TMPDIR:-/tmp}/feedmux-install-XXXXXX")
trap 'rm -rf "$tmp"' EXIT
root=$tmp/root
fail() { echo "install_test: $*" >&2; exit 1; }

DESTDIR=$root cmake --install "$build" --prefix /usr >"$tmp/log" 2>&1 ||
	{ cat "$tmp/log"; fail "cmake --install failed"; }
for f in usr/bin/feedmux \
    usr/lib/systemd/system/feedmux.service \
    usr/lib/systemd/system/feedmux.socket \
    etc/feedmux/feedmux.conf \
    usr/share/man/man8/feedmux.8 \
    usr/share/man/man5/feedmux.conf.5 \
    usr/share/bash-completion/completions/feedmux \
    usr/share/doc/feedmux/examples/feedmux.conf \
    usr/share/doc/feedmux/examples/nginx-feedmux.conf; do
	[ -f "$root/$f" ] || fail "$f not installed"
done
[ -x "$root/usr/bin/feedmux" ] || fail "feedmux is not executable"
grep -qx 'ExecStart=/usr/bin/feedmux serve -c /etc/feedmux/feedmux.conf' \
    "$root/usr/lib/systemd/system/feedmux.service" ||
	fail "the unit does not run the installed binary"
grep -q /usr/local "$root/usr/lib/systemd/system/feedmux.service" &&
	fail "the unit still names /usr/local"
"$root/usr/bin/feedmux" check -c "$root/etc/feedmux/feedmux.conf" \
    >/dev/null || fail "the installed config does not check"

# A second install keeps the config an administrator edited.
printf '# mine\n' >"$root/etc/feedmux/feedmux.conf"
DESTDIR=$root cmake --install "$build" --prefix /usr >"$tmp/log" 2>&1 ||
	{ cat "$tmp/log"; fail "second cmake --install failed"; }
[ "$(cat "$root/etc/feedmux/feedmux.conf")" = "# mine" ] ||
	fail "the installed config was overwritten"
grep -q "Kept: $root/etc/feedmux/feedmux.conf" "$tmp/log" ||
	fail "the install did not say it kept the config"
echo "install_test: passed"
