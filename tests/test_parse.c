/*
 * Tests for parse: one table of fixture files with every value the parser
 * must read from them, one of documents it must refuse, one of dates.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <curl/curl.h>

#include <sys/resource.h>

#include "parse.h"
#include "util.h"

#define DIR FIXTURES "/parse/"
#define NONE PARSE_NO_TIME
#define MAXCAT 4

struct want_item {
	const char *guid;
	const char *link;
	const char *title;
	const char *author;
	const char *summary;
	const char *content;
	const char *categories[MAXCAT];	/* NULL-terminated */
	int64_t published;
	int64_t updated;
};

struct feed_case {
	const char *name;
	const char *file;		/* under fixtures/parse, or NULL */
	const char *data;		/* inline document when file is NULL */
	struct parse_context ctx;
	const char *title;
	const char *link;
	const char *lang;
	size_t nitems;
	struct want_item items[8];
};

/* UTF-8 of the Arabic fixtures, whatever their encoding on disk. */
#define AR_TITLE "أخبار روسيا واليابان"
#define AR_ITEM { .title = "روسيا واليابان، اتفاق جديد", \
	.summary = "<p>نص الخبر</p>", .categories = { "سياسة" }, \
	.published = NONE, .updated = NONE }

#define BASE_URL "http://example-com.localhost/news/feed.rss"

