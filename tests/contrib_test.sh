#!/bin/bash
# The man pages lint clean (mandoc -T lint, groff -wall), the bash completion
# completes, and the nginx example is a configuration nginx accepts. A
# missing tool skips its part, loudly. Usage: contrib_test.sh SRCDIR
set -eu
src=$1
tmp=$(mktemp -d "${TMPDIR:-/tmp}/feedmux-contrib-XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fail() { echo "contrib_test: $*" >&2; exit 1; }

for page in "$src/man/feedmux.8" "$src/man/feedmux.conf.5"; do
	if command -v mandoc >/dev/null 2>&1; then
		out=$(mandoc -T lint -W warning "$page" 2>&1) ||
			fail "mandoc -T lint: $out"
		[ -z "$out" ] || fail "mandoc -T lint: $out"
	else
		echo "contrib_test: mandoc missing, lint skipped"
	fi
	if command -v groff >/dev/null 2>&1; then
		out=$(groff -wall -mandoc -Tutf8 -z "$page" 2>&1)
		[ -z "$out" ] || fail "groff -wall $page: $out"
	else
		echo "contrib_test: groff missing, skipped"
	fi
done

# Completion, as bash calls it.
complete_words() {
	COMP_WORDS=("$@")
	COMP_CWORD=$(($# - 1))
	COMPREPLY=()
	_feedmux
	echo "${COMPREPLY[*]}"
}
. "$src/contrib/feedmux.bash-completion"
[ "$(complete_words feedmux s)" = "serve status" ] ||
	fail "commands: $(complete_words feedmux s)"
[ "$(complete_words feedmux im)" = "import-opml" ] || fail "import-opml"
[ "$(complete_words feedmux serve -)" = "-c -v" ] || fail "serve options"
[ "$(complete_words feedmux check -)" = "-c" ] || fail "check options"
[ "$(complete_words feedmux pa)" = "parse" ] || fail "parse"
[ "$(complete_words feedmux parse --s)" = "--sidecars" ] ||
	fail "parse options: $(complete_words feedmux parse --s)"
cd "$tmp"
touch feedmux.conf subs.opml
[ "$(complete_words feedmux serve -c feed)" = "feedmux.conf" ] ||
	fail "-c FILE: $(complete_words feedmux serve -c feed)"
[ "$(complete_words feedmux import-opml su)" = "subs.opml" ] ||
	fail "import-opml FILE"
[ "$(complete_words feedmux parse su)" = "subs.opml" ] || fail "parse FILE"

if command -v nginx >/dev/null 2>&1; then
	mkdir logs
	cat >nginx.conf <<CONF
error_log $tmp/logs/error.log;
pid $tmp/nginx.pid;
events {}
http {
	access_log off;
	include $src/contrib/nginx-feedmux.conf;
}
CONF
	out=$(nginx -t -q -p "$tmp" -c "$tmp/nginx.conf" 2>&1) ||
		fail "nginx -t: $out"
else
	echo "contrib_test: nginx missing, its example not checked"
fi
echo "contrib_test: passed"
