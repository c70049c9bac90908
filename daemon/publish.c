/* memfd_create(2): documents live in memory files that sendfile(2) reads. */
#define _GNU_SOURCE

#include <sys/mman.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <libxml/HTMLparser.h>
#include <libxml/tree.h>
#include <zlib.h>

#include "config.h"
#include "log.h"
#include "publish.h"
#include "store.h"
#include "util.h"

#define PUBLISH_GENERATOR "feedmux"
/* Characters of a summary in the HTML view and JSON Feed's summary. */
#define PUBLISH_SUMMARY_CHARS 400
/* Bytes of HTML read to find those characters: enough, and bounded. */
#define PUBLISH_HTML_INPUT_MAX (64 * 1024)
/*
 * Bodies this large are kept in a memory file (one descriptor each) that
 * the server hands to sendfile(2), so that the kernel sends the pages
 * instead of copying them for every response; smaller ones stay on the heap.
 */
#define PUBLISH_FILE_MIN (16 * 1024)
/* Readers may keep an output this long at most, whatever the intervals. */
#define PUBLISH_MAX_AGE_CAP 3600

enum publish_format { FMT_ATOM, FMT_RSS, FMT_JSON, FMT_HTML, FMT_N };

static const struct {
	const char *ext;
	const char *content_type;
	const char *name; /* for subscribe links */
} formats[FMT_N] = {
    [FMT_ATOM] = {"atom", "application/atom+xml; charset=utf-8", "Atom"},
    [FMT_RSS] = {"rss", "application/rss+xml; charset=utf-8", "RSS"},
    [FMT_JSON] = {"json", "application/feed+json; charset=utf-8", "JSON Feed"},
    [FMT_HTML] = {"html", "text/html; charset=utf-8", "HTML"},
};

struct publish_out {
	char *name;
	int dirty;
	int64_t born; /* first rendered: the date of an empty output */
	int failed;   /* the last render could not read the store */
	uint64_t renders; /* renderings from the store, for /metrics */
	struct publish_doc *docs[FMT_N];
};

struct publisher {
	struct store *store;
	const struct config *config;
	const struct publish_status *status;
	char *base;
	struct publish_out *outs;
	size_t nouts;
	int64_t max_age;
	struct publish_doc *index;
	struct publish_doc *opml;
	int feeds_stale;
};

/* What one rendering of an output works from. */
struct render {
	struct publisher *p;
	const struct config_output *co;
	const char *name;
	struct store_story *stories;	/* what store_output_stories gave */
	struct store_item *items;	/* each story's own item, in a row */
	size_t n;
	int64_t updated; /* of the output as a whole */
	char **texts;	 /* each item's summary as text, made once */
};

/* Decodes one UTF-8 sequence; returns its length, or 0 if it is not valid. */
static size_t
utf8_decode(const unsigned char *s, uint32_t *cp)
{
	uint32_t c;
	size_t n, i;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if ((s[0] & 0xe0) == 0xc0) {
		n = 2;
		c = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		n = 3;
		c = s[0] & 0x0f;
	} else if ((s[0] & 0xf8) == 0xf0) {
		n = 4;
		c = s[0] & 0x07;
	} else
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	/* Overlong forms, surrogates and values past U+10FFFF are not UTF-8. */
	if ((n == 2 && c < 0x80) || (n == 3 && c < 0x800) ||
	    (n == 4 && c < 0x10000) || c > 0x10ffff ||
	    (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return n;
}

void
publish_escape(struct buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	uint32_t cp;
	size_t n;

	if (s == NULL)
		return;
	while (*p != '\0') {
		switch (*p) {
		case '&':
			buf_adds(b, "&amp;");
			p++;
			continue;
		case '<':
			buf_adds(b, "&lt;");
			p++;
			continue;
		case '>':
			buf_adds(b, "&gt;");
			p++;
			continue;
		case '"':
			buf_adds(b, "&quot;");
			p++;
			continue;
		case '\'':
			buf_adds(b, "&#39;");
			p++;
			continue;
		}
		if ((n = utf8_decode(p, &cp)) == 0) {
			buf_adds(b, "\xef\xbf\xbd"); /* U+FFFD */
			p++;
			continue;
		}
		/* Characters XML 1.0 does not allow, even as references. */
		if ((cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r') ||
		    cp == 0xfffe || cp == 0xffff) {
			p += n;
			continue;
		}
		buf_add(b, p, n);
		p += n;
	}
}

/* HTML to text ------------------------------------------------------------ */

struct text {
	struct buf *b;
	size_t start; /* where this text began in b */
	size_t chars;
	size_t max;
	size_t boundary; /* b->len at the last space written */
	int space;	 /* a space is due before the next word */
	int full;
};

static int
text_is_space(uint32_t cp)
{
	return cp == ' ' || (cp >= '\t' && cp <= '\r') || cp == 0xa0 ||
	       (cp >= 0x2000 && cp <= 0x200a) || cp == 0x2028 || cp == 0x2029 ||
	       cp == 0x202f || cp == 0x205f || cp == 0x3000;
}

static void
text_add(struct text *t, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	uint32_t cp;
	size_t n;

	while (*p != '\0' && !t->full) {
		if ((n = utf8_decode(p, &cp)) == 0) {
			p++;
			continue;
		}
		if (text_is_space(cp)) {
			t->space = 1;
			p += n;
			continue;
		}
		if (t->max != 0 && t->chars >= t->max) {
			/* Cut at the last space if that keeps most of it. */
			if (t->boundary > t->start &&
			    t->boundary - t->start >=
				(t->b->len - t->start) * 3 / 4)
				t->b->len = t->boundary;
			t->b->data[t->b->len] = '\0';
			buf_adds(t->b, "\xe2\x80\xa6"); /* U+2026 */
			t->full = 1;
			return;
		}
		if (t->space && t->b->len > t->start) {
			t->boundary = t->b->len;
			buf_addc(t->b, ' ');
			t->chars++;
		}
		t->space = 0;
		buf_add(t->b, p, n);
		t->chars++;
		p += n;
	}
}

/* Elements whose text is not part of what a reader sees. */
static int
text_skipped(const char *name)
{
	static const char *const skip[] = {"script", "style", "template",
	    "noscript", "head", "title", "iframe", "object", "embed", "svg",
	    "math", "select", "textarea", "button"};

	for (size_t i = 0; i < nitems(skip); i++)
		if (strcasecmp(name, skip[i]) == 0)
			return 1;
	return 0;
}

/* Inline elements run into their neighbours; everything else separates. */
static int
text_inline(const char *name)
{
	static const char *const inl[] = {"a", "abbr", "b", "bdi", "bdo",
	    "cite", "code", "data", "dfn", "em", "font", "i", "kbd", "mark",
	    "q", "s", "samp", "small", "span", "strike", "strong", "sub", "sup",
	    "time", "tt", "u", "var", "wbr"};

	for (size_t i = 0; i < nitems(inl); i++)
		if (strcasecmp(name, inl[i]) == 0)
			return 1;
	return 0;
}

void
publish_html_text(struct buf *b, const char *html, size_t max)
{
	struct text t;
	htmlDocPtr doc;
	xmlNodePtr n;
	size_t len;

	memset(&t, 0, sizeof t);
	t.b = b;
	t.start = b->len;
	t.max = max;
	if (html == NULL || *html == '\0')
		return;
	buf_add(b, "", 0);
	/* The first characters are all that is shown: no need for the rest. */
	len = strlen(html);
	if (len > PUBLISH_HTML_INPUT_MAX) {
		len = PUBLISH_HTML_INPUT_MAX;
		while (len > 0 && ((unsigned char)html[len] & 0xc0) == 0x80)
			len--;
	}
	doc = htmlReadMemory(html, (int)len, NULL, "UTF-8",
	    HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |
		HTML_PARSE_NONET | HTML_PARSE_COMPACT);
	if (doc == NULL)
		return;
	/* Iterative: a hostile page may nest deeper than the stack. */
	n = doc->children;
	while (n != NULL && !t.full) {
		if (n->type == XML_ELEMENT_NODE) {
			const char *name = (const char *)n->name;

			if (!text_skipped(name)) {
				if (!text_inline(name))
					t.space = 1;
				if (n->children != NULL) {
					n = n->children;
					continue;
				}
			}
		} else if (n->type == XML_TEXT_NODE ||
			   n->type == XML_CDATA_SECTION_NODE) {
			if (n->content != NULL)
				text_add(&t, (const char *)n->content);
		}
		while (n != NULL && n->next == NULL) {
			n = n->parent;
			if (n == NULL || n->type == XML_HTML_DOCUMENT_NODE ||
			    n->type == XML_DOCUMENT_NODE) {
				n = NULL;
				break;
			}
			if (!text_inline((const char *)n->name))
				t.space = 1;
		}
		if (n != NULL)
			n = n->next;
	}
	xmlFreeDoc(doc);
}

/* Documents --------------------------------------------------------------- */

/* The gzip form of a body; NULL when it would not be smaller. */
static char *
publish_gzip(const char *body, size_t len, size_t *outlen)
{
	z_stream z;
	char *out;
	uLong bound;
	int rc;

	memset(&z, 0, sizeof z);
	/* 15 + 16: a gzip wrapper, not zlib's; no name or time in it. */
	if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
		Z_DEFAULT_STRATEGY) != Z_OK)
		fatalx("deflateInit2 failed");
	bound = deflateBound(&z, (uLong)len);
	out = xmalloc(bound);
	z.next_in = (Bytef *)(uintptr_t)body;
	z.avail_in = (uInt)len;
	z.next_out = (Bytef *)out;
	z.avail_out = (uInt)bound;
	rc = deflate(&z, Z_FINISH);
	*outlen = z.total_out;
	deflateEnd(&z);
	if (rc != Z_STREAM_END || *outlen >= len) {
		free(out);
		return NULL;
	}
	return out;
}

/*
 * Moves len bytes into a memory file mapped read-only; returns the mapping
 * and sets *fdp, or NULL (with *fdp -1) to keep them where they are.
 */
static char *
doc_file(const char *data, size_t len, int *fdp)
{
	size_t off = 0;
	ssize_t n;
	void *map;
	int fd;

	*fdp = -1;
	if (len < PUBLISH_FILE_MIN)
		return NULL;
	if ((fd = memfd_create("feedmux-doc", MFD_CLOEXEC)) == -1)
		return NULL;
	while (off < len) {
		if ((n = write(fd, data + off, len - off)) == -1) {
			if (errno == EINTR)
				continue;
			close(fd);
			return NULL;
		}
		off += (size_t)n;
	}
	map = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED) {
		close(fd);
		return NULL;
	}
	*fdp = fd;
	return map;
}