static const struct feed_case feed_cases[] = {
	{
		.name = "rss 2.0, every field",
		.file = "rss2.xml",
		.title = "Example News",
		.link = "https://news.example-com.localhost/",
		.lang = "ar",
		.nitems = 3,
		.items = {
			{
				.guid = "urn:example:1",
				.link = "https://news.example-com.localhost/2024/first",
				.title = "First & foremost",
				.author = "Jo Editor",
				.summary = "<p>Summary <b>one</b></p>",
				.content = "<p>Full <i>text</i> one</p>",
				.categories = { "World", "Asia" },
				.published = 1704164645,
				.updated = 1704240000,
			},
			{
				.guid = "https://news.example-com.localhost/2024/second",
				.link = "https://news.example-com.localhost/2024/second",
				.title = "Second",
				.author = "Sam Writer",
				.categories = { "Politics" },
				.published = 1704355200,
				.updated = 1704412800,
			},
			{
				.guid = "not-a-url-42",
				.author = "someone@example-com.localhost",
				.published = NONE,
				.updated = NONE,
			},
		},
	},
	{
		.name = "atom 1.0, every field",
		.file = "atom.xml",
		.title = "Example Atom & more",
		.link = "https://atom.example-org.localhost/",
		.lang = "en-GB",
		.nitems = 2,
		.items = {
			{
				.guid = "tag:atom.example-org.localhost,2024:1",
				.link = "https://atom.example-org.localhost/1",
				.title = "A <tag> in text",
				.author = "Ann Author",
				.summary = "1 &lt; 2 &amp; 3 &gt; 2",
				.content = "<p>Hello <a href=\"https://x.example/\">"
				    "world</a><br></p>",
				.categories = { "tech", "news" },
				.published = 1706871600,
				.updated = 1706949000,
			},
			{
				.guid = "tag:atom.example-org.localhost,2024:2",
				.link = "https://atom.example-org.localhost/2",
				.title = "Bold move & more",
				.author = "anon@example-org.localhost",
				.summary = "<p>Escaped <b>HTML</b></p>",
				.content = "<div>cdata <i>html</i></div>",
				.published = NONE,
				.updated = 1707004800,
			},
		},
	},
	{
		.name = "rss 1.0",
		.file = "rss1.rdf",
		.title = "RDF Site",
		.link = "http://rdf.example-net.localhost/",
		.lang = "fr",
		.nitems = 2,
		.items = {
			{
				.guid = "http://rdf.example-net.localhost/a",
				.link = "http://rdf.example-net.localhost/a.html",
				.title = "Item A",
				.author = "Ann",
				.summary = "About <em>A</em>",
				.categories = { "rdf" },
				.published = NONE,
				.updated = 1072894495,
			},
			{
				.guid = "http://rdf.example-net.localhost/b",
				.link = "http://rdf.example-net.localhost/b.html",
				.title = "Item B",
				.published = NONE,
				.updated = NONE,
			},
		},
	},
	{
		.name = "atom 0.3",
		.file = "atom03.xml",
		.title = "Old Atom",
		.link = "http://old.example-com.localhost/",
		.nitems = 2,
		.items = {
			{
				.guid = "tag:old.example-com.localhost,2003:3",
				.link = "http://old.example-com.localhost/03",
				.title = "Zero three",
				.author = "Mark",
				.summary = "Plain &amp; simple",
				.content = "<p>Escaped</p>",
				.published = 1071318569,
				.updated = 1071340202,
			},
			{
				.guid = "tag:old.example-com.localhost,2003:4",
				.title = "Inline",
				.content = "<p>Inline xhtml</p>",
				.published = NONE,
				.updated = NONE,
			},
		},
	},
	{
		.name = "cdata and escaped html",
		.file = "cdata.xml",
		.title = "CDATA and escaping",
		.nitems = 5,
		.items = {
			{ .title = "cdata", .summary = "<p>A &amp; B</p>",
			    .published = NONE, .updated = NONE },
			{ .title = "escaped", .summary = "<p>A &amp; B</p>",
			    .published = NONE, .updated = NONE },
			{ .title = "inline", .summary = "<p>Inline <b class=\"x\">"
			    "markup</b> &amp; text<br></p>",
			    .published = NONE, .updated = NONE },
			{ .title = "mixed", .summary = "Part one <i>two</i> three",
			    .published = NONE, .updated = NONE },
			{ .title = "Cats & dogs", .summary = "1 < 2",
			    .published = NONE, .updated = NONE },
		},
	},
	{
		.name = "relative links, no document URI",
		.file = "base.xml",
		.title = "Relative links",
		.link = "./",
		.nitems = 6,
		.items = {
			{ .guid = "a", .link = "2024/a.html", .title = "relative",
			    .published = NONE, .updated = NONE },
			{ .link = "http://other.example/dir/b.html",
			    .title = "absolute xml:base",
			    .published = NONE, .updated = NONE },
			{ .link = "sub/c.html", .title = "relative xml:base",
			    .published = NONE, .updated = NONE },
			{ .guid = "/guid/d", .title = "permalink guid",
			    .published = NONE, .updated = NONE },
			{ .link = "https://elsewhere.example/x?y=1",
			    .title = "absolute",
			    .published = NONE, .updated = NONE },
			{ .link = "#top", .title = "fragment",
			    .published = NONE, .updated = NONE },
		},
	},
	{
		.name = "relative links against the document URI",
		.file = "base.xml",
		.ctx = { .url = BASE_URL },
		.title = "Relative links",
		.link = "http://example-com.localhost/news/",
		.nitems = 6,
		.items = {
			{ .guid = "a",
			    .link = "http://example-com.localhost/news/2024/a.html",
			    .title = "relative",
			    .published = NONE, .updated = NONE },
			{ .link = "http://other.example/dir/b.html",
			    .title = "absolute xml:base",
			    .published = NONE, .updated = NONE },
			{ .link = "http://example-com.localhost/news/sub/c.html",
			    .title = "relative xml:base",
			    .published = NONE, .updated = NONE },
			{ .guid = "http://example-com.localhost/guid/d",
			    .link = "http://example-com.localhost/guid/d",
			    .title = "permalink guid",
			    .published = NONE, .updated = NONE },
			{ .link = "https://elsewhere.example/x?y=1",
			    .title = "absolute",
			    .published = NONE, .updated = NONE },
			{ .link = BASE_URL "#top", .title = "fragment",
			    .published = NONE, .updated = NONE },
		},
	},
	{
		.name = "relative links against Content-Location",
		.file = "base.xml",
		.ctx = { .url = BASE_URL, .content_location = "/mirror/x.xml" },
		.title = "Relative links",
		.link = "http://example-com.localhost/mirror/",
		.nitems = 6,
		.items = {
			{ .guid = "a",
			    .link = "http://example-com.localhost/mirror/2024/a.html",
			    .title = "relative",
			    .published = NONE, .updated = NONE },
			{ .link = "http://other.example/dir/b.html",
			    .title = "absolute xml:base",
			    .published = NONE, .updated = NONE },
			{ .link = "http://example-com.localhost/mirror/sub/c.html",
			    .title = "relative xml:base",
			    .published = NONE, .updated = NONE },
			{ .guid = "http://example-com.localhost/guid/d",
			    .link = "http://example-com.localhost/guid/d",
			    .title = "permalink guid",
			    .published = NONE, .updated = NONE },
			{ .link = "https://elsewhere.example/x?y=1",
			    .title = "absolute",
			    .published = NONE, .updated = NONE },
			{ .link = "http://example-com.localhost/mirror/x.xml#top",
			    .title = "fragment",
			    .published = NONE, .updated = NONE },
		},
	},
	{
		.name = "atom xml:base on feed, entry and link",
		.file = "atom-base.xml",
		.ctx = { .url = BASE_URL },
		.title = "Atom xml:base",
		.link = "http://atom.base.example/blog/",
		.nitems = 2,
		.items = {
			{ .guid = "urn:x:1",
			    .link = "http://atom.base.example/blog/2024/one.html",
			    .title = "One", .published = NONE, .updated = NONE },
			{ .guid = "urn:x:2",
			    .link = "http://elsewhere.example/a/two",
			    .title = "Two", .published = NONE, .updated = NONE },
		},
	},
	{
		.name = "windows-1256 declared in the document",
		.file = "win1256.xml",
		.title = AR_TITLE,
		.link = "http://ar.example/",
		.lang = "ar",
		.nitems = 1,
		.items = { AR_ITEM },
	},
	{
		.name = "windows-1256 from HTTP over a wrong declaration",
		.file = "win1256-wrongdecl.xml",
		.ctx = { .content_type = "application/rss+xml; charset=windows-1256" },
		.title = AR_TITLE,
		.link = "http://ar.example/",
		.lang = "ar",
		.nitems = 1,
		.items = { AR_ITEM },
	},
	{
		.name = "quoted HTTP charset",
		.file = "win1256-wrongdecl.xml",
		.ctx = { .content_type = "text/xml;charset=\"WINDOWS-1256\"" },
		.title = AR_TITLE,
		.link = "http://ar.example/",
		.lang = "ar",
		.nitems = 1,
		.items = { AR_ITEM },
	},
	{
		.name = "unknown HTTP charset leaves the declaration",
		.file = "win1256.xml",
		.ctx = { .content_type = "text/xml; charset=x-no-such-thing" },
		.title = AR_TITLE,
		.link = "http://ar.example/",
		.lang = "ar",
		.nitems = 1,
		.items = { AR_ITEM },
	},
	{
		.name = "iso-8859-6",
		.file = "iso8859-6.xml",
		.title = AR_TITLE,
		.link = "http://ar.example/",
		.lang = "ar",
		.nitems = 1,
		.items = { AR_ITEM },
	},
	{
		.name = "utf-8 byte order mark beats a wrong HTTP charset",
		.file = "utf8-bom.xml",
		.ctx = { .content_type = "text/xml; charset=iso-8859-1" },
		.title = "BOM: café",
		.nitems = 0,
	},
	{
		.name = "utf-16 with byte order mark",
		.file = "utf16.xml",
		.title = "UTF-16: café",
		.nitems = 0,
	},
	{
		.name = "utf-16 byte order mark beats a wrong HTTP charset",
		.file = "utf16.xml",
		.ctx = { .content_type = "application/xml; charset=utf-8" },
		.title = "UTF-16: café",
		.nitems = 0,
	},
	{
		.name = "external entities and DTDs are not loaded",
		.file = "xxe.xml",
		.ctx = { .url = "file://" DIR "xxe.xml" },
		.title = "before after",
		.nitems = 2,
		.items = {
			{ .title = "[]", .published = NONE, .updated = NONE },
			{ .title = "leak", .published = NONE, .updated = NONE },
		},
	},
	{
		.name = "external DTD is not loaded",
		.file = "xxe-dtd.xml",
		.ctx = { .url = "file://" DIR "xxe-dtd.xml" },
		.title = "external DTD:",
		.nitems = 0,
	},
	{
		.name = "truncated: complete items only",
		.file = "truncated.xml",
		.title = "Truncated",
		.nitems = 2,
		.items = {
			{ .guid = "https://t.example/1", .link = "https://t.example/1",
			    .title = "one", .published = NONE, .updated = NONE },
			{ .guid = "https://t.example/2", .link = "https://t.example/2",
			    .title = "two", .published = NONE, .updated = NONE },
		},
	},
	{
		.name = "rss without channel",
		.data = "<rss version=\"0.92\"><title>bare</title>"
		    "<item><title>t</title><link>http://b.example/</link></item>"
		    "</rss>",
		.title = "bare",
		.nitems = 1,
		.items = {
			{ .title = "t", .link = "http://b.example/",
			    .published = NONE, .updated = NONE },
		},
	},
	{
		.name = "rss 0.90 (netscape rdf)",
		.data = "<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-"
		    "syntax-ns#\" xmlns=\"http://my.netscape.com/rdf/simple/0.9/\">"
		    "<channel><title>Ninety</title><link>http://n.example/</link>"
		    "</channel><item><title>one</title><link>http://n.example/1"
		    "</link></item></rdf:RDF>",
		.title = "Ninety",
		.link = "http://n.example/",
		.nitems = 1,
		.items = {
			{ .title = "one", .link = "http://n.example/1",
			    .published = NONE, .updated = NONE },
		},
	},
	{
		.name = "html entities without a DTD",
		.data = "<rss version=\"2.0\"><channel><title>Caf&eacute;&nbsp;"
		    "&hellip;</title><item><title>A &mdash; B &amp; &lt;C&gt;"
		    "</title><description>x&nbsp;&lt;b&gt;y&lt;/b&gt;</description>"
		    "<category>&Eacute;t&eacute;</category><link>http://e.example/"
		    "?a=1&amp;b=2</link></item></channel></rss>",
		.title = "Café\xc2\xa0…",
		.nitems = 1,
		.items = {
			{ .title = "A — B & <C>", .summary = "x\xc2\xa0<b>y</b>",
			    .categories = { "Été" },
			    .link = "http://e.example/?a=1&b=2",
			    .published = NONE, .updated = NONE },
		},
	},
	{
		.name = "an undeclared name that is no HTML entity is dropped",
		.data = "<rss><channel><item><title>a&bogus;b&#x41;&#66;</title>"
		    "</item></channel></rss>",
		.nitems = 1,
		.items = {
			{ .title = "abAB", .published = NONE, .updated = NONE },
		},
	},
	{
		.name = "bare ampersands kept, CDATA untouched",
		.data = "<rss><channel><title>Tom & Jerry &#X41;</title><link>"
		    "http://q.example/?a=1&b=2&c</link><item><title>R&D"
		    "</title><link>http://q.example/?x=1&amp;y=2&z</link>"
		    "<description><![CDATA[a &amp; b & c]]><!-- & --></description>"
		    "</item></channel></rss>",
		.title = "Tom & Jerry A",
		.link = "http://q.example/?a=1&b=2&c",
		.nitems = 1,
		.items = {
			{ .title = "R&D", .link = "http://q.example/?x=1&y=2&z",
			    .summary = "a &amp; b & c", .published = NONE,
			    .updated = NONE },
		},
	},
	{
		.name = "utf-8 with bad bytes: U+FFFD, the rest kept",
		.data = "<?xml version=\"1.0\" encoding=\"utf-8\"?><rss><channel>"
		    "<title>روسيا \xff اليابان</title><item><title>a\xc3" "b\xe2\x82"
		    "</title></item></channel></rss>",
		.title = "روسيا \xef\xbf\xbd اليابان",
		.nitems = 1,
		.items = {
			{ .title = "a\xef\xbf\xbd" "b\xef\xbf\xbd\xef\xbf\xbd",
			    .published = NONE, .updated = NONE },
		},
	},
	{
		.name = "single-byte text in a utf-8 feed is windows-1252",
		.data = "<rss><channel><title>caf\xe9 \x93quoted\x94 \x80"
		    "</title></channel></rss>",
		.title = "café “quoted” €",
	},
	{
		.name = "us-ascii declared, utf-8 given",
		.data = "<?xml version=\"1.0\" encoding=\"us-ascii\"?><rss><channel>"
		    "<title>اليابان</title></channel></rss>",
		.title = "اليابان",
	},
	{
		.name = "utf-16 without byte order mark",
		.file = "utf16le-nobom.xml",
		.title = "روسيا",
		.nitems = 1,
		.items = {
			{ .guid = "u-1", .title = "Ünïcode ✓", .published = NONE,
			    .updated = NONE },
		},
	},
	{
		.name = "utf-32 with byte order mark",
		.file = "utf32be-bom.xml",
		.title = "روسيا",
		.nitems = 1,
		.items = {
			{ .guid = "u-1", .title = "Ünïcode ✓", .published = NONE,
			    .updated = NONE },
		},
	},
	{
		.name = "dates: dc, dcterms and atom precedence",
		.data = "<rss xmlns:dc=\"http://purl.org/dc/elements/1.1/\" "
		    "xmlns:dcterms=\"http://purl.org/dc/terms/\"><channel><item>"
		    "<dcterms:issued>2024-01-02</dcterms:issued>"
		    "<dc:date>2024-01-03T00:00:00+01:00</dc:date>"
		    "<pubDate>not a date</pubDate></item><item>"
		    "<pubDate>Tue, 02 Jan 2024 03:04:05 GMT</pubDate>"
		    "<dcterms:modified>2024-02</dcterms:modified></item>"
		    "</channel></rss>",
		.nitems = 2,
		.items = {
			{ .published = 1704153600, .updated = 1704236400 },
			{ .published = 1704164645, .updated = 1706745600 },
		},
	},
	{
		.name = "rss 0.91 with a public DTD, not fetched",
		.data = "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n"
		    "<!DOCTYPE rss PUBLIC \"-//Netscape Communications//DTD RSS"
		    " 0.91//EN\" \"http://my.netscape.com/publish/formats/"
		    "rss-0.91.dtd\">\n<rss version=\"0.91\"><channel>"
		    "<title>Old</title><link>http://old.example/</link>"
		    "<language>en-us</language><item><title>Caf&#233;</title>"
		    "<link>http://old.example/1</link>"
		    "<description>Desc</description></item></channel></rss>",
		.title = "Old",
		.link = "http://old.example/",
		.lang = "en-us",
		.nitems = 1,
		.items = {
			{ .title = "Café", .link = "http://old.example/1",
			    .summary = "Desc", .published = NONE, .updated = NONE },
		},
	},
	{
		.name = "atom without namespace, html title, out-of-line content",
		.data = "<feed><title type=\"html\">&lt;script&gt;alert(1)"
		    "&lt;/script&gt;Safe &amp;eacute;&amp;nbsp;x &lt;br&gt;"
		    "</title><entry><title>e</title>"
		    "<link rel=\"alternate\" href=\"http://a.example/\"/>"
		    "<author><name> </name><email>e@a.example</email></author>"
		    "<content src=\"http://a.example/c\"/></entry></feed>",
		.title = "Safe é\xc2\xa0x",
		.nitems = 1,
		.items = {
			{ .title = "e", .link = "http://a.example/",
			    .author = "e@a.example",
			    .published = NONE, .updated = NONE },
		},
	},
	{
		.name = "rss titles: type attribute and HTML recognized",
		.data = "<rss version=\"2.0\"><channel>"
		    "<title>Tom &amp;amp; Jerry</title>"
		    "<item><title>AT&amp;T &lt;b&gt;wins&lt;/b&gt;</title></item>"
		    "<item><title>1 &lt; 2 and 3 &gt; 2</title></item>"
		    "<item><title>&lt;script&gt;x&lt;/script&gt; tag</title></item>"
		    "<item><title type=\"html\">it&amp;apos;s</title></item>"
		    "<item><title>Caf&amp;eacute; &amp;amp; bar</title></item>"
		    "<item><title>&amp;bogus; &lt;/b&gt;</title></item>"
		    "</channel></rss>",
		.title = "Tom & Jerry",
		.nitems = 6,
		.items = {
			{ .title = "AT&T wins", .published = NONE, .updated = NONE },
			{ .title = "1 < 2 and 3 > 2",
			    .published = NONE, .updated = NONE },
			{ .title = "<script>x</script> tag",
			    .published = NONE, .updated = NONE },
			{ .title = "it's", .published = NONE, .updated = NONE },
			{ .title = "Café & bar", .published = NONE, .updated = NONE },
			{ .title = "&bogus; </b>", .published = NONE, .updated = NONE },
		},
	},
	{
		.name = "content from fullitem, body, and Typepad's html div",
		.data = "<rss version=\"2.0\"><channel>"
		    "<item><fullitem>&lt;p&gt;Full&lt;/p&gt;</fullitem></item>"
		    "<item><body><a href=\"/x\">click</a></body></item>"
		    "<item xmlns:a=\"http://www.w3.org/2005/Atom\">"
		    "<a:content type=\"html\"><div xmlns=\"http://www.w3.org/"
		    "1999/xhtml\">Example &lt;b&gt;Atom&lt;/b&gt;</div>"
		    "</a:content></item>"
		    "</channel></rss>",
		.nitems = 3,
		.items = {
			{ .content = "<p>Full</p>",
			    .published = NONE, .updated = NONE },
			{ .content = "<a href=\"/x\">click</a>",
			    .published = NONE, .updated = NONE },
			{ .content = "Example <b>Atom</b>",
			    .published = NONE, .updated = NONE },
		},
	},
	/*
	 * Items are read as they close while the tree is built, and leave
	 * it; these hold that to what a reading of the whole tree gives.
	 */
	{
		.name = "items back to back, text after the last, a second "
		    "channel, items beside the channel",
		.data = "<rss version=\"2.0\"><item><title>root 1</title></item>"
		    "<channel><title>c</title>"
		    "<item><title>one</title></item><item><title>two</title>"
		    "</item>tail text<item><title>three</title></item>"
		    "<!-- c --><item><title>four</title></item>&amp;"
		    "<item><title>five</title><item><title>nested</title>"
		    "</item></item><link>http://example-com.localhost/</link></channel>"
		    "<channel><item><title>other channel</title></item>"
		    "</channel><item><title>root 2</title></item></rss>",
		.title = "c",
		.link = "http://example-com.localhost/",
		.nitems = 7,
		.items = {
			{ .title = "one", .published = NONE, .updated = NONE },
			{ .title = "two", .published = NONE, .updated = NONE },
			{ .title = "three", .published = NONE,
			    .updated = NONE },
			{ .title = "four", .published = NONE, .updated = NONE },
			{ .title = "five", .published = NONE, .updated = NONE },
			{ .title = "root 1", .published = NONE,
			    .updated = NONE },
			{ .title = "root 2", .published = NONE,
			    .updated = NONE },
		},
	},
	{
		/* libxml2 ends "<item" at once, and says nothing of it. */
		.name = "an item whose start tag lacks its '>'",
		.data = "<rss><channel><item><title>a</title></item><item"
		    "<title>b</title></item><item><title>c</title></item>"
		    "</channel></rss>",
		.title = "b",
		.nitems = 3,
		.items = {
			{ .title = "a", .published = NONE, .updated = NONE },
			{ .published = NONE, .updated = NONE },
			{ .title = "c", .published = NONE, .updated = NONE },
		},
	},
	{
		/*
		 * libxml2 parses an entity's markup with a parser of its own
		 * and the same callbacks: the item open in the document is
		 * no business of that parser (it was freed as closed once).
		 */
		.name = "an entity with markup referenced in an item",
		.data = "<!DOCTYPE rss [<!ENTITY id \"a<link>\">]><rss><channel>"
		    "<item><guid>&id;b</guid></item><item><title>t</title>"
		    "</item></channel></rss>",
		.nitems = 2,
		.items = {
			{ .guid = "b", .published = NONE, .updated = NONE },
			{ .title = "t", .published = NONE, .updated = NONE },
		},
	},
	{
		.name = "entries read as they close, xml:base of the feed "
		    "after them, an entry cut off by the end",
		.data = "<feed xmlns=\"http://www.w3.org/2005/Atom\" "
		    "xml:base=\"http://example-com.localhost/a/\"><entry><id>1</id>"
		    "<link href=\"one\"/></entry><entry xml:base=\"b/\">"
		    "<id>2</id><link href=\"two\"/></entry>"
		    "<title>late title</title><entry><id>3</id>",
		.title = "late title",
		.nitems = 2,
		.items = {
			{ .guid = "1", .link = "http://example-com.localhost/a/one",
			    .published = NONE, .updated = NONE },
			{ .guid = "2", .link = "http://example-com.localhost/a/b/two",
			    .published = NONE, .updated = NONE },
		},
	},
};

static char *
fixture_read(const char *name, size_t *len)
{
	char *path, *data;
	FILE *f;
	long size;

	xasprintf(&path, "%s%s", DIR, name);
	if ((f = fopen(path, "rb")) == NULL)
		fail_msg("cannot open %s", path);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	size = ftell(f);
	assert_true(size >= 0);
	rewind(f);
	data = xmalloc((size_t)size + 1);
	assert_int_equal(fread(data, 1, (size_t)size, f), (size_t)size);
	data[size] = '\0';
	fclose(f);
	free(path);
	*len = (size_t)size;
	return data;
}

static void
check_str(const char *what, size_t i, const char *got, const char *want)
{
	if (want == NULL && got == NULL)
		return;
	if (want == NULL || got == NULL || strcmp(got, want) != 0)
		fail_msg("%s (item %zu): got \"%s\", want \"%s\"", what, i,
		    got != NULL ? got : "(null)", want != NULL ? want : "(null)");
}

static void
check_time(const char *what, size_t i, int64_t got, int64_t want)
{
	if (got != want)
		fail_msg("%s (item %zu): got %lld, want %lld", what, i,
		    (long long)got, (long long)want);
}

