/*
 * libFuzzer target for parse_feed. The first byte picks the HTTP context
 * (none, or a Content-Type with one of the charsets that take other paths,
 * and a base URL for links); the rest is the document. What parses is also
 * printed as `feedmux parse` would, so the HTML-to-text and JSON code runs
 * on whatever the parser let through.
 *
 * Built with -fsanitize=fuzzer when FEEDMUX_FUZZ is on (clang); always
 * built as fuzz_parse_replay too, which runs each file named on its command
 * line (or each file of the directories named) once: the seed corpus and
 * every crash the fuzzer found are regression tests that way.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dump.h"
#include "parse.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const char *types[] = {
	NULL,
	"application/rss+xml; charset=utf-8",
	"text/xml; charset=windows-1256",
	"text/xml; charset=iso-8859-6",
	"application/xml; charset=utf-16",
	"text/xml",
	"application/atom+xml; charset=\"bogus-charset\"",
	"text/html; charset=windows-1252",
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct parse_context ctx;
	struct feed *f;
	struct buf b;
	char *cause = NULL;

	if (len == 0)
		return 0;
	memset(&ctx, 0, sizeof ctx);
	ctx.content_type = types[data[0] % nitems(types)];
	if (data[0] & 0x08)
		ctx.url = "http://example.com/feeds/a/b.xml";
	if (data[0] & 0x10)
		ctx.content_location = "../c/";
	f = parse_feed((const char *)data + 1, len - 1, &ctx, &cause);
	buf_init(&b);
	dump_feed(&b, "fuzz", f, cause);
	buf_free(&b);
	parse_feed_free(f);
	free(cause);
	return 0;
}
