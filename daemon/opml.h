/*
 * opml: the sources of an OPML file, as `feedmux import-opml` prints them:
 * one [feed NAME] section each, ready for a config file or its conf.d. An
 * OPML file comes from outside: a bad one is an error message, never a
 * crash; libxml2 loads no DTD, no external entity and nothing from the
 * network.
 */
#ifndef FEEDMUX_OPML_H
#define FEEDMUX_OPML_H

#include <stddef.h>

/* Larger files are refused. */
#define OPML_MAX_BYTES (16 * 1024 * 1024)

/* An outline with an xmlUrl, in document order. */
struct opml_feed {
	char *title; /* title, else text attribute; NULL if neither */
	char *url;   /* xmlUrl, trimmed */
	int line;    /* of the outline, for messages */
};

/* Reads an OPML file; -1 with *cause ("FILE:LINE: why" when it can). */
int opml_load(const char *path, struct opml_feed **, size_t *, char **cause);
int opml_read(const char *data, size_t len, const char *name,
    struct opml_feed **, size_t *, char **cause);
void opml_free(struct opml_feed *, size_t);

/* What the config already has: its names are taken, its URLs known. */
struct opml_known {
	char *const *names;
	char *const *urls; /* urls[i] is the feed names[i] */
	size_t n;
};

/*
 * The config text for the feeds (caller frees): a section each, named from
 * its title when that has letters or digits of ASCII, else from its URL's
 * host, made unique with -2, -3 ... against each other and known. Feeds
 * that cannot be used (not http or https, a bad URL, a URL already listed or
 * known) appear as comments saying why. *nadded and *nskipped count them.
 */
char *opml_sections(const struct opml_feed *, size_t, const char *source,
    const struct opml_known *, size_t *nadded, size_t *nskipped);

#endif
