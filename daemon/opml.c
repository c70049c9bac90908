#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "log.h"
#include "opml.h"
#include "util.h"

/* The config's limit on names. */
#define NAME_MAX_LEN 64
/* A name made from a title stays short enough to type. */
#define NAME_FROM_TITLE 40
/* Outlines nest: categories of categories. Deeper is not a list of feeds. */
#define OPML_DEPTH_MAX 64

static char *
opml_attr(xmlNode *n, const char *name)
{
	xmlChar *v;
	char *s;

	/* OPML in the wild spells it xmlUrl, xmlurl, XMLURL ... */
	for (xmlAttr *a = n->properties; a != NULL; a = a->next) {
		if (a->ns != NULL ||
		    strcasecmp((const char *)a->name, name) != 0)
			continue;
		if ((v = xmlNodeGetContent((xmlNode *)a)) == NULL)
			return NULL;
		s = xstrdup(str_trim((char *)v));
		xmlFree(v);
		if (*s == '\0') {
			free(s);
			return NULL;
		}
		return s;
	}
	return NULL;
}

static void
opml_walk(xmlNode *n, int depth, struct opml_feed **feeds, size_t *nfeeds)
{
	struct opml_feed *f;
	char *url;

	for (; n != NULL; n = n->next) {
		if (n->type != XML_ELEMENT_NODE ||
		    strcmp((const char *)n->name, "outline") != 0)
			continue;
		if ((url = opml_attr(n, "xmlUrl")) != NULL) {
			*feeds =
			    xreallocarray(*feeds, *nfeeds + 1, sizeof **feeds);
			f = &(*feeds)[(*nfeeds)++];
			f->url = url;
			if ((f->title = opml_attr(n, "title")) == NULL)
				f->title = opml_attr(n, "text");
			f->line = (int)xmlGetLineNo(n);
		}
		if (depth < OPML_DEPTH_MAX)
			opml_walk(n->children, depth + 1, feeds, nfeeds);
	}
}

int
opml_read(const char *data, size_t len, const char *name,
    struct opml_feed **feedsp, size_t *np, char **cause)
{
	xmlParserCtxt *ctxt;
	xmlDoc *doc;
	xmlNode *root, *body = NULL;
	const xmlError *e;
	struct opml_feed *feeds = NULL;
	size_t n = 0;

	*feedsp = NULL;
	*np = 0;
	if (len > OPML_MAX_BYTES || len > INT32_MAX) {
		xasprintf(
		    cause, "%s: larger than %d bytes", name, OPML_MAX_BYTES);
		return -1;
	}
	if ((ctxt = xmlNewParserCtxt()) == NULL)
		fatalx("xmlNewParserCtxt failed");
	/* No DTD, no external entities, no network: the file is a stranger's.
	 */
	doc = xmlCtxtReadMemory(ctxt, data, (int)len, name, NULL,
	    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (doc == NULL) {
		e = xmlCtxtGetLastError(ctxt);
		if (e != NULL && e->message != NULL)
			xasprintf(cause, "%s:%d: not XML: %.*s", name, e->line,
			    (int)strcspn(e->message, "\n"), e->message);
		else
			xasprintf(cause, "%s: not XML", name);
		xmlFreeParserCtxt(ctxt);
		return -1;
	}
	xmlFreeParserCtxt(ctxt);
	root = xmlDocGetRootElement(doc);
	if (root == NULL || strcmp((const char *)root->name, "opml") != 0) {
		xasprintf(cause,
		    "%s: not OPML (the root element is <%s>, not "
		    "<opml>)",
		    name, root != NULL ? (const char *)root->name : "");
		xmlFreeDoc(doc);
		return -1;
	}
	for (xmlNode *c = root->children; c != NULL; c = c->next)
		if (c->type == XML_ELEMENT_NODE &&
		    strcmp((const char *)c->name, "body") == 0)
			body = c;
	if (body == NULL) {
		xasprintf(cause, "%s: not OPML (no <body>)", name);
		xmlFreeDoc(doc);
		return -1;
	}
	opml_walk(body->children, 0, &feeds, &n);
	xmlFreeDoc(doc);
	*feedsp = feeds;
	*np = n;
	return 0;
}

int
opml_load(const char *path, struct opml_feed **feeds, size_t *n, char **cause)
{
	struct buf b;
	char chunk[65536];
	size_t got;
	FILE *f;
	int rc;

	*feeds = NULL;
	*n = 0;
	if ((f = fopen(path, "rb")) == NULL) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		return -1;
	}
	buf_init(&b);
	while ((got = fread(chunk, 1, sizeof chunk, f)) > 0) {
		buf_add(&b, chunk, got);
		if (b.len > OPML_MAX_BYTES)
			break;
	}
	if (ferror(f)) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		fclose(f);
		buf_free(&b);
		return -1;
	}
	fclose(f);
	rc = opml_read(b.len > 0 ? b.data : "", b.len, path, feeds, n, cause);
	buf_free(&b);
	return rc;
}

void
opml_free(struct opml_feed *feeds, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(feeds[i].title);
		free(feeds[i].url);
	}
	free(feeds);
}

/* Lower-case ASCII letters and digits, other runs as one '-'. */
static char *
opml_slug(const char *s, size_t max)
{
	struct buf b;
	int dash = 0, alnum = 0;
	char c;

	buf_init(&b);
	buf_adds(&b, "");
	for (; *s != '\0' && b.len < max; s++) {
		c = *s;
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    (c == '.' && b.len > 0)) {
			if (dash && b.len > 0)
				buf_addc(&b, '-');
			dash = 0;
			buf_addc(&b, c);
			alnum += c != '.';
		} else
			dash = 1;
	}
	while (
	    b.len > 0 && (b.data[b.len - 1] == '-' || b.data[b.len - 1] == '.'))
		b.data[--b.len] = '\0';
	/* One letter says nothing: "a" from "A (عربي)". */
	if (alnum < 2) {
		buf_free(&b);
		return NULL;
	}
	return buf_steal(&b, NULL);
}

