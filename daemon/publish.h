/*
 * publish: the outputs, rendered from the store. Each output's document is
 * rendered once after its items change and kept, with its ETag, until the
 * next change, so that serving it costs no SQL and no rendering.
 */
#ifndef FEEDMUX_PUBLISH_H
#define FEEDMUX_PUBLISH_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

struct config;
struct store;
struct publisher;

/* A rendered document; valid until the next publish_* call that changes it. */
struct publish_doc {
	const char *body;
	size_t len;
	const char *content_type;
	const char *etag;	/* strong, quoted */
	int64_t modified;	/* for Last-Modified */
};

/* What the daemon tells the index page about itself. */
struct publish_status {
	int64_t started;
	int64_t reloaded;	/* time of the last reload attempt; 0 if none */
	const char *reload_error; /* NULL if the last reload worked */
};

struct publisher *publish_new(struct store *, const struct config *);
void publish_free(struct publisher *);

/* A new config: outputs may have come, gone or changed; all are rendered anew. */
void publish_set_config(struct publisher *, const struct config *);
/* The items of these outputs changed (NULL: of all of them). */
void publish_invalidate(struct publisher *, const char *output);

/*
 * An output in a format ("atom"); NULL if there is no such output or format.
 * Renders first if the output changed since it was last rendered.
 */
const struct publish_doc *publish_get(struct publisher *, const char *output,
    const char *format);

/* The HTML index page (caller frees). */
char *publish_index(struct publisher *, const struct publish_status *,
    size_t *len);

/* XML/HTML text escaping that also drops what XML 1.0 forbids (tests use it). */
void publish_escape(struct buf *, const char *);

#endif
