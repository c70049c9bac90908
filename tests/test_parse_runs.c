/*
 * Tests of text runs given to libxml2 as character references (parse.c,
 * runs_scan): every document is parsed with runs of 10 bytes or more
 * replaced (the least parse takes), with the default, and with none, and
 * the three outputs of `feedmux parse` must be the same bytes. Each case
 * also says whether the scanner must replace runs (and how many) or give
 * up, and some say the exact text expected.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dump.h"
#include "parse.h"
#include "util.h"

/* Arabic, 17 bytes with its space: one run where it stands alone. */
#define AR "\xd8\xb9\xd8\xb1\xd8\xa8\xd9\x8a \xd8\xb9\xd8\xb1\xd8\xa8\xd9\x8a"
/* Five bytes: shorter than any run. */
#define AR2 "\xd8\xb9\xd8\xb1x"

#define RSS_HEAD "<rss version=\"2.0\"><channel><title>t</title>"
#define RSS_TAIL "</channel></rss>"

#include "feed_raw.h"

/* One parse, as `feedmux parse` prints it; *nruns: the runs replaced. */
static char *
parse_dump(
    const char *doc, size_t len, const char *ctype, int min, size_t *nruns)
{
	struct parse_context ctx;
	struct feed *f;
	struct buf b;
	char *cause = NULL, *s;

	memset(&ctx, 0, sizeof ctx);
	ctx.content_type = ctype;
	ctx.url = "http://example-com.localhost/feed.xml";
	parse_text_runs(min);
	f = parse_feed(doc, len, &ctx, &cause);
	*nruns = min == 0 ? 0 : parse_text_runs_count();
	parse_text_runs(-1);
	buf_init(&b);
	dump_feed(&b, "t", f, cause);
	feed_raw(&b, f);
	parse_feed_free(f);
	free(cause);
	s = buf_steal(&b, NULL);
	return s;
}

/*
 * Parse doc three ways; the outputs must be the same. Returns the number
 * of runs replaced with the least length (10 bytes).
 */
static size_t
both_ways_ct(const char *doc, size_t len, const char *ctype)
{
	char *least, *dflt, *none;
	size_t n, n2, n3;

	least = parse_dump(doc, len, ctype, 10, &n);
	dflt = parse_dump(doc, len, ctype, -1, &n2);
	none = parse_dump(doc, len, ctype, 0, &n3);
	if (strcmp(least, none) != 0 || strcmp(dflt, none) != 0)
		fprintf(stderr, "runs of 10:\n%s\ndefault:\n%s\nnone:\n%s\n",
		    least, dflt, none);
	assert_string_equal(least, none);
	assert_string_equal(dflt, none);
	assert_true(n2 <= n);
	free(least);
	free(dflt);
	free(none);
	return n;
}

static size_t
both_ways(const char *doc)
{
	return both_ways_ct(doc, strlen(doc), NULL);
}

/* The feed with runs of 10 bytes or more replaced. */
static struct feed *
parse_runs(const char *doc, size_t len, size_t *nruns)
{
	struct feed *f;
	char *cause = NULL;

	parse_text_runs(10);
	f = parse_feed(doc, len, NULL, &cause);
	*nruns = parse_text_runs_count();
	parse_text_runs(-1);
	free(cause);
	assert_non_null(f);
	return f;
}

/* Runs at the start, middle and end of elements; the exact text. */
static void
test_runs_places(void **state)
{
	static const char doc[] = RSS_HEAD
	    "<item><title>" AR "</title>"
	    "<description>" AR "<b>x</b>" AR "</description>"
	    "<category>a " AR "</category><category>" AR " b</category>"
	    "<author>" AR2 "</author></item>" RSS_TAIL;
	struct feed *f;
	size_t n;

	(void)state;
	assert_int_equal(both_ways(doc), 5);
	f = parse_runs(doc, sizeof doc - 1, &n);
	assert_int_equal(n, 5);
	assert_int_equal(f->nitems, 1);
	assert_string_equal(f->items[0].title, AR);
	assert_string_equal(f->items[0].summary, AR "<b>x</b>" AR);
	assert_int_equal(f->items[0].ncategories, 2);
	assert_string_equal(f->items[0].categories[0], "a " AR);
	assert_string_equal(f->items[0].categories[1], AR " b");
	assert_string_equal(f->items[0].author, AR2);
	parse_feed_free(f);
}

