#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "log.h"
#include "publish.h"
#include "store.h"
#include "util.h"

#define PUBLISH_GENERATOR "feedmux"

struct publish_out {
	char *name;
	int dirty;
	int failed;	/* the last render could not read the store */
	struct buf atom;
	char etag[72];
	int64_t modified;
	struct publish_doc doc;
};

struct publisher {
	struct store *store;
	const struct config *config;
	struct publish_out *outs;
	size_t nouts;
	int64_t config_time;	/* when the config was set: the date of empty outputs */
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
			buf_adds(b, "\xef\xbf\xbd");	/* U+FFFD */
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
	hex[16] = "89ab"[(hex[16] >= 'a' ? hex[16] - 'a' + 10 : hex[16] - '0') & 3];
	buf_printf(b, "urn:uuid:%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8,
	    hex + 12, hex + 16, hex + 20);
}

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

/*
 * When an entry last changed: its own date, or when the store saw its
 * content change after it first stored it (an edit is news to readers; a
 * second source reporting it is not).
 */
static int64_t
publish_updated(const struct store_item *si)
{
	const struct item *it = &si->item;
	int64_t t;

	t = it->updated != PARSE_NO_TIME ? it->updated :
	    it->published != PARSE_NO_TIME ? it->published : si->first_seen;
	if (si->modified > si->first_seen && si->modified > t)
		t = si->modified;
	return t;
}

/*
 * The sources of a story, each feed once, in the order they carried it:
 * indices into story->items, the first being the story's own item. Returns
 * how many (at least one); idx must hold story->nitems.
 */
static size_t
publish_sources(const struct store_story *story, size_t *idx)
{
	size_t n = 0, j;

	for (size_t i = 0; i < story->nitems; i++) {
		for (j = 0; j < n; j++)
			if (strcmp(story->items[idx[j]].feed,
			    story->items[i].feed) == 0)
				break;
		if (j == n)
			idx[n++] = i;
	}
	return n;
}

/* A source's name as readers know it: the feed's own title, else its name. */
static const char *
publish_source_title(const struct store_item *si)
{
	return si->feed_title != NULL ? si->feed_title : si->feed;
}

static void
atom_entry(struct buf *b, const struct config *cf,
    const struct store_story *story)
{
	const struct store_item *si = &story->items[0], *other;
	const struct item *it = &si->item;
	const struct config_feed *feed = config_feed_find(cf, si->feed);
	const char *href;
	size_t *idx, n;

	buf_adds(b, "  <entry>\n    <id>");
	publish_urn(b, "item", story->feed, story->key);
	buf_adds(b, "</id>\n");
	atom_text(b, "    ", "title", it->title != NULL ? it->title : "");
	if (it->link != NULL) {
		buf_adds(b, "    <link rel=\"alternate\" href=\"");
		publish_escape(b, it->link);
		buf_adds(b, "\"/>\n");
	}
	/* The other outlets that carried the story (RFC 4287, 4.2.7.2). */
	idx = xcalloc(story->nitems, sizeof *idx);
	n = publish_sources(story, idx);
	for (size_t i = 1; i < n; i++) {
		const struct config_feed *of;

		other = &story->items[idx[i]];
		of = config_feed_find(cf, other->feed);
		href = other->item.link != NULL ? other->item.link :
		    of != NULL ? of->url : NULL;
		if (href == NULL)
			continue;
		buf_adds(b, "    <link rel=\"via\" href=\"");
		publish_escape(b, href);
		buf_adds(b, "\" title=\"");
		publish_escape(b, publish_source_title(other));
		buf_adds(b, "\"/>\n");
	}
	free(idx);
	if (it->published != PARSE_NO_TIME)
		atom_date(b, "    ", "published", it->published);
	atom_date(b, "    ", "updated", publish_updated(si));
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

	/* The feed it came first from, as RFC 4287's atom:source. */
	buf_adds(b, "    <source>\n      <id>");
	publish_urn(b, "feed", si->feed, NULL);
	buf_adds(b, "</id>\n");
	atom_text(b, "      ", "title", publish_source_title(si));
	if (feed != NULL) {
		buf_adds(b, "      <link rel=\"self\" href=\"");
		publish_escape(b, feed->url);
		buf_adds(b, "\"/>\n");
	}
	buf_adds(b, "    </source>\n  </entry>\n");
}

