/*
 * store: everything feedmux keeps, in one SQLite database (WAL). The only
 * module that includes sqlite3.h. Items are deduplicated here: within a feed
 * an item is known by its guid, else its link, else a hash of its title, date
 * and content; a change to what is stored of it (title, link, author, text,
 * categories, dates) makes the item an update, not a second item. Across
 * feeds, items are grouped in stories by the keys that ingest
 * works out (struct store_keys): an output lists each story once, with every
 * item of it, so that every source is named.
 *
 * Errors: functions return -1 and log. An error of the disk or the lock (a
 * full or read-only disk, a lock held too long) is only logged at debug
 * level and kept for store_fault, so that the caller can say it once and
 * retry; any other error is logged as a warning.
 */
#ifndef FEEDMUX_STORE_H
#define FEEDMUX_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "parse.h"

struct store;

/* What happened to an item given to store_item_upsert. */
enum store_upsert {
	STORE_ITEM_SAME = 0,	/* known, unchanged */
	STORE_ITEM_NEW = 1,
	STORE_ITEM_UPDATED = 2,	/* known, its content changed */
	STORE_ITEM_GONE = 3,	/* pruned earlier and still listed: not stored */
};

/*
 * What finds an item's story: a new item joins the story of the oldest item
 * with the same canonical link, else of the earliest dated item of another
 * feed with the same normalized title whose date (sort_time) is within 48
 * hours of its own; else it founds a story of its own. Either may be NULL.
 */
struct store_keys {
	const char *canon;	/* canonical link */
	const char *title;	/* normalized title */
	/*
	 * If set, called the first time the keys are needed (for a new or
	 * changed item, never for an unchanged one) to set canon and title:
	 * working them out costs more than most lookups.
	 */
	void (*fill)(struct store_keys *, void *arg);
	void *arg;
	/* Set by store_item_upsert: the new item joined a story others had. */
	int joined;
};

/* A feed as the database knows it. */
struct store_feed {
	char *name;
	char *url;		/* last URL fetched; NULL before the first fetch */
	char *title;		/* the feed's own title; NULL if never read */
	char *link;
	char *etag;		/* validators of the last 200 response */
	char *last_modified;
	int64_t last_fetch;	/* 0: never fetched */
	int64_t last_success;	/* 0: never succeeded */
	long last_status;	/* HTTP status of the last fetch; 0 if none */
	char *last_error;	/* NULL when the last fetch worked */
	int64_t next_poll;	/* 0: unknown */
	int64_t nitems;		/* items stored */
	int64_t last_new;	/* new items of the last fetch */
	char *config_url;	/* the config's URL this state belongs to */
	char *poll_url;		/* where permanent redirects led; NULL if none */
	int64_t failures;	/* failed fetches in a row */
	int64_t gone;		/* when it answered 410 Gone; 0 if it did not */
	/* What the feed said of its own schedule (see struct feed). */
	int64_t ttl;		/* seconds */
	uint32_t skip_hours;
	uint8_t skip_days;
};

/* The outcome of one fetch, as store_feed_fetched records it. */
struct store_fetch {
	const char *url;
	int64_t time;
	long status;
	const char *error;	/* NULL on success */
	const char *title;	/* feed metadata; NULL keeps the stored value */
	const char *link;
	const char *etag;	/* NULL keeps the stored value */
	const char *last_modified;
	int64_t next_poll;
	int64_t nnew;
	const char *poll_url;	/* the URL to poll from now on; NULL: the config's */
	int64_t failures;
	int64_t gone;
	int64_t ttl;		/* these three are written as given */
	uint32_t skip_hours;
	uint8_t skip_days;
	const char *lang;	/* declared language; NULL keeps the stored one */
};