/* Whether a rendering gives the bytes of a document already made. */
static int
doc_same(const struct publish_doc *d, const struct buf *b)
{
	char hex[65];

	if (d == NULL)
		return 0;
	hash_sha256_hex(b->data != NULL ? b->data : "", b->len, hex);
	return strncmp(d->etag + 1, hex, 32) == 0;
}

/* Makes a document of a buffer's bytes, which it takes. */
static struct publish_doc *
doc_new(
    struct buf *b, const char *content_type, int64_t modified, int64_t max_age)
{
	struct publish_doc *d;
	char hex[65], *body, *gzip, *map;

	d = xcalloc(1, sizeof *d);
	d->fd = d->gzip_fd = -1;
	buf_add(b, "", 0);
	body = buf_steal(b, &d->len);
	hash_sha256_hex(body, d->len, hex);
	snprintf(d->etag, sizeof d->etag, "\"%.32s\"", hex);
	snprintf(d->etag_gzip, sizeof d->etag_gzip, "\"%.32s-gz\"", hex);
	gzip = publish_gzip(body, d->len, &d->gzip_len);
	/* With its NUL, so that the mapped body is a C string too. */
	if ((map = doc_file(body, d->len + 1, &d->fd)) != NULL) {
		free(body);
		body = map;
	}
	d->body = body;
	if (gzip != NULL &&
	    (map = doc_file(gzip, d->gzip_len, &d->gzip_fd)) != NULL) {
		free(gzip);
		gzip = map;
	}
	d->gzip = gzip;
	d->content_type = content_type;
	d->modified = modified;
	d->max_age = max_age;
	d->refs = 1;
	return d;
}

void
publish_doc_ref(struct publish_doc *d)
{
	d->refs++;
}

void
publish_doc_unref(struct publish_doc *d)
{
	if (d == NULL || --d->refs > 0)
		return;
	if (d->fd != -1) {
		munmap((void *)(uintptr_t)d->body, d->len + 1);
		close(d->fd);
	} else
		free((char *)(uintptr_t)d->body);
	if (d->gzip_fd != -1) {
		munmap((void *)(uintptr_t)d->gzip, d->gzip_len);
		close(d->gzip_fd);
	} else
		free((char *)(uintptr_t)d->gzip);
	free(d);
}

/* A name-based UUID (SHA-256, version 8 per RFC 9562) as a URN. */
static void
publish_urn(struct buf *b, const char *kind, const char *a, const char *c)
{
	struct buf in;
	char hex[65];

	buf_init(&in);
	buf_printf(&in, "feedmux %s\n%s\n%s", kind, a, c != NULL ? c : "");
	hash_sha256_hex(in.data, in.len, hex);
	buf_free(&in);
	hex[12] = '8';
	hex[16] =
	    "89ab"[(hex[16] >= 'a' ? hex[16] - 'a' + 10 : hex[16] - '0') & 3];
	buf_printf(b, "urn:uuid:%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8,
	    hex + 12, hex + 16, hex + 20);
}

/* A language tag as BCP 47 writes them; anything else is not used. */
static const char *
item_lang(const struct store_item *si)
{
	const char *s = si->feed_lang;
	size_t n;

	if (s == NULL || *s == '\0')
		return NULL;
	n = strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		      "0123456789-");
	if (s[n] != '\0' || n > 35 || s[0] == '-')
		return NULL;
	return s;
}

/* The time an entry was last changed, as Atom's updated says it. */
/*
 * When an entry last changed: its own date, or when the store saw its
 * content change after it first stored it (an edit is news to readers; a
 * second source reporting it is not).
 */
