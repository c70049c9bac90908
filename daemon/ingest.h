/*
 * ingest: one parsed feed into the store. Each item is stored (deduplicated
 * by store), its text is normalized once, and it is tested against every
 * output's filter to record which outputs carry it. Ingest also works out
 * the keys that find an item's story across feeds (struct store_keys): its
 * canonical link and its normalized title.
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
	char *const *feeds;	/* the only feeds it draws on; NULL: all */
	size_t nfeeds;
};

/*
 * A title of fewer normalized tokens ("Live", "Video", "تحديث") is too
 * common to make two items one story.
 */
#define INGEST_TITLE_MIN_TOKENS 3

struct ingest_result {
	size_t nitems;		/* items in the feed */
	size_t nnew;
	size_t nupdated;
	size_t ngone;		/* pruned before, still listed: not stored again */
};

/*
 * A link in canonical form, for finding the same story in several feeds
 * (caller frees): parsed by libcurl's URL API, scheme and host in lower
 * case, the scheme's default port, the fragment and tracking parameters
 * (utm_*, fbclid, gclid, mc_cid, mc_eid and a few more of their kind)
 * dropped, the rest of the query kept in order; after the host, bytes
 * beyond ASCII percent-encoded and percent-encoding normalized (RFC 3986,
 * 6.2.2). A link libcurl cannot parse is its own canonical form; NULL for
 * NULL or "".
 */
char *ingest_canonical_link(const char *link);
/*
 * A title normalized as the keyword matcher normalizes a plain-text field
 * (match.h, MATCH_FIELD_PLAIN: no HTML step, as parse makes titles), as
 * its tokens joined by single spaces; NULL with fewer than
 * INGEST_TITLE_MIN_TOKENS tokens (caller frees).
 */
char *ingest_title_key(const char *title);

/*
 * Stores a feed's items in one transaction (so not inside one of the
 * caller's); -1 with *cause on a store error, with nothing stored. New and
 * updated items get their outputs; unchanged ones keep theirs.
 */
int ingest_feed(struct store *, const char *feed, const struct feed *,
    const struct ingest_output *, size_t noutputs, int64_t now,
    struct ingest_result *, char **cause);
/*
 * The same, and changed (NULL: not wanted), one flag per output, tells
 * which outputs' documents the feed's items changed: the flag of each is
 * set to 1, the others are left alone. A new item changes the outputs it
 * entered, or every output if it joined a story that others had (each
 * output holding the story lists all its sources); an updated item changes
 * every output (it may leave some).
 */
int ingest_feed_changes(struct store *, const char *feed, const struct feed *,
    const struct ingest_output *, size_t noutputs, int64_t now,
    struct ingest_result *, unsigned char *changed, char **cause);

/*
 * Applying the filters of some outputs again to every stored item, of
 * active and inactive feeds alike, in steps short enough for an event loop
 * to run between them. Each item's membership changes in place: until the
 * walk (in id order) reaches an item, the item stays where the old filter
 * put it. Items that ingest_feed stores meanwhile must be given the new
 * filters. The array is copied; names, filters and feed lists must outlive
 * the walk.
 */
struct ingest_refilter;

struct ingest_refilter *ingest_refilter_new(struct store *,
    const struct ingest_output *, size_t n);
/*
 * A step of ingest_refilter_step ends after this many items however fast
 * they went, so that the loop gets its turn at least this often on any
 * machine (and a walk over n items takes at least n / this many steps).
 */
#define INGEST_REFILTER_STEP_ITEMS 500
/*
 * One step, in one transaction (so not inside one of the caller's): items
 * until budget_ms milliseconds have passed or INGEST_REFILTER_STEP_ITEMS
 * are done, and at least one. Returns 1 when every item has been filtered,
 * 0 when more are left, -1 with *cause on a store error, after which a
 * step starts again where the last good one ended.
 */
int ingest_refilter_step(struct ingest_refilter *, int64_t budget_ms,
    char **cause);
/* Items filtered so far. */
size_t ingest_refilter_count(const struct ingest_refilter *);
/*
 * Items the walk covers: those stored when it began, or as many as it has
 * filtered if that is more (it also reaches items stored meanwhile).
 */
size_t ingest_refilter_total(const struct ingest_refilter *);
void ingest_refilter_free(struct ingest_refilter *);

/* The whole walk at once: -1 with *cause on the first store error. */
int ingest_refilter(struct store *, const struct ingest_output *, size_t n,
    char **cause);

/*
 * Works out the story keys of up to max stored items that were keyed by
 * other rules than today's (after an upgrade, or a change to the rules of
 * canonical links or of normalization), merging the stories they now share,
 * in one transaction. Returns 1 if items are left, 0 when all are done, -1
 * with *cause. Meant to run in slices off the hot path.
 */
int ingest_rekey(struct store *, size_t max, char **cause);
/*
 * Before the first ingest_feed on a store: if it holds no items yet, records
 * that its story keys follow today's rules, so that ingest_rekey does not
 * go over the items that will be stored with those keys (a whole first poll
 * of a new database). A store with items is left to ingest_rekey. -1 with
 * *cause on a store error.
 */
int ingest_keys_init(struct store *, char **cause);

#endif