static void
check_item(size_t i, const struct item *got, const struct want_item *want)
{
	size_t n;

	check_str("guid", i, got->guid, want->guid);
	check_str("link", i, got->link, want->link);
	check_str("title", i, got->title, want->title);
	check_str("author", i, got->author, want->author);
	check_str("summary", i, got->summary, want->summary);
	check_str("content", i, got->content, want->content);
	check_time("published", i, got->published, want->published);
	check_time("updated", i, got->updated, want->updated);
	for (n = 0; n < MAXCAT && want->categories[n] != NULL; n++)
		;
	if (got->ncategories != n)
		fail_msg("categories (item %zu): got %zu, want %zu", i,
		    got->ncategories, n);
	for (n = 0; n < got->ncategories; n++)
		check_str("category", i, got->categories[n],
		    want->categories[n]);
}

static struct feed *
parse_case(const struct feed_case *c, char **cause)
{
	struct feed *f;
	char *data;
	size_t len;

	if (c->file != NULL)
		data = fixture_read(c->file, &len);
	else {
		data = xstrdup(c->data);
		len = strlen(data);
	}
	f = parse_feed(data, len, &c->ctx, cause);
	free(data);
	return f;
}

static void
test_feed_case(void **state)
{
	const struct feed_case *c = *state;
	struct feed *f;
	char *cause = NULL;
	size_t i;

	if ((f = parse_case(c, &cause)) == NULL)
		fail_msg("%s: %s", c->name, cause);
	assert_null(cause);
	check_str("feed title", 0, f->title, c->title);
	check_str("feed link", 0, f->link, c->link);
	check_str("feed lang", 0, f->lang, c->lang);
	assert_int_equal(f->nitems, c->nitems);
	for (i = 0; i < f->nitems; i++)
		check_item(i, &f->items[i], &c->items[i]);
	parse_feed_free(f);
}

/* Documents that are no feed at all. */
static const struct {
	const char *name;
	const char *file;
	const char *data;
	const char *cause;
} refused[] = {
	{ "empty body", NULL, "", "empty document" },
	{ "white space", NULL, " \r\n\t ", "empty document" },
	{ "html page", "page.html", NULL, "not a feed: root element <html>" },
	{ "plain text", "text.txt", NULL,
	    "not XML: Document is empty" },
	{ "json feed", NULL, "{\"version\": \"https://jsonfeed.org/version/1\","
	    " \"items\": []}", "not XML: Document is empty" },
	{ "other xml", NULL, "<?xml version=\"1.0\"?><opml><body/></opml>",
	    "not a feed: root element <opml>" },
	{ "atom root in a foreign namespace", NULL,
	    "<feed xmlns=\"http://example-com.localhost/ns\"><entry/></feed>",
	    "not a feed: root element <feed>" },
	{ "billion laughs", "billion-laughs.xml", NULL,
	    "refused: entity reference loop" },
};

static void
test_refused(void **state)
{
	struct parse_context ctx = { NULL, NULL, NULL };
	struct feed *f;
	char *data, *cause;
	size_t i, len;

	(void)state;
	for (i = 0; i < nitems(refused); i++) {
		if (refused[i].file != NULL)
			data = fixture_read(refused[i].file, &len);
		else {
			data = xstrdup(refused[i].data);
			len = strlen(data);
		}
		cause = NULL;
		f = parse_feed(data, len, &ctx, &cause);
		free(data);
		if (f != NULL)
			fail_msg("%s: parsed as a feed", refused[i].name);
		if (cause == NULL || strcmp(cause, refused[i].cause) != 0)
			fail_msg("%s: cause \"%s\", want \"%s\"",
			    refused[i].name, cause, refused[i].cause);
		free(cause);
	}
	/* A NULL context is allowed too. */
	cause = NULL;
	assert_null(parse_feed("", 0, NULL, &cause));
	assert_string_equal(cause, "empty document");
	free(cause);
	/* So is a caller that does not want the cause. */
	assert_null(parse_feed("<html/>", 7, NULL, NULL));
}

/* The same bytes without the HTTP charset are not read as Arabic. */
static void
test_wrong_declaration_alone(void **state)
{
	struct feed *f;
	char *data, *cause = NULL;
	size_t len;

	(void)state;
	data = fixture_read("win1256-wrongdecl.xml", &len);
	f = parse_feed(data, len, NULL, &cause);
	free(data);
	assert_non_null(f);
	assert_non_null(f->title);
	assert_string_not_equal(f->title, AR_TITLE);
	/* ISO-8859-1 as declared: windows-1256 0xC3 (alef with hamza) is Ã. */
	assert_memory_equal(f->title, "\xc3\x83", 2);
	parse_feed_free(f);
}

/*
 * Text that is all an item's element holds is kept aside while the item is
 * open (parse_end_element): every way of reading it reads the same, and
 * what is not read (unknown elements, items past the cap, an item cut off
 * by the end of the bytes) is freed, which the sanitizer build checks.
 */
static void
test_item_text_aside(void **state)
{
	static const char rss[] =
	    "<rss version=\"2.0\"><channel><title>t</title>"
	    "<item><title>one &amp; <![CDATA[two]]></title>"
	    "<body xmlns=\"http://www.w3.org/1999/xhtml\">a &lt;b&gt; c</body>"
	    "<author>jo@example-com.localhost (Jo)</author><unknown>u</unknown>"
	    "<guid isPermaLink=\"false\">g1</guid></item>"
	    "<item><title>open</title><guid>g2</guid><x>y</x>";
	static const char atom[] =
	    "<feed xmlns=\"http://www.w3.org/2005/Atom\"><title>f</title>"
	    "<entry><title type=\"html\">&lt;b&gt;T&lt;/b&gt;</title>"
	    "<author>only text</author><id> i1 </id>"
	    "<content type=\"xhtml\">plain</content>"
	    "<link href=\"http://example-com.localhost/a\">ignored</link></entry>"
	    "<entry><id>i2</id><x>y</x>";
	struct feed *f;
	char *cause = NULL;

	(void)state;
	f = parse_feed(rss, sizeof rss - 1, NULL, &cause);
	assert_non_null(f);
	assert_int_equal(f->nitems, 1);
	assert_string_equal(f->items[0].title, "one & two");
	assert_string_equal(f->items[0].content, "a &lt;b&gt; c");
	assert_string_equal(f->items[0].author, "Jo");
	assert_string_equal(f->items[0].guid, "g1");
	parse_feed_free(f);
	free(cause);
	cause = NULL;

	f = parse_feed(atom, sizeof atom - 1, NULL, &cause);
	assert_non_null(f);
	assert_int_equal(f->nitems, 1);
	assert_string_equal(f->items[0].title, "T");
	assert_null(f->items[0].author);
	assert_string_equal(f->items[0].guid, "i1");
	assert_string_equal(f->items[0].content, "plain");
	assert_string_equal(f->items[0].link, "http://example-com.localhost/a");
	parse_feed_free(f);
	free(cause);
}

/* One document, parsed: the feed, which must be there. */
static struct feed *
light_parse(const char *doc)
{
	struct feed *f;
	char *cause = NULL;

	f = parse_feed(doc, strlen(doc), NULL, &cause);
	assert_non_null(f);
	free(cause);
	return f;
}

/* The plain-text collapse of white space, the simple way: the reference. */
static char *
collapse_reference(const char *s)
{
	char *out = xmalloc(strlen(s) + 1), *w = out;
	int space = 0;

	for (; *s != '\0'; s++) {
		if (strchr(" \t\n\r\f\v", *s) != NULL) {
			space = 1;
			continue;
		}
		if (space && w != out)
			*w++ = ' ';
		space = 0;
		*w++ = *s;
	}
	*w = '\0';
	return out;
}

/*
 * Titles whose white space falls everywhere around the 16-byte steps of
 * the collapse: single spaces, runs, tabs and newlines, at each offset,
 * as an item's title (a light kid) reads it.
 */
static void
test_collapse_steps(void **state)
{
	static const char *ws[] = { " ", "  ", "\n", " \n ", "\t", "\r\n\t " };
	struct buf doc, want;
	struct feed *f;
	char *ref;
	size_t i, k, n = 0, off;

	(void)state;
	buf_init(&doc);
	buf_adds(&doc, "<rss version=\"2.0\"><channel><title>t</title>");
	for (i = 0; i < nitems(ws); i++) {
		for (off = 0; off < 33; off++) {
			buf_adds(&doc, "<item><title>");
			for (k = 0; k < 3; k++) {
				buf_add(&doc, "abcdefghijklmnopqrstuvwxyz0123456789"
				    "ABCDEFGHIJ", off + k * 7);
				buf_adds(&doc, ws[(i + k) % nitems(ws)]);
				buf_adds(&doc, k == 1 ? "x y" : "z");
			}
			buf_adds(&doc, ws[i]);
			buf_adds(&doc, "</title></item>");
			n++;
		}
	}
	buf_adds(&doc, "</channel></rss>");
	f = light_parse(doc.data);
	assert_int_equal(f->nitems, n);
	n = 0;
	for (i = 0; i < nitems(ws); i++) {
		for (off = 0; off < 33; off++) {
			buf_init(&want);
			for (k = 0; k < 3; k++) {
				buf_add(&want, "abcdefghijklmnopqrstuvwxyz0123456789"
				    "ABCDEFGHIJ", off + k * 7);
				buf_adds(&want, ws[(i + k) % nitems(ws)]);
				buf_adds(&want, k == 1 ? "x y" : "z");
			}
			ref = collapse_reference(want.data);
			assert_string_equal(f->items[n].title, ref);
			free(ref);
			buf_free(&want);
			n++;
		}
	}
	parse_feed_free(f);
	buf_free(&doc);
}

/*
 * The elements of an item without attributes get no node of libxml2's
 * while only text comes (parse_start_element); anything else in one makes
 * it the element it would have been, half way, and every way of reading
 * it reads what the tree gave.
 */
static void
test_light_kids_become_real(void **state)
{
	struct feed *f;

	(void)state;
	/* Text, then an element; a comment; an entity declared on the spot. */
	f = light_parse(
	    "<rss version=\"2.0\"><channel><title>t</title><item>"
	    "<title>one <b>two</b> three</title>"
	    "<description>a<!-- c -->b</description>"
	    "<author>x &eacute; y</author>"
	    "<category>c1 <![CDATA[<c2>]]> c3</category>"
	    "<comments>a<?pi x?>b</comments></item></channel></rss>");
	assert_int_equal(f->nitems, 1);
	assert_string_equal(f->items[0].title, "one two three");
	assert_string_equal(f->items[0].summary, "ab");
	assert_string_equal(f->items[0].author, "x \xc3\xa9 y");
	assert_int_equal(f->items[0].ncategories, 1);
	assert_string_equal(f->items[0].categories[0], "c1 <c2> c3");
	parse_feed_free(f);

	/* An entity of the DTD, with markup: its first and its later uses. */
	f = light_parse(
	    "<!DOCTYPE rss [<!ENTITY e \"E<i>I</i>\">]>"
	    "<rss version=\"2.0\"><channel><item><title>a &e; b</title>"
	    "<description>&e;</description><link>http://e.localhost/</link>"
	    "</item><item><title>&e;</title></item></channel></rss>");
	assert_int_equal(f->nitems, 2);
	assert_string_equal(f->items[0].title, "a EI b");
	assert_string_equal(f->items[0].summary, "EI");
	assert_string_equal(f->items[0].link, "http://e.localhost/");
	assert_string_equal(f->items[1].title, "EI");
	parse_feed_free(f);

	/* Text past what libxml2 gets in one piece: the real element's. */
	{
		struct buf b;
		size_t i;

		buf_init(&b);
		buf_adds(&b, "<rss><channel><item><description>");
		for (i = 0; i < 20000; i++)
			buf_adds(&b, "word ");
		buf_adds(&b, "end</description><title>t</title></item>"
			     "</channel></rss>");
		f = light_parse(b.data);
		assert_int_equal(f->nitems, 1);
		assert_int_equal(strlen(f->items[0].summary), 20000 * 5 + 3);
		assert_string_equal(f->items[0].title, "t");
		parse_feed_free(f);
		buf_free(&b);
	}
}