static int64_t
item_updated(const struct store_item *si)
{
	const struct item *it = &si->item;
	int64_t t;

	t = it->updated != PARSE_NO_TIME ? it->updated :
	    it->published != PARSE_NO_TIME ? it->published : si->first_seen;
	if (si->modified > si->first_seen && si->modified > t)
		t = si->modified;
	return t;
}

/* The story an entry stands for: r->items[i] is r->stories[i]'s item. */
static const struct store_story *
item_story(const struct render *r, const struct store_item *si)
{
	return &r->stories[si - r->items];
}

/* An entry's id, the same in every format and for every source it gains. */
static void
entry_urn(struct buf *b, const struct render *r, const struct store_item *si)
{
	const struct store_story *story = item_story(r, si);

	publish_urn(b, "item", story->feed, story->key);
}

/*
 * The other sources of a story, each feed once and not the entry's own, in
 * the order they carried it: indices into story->items. idx must hold
 * story->nitems.
 */
static size_t
story_others(const struct store_story *story, size_t *idx)
{
	size_t n = 0, j;

	for (size_t i = 1; i < story->nitems; i++) {
		if (strcmp(story->items[i].feed, story->items[0].feed) == 0)
			continue;
		for (j = 0; j < n; j++)
			if (strcmp(story->items[idx[j]].feed,
			    story->items[i].feed) == 0)
				break;
		if (j == n)
			idx[n++] = i;
	}
	return n;
}

/* The time an entry is shown with: published, else updated, else first seen. */
static int64_t
item_date(const struct store_item *si)
{
	const struct item *it = &si->item;

	if (it->published != PARSE_NO_TIME)
		return it->published;
	if (it->updated != PARSE_NO_TIME)
		return it->updated;
	return si->first_seen;
}

/* Only these may become a link that a browser follows. */
static int
link_safe(const char *url)
{
	return url != NULL && (strncasecmp(url, "http://", 7) == 0 ||
				  strncasecmp(url, "https://", 8) == 0);
}

static const char *
source_title(const struct store_item *si)
{
	return si->feed_title != NULL && *si->feed_title != '\0'
		   ? si->feed_title
		   : si->feed;
}

static const char *
source_url(const struct render *r, const struct store_item *si)
{
	const struct config_feed *cf = config_feed_find(r->p->config, si->feed);

	return cf != NULL ? cf->url : NULL;
}

/* BASE/feeds/NAME.EXT, escaped for XML. */
static void
self_url(struct buf *b, const struct render *r, enum publish_format f)
{
	publish_escape(b, r->p->base != NULL ? r->p->base : "");
	buf_adds(b, "/feeds/");
	publish_escape(b, r->name);
	buf_addc(b, '.');
	buf_adds(b, formats[f].ext);
}

static void
self_url_json(struct buf *b, const struct render *r, enum publish_format f)
{
	char *url;

	xasprintf(&url, "%s/feeds/%s.%s", r->p->base != NULL ? r->p->base : "",
	    r->name, formats[f].ext);
	buf_add_json(b, url);
	free(url);
}

/* Atom -------------------------------------------------------------------- */

static void
atom_text(struct buf *b, const char *indent, const char *el, const char *text)
{
	if (text == NULL)
		return;
	buf_printf(b, "%s<%s>", indent, el);
	publish_escape(b, text);
	buf_printf(b, "</%s>\n", el);
}

static void
atom_html(struct buf *b, const char *el, const char *html)
{
	if (html == NULL)
		return;
	buf_printf(b, "    <%s type=\"html\">", el);
	publish_escape(b, html);
	buf_printf(b, "</%s>\n", el);
}

static void
atom_date(struct buf *b, const char *indent, const char *el, int64_t t)
{
	char date[21];

	time_rfc3339(t, date);
	buf_printf(b, "%s<%s>%s</%s>\n", indent, el, date, el);
}

static void
atom_link(struct buf *b, const char *indent, const char *rel, const char *type,
    const char *href)
{
	buf_printf(b, "%s<link rel=\"%s\"", indent, rel);
	if (type != NULL)
		buf_printf(b, " type=\"%s\"", type);
	buf_adds(b, " href=\"");
	publish_escape(b, href);
	buf_adds(b, "\"/>\n");
}

static void
atom_entry(struct buf *b, const struct render *r, const struct store_item *si)
{
	const struct item *it = &si->item;
	const char *lang = item_lang(si), *url = source_url(r, si);
	const struct store_story *story;
	size_t *idx, n;

	buf_adds(b, "  <entry");
	if (lang != NULL)
		buf_printf(b, " xml:lang=\"%s\"", lang);
	buf_adds(b, ">\n    <id>");
	entry_urn(b, r, si);
	buf_adds(b, "</id>\n");
	atom_text(b, "    ", "title", it->title != NULL ? it->title : "");
	if (it->link != NULL)
		atom_link(b, "    ", "alternate", NULL, it->link);
	/* The other outlets that carried the story (RFC 4287, 4.2.7.2). */
	story = item_story(r, si);
	idx = xcalloc(story->nitems, sizeof *idx);
	n = story_others(story, idx);
	for (size_t i = 0; i < n; i++) {
		const struct store_item *other = &story->items[idx[i]];
		const char *href = other->item.link != NULL ?
		    other->item.link : source_url(r, other);

		if (href == NULL)
			continue;
		buf_adds(b, "    <link rel=\"via\" href=\"");
		publish_escape(b, href);
		buf_adds(b, "\" title=\"");
		publish_escape(b, source_title(other));
		buf_adds(b, "\"/>\n");
	}
	free(idx);
	if (it->published != PARSE_NO_TIME)
		atom_date(b, "    ", "published", it->published);
	atom_date(b, "    ", "updated", item_updated(si));
	if (it->author != NULL) {
		buf_adds(b, "    <author>\n");
		atom_text(b, "      ", "name", it->author);
		buf_adds(b, "    </author>\n");
	}
	for (size_t i = 0; i < it->ncategories; i++) {
		buf_adds(b, "    <category term=\"");
		publish_escape(b, it->categories[i]);
		buf_adds(b, "\"/>\n");
	}
	atom_html(b, "summary", it->summary);
	atom_html(b, "content", it->content);

	/* The feed it came from, as RFC 4287's atom:source. */
	buf_adds(b, "    <source>\n      <id>");
	publish_urn(b, "feed", si->feed, NULL);
	buf_adds(b, "</id>\n");
	atom_text(b, "      ", "title", source_title(si));
	if (url != NULL)
		atom_link(b, "      ", "self", NULL, url);
	if (si->feed_link != NULL)
		atom_link(b, "      ", "alternate", NULL, si->feed_link);
	buf_adds(b, "    </source>\n  </entry>\n");
}