/* Next to entity and character references, HTML entities, markup. */
static void
test_runs_references(void **state)
{
	static const char doc[] =
	    RSS_HEAD "<item><title>&amp;" AR "&lt;" AR "&#65;" AR "&#x42;" AR
		     "&nbsp;" AR "&#x10000;" AR "</title>"
		     "<description>&lt;p&gt;" AR "&lt;/p&gt;</description>"
		     "</item>" RSS_TAIL;
	struct feed *f;
	size_t n;

	(void)state;
	assert_int_equal(both_ways(doc), 7);
	f = parse_runs(doc, sizeof doc - 1, &n);
	assert_string_equal(f->items[0].title,
	    "&" AR "<" AR "A" AR "B" AR "\xc2\xa0" AR "\xf0\x90\x80\x80" AR);
	assert_string_equal(f->items[0].summary, "<p>" AR "</p>");
	parse_feed_free(f);

	/*
	 * References the scanner does not know: it gives up. libxml2 calls
	 * them errors, so the document is read again with each such '&' as
	 * "&amp;" (amp_repair), and that copy has its runs.
	 */
	assert_int_equal(both_ways(RSS_HEAD "<item><title>" AR "&#X41;" AR
					    "</title></item>" RSS_TAIL),
	    2);
	assert_int_equal(both_ways(RSS_HEAD "<item><title>" AR "& " AR
					    "</title></item>" RSS_TAIL),
	    2);
	assert_int_equal(both_ways(RSS_HEAD "<item><title>" AR "&amp" AR
					    "</title></item>" RSS_TAIL),
	    2);
	assert_int_equal(both_ways(RSS_HEAD "<item><title>" AR "&#;" AR
					    "</title></item>" RSS_TAIL),
	    2);
	/* Names libxml2 takes (undefined: no second read); not the scanner. */
	assert_int_equal(both_ways(RSS_HEAD "<item><title>" AR "&\xd8\xb9;" AR
					    "</title></item>" RSS_TAIL),
	    0);
	assert_int_equal(both_ways(RSS_HEAD "<item><title>" AR "&a\xd8\xb9;" AR
					    "</title></item>" RSS_TAIL),
	    0);
	/* Undefined entity, and a character reference that is no Char. */
	assert_int_equal(
	    both_ways(RSS_HEAD "<item><title>" AR "&nosuch;" AR "&#1;" AR
			       "</title></item>" RSS_TAIL),
	    3);
}

/* CDATA, comments and PIs: around runs, and holding what looks like runs. */
static void
test_runs_markup(void **state)
{
	static const char doc[] =
	    "<?xml version=\"1.0\"?>\n"
	    "<?pi " AR " <b> ?>" RSS_HEAD "<!-- " AR " <title>" AR
	    "</title> -->"
	    "<item><title>" AR "<![CDATA[" AR "<b>]]>" AR "<!--c-->" AR
	    "<?p " AR "?>" AR "</title>"
	    "<description><![CDATA[<p>" AR "</p>]]></description>"
	    "</item>" RSS_TAIL;
	struct feed *f;
	size_t n;

	(void)state;
	assert_int_equal(both_ways(doc), 4);
	f = parse_runs(doc, sizeof doc - 1, &n);
	assert_string_equal(f->items[0].title, AR AR "<b>" AR AR AR);
	assert_string_equal(f->items[0].summary, "<p>" AR "</p>");
	parse_feed_free(f);
	/* Comments and PIs libxml2 might end early; "<!" of any other kind. */
	assert_int_equal(both_ways(RSS_HEAD "<item><title>" AR "<!-->" AR
					    "--></title></item>" RSS_TAIL),
	    0);
	assert_int_equal(both_ways(RSS_HEAD "<item><title>" AR "<!--->" AR
					    "--></title></item>" RSS_TAIL),
	    0);
	assert_int_equal(both_ways(RSS_HEAD "<item><title>" AR "<?>" AR
					    "?></title></item>" RSS_TAIL),
	    0);
	assert_int_equal(both_ways(RSS_HEAD "<item><title>" AR "<!ELEMENT>" AR
					    "</title></item>" RSS_TAIL),
	    0);
	/* Comments with "--" in them, an XML declaration later on. */
	assert_int_equal(
	    both_ways(RSS_HEAD "<item><title>" AR "<!-- a -- b -->" AR
			       "<?xml version=\"1.0\"?>" AR
			       "</title></item>" RSS_TAIL),
	    3);
}

