/*
 * parse: the bytes of a fetched document (and what HTTP said of them) into a
 * struct feed. No I/O: the caller brings the bytes.
 *
 * Text conventions for everything parse returns, all valid UTF-8:
 * - feed title, item title, author and categories are plain text (markup
 *   reduced to its text, entities decoded, runs of white space collapsed);
 * - summary and content are HTML fragments: an HTML construct as the source
 *   gave it, a plain-text one escaped into HTML;
 * - links are absolute where a base was known, as the source gave them otherwise.
 */
#ifndef FEEDMUX_PARSE_H
#define FEEDMUX_PARSE_H

#include <stddef.h>
#include <stdint.h>

/* An absent date. */
#define PARSE_NO_TIME INT64_MIN

struct item {
	char *guid;		/* RSS guid, Atom id; NULL if none */
	char *link;		/* the alternate link; an RSS permalink guid if no link */
	char *title;
	char *author;		/* first author's name (or e-mail if no name) */
	char *summary;		/* HTML */
	char *content;		/* HTML */
	char **categories;
	size_t ncategories;
	int64_t published;	/* UTC seconds, or PARSE_NO_TIME */
	int64_t updated;	/* UTC seconds, or PARSE_NO_TIME */
};

struct feed {
	char *title;
	char *link;
	char *lang;		/* xml:lang or RSS language; NULL if none */
	/* What the feed says of its own schedule; 0 when it says nothing. */
	int64_t ttl;		/* seconds it may be cached (RSS ttl) */
	int64_t update_period;	/* seconds between updates (sy: module) */
	uint32_t skip_hours;	/* bit h: not updated in hour h, UTC (RSS) */
	uint8_t skip_days;	/* bit d: not on day d, 0 Sunday, UTC (RSS) */
	struct item *items;
	size_t nitems;
	/*
	 * parse's own: the blocks that hold most of the items' strings (see
	 * parse_feed_free). NULL in a feed made by hand.
	 */
	struct arena *strings;
};

/* What the transport knew about the bytes; every member may be NULL. */
struct parse_context {
	const char *url;		/* document URI: the base of relative links */
	const char *content_type;	/* HTTP Content-Type, with its charset */
	const char *content_location;	/* HTTP Content-Location */
};

/*
 * Parse a feed. Returns NULL and sets *cause (caller frees) when the bytes
 * are not a feed at all; a feed with zero items is not an error. The
 * feed's strings are its own: many share blocks of memory (strings), so
 * none may be freed, kept or given away apart from the feed; copy what
 * must outlive parse_feed_free.
 */
struct feed *parse_feed(const char *data, size_t len,
    const struct parse_context *, char **cause);
/* Frees a feed: one of parse_feed's, or one made by hand (strings NULL). */
void parse_feed_free(struct feed *);
/*
 * Frees the fields of an item whose strings are each malloc'd (not the item
 * itself); not for the items of a feed parse_feed made.
 */
void parse_item_clear(struct item *);

/*
 * An HTML fragment reduced to its plain text, the way parse reduces HTML
 * titles (tags dropped, script and style left out, references decoded,
 * white space collapsed). NULL when no text is left; caller frees. The
 * fragment must be valid UTF-8, as every string parse returns is.
 */
char *parse_html_text(const char *html);
/*
 * The same text appended to b as a JSON string, quotes included, escaped as
 * buf_add_json escapes it (buf_add_json_utf8 of parse_html_text's string,
 * byte for byte, in one pass): null where parse_html_text returns NULL, and
 * for a NULL html.
 */
struct buf;
void parse_html_text_json(struct buf *b, const char *html);

/* Dates as feeds write them (RFC 822 and variants, RFC 3339 / W3C-DTF). */
int64_t parse_date(const char *);
/*
 * For tests: parse_date without its own reading of the common RFC 822
 * forms (curl_getdate and the fallbacks after it), which must agree.
 */
int64_t parse_date_reference(const char *);

/*
 * For tests: with 0, every element of an item enters libxml2's tree, as
 * none did before light kids (see parse.c); parse_feed must give the same
 * feed either way. 1, the default, lets them stay out of it.
 */
void parse_light_kids(int on);
/*
 * Whether the HTML-to-text functions may copy text 32 bytes at a time where
 * the CPU has AVX2 (on at first); off, 16 bytes at a time (for tests).
 */
void parse_html_wide(int on);
/*
 * Runs of text of at least min bytes (10 at least) go to libxml2 as one
 * character reference each (see parse.c); 0, none do, and parse_feed must
 * give the same feed either way; -1, the default (16). main sets it from
 * the environment variable FEEDMUX_PARSE_RUNS; tests and fuzzing use it to
 * compare.
 */
void parse_text_runs(int min);
/* For tests: how many runs the last document libxml2 read had. */
size_t parse_text_runs_count(void);

#endif