static void
render_atom(struct buf *b, const struct render *r)
{
	buf_adds(b, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
		    "<feed xmlns=\"http://www.w3.org/2005/Atom\">\n  <id>");
	publish_urn(b, "output", r->name, NULL);
	buf_adds(b, "</id>\n");
	atom_text(b, "  ", "title", r->co->title);
	atom_date(b, "  ", "updated", r->updated);
	buf_adds(
	    b, "  <link rel=\"self\" type=\"application/atom+xml\" href=\"");
	self_url(b, r, FMT_ATOM);
	buf_adds(
	    b, "\"/>\n  <link rel=\"alternate\" type=\"text/html\" href=\"");
	self_url(b, r, FMT_HTML);
	buf_adds(b, "\"/>\n");
	if (r->co->hub != NULL)
		atom_link(b, "  ", "hub", NULL, r->co->hub);
	buf_adds(b, "  <author><name>feedmux</name></author>\n");
	buf_printf(b, "  <generator version=\"%s\">%s</generator>\n",
	    FEEDMUX_VERSION, PUBLISH_GENERATOR);
	for (size_t i = 0; i < r->n; i++)
		atom_entry(b, r, &r->items[i]);
	buf_adds(b, "</feed>\n");
}

/* RSS 2.0 ----------------------------------------------------------------- */

static void
rss_date(struct buf *b, const char *indent, const char *el, int64_t t)
{
	char date[30];

	/* IMF-fixdate is an RFC 822 date with "GMT" as its zone. */
	time_http(t, date);
	buf_printf(b, "%s<%s>%s</%s>\n", indent, el, date, el);
}

static void
rss_item(struct buf *b, const struct render *r, const struct store_item *si)
{
	const struct item *it = &si->item;
	const char *lang = item_lang(si), *url = source_url(r, si);
	char date[21];

	buf_adds(b, "    <item");
	if (lang != NULL)
		buf_printf(b, " xml:lang=\"%s\"", lang);
	buf_adds(b, ">\n");
	atom_text(b, "      ", "title", it->title != NULL ? it->title : "");
	if (it->link != NULL)
		atom_text(b, "      ", "link", it->link);
	buf_adds(b, "      <guid isPermaLink=\"false\">");
	entry_urn(b, r, si);
	buf_adds(b, "</guid>\n");
	rss_date(b, "      ", "pubDate", item_date(si));
	/* RSS has no date of change: Atom's, as feed readers know it. */
	time_rfc3339(item_updated(si), date);
	buf_printf(b, "      <atom:updated>%s</atom:updated>\n", date);
	/* RSS's author is an e-mail address; a name goes in dc:creator. */
	atom_text(b, "      ", "dc:creator", it->author);
	for (size_t i = 0; i < it->ncategories; i++)
		atom_text(b, "      ", "category", it->categories[i]);
	if (it->summary != NULL || it->content != NULL)
		atom_text(b, "      ", "description",
		    it->summary != NULL ? it->summary : it->content);
	atom_text(b, "      ", "content:encoded", it->content);
	if (url != NULL) {
		buf_adds(b, "      <source url=\"");
		publish_escape(b, url);
		buf_adds(b, "\">");
		publish_escape(b, source_title(si));
		buf_adds(b, "</source>\n");
	}
	buf_adds(b, "    </item>\n");
}

static void
render_rss(struct buf *b, const struct render *r)
{
	buf_adds(b,
	    "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
	    "<rss version=\"2.0\" xmlns:atom=\"http://www.w3.org/2005/Atom\""
	    " xmlns:dc=\"http://purl.org/dc/elements/1.1/\""
	    " xmlns:content=\"http://purl.org/rss/1.0/modules/content/\">\n"
	    "  <channel>\n");
	atom_text(b, "    ", "title", r->co->title);
	buf_adds(b, "    <link>");
	self_url(b, r, FMT_HTML);
	buf_adds(b, "</link>\n");
	buf_adds(b, "    <description>");
	publish_escape(b, r->co->title);
	buf_adds(b, " (feedmux)</description>\n");
	buf_adds(b, "    <atom:link rel=\"self\" type=\"application/rss+xml\""
		    " href=\"");
	self_url(b, r, FMT_RSS);
	buf_adds(b, "\"/>\n");
	if (r->co->hub != NULL) {
		buf_adds(b, "    <atom:link rel=\"hub\" href=\"");
		publish_escape(b, r->co->hub);
		buf_adds(b, "\"/>\n");
	}
	rss_date(b, "    ", "lastBuildDate", r->updated);
	buf_printf(b, "    <generator>%s %s</generator>\n", PUBLISH_GENERATOR,
	    FEEDMUX_VERSION);
	/* Minutes, as max-age says in seconds. */
	if (r->p->max_age > 0)
		buf_printf(b, "    <ttl>%lld</ttl>\n",
		    (long long)((r->p->max_age + 59) / 60));
	for (size_t i = 0; i < r->n; i++)
		rss_item(b, r, &r->items[i]);
	buf_adds(b, "  </channel>\n</rss>\n");
}

/* JSON Feed 1.1 ----------------------------------------------------------- */

static void
json_date(struct buf *b, const char *key, int64_t t)
{
	char date[21];

	time_rfc3339(t, date);
	buf_printf(b, ", \"%s\": \"%s\"", key, date);
}

/*
 * An item's summary (else its content) as plain text, cut to fit the HTML
 * view: made once per rendering for every format that shows it.
 */
static const char *
item_text(const struct render *r, size_t i)
{
	const struct item *it = &r->items[i].item;
	struct buf b;

	if (r->texts[i] == NULL) {
		buf_init(&b);
		buf_add(&b, "", 0);
		publish_html_text(&b,
		    it->summary != NULL ? it->summary : it->content,
		    PUBLISH_SUMMARY_CHARS);
		r->texts[i] = buf_steal(&b, NULL);
	}
	return r->texts[i];
}

static void
json_item(struct buf *b, const struct render *r, size_t i)
{
	const struct store_item *si = &r->items[i];
	const struct item *it = &si->item;
	const char *lang = item_lang(si), *url = source_url(r, si);

	buf_adds(b, "    {\"id\": \"");
	entry_urn(b, r, si);
	buf_addc(b, '"');
	if (it->link != NULL) {
		buf_adds(b, ", \"url\": ");
		buf_add_json(b, it->link);
	}
	buf_adds(b, ", \"title\": ");
	buf_add_json(b, it->title != NULL ? it->title : "");
	/* content_html as the source gave it; summary is plain text here. */
	if (it->content != NULL || it->summary != NULL) {
		buf_adds(b, ", \"content_html\": ");
		buf_add_json(
		    b, it->content != NULL ? it->content : it->summary);
	} else
		buf_adds(b, ", \"content_text\": \"\"");
	if (it->summary != NULL && *item_text(r, i) != '\0') {
		buf_adds(b, ", \"summary\": ");
		buf_add_json(b, item_text(r, i));
	}
	if (it->published != PARSE_NO_TIME)
		json_date(b, "date_published", it->published);
	json_date(b, "date_modified", item_updated(si));
	if (it->author != NULL) {
		buf_adds(b, ", \"authors\": [{\"name\": ");
		buf_add_json(b, it->author);
		buf_adds(b, "}]");
	}
	if (it->ncategories > 0) {
		buf_adds(b, ", \"tags\": [");
		for (size_t k = 0; k < it->ncategories; k++) {
			if (k > 0)
				buf_adds(b, ", ");
			buf_add_json(b, it->categories[k]);
		}
		buf_addc(b, ']');
	}
	if (lang != NULL) {
		buf_adds(b, ", \"language\": ");
		buf_add_json(b, lang);
	}
	/* An extension object (JSON Feed 1.1, "Extensions"): every source. */
	buf_adds(b, ", \"_feedmux\": {\"sources\": [{\"name\": ");
	buf_add_json(b, si->feed);
	buf_adds(b, ", \"title\": ");
	buf_add_json(b, source_title(si));
	if (url != NULL) {
		buf_adds(b, ", \"feed_url\": ");
		buf_add_json(b, url);
	}
	if (si->feed_link != NULL) {
		buf_adds(b, ", \"home_page_url\": ");
		buf_add_json(b, si->feed_link);
	}
	buf_adds(b, "}]}}");
}