static void
publish_render(struct publisher *p, struct publish_out *o)
{
	const struct config_output *co;
	struct store_story *stories = NULL;
	size_t n = 0;
	int64_t modified;
	char hex[65];
	struct buf *b = &o->atom;

	if ((co = config_output_find(p->config, o->name)) == NULL) {
		o->dirty = 0;
		buf_reset(b);
		return;
	}
	if (store_output_stories(p->store, o->name, co->max_items, &stories,
	    &n) != 0) {
		/*
		 * Keep serving what was rendered last, and try again at the
		 * next request; never a document with items missing.
		 */
		if (!o->failed)
			log_warnx("output %s: cannot read its items; serving "
			    "what it had", o->name);
		o->failed = 1;
		if (o->doc.body != NULL)
			return;
		n = 0;
	} else {
		o->failed = 0;
		o->dirty = 0;
	}
	buf_reset(b);
	modified = p->config_time;
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < stories[i].nitems; j++)
			if (stories[i].items[j].modified > modified)
				modified = stories[i].items[j].modified;

	buf_adds(b, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
	    "<feed xmlns=\"http://www.w3.org/2005/Atom\">\n  <id>");
	publish_urn(b, "output", o->name, NULL);
	buf_adds(b, "</id>\n");
	atom_text(b, "  ", "title", co->title);
	atom_date(b, "  ", "updated", modified);
	buf_printf(b, "  <link rel=\"self\" href=\"/feeds/%s.atom\"/>\n", o->name);
	buf_adds(b, "  <author><name>feedmux</name></author>\n");
	buf_printf(b, "  <generator version=\"%s\">%s</generator>\n",
	    FEEDMUX_VERSION, PUBLISH_GENERATOR);
	for (size_t i = 0; i < n; i++)
		atom_entry(b, p->config, &stories[i]);
	buf_adds(b, "</feed>\n");
	store_stories_free(stories, n);

	hash_sha256_hex(b->data, b->len, hex);
	snprintf(o->etag, sizeof o->etag, "\"%.32s\"", hex);
	o->modified = modified;
	o->doc.body = b->data;
	o->doc.len = b->len;
	o->doc.content_type = "application/atom+xml; charset=utf-8";
	o->doc.etag = o->etag;
	o->doc.modified = modified;
}

static void
publish_clear_outs(struct publisher *p)
{
	for (size_t i = 0; i < p->nouts; i++) {
		free(p->outs[i].name);
		buf_free(&p->outs[i].atom);
	}
	free(p->outs);
	p->outs = NULL;
	p->nouts = 0;
}

void
publish_set_config(struct publisher *p, const struct config *cf)
{
	publish_clear_outs(p);
	p->config = cf;
	p->config_time = now_unix();
	p->outs = xcalloc(cf->noutputs, sizeof *p->outs);
	p->nouts = cf->noutputs;
	for (size_t i = 0; i < cf->noutputs; i++) {
		p->outs[i].name = xstrdup(cf->outputs[i].name);
		p->outs[i].dirty = 1;
		buf_init(&p->outs[i].atom);
	}
}

struct publisher *
publish_new(struct store *store, const struct config *cf)
{
	struct publisher *p;

	p = xcalloc(1, sizeof *p);
	p->store = store;
	publish_set_config(p, cf);
	return p;
}

void
publish_free(struct publisher *p)
{
	if (p == NULL)
		return;
	publish_clear_outs(p);
	free(p);
}

void
publish_invalidate(struct publisher *p, const char *output)
{
	for (size_t i = 0; i < p->nouts; i++)
		if (output == NULL || strcmp(p->outs[i].name, output) == 0)
			p->outs[i].dirty = 1;
}

const struct publish_doc *
publish_get(struct publisher *p, const char *output, const char *format)
{
	struct publish_out *o = NULL;

	if (strcmp(format, "atom") != 0)
		return NULL;
	for (size_t i = 0; i < p->nouts; i++)
		if (strcmp(p->outs[i].name, output) == 0)
			o = &p->outs[i];
	if (o == NULL)
		return NULL;
	if (o->dirty)
		publish_render(p, o);
	return &o->doc;
}

