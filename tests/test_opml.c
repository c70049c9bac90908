#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "opml.h"
#include "util.h"

static void
read_ok(const char *xml, struct opml_feed **feeds, size_t *n)
{
	char *cause = NULL;

	if (opml_read(xml, strlen(xml), "t.opml", feeds, n, &cause) != 0)
		fail_msg("%s", cause);
}

static void
test_read(void **state)
{
	struct opml_feed *f;
	size_t n;

	(void)state;
	read_ok("<opml version='2.0'><head/><body>"
		"<outline text='cat'>"
		"<outline text='A' xmlUrl='  http://127.0.0.1/a  '/>"
		"<outline title='B title' text='B text' "
		"XMLURL='http://127.0.0.1/b'/>"
		"</outline>"
		"<outline text='no url'/>"
		"<outline xmlUrl=''/>"
		"<outline xmlUrl='http://127.0.0.1/c'/>"
		"</body></opml>",
	    &f, &n);
	assert_int_equal(n, 3);
	assert_string_equal(f[0].url, "http://127.0.0.1/a");
	assert_string_equal(f[0].title, "A");
	assert_string_equal(f[1].title, "B title");
	assert_string_equal(f[1].url, "http://127.0.0.1/b");
	assert_null(f[2].title);
	opml_free(f, n);
}

static void
test_read_errors(void **state)
{
	static const struct {
		const char *xml, *want;
	} cases[] = {
	    {"", "t.opml"},
	    {"<rss/>", "t.opml: not OPML (the root element is <rss>"},
	    {"<opml><head/></opml>", "t.opml: not OPML (no <body>)"},
	    {"<opml><body>", "t.opml:1: not XML: "},
	};
	struct opml_feed *f;
	struct buf b;
	char *cause;
	size_t n;

	(void)state;
	for (size_t i = 0; i < nitems(cases); i++) {
		cause = NULL;
		assert_int_equal(opml_read(cases[i].xml, strlen(cases[i].xml),
				     "t.opml", &f, &n, &cause),
		    -1);
		assert_non_null(cause);
		if (strncmp(cause, cases[i].want, strlen(cases[i].want)) != 0)
			fail_msg("%s: %s", cases[i].xml, cause);
		free(cause);
	}

	/* 100,000 nested outlines: refused or read, in bounded time. */
	buf_init(&b);
	buf_adds(&b, "<opml><body>");
	for (int i = 0; i < 100000; i++)
		buf_adds(&b, "<outline xmlUrl='http://127.0.0.1/x'>");
	cause = NULL;
	if (opml_read(b.data, b.len, "deep.opml", &f, &n, &cause) == 0)
		opml_free(f, n);
	else
		free(cause);
	buf_free(&b);
}

static void
test_names(void **state)
{
	static const struct opml_feed feeds[] = {
	    {"World News", "http://127.0.0.1/1", 1},
	    {"World News", "http://127.0.0.1/2", 2},
	    {"world   news!", "http://127.0.0.1/3", 3},
	    {"أخبار العالم", "https://www.news.example/ar", 4},
	    {"x", "https://feeds.news.example/x", 5},
	    {"An extremely long title that goes on and on and on",
		"http://"
		"127.0.0.1/5",
		6},
	    {"Two\nlines", "http://127.0.0.1/6", 7},
	    {NULL, "http://127.0.0.1/1", 8},
	    {NULL, "file:///etc/passwd", 9},
	    {NULL, "http://127.0.0.1/has space", 10},
	};
	char *const known_names[] = {"world-news-3", "taken"};
	char *const known_urls[] = {
	    "http://127.0.0.1/elsewhere", "https://www.news.example/ar"};
	struct opml_known known = {known_names, known_urls, 2};
	size_t added, skipped;
	char *text;

	(void)state;
	text = opml_sections(
	    feeds, nitems(feeds), "t.opml", &known, &added, &skipped);
	assert_int_equal(added, 6);
	assert_int_equal(skipped, 4);
	assert_string_equal(text,
	    "# Feeds of t.opml, from feedmux import-opml.\n"
	    "\n# World News\n[feed world-news]\nurl = http://127.0.0.1/1\n"
	    "\n# World News\n[feed world-news-2]\nurl = http://127.0.0.1/2\n"
	    /* world-news-3 is the config's. */
	    "\n# world   news!\n[feed world-news-4]\nurl = http://127.0.0.1/3\n"
	    "\n# line 4: skipped: https://www.news.example/ar is [feed taken] "
	    "already\n"
	    /* One letter says nothing: the host, without its feeds. */
	    "\n# x\n[feed news.example]\nurl = https://feeds.news.example/x\n"
	    "\n# An extremely long title that goes on and on and on\n"
	    "[feed an-extremely-long-title-that-goes-on-and]\n"
	    "url = http://127.0.0.1/5\n"
	    "\n# Two lines\n[feed two-lines]\nurl = http://127.0.0.1/6\n"
	    "\n# line 8: skipped: http://127.0.0.1/1 is [feed world-news] "
	    "already\n"
	    "\n# line 9: skipped: file:///etc/passwd is not http or https\n"
	    "\n# line 10: skipped: http://127.0.0.1/has space has spaces or "
	    "control characters\n");
	free(text);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_read),
	    cmocka_unit_test(test_read_errors),
	    cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