static void
render_json(struct buf *b, const struct render *r)
{
	buf_adds(b, "{\n  \"version\": \"https://jsonfeed.org/version/1.1\",\n"
		    "  \"title\": ");
	buf_add_json(b, r->co->title);
	buf_adds(b, ",\n  \"home_page_url\": ");
	self_url_json(b, r, FMT_HTML);
	buf_adds(b, ",\n  \"feed_url\": ");
	self_url_json(b, r, FMT_JSON);
	if (r->co->hub != NULL) {
		buf_adds(b, ",\n  \"hubs\": [{\"type\": \"WebSub\", \"url\": ");
		buf_add_json(b, r->co->hub);
		buf_adds(b, "}]");
	}
	buf_adds(b, ",\n  \"items\": [");
	for (size_t i = 0; i < r->n; i++) {
		buf_adds(b, i == 0 ? "\n" : ",\n");
		json_item(b, r, i);
	}
	buf_adds(b, r->n > 0 ? "\n  ]\n}\n" : "]\n}\n");
}

/* HTML -------------------------------------------------------------------- */

#define HTML_STYLE                                                             \
	"body{font-family:system-ui,sans-serif;max-width:50em;margin:0 auto;"  \
	"padding:1em;line-height:1.5;color:#222}"                              \
	"a{color:#0645ad}h1{font-size:1.6em;margin:.3em 0}"                    \
	"h2{font-size:1.2em;margin:1.2em 0 .3em}"                              \
	"article{border-bottom:1px solid #ddd;padding:.4em 0 .8em}"            \
	"article h2{font-size:1.1em;margin:.2em 0}"                            \
	".meta{color:#555;font-size:.9em;margin:0}"                            \
	"p{margin:.3em 0}table{border-collapse:collapse}"                      \
	"td,th{padding:.2em .6em;border-bottom:1px solid #ddd;"                \
	"text-align:start;vertical-align:top}"                                 \
	".err{color:#a00}code{font-size:.9em}"

static void
html_head(struct buf *b, const char *title)
{
	buf_adds(b,
	    "<!DOCTYPE html>\n<html>\n<head>\n<meta charset=\"utf-8\">\n"
	    "<meta name=\"viewport\" content=\"width=device-width, "
	    "initial-scale=1\">\n<title>");
	publish_escape(b, title);
	buf_adds(b, "</title>\n<style>" HTML_STYLE "</style>\n");
}

/* "2024-03-04 09:00 UTC", in a <time> element. */
static void
html_date(struct buf *b, int64_t t)
{
	char date[21];

	time_rfc3339(t, date);
	buf_printf(b, "<time datetime=\"%s\">%.10s %.5s UTC</time>", date, date,
	    date + 11);
}

/* The subscribe links of an output, relative to dir ("" or "feeds/"). */
static void
html_subscribe(struct buf *b, const char *dir, const char *name)
{
	for (int f = FMT_ATOM; f <= FMT_JSON; f++) {
		buf_adds(b, f == FMT_ATOM ? "" : " \xc2\xb7 ");
		buf_printf(b, "<a href=\"%s", dir);
		publish_escape(b, name);
		buf_printf(b, ".%s\" type=\"", formats[f].ext);
		buf_add(b, formats[f].content_type,
		    strcspn(formats[f].content_type, ";"));
		buf_printf(b, "\">%s</a>", formats[f].name);
	}
}

static void
html_article(struct buf *b, const struct render *r, size_t i)
{
	const struct store_item *si = &r->items[i];
	const struct item *it = &si->item;
	const struct store_story *story;
	size_t *idx, n;
	const char *lang = item_lang(si);
	const char *title =
	    it->title != NULL && *it->title != '\0' ? it->title : "(untitled)";

	buf_adds(b, "<article");
	if (lang != NULL)
		buf_printf(b, " lang=\"%s\"", lang);
	buf_adds(b, ">\n<h2 dir=\"auto\">");
	if (link_safe(it->link)) {
		buf_adds(b, "<a href=\"");
		publish_escape(b, it->link);
		buf_adds(b, "\">");
		publish_escape(b, title);
		buf_adds(b, "</a>");
	} else
		publish_escape(b, title);
	buf_adds(
	    b, "</h2>\n<p class=\"meta\" dir=\"auto\"><span dir=\"auto\">");
	publish_escape(b, source_title(si));
	buf_adds(b, "</span>");
	if (it->author != NULL) {
		buf_adds(b, " \xc2\xb7 <span dir=\"auto\">");
		publish_escape(b, it->author);
		buf_adds(b, "</span>");
	}
	buf_adds(b, " \xc2\xb7 ");
	html_date(b, item_date(si));
	story = item_story(r, si);
	idx = xcalloc(story->nitems, sizeof *idx);
	if ((n = story_others(story, idx)) > 0) {
		buf_adds(b, " \xc2\xb7 also reported by ");
		for (size_t k = 0; k < n; k++) {
			const struct store_item *other = &story->items[idx[k]];

			if (k > 0)
				buf_adds(b, ", ");
			buf_adds(b, "<span dir=\"auto\">");
			if (link_safe(other->item.link)) {
				buf_adds(b, "<a href=\"");
				publish_escape(b, other->item.link);
				buf_adds(b, "\">");
				publish_escape(b, source_title(other));
				buf_adds(b, "</a>");
			} else
				publish_escape(b, source_title(other));
			buf_adds(b, "</span>");
		}
	}
	free(idx);
	buf_adds(b, "</p>\n");
	if ((it->summary != NULL || it->content != NULL) &&
	    *item_text(r, i) != '\0') {
		buf_adds(b, "<p dir=\"auto\">");
		publish_escape(b, item_text(r, i));
		buf_adds(b, "</p>\n");
	}
	buf_adds(b, "</article>\n");
}

static void
render_html(struct buf *b, const struct render *r)
{
	html_head(b, r->co->title);
	for (int f = FMT_ATOM; f <= FMT_JSON; f++) {
		buf_adds(b, "<link rel=\"alternate\" type=\"");
		buf_add(b, formats[f].content_type,
		    strcspn(formats[f].content_type, ";"));
		buf_adds(b, "\" title=\"");
		publish_escape(b, r->co->title);
		buf_printf(b, " (%s)\" href=\"", formats[f].name);
		publish_escape(b, r->name);
		buf_printf(b, ".%s\">\n", formats[f].ext);
	}
	buf_adds(b, "</head>\n<body>\n<header>\n<h1 dir=\"auto\">");
	publish_escape(b, r->co->title);
	buf_adds(b, "</h1>\n<p>Subscribe: ");
	html_subscribe(b, "", r->name);
	buf_adds(b, " \xc2\xb7 <a href=\"../\">all outputs</a></p>\n"
		    "</header>\n<main>\n");
	for (size_t i = 0; i < r->n; i++)
		html_article(b, r, i);
	if (r->n == 0)
		buf_adds(b, "<p>No items yet.</p>\n");
	buf_adds(b, "</main>\n</body>\n</html>\n");
}

