/*
 * ingest: one parsed feed into the store. Each item is stored (deduplicated
 * by store), its text is normalized once, and it is tested against every
 * output's filter to record which outputs carry it.
 */
#ifndef FEEDMUX_INGEST_H
#define FEEDMUX_INGEST_H

#include <stddef.h>
#include <stdint.h>

#include "match.h"
#include "parse.h"
#include "store.h"

struct ingest_output {
	const char *name;
	const struct match_filter *filter;	/* NULL passes every item */
};

struct ingest_result {
	size_t nitems;		/* items in the feed */
	size_t nnew;
	size_t nupdated;
};

/*
 * Stores a feed's items in one transaction (so not inside one of the
 * caller's); -1 with *cause on a store error, with nothing stored. New and
 * updated items get their outputs; unchanged ones keep theirs.
 */
int ingest_feed(struct store *, const char *feed, const struct feed *,
    const struct ingest_output *, size_t noutputs, int64_t now,
    struct ingest_result *, char **cause);

/*
 * Applies the filters of these outputs again to every stored item of the
 * active feeds, one transaction per slice of items. On failure an output
 * may be left with only part of its items; calling again repairs it.
 */
int ingest_refilter(struct store *, const struct ingest_output *, size_t n,
    char **cause);

#endif