/* CDATA, light and real kids mixed, and which of several values counts. */
static void
test_light_kids_order(void **state)
{
	struct feed *f;

	(void)state;
	f = light_parse(
	    "<rss version=\"2.0\" "
	    "xmlns:dc=\"http://purl.org/dc/elements/1.1/\"><channel><item>"
	    "<title><![CDATA[<b>&amp;</b>]]></title>"
	    "<description><![CDATA[<p>x</p>]]></description>"
	    "<category domain=\"d\">real</category><category>light</category>"
	    "<category>real</category><link>first</link>"
	    "<guid isPermaLink=\"false\">g1</guid><guid>g2</guid>"
	    "<link>http://e.localhost/second</link><title>dup</title>"
	    "<dc:creator>dc</dc:creator><author>a@e.localhost (A)</author>"
	    "<pubDate>Mon, 01 Jan 2024 00:00:00 GMT</pubDate>"
	    "<pubDate>Tue, 02 Jan 2024 00:00:00 GMT</pubDate>"
	    "<empty/><dc:date>2024-01-03T00:00:00Z</dc:date>"
	    "</item></channel></rss>");
	assert_int_equal(f->nitems, 1);
	/* A title that is plainly HTML is read as such. */
	assert_string_equal(f->items[0].title, "&");
	assert_string_equal(f->items[0].summary, "<p>x</p>");
	assert_int_equal(f->items[0].ncategories, 2);
	assert_string_equal(f->items[0].categories[0], "real");
	assert_string_equal(f->items[0].categories[1], "light");
	assert_string_equal(f->items[0].link, "http://e.localhost/second");
	assert_string_equal(f->items[0].guid, "g1");
	assert_string_equal(f->items[0].author, "dc");
	assert_int_equal(f->items[0].published, 1704067200);
	assert_int_equal(f->items[0].updated, 1704240000);
	parse_feed_free(f);

	/* Atom: an entry's kids with and without attributes. */
	f = light_parse(
	    "<feed xmlns=\"http://www.w3.org/2005/Atom\">"
	    "<entry><id>i1</id><title type=\"html\">&lt;b&gt;T&lt;/b&gt;"
	    "</title><title>second</title><summary>s &amp; s</summary>"
	    "<link href=\"http://e.localhost/a\"/><link>ignored</link>"
	    "<author><name>N</name></author><updated>2024-01-02T00:00:00Z"
	    "</updated></entry></feed>");
	assert_int_equal(f->nitems, 1);
	assert_string_equal(f->items[0].guid, "i1");
	assert_string_equal(f->items[0].title, "T");
	assert_string_equal(f->items[0].summary, "s &amp; s");
	assert_string_equal(f->items[0].link, "http://e.localhost/a");
	assert_string_equal(f->items[0].author, "N");
	assert_int_equal(f->items[0].updated, 1704153600);
	parse_feed_free(f);
}

/*
 * xml:base of the item (and the channel) for a light kid's link and guid;
 * an item cut off by the end of the bytes inside a light kid; a start tag
 * that libxml2 drops for want of its '>'.
 */
static void
test_light_kids_edges(void **state)
{
	struct feed *f;
	int on;

	(void)state;
	f = light_parse(
	    "<rss version=\"2.0\"><channel "
	    "xml:base=\"http://example-com.localhost/a/\"><title>t</title>"
	    "<item xml:base=\"dir/\"><link>page.html</link>"
	    "<guid>g.html</guid></item>"
	    "<item><link>other.html</link></item>"
	    "<item><title>open</title><link>x</link><description>half");
	assert_int_equal(f->nitems, 2);
	assert_string_equal(
	    f->items[0].link, "http://example-com.localhost/a/dir/page.html");
	assert_string_equal(
	    f->items[0].guid, "http://example-com.localhost/a/dir/g.html");
	assert_string_equal(
	    f->items[1].link, "http://example-com.localhost/a/other.html");
	parse_feed_free(f);

	/* Cut off right after a light kid's start, and after its end. */
	f = light_parse("<rss><channel><item><title>a</title></item>"
			"<item><title>");
	assert_int_equal(f->nitems, 1);
	assert_string_equal(f->items[0].title, "a");
	parse_feed_free(f);
	f = light_parse("<rss><channel><item><title>a</title></item>"
			"<item><title>b</title>");
	assert_int_equal(f->nitems, 1);
	parse_feed_free(f);

	/*
	 * "<title \"x\">": libxml2 reports the element, then drops it for
	 * want of its '>'; its end tag then ends the item, whose link goes
	 * to the channel.
	 */
	f = light_parse(
	    "<rss version=\"2.0\"><channel><title>t</title><item>"
	    "<title \"x\">T</title><link>http://e.localhost/3</link></item>"
	    "<item><title>next</title></item></channel></rss>");
	assert_int_equal(f->nitems, 2);
	assert_null(f->items[0].title);
	assert_null(f->items[0].link);
	assert_string_equal(f->link, "http://e.localhost/3");
	assert_string_equal(f->items[1].title, "next");
	parse_feed_free(f);

	/*
	 * A start tag dropped for want of its '>' leaves its xmlns="..." in
	 * libxml2's parser, not in the tree: the tree's entry and title have
	 * no namespace (Atom by the root), and so has a light kid (found by
	 * fuzz_parse, which parses both ways). Both ways, the same title; and
	 * likewise for a prefix declared there (p:title is a title without
	 * namespace in the tree, the first of the two).
	 */
	for (on = 1; on >= 0; on--) {
		parse_light_kids(on);
		f = light_parse("\n<feed><l xmlns=\"n<entry><title>Z</</");
		assert_int_equal(f->nitems, 1);
		assert_string_equal(f->items[0].title, "Z");
		parse_feed_free(f);
		f = light_parse("<feed><l xmlns:p=\"u<entry><p:title>Z</p:title>"
				"<title type=\"text\" p:x=\"1\">T</title></entry>");
		assert_int_equal(f->nitems, 1);
		assert_string_equal(f->items[0].title, "Z");
		parse_feed_free(f);
	}
	parse_light_kids(1);
}

/*
 * Light kids with attributes: values as they are in the bytes are kept
 * aside; one with a reference in a value, an undeclared prefix or more
 * attributes than kept is an element from its start; xml:base of a light
 * kid's own; an attribute-bearing kid that becomes real half way.
 */
static void
test_light_kids_attributes(void **state)
{
	struct feed *f;

	(void)state;
	f = light_parse(
	    "<feed xmlns=\"http://www.w3.org/2005/Atom\" "
	    "xmlns:x=\"urn:x\" xml:base=\"http://e.localhost/feed/\">"
	    "<entry><title type=\"html\" x:a=\"1\">&lt;i&gt;A&lt;/i&gt;</title>"
	    "<link rel=\"self\" href=\"self\"/>"
	    "<link rel=\"alternate\" type=\"text/html\" xml:base=\"/b/\" "
	    "href=\"page?a=1\"/>"
	    "<category term=\"c &amp; d\"/><category term=\"plain\" "
	    "scheme=\"s\"/><category y:term=\"undeclared\" term=\"u\"/>"
	    "<content type=\"xhtml\"><div "
	    "xmlns=\"http://www.w3.org/1999/xhtml\">"
	    "<p class=\"k\">x &amp; <b>y</b></p></div></content>"
	    "<summary type=\"text\" a=\"1\" b=\"2\" c=\"3\" d=\"4\" e=\"5\" "
	    "f=\"6\" g=\"7\" h=\"8\" i=\"9\">nine</summary>"
	    "<id>  i1  </id></entry>"
	    "<entry><link href=\"a?x=1&amp;y=2\"/><title type=\"text\">"
	    "t<!-- c -->u</title><content type=\"html\" src=\"out\">x</content>"
	    "</entry></feed>");
	assert_int_equal(f->nitems, 2);
	assert_string_equal(f->items[0].title, "A");
	assert_string_equal(f->items[0].link, "http://e.localhost/b/page?a=1");
	assert_int_equal(f->items[0].ncategories, 3);
	assert_string_equal(f->items[0].categories[0], "c & d");
	assert_string_equal(f->items[0].categories[1], "plain");
	assert_string_equal(f->items[0].categories[2], "u");
	assert_string_equal(
	    f->items[0].content, "<p class=\"k\">x &amp; <b>y</b></p>");
	assert_string_equal(f->items[0].summary, "nine");
	assert_string_equal(f->items[0].guid, "i1");
	assert_string_equal(f->items[1].link, "http://e.localhost/feed/a?x=1&y=2");
	assert_string_equal(f->items[1].title, "tu");
	assert_null(f->items[1].content);
	parse_feed_free(f);

	/* RSS: guid isPermaLink, and a permalink guid's base. */
	f = light_parse(
	    "<rss version=\"2.0\"><channel><item "
	    "xml:base=\"http://e.localhost/d/\"><guid isPermaLink=\"false\">g1</guid>"
	    "<title>t</title></item><item><guid isPermaLink=\"true\" "
	    "xml:base=\"http://e.localhost/other/\">p.html</guid></item>"
	    "<item><enclosure url=\"http://e.localhost/m.mp3\" type=\"audio/mpeg\" "
	    "length=\"1\"/><guid isPermaLink=\"false\">g3</guid></item>"
	    "</channel></rss>");
	assert_int_equal(f->nitems, 3);
	assert_string_equal(f->items[0].guid, "g1");
	assert_null(f->items[0].link);
	assert_string_equal(f->items[1].guid, "http://e.localhost/other/p.html");
	assert_string_equal(f->items[1].link, "http://e.localhost/other/p.html");
	assert_string_equal(f->items[2].guid, "g3");
	parse_feed_free(f);
}

/*
 * Attribute values that libxml2 copies (a byte past ASCII, a reference):
 * light when the copy holds no '&' and is not empty; either way the same
 * feed with light kids and without.
 */
static void
test_light_kids_copied_values(void **state)
{
	static const char *doc =
	    "<feed xmlns=\"http://www.w3.org/2005/Atom\" "
	    "xml:base=\"http://e.localhost/f/\">"
	    "<entry><category term=\"\xd8\xaa\xd9\x82\"/>"
	    "<category term=\"caf\xc3\xa9 &amp; th\xc3\xa9\"/>"
	    "<category term=\"&#233;t\xc3\xa9\" scheme=\"\xc3\xa9\"/>"
	    "<category term=\"&lt;x&gt;\"/><category term=\"&undefined;\"/>"
	    "<category term=\"  \xc3\xa9  sp  \"/>"
	    "<link rel=\"alternate\" href=\"p\xc3\xa9ge?a=1\"/>"
	    "<title type=\"t\xc3\xa9xt\">T</title>"
	    "<summary type=\"h\xc3\xa9\">s<b>half</b></summary>"
	    "<id>i</id></entry></feed>";
	struct feed *f[2];
	size_t i;
	int on;

	(void)state;
	for (on = 0; on <= 1; on++) {
		parse_light_kids(on);
		f[on] = light_parse(doc);
	}
	parse_light_kids(1);
	assert_int_equal(f[1]->nitems, 1);
	assert_int_equal(f[1]->items[0].ncategories, 5);
	assert_string_equal(f[1]->items[0].categories[0], "\xd8\xaa\xd9\x82");
	assert_string_equal(
	    f[1]->items[0].categories[1], "caf\xc3\xa9 & th\xc3\xa9");
	assert_string_equal(f[1]->items[0].categories[2], "\xc3\xa9t\xc3\xa9");
	assert_string_equal(f[1]->items[0].categories[3], "<x>");
	assert_string_equal(f[1]->items[0].categories[4], "\xc3\xa9 sp");
	assert_string_equal(
	    f[1]->items[0].link, "http://e.localhost/f/p%c3%a9ge?a=1");
	assert_int_equal(
	    f[0]->items[0].ncategories, f[1]->items[0].ncategories);
	for (i = 0; i < f[1]->items[0].ncategories; i++)
		assert_string_equal(
		    f[0]->items[0].categories[i], f[1]->items[0].categories[i]);
	assert_string_equal(f[0]->items[0].link, f[1]->items[0].link);
	/* A type past ASCII is no text type: base64, which "T" is not. */
	assert_null(f[1]->items[0].title);
	assert_null(f[0]->items[0].title);
	assert_non_null(f[1]->items[0].summary);
	assert_string_equal(f[0]->items[0].summary, f[1]->items[0].summary);
	parse_feed_free(f[0]);
	parse_feed_free(f[1]);
}

static int
contains(const char *s, const char *needle)
{
	return s != NULL && strstr(s, needle) != NULL;
}

/* Whatever the parser reads, it never holds the secret files' contents. */
static void
test_xxe_no_leak(void **state)
{
	static const char *files[] = { "xxe.xml", "xxe-dtd.xml" };
	static const char *secrets[] = { "XXE-SECRET", "DTD-WAS-LOADED" };
	struct parse_context ctx = { NULL, NULL, NULL };
	struct feed *f;
	struct item *it;
	char *data, *url, *cause = NULL;
	size_t i, j, k, len;

	(void)state;
	for (i = 0; i < nitems(files); i++) {
		xasprintf(&url, "file://%s%s", DIR, files[i]);
		ctx.url = url;
		data = fixture_read(files[i], &len);
		f = parse_feed(data, len, &ctx, &cause);
		free(data);
		free(url);
		assert_non_null(f);
		for (k = 0; k < nitems(secrets); k++) {
			assert_false(contains(f->title, secrets[k]));
			for (j = 0; j < f->nitems; j++) {
				it = &f->items[j];
				assert_false(contains(it->title, secrets[k]));
				assert_false(contains(it->summary, secrets[k]));
				assert_false(contains(it->content, secrets[k]));
			}
		}
		parse_feed_free(f);
	}
}

static void
test_billion_laughs_fast(void **state)
{
	struct feed *f;
	char *data, *cause = NULL;
	size_t len;
	int64_t start;

	(void)state;
	data = fixture_read("billion-laughs.xml", &len);
	start = now_mono_ms();
	f = parse_feed(data, len, NULL, &cause);
	assert_true(now_mono_ms() - start < 2000);
	free(data);
	assert_null(f);
	assert_string_equal(cause, "refused: entity reference loop");
	free(cause);
}