/* Outputs ----------------------------------------------------------------- */

static void (*const renderers[FMT_N])(struct buf *, const struct render *) = {
    [FMT_ATOM] = render_atom,
    [FMT_RSS] = render_rss,
    [FMT_JSON] = render_json,
    [FMT_HTML] = render_html,
};

/* Renders an output in every format; 1 if any document changed. */
static int
publish_render(struct publisher *p, struct publish_out *o)
{
	struct render r;
	struct publish_doc *d, *old;
	struct buf b;
	int64_t now = now_unix();
	int changed = 0;

	o->dirty = 0;
	memset(&r, 0, sizeof r);
	r.p = p;
	r.name = o->name;
	if ((r.co = config_output_find(p->config, o->name)) == NULL)
		return 0;
	if (store_output_stories(
		p->store, o->name, r.co->max_items, &r.stories, &r.n) != 0) {
		/*
		 * Keep serving what was rendered last, and try again at the
		 * next request; never a document with items missing.
		 */
		if (!o->failed)
			log_warnx("output %s: cannot read its items; serving "
			    "what it had", o->name);
		o->failed = 1;
		o->dirty = 1;
		if (o->docs[FMT_ATOM] != NULL)
			return 0;
		r.stories = NULL;
		r.n = 0;
	} else {
		o->failed = 0;
		o->renders++;
	}
	if (o->born == 0)
		o->born = now;
	/* Each story's own item in a row; the stories keep what they point to. */
	r.items = xcalloc(r.n > 0 ? r.n : 1, sizeof *r.items);
	for (size_t i = 0; i < r.n; i++) {
		r.items[i] = r.stories[i].items[0];
		for (size_t j = 0; j < r.stories[i].nitems; j++)
			if (r.stories[i].items[j].modified > r.updated)
				r.updated = r.stories[i].items[j].modified;
	}
	if (r.updated == 0)
		r.updated = o->born;

	r.texts = xcalloc(r.n > 0 ? r.n : 1, sizeof *r.texts);
	for (int f = 0; f < FMT_N; f++) {
		buf_init(&b);
		renderers[f](&b, &r);
		old = o->docs[f];
		if (doc_same(old, &b)) {
			buf_free(&b);
			if (old->max_age == p->max_age)
				continue;
			/* Same bytes, new headers: a copy that says so. */
			buf_add(&b, old->body, old->len);
			d = doc_new(&b, formats[f].content_type, old->modified,
			    p->max_age);
		} else {
			d = doc_new(
			    &b, formats[f].content_type, r.updated, p->max_age);
			/* A change must move Last-Modified, even if no item is
			 * newer. */
			if (old != NULL && d->modified <= old->modified)
				d->modified =
				    now > old->modified ? now : old->modified;
			changed = 1;
		}
		publish_doc_unref(old);
		o->docs[f] = d;
	}
	for (size_t i = 0; i < r.n; i++)
		free(r.texts[i]);
	free(r.texts);
	free(r.items);
	store_stories_free(r.stories, r.n);
	return changed;
}

static void
publish_out_clear(struct publish_out *o)
{
	free(o->name);
	for (int f = 0; f < FMT_N; f++)
		publish_doc_unref(o->docs[f]);
	memset(o, 0, sizeof *o);
}

/* Readers need not look again sooner than the quickest feed can change. */
static int64_t
publish_max_age(const struct config *cf)
{
	int64_t age = cf->interval;

	for (size_t i = 0; i < cf->nfeeds; i++)
		if (cf->feeds[i].interval < age)
			age = cf->feeds[i].interval;
	if (age > PUBLISH_MAX_AGE_CAP)
		age = PUBLISH_MAX_AGE_CAP;
	return age > 0 ? age : 0;
}

void
publish_set_config(struct publisher *p, const struct config *cf)
{
	struct publish_out *outs;

	outs = xcalloc(cf->noutputs, sizeof *outs);
	for (size_t i = 0; i < cf->noutputs; i++) {
		outs[i].name = xstrdup(cf->outputs[i].name);
		outs[i].dirty = 1;
		/* An output that stays keeps its documents until rendered. */
		for (size_t j = 0; j < p->nouts; j++) {
			if (p->outs[j].name != NULL &&
			    strcmp(p->outs[j].name, outs[i].name) == 0) {
				memcpy(outs[i].docs, p->outs[j].docs,
				    sizeof outs[i].docs);
				memset(
				    p->outs[j].docs, 0, sizeof p->outs[j].docs);
				outs[i].born = p->outs[j].born;
			}
		}
	}
	for (size_t j = 0; j < p->nouts; j++)
		publish_out_clear(&p->outs[j]);
	free(p->outs);
	p->outs = outs;
	p->nouts = cf->noutputs;
	p->config = cf;
	p->max_age = publish_max_age(cf);
	p->feeds_stale = 1;
}

void
publish_set_base(struct publisher *p, const char *base)
{
	if (p->base != NULL && base != NULL && strcmp(p->base, base) == 0)
		return;
	free(p->base);
	p->base = base != NULL ? xstrdup(base) : NULL;
	publish_invalidate(p, NULL);
}

struct publisher *
publish_new(struct store *store, const struct config *cf,
    const struct publish_status *status)
{
	struct publisher *p;

	p = xcalloc(1, sizeof *p);
	p->store = store;
	p->status = status;
	publish_set_config(p, cf);
	return p;
}

void
publish_free(struct publisher *p)
{
	if (p == NULL)
		return;
	for (size_t i = 0; i < p->nouts; i++)
		publish_out_clear(&p->outs[i]);
	free(p->outs);
	publish_doc_unref(p->index);
	publish_doc_unref(p->opml);
	free(p->base);
	free(p);
}

void
publish_invalidate(struct publisher *p, const char *output)
{
	for (size_t i = 0; i < p->nouts; i++)
		if (output == NULL || strcmp(p->outs[i].name, output) == 0)
			p->outs[i].dirty = 1;
}

void
publish_refresh(
    struct publisher *p, void (*changed)(const char *, void *), void *arg)
{
	for (size_t i = 0; i < p->nouts; i++) {
		if (!p->outs[i].dirty)
			continue;
		if (publish_render(p, &p->outs[i]) && changed != NULL)
			changed(p->outs[i].name, arg);
	}
}

void
publish_feeds_changed(struct publisher *p)
{
	p->feeds_stale = 1;
}

struct publish_doc *
publish_get(struct publisher *p, const char *output, const char *format)
{
	int f;

	for (f = 0; f < FMT_N; f++)
		if (strcmp(formats[f].ext, format) == 0)
			break;
	if (f == FMT_N)
		return NULL;
	for (size_t i = 0; i < p->nouts; i++)
		if (strcmp(p->outs[i].name, output) == 0)
			return p->outs[i].docs[f];
	return NULL;
}

