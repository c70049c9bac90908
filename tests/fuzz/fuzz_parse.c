/*
 * libFuzzer target for parse_feed. The first byte picks the HTTP context
 * (none, or a Content-Type with one of the charsets that take other paths,
 * and a base URL for links); the rest is the document. What parses is also
 * printed as `feedmux parse` would, so the HTML-to-text and JSON code runs
 * on whatever the parser let through. Each input is parsed twice, with and
 * without light kids (parse_light_kids), and the two outputs must be the
 * same bytes; and a third time without text runs given to libxml2 as
 * references (parse_text_runs: the first two give every run of 10 bytes
 * or more, the least it takes, that way), the same bytes again, and the
 * same strings in the feed (its summary and content as HTML). HTML to text
 * written as JSON in one pass (parse_html_text_json) must give what
 * buf_add_json_utf8 makes of parse_html_text's text, for every summary and
 * content and for the input itself when it is valid UTF-8, and the same with
 * text copied 16 bytes at a time as 32 (parse_html_wide).
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

/* Whether the string s is valid UTF-8. */
static int
valid_utf8(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n, i;

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
			return 0;
		for (i = 1; i <= n; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return 0;
		}
		if ((p[0] == 0xe0 && p[1] < 0xa0) ||
		    (p[0] == 0xed && p[1] >= 0xa0) ||
		    (p[0] == 0xf0 && p[1] < 0x90) ||
		    (p[0] == 0xf4 && p[1] >= 0x90))
			return 0;
		p += n + 1;
	}
	return 1;
}

/*
 * HTML to text as JSON, in one pass and in two; html is valid UTF-8 (or
 * NULL).
 */
static void
check_html_json(const char *html)
{
	struct buf one, two;
	char *text;

	buf_init(&one);
	buf_init(&two);
	parse_html_text_json(&one, html);
	text = html != NULL ? parse_html_text(html) : NULL;
	buf_add_json_utf8(&two, text, text != NULL ? strlen(text) : 0);
	if (one.len != two.len || memcmp(one.data, two.data, one.len) != 0) {
		fprintf(stderr, "fuzz_parse: one pass\n%s\ntwo passes\n%s\n",
		    one.data, two.data);
		abort();
	}
	/* Text copied 16 bytes at a time, not 32: the same again. */
	buf_reset(&two);
	parse_html_wide(0);
	parse_html_text_json(&two, html);
	parse_html_wide(1);
	if (one.len != two.len || memcmp(one.data, two.data, one.len) != 0) {
		fprintf(stderr, "fuzz_parse: 32 bytes at a time\n%s\n16\n%s\n",
		    one.data, two.data);
		abort();
	}
	free(text);
	buf_free(&one);
	buf_free(&two);
}

/* parse.h promises valid UTF-8 in every string; hold it to that. */
static void
check_utf8(const char *s)
{
	if (s != NULL && !valid_utf8(s))
		abort();
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
		check_html_json(it->summary);
		check_html_json(it->content);
		for (j = 0; j < it->ncategories; j++)
			check_utf8(it->categories[j]);
	}
}

#include "../feed_raw.h"

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
	struct buf b, tree, raw;
	char *cause = NULL, *html;

	if (len == 0)
		return 0;
	/* The input itself as an HTML fragment, up to its first NUL. */
	if ((html = malloc(len)) == NULL)
		abort();
	memcpy(html, data + 1, len - 1);
	html[len - 1] = '\0';
	if (valid_utf8(html))
		check_html_json(html);
	free(html);
	memset(&ctx, 0, sizeof ctx);
	ctx.content_type = types[data[0] % nitems(types)];
	if (data[0] & 0x08)
		ctx.url = "http://example-com.localhost/feeds/a/b.xml";
	if (data[0] & 0x10)
		ctx.content_location = "../c/";
	parse_text_runs(10);
	f = parse_feed((const char *)data + 1, len - 1, &ctx, &cause);
	if (f != NULL)
		check_feed(f);
	buf_init(&b);
	dump_feed(&b, "fuzz", f, cause);
	buf_init(&raw);
	feed_raw(&raw, f);
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
	parse_feed_free(f);
	free(cause);

	/* Every text run read by libxml2 itself: the same again. */
	parse_text_runs(0);
	f = parse_feed((const char *)data + 1, len - 1, &ctx, &cause);
	parse_text_runs(-1);
	buf_reset(&tree);
	dump_feed(&tree, "fuzz", f, cause);
	buf_adds(&b, raw.data != NULL ? raw.data : "");
	feed_raw(&tree, f);
	if (tree.len != b.len || memcmp(tree.data, b.data, b.len) != 0) {
		fprintf(stderr,
		    "fuzz_parse: text runs as references\n%.*s\n"
		    "read by libxml2\n%.*s\n",
		    (int)b.len, b.data, (int)tree.len, tree.data);
		abort();
	}
	buf_free(&raw);
	buf_free(&tree);
	buf_free(&b);
	parse_feed_free(f);
	free(cause);
	return 0;
}