/* An item as stored, with where it came from. */
struct store_item {
	int64_t id;
	char *feed;		/* feed name */
	char *feed_title;	/* the feed's own title, or NULL */
	char *key;		/* the dedup key within the feed */
	struct item item;
	int64_t first_seen;	/* when feedmux first stored it */
	int64_t modified;	/* when it last changed in the store */
	int64_t sort_time;	/* published, else updated, else first_seen */
	int64_t story;		/* the id of its story */
	char *feed_link;	/* the feed's own link (its web site), or NULL */
	char *feed_lang;	/* the language the feed declared, or NULL */
};

/*
 * A story: the items of every feed that carried it. Its entry id is made
 * from the feed and key of the item that founded it, which stay when that
 * item goes, so a story never changes its id; its place in outputs is the
 * founder's sort_time.
 */
struct store_story {
	int64_t id;
	char *feed;		/* the founder's feed name and key */
	char *key;
	int64_t sort_time;
	/*
	 * Its items from active feeds (at least one): first those the output
	 * holds (they passed its filter, they are of its feeds), then the
	 * others, each group first stored first. The first item is the story
	 * as the output shows it (title, link, text, dates, atom:source); the
	 * others are the other sources ("via"). A feed may have several items
	 * in a story.
	 */
	struct store_item *items;
	size_t nitems;
};

/*
 * Opens (creating if needed, with its directory if only that one is
 * missing) and migrates the database. NULL with *cause set on failure, also
 * for a schema newer than this code knows, which is left untouched.
 */
struct store *store_open(const char *path, char **cause);
void store_close(struct store *);

/*
 * Transactions: batch the writes of one fetch into one. They do not nest:
 * store_begin inside a transaction fails. Every other function also works
 * outside one; inside, a failed write leaves the rollback to the caller.
 */
int store_begin(struct store *);
int store_commit(struct store *);
void store_rollback(struct store *);

/*
 * A batch: the transactions begun until store_batch_commit are written to
 * disk together, in one transaction of which each is a savepoint (a rolled
 * back one undoes only its own writes). One commit of many small
 * transactions writes each page they share once. What a batch holds is
 * visible to this connection before it is committed: the daemon renders
 * no output from it until then (its index page may show the fetch states
 * of an open batch). store_batch_commit returns -1 if any
 * of the batch may be lost (an error that ends the whole transaction, such
 * as a full disk, or a failed commit): the caller does again what it
 * wrote. store_close commits an open batch.
 */
int store_batch_begin(struct store *);
int store_batch_commit(struct store *);
int store_batch_open(const struct store *);

/*
 * Makes the named feeds the active ones: each gets a row if it has none;
 * feeds not named stay stored but inactive, and their items leave the outputs.
 */
int store_feeds_sync(struct store *, char *const *names, size_t n);
/* Records the outcome of a fetch; -1 also for a feed without a row. */
int store_feed_fetched(struct store *, const char *name, const struct store_fetch *);
/*
 * The feed's URL in the config is now config_url: if it was another, what
 * belonged to the old one (redirect, failures, 410, validators from another
 * URL, next poll) is forgotten.
 */
int store_feed_reset(struct store *, const char *name, const char *config_url);
/*
 * Until when a host asked not to be asked again (Retry-After): a unix time,
 * 0 if it did not, -1 on error. Setting one drops those that have passed.
 */
int64_t store_host_retry(struct store *, const char *host);
int store_host_set_retry(struct store *, const char *host, int64_t until,
    int64_t now);
/* 0 and *out filled (free with store_feed_clear), 1 if unknown, -1 on error. */
int store_feed_get(struct store *, const char *name, struct store_feed *out);
/* The active feeds, by name. */
int store_feed_list(struct store *, struct store_feed **, size_t *);
void store_feed_clear(struct store_feed *);
void store_feed_list_free(struct store_feed *, size_t);

/*
 * Adds or updates an item of a feed (which must exist). Returns an enum
 * store_upsert and sets *id (0 for STORE_ITEM_GONE), or -1 on a database
 * error. keys (NULL: none) find a new item's story; an update keeps its
 * story and only records its new keys, for the items that come later.
 */