/* Index and OPML ---------------------------------------------------------- */

static void
html_time(struct buf *b, int64_t t)
{
	if (t == 0) {
		buf_adds(b, "never");
		return;
	}
	html_date(b, t);
}

/* Is this output among those whose items are being chosen anew? */
static int
status_refiltering(const struct publish_status *st, const char *output)
{
	for (size_t i = 0; i < st->nrefilter; i++)
		if (strcmp(st->refilter_outputs[i], output) == 0)
			return 1;
	return 0;
}

static void
render_index(struct publisher *p, struct buf *b)
{
	const struct config *cf = p->config;
	const struct publish_status *st = p->status;
	struct store_feed *feeds = NULL;
	size_t nfeeds = 0;

	html_head(b, "feedmux");
	buf_adds(b, "</head>\n<body>\n<h1>feedmux</h1>\n");
	if (store_fault(p->store) != NULL) {
		buf_adds(b, "<p class=\"err\">The database cannot be written (");
		publish_escape(b, store_fault(p->store));
		buf_adds(b, "): serving what it holds, retrying.</p>\n");
	}
	buf_adds(b, "<h2>Outputs</h2>\n");
	if (cf->noutputs == 0)
		buf_adds(b, "<p>None configured.</p>\n");
	else
		buf_adds(b, "<table>\n<tr><th>output</th><th>subscribe</th>"
			    "</tr>\n");
	for (size_t i = 0; i < cf->noutputs; i++) {
		const struct config_output *o = &cf->outputs[i];

		buf_adds(b, "<tr><td><a href=\"feeds/");
		publish_escape(b, o->name);
		buf_adds(b, ".html\" dir=\"auto\">");
		publish_escape(b, o->title);
		buf_adds(b, "</a> <code>/feeds/");
		publish_escape(b, o->name);
		buf_adds(b, ".atom</code>");
		if (status_refiltering(st, o->name))
			buf_printf(b,
			    "<br><small class=\"refilter\">re-filtering after "
			    "its filter changed: %llu of %llu stored "
			    "items</small>",
			    (unsigned long long)st->refilter_done,
			    (unsigned long long)st->refilter_items);
		buf_adds(b, "</td><td>");
		html_subscribe(b, "feeds/", o->name);
		buf_adds(b, "</td></tr>\n");
	}
	if (cf->noutputs > 0)
		buf_adds(b, "</table>\n");

	buf_adds(b, "<h2>Feeds</h2>\n<table>\n<tr><th>feed</th>"
		    "<th>last fetch</th><th>result</th><th>items</th>"
		    "<th>next poll</th></tr>\n");
	if (store_feed_list(p->store, &feeds, &nfeeds) != 0)
		buf_adds(b, "<tr><td colspan=\"5\" class=\"err\">"
			    "the database cannot be read</td></tr>\n");
	for (size_t i = 0; i < nfeeds; i++) {
		const struct store_feed *f = &feeds[i];
		const struct config_feed *cfeed = config_feed_find(cf, f->name);

		buf_adds(b, "<tr><td>");
		if (cfeed != NULL && link_safe(cfeed->url)) {
			buf_adds(b, "<a href=\"");
			publish_escape(b, cfeed->url);
			buf_adds(b, "\">");
			publish_escape(b, f->name);
			buf_adds(b, "</a>");
		} else
			publish_escape(b, f->name);
		if (f->title != NULL && strcmp(f->title, f->name) != 0) {
			buf_adds(b, "<br><small dir=\"auto\">");
			publish_escape(b, f->title);
			buf_adds(b, "</small>");
		}
		buf_adds(b, "</td><td>");
		html_time(b, f->last_fetch);
		buf_adds(b, "</td><td>");
		if (f->last_fetch == 0)
			buf_adds(b, "not fetched yet");
		else if (f->last_error != NULL) {
			buf_adds(b, "<span class=\"err\" dir=\"auto\">");
			publish_escape(b, f->last_error);
			buf_adds(b, "</span>");
		} else
			buf_printf(b, "ok (HTTP %ld, %lld new)", f->last_status,
			    (long long)f->last_new);
		buf_printf(b, "</td><td>%lld</td><td>", (long long)f->nitems);
		html_time(b, f->next_poll);
		buf_adds(b, "</td></tr>\n");
	}
	store_feed_list_free(feeds, nfeeds);
	buf_adds(b, "</table>\n<h2>Configuration</h2>\n<p>");
	publish_escape(b, cf->path);
	buf_adds(b, ": ");
	if (st->reloaded == 0)
		buf_adds(b, "loaded at start");
	else if (st->reload_error == NULL) {
		buf_adds(b, "reloaded ");
		html_time(b, st->reloaded);
	} else {
		buf_adds(b, "<span class=\"err\">reload ");
		html_time(b, st->reloaded);
		buf_adds(b, " failed, running the previous one:</span></p>\n"
			    "<pre dir=\"auto\">");
		publish_escape(b, st->reload_error);
		buf_adds(b, "</pre><p>");
	}
	buf_adds(b, "</p>\n<p>running since ");
	html_time(b, st->started);
	buf_adds(b, " \xc2\xb7 <a href=\"opml\">OPML</a> \xc2\xb7 "
		    "<a href=\"metrics\">metrics</a> \xc2\xb7 "
		    "<a href=\"healthz\">health</a></p>\n</body>\n</html>\n");
}

static int
feed_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct store_feed *)elem)->name);
}

static void
render_opml(struct publisher *p, struct buf *b)
{
	const struct config *cf = p->config;
	struct store_feed *feeds = NULL, *f;
	size_t nfeeds = 0;

	/* Sorted by name, as the store lists them. */
	if (store_feed_list(p->store, &feeds, &nfeeds) != 0)
		nfeeds = 0;
	buf_adds(b, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
		    "<opml version=\"2.0\">\n  <head>\n"
		    "    <title>feedmux feeds</title>\n  </head>\n  <body>\n");
	for (size_t i = 0; i < cf->nfeeds; i++) {
		const struct config_feed *c = &cf->feeds[i];
		const char *text = c->name;

		f = bsearch(c->name, feeds, nfeeds, sizeof *feeds, feed_cmp);
		if (f != NULL && f->title != NULL && *f->title != '\0')
			text = f->title;
		buf_adds(b, "    <outline type=\"rss\" text=\"");
		publish_escape(b, text);
		buf_adds(b, "\" title=\"");
		publish_escape(b, text);
		buf_adds(b, "\" xmlUrl=\"");
		publish_escape(b, c->url);
		buf_adds(b, "\"");
		if (f != NULL && f->link != NULL) {
			buf_adds(b, " htmlUrl=\"");
			publish_escape(b, f->link);
			buf_adds(b, "\"");
		}
		buf_adds(b, "/>\n");
	}
	buf_adds(b, "  </body>\n</opml>\n");
	store_feed_list_free(feeds, nfeeds);
}

/* Replaces *dp with a new rendering unless the bytes are the same. */
static void
publish_swap(struct publish_doc **dp, struct buf *b, const char *ctype)
{
	struct publish_doc *d;
	int64_t now = now_unix();

	if (doc_same(*dp, b)) {
		buf_free(b);
		return;
	}
	d = doc_new(b, ctype, now, 0);
	publish_doc_unref(*dp);
	*dp = d;
}