static void
html_time(struct buf *b, int64_t t)
{
	char date[21];

	if (t == 0) {
		buf_adds(b, "never");
		return;
	}
	time_rfc3339(t, date);
	buf_adds(b, date);
}

char *
publish_index(struct publisher *p, const struct publish_status *st, size_t *len)
{
	const struct config *cf = p->config;
	struct store_feed *feeds = NULL;
	size_t nfeeds = 0;
	struct buf b;

	buf_init(&b);
	buf_adds(&b, "<!DOCTYPE html>\n<html>\n<head>\n<meta charset=\"utf-8\">\n"
	    "<title>feedmux</title>\n<style>body{font-family:sans-serif;"
	    "margin:2em}table{border-collapse:collapse}td,th{padding:.2em .6em;"
	    "border-bottom:1px solid #ddd;text-align:start}"
	    ".err{color:#a00}</style>\n</head>\n<body>\n<h1>feedmux</h1>\n");

	if (store_fault(p->store) != NULL) {
		buf_adds(&b, "<p class=\"err\">The database cannot be written (");
		publish_escape(&b, store_fault(p->store));
		buf_adds(&b, "): serving what it holds, retrying.</p>\n");
	}
	buf_adds(&b, "<h2>Outputs</h2>\n<ul>\n");
	for (size_t i = 0; i < cf->noutputs; i++) {
		const struct config_output *o = &cf->outputs[i];

		buf_adds(&b, "<li><a href=\"/feeds/");
		publish_escape(&b, o->name);
		buf_adds(&b, ".atom\" dir=\"auto\">");
		publish_escape(&b, o->title);
		buf_adds(&b, "</a> <code>/feeds/");
		publish_escape(&b, o->name);
		buf_adds(&b, ".atom</code></li>\n");
	}
	buf_adds(&b, "</ul>\n<h2>Feeds</h2>\n<table>\n<tr><th>feed</th>"
	    "<th>last fetch</th><th>result</th><th>items</th>"
	    "<th>next poll</th></tr>\n");
	if (store_feed_list(p->store, &feeds, &nfeeds) != 0)
		buf_adds(&b, "<tr><td colspan=\"5\" class=\"err\">"
		    "the database cannot be read</td></tr>\n");
	for (size_t i = 0; i < nfeeds; i++) {
		const struct store_feed *f = &feeds[i];
		const struct config_feed *cfeed = config_feed_find(cf, f->name);

		buf_adds(&b, "<tr><td><a href=\"");
		publish_escape(&b, cfeed != NULL ? cfeed->url : "");
		buf_adds(&b, "\">");
		publish_escape(&b, f->name);
		buf_adds(&b, "</a></td><td>");
		html_time(&b, f->last_fetch);
		buf_adds(&b, "</td><td>");
		if (f->last_fetch == 0)
			buf_adds(&b, "not fetched yet");
		else if (f->last_error != NULL) {
			buf_adds(&b, "<span class=\"err\" dir=\"auto\">");
			publish_escape(&b, f->last_error);
			buf_adds(&b, "</span>");
		} else
			buf_printf(&b, "ok (HTTP %ld, %lld new)", f->last_status,
			    (long long)f->last_new);
		buf_printf(&b, "</td><td>%lld</td><td>", (long long)f->nitems);
		html_time(&b, f->next_poll);
		buf_adds(&b, "</td></tr>\n");
	}
	store_feed_list_free(feeds, nfeeds);
	buf_adds(&b, "</table>\n<h2>Configuration</h2>\n<p>");
	publish_escape(&b, cf->path);
	buf_adds(&b, ": ");
	if (st->reloaded == 0)
		buf_adds(&b, "loaded at start");
	else if (st->reload_error == NULL) {
		buf_adds(&b, "reloaded ");
		html_time(&b, st->reloaded);
	} else {
		buf_adds(&b, "<span class=\"err\">reload ");
		html_time(&b, st->reloaded);
		buf_adds(&b, " failed, running the previous one:</span></p>\n<pre>");
		publish_escape(&b, st->reload_error);
		buf_adds(&b, "</pre><p>");
	}
	buf_adds(&b, "</p>\n<p>running since ");
	html_time(&b, st->started);
	buf_adds(&b, "</p>\n</body>\n</html>\n");
	return buf_steal(&b, len);
}