/*
 * An item document of n items whose texts fill several of parse's blocks
 * of item text (see struct arena in parse.c); bad, when set, puts a byte
 * that is not UTF-8 and a bare '&' into item bad, so that the document is
 * read a second time, mended.
 */
static void
arena_doc(struct buf *b, int n, int bad)
{
	int i, j;

	buf_adds(b, "<rss version=\"2.0\" "
		    "xmlns:dc=\"http://purl.org/dc/elements/1.1/\"><channel>"
		    "<title>many</title>");
	for (i = 0; i < n; i++) {
		buf_printf(b, "<item><title>  title %d ", i);
		for (j = 0; j < 40; j++)
			buf_adds(b, "word\n\t ");
		if (bad && i == n / 2)
			buf_adds(b, "\xff & ");
		buf_printf(b,
		    "end</title><dc:title>second %d</dc:title>"
		    "<description>&lt;p&gt;%d",
		    i, i);
		for (j = 0; j < 100; j++)
			buf_adds(b, " text");
		buf_printf(b,
		    "&lt;/p&gt;</description>"
		    "<pubDate>Mon, 02 Jan 2006 15:04:05 GMT</pubDate>"
		    "<category>a</category><category>a</category>"
		    "<category>b%d</category>"
		    "<link>http://e.localhost/%d</link>"
		    "<link>http://e.localhost/last/%d</link>"
		    "<guid isPermaLink=\"false\">g%d</guid></item>",
		    i, i, i, i);
	}
	buf_adds(b, "</channel></rss>");
}

static void
arena_check(struct feed *f, int n, int bad)
{
	char want[1024], *w;
	int i, j;

	assert_int_equal(f->nitems, n);
	assert_string_equal(f->title, "many");
	for (i = 0; i < n; i++) {
		const struct item *it = &f->items[i];

		w = want + snprintf(want, sizeof want, "title %d ", i);
		for (j = 0; j < 40; j++)
			w += snprintf(w, 6, "word ");
		if (bad && i == n / 2)
			w += snprintf(w, 10, "\xc3\xbf & ");
		snprintf(w, 4, "end");
		assert_string_equal(it->title, want);
		w = want + snprintf(want, sizeof want, "<p>%d", i);
		for (j = 0; j < 100; j++)
			w += snprintf(w, 6, " text");
		snprintf(w, 5, "</p>");
		assert_string_equal(it->summary, want);
		assert_int_equal(it->published, 1136214245);
		assert_int_equal(it->ncategories, 2);
		assert_string_equal(it->categories[0], "a");
		snprintf(want, sizeof want, "b%d", i);
		assert_string_equal(it->categories[1], want);
		snprintf(want, sizeof want, "http://e.localhost/last/%d", i);
		assert_string_equal(it->link, want);
		snprintf(want, sizeof want, "g%d", i);
		assert_string_equal(it->guid, want);
	}
}

/*
 * Item strings kept in parse's blocks, malloc'd ones beside them, text
 * dropped there (a second title, a repeated category, a link replaced, a
 * date), a document read twice, refused after its items were read, and a
 * feed made by hand: all freed by parse_feed_free (ASan and valgrind see
 * what is not).
 */
static void
test_item_strings(void **state)
{
	struct buf b;
	struct feed *f;
	char *cause = NULL;
	int bad;

	(void)state;
	for (bad = 0; bad <= 1; bad++) {
		buf_init(&b);
		arena_doc(&b, 300, bad);
		f = parse_feed(b.data, b.len, NULL, &cause);
		assert_non_null(f);
		arena_check(f, 300, bad);
		parse_feed_free(f);
		free(cause);
		cause = NULL;
		buf_free(&b);
	}

	/* Refused after its items were read: their strings go too. */
	buf_init(&b);
	buf_adds(&b, "<?xml version=\"1.0\"?>\n<!DOCTYPE rss [<!ENTITY e \"");
	for (bad = 0; bad < 20000; bad++)
		buf_addc(&b, 'x');
	buf_adds(&b, "\">]>\n");
	arena_doc(&b, 50, 0);
	b.len -= strlen("</channel></rss>");
	buf_adds(&b, "<item><title>");
	for (bad = 0; bad < 100; bad++)
		buf_adds(&b, "&e;");
	buf_adds(&b, "</title></item></channel></rss>");
	assert_null(parse_feed(b.data, b.len, NULL, &cause));
	assert_string_equal(cause, "refused: entities expand too much");
	free(cause);
	buf_free(&b);

	/* A feed made by hand: every string its own. */
	f = xcalloc(1, sizeof *f);
	f->title = xstrdup("t");
	f->items = xcalloc(1, sizeof *f->items);
	f->nitems = 1;
	f->items[0].title = xstrdup("i");
	f->items[0].categories = xcalloc(1, sizeof *f->items[0].categories);
	f->items[0].categories[0] = xstrdup("c");
	f->items[0].ncategories = 1;
	parse_feed_free(f);
}

/*
 * Documents parsed one after another reuse parse's working buffers and a
 * block of the arena: each still reads as it does alone, whatever came
 * before (a large one whose buffers are too big to keep, a small one, one
 * refused, one that is no XML), and feeds freed out of order free it all.
 */
static void
test_documents_in_turn(void **state)
{
	static const int sizes[] = {300, 1, 40, 0, 2000, 3, 300, 1};
	struct feed *kept[nitems(sizes)];
	struct buf b;
	char *cause = NULL;
	size_t i;
	int j;

	(void)state;
	for (i = 0; i < nitems(sizes); i++) {
		buf_init(&b);
		if (sizes[i] == 0) {
			/* A title of 300 KB: its text buffer is not kept. */
			buf_adds(&b, "<rss><channel><item><title>");
			for (j = 0; j < 300 * 1024 / 8; j++)
				buf_adds(&b, "a b c d ");
			buf_adds(&b, "</title><guid>big</guid></item>"
				     "</channel></rss>");
		} else
			arena_doc(&b, sizes[i], (int)i % 2);
		kept[i] = parse_feed(b.data, b.len, NULL, &cause);
		assert_non_null(kept[i]);
		free(cause);
		cause = NULL;
		buf_free(&b);
		if (sizes[i] == 0) {
			assert_int_equal(kept[i]->nitems, 1);
			assert_string_equal(kept[i]->items[0].guid, "big");
			assert_int_equal(
			    strlen(kept[i]->items[0].title), 300 * 1024 - 1);
		} else
			arena_check(kept[i], sizes[i], (int)i % 2);
		/* Between them, nothing to keep or something to refuse. */
		assert_null(parse_feed("<a", 2, NULL, &cause));
		free(cause);
		cause = NULL;
		if (i % 3 == 2) {
			parse_feed_free(kept[i - 1]);
			kept[i - 1] = NULL;
		}
	}
	for (i = 0; i < nitems(sizes); i++) {
		if (kept[i] != NULL && sizes[i] != 0)
			arena_check(kept[i], sizes[i], (int)i % 2);
		parse_feed_free(kept[i]);
	}
}

/*
 * Items are read a batch at a time as they close: every count around the
 * batch's size reads each item as its own, with a light kid, an element
 * that gets a node, entity text and a base of its own; a document cut
 * short in a new item, or in its last item, reads the items before it and
 * not that one.
 */
static void
test_items_in_batches(void **state)
{
	static const int counts[] = {1, 15, 16, 17, 31, 32, 33, 50};
	struct buf b;
	struct feed *f;
	char want[64];
	size_t i;
	int n, j, cut;

	(void)state;
	for (i = 0; i < nitems(counts); i++) {
		for (cut = 0; cut <= 2; cut++) {
			n = counts[i];
			buf_init(&b);
			buf_adds(&b, "<!DOCTYPE rss [<!ENTITY e \"ent\">]>"
				     "<rss xml:base=\"http://e.localhost/\">"
				     "<channel><title>t</title>");
			for (j = 0; j < n; j++)
				buf_printf(&b,
				    "<item xml:base=\"d%d/\"><title>i %d "
				    "&e;</title><description "
				    "xmlns:x=\"urn:x\">s%d</description>"
				    "<link>l%d</link>%s",
				    j, j, j, j,
				    cut == 2 && j == n - 1 ? "" : "</item>");
			if (cut == 1)
				buf_adds(&b, "<item><title>open</title><li");
			else if (cut == 0)
				buf_adds(&b, "</channel></rss>");
			f = light_parse(b.data);
			assert_int_equal(f->nitems, cut == 2 ? n - 1 : n);
			for (j = 0; j < (int)f->nitems; j++) {
				snprintf(want, sizeof want, "i %d ent", j);
				assert_string_equal(f->items[j].title, want);
				snprintf(want, sizeof want, "s%d", j);
				assert_string_equal(f->items[j].summary, want);
				snprintf(want, sizeof want,
				    "http://e.localhost/d%d/l%d", j, j);
				assert_string_equal(f->items[j].link, want);
			}
			parse_feed_free(f);
			buf_free(&b);
		}
	}
}

/*
 * An Atom text construct of type text read as HTML (summary, content) is
 * escaped, and is itself when it holds nothing to escape.
 */
static void
test_text_construct_as_html(void **state)
{
	static const char doc[] =
	    "<feed xmlns=\"http://www.w3.org/2005/Atom\"><entry><id>1</id>"
	    "<summary type=\"text\"> plain  words </summary>"
	    "<content>a &lt; b &amp;amp; c &gt; d</content></entry>"
	    "<entry><id>2</id><summary>x&amp;y</summary>"
	    "<content type=\"text\">&#x5d8;&#x5d9; <![CDATA[<p>]]></content>"
	    "</entry></feed>";
	struct feed *f;

	(void)state;
	f = light_parse(doc);
	assert_int_equal(f->nitems, 2);
	assert_string_equal(f->items[0].summary, "plain  words");
	assert_string_equal(f->items[0].content, "a &lt; b &amp;amp; c &gt; d");
	assert_string_equal(f->items[1].summary, "x&amp;y");
	assert_string_equal(f->items[1].content, "\xd7\x98\xd7\x99 &lt;p&gt;");
	parse_feed_free(f);
}

/*
 * An attribute that an item's element does not have may still have a
 * default in the internal subset, which libxml2's lookup finds: content
 * typed html, a link made an enclosure.
 */
static void
test_attr_dtd_default(void **state)
{
	static const char body[] =
	    "<feed xmlns=\"http://www.w3.org/2005/Atom\"><title>f</title>"
	    "<entry><id>i1</id><content>&lt;b&gt;x&lt;/b&gt; y</content>"
	    "<link href=\"http://e.localhost/a\"/></entry></feed>";
	static const char subset[] =
	    "<!DOCTYPE feed [<!ATTLIST content type CDATA \"html\">"
	    "<!ATTLIST link rel CDATA \"enclosure\">]>";
	struct buf b;
	struct feed *f;

	(void)state;
	f = light_parse(body);
	assert_int_equal(f->nitems, 1);
	assert_string_equal(f->items[0].content, "&lt;b&gt;x&lt;/b&gt; y");
	assert_string_equal(f->items[0].link, "http://e.localhost/a");
	parse_feed_free(f);

	buf_init(&b);
	buf_adds(&b, subset);
	buf_adds(&b, body);
	f = light_parse(b.data);
	assert_int_equal(f->nitems, 1);
	assert_string_equal(f->items[0].content, "<b>x</b> y");
	assert_null(f->items[0].link);
	parse_feed_free(f);
	buf_free(&b);
}

/* One large entity referenced many times costs nothing in the tree. */
static void
test_quadratic_blowup(void **state)
{
	struct buf b;
	struct feed *f;
	char *cause = NULL;
	int64_t start;
	int i;

	(void)state;
	buf_init(&b);
	buf_adds(&b, "<?xml version=\"1.0\"?>\n<!DOCTYPE rss [<!ENTITY e \"");
	for (i = 0; i < 20000; i++)
		buf_addc(&b, 'x');
	buf_adds(&b, "\">]>\n<rss><channel><title>");
	for (i = 0; i < 20000; i++)
		buf_adds(&b, "&e;");
	buf_adds(&b, "</title></channel></rss>");
	start = now_mono_ms();
	f = parse_feed(b.data, b.len, NULL, &cause);
	assert_true(now_mono_ms() - start < 2000);
	assert_null(f);
	assert_string_equal(cause, "refused: entities expand too much");
	free(cause);
	buf_free(&b);
}