/* Attribute values with '>' and quotes; self-closing and nested tags. */
static void
test_runs_tags(void **state)
{
	static const char doc[] =
	    "<feed xmlns=\"http://www.w3.org/2005/Atom\">"
	    "<title type='text' a=\"x>y\" b='\">'>" AR "</title>"
	    "<entry><id>i</id><link href=\"h>'\"/>"
	    "<title type=\"html\">" AR "&lt;b&gt;</title>"
	    "<content type=\"xhtml\"><div "
	    "xmlns=\"http://www.w3.org/1999/xhtml\">"
	    "<p class='c>'>" AR "<br/>" AR "<span><i>" AR "</i>" AR
	    "</span></p>"
	    "</div></content>"
	    "<summary  type = \"text\" >" AR "</summary ></entry></feed>";
	struct feed *f;
	size_t n;

	(void)state;
	assert_int_equal(both_ways(doc), 7);
	f = parse_runs(doc, sizeof doc - 1, &n);
	assert_string_equal(f->title, AR);
	assert_string_equal(f->items[0].title, AR);
	assert_string_equal(f->items[0].summary, AR);
	assert_string_equal(f->items[0].content,
	    "<p class=\"c&gt;\">" AR "<br>" AR "<span><i>" AR "</i>" AR
	    "</span></p>");
	parse_feed_free(f);
	/* '<' inside a tag, quoted or not; a '/' that ends nothing. */
	assert_int_equal(both_ways(RSS_HEAD "<item a=\"<\"><title>" AR
					    "</title></item>" RSS_TAIL),
	    0);
	assert_int_equal(both_ways(RSS_HEAD "<item a<b><title>" AR
					    "</title></item>" RSS_TAIL),
	    0);
	assert_int_equal(
	    both_ways(RSS_HEAD "<item/ ><title>" AR "</title></item>" RSS_TAIL),
	    0);
	assert_int_equal(both_ways(RSS_HEAD "<item><title>" AR
					    "</title x=\"1\"></item>" RSS_TAIL),
	    0);
	assert_int_equal(both_ways(RSS_HEAD "<item><title>" AR "< x" AR
					    "</title></item>" RSS_TAIL),
	    0);
	/* Tags libxml2 reads otherwise than the scanner, as text. */
	assert_int_equal(both_ways(RSS_HEAD "<item><title a=b>" AR
					    "</title><category c \"d\">" AR
					    "</category></item>" RSS_TAIL),
	    2);
	/* More end tags than start tags. */
	assert_int_equal(
	    both_ways(RSS_HEAD "<item><title>" AR "</title></item>" RSS_TAIL
			       "</x>" AR "<y>"),
	    0);
}

/* Text before and after the root is never touched. */
static void
test_runs_outside_root(void **state)
{
	(void)state;
	assert_int_equal(
	    both_ways(AR "<rss><channel><title>" AR "</title></channel></rss>"),
	    1);
	assert_int_equal(both_ways("<rss><channel><title>" AR
				   "</title></channel></rss>" AR "<!-- -->"),
	    1);
	assert_int_equal(both_ways("<rss><channel><title>t</title>"
				   "</channel></rss>" AR "\n" AR "<!-- -->"),
	    0);
	/* A second root. */
	assert_int_equal(both_ways("<rss><channel><title>t</title>"
				   "</channel></rss><rss>" AR "</rss>"),
	    0);
	assert_int_equal(both_ways("<rss/><rss>" AR "</rss>"), 0);
	/* White space and text right inside the root and channel. */
	assert_int_equal(both_ways("<rss>" AR "<channel>\n " AR "\n<title>" AR
				   "</title>" AR "</channel>" AR "</rss>"),
	    5);
}

