/*
 * dump: sidecar files in, JSON Lines out, for `feedmux parse`.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dump.h"
#include "parse.h"
#include "util.h"

/* A sidecar is a handful of lines; anything bigger is not one. */
#define DUMP_MAX_SIDECAR	(64 * 1024)

static void
context_set(char **slot, const char *value)
{
	free(*slot);
	*slot = xstrdup(value);
}

int
dump_context_load(const char *path, struct dump_context *dc, char **cause)
{
	FILE *f;
	char line[8192], *name, *value, *colon;
	size_t total = 0;

	memset(dc, 0, sizeof *dc);
	if ((f = fopen(path, "r")) == NULL) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof line, f) != NULL) {
		if ((total += strlen(line)) > DUMP_MAX_SIDECAR)
			break;
		name = str_trim(line);
		if (*name == '\0' || *name == '#')
			continue;
		if ((colon = strchr(name, ':')) == NULL)
			continue;
		*colon = '\0';
		value = str_trim(colon + 1);
		name = str_trim(name);
		if (strcasecmp(name, "URL") == 0)
			context_set(&dc->url, value);
		else if (strcasecmp(name, "Content-Type") == 0)
			context_set(&dc->content_type, value);
		else if (strcasecmp(name, "Content-Location") == 0)
			context_set(&dc->content_location, value);
	}
	if (ferror(f)) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		fclose(f);
		dump_context_clear(dc);
		return -1;
	}
	fclose(f);
	if (dc->content_type == NULL)
		dc->content_type = xstrdup("text/xml");
	dc->ctx.url = dc->url;
	dc->ctx.content_type = dc->content_type;
	dc->ctx.content_location = dc->content_location;
	return 0;
}

void
dump_context_clear(struct dump_context *dc)
{
	free(dc->url);
	free(dc->content_type);
	free(dc->content_location);
	memset(dc, 0, sizeof *dc);
}

/*
 * Keys are names of ours, plain ASCII: quoted, with nothing to escape. They
 * are literals, whose length the compiler knows.
 */
#define dump_key(b, key) dump_key_len((b), (key), strlen(key))

static inline void
dump_key_len(struct buf *b, const char *key, size_t n)
{
	buf_make_room(b, n + 3);
	b->data[b->len] = '"';
	memcpy(b->data + b->len + 1, key, n);
	b->data[b->len + n + 1] = '"';
	b->data[b->len + n + 2] = ':';
	b->len += n + 3;
	b->data[b->len] = '\0';
}

static inline void
dump_string(struct buf *b, const char *key, const char *value, int comma)
{
	dump_key(b, key);
	buf_add_json(b, value);
	if (comma)
		buf_addc(b, ',');
}

/* A string parse made: valid UTF-8, as parse.h promises. */
static inline void
dump_text(struct buf *b, const char *key, const char *value, int comma)
{
	dump_key(b, key);
	buf_add_json_utf8(b, value, value != NULL ? strlen(value) : 0);
	if (comma)
		buf_addc(b, ',');
}

/* The plain text of an HTML field, as the oracle's *_text keys hold it. */
static inline void
dump_html_text(struct buf *b, const char *key, const char *html)
{
	dump_key(b, key);
	parse_html_text_json(b, html);
	buf_addc(b, ',');
}

/*
 * Years outside 0000-9999 have no RFC 3339 form: null, like no date. The
 * form is digits and "-:TZ", nothing to escape: written in place.
 */
static inline void
dump_date(struct buf *b, const char *key, int64_t t)
{
	char *w;

	dump_key(b, key);
	if (t == PARSE_NO_TIME || t < -62167219200LL || t > 253402300799LL) {
		buf_adds(b, "null,");
		return;
	}
	buf_make_room(b, 23);
	w = b->data + b->len;
	w[0] = '"';
	time_rfc3339(t, w + 1);
	w[21] = '"';
	w[22] = ',';
	w[23] = '\0';
	b->len += 23;
}

static void
dump_item(struct buf *b, const struct item *it)
{
	size_t i;

	buf_addc(b, '{');
	dump_text(b, "id", it->guid, 1);
	dump_text(b, "title", it->title, 1);
	dump_text(b, "link", it->link, 1);
	dump_date(b, "published", it->published);
	dump_date(b, "updated", it->updated);
	dump_text(b, "author", it->author, 1);
	dump_html_text(b, "summary_text", it->summary);
	dump_html_text(b, "content_text", it->content);
	dump_key(b, "categories");
	buf_addc(b, '[');
	for (i = 0; i < it->ncategories; i++) {
		if (i > 0)
			buf_addc(b, ',');
		buf_add_json_utf8(b, it->categories[i],
		    strlen(it->categories[i]));
	}
	buf_adds(b, "]}");
}

void
dump_feed(struct buf *b, const char *file, const struct feed *f,
    const char *error)
{
	size_t i;

	buf_addc(b, '{');
	dump_string(b, "file", file, 1);
	if (f == NULL && error != NULL)
		dump_string(b, "_error", error, 1);
	dump_key(b, "feed");
	buf_addc(b, '{');
	dump_text(b, "title", f != NULL ? f->title : NULL, 1);
	dump_text(b, "link", f != NULL ? f->link : NULL, 1);
	dump_text(b, "lang", f != NULL ? f->lang : NULL, 0);
	buf_adds(b, "},");
	dump_key(b, "items");
	buf_addc(b, '[');
	for (i = 0; f != NULL && i < f->nitems; i++) {
		if (i > 0)
			buf_addc(b, ',');
		dump_item(b, &f->items[i]);
	}
	buf_adds(b, "]}\n");
}

void
dump_error(struct buf *b, const char *file, const char *error)
{
	buf_addc(b, '{');
	dump_string(b, "file", file, 1);
	dump_string(b, "error", error, 0);
	buf_adds(b, "}\n");
}