/* Feed-level schedule hints: RSS ttl, skipHours, skipDays, sy: module. */
static void
test_schedule_hints(void **state)
{
#define SY "xmlns:sy=\"http://purl.org/rss/1.0/modules/syndication/\""
	static const struct {
		const char *channel;
		int64_t ttl, period;
		uint32_t hours;
		uint8_t days;
	} cases[] = {
	    {"<ttl>60</ttl>", 3600, 0, 0, 0},
	    {"<ttl> 5 </ttl>", 300, 0, 0, 0},
	    {"<ttl>0</ttl>", 0, 0, 0, 0},
	    {"<ttl>-5</ttl>", 0, 0, 0, 0},
	    {"<ttl>soon</ttl>", 0, 0, 0, 0},
	    {"<ttl>99999999999</ttl>", 0, 0, 0, 0},
	    {"<skipHours><hour>0</hour><hour>23</hour><hour>7</hour>"
	     "<hour>x</hour><hour>25</hour></skipHours>",
		0, 0, (1U << 0) | (1U << 23) | (1U << 7), 0},
	    /* 24 is midnight to some. */
	    {"<skipHours><hour>24</hour></skipHours>", 0, 0, 1, 0},
	    {"<skipDays><day>Sunday</day><day>saturday</day>"
	     "<day>Caturday</day></skipDays>", 0, 0, 0, (1U << 0) | (1U << 6)},
	    {"<sy:updatePeriod>hourly</sy:updatePeriod>", 0, 3600, 0, 0},
	    {"<sy:updatePeriod>daily</sy:updatePeriod>"
	     "<sy:updateFrequency>4</sy:updateFrequency>", 0, 21600, 0, 0},
	    {"<sy:updateFrequency>2</sy:updateFrequency>"
	     "<sy:updatePeriod> weekly </sy:updatePeriod>", 0, 302400, 0, 0},
	    {"<sy:updatePeriod>sometimes</sy:updatePeriod>", 0, 0, 0, 0},
	    {"<sy:updatePeriod>hourly</sy:updatePeriod>"
	     "<sy:updateFrequency>0</sy:updateFrequency>", 0, 3600, 0, 0},
	    {"<sy:updatePeriod>hourly</sy:updatePeriod>"
	     "<sy:updateFrequency>100000</sy:updateFrequency>", 0, 1, 0, 0},
	    /* Only in the channel, not in an item. */
	    {"<item><title>t</title><ttl>60</ttl></item>", 0, 0, 0, 0},
	    {"", 0, 0, 0, 0},
	};
	struct feed *f;
	char *doc, *cause = NULL;

	(void)state;
	for (size_t i = 0; i < nitems(cases); i++) {
		xasprintf(&doc, "<rss version=\"2.0\" " SY "><channel>"
		    "<title>x</title>%s</channel></rss>", cases[i].channel);
		f = parse_feed(doc, strlen(doc), NULL, &cause);
		if (f == NULL)
			fail_msg("case %zu: %s", i, cause);
		if (f->ttl != cases[i].ttl || f->update_period !=
		    cases[i].period || f->skip_hours != cases[i].hours ||
		    f->skip_days != cases[i].days)
			fail_msg("case %zu: ttl %jd period %jd hours %x days %x",
			    i, (intmax_t)f->ttl, (intmax_t)f->update_period,
			    f->skip_hours, f->skip_days);
		parse_feed_free(f);
		free(doc);
	}
	/* RSS 1.0 carries the sy: module in its channel. */
	xasprintf(&doc, "<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/"
	    "22-rdf-syntax-ns#\" xmlns=\"http://purl.org/rss/1.0/\" " SY ">"
	    "<channel><title>x</title><sy:updatePeriod>daily"
	    "</sy:updatePeriod></channel></rdf:RDF>");
	f = parse_feed(doc, strlen(doc), NULL, &cause);
	assert_non_null(f);
	assert_int_equal(f->update_period, 86400);
	parse_feed_free(f);
	free(doc);
#undef SY
}

static void
test_item_cap(void **state)
{
	struct buf b;
	struct feed *f;
	char *cause = NULL;
	int i;

	(void)state;
	buf_init(&b);
	buf_adds(&b, "<rss><channel><title>many</title>");
	/* A light kid, and an element that gets a node, in each item. */
	for (i = 0; i < 10050; i++)
		buf_printf(&b,
		    "<item><title>item %d</title>"
		    "<description xmlns:x=\"urn:x\">text %d"
		    "</description></item>",
		    i, i);
	buf_adds(&b, "</channel></rss>");
	f = parse_feed(b.data, b.len, NULL, &cause);
	assert_non_null(f);
	assert_int_equal(f->nitems, 10000);
	assert_string_equal(f->items[0].title, "item 0");
	assert_string_equal(f->items[9999].title, "item 9999");
	assert_string_equal(f->items[9999].summary, "text 9999");
	parse_feed_free(f);
	buf_free(&b);
}


/*
 * Hostile documents: each must give an error or a partial feed, within a
 * time and a growth of peak memory that no real feed comes near. (Peak
 * memory is not judged under AddressSanitizer, whose quarantine holds
 * freed memory on purpose.)
 */
#if defined(__SANITIZE_ADDRESS__)
#define RSS_CHECKED 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define RSS_CHECKED 0
#endif
#endif
#ifndef RSS_CHECKED
#define RSS_CHECKED 1
#endif
#define HOSTILE_MS	5000
#define HOSTILE_MB	128

static long
peak_rss_mb(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss / 1024;
}

/* Parse, then check time and memory; returns the feed (or NULL). */
static struct feed *
hostile_parse(const char *what, const char *data, size_t len, char **cause)
{
	struct feed *f;
	int64_t start, ms;
	long before, grown;

	before = peak_rss_mb();
	start = now_mono_ms();
	f = parse_feed(data, len, NULL, cause);
	ms = now_mono_ms() - start;
	grown = peak_rss_mb() - before;
	if (ms > HOSTILE_MS)
		fail_msg("%s: %lld ms", what, (long long)ms);
	if (RSS_CHECKED && grown > HOSTILE_MB)
		fail_msg("%s: peak memory grew by %ld MB", what, grown);
	return f;
}

static void
test_deep_nesting(void **state)
{
	static const char *wrap[][2] = {
		{ "<rss><channel><item><title>t</title><description>", "" },
		{ "<feed xmlns=\"http://www.w3.org/2005/Atom\"><entry>"
		  "<content type=\"xhtml\">", "" },
		{ "", "" },
	};
	struct buf b;
	struct feed *f;
	char *cause;
	size_t i;
	int d;

	(void)state;
	for (i = 0; i < nitems(wrap); i++) {
		buf_init(&b);
		buf_adds(&b, wrap[i][0]);
		for (d = 0; d < 10000; d++)
			buf_adds(&b, "<div>");
		buf_adds(&b, "deep");
		for (d = 0; d < 10000; d++)
			buf_adds(&b, "</div>");
		cause = NULL;
		f = hostile_parse("10,000-deep nesting", b.data, b.len, &cause);
		assert_true(f != NULL || cause != NULL);
		parse_feed_free(f);
		free(cause);
		buf_free(&b);
	}
}

/* A small, fixed generator: the same bytes on every run. */
static uint32_t
xorshift(uint32_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return *x;
}

static void
test_random_bytes(void **state)
{
	static const char *prefix[] = {
		"", "<rss><channel><item><title>",
		"<?xml version=\"1.0\" encoding=\"windows-1256\"?><rss><channel>",
		"<feed xmlns=\"http://www.w3.org/2005/Atom\"><entry><title>",
	};
	static const char alphabet[] = "<>/&;#x=\"' abc\n![CDATA[]]-?";
	struct buf b;
	struct feed *f;
	char *cause;
	uint32_t x = 4;
	size_t i, round, n;

	(void)state;
	for (round = 0; round < 40; round++) {
		buf_init(&b);
		buf_adds(&b, prefix[round % nitems(prefix)]);
		/* Raw bytes, or XML's own punctuation, which goes deeper. */
		n = 1 + xorshift(&x) % (256 * 1024);
		for (i = 0; i < n; i++) {
			if (round % 2 == 0)
				buf_addc(&b, (char)(xorshift(&x) & 0xff));
			else
				buf_addc(&b, alphabet[xorshift(&x) %
				    (sizeof alphabet - 1)]);
		}
		cause = NULL;
		f = hostile_parse("random bytes", b.data, b.len, &cause);
		assert_true(f != NULL || cause != NULL);
		parse_feed_free(f);
		free(cause);
		buf_free(&b);
	}
}

/* Cut anywhere, a document gives what it has so far, or an error. */
static void
test_truncated_everywhere(void **state)
{
	static const char *files[] = { "rss2.xml", "atom.xml", "utf16.xml",
	    "win1256.xml" };
	struct feed *f;
	char *data, *cut, *cause;
	size_t i, len, n;

	(void)state;
	for (i = 0; i < nitems(files); i++) {
		data = fixture_read(files[i], &len);
		for (n = 0; n < len; n++) {
			/* A copy of just n bytes, so that ASan sees overreads. */
			cut = xmalloc(n + 1);
			memcpy(cut, data, n);
			cause = NULL;
			f = parse_feed(cut, n, NULL, &cause);
			assert_true(f != NULL || cause != NULL);
			if (f != NULL && f->nitems > 0)
				assert_non_null(f->items);
			parse_feed_free(f);
			free(cause);
			free(cut);
		}
		free(data);
	}
}

/* 16 MB of nothing but tiny elements: the tree stops growing. */
static void
test_tiny_elements(void **state)
{
	struct buf b;
	struct feed *f;
	char *cause = NULL;
	int i;

	(void)state;
	buf_init(&b);
	buf_adds(&b, "<rss><channel><title>t</title><item><title>first</title>"
	    "</item><item><description>");
	for (i = 0; i < 4 * 1024 * 1024 - 32; i++)
		buf_adds(&b, "<a/>");
	buf_adds(&b, "</description></item></channel></rss>");
	f = hostile_parse("4 million elements", b.data, b.len, &cause);
	assert_non_null(f);
	/* The second item was cut off, so only the first is read. */
	assert_int_equal(f->nitems, 1);
	assert_string_equal(f->items[0].title, "first");
	parse_feed_free(f);
	buf_free(&b);
}

/* Many small entities are many small entities: a real feed, not a bomb. */
static void
test_many_nbsp(void **state)
{
	struct buf b;
	struct feed *f;
	char *cause = NULL;
	int i;

	(void)state;
	buf_init(&b);
	buf_adds(&b, "<rss><channel><item><title>a&nbsp;b&eacute;</title>"
	    "<description>");
	for (i = 0; i < 50000; i++)
		buf_adds(&b, "x&nbsp;");
	buf_adds(&b, "</description></item></channel></rss>");
	f = hostile_parse("50,000 &nbsp;", b.data, b.len, &cause);
	assert_non_null(f);
	assert_int_equal(f->nitems, 1);
	assert_string_equal(f->items[0].title, "a\xc2\xa0" "b\xc3\xa9");
	assert_int_equal(strlen(f->items[0].summary), 50000 * 3 - 2);
	parse_feed_free(f);
	buf_free(&b);
}

/*
 * A field cut at its 4 MB limit inside a character: the lone first byte
 * left at the end becomes U+FFFD, though libxml2 reported nothing wrong.
 */
static void
test_field_cut_in_character(void **state)
{
	struct buf b;
	struct feed *f;
	const char *s;
	char *cause = NULL;
	size_t len;
	int i;

	(void)state;
	buf_init(&b);
	buf_adds(&b, "<rss><channel><item><title>t</title><description>a");
	for (i = 0; i < 2200000; i++)
		buf_adds(&b, "\xc3\xa9");
	buf_adds(&b, "</description><category>c\xc3\xa9</category>"
	    "</item></channel></rss>");
	f = parse_feed(b.data, b.len, NULL, &cause);
	assert_non_null(f);
	assert_int_equal(f->nitems, 1);
	s = f->items[0].summary;
	len = strlen(s);
	/* "a", then 2,097,151 whole characters, then the cut one. */
	assert_int_equal(len, 1 + 2 * 2097151 + 3);
	assert_memory_equal(s, "a\xc3\xa9", 3);
	assert_memory_equal(s + len - 5, "\xc3\xa9\xef\xbf\xbd", 5);
	/* And the fields after it are as they were. */
	assert_int_equal(f->items[0].ncategories, 1);
	assert_string_equal(f->items[0].categories[0], "c\xc3\xa9");
	parse_feed_free(f);
	free(cause);
	buf_free(&b);
}

