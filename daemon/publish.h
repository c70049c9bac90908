/*
 * publish: every document the server hands out, rendered from the store.
 * Each output is rendered in its four formats (Atom, RSS 2.0, JSON Feed,
 * HTML) once after its items change, each with its gzip form and ETag, and
 * kept until the next change, so that serving one costs no SQL and no
 * rendering. The index page and the OPML list are rendered again at most
 * once per change of the feeds' states.
 */
#ifndef FEEDMUX_PUBLISH_H
#define FEEDMUX_PUBLISH_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

struct config;
struct store;
struct publisher;

/*
 * A rendered document. It is shared: publish holds one reference to the
 * current version and whoever is still sending an older one holds another
 * (publish_doc_ref), so a change never pulls bytes from under a response.
 */
struct publish_doc {
	const char *body;
	size_t len;
	const char *gzip; /* the body gzipped; NULL if that is no smaller */
	size_t gzip_len;
	int fd;	     /* the body in a memory file, or -1 */
	int gzip_fd; /* the gzip form in one, or -1 */
	const char *content_type;
	char etag[40];	    /* strong, quoted, of the body */
	char etag_gzip[44]; /* of the gzip form: a representation of its own */
	int64_t modified;   /* for Last-Modified */
	int64_t max_age;    /* Cache-Control max-age; 0: no-cache */
	int refs;
};

void publish_doc_ref(struct publish_doc *);
void publish_doc_unref(struct publish_doc *);

/* Fetch outcomes counted for /metrics, by what became of the response. */
enum publish_fetch_result {
	PUBLISH_FETCH_OK,	     /* 200, parsed and stored */
	PUBLISH_FETCH_NOT_MODIFIED,  /* 304 */
	PUBLISH_FETCH_HTTP_ERROR,    /* any other status */
	PUBLISH_FETCH_NETWORK_ERROR, /* no whole response */
	PUBLISH_FETCH_PARSE_ERROR,   /* 200 but not a feed, or not stored */
	PUBLISH_FETCH_NRESULTS
};

/*
 * What the daemon tells the index page and /metrics about itself. The
 * daemon owns and updates it; publish only reads it.
 */
struct publish_status {
	int64_t started;
	int64_t reloaded; /* time of the last reload attempt; 0 if none */
	const char *reload_error; /* NULL if the last reload worked */
	uint64_t reloads_failed;
	uint64_t fetches[PUBLISH_FETCH_NRESULTS];
	uint64_t fetched_bytes; /* bodies as received, after decoding */
	uint64_t items_new;	/* items stored for the first time */
	uint64_t items_updated;
	double lag_sum; /* seconds between due time and start of polls */
	uint64_t lag_count;
	double lag_last;
	/*
	 * Outputs whose items are being chosen anew from the stored ones
	 * after their filter changed (nrefilter 0: none), and how far that
	 * walk has got: items filtered again of those it covers.
	 */
	char *const *refilter_outputs;
	size_t nrefilter;
	uint64_t refilter_done;
	uint64_t refilter_items;
};

struct publisher *publish_new(
    struct store *, const struct config *, const struct publish_status *);
void publish_free(struct publisher *);

/*
 * A new config: outputs may have come, gone or changed; all are to be
 * rendered anew (publish_refresh). Outputs that stay keep their documents
 * until then; new ones have none.
 */
void publish_set_config(struct publisher *, const struct config *);
/*
 * Where readers reach the server ("http://host:port" or a public URL, no
 * trailing slash): the base of the absolute links in the feeds. Every
 * output is to be rendered anew.
 */
void publish_set_base(struct publisher *, const char *);
/* The items of this output changed (NULL: of all of them). */
void publish_invalidate(struct publisher *, const char *output);
/*
 * Renders every output invalidated since the last call. Calls changed (if
 * not NULL) with the name of each output whose documents now differ.
 */
void publish_refresh(
    struct publisher *, void (*changed)(const char *output, void *), void *arg);
/* The feeds' states or the daemon's status changed: for the index and OPML. */
void publish_feeds_changed(struct publisher *);

/*
 * An output in a format ("atom", "rss", "json", "html"), as last rendered;
 * NULL if there is no such output or format, or it was never rendered.
 * Never renders.
 */
struct publish_doc *publish_get(
    struct publisher *, const char *output, const char *format);
/* The HTML index page and the feeds as OPML 2.0; rendered if stale. */
struct publish_doc *publish_index(struct publisher *);
struct publish_doc *publish_opml(struct publisher *);

/* Appends the Prometheus text lines of the feeds, fetches and items. */
void publish_metrics(struct publisher *, struct buf *);
/*
 * 0 if the database takes writes: no write has failed since the last one
 * that worked, and a write transaction can begin; -1 with *cause otherwise.
 */
int publish_health(struct publisher *, char **cause);

/* XML/HTML text escaping that also drops what XML 1.0 forbids (tests use it).
 */
void publish_escape(struct buf *, const char *);
/*
 * HTML reduced to plain text with libxml2's HTML parser: scripts, styles
 * and markup dropped, entities decoded, white space collapsed, cut after
 * about max characters at a word boundary with an ellipsis (0: no cut).
 */
void publish_html_text(struct buf *, const char *html, size_t max);

#endif