/* CR and LF stay libxml2's: CR LF as one LF, a lone CR as LF. */
static void
test_runs_crlf(void **state)
{
	static const char doc[] =
	    RSS_HEAD "<item><title>" AR "\r\n" AR "\r" AR "\n\r\n" AR "</title>"
		     "<description>\r\n" AR "\r\n\r\n" AR
		     "\r</description></item>" RSS_TAIL;
	struct feed *f;
	size_t n;

	(void)state;
	assert_int_equal(both_ways(doc), 6);
	f = parse_runs(doc, sizeof doc - 1, &n);
	assert_string_equal(f->items[0].title, AR " " AR " " AR " " AR);
	assert_string_equal(f->items[0].summary, AR "\n\n" AR);
	parse_feed_free(f);
	/* ']' and '>' end runs. */
	assert_int_equal(
	    both_ways(RSS_HEAD "<item><title>" AR "]" AR "]>" AR ">" AR "]]" AR
			       "></title></item>" RSS_TAIL),
	    5);
	/*
	 * "]]>" in text is an error, and libxml2 keeps it or drops a ']'
	 * and the ASCII text before it in the same stretch, depending on
	 * whether a byte past ASCII came first there: the scanner gives up.
	 */
	assert_int_equal(
	    both_ways(RSS_HEAD "<item><title>" AR "]]>" AR "]" AR "]>" AR
			       "></title></item>" RSS_TAIL),
	    0);
	assert_int_equal(both_ways(RSS_HEAD "<item><title>" AR "ab]]>"
					    "</title></item>" RSS_TAIL),
	    0);
}

/* Truncated documents, one cut inside a run. */
static void
test_runs_truncated(void **state)
{
	static const char doc[] = RSS_HEAD
	    "<item><title>" AR "</title><description>" AR "<!-- c -->" AR
	    "<![CDATA[x]]>" AR "<?p x?>" AR "</description></item>"
	    "<item><title>" AR "</title></item>" RSS_TAIL;
	size_t len, n, max = 0;

	(void)state;
	/* Every length: as many runs as end before the cut, or fewer. */
	for (len = 1; len <= sizeof doc - 1; len++) {
		n = both_ways_ct(doc, len, NULL);
		assert_true(n >= max || n == 0);
		if (n > max)
			max = n;
	}
	assert_int_equal(max, 6);
	/* Cut inside a run: the run is the tail, left alone. */
	assert_int_equal(both_ways(RSS_HEAD "<item><title>" AR "</title>"
					    "<description>" AR),
	    1);
	/*
	 * Cut one byte after a run: libxml2 leaves a last byte alone after a
	 * reference, not in a stretch of text (found by a generator of
	 * documents): the text after the last markup stays whole.
	 */
	assert_int_equal(both_ways("<rss><channel><title>" AR "]"), 0);
	assert_int_equal(both_ways("<rss><channel><title>" AR ">"), 0);
	assert_int_equal(both_ways("<rss><channel><title>" AR "&amp;x"), 0);
	assert_int_equal(both_ways("<rss><channel><title>" AR "\r\n"), 0);
	assert_int_equal(both_ways("<rss><channel><title>" AR "\r"), 0);
	assert_int_equal(both_ways("<rss><channel><link>" AR "]</link>"
				   "<title>" AR "]"),
	    1);
}