/* HTML to text, the way the conformance oracle reads it. */
static const struct {
	const char *html;
	const char *text;
} html_texts[] = {
	{ "<p>Hello <b>world</b></p>", "Hello world" },
	{ "a<!-- <b>hidden</b> -->b", "ab" },
	{ "a<!-- never closed", "a" },
	{ "<![CDATA[<kept> &amp;]]> x", "<kept> &amp; x" },
	{ "<?php echo 1; ?>a<!DOCTYPE html>b", "ab" },
	{ "<a title=\"1 > 0\" href='x>y'>link</a>", "link" },
	{ "x<script>var a = '<b>';</script>y", "xy" },
	{ "x<STYLE type=\"text/css\">p {}</style >y", "xy" },
	{ "x<script/>y", "xy" },
	{ "x<script>never closed", "x" },
	{ "a<Applet code=x>b</APPLET>c", "ac" },
	{ "a<scripts>b</scripts>c<sty>d</sty>e<styles>f", "abcdef" },
	{ "a<style/>b<a href=\"/\">c</a><s>d</s>", "abcd" },
	{ "1 < 2 and 3 <4", "1 < 2 and 3 <4" },
	{ "caf&eacute; &amp; &lt;tag&gt; &apos;q&apos;", "café & <tag> 'q'" },
	{ "&#233;&#xE9;&#XE9;", "ééé" },
	{ "&#0; &#xD800; &#x110000;", "\xef\xbf\xbd \xef\xbf\xbd \xef\xbf\xbd" },
	{ "&#147;smart&#148; &#128;", "“smart” €" },
	{ "&bogus; &amp &#; &#x; & alone", "&bogus; &amp &#; &#x; & alone" },
	{ "&EACUTE;", "&EACUTE;" },
	{ "  lots \n\t of   space  ", "lots of space" },
	{ "<b></b>", NULL },
	{ "", NULL },
	{ "<unclosed tag", NULL },
	{ "text<br/>more", "textmore" },
	/* Runs of sixteen bytes and more, single spaces inside them. */
	{ "one two three four five six seven <b>eight</b> nine ten",
	    "one two three four five six seven eight nine ten" },
	{ "abcdefghijklmno \tp abcdefghijklmn  o abcdefghijklmno &amp; x",
	    "abcdefghijklmno p abcdefghijklmn o abcdefghijklmno & x" },
	{ "abcdefghijklmn <b>x</b> abcdefghijklmno <i> y</i>z",
	    "abcdefghijklmn x abcdefghijklmno yz" },
};

/*
 * Words and white space of every kind at every offset against the sixteen
 * bytes html_text_put reads at a time: each run of white space is one space.
 */
static void
test_html_text_spaces(void **state)
{
	/* A gap in HTML, and what it is in text. */
	static const struct {
		const char *html, *text;
	} gaps[] = {
		{ " ", " " }, { "  ", " " }, { "\t", " " }, { " \n", " " },
		{ "\r\n ", " " }, { " <b>", " " }, { "<b> ", " " },
		{ " &amp; ", " & " }, { "&#32;", " " }, { " <!-- c --> ", " " },
		{ "<i>", "" }, { "&amp;", "&" },
	};
	char html[512], want[512], *got;
	size_t i, g, k, j, len, hn, wn;

	(void)state;
	for (i = 0; i < 40; i++) {
		for (g = 0; g < nitems(gaps); g++) {
			hn = wn = 0;
			for (k = 0; k < 12; k++) {
				/* Words of 1 to 7 letters, shifted by i. */
				len = 1 + (i + k * 3) % 7;
				for (j = 0; j < len; j++)
					html[hn++] = want[wn++] = (char)('a' + j);
				hn += (size_t)snprintf(html + hn,
				    sizeof html - hn, "%s",
				    gaps[(g + k) % nitems(gaps)].html);
				wn += (size_t)snprintf(want + wn,
				    sizeof want - wn, "%s",
				    gaps[(g + k) % nitems(gaps)].text);
			}
			/* The last gap's space is trimmed. */
			while (wn > 0 && want[wn - 1] == ' ')
				wn--;
			want[wn] = '\0';
			got = parse_html_text(html);
			if (got == NULL || strcmp(got, want) != 0)
				fail_msg("\"%s\": got \"%s\", want \"%s\"",
				    html, got ? got : "(null)", want);
			free(got);
		}
	}
}

static void
test_html_text(void **state)
{
	char *got;
	size_t i;

	(void)state;
	for (i = 0; i < nitems(html_texts); i++) {
		got = parse_html_text(html_texts[i].html);
		if ((got == NULL) != (html_texts[i].text == NULL) ||
		    (got != NULL && strcmp(got, html_texts[i].text) != 0))
			fail_msg("\"%s\": got \"%s\", want \"%s\"",
			    html_texts[i].html, got ? got : "(null)",
			    html_texts[i].text ? html_texts[i].text : "(null)");
		free(got);
	}
}

/*
 * parse_html_text_json's string for html: what buf_add_json_utf8 makes of
 * parse_html_text's text, or null. Fails the test when the one pass wrote
 * anything else, or touched what b held before.
 */
static void
html_json_check(const char *html)
{
	struct buf got, want;
	char *text;

	buf_init(&got);
	buf_init(&want);
	/* Something before it, as in a line of `feedmux parse`. */
	buf_adds(&got, "{\"k\":");
	buf_adds(&want, "{\"k\":");
	parse_html_text_json(&got, html);
	text = parse_html_text(html);
	buf_add_json_utf8(&want, text, text != NULL ? strlen(text) : 0);
	free(text);
	if (got.len != want.len || memcmp(got.data, want.data, got.len) != 0 ||
	    got.data[got.len] != '\0')
		fail_msg("\"%s\": got %s, want %s", html, got.data, want.data);
	buf_free(&got);
	buf_free(&want);
}

/* HTML to text written as JSON in one pass, and what it must give. */
static const struct {
	const char *html;
	const char *json;
} html_jsons[] = {
	{ "a\"b\\c", "\"a\\\"b\\\\c\"" },
	{ "\x01x\x08 \x0e\x7f", "\"\\u0001x\\u0008 \\u000e\x7f\"" },
	/* U+001C to U+001F, U+2028 and U+2029 are trimmed at the ends. */
	{ "\x1c\x1fx\x1ey\x1f", "\"x\\u001ey\"" },
	{ "&#x2028;a&#x2029;b\xe2\x80\xa8 &#x2029;", "\"a\\u2029b\"" },
	{ "\xe2\x80\xa8\xe2\x80\x99q\xe2\x80\xa9z", "\"\xe2\x80\x99q\\u2029z\"" },
	{ " &nbsp; x\xc2\xa0y &#160;\xe3\x80\x80", "\"x\xc2\xa0y\"" },
	{ "&quot;&#92;&#1;&#28;&#10;&#9;z", "\"\\\"\\\\\\u0001\\u001c z\"" },
	/* A backslash and "u2028" are text, not an escape, at either end. */
	{ "\\u2028", "\"\\\\u2028\"" },
	{ "\\\\u001c", "\"\\\\\\\\u001c\"" },
	{ "x\\\xe2\x80\xa8", "\"x\\\\\"" },
	{ "<script>\"\\</script>\"<style>\x01</style>\\", "\"\\\"\\\\\"" },
	{ "<![CDATA[\"\\\x01 \xe2\x80\xa8\t]]>x", "\"\\\"\\\\\\u0001 \\u2028 x\"" },
	{ "<b> </b>&nbsp;\x1c", "null" },
	{ "", "null" },
	{ "\"", "\"\\\"\"" },
	{ "0123456789abcd\xe2\x80\xa8y", "\"0123456789abcd\\u2028y\"" },
	{ "0123456789abc\"\xe2\x80\xa9yyyyyyyyyyyyyyyyyy",
	    "\"0123456789abc\\\"\\u2029yyyyyyyyyyyyyyyyyy\"" },
};

static void
test_html_text_json(void **state)
{
	static const char *pieces[] = {
		"a", "bc", "defghij", " ", "  ", "\t\n", "\"", "\\", "\x01",
		"\x1c", "\x1f", "\x7f", "\xe2\x80\xa8", "\xe2\x80\xa9",
		"\xe2\x80\x99", "\xe2\x80\xaf", "\xc2\xa0", "\xc2\x85",
		"\xe3\x80\x80", "\xf0\x9f\x98\x80", "\xc3\xa9", "&nbsp;",
		"&#x2028;", "&#1;", "&#28;", "&quot;", "&#92;", "&#10;",
		"&amp;", "&bogus;", "<b>", "</b>", "<script>x\"</script>",
		"<style>\\</style>", "<![CDATA[\"\\\x01 \xe2\x80\xa8]]>",
		"<!-- \" -->", "<", "&", "\\u2028", "\\u001c", "\\\\",
	};
	struct buf b;
	char html[1024];
	size_t i, k, n, len;
	unsigned long r = 1;

	(void)state;
	buf_init(&b);
	for (i = 0; i < nitems(html_jsons); i++) {
		buf_reset(&b);
		parse_html_text_json(&b, html_jsons[i].html);
		if (strcmp(b.data, html_jsons[i].json) != 0)
			fail_msg("\"%s\": got %s, want %s", html_jsons[i].html,
			    b.data, html_jsons[i].json);
		html_json_check(html_jsons[i].html);
	}
	buf_reset(&b);
	parse_html_text_json(&b, NULL);
	assert_string_equal(b.data, "null");
	for (i = 0; i < nitems(html_texts); i++)
		html_json_check(html_texts[i].html);
	/* Pieces in random order, so that each falls on every offset. */
	for (i = 0; i < 30000; i++) {
		r = r * 6364136223846793005UL + 1442695040888963407UL;
		n = 1 + (r >> 33) % 40;
		for (len = 0, k = 0; k < n && len < sizeof html - 64; k++) {
			r = r * 6364136223846793005UL + 1442695040888963407UL;
			len += (size_t)snprintf(html + len, sizeof html - len,
			    "%s", pieces[(r >> 33) % nitems(pieces)]);
		}
		html_json_check(html);
	}
	/* Escapes six times as long as their bytes: b grows on the way. */
	memset(html, 0x01, 1000);
	html[1000] = '\0';
	html_json_check(html);
	for (i = 0; i + 4 < 1000; i += 4)
		memcpy(html + i, "&#1;", 4);
	html_json_check(html);
	buf_free(&b);
}

/*
 * What parse_html_text_json and parse_html_text make of html with text
 * copied 32 bytes at a time (where the CPU has AVX2) and 16 at a time: the
 * same, and the same as the two passes.
 */
static void
html_wide_check(const char *html)
{
	struct buf wide, narrow;
	char *tw, *tn;

	buf_init(&wide);
	buf_init(&narrow);
	parse_html_wide(1);
	parse_html_text_json(&wide, html);
	tw = parse_html_text(html);
	parse_html_wide(0);
	parse_html_text_json(&narrow, html);
	tn = parse_html_text(html);
	parse_html_wide(1);
	if (strcmp(wide.data, narrow.data) != 0)
		fail_msg("\"%s\": got %s, want %s", html, wide.data,
		    narrow.data);
	if ((tw == NULL) != (tn == NULL) || (tw != NULL && strcmp(tw, tn) != 0))
		fail_msg("\"%s\": got \"%s\", want \"%s\"", html,
		    tw ? tw : "(null)", tn ? tn : "(null)");
	html_json_check(html);
	free(tw);
	free(tn);
	buf_free(&wide);
	buf_free(&narrow);
}

/*
 * Long runs of text, which html_text_run copies 32 bytes at a time, with
 * each kind of byte that ends a run at every offset in them, near their
 * end and far from it.
 */
static void
test_html_text_wide(void **state)
{
	static const char *stops[] = {
		"<b>", "&amp;", "&nbsp;", "\"", "\\", "\x01", "\x1f", " ",
		"  ", " \n", "\t", "\n", "\xe2\x80\xa8", "\xe2\x80\xa9",
		"\xe2\x80\x99", "\xe2\x82\xac", "\xc3\xa9", "\x7f", "&",
		"<", "<!-- x -->", "<![CDATA[\"\\ ]]>", "&#x2028;", "&#1;",
	};
	char html[512];
	size_t i, o, t, len, k;
	unsigned long r = 7;

	(void)state;
	for (o = 0; o < 100; o++) {
		for (i = 0; i < nitems(stops); i++) {
			for (t = 0; t < 70; t += 23) {
				len = 0;
				for (k = 0; k < o; k++)
					html[len++] = (char)('a' + k % 26);
				len += (size_t)snprintf(html + len,
				    sizeof html - len, "%s", stops[i]);
				/* t letters after it: the end near or far. */
				for (k = 0; k < t; k++)
					html[len++] = (char)('A' + k % 26);
				html[len] = '\0';
				html_wide_check(html);
			}
		}
	}
	/* Words of up to 80 letters and stops, in random order. */
	for (i = 0; i < 20000; i++) {
		len = 0;
		while (len < sizeof html - 100) {
			r = r * 6364136223846793005UL + 1442695040888963407UL;
			if ((r >> 40) % 3 == 0) {
				len += (size_t)snprintf(html + len,
				    sizeof html - len, "%s",
				    stops[(r >> 33) % nitems(stops)]);
				continue;
			}
			for (k = (r >> 33) % 80; k > 0; k--)
				html[len++] = (char)('a' + k % 26);
			if ((r >> 50) % 16 == 0)
				break;
		}
		html[len] = '\0';
		html_wide_check(html);
	}
}

/*
 * Where a tag ends, byte by byte: a quote opens a value when the last byte
 * before it but white space is '='. The model html_text_put's faster scan
 * must agree with.
 */
static const char *
tag_end_model(const char *p)
{
	char quote = 0, prev = 0;

	for (p++; *p != '\0'; p++) {
		if (quote != 0) {
			if (*p == quote) {
				quote = 0;
				prev = *p;
			}
			continue;
		}
		if (*p == '>')
			return p + 1;
		if ((*p == '"' || *p == '\'') && prev == '=')
			quote = *p;
		else if (*p != ' ' && *p != '\t')
			prev = *p;
	}
	return p;
}

/*
 * Tags of quotes, '=', '>', white space and letters, at every length up to
 * 60 bytes: the text after one is what follows the end tag_end_model finds.
 */