/* The URL if feedmux can poll it (http or https, a host); NULL and why. */
static int
opml_url_ok(const char *url, char **host, const char **why)
{
	CURLU *u;
	char *scheme = NULL;
	int ok = 0;

	*host = NULL;
	for (const char *p = url; *p != '\0'; p++) {
		if ((unsigned char)*p <= 0x20 || *p == 0x7f) {
			*why = "has spaces or control characters";
			return 0;
		}
	}
	if ((u = curl_url()) == NULL)
		fatalx("curl_url");
	if (curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) !=
	    CURLUE_OK)
		*why = "is not a URL";
	else if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
		 (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0))
		*why = "is not http or https";
	else if (curl_url_get(u, CURLUPART_HOST, host, 0) != CURLUE_OK ||
		 *host == NULL || **host == '\0')
		*why = "has no host";
	else
		ok = 1;
	curl_free(scheme);
	curl_url_cleanup(u);
	if (!ok && *host != NULL) {
		curl_free(*host);
		*host = NULL;
	}
	return ok;
}

/*
 * Whether a title is mostly ASCII letters, so that a name made of them says
 * what it is: "Café & Tech" is, "فرانس 24" and "DW عربية" are not (their
 * hosts name them better).
 */
static int
opml_title_latin(const char *s)
{
	size_t ascii = 0, other = 0;

	for (; *s != '\0'; s++) {
		if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z'))
			ascii++;
		else if ((unsigned char)*s >= 0xc0) /* a UTF-8 lead byte */
			other++;
	}
	return ascii >= 2 && ascii >= 2 * other;
}

/* A name for a feed: from its title, else its host. */
static char *
opml_base_name(const struct opml_feed *f, const char *host)
{
	static const char *prefixes[] = {"www.", "feeds.", "feed.", "rss."};
	char *name = NULL;

	if (f->title != NULL && opml_title_latin(f->title))
		name = opml_slug(f->title, NAME_FROM_TITLE);
	if (name == NULL) {
		for (size_t i = 0; i < nitems(prefixes); i++)
			if (str_has_prefix(host, prefixes[i]) &&
			    strchr(host + strlen(prefixes[i]), '.') != NULL)
				host += strlen(prefixes[i]);
		name = opml_slug(host, NAME_MAX_LEN - 4);
	}
	if (name == NULL)
		name = xstrdup("feed");
	return name;
}

static int
opml_taken(const char *name, char *const *names, size_t n,
    const struct opml_known *known)
{
	for (size_t i = 0; i < n; i++)
		if (names[i] != NULL && strcmp(names[i], name) == 0)
			return 1;
	for (size_t i = 0; known != NULL && i < known->n; i++)
		if (strcmp(known->names[i], name) == 0)
			return 1;
	return 0;
}

/* Text from outside in a comment: one line, no control characters. */
static void
opml_text(struct buf *b, const char *text)
{
	for (; *text != '\0'; text++)
		buf_addc(b,
		    (unsigned char)*text < 0x20 || *text == 0x7f ? ' ' : *text);
}

char *
opml_sections(const struct opml_feed *feeds, size_t n, const char *source,
    const struct opml_known *known, size_t *nadded, size_t *nskipped)
{
	struct buf b;
	char **names, *base, *name, *host;
	const char *why, *dup;
	size_t added = 0, skipped = 0;

	names = xcalloc(n + 1, sizeof *names);
	buf_init(&b);
	buf_adds(&b, "# Feeds of ");
	opml_text(&b, source);
	buf_adds(&b, ", from feedmux import-opml.\n");
	for (size_t i = 0; i < n; i++) {
		const struct opml_feed *f = &feeds[i];

		dup = NULL;
		for (size_t j = 0; j < i && dup == NULL; j++)
			if (names[j] != NULL &&
			    strcmp(feeds[j].url, f->url) == 0)
				dup = names[j];
		for (size_t j = 0; known != NULL && j < known->n && dup == NULL;
		     j++)
			if (strcmp(known->urls[j], f->url) == 0)
				dup = known->names[j];
		if (dup != NULL) {
			buf_printf(&b, "\n# line %d: skipped: ", f->line);
			opml_text(&b, f->url);
			buf_printf(&b, " is [feed %s] already\n", dup);
			skipped++;
			continue;
		}
		if (!opml_url_ok(f->url, &host, &why)) {
			buf_printf(&b, "\n# line %d: skipped: ", f->line);
			opml_text(&b, f->url);
			buf_printf(&b, " %s\n", why);
			skipped++;
			continue;
		}
		base = opml_base_name(f, host);
		curl_free(host);
		name = xstrdup(base);
		for (int k = 2; opml_taken(name, names, i, known); k++) {
			free(name);
			xasprintf(&name, "%s-%d", base, k);
		}
		free(base);
		names[i] = name;

		buf_addc(&b, '\n');
		if (f->title != NULL) {
			buf_adds(&b, "# ");
			opml_text(&b, f->title);
			buf_addc(&b, '\n');
		}
		buf_printf(&b, "[feed %s]\nurl = %s\n", name, f->url);
		added++;
	}
	str_list_free(names, n + 1);
	*nadded = added;
	*nskipped = skipped;
	return buf_steal(&b, NULL);
}