/* What the scanner refuses: DOCTYPE, encodings, bad or odd characters. */
static void
test_runs_refused(void **state)
{
	static const char body[] =
	    RSS_HEAD "<item><title>" AR "</title></item>" RSS_TAIL;
	char doc[512];

	(void)state;
	assert_int_equal(both_ways(body), 1);
	/* DOCTYPE, and its text inside a comment, CDATA or PI. */
	assert_int_equal(both_ways("<!DOCTYPE rss>" RSS_HEAD "<item><title>" AR
				   "</title></item>" RSS_TAIL),
	    0);
	assert_int_equal(
	    both_ways("<!DOCTYPE rss [<!ENTITY e \"" AR "\">]>" RSS_HEAD
		      "<item><title>" AR "&e;</title></item>" RSS_TAIL),
	    0);
	assert_int_equal(
	    both_ways(RSS_HEAD "<!-- <!DOCTYPE x> --><item><title>" AR
			       "</title></item>" RSS_TAIL),
	    0);
	assert_int_equal(
	    both_ways(
		RSS_HEAD "<item><title>" AR
			 "<![CDATA[<!DOCTYPE x>]]></title></item>" RSS_TAIL),
	    0);
	/* A UTF-8 BOM is fine; UTF-16 is not UTF-8. */
	snprintf(doc, sizeof doc, "\xef\xbb\xbf%s", body);
	assert_int_equal(both_ways(doc), 1);
	snprintf(doc, sizeof doc,
	    "\xef\xbb\xbf<?xml version=\"1.0\" "
	    "encoding=\"UTF-8\"?>%s",
	    body);
	assert_int_equal(both_ways(doc), 1);
	assert_int_equal(both_ways_ct("\xff\xfe<\0r\0s\0s\0>\0", 10, NULL), 0);
	/* Declared ISO-8859-6 (these bytes read as it, or as UTF-8). */
	snprintf(doc, sizeof doc,
	    "<?xml version=\"1.0\" "
	    "encoding=\"ISO-8859-6\"?>%s",
	    body);
	assert_int_equal(both_ways(doc), 0);
	snprintf(doc, sizeof doc,
	    "<?xml version=\"1.0\" "
	    "encoding=\"utf-8\"?>%s",
	    body);
	assert_int_equal(both_ways(doc), 1);
	/* The HTTP charset: UTF-8 or nothing. */
	assert_int_equal(
	    both_ways_ct(body, strlen(body), "text/xml; charset=UTF-8"), 1);
	assert_int_equal(
	    both_ways_ct(body, strlen(body), "text/xml; charset=iso-8859-6"),
	    0);
	assert_int_equal(
	    both_ways_ct(body, strlen(body), "text/xml; charset=windows-1256"),
	    0);
	/*
	 * Invalid UTF-8 anywhere: libxml2 stops there, and the document is
	 * read again with U+FFFD for each bad byte (utf8_mend), a copy whose
	 * runs may go as references.
	 */
	assert_int_equal(both_ways(RSS_HEAD "<item><title>" AR "\xd8"
					    "</title></item>" RSS_TAIL),
	    1);
	assert_int_equal(both_ways(RSS_HEAD "<!-- \xff --><item><title>" AR
					    "</title></item>" RSS_TAIL),
	    1);
	/* Not a single valid sequence: windows-1252, no runs. */
	assert_int_equal(
	    both_ways(RSS_HEAD
		"<item><title>\xe1\xe1\xe1\xe1"
		"\xe1\xe1\xe1\xe1\xe1\xe1\xe1\xe1</title></item>" RSS_TAIL),
	    0);
	/* A C0 control, U+FFFE, U+FFFF, a surrogate. */
	assert_int_equal(both_ways(RSS_HEAD "<item><title>" AR "\x01"
					    "</title></item>" RSS_TAIL),
	    0);
	assert_int_equal(both_ways(RSS_HEAD "<item><title>" AR "\xef\xbf\xbe"
					    "</title></item>" RSS_TAIL),
	    0);
	assert_int_equal(both_ways(RSS_HEAD "<item><title>" AR "\xef\xbf\xbf"
					    "</title></item>" RSS_TAIL),
	    0);
	/* A surrogate is not UTF-8: mended, as above. */
	assert_int_equal(both_ways(RSS_HEAD "<item><title>" AR "\xed\xa0\x80"
					    "</title></item>" RSS_TAIL),
	    1);
	/* Tab, LF, CR, DEL and C1 controls are Chars. */
	assert_int_equal(
	    both_ways(RSS_HEAD "<item><title>" AR "\t\x7f\xc2\x85" AR
			       "</title></item>" RSS_TAIL),
	    1);
	/* Planes 15 and 16, raw and as references, anywhere. */
	assert_int_equal(
	    both_ways(RSS_HEAD "<item><title>" AR "\xf3\xb0\x80\x80"
			       "</title></item>" RSS_TAIL),
	    0);
	assert_int_equal(
	    both_ways(RSS_HEAD "<item><title>" AR "\xf4\x8f\xbf\xbd"
			       "</title></item>" RSS_TAIL),
	    0);
	assert_int_equal(both_ways(RSS_HEAD "<item><title>" AR "&#xF0000;"
					    "</title></item>" RSS_TAIL),
	    0);
	assert_int_equal(both_ways(RSS_HEAD "<item><title>" AR "&#983040;"
					    "</title></item>" RSS_TAIL),
	    0);
	assert_int_equal(both_ways(RSS_HEAD "<item><title>" AR "&#x000f0003;"
					    "</title></item>" RSS_TAIL),
	    0);
	assert_int_equal(both_ways(RSS_HEAD "<item><title a=\"&#x10FFFD;\">" AR
					    "</title></item>" RSS_TAIL),
	    0);
	assert_int_equal(both_ways(RSS_HEAD "<!-- &#1114111 --><item><title>" AR
					    "</title></item>" RSS_TAIL),
	    0);
	/* Just below plane 15: fine. */
	assert_int_equal(both_ways(RSS_HEAD "<item><title>" AR "&#xEFFFF;"
					    "\xf3\xaf\xbf\xbf" AR
					    "</title></item>" RSS_TAIL),
	    2);
}