int store_item_upsert(struct store *, const char *feed, const struct item *,
    struct store_keys *keys, int64_t now, int64_t *id);
/*
 * After a feed listed its items at `now`: tombstones of items it no longer
 * lists are forgotten, so that such an item would be new again.
 */
int store_feed_listed(struct store *, const char *feed, int64_t now);
/* Sets the outputs an item belongs to, replacing any earlier set. */
int store_item_set_outputs(struct store *, int64_t id, char *const *outputs,
    size_t n);
/* Forgets every item of an output (before its filter is applied again). */
int store_output_clear(struct store *, const char *output);
/* Adds one item to an output (again is a no-op; an unknown id adds nothing). */
int store_output_add(struct store *, const char *output, int64_t id);
/* Takes one item out of an output (a no-op if it is not in it). */
int store_output_remove(struct store *, const char *output, int64_t id);

/*
 * The filter an output's items were last chosen with, as the caller wrote it
 * with store_output_set_filter: *filter is NULL if none was recorded.
 * 0, or -1 on a database error.
 */
int store_output_filter(struct store *, const char *output, char **filter);
int store_output_set_filter(struct store *, const char *output,
    const char *filter);

/*
 * The newest stories of an output that have an item of an active feed in
 * it, newest first (the story's sort_time, then its newest item there), at
 * most max, each with all its items of active feeds (those outside the
 * output too). sort_time ignores dates more than a day ahead of the clock
 * at upsert. Free with store_stories_free.
 */
int store_output_stories(struct store *, const char *output, size_t max,
    struct store_story **, size_t *n);
void store_stories_free(struct store_story *, size_t);
/*
 * The newest change to an output: the largest modified time of its items
 * from active feeds, 0 if none, -1 on a database error.
 */
int64_t store_output_modified(struct store *, const char *output);

/*
 * Every stored item, of active and inactive feeds alike, in id order, starting
 * after after_id, at most max: for walking the whole store in slices (a
 * refilter must also cover the feeds that a later reload brings back).
 */
int store_items_page(struct store *, int64_t after_id, size_t max,
    struct store_item **, size_t *n);
void store_items_free(struct store_item *, size_t);
/* How many items store_items_page would walk after after_id; -1 on error. */
int64_t store_items_count(struct store *, int64_t after_id);

/*
 * Story keys of stored items are worked out again when the rules that make
 * them change (and once after the upgrade that brought stories): the store
 * keeps the rules' name the keys follow and how far (item id) a rework got;
 * -1 when it is complete. A new database has neither (*rules NULL, 0).
 */
int store_keys_state(struct store *, char **rules, int64_t *after);
int store_keys_set_state(struct store *, const char *rules, int64_t after);
/*
 * Sets a stored item's keys; if they find another story, the two stories
 * become one (the older stays). 1 if they did, 0 if not, -1 on error.
 */
int store_item_rekey(struct store *, int64_t id, const struct store_keys *);

/*
 * Retention: deletes at most max items of a feed, each leaving a tombstone
 * (store_item_upsert then ignores it while the feed lists it): first those
 * whose date and first sight are both before older_than (INT64_MIN: none),
 * then those beyond the newest keep by date (0: no limit). Returns how many
 * went (max: there may be more), -1 on error. An unknown feed has none.
 */
int store_prune(struct store *, const char *feed, int64_t older_than,
    size_t keep, size_t max, int64_t now);
/* The names of the stored feeds that are not active (caller frees). */
int store_feeds_inactive(struct store *, char ***names, size_t *n);

/*
 * The last error of the disk or the lock, NULL once a write has worked
 * since; valid until the next store call.
 */
const char *store_fault(const struct store *);
/* A small write, to learn whether writes work again: 0 if it did. */
int store_probe(struct store *, int64_t now);

/*
 * 0 if the database takes writes now, -1 with *cause if not (a read-only
 * file or directory): for health checks. Writes nothing.
 */
int store_writable(struct store *, char **cause);

#endif
