/*
 * libFuzzer target for parse_feed. The first byte picks the HTTP context
 * (none, or a Content-Type with one of the charsets that take other paths,
 * and a base URL for links); the rest is the document. What parses is also
 * printed as `feedmux parse` would, so the HTML-to-text and JSON code runs
 * on whatever the parser let through. Each input is parsed twice, with and
 * without light kids (parse_light_kids), and the two outputs must be the
 * same bytes.
 *
 * Built with -fsanitize=fuzzer when FEEDMUX_FUZZ is on (clang); always
 * built as fuzz_parse_replay too, which runs each file named on its command
 * line (or each file of the directories named) once: the seed corpus and
 * every crash the fuzzer found are regression tests that way.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dump.h"
#include "parse.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* parse.h promises valid UTF-8 in every string; hold it to that. */
static void
check_utf8(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n, i;

	if (s == NULL)
		return;
	while (*p != '\0') {
		if (*p < 0x80) {
			p++;
			continue;
		}
		if (*p >= 0xc2 && *p <= 0xdf)
			n = 1;
		else if (*p >= 0xe0 && *p <= 0xef)
			n = 2;
		else if (*p >= 0xf0 && *p <= 0xf4)
			n = 3;
		else
			abort();
		for (i = 1; i <= n; i++) {
			if ((p[i] & 0xc0) != 0x80)
				abort();
		}
		if ((p[0] == 0xe0 && p[1] < 0xa0) ||
		    (p[0] == 0xed && p[1] >= 0xa0) ||
		    (p[0] == 0xf0 && p[1] < 0x90) ||
		    (p[0] == 0xf4 && p[1] >= 0x90))
			abort();
		p += n + 1;
	}
}

static void
check_feed(const struct feed *f)
{
	const struct item *it;
	size_t i, j;

	check_utf8(f->title);
	check_utf8(f->link);
	check_utf8(f->lang);
	for (i = 0; i < f->nitems; i++) {
		it = &f->items[i];
		check_utf8(it->guid);
		check_utf8(it->link);
		check_utf8(it->title);
		check_utf8(it->author);
		check_utf8(it->summary);
		check_utf8(it->content);
		for (j = 0; j < it->ncategories; j++)
			check_utf8(it->categories[j]);
	}
}

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
	struct buf b, tree;
	char *cause = NULL;

	if (len == 0)
		return 0;
	memset(&ctx, 0, sizeof ctx);
	ctx.content_type = types[data[0] % nitems(types)];
	if (data[0] & 0x08)
		ctx.url = "http://example-com.localhost/feeds/a/b.xml";
	if (data[0] & 0x10)
		ctx.content_location = "../c/";
	f = parse_feed((const char *)data + 1, len - 1, &ctx, &cause);
	if (f != NULL)
		check_feed(f);
	buf_init(&b);
	dump_feed(&b, "fuzz", f, cause);
	parse_feed_free(f);
	free(cause);

	/*
	 * The same bytes with every element of an item in libxml2's tree:
	 * items read through light kids must come out the same.
	 */
	parse_light_kids(0);
	f = parse_feed((const char *)data + 1, len - 1, &ctx, &cause);
	parse_light_kids(1);
	buf_init(&tree);
	dump_feed(&tree, "fuzz", f, cause);
	if (tree.len != b.len || memcmp(tree.data, b.data, b.len) != 0) {
		fprintf(stderr, "fuzz_parse: light kids read\n%.*s\n"
		    "the tree read\n%.*s\n", (int)b.len, b.data,
		    (int)tree.len, tree.data);
		abort();
	}
	buf_free(&tree);
	buf_free(&b);
	parse_feed_free(f);
	free(cause);
	return 0;
}