/*
 * A character the scanner refuses at every place in a long title (so in
 * every position of the windows the check reads 32, 16 and 1 bytes at a
 * time), among Arabic letters and ASCII.
 */
static void
test_runs_refused_everywhere(void **state)
{
	static const char *bad[] = {"\x01", "\x1f", "\xef\xbf\xbe",
	    "\xf3\xb0\x80\x80", "\xf4\x80\x80\x80"};
	static const char *mended[] = {"\x80", "\xc0\x80", "\xc1\xbf", "\xd8",
	    "\xe0\x80\x80", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xff"};
	static const char text[] = AR " abc " AR " " AR AR " d " AR;
	struct buf b;
	size_t i, k;

	(void)state;
	for (k = 0; k < nitems(bad); k++) {
		for (i = 0; i <= sizeof text - 1; i++) {
			/* Not inside a sequence. */
			if (i < sizeof text - 1 && (text[i] & 0xc0) == 0x80)
				continue;
			buf_init(&b);
			buf_adds(&b, RSS_HEAD "<item><title>");
			buf_add(&b, text, i);
			buf_adds(&b, bad[k]);
			buf_adds(&b, text + i);
			buf_adds(&b, "</title></item>" RSS_TAIL);
			assert_int_equal(both_ways_ct(b.data, b.len, NULL), 0);
			buf_free(&b);
		}
	}
	/* Bytes that are not UTF-8: read again mended; the same both ways. */
	for (k = 0; k < nitems(mended); k++) {
		for (i = 0; i <= sizeof text - 1; i++) {
			buf_init(&b);
			buf_adds(&b, RSS_HEAD "<item><title>");
			buf_add(&b, text, i);
			buf_adds(&b, mended[k]);
			buf_adds(&b, text + i);
			buf_adds(&b, "</title></item>" RSS_TAIL);
			both_ways_ct(b.data, b.len, NULL);
			buf_free(&b);
		}
	}
	/* Without them: its runs. */
	assert_int_equal(
	    both_ways(RSS_HEAD "<item><title>" AR " abc " AR " " AR AR " d " AR
			       "</title></item>" RSS_TAIL),
	    1);
}

/* A document read again mended (a bare '&'): its runs too. */
static void
test_runs_mended(void **state)
{
	static const char doc[] =
	    RSS_HEAD "<item><title>" AR " & " AR "</title><description>" AR
		     "</description></item>" RSS_TAIL;
	struct feed *f;
	size_t n;

	(void)state;
	assert_int_equal(both_ways(doc), 3);
	f = parse_runs(doc, sizeof doc - 1, &n);
	assert_string_equal(f->items[0].title, AR " & " AR);
	assert_string_equal(f->items[0].summary, AR);
	parse_feed_free(f);
}

/* More runs than references: the ones after 131068 stay as they are. */
static void
test_runs_many(void **state)
{
	struct buf b;
	struct feed *f;
	size_t i, n;

	(void)state;
	buf_init(&b);
	buf_adds(&b, RSS_HEAD "<item><title>");
	for (i = 0; i < 131080; i++)
		buf_adds(&b, AR "&amp;");
	buf_adds(&b, "</title></item>" RSS_TAIL);
	assert_int_equal(both_ways_ct(b.data, b.len, NULL), 131068);
	f = parse_runs(b.data, b.len, &n);
	assert_int_equal(n, 131068);
	/* The title is cut at 4 MB; it is the same both ways (above). */
	assert_non_null(f->items[0].title);
	assert_memory_equal(f->items[0].title, AR "&" AR "&", 36);
	parse_feed_free(f);
	buf_free(&b);
}

/*
 * One run of several megabytes, delivered whole: the field stops at its
 * limit (4 MB) as before; and one of 12 MB in an element, past libxml2's
 * 10 MB for a text node.
 */
static void
test_runs_huge(void **state)
{
	struct buf b;
	struct feed *f;
	size_t i, n, mb;

	(void)state;
	for (mb = 3; mb <= 12; mb += 3) {
		buf_init(&b);
		buf_adds(&b, RSS_HEAD "<item><title>x</title><description>");
		for (i = 0; i < mb * 1024 * 1024 / 17; i++)
			buf_adds(&b, AR);
		buf_adds(&b, "</description></item><item><title>" AR
			     "</title></item>" RSS_TAIL);
		assert_int_equal(both_ways_ct(b.data, b.len, NULL), 2);
		f = parse_runs(b.data, b.len, &n);
		assert_int_equal(n, 2);
		if (mb < 10) {
			assert_int_equal(f->nitems, 2);
			assert_non_null(f->items[0].summary);
			assert_true(
			    strlen(f->items[0].summary) <= 4 * 1024 * 1024);
			assert_memory_equal(f->items[0].summary, AR AR, 34);
			assert_string_equal(f->items[1].title, AR);
		} else /* libxml2 stops at 10 MB: the item never ends. */
			assert_int_equal(f->nitems, 0);
		parse_feed_free(f);
		buf_free(&b);
	}
}

/*
 * Runs about the end of the first 256 KB piece of the copy: a reference
 * that does not fit goes whole into the next piece.
 */
static void
test_runs_piece_ends(void **state)
{
	static const char head[] = RSS_HEAD "<item><title>t</title>"
					    "<description>";
	struct buf b;
	size_t at, i;

	(void)state;
	for (at = 256 * 1024 - 12; at <= 256 * 1024 + 2; at++) {
		buf_init(&b);
		buf_adds(&b, head);
		/* ASCII text: no run before the one at at. */
		for (i = sizeof head - 1; i < at; i++)
			buf_add(&b, i % 64 == 0 ? "\n" : "x", 1);
		buf_adds(&b, AR "&amp;" AR "</description></item>" RSS_TAIL);
		assert_int_equal(both_ways_ct(b.data, b.len, NULL), 2);
		buf_free(&b);
	}
}

/*
 * CR LF at every place about the ends of the 256 KB pieces (of the copy,
 * and of the document read as it is): the same both ways, the summary's
 * HTML with its line ends included.
 */
static void
test_runs_piece_crlf(void **state)
{
	struct buf b;
	size_t shift, i;

	(void)state;
	for (shift = 0; shift < 24; shift++) {
		buf_init(&b);
		buf_adds(&b, RSS_HEAD "<item><title>t</title><description>");
		for (i = 0; i < shift; i++)
			buf_add(&b, "x", 1);
		while (b.len < 600 * 1024)
			buf_adds(&b, AR "\r\n");
		buf_adds(&b, "</description></item>" RSS_TAIL);
		both_ways_ct(b.data, b.len, NULL);
		buf_free(&b);
	}
}

/* Every length of run around the least one replaced. */
static void
test_runs_lengths(void **state)
{
	struct buf b;
	size_t len, i, n;

	(void)state;
	for (len = 1; len <= 40; len++) {
		buf_init(&b);
		buf_adds(&b, RSS_HEAD "<item><title>");
		for (i = 0; i < len; i++)
			buf_add(&b,
			    i % 3 == 0	 ? "\xd8"
			    : i % 3 == 1 ? "\xb9"
					 : "a",
			    1);
		buf_adds(&b, "</title></item>" RSS_TAIL);
		n = both_ways_ct(b.data, b.len, NULL);
		/* Valid UTF-8 only when the last sequence is whole. */
		if (len % 3 != 1)
			assert_int_equal(n, len >= 10 ? 1 : 0);
		buf_free(&b);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_runs_places),
	    cmocka_unit_test(test_runs_references),
	    cmocka_unit_test(test_runs_markup),
	    cmocka_unit_test(test_runs_tags),
	    cmocka_unit_test(test_runs_outside_root),
	    cmocka_unit_test(test_runs_crlf),
	    cmocka_unit_test(test_runs_truncated),
	    cmocka_unit_test(test_runs_refused),
	    cmocka_unit_test(test_runs_refused_everywhere),
	    cmocka_unit_test(test_runs_mended),
	    cmocka_unit_test(test_runs_many),
	    cmocka_unit_test(test_runs_huge),
	    cmocka_unit_test(test_runs_piece_ends),
	    cmocka_unit_test(test_runs_piece_crlf),
	    cmocka_unit_test(test_runs_lengths),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
