#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>

#include "config.h"
#include "parse.h"
#include "publish.h"
#include "store.h"
#include "util.h"

static const struct {
	const char *in;
	const char *out;
} escapes[] = {
	{ "plain", "plain" },
	{ "a & b < c > d", "a &amp; b &lt; c &gt; d" },
	{ "\"q\" 'a'", "&quot;q&quot; &#39;a&#39;" },
	{ "tab\tnl\ncr\r", "tab\tnl\ncr\r" },
	/* C0 controls are not allowed in XML 1.0, not even as references. */
	{ "bell\x07" "esc\x1b" "nul-free", "bellescnul-free" },
	/* Invalid UTF-8 becomes U+FFFD, byte by byte. */
	{ "bad\xff" "byte", "bad\xef\xbf\xbd" "byte" },
	{ "overlong\xc0\xaf", "overlong\xef\xbf\xbd\xef\xbf\xbd" },
	{ "surrogate\xed\xa0\x80", "surrogate\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },
	{ "\xef\xbf\xbe" "nonchar", "nonchar" },
	{ "روسيا & اليابان", "روسيا &amp; اليابان" },
	{ "", "" },
};

static void
test_escape(void **state)
{
	struct buf b;

	(void)state;
	for (size_t i = 0; i < nitems(escapes); i++) {
		buf_init(&b);
		buf_add(&b, "", 0);
		publish_escape(&b, escapes[i].in);
		assert_string_equal(b.data, escapes[i].out);
		buf_free(&b);
	}
}

struct fixture {
	char dir[64];
	char conf[128];
	struct config *cf;
	struct store *st;
	struct publisher *pub;
};

static const char config_text[] =
    "[server]\n"
    "database = test.db\n"
    "[feed one]\n"
    "url = http://127.0.0.1:9/one.rss\n"
    "[feed two]\n"
    "url = http://127.0.0.1:9/two.atom\n"
    "[output all]\n"
    "title = Everything & more\n"
    "max_items = 3\n"
    "[output none]\n"
    "keywords = nothing\n";

static int
setup(void **state)
{
	struct fixture *fx = xcalloc(1, sizeof *fx);
	char *errors = NULL, *cause = NULL;
	char *names[] = { "one", "two" };
	FILE *f;

	snprintf(fx->dir, sizeof fx->dir, "/tmp/feedmux-publish-XXXXXX");
	assert_non_null(mkdtemp(fx->dir));
	snprintf(fx->conf, sizeof fx->conf, "%s/feedmux.conf", fx->dir);
	assert_non_null(f = fopen(fx->conf, "w"));
	fputs(config_text, f);
	fclose(f);
	fx->cf = config_load(fx->conf, &errors);
	if (fx->cf == NULL)
		fail_msg("config: %s", errors);
	fx->st = store_open(fx->cf->database, &cause);
	if (fx->st == NULL)
		fail_msg("store: %s", cause);
	assert_int_equal(store_feeds_sync(fx->st, names, 2), 0);
	fx->pub = publish_new(fx->st, fx->cf);
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *fx = *state;
	char path[192];

	publish_free(fx->pub);
	store_close(fx->st);
	snprintf(path, sizeof path, "%s", fx->cf->database);
	unlink(path);
	snprintf(path, sizeof path, "%s-wal", fx->cf->database);
	unlink(path);
	snprintf(path, sizeof path, "%s-shm", fx->cf->database);
	unlink(path);
	config_free(fx->cf);
	unlink(fx->conf);
	rmdir(fx->dir);
	free(fx);
	return 0;
}

static void
add_item(struct fixture *fx, const char *feed, const char *guid,
    const char *title, int64_t published)
{
	struct item it;
	int64_t id;
	char *outs[] = { "all" };

	memset(&it, 0, sizeof it);
	it.guid = (char *)guid;
	it.title = (char *)title;
	it.link = (char *)"http://127.0.0.1:9/story";
	it.summary = (char *)"<p>Some <b>HTML</b> & text</p>";
	it.published = published;
	it.updated = PARSE_NO_TIME;
	assert_true(store_item_upsert(fx->st, feed, &it, NULL, now_unix(), &id) >= 0);
	assert_int_equal(store_item_set_outputs(fx->st, id, outs, 1), 0);
}

/* Evaluates an XPath (atom: prefix bound) on a document; returns the node count. */
static int
xpath_count(xmlDocPtr doc, const char *expr)
{
	xmlXPathContextPtr ctx = xmlXPathNewContext(doc);
	xmlXPathObjectPtr obj;
	int n;

	xmlXPathRegisterNs(ctx, BAD_CAST "atom",
	    BAD_CAST "http://www.w3.org/2005/Atom");
	obj = xmlXPathEvalExpression(BAD_CAST expr, ctx);
	assert_non_null(obj);
	n = obj->nodesetval != NULL ? obj->nodesetval->nodeNr : 0;
	xmlXPathFreeObject(obj);
	xmlXPathFreeContext(ctx);
	return n;
}

static char *
xpath_string(xmlDocPtr doc, const char *expr)
{
	xmlXPathContextPtr ctx = xmlXPathNewContext(doc);
	xmlXPathObjectPtr obj;
	char *s;

	xmlXPathRegisterNs(ctx, BAD_CAST "atom",
	    BAD_CAST "http://www.w3.org/2005/Atom");
	obj = xmlXPathEvalExpression(BAD_CAST expr, ctx);
	assert_non_null(obj);
	s = xstrdup((const char *)(obj->stringval != NULL ? obj->stringval :
	    BAD_CAST ""));
	xmlXPathFreeObject(obj);
	xmlXPathFreeContext(ctx);
	return s;
}

static void
test_atom_output(void **state)
{
	struct fixture *fx = *state;
	const struct publish_doc *doc;
	xmlDocPtr x;
	char *s;

	add_item(fx, "one", "g1", "First", 1700000000);
	add_item(fx, "one", "g2", "Second <i>&</i>", 1700000300);
	add_item(fx, "two", "g3", "Third", 1700000100);
	add_item(fx, "two", "g4", "Oldest", 1600000000);

	doc = publish_get(fx->pub, "all", "atom");
	assert_non_null(doc);
	assert_string_equal(doc->content_type, "application/atom+xml; charset=utf-8");
	x = xmlReadMemory(doc->body, (int)doc->len, NULL, NULL, XML_PARSE_NONET);
	assert_non_null(x);
	/* max_items = 3, newest first. */
	assert_int_equal(xpath_count(x, "/atom:feed/atom:entry"), 3);
	s = xpath_string(x, "string(/atom:feed/atom:title)");
	assert_string_equal(s, "Everything & more");
	free(s);
	s = xpath_string(x, "string(/atom:feed/atom:entry[1]/atom:title)");
	assert_string_equal(s, "Second <i>&</i>");
	free(s);
	s = xpath_string(x, "string(/atom:feed/atom:entry[2]/atom:title)");
	assert_string_equal(s, "Third");
	free(s);
	s = xpath_string(x, "string(/atom:feed/atom:entry[3]/atom:title)");
	assert_string_equal(s, "First");
	free(s);
	s = xpath_string(x, "string(/atom:feed/atom:entry[1]/atom:published)");
	assert_string_equal(s, "2023-11-14T22:18:20Z");
	free(s);
	s = xpath_string(x, "string(/atom:feed/atom:entry[1]/atom:summary)");
	assert_string_equal(s, "<p>Some <b>HTML</b> & text</p>");
	free(s);
	s = xpath_string(x,
	    "string(/atom:feed/atom:entry[2]/atom:source/atom:link[@rel='self']/@href)");
	assert_string_equal(s, "http://127.0.0.1:9/two.atom");
	free(s);
	s = xpath_string(x, "string(/atom:feed/atom:entry[2]/atom:source/atom:title)");
	assert_string_equal(s, "two");	/* no title stored: the config name */
	free(s);
	assert_int_equal(xpath_count(x,
	    "/atom:feed/atom:entry/atom:id[starts-with(., 'urn:uuid:')]"), 3);
	xmlFreeDoc(x);
}

/* An item of a story, with the keys ingest would give it. */
static void
add_story_item(struct fixture *fx, const char *feed, const char *guid,
    const char *link, const char *title, int64_t published, int64_t now)
{
	struct store_keys keys = { .canon = "http://127.0.0.1:9/same" };
	struct item it;
	int64_t id;
	char *outs[] = { "all" };

	memset(&it, 0, sizeof it);
	it.guid = (char *)guid;
	it.title = (char *)title;
	it.link = (char *)link;
	it.summary = (char *)"<p>text</p>";
	it.published = published;
	it.updated = PARSE_NO_TIME;
	assert_true(store_item_upsert(fx->st, feed, &it, &keys, now, &id) >= 0);
	assert_int_equal(store_item_set_outputs(fx->st, id, outs, 1), 0);
}

static void
test_atom_sources(void **state)
{
	struct fixture *fx = *state;
	const struct publish_doc *doc;
	int64_t now = now_unix();
	xmlDocPtr x;
	char *s, *id1, *updated1;

	add_story_item(fx, "one", "g1", "http://127.0.0.1:9/same?utm_source=x",
	    "The story", 1700000000, now - 100);
	add_story_item(fx, "two", "g2", "http://127.0.0.1:9/two/same",
	    "The story, as two tells it", 1700000500, now - 50);
	doc = publish_get(fx->pub, "all", "atom");
	x = xmlReadMemory(doc->body, (int)doc->len, NULL, NULL, XML_PARSE_NONET);
	assert_non_null(x);
	assert_int_equal(xpath_count(x, "/atom:feed/atom:entry"), 1);
	s = xpath_string(x, "string(//atom:entry/atom:title)");
	assert_string_equal(s, "The story");
	free(s);
	s = xpath_string(x, "string(//atom:entry/atom:source/atom:link[@rel='self']/@href)");
	assert_string_equal(s, "http://127.0.0.1:9/one.rss");
	free(s);
	assert_int_equal(xpath_count(x, "//atom:entry/atom:link[@rel='via']"), 1);
	s = xpath_string(x, "string(//atom:entry/atom:link[@rel='via']/@href)");
	assert_string_equal(s, "http://127.0.0.1:9/two/same");
	free(s);
	s = xpath_string(x, "string(//atom:entry/atom:link[@rel='via']/@title)");
	assert_string_equal(s, "two");
	free(s);
	s = xpath_string(x, "string(//atom:entry/atom:updated)");
	assert_string_equal(s, "2023-11-14T22:13:20Z");
	updated1 = s;
	id1 = xpath_string(x, "string(//atom:entry/atom:id)");
	xmlFreeDoc(x);

	/* The first source edits its title: one entry, same id, new updated. */
	add_story_item(fx, "one", "g1", "http://127.0.0.1:9/same?utm_source=x",
	    "The story, edited", 1700000000, now);
	publish_invalidate(fx->pub, NULL);
	doc = publish_get(fx->pub, "all", "atom");
	x = xmlReadMemory(doc->body, (int)doc->len, NULL, NULL, XML_PARSE_NONET);
	assert_int_equal(xpath_count(x, "/atom:feed/atom:entry"), 1);
	s = xpath_string(x, "string(//atom:entry/atom:title)");
	assert_string_equal(s, "The story, edited");
	free(s);
	s = xpath_string(x, "string(//atom:entry/atom:id)");
	assert_string_equal(s, id1);
	free(s);
	s = xpath_string(x, "string(//atom:entry/atom:updated)");
	assert_string_not_equal(s, updated1);
	{
		char want[21];

		time_rfc3339(now, want);
		assert_string_equal(s, want);
	}
	free(s);
	s = xpath_string(x, "string(//atom:entry/atom:published)");
	assert_string_equal(s, "2023-11-14T22:13:20Z");
	free(s);
	free(id1);
	free(updated1);
	xmlFreeDoc(x);
}

static void
test_etag_follows_content(void **state)
{
	struct fixture *fx = *state;
	const struct publish_doc *doc;
	char etag1[80], etag2[80];
	char *body1;

	add_item(fx, "one", "g1", "First", 1700000000);
	doc = publish_get(fx->pub, "all", "atom");
	snprintf(etag1, sizeof etag1, "%s", doc->etag);
	body1 = xstrdup(doc->body);
	assert_true(etag1[0] == '"');

	/* Rendered again without a change: the same bytes, the same tag. */
	publish_invalidate(fx->pub, "all");
	doc = publish_get(fx->pub, "all", "atom");
	assert_string_equal(doc->etag, etag1);
	assert_string_equal(doc->body, body1);

	/* A new item, but not invalidated yet: still the cached document. */
	add_item(fx, "one", "g2", "Second", 1700000300);
	doc = publish_get(fx->pub, "all", "atom");
	assert_string_equal(doc->etag, etag1);
	publish_invalidate(fx->pub, NULL);
	doc = publish_get(fx->pub, "all", "atom");
	snprintf(etag2, sizeof etag2, "%s", doc->etag);
	assert_string_not_equal(etag1, etag2);
	assert_non_null(strstr(doc->body, "Second"));
	free(body1);
}

static void
test_unknown_and_empty(void **state)
{
	struct fixture *fx = *state;
	const struct publish_doc *doc;

	assert_null(publish_get(fx->pub, "missing", "atom"));
	assert_null(publish_get(fx->pub, "all", "gif"));
	doc = publish_get(fx->pub, "none", "atom");
	assert_non_null(doc);
	assert_null(strstr(doc->body, "<entry>"));
	assert_non_null(strstr(doc->body, "</feed>"));
}

static void
test_index_page(void **state)
{
	struct fixture *fx = *state;
	struct publish_status st = { 0 };
	char *page;
	size_t len;

	st.started = 1700000000;
	st.reloaded = 1700000100;
	st.reload_error = "feedmux.conf:3: unknown key \"<x>\"";
	page = publish_index(fx->pub, &st, &len);
	assert_int_equal(strlen(page), len);
	assert_non_null(strstr(page, "href=\"/feeds/all.atom\""));
	assert_non_null(strstr(page, "Everything &amp; more"));
	assert_non_null(strstr(page, "href=\"/feeds/none.atom\""));
	assert_non_null(strstr(page, ">one</a>"));
	assert_non_null(strstr(page, ">two</a>"));
	assert_non_null(strstr(page, "not fetched yet"));
	/* The reload error is shown, escaped. */
	assert_non_null(strstr(page, "unknown key &quot;&lt;x&gt;&quot;"));
	free(page);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape),
		cmocka_unit_test_setup_teardown(test_atom_output, setup, teardown),
		cmocka_unit_test_setup_teardown(test_atom_sources, setup, teardown),
		cmocka_unit_test_setup_teardown(test_etag_follows_content, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_unknown_and_empty, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_index_page, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
