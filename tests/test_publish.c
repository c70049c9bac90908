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
#include <zlib.h>

#include "config.h"
#include "log.h"
#include "parse.h"
#include "publish.h"
#include "store.h"
#include "util.h"

static const struct {
	const char *in;
	const char *out;
} escapes[] = {
    {"plain", "plain"},
    {"a & b < c > d", "a &amp; b &lt; c &gt; d"},
    {"\"q\" 'a'", "&quot;q&quot; &#39;a&#39;"},
    {"tab\tnl\ncr\r", "tab\tnl\ncr\r"},
    /* C0 controls are not allowed in XML 1.0, not even as references. */
    {"bell\x07"
     "esc\x1b"
     "nul-free",
	"bellescnul-free"},
    /* Invalid UTF-8 becomes U+FFFD, byte by byte. */
    {"bad\xff"
     "byte",
	"bad\xef\xbf\xbd"
	"byte"},
    {"overlong\xc0\xaf", "overlong\xef\xbf\xbd\xef\xbf\xbd"},
    {"surrogate\xed\xa0\x80", "surrogate\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"},
    {"\xef\xbf\xbe"
     "nonchar",
	"nonchar"},
    {"روسيا & اليابان", "روسيا &amp; اليابان"},
    {"", ""},
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

/* HTML reduced to text: what the HTML view and JSON Feed's summary show. */
static const struct {
	const char *html;
	size_t max;
	const char *text;
} texts[] = {
    {"plain words", 0, "plain words"},
    {"<p>Some <b>bold</b> &amp; <i>it</i>alic</p>", 0, "Some bold & italic"},
    /* Blocks separate words; inline elements do not. */
    {"<p>one</p><p>two</p><ul><li>three<li>four</ul>", 0, "one two three four"},
    {"a<br>b<br/>c", 0, "a b c"},
    /* What a browser would not show is not text. */
    {"x<script>alert('no')</script>y<style>p{}</style>z", 0, "xyz"},
    {"<!-- hidden -->shown", 0, "shown"},
    {"<img src=x onerror=alert(1)>caption", 0, "caption"},
    /* Entities HTML knows without a DTD; white space collapsed. */
    {"caf&eacute;&nbsp;&nbsp; noir \t\n &#x631;", 0, "café noir ر"},
    {"  \n ", 0, ""},
    {"", 0, ""},
    {"روسيا <b>واليابان</b>", 0, "روسيا واليابان"},
    /* Unclosed and stray markup is recovered from, never fatal. */
    {"<div><p>open <b>bold", 0, "open bold"},
    {"</p></div>text<", 0, "text<"},
    /* Cut at a word boundary, with an ellipsis. */
    {"one two three four", 9, "one two\xe2\x80\xa6"},
    {"abcdefghijkl", 5, "abcde\xe2\x80\xa6"},
    {"one two", 7, "one two"},
    {"ا ب ت ث ج ح", 5, "ا ب ت\xe2\x80\xa6"},
};

static void
test_html_text(void **state)
{
	struct buf b;

	(void)state;
	for (size_t i = 0; i < nitems(texts); i++) {
		buf_init(&b);
		buf_adds(&b, "");
		publish_html_text(&b, texts[i].html, texts[i].max);
		if (strcmp(b.data, texts[i].text) != 0)
			fail_msg("%zu: \"%s\" gave \"%s\", want \"%s\"", i,
			    texts[i].html, b.data, texts[i].text);
		buf_free(&b);
	}
}

/* 100,000 nested elements: no recursion, no crash. */
static void
test_html_text_deep(void **state)
{
	struct buf html, b;

	(void)state;
	buf_init(&html);
	for (int i = 0; i < 100000; i++)
		buf_adds(&html, "<div><span>");
	buf_adds(&html, "deep");
	buf_init(&b);
	publish_html_text(&b, html.data, 100);
	/* Whatever libxml2 keeps of it, it ends; bounded input, no crash. */
	assert_true(b.len <= 100 * 4 + 3);
	buf_free(&b);
	buf_free(&html);
}

struct fixture {
	char dir[64];
	char conf[128];
	struct config *cf;
	struct store *st;
	struct publisher *pub;
	struct publish_status status;
};

static const char config_text[] = "[server]\n"
				  "database = test.db\n"
				  "[poll]\n"
				  "interval = 2h\n"
				  "[feed one]\n"
				  "url = http://127.0.0.1:9/one.rss\n"
				  "interval = 10m\n"
				  "[feed two]\n"
				  "url = http://127.0.0.1:9/two.atom\n"
				  "[output all]\n"
				  "title = Everything & more\n"
				  "max_items = 3\n"
				  "hub = http://127.0.0.1:9/hub\n"
				  "[output none]\n"
				  "keywords = nothing\n";

static int
setup(void **state)
{
	struct fixture *fx = xcalloc(1, sizeof *fx);
	char *errors = NULL, *cause = NULL;
	char *names[] = {"one", "two"};
	struct store_fetch sf = {
	    .url = "http://127.0.0.1:9/one.rss",
	    .time = 1700000000,
	    .status = 200,
	    .title = "One News",
	    .link = "http://127.0.0.1:9/one/",
	    .lang = "ar",
	};
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
	assert_int_equal(store_feed_fetched(fx->st, "one", &sf), 0);
	fx->status.started = 1700000000;
	fx->pub = publish_new(fx->st, fx->cf, &fx->status);
	publish_set_base(fx->pub, "http://127.0.0.1:8080");
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
add_item_full(struct fixture *fx, const char *feed, const char *guid,
    const char *title, int64_t published, const char *link, const char *summary,
    const char *content)
{
	struct item it;
	int64_t id;
	char *outs[] = {"all"};
	char *cats[] = {"Cat A", "Cat <B>"};

	memset(&it, 0, sizeof it);
	it.guid = (char *)guid;
	it.title = (char *)title;
	it.link = (char *)link;
	it.author = (char *)"Ana \"Q\" Ruiz";
	it.summary = (char *)summary;
	it.content = (char *)content;
	it.categories = cats;
	it.ncategories = 2;
	it.published = published;
	it.updated = PARSE_NO_TIME;
	assert_true(store_item_upsert(fx->st, feed, &it, NULL, now_unix(), &id) >= 0);
	assert_int_equal(store_item_set_outputs(fx->st, id, outs, 1), 0);
}

static void
add_item(struct fixture *fx, const char *feed, const char *guid,
    const char *title, int64_t published)
{
	add_item_full(fx, feed, guid, title, published,
	    "http://127.0.0.1:9/story", "<p>Some <b>HTML</b> & text</p>", NULL);
}

static void
refresh(struct fixture *fx)
{
	publish_invalidate(fx->pub, NULL);
	publish_refresh(fx->pub, NULL, NULL);
}

/* Evaluates an XPath (atom:, dc:, content: bound); returns the node count. */
static xmlXPathContextPtr
xpath_ctx(xmlDocPtr doc)
{
	xmlXPathContextPtr ctx = xmlXPathNewContext(doc);

	xmlXPathRegisterNs(
	    ctx, BAD_CAST "atom", BAD_CAST "http://www.w3.org/2005/Atom");
	xmlXPathRegisterNs(
	    ctx, BAD_CAST "dc", BAD_CAST "http://purl.org/dc/elements/1.1/");
	xmlXPathRegisterNs(ctx, BAD_CAST "content",
	    BAD_CAST "http://purl.org/rss/1.0/modules/content/");
	return ctx;
}

static int
xpath_count(xmlDocPtr doc, const char *expr)
{
	xmlXPathContextPtr ctx = xpath_ctx(doc);
	xmlXPathObjectPtr obj;
	int n;

	obj = xmlXPathEvalExpression(BAD_CAST expr, ctx);
	assert_non_null(obj);
	n = obj->nodesetval != NULL ? obj->nodesetval->nodeNr : 0;
	xmlXPathFreeObject(obj);
	xmlXPathFreeContext(ctx);
	return n;
}

static void
xpath_is(xmlDocPtr doc, const char *expr, const char *want)
{
	xmlXPathContextPtr ctx = xpath_ctx(doc);
	xmlXPathObjectPtr obj;
	char *s;

	obj = xmlXPathEvalExpression(BAD_CAST expr, ctx);
	assert_non_null(obj);
	s = xstrdup((const char *)(obj->stringval != NULL ? obj->stringval
							  : BAD_CAST ""));
	xmlXPathFreeObject(obj);
	xmlXPathFreeContext(ctx);
	if (strcmp(s, want) != 0)
		fail_msg("%s: \"%s\", want \"%s\"", expr, s, want);
	free(s);
}

/* An XPath's string value (caller frees). */
static char *
xpath_string(xmlDocPtr doc, const char *expr)
{
	xmlXPathContextPtr ctx = xpath_ctx(doc);
	xmlXPathObjectPtr obj;
	char *s;

	obj = xmlXPathEvalExpression(BAD_CAST expr, ctx);
	assert_non_null(obj);
	s = xstrdup((const char *)(obj->stringval != NULL ? obj->stringval
							  : BAD_CAST ""));
	xmlXPathFreeObject(obj);
	xmlXPathFreeContext(ctx);
	return s;
}

static xmlDocPtr
read_xml(const struct publish_doc *doc)
{
	xmlDocPtr x;

	assert_non_null(doc);
	x = xmlReadMemory(
	    doc->body, (int)doc->len, NULL, NULL, XML_PARSE_NONET);
	if (x == NULL)
		fail_msg("not well-formed XML:\n%s", doc->body);
	return x;
}

static void
add_four(struct fixture *fx)
{
	add_item(fx, "one", "g1", "First", 1700000000);
	add_item(fx, "one", "g2", "Second <i>&</i>", 1700000300);
	add_item(fx, "two", "g3", "Third", 1700000100);
	add_item(fx, "two", "g4", "Oldest", 1600000000);
	refresh(fx);
}

static void
test_atom_output(void **state)
{
	struct fixture *fx = *state;
	const struct publish_doc *doc;
	xmlDocPtr x;

	add_four(fx);
	doc = publish_get(fx->pub, "all", "atom");
	assert_non_null(doc);
	assert_string_equal(
	    doc->content_type, "application/atom+xml; charset=utf-8");
	x = read_xml(doc);
	/* max_items = 3, newest first. */
	assert_int_equal(xpath_count(x, "/atom:feed/atom:entry"), 3);
	xpath_is(x, "string(/atom:feed/atom:title)", "Everything & more");
	xpath_is(x, "string(/atom:feed/atom:link[@rel='self']/@href)",
	    "http://127.0.0.1:8080/feeds/all.atom");
	xpath_is(x, "string(/atom:feed/atom:link[@rel='alternate']/@href)",
	    "http://127.0.0.1:8080/feeds/all.html");
	xpath_is(x, "string(/atom:feed/atom:link[@rel='hub']/@href)",
	    "http://127.0.0.1:9/hub");
	xpath_is(x, "string(/atom:feed/atom:entry[1]/atom:title)",
	    "Second <i>&</i>");
	xpath_is(x, "string(/atom:feed/atom:entry[2]/atom:title)", "Third");
	xpath_is(x, "string(/atom:feed/atom:entry[3]/atom:title)", "First");
	xpath_is(x, "string(/atom:feed/atom:entry[1]/atom:published)",
	    "2023-11-14T22:18:20Z");
	xpath_is(x, "string(/atom:feed/atom:entry[1]/atom:updated)",
	    "2023-11-14T22:18:20Z");
	xpath_is(x, "string(/atom:feed/atom:entry[1]/atom:summary)",
	    "<p>Some <b>HTML</b> & text</p>");
	xpath_is(x, "string(/atom:feed/atom:entry[1]/atom:author/atom:name)",
	    "Ana \"Q\" Ruiz");
	xpath_is(x, "string(/atom:feed/atom:entry[1]/atom:category[2]/@term)",
	    "Cat <B>");
	/* The language its feed declared, and only where one did. */
	xpath_is(x, "string(/atom:feed/atom:entry[1]/@xml:lang)", "ar");
	assert_int_equal(
	    xpath_count(x, "/atom:feed/atom:entry[2]/@xml:lang"), 0);
	xpath_is(x,
	    "string(/atom:feed/atom:entry[2]/atom:source/"
	    "atom:link[@rel='self']/@href)",
	    "http://127.0.0.1:9/two.atom");
	/* No title stored: the config name. */
	xpath_is(x, "string(/atom:feed/atom:entry[2]/atom:source/atom:title)",
	    "two");
	xpath_is(x, "string(/atom:feed/atom:entry[1]/atom:source/atom:title)",
	    "One News");
	xpath_is(x,
	    "string(/atom:feed/atom:entry[1]/atom:source/"
	    "atom:link[@rel='alternate']/@href)",
	    "http://127.0.0.1:9/one/");
	assert_int_equal(
	    xpath_count(x,
		"/atom:feed/atom:entry/atom:id[starts-with(., 'urn:uuid:')]"),
	    3);
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
	publish_invalidate(fx->pub, NULL);
	publish_refresh(fx->pub, NULL, NULL);
	doc = publish_get(fx->pub, "all", "atom");
	assert_non_null(doc);
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
	publish_refresh(fx->pub, NULL, NULL);
	doc = publish_get(fx->pub, "all", "atom");
	assert_non_null(doc);
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
test_rss_output(void **state)
{
	struct fixture *fx = *state;
	const struct publish_doc *doc;
	xmlDocPtr x;

	add_four(fx);
	add_item_full(fx, "one", "g5", "Full", 1700000600,
	    "http://127.0.0.1:9/full", NULL, "<p>only content</p>");
	refresh(fx);
	doc = publish_get(fx->pub, "all", "rss");
	assert_non_null(doc);
	assert_string_equal(
	    doc->content_type, "application/rss+xml; charset=utf-8");
	x = read_xml(doc);
	xpath_is(x, "string(/rss/@version)", "2.0");
	xpath_is(x, "string(/rss/channel/title)", "Everything & more");
	xpath_is(x, "string(/rss/channel/link)",
	    "http://127.0.0.1:8080/feeds/all.html");
	xpath_is(x, "string(/rss/channel/atom:link[@rel='self']/@href)",
	    "http://127.0.0.1:8080/feeds/all.rss");
	xpath_is(x, "string(/rss/channel/atom:link[@rel='hub']/@href)",
	    "http://127.0.0.1:9/hub");
	/* The shortest feed interval, 10 minutes. */
	xpath_is(x, "string(/rss/channel/ttl)", "10");
	assert_int_equal(xpath_count(x, "/rss/channel/item"), 3);
	xpath_is(x, "string(/rss/channel/item[1]/title)", "Full");
	/* Content only: it is the description too. */
	xpath_is(x, "string(/rss/channel/item[1]/description)",
	    "<p>only content</p>");
	xpath_is(x, "string(/rss/channel/item[1]/content:encoded)",
	    "<p>only content</p>");
	xpath_is(x, "string(/rss/channel/item[2]/title)", "Second <i>&</i>");
	xpath_is(
	    x, "string(/rss/channel/item[2]/link)", "http://127.0.0.1:9/story");
	xpath_is(x, "string(/rss/channel/item[2]/pubDate)",
	    "Tue, 14 Nov 2023 22:18:20 GMT");
	xpath_is(x, "string(/rss/channel/item[2]/atom:updated)",
	    "2023-11-14T22:18:20Z");
	xpath_is(x, "string(/rss/channel/item[2]/guid/@isPermaLink)", "false");
	xpath_is(
	    x, "string(/rss/channel/item[2]/dc:creator)", "Ana \"Q\" Ruiz");
	xpath_is(x, "string(/rss/channel/item[2]/category[2])", "Cat <B>");
	xpath_is(x, "string(/rss/channel/item[2]/description)",
	    "<p>Some <b>HTML</b> & text</p>");
	assert_int_equal(
	    xpath_count(x, "/rss/channel/item[2]/content:encoded"), 0);
	xpath_is(x, "string(/rss/channel/item[2]/source)", "One News");
	xpath_is(x, "string(/rss/channel/item[2]/source/@url)",
	    "http://127.0.0.1:9/one.rss");
	xpath_is(x, "string(/rss/channel/item[2]/@xml:lang)", "ar");
	xmlFreeDoc(x);

	/* The same entry has the same id in Atom (guid here). */
	x = read_xml(publish_get(fx->pub, "all", "atom"));
	{
		xmlDocPtr r = read_xml(publish_get(fx->pub, "all", "rss"));
		xmlXPathContextPtr c = xpath_ctx(x);
		xmlXPathObjectPtr o = xmlXPathEvalExpression(
		    BAD_CAST "string(/atom:feed/atom:entry[2]/atom:id)", c);
		char *want;

		want = xstrdup((const char *)o->stringval);
		xpath_is(r, "string(/rss/channel/item[2]/guid)", want);
		free(want);
		xmlXPathFreeObject(o);
		xmlXPathFreeContext(c);
		xmlFreeDoc(r);
	}
	xmlFreeDoc(x);
}

static void
test_json_output(void **state)
{
	struct fixture *fx = *state;
	const struct publish_doc *doc;
	const char *b;

	add_item_full(fx, "one", "g1", "Quote \" and\nnewline", 1700000000,
	    "http://127.0.0.1:9/q", "<p>x &amp; <b>y</b></p>", "<p>full</p>");
	refresh(fx);
	doc = publish_get(fx->pub, "all", "json");
	assert_non_null(doc);
	assert_string_equal(
	    doc->content_type, "application/feed+json; charset=utf-8");
	b = doc->body;
	assert_non_null(
	    strstr(b, "\"version\": \"https://jsonfeed.org/version/1.1\""));
	assert_non_null(strstr(b, "\"title\": \"Everything & more\""));
	assert_non_null(strstr(
	    b, "\"feed_url\": \"http://127.0.0.1:8080/feeds/all.json\""));
	assert_non_null(strstr(
	    b, "\"home_page_url\": \"http://127.0.0.1:8080/feeds/all.html\""));
	assert_non_null(strstr(b, "\"hubs\": [{\"type\": \"WebSub\", "
				  "\"url\": \"http://127.0.0.1:9/hub\"}]"));
	assert_non_null(strstr(b, "\"title\": \"Quote \\\" and\\nnewline\""));
	assert_non_null(strstr(b, "\"content_html\": \"<p>full</p>\""));
	/* JSON Feed's summary is plain text. */
	assert_non_null(strstr(b, "\"summary\": \"x & y\""));
	assert_non_null(
	    strstr(b, "\"date_published\": \"2023-11-14T22:13:20Z\""));
	assert_non_null(
	    strstr(b, "\"authors\": [{\"name\": \"Ana \\\"Q\\\" Ruiz\"}]"));
	assert_non_null(strstr(b, "\"tags\": [\"Cat A\", \"Cat <B>\"]"));
	assert_non_null(strstr(b, "\"language\": \"ar\""));
	assert_non_null(
	    strstr(b, "\"_feedmux\": {\"sources\": [{\"name\": "
		      "\"one\", \"title\": \"One News\", \"feed_url\": "
		      "\"http://127.0.0.1:9/one.rss\", \"home_page_url\": "
		      "\"http://127.0.0.1:9/one/\"}]}"));
	/* No item: still a whole document. */
	doc = publish_get(fx->pub, "none", "json");
	assert_non_null(doc);
	assert_non_null(strstr(doc->body, "\"items\": []\n}\n"));
}

static size_t
count(const char *s, const char *what)
{
	size_t n = 0;

	while ((s = strstr(s, what)) != NULL) {
		n++;
		s += strlen(what);
	}
	return n;
}

static void
test_html_view(void **state)
{
	struct fixture *fx = *state;
	const struct publish_doc *doc;
	const char *b;

	add_item_full(fx, "one", "g1", "روسيا واليابان", 1700000000,
	    "http://127.0.0.1:9/ar",
	    "<p>نص <b>عريض</b></p><script>"
	    "alert(1)</script><img src=x onerror=alert(2)>",
	    NULL);
	add_item_full(fx, "two", "g2", "Bad <link>", 1700000100,
	    "javascript:alert(3)", NULL,
	    "<iframe src=//x></iframe>"
	    "<a href=\"javascript:alert(4)\">click</a>");
	refresh(fx);
	doc = publish_get(fx->pub, "all", "html");
	assert_non_null(doc);
	assert_string_equal(doc->content_type, "text/html; charset=utf-8");
	b = doc->body;
	assert_non_null(
	    strstr(b, "<h1 dir=\"auto\">Everything &amp; more</h1>"));
	/* Subscribe links, relative, and autodiscovery. */
	assert_non_null(strstr(b, "<a href=\"all.atom\""));
	assert_non_null(strstr(b, "<a href=\"all.rss\""));
	assert_non_null(strstr(b, "<a href=\"all.json\""));
	assert_non_null(strstr(b, "<link rel=\"alternate\" "
				  "type=\"application/atom+xml\""));
	/* The Arabic item: linked title, its source, text only. */
	assert_non_null(strstr(b, "<article lang=\"ar\">"));
	assert_non_null(
	    strstr(b, "<h2 dir=\"auto\"><a href=\"http://127.0.0.1:9/ar\">"
		      "روسيا واليابان</a></h2>"));
	assert_non_null(strstr(b, "<span dir=\"auto\">One News</span>"));
	assert_non_null(strstr(b, "<p dir=\"auto\">نص عريض</p>"));
	assert_non_null(strstr(b, "<time datetime=\"2023-11-14T22:13:20Z\">"
				  "2023-11-14 22:13 UTC</time>"));
	/* Nothing of the feeds' markup, and no link that runs script. */
	assert_null(strstr(b, "<b>"));
	assert_null(strstr(b, "alert"));
	assert_null(strstr(b, "<script"));
	assert_null(strstr(b, "<iframe"));
	assert_null(strstr(b, "<img"));
	assert_non_null(strstr(b, "<h2 dir=\"auto\">Bad &lt;link&gt;</h2>"));
	assert_non_null(strstr(b, "<p dir=\"auto\">click</p>"));
	/* Every text of an item says its own direction. */
	assert_int_equal(count(b, "<article"), 2);
	assert_true(count(b, "dir=\"auto\"") >= 2 * 4);
}

static void
test_etag_follows_content(void **state)
{
	struct fixture *fx = *state;
	struct publish_doc *doc, *old;
	char etag1[80];
	char *body1;
	int64_t modified1;
	size_t before;

	add_item(fx, "one", "g1", "First", 1700000000);
	refresh(fx);
	doc = publish_get(fx->pub, "all", "atom");
	snprintf(etag1, sizeof etag1, "%s", doc->etag);
	body1 = xstrdup(doc->body);
	modified1 = doc->modified;
	assert_true(etag1[0] == '"');
	assert_string_not_equal(doc->etag, doc->etag_gzip);

	/* Rendered again without a change: the very same document. */
	old = doc;
	refresh(fx);
	doc = publish_get(fx->pub, "all", "atom");
	assert_ptr_equal(doc, old);
	assert_string_equal(doc->etag, etag1);

	/* A new item, but not invalidated yet: still the cached document. */
	add_item(fx, "one", "g2", "Second", 1700000300);
	publish_refresh(fx->pub, NULL, NULL);
	assert_ptr_equal(publish_get(fx->pub, "all", "atom"), old);

	/*
	 * Whoever still sends the old one holds it: a change does not free
	 * it from under them (ASan would see).
	 */
	publish_doc_ref(old);
	before = old->len;
	refresh(fx);
	doc = publish_get(fx->pub, "all", "atom");
	assert_ptr_not_equal(doc, old);
	assert_string_not_equal(etag1, doc->etag);
	assert_non_null(strstr(doc->body, "Second"));
	assert_true(doc->modified >= modified1);
	assert_int_equal(old->len, before);
	assert_string_equal(old->body, body1);
	publish_doc_unref(old);
	free(body1);
}

static void
test_gzip(void **state)
{
	struct fixture *fx = *state;
	const struct publish_doc *doc;
	const char *formats[] = {"atom", "rss", "json", "html"};
	z_stream z;
	char *out;

	add_four(fx);
	for (size_t i = 0; i < nitems(formats); i++) {
		doc = publish_get(fx->pub, "all", formats[i]);
		assert_non_null(doc);
		assert_non_null(doc->gzip);
		assert_true(doc->gzip_len < doc->len);
		memset(&z, 0, sizeof z);
		assert_int_equal(inflateInit2(&z, 15 + 16), Z_OK);
		out = xmalloc(doc->len + 1);
		z.next_in = (Bytef *)(uintptr_t)doc->gzip;
		z.avail_in = (uInt)doc->gzip_len;
		z.next_out = (Bytef *)out;
		z.avail_out = (uInt)doc->len + 1;
		assert_int_equal(inflate(&z, Z_FINISH), Z_STREAM_END);
		assert_int_equal(z.total_out, doc->len);
		assert_memory_equal(out, doc->body, doc->len);
		inflateEnd(&z);
		free(out);
	}
}

static void
test_unknown_and_empty(void **state)
{
	struct fixture *fx = *state;
	const struct publish_doc *doc;

	/* Nothing is served before the first rendering. */
	assert_null(publish_get(fx->pub, "all", "atom"));
	publish_refresh(fx->pub, NULL, NULL);
	assert_null(publish_get(fx->pub, "missing", "atom"));
	assert_null(publish_get(fx->pub, "all", "gif"));
	assert_null(publish_get(fx->pub, "all", ""));
	doc = publish_get(fx->pub, "none", "atom");
	assert_non_null(doc);
	assert_null(strstr(doc->body, "<entry>"));
	assert_non_null(strstr(doc->body, "</feed>"));
	/* Cache-Control follows the shortest interval: 10 minutes. */
	assert_int_equal(doc->max_age, 600);
	doc = publish_get(fx->pub, "none", "html");
	assert_non_null(doc);
	assert_non_null(strstr(doc->body, "No items yet."));
}

static void
note_change(const char *output, void *arg)
{
	struct buf *b = arg;

	buf_adds(b, output);
	buf_addc(b, ';');
}

static void
test_refresh_reports_changes(void **state)
{
	struct fixture *fx = *state;
	struct buf b;

	buf_init(&b);
	buf_adds(&b, "");
	publish_refresh(fx->pub, note_change, &b);
	assert_string_equal(b.data, "all;none;");
	buf_reset(&b);
	buf_adds(&b, "");
	/* Invalidated, rendered, unchanged: nothing to tell. */
	refresh(fx);
	publish_invalidate(fx->pub, NULL);
	publish_refresh(fx->pub, note_change, &b);
	assert_string_equal(b.data, "");
	add_item(fx, "one", "g1", "First", 1700000000);
	publish_invalidate(fx->pub, "all");
	publish_refresh(fx->pub, note_change, &b);
	assert_string_equal(b.data, "all;");
	buf_free(&b);
}

static void
test_index_page(void **state)
{
	struct fixture *fx = *state;
	struct publish_doc *doc, *again;
	const char *page;

	fx->status.reloaded = 1700000100;
	fx->status.reload_error = "feedmux.conf:3: unknown key \"<x>\"";
	doc = publish_index(fx->pub);
	assert_non_null(doc);
	assert_string_equal(doc->content_type, "text/html; charset=utf-8");
	assert_int_equal(doc->max_age, 0);
	page = doc->body;
	assert_int_equal(strlen(page), doc->len);
	assert_non_null(strstr(page, "href=\"feeds/all.html\""));
	assert_non_null(strstr(page, "href=\"feeds/all.atom\""));
	assert_non_null(strstr(page, "href=\"feeds/all.rss\""));
	assert_non_null(strstr(page, "href=\"feeds/all.json\""));
	assert_non_null(strstr(page, "Everything &amp; more"));
	assert_non_null(strstr(page, "href=\"feeds/none.atom\""));
	assert_non_null(strstr(page, ">one</a>"));
	assert_non_null(strstr(page, "One News"));
	assert_non_null(strstr(page, ">two</a>"));
	assert_non_null(strstr(page, "not fetched yet"));
	assert_non_null(strstr(page, "ok (HTTP 200, 0 new)"));
	/* The reload error is shown, escaped. */
	assert_non_null(strstr(page, "unknown key &quot;&lt;x&gt;&quot;"));

	/* Kept until the feeds change; then the same bytes keep their tag. */
	assert_ptr_equal(publish_index(fx->pub), doc);
	publish_feeds_changed(fx->pub);
	again = publish_index(fx->pub);
	assert_ptr_equal(again, doc);
	fx->status.reload_error = NULL;
	publish_feeds_changed(fx->pub);
	again = publish_index(fx->pub);
	assert_ptr_not_equal(again, doc);
	assert_null(strstr(again->body, "unknown key"));
	assert_null(strstr(again->body, "re-filtering"));
}

/* The daemon says an output is being re-filtered: the index shows how far. */
static void
test_index_refilter(void **state)
{
	static char *const names[] = {"none"};
	struct fixture *fx = *state;
	const struct publish_doc *doc;
	const char *row;
	struct buf b;

	fx->status.refilter_outputs = names;
	fx->status.nrefilter = 1;
	fx->status.refilter_done = 1200;
	fx->status.refilter_items = 6000;
	publish_feeds_changed(fx->pub);
	doc = publish_index(fx->pub);
	/* On the row of that output only. */
	row = strstr(doc->body, "href=\"feeds/none.html\"");
	assert_non_null(row);
	assert_non_null(strstr(row, "re-filtering after its filter changed: "
				    "1200 of 6000 stored items"));
	assert_true(strstr(row, "re-filtering") < strstr(row, "</tr>"));
	assert_ptr_equal(
	    strstr(doc->body, "re-filtering"), strstr(row, "re-filtering"));
	assert_null(strstr(strstr(row, "re-filtering") + 1, "re-filtering"));
	buf_init(&b);
	publish_metrics(fx->pub, &b);
	assert_non_null(strstr(b.data, "\nfeedmux_refilter_outputs 1\n"));
	assert_non_null(
	    strstr(b.data, "\nfeedmux_refilter_items{state=\"done\"} 1200\n"));
	assert_non_null(strstr(
	    b.data, "\nfeedmux_refilter_items{state=\"covered\"} 6000\n"));
	buf_free(&b);

	/* Over: no note, zeros. */
	fx->status.refilter_outputs = NULL;
	fx->status.nrefilter = 0;
	fx->status.refilter_done = fx->status.refilter_items = 0;
	publish_feeds_changed(fx->pub);
	doc = publish_index(fx->pub);
	assert_null(strstr(doc->body, "re-filtering"));
	buf_init(&b);
	publish_metrics(fx->pub, &b);
	assert_non_null(strstr(b.data, "\nfeedmux_refilter_outputs 0\n"));
	buf_free(&b);
}

static void
test_opml(void **state)
{
	struct fixture *fx = *state;
	const struct publish_doc *doc;
	xmlDocPtr x;

	doc = publish_opml(fx->pub);
	assert_non_null(doc);
	assert_string_equal(doc->content_type, "text/x-opml; charset=utf-8");
	x = read_xml(doc);
	xpath_is(x, "string(/opml/@version)", "2.0");
	assert_int_equal(xpath_count(x, "/opml/body/outline"), 2);
	/* In the config's order, with what the feeds said of themselves. */
	xpath_is(x, "string(/opml/body/outline[1]/@text)", "One News");
	xpath_is(x, "string(/opml/body/outline[1]/@type)", "rss");
	xpath_is(x, "string(/opml/body/outline[1]/@xmlUrl)",
	    "http://127.0.0.1:9/one.rss");
	xpath_is(x, "string(/opml/body/outline[1]/@htmlUrl)",
	    "http://127.0.0.1:9/one/");
	xpath_is(x, "string(/opml/body/outline[2]/@text)", "two");
	xpath_is(x, "string(/opml/body/outline[2]/@xmlUrl)",
	    "http://127.0.0.1:9/two.atom");
	assert_int_equal(xpath_count(x, "/opml/body/outline[2]/@htmlUrl"), 0);
	xmlFreeDoc(x);
}

static void
test_metrics(void **state)
{
	struct fixture *fx = *state;
	struct buf b;
	char *cause = NULL;

	add_item(fx, "one", "g1", "First", 1700000000);
	fx->status.fetches[PUBLISH_FETCH_OK] = 3;
	fx->status.fetches[PUBLISH_FETCH_NETWORK_ERROR] = 2;
	fx->status.fetched_bytes = 12345;
	fx->status.lag_sum = 1.5;
	fx->status.lag_count = 4;
	buf_init(&b);
	publish_metrics(fx->pub, &b);
	assert_non_null(strstr(b.data, "# TYPE feedmux_feeds gauge\n"));
	assert_non_null(strstr(b.data, "\nfeedmux_feeds{state=\"ok\"} 1\n"));
	assert_non_null(
	    strstr(b.data, "\nfeedmux_feeds{state=\"never_fetched\"} 1\n"));
	assert_non_null(
	    strstr(b.data, "\nfeedmux_feeds{state=\"failing\"} 0\n"));
	assert_non_null(strstr(b.data, "\nfeedmux_feeds{state=\"gone\"} 0\n"));
	assert_non_null(strstr(b.data, "\nfeedmux_items_stored 1\n"));
	assert_non_null(
	    strstr(b.data, "\nfeedmux_fetches_total{result=\"ok\"} 3\n"));
	assert_non_null(strstr(
	    b.data, "\nfeedmux_fetches_total{result=\"network_error\"} 2\n"));
	assert_non_null(
	    strstr(b.data, "\nfeedmux_fetched_bytes_total 12345\n"));
	assert_non_null(
	    strstr(b.data, "\nfeedmux_poll_lag_seconds_sum 1.500\n"));
	assert_non_null(strstr(b.data, "\nfeedmux_poll_lag_seconds_count 4\n"));
	assert_non_null(strstr(b.data, "\nfeedmux_outputs 2\n"));
	assert_non_null(
	    strstr(b.data, "\nfeedmux_start_time_seconds 1700000000\n"));
	/* Every line is a comment or "name{labels} value". */
	for (char *line = b.data; *line != '\0';) {
		char *nl = strchr(line, '\n');

		assert_non_null(nl);
		*nl = '\0';
		if (line[0] != '#')
			assert_non_null(strchr(line, ' '));
		line = nl + 1;
	}
	buf_free(&b);
	assert_int_equal(publish_health(fx->pub, &cause), 0);
	assert_null(cause);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_escape),
	    cmocka_unit_test(test_html_text),
	    cmocka_unit_test(test_html_text_deep),
	    cmocka_unit_test_setup_teardown(test_atom_output, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_atom_sources, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rss_output, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_json_output, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_html_view, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_etag_follows_content, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_gzip, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_unknown_and_empty, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_refresh_reports_changes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_index_page, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_index_refilter, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_opml, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_metrics, setup, teardown),
	};

	log_init("test_publish", LOG_LEVEL_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