static void
publish_feeds_render(struct publisher *p)
{
	struct buf b;

	if (!p->feeds_stale && p->index != NULL && p->opml != NULL)
		return;
	p->feeds_stale = 0;
	buf_init(&b);
	render_index(p, &b);
	publish_swap(&p->index, &b, "text/html; charset=utf-8");
	buf_init(&b);
	render_opml(p, &b);
	publish_swap(&p->opml, &b, "text/x-opml; charset=utf-8");
}

struct publish_doc *
publish_index(struct publisher *p)
{
	publish_feeds_render(p);
	return p->index;
}

struct publish_doc *
publish_opml(struct publisher *p)
{
	publish_feeds_render(p);
	return p->opml;
}

/* Metrics and health ------------------------------------------------------ */

static void
metric_head(struct buf *b, const char *name, const char *type, const char *help)
{
	buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

void
publish_metrics(struct publisher *p, struct buf *b)
{
	static const char *const results[PUBLISH_FETCH_NRESULTS] = {
	    [PUBLISH_FETCH_OK] = "ok",
	    [PUBLISH_FETCH_NOT_MODIFIED] = "not_modified",
	    [PUBLISH_FETCH_HTTP_ERROR] = "http_error",
	    [PUBLISH_FETCH_NETWORK_ERROR] = "network_error",
	    [PUBLISH_FETCH_PARSE_ERROR] = "parse_error",
	};
	const struct publish_status *st = p->status;
	struct store_feed *feeds = NULL;
	size_t nfeeds = 0, never = 0, ok = 0, failing = 0, gone = 0;
	int64_t items = 0, now = now_unix(), overdue = 0;
	int db = store_feed_list(p->store, &feeds, &nfeeds) == 0;

	for (size_t i = 0; i < nfeeds; i++) {
		const struct store_feed *f = &feeds[i];

		if (f->last_fetch == 0)
			never++;
		else if (f->gone != 0)
			gone++;
		else if (f->last_error != NULL)
			failing++;
		else
			ok++;
		items += f->nitems;
		if (f->next_poll > 0 && now - f->next_poll > overdue)
			overdue = now - f->next_poll;
	}
	store_feed_list_free(feeds, nfeeds);

	metric_head(b, "feedmux_start_time_seconds", "gauge",
	    "Unix time the daemon started.");
	buf_printf(
	    b, "feedmux_start_time_seconds %lld\n", (long long)st->started);
	metric_head(b, "feedmux_config_reload_failures_total", "counter",
	    "Reloads of the configuration that failed and kept the running "
	    "one.");
	buf_printf(b, "feedmux_config_reload_failures_total %llu\n",
	    (unsigned long long)st->reloads_failed);
	metric_head(b, "feedmux_config_last_reload_ok", "gauge",
	    "1 if the last reload (or the start) read the configuration.");
	buf_printf(
	    b, "feedmux_config_last_reload_ok %d\n", st->reload_error == NULL);
	metric_head(b, "feedmux_outputs", "gauge", "Outputs configured.");
	buf_printf(b, "feedmux_outputs %zu\n", p->config->noutputs);
	metric_head(b, "feedmux_output_renders_total", "counter",
	    "Times an output was rendered from the store since the start.");
	for (size_t i = 0; i < p->nouts; i++) {
		/* Output names are words of the config: no quote, no newline. */
		buf_printf(b, "feedmux_output_renders_total{output=\"%s\"} %llu\n",
		    p->outs[i].name, (unsigned long long)p->outs[i].renders);
	}
	if (db) {
		metric_head(b, "feedmux_feeds", "gauge",
		    "Configured feeds by the outcome of their last fetch.");
		buf_printf(b, "feedmux_feeds{state=\"ok\"} %zu\n", ok);
		buf_printf(
		    b, "feedmux_feeds{state=\"failing\"} %zu\n", failing);
		buf_printf(
		    b, "feedmux_feeds{state=\"never_fetched\"} %zu\n", never);
		/* 410 Gone: not polled again until its url changes. */
		buf_printf(b, "feedmux_feeds{state=\"gone\"} %zu\n", gone);
		metric_head(b, "feedmux_items_stored", "gauge",
		    "Items stored for the configured feeds.");
		buf_printf(b, "feedmux_items_stored %lld\n", (long long)items);
		metric_head(b, "feedmux_poll_overdue_seconds", "gauge",
		    "How long past its next poll time the most overdue feed "
		    "is.");
		buf_printf(b, "feedmux_poll_overdue_seconds %lld\n",
		    (long long)overdue);
	}
	metric_head(b, "feedmux_refilter_outputs", "gauge",
	    "Outputs whose items are being chosen anew from the stored items "
	    "after their filter changed.");
	buf_printf(b, "feedmux_refilter_outputs %zu\n", st->nrefilter);
	metric_head(b, "feedmux_refilter_items", "gauge",
	    "Stored items of the re-filtering under way: filtered again so "
	    "far (done) and in all (covered); 0 when none is.");
	buf_printf(b, "feedmux_refilter_items{state=\"done\"} %llu\n",
	    (unsigned long long)st->refilter_done);
	buf_printf(b, "feedmux_refilter_items{state=\"covered\"} %llu\n",
	    (unsigned long long)st->refilter_items);
	metric_head(b, "feedmux_fetches_total", "counter",
	    "Fetches since start by result.");
	for (int i = 0; i < PUBLISH_FETCH_NRESULTS; i++)
		buf_printf(b, "feedmux_fetches_total{result=\"%s\"} %llu\n",
		    results[i], (unsigned long long)st->fetches[i]);
	metric_head(b, "feedmux_fetched_bytes_total", "counter",
	    "Bytes of feed bodies fetched since start, after content "
	    "decoding.");
	buf_printf(b, "feedmux_fetched_bytes_total %llu\n",
	    (unsigned long long)st->fetched_bytes);
	metric_head(b, "feedmux_items_total", "counter",
	    "Items stored since start: new ones, and known ones that changed.");
	buf_printf(b, "feedmux_items_total{kind=\"new\"} %llu\n",
	    (unsigned long long)st->items_new);
	buf_printf(b, "feedmux_items_total{kind=\"updated\"} %llu\n",
	    (unsigned long long)st->items_updated);
	metric_head(b, "feedmux_poll_lag_seconds", "summary",
	    "How late polls started after their due time.");
	buf_printf(b, "feedmux_poll_lag_seconds_sum %.3f\n", st->lag_sum);
	buf_printf(b, "feedmux_poll_lag_seconds_count %llu\n",
	    (unsigned long long)st->lag_count);
}

int
publish_health(struct publisher *p, char **cause)
{
	const char *fault;
	char *why = NULL;

	/*
	 * A full disk still lets a write transaction begin; only the writes
	 * themselves fail, and the store keeps that until one goes through.
	 */
	if ((fault = store_fault(p->store)) != NULL) {
		xasprintf(cause, "the database does not take writes: %s", fault);
		return -1;
	}
	if (store_writable(p->store, &why) != 0) {
		xasprintf(cause, "the database does not take writes: %s", why);
		free(why);
		return -1;
	}
	return 0;
}