static void
test_html_tag_ends(void **state)
{
	static const char alphabet[] = "ab=\"'> \t";
	char html[128], want[128], *got;
	const char *end;
	size_t i, k, n, w;
	unsigned long r = 7;

	(void)state;
	for (i = 0; i < 40000; i++) {
		r = r * 6364136223846793005UL + 1442695040888963407UL;
		n = (r >> 33) % 60;
		memcpy(html, "x<a", 3);
		for (k = 0; k < n; k++) {
			r = r * 6364136223846793005UL + 1442695040888963407UL;
			html[3 + k] = alphabet[(r >> 33) % (sizeof alphabet - 1)];
		}
		html[3 + n] = '\0';
		/* x, then the rest after the tag, white space collapsed. */
		end = tag_end_model(html + 1);
		w = 0;
		want[w++] = 'x';
		for (; *end != '\0'; end++) {
			if (*end == ' ' || *end == '\t') {
				if (want[w - 1] != ' ')
					want[w++] = ' ';
			} else
				want[w++] = *end;
		}
		while (want[w - 1] == ' ')
			w--;
		want[w] = '\0';
		got = parse_html_text(html);
		if (got == NULL || strcmp(got, want) != 0)
			fail_msg("\"%s\": got \"%s\", want \"%s\"", html,
			    got ? got : "(null)", want);
		free(got);
	}
}

static const struct {
	const char *s;
	int64_t want;
} dates[] = {
	/* RFC 822 and the variants feeds write. */
	{ "Tue, 02 Jan 2024 03:04:05 +0000", 1704164645 },
	{ "Tue, 02 Jan 2024 03:04:05 GMT", 1704164645 },
	{ "02 Jan 2024 03:04:05 GMT", 1704164645 },
	{ "Tue, 2 Jan 2024 03:04 GMT", 1704164640 },
	{ "Tue, 02 Jan 2024 03:04:05 UT", 1704164645 },
	{ "Tue, 02 Jan 2024 03:04:05 EST", 1704182645 },
	{ "Tue, 02 Jan 2024 03:04:05 PDT", 1704189845 },
	{ "Tue, 02 Jan 2024 03:04:05 -0130", 1704170045 },
	{ "Tue, 02 Jan 2024 03:04:05 +01:00", 1704161045 },
	{ "Tue, 02 Jan 24 03:04:05 GMT", 1704164645 },
	{ "Tuesday, 02-Jan-2024 03:04:05 GMT", 1704164645 },
	{ "Tue, 02 Jan 2024 03:04:05.123 GMT", 1704164645 },
	{ "Tue Jan 02 2024 03:04:05 GMT", 1704164645 },
	{ "Jan 2 2024 03:04:05 GMT", 1704164645 },
	{ "Tue, 02 Jan 2024", 1704153600 },
	{ "Tue, 02 Jan 2024 03:04:05 XYZ", 1704164645 },
	{ "Thu, 01 Jan 1970 00:00:00 GMT", 0 },
	{ "Wed, 31 Dec 1969 23:59:59 GMT", -1 },
	{ "Mon, 01 Jan 1900 00:00:00 GMT", -2208988800LL },
	{ "Fri, 31 Dec 9999 23:59:59 GMT", 253402300799LL },
	/* RFC 3339 / W3C-DTF, partial forms included; no zone is UTC. */
	{ "2024", 1704067200 },
	{ "2024-02", 1706745600 },
	{ "2024-01-02", 1704153600 },
	{ "2024-01-02T03:04Z", 1704164640 },
	{ "2024-01-02T03:04:05Z", 1704164645 },
	{ "2024-01-02t03:04:05z", 1704164645 },
	{ "2024-01-02T03:04:05.999999Z", 1704164645 },
	{ "2024-01-02T05:04:05+02:00", 1704164645 },
	{ "2024-01-01T22:04:05-0500", 1704164645 },
	{ "2024-01-02T03:04:05", 1704164645 },
	{ "2024-01-02 03:04:05Z", 1704164645 },
	{ " \n 2024-01-02T03:04:05Z\t", 1704164645 },
	{ "2024-02-29T00:00:00Z", 1709164800 },
	{ "1969-12-31T23:59:59Z", -1 },
	/* Unreadable. */
	{ "", NONE },
	{ "   ", NONE },
	{ "not a date", NONE },
	{ "2024-13-01", NONE },
	{ "2023-02-29", NONE },
	{ "2024-01-32", NONE },
	{ "2024-1-2", NONE },
	{ "2024-01-02T25:00:00Z", NONE },
	{ "2024-01-02T03:04:05+25:00", NONE },
	{ "2024-01-02T03:04:05Zjunk", NONE },
	{ "99999999999999999999999999", NONE },
	{ "2024-01-02T99999999999999999999:00Z", NONE },
	{ "Tue, 99999999999999 Jan 2024 03:04:05 GMT", NONE },
	{ "Tue, 02 Foo 2024 03:04:05 GMT", NONE },
	{ "Tue, 02 Jan 2024 99:04:05 GMT", NONE },
	{ "Tue, 02 Jan 2024 03:04:05 GMT                                   "
	  "                                                                "
	  "                                                           x", NONE },
};

static void
test_dates(void **state)
{
	size_t i;
	int64_t got;

	(void)state;
	for (i = 0; i < nitems(dates); i++) {
		got = parse_date(dates[i].s);
		if (got != dates[i].want)
			fail_msg("\"%s\": got %lld, want %lld", dates[i].s,
			    (long long)got, (long long)dates[i].want);
	}
	assert_true(parse_date(NULL) == NONE);
}

/*
 * parse_date reads the common RFC 822 form itself; it must give what
 * curl_getdate (which reads every other form) gives for it.
 */
static void
test_dates_like_curl(void **state)
{
	static const char *wdays[] = { "Mon", "Tue", "Wed", "Thu", "Fri",
	    "Sat", "Sun" };
	static const char *months[] = { "Jan", "Feb", "Mar", "Apr", "May",
	    "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };
	static const int years[] = { 1970, 1999, 2000, 2024, 2026, 2038, 2100,
	    9999 };
	static const char *zones[] = { "GMT", "+0000", "-0000", "+0400",
	    "-0500", "+0530", "+1259", "-1259", "+1300", "-1400", "+0060",
	    "UT", "EDT" };
	char s[64];
	unsigned n = 0;
	size_t y, mo, z;
	int d, leap;
	int64_t got, want;

	(void)state;
	for (y = 0; y < nitems(years); y++) {
		leap = years[y] % 4 == 0 && (years[y] % 100 != 0 ||
		    years[y] % 400 == 0);
		for (mo = 0; mo < 12; mo++) {
			for (d = 1; d <= mdays[mo]; d++) {
				if (mo == 1 && d == 29 && !leap)
					continue;
				for (z = 0; z < nitems(zones); z++, n++) {
					snprintf(s, sizeof s,
					    "%s, %0*d %s %d %02u:%02u:%02u %s",
					    wdays[n % 7], n % 3 == 0 ? 1 : 2, d,
					    months[mo], years[y], n % 24,
					    (n * 7) % 60, (n * 13) % 60,
					    zones[z]);
					got = parse_date(s);
					want = (int64_t)curl_getdate(s, NULL);
					if (got != want)
						fail_msg("\"%s\": got %lld, curl "
						    "%lld", s, (long long)got,
						    (long long)want);
				}
			}
		}
	}
}

/*
 * parse_date reads the common RFC 822 variants itself (weekday short, long
 * or none, month in any case, two-digit years, no seconds, zone names,
 * "+hh:mm", no zone); over many generated strings of those forms and of
 * near misses it must give what its fallback (curl_getdate, then its own
 * reading where curl refuses) gives.
 */
static void
test_dates_like_fallback(void **state)
{
	static const char *wdays[] = {"", "Mon, ", "Tue, ", "wed, ", "THU, ",
	    "Friday, ", "saturday, ", "SUNDAY, ", "Thurs, ", "Mon,", "Mon ",
	    "Tuesday,  ", "Sunday , ", "Mo, ", "Mondays, "};
	static const char *months[] = {"Jan", "feb", "MAR", "Apr", "may", "Jun",
	    "jul", "AUG", "Sep", "oct", "Nov", "dec", "November", "Ja", "Foo",
	    "Sept", "nov."};
	static const char *years[] = {"2026", "1999", "1970", "1971", "2000",
	    "2024", "2100", "9999", "1582", "0999", "26", "99", "00", "70",
	    "71", "69", "50", "49", "202", "20261", "2026,", "2023"};
	static const char *times[] = {"08:49:37", "00:00:00", "23:59:59",
	    "23:59:60", "24:00:00", "8:49:37", "08:49", "8:49", "23:59",
	    "08:60", "08:49:3", "08:49:37.123", "08:4", "08:49:37:01",
	    "12:00:00"};
	static const char *zones[] = {"", " GMT", " UT", " UTC", " EST", " EDT",
	    " CST", " CDT", " MST", " MDT", " PST", " PDT", " gmt", " Est",
	    " Z", " BST", " CET", " XYZ", " +0000", " -0000", " +0530",
	    " -0800", " +1259", " -1259", " +1300", " +1400", " +1401",
	    " +0060", " +05:30", " -08:00", " +00:00", " +23:59", " +24:00",
	    " +05:60", " +05", " +5", " +050", " +05:3", " GMT+0100",
	    " GMT junk", "  GMT", " ", " +0530 (IST)"};
	char s[128];
	unsigned long n, x = 1;
	int day;
	int64_t got, want;

	(void)state;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	for (n = 0; n < 200000; n++) {
		/* A linear congruential generator: the same strings each run.
		 */
		x = x * 6364136223846793005UL + 1442695040888963407UL;
		day = (int)((x >> 20) % 34);
		snprintf(s, sizeof s, "%s%0*d %s %s %s%s",
		    wdays[(x >> 33) % nitems(wdays)],
		    (x >> 29) % 3 == 0 ? 1 : 2, day,
		    (x >> 40) % 4 == 0 ? months[(x >> 44) % nitems(months)]
				       : months[(x >> 44) % 12],
		    (x >> 48) % 3 == 0 ? years[(x >> 50) % nitems(years)]
				       : years[(x >> 50) % 2],
		    (x >> 54) % 3 == 0 ? times[(x >> 56) % nitems(times)]
				       : times[(x >> 56) % 3],
		    zones[(x >> 7) % nitems(zones)]);
		got = parse_date(s);
		want = parse_date_reference(s);
		if (got != want)
			fail_msg("\"%s\": got %lld, fallback %lld", s,
			    (long long)got, (long long)want);
	}
	curl_global_cleanup();
}

int
main(void)
{
	static const struct CMUnitTest fixed[] = {
	    cmocka_unit_test(test_refused),
	    cmocka_unit_test(test_wrong_declaration_alone),
	    cmocka_unit_test(test_xxe_no_leak),
	    cmocka_unit_test(test_billion_laughs_fast),
	    cmocka_unit_test(test_quadratic_blowup),
	    cmocka_unit_test(test_item_cap),
	    cmocka_unit_test(test_schedule_hints),
	    cmocka_unit_test(test_deep_nesting),
	    cmocka_unit_test(test_random_bytes),
	    cmocka_unit_test(test_truncated_everywhere),
	    cmocka_unit_test(test_many_nbsp),
	    cmocka_unit_test(test_tiny_elements),
	    cmocka_unit_test(test_field_cut_in_character),
	    cmocka_unit_test(test_html_text),
	    cmocka_unit_test(test_html_text_spaces),
	    cmocka_unit_test(test_html_text_json),
	    cmocka_unit_test(test_html_text_wide),
	    cmocka_unit_test(test_html_tag_ends),
	    cmocka_unit_test(test_item_text_aside),
	    cmocka_unit_test(test_collapse_steps),
	    cmocka_unit_test(test_light_kids_become_real),
	    cmocka_unit_test(test_light_kids_order),
	    cmocka_unit_test(test_light_kids_edges),
	    cmocka_unit_test(test_light_kids_attributes),
	    cmocka_unit_test(test_light_kids_copied_values),
	    cmocka_unit_test(test_item_strings),
	    cmocka_unit_test(test_documents_in_turn),
	    cmocka_unit_test(test_attr_dtd_default),
	    cmocka_unit_test(test_items_in_batches),
	    cmocka_unit_test(test_text_construct_as_html),
	    cmocka_unit_test(test_dates),
	    cmocka_unit_test(test_dates_like_curl),
	    cmocka_unit_test(test_dates_like_fallback),
	};
	struct CMUnitTest tests[nitems(feed_cases) + nitems(fixed)];
	size_t i, n = 0;

	/* One test per row of the fixture table, named after it. */
	for (i = 0; i < nitems(feed_cases); i++) {
		memset(&tests[n], 0, sizeof tests[n]);
		tests[n].name = feed_cases[i].name;
		tests[n].test_func = test_feed_case;
		tests[n].initial_state = (void *)&feed_cases[i];
		n++;
	}
	for (i = 0; i < nitems(fixed); i++)
		tests[n++] = fixed[i];
	return _cmocka_run_group_tests("parse", tests, n, NULL, NULL);
}
