/*
 * store: the SQLite database. Every statement is prepared once in
 * store_open and kept until store_close; values only ever reach SQL as
 * bound parameters.
 *
 * Items are grouped in stories: an item joins the story of an item with the
 * same canonical link, else of an item of another feed with the same
 * normalized title dated within STORE_TITLE_WINDOW of it, else it founds a
 * story of its own. A story keeps the feed and key of its founder, which
 * name its entry, and the founder's sort time, which places it in outputs
 * (output_items copies it, so that an output is read straight off an index).
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "log.h"
#include "store.h"
#include "util.h"

/* A date this far ahead of the clock is a feed's mistake, not a schedule. */
#define STORE_FUTURE_SLACK 86400

#define STORE_BUSY_TIMEOUT_MS 5000

/* Equal titles from two feeds are one story if dated this close. */
#define STORE_TITLE_WINDOW (48 * 3600)
/*
 * The title index (schema 5) is kept by spans of sort_time this long, the
 * literal 345600 of its SQL: an item's window covers at most two.
 */
#define STORE_TITLE_SPAN 345600
#if STORE_TITLE_SPAN < 2 * STORE_TITLE_WINDOW
#error "a title window must cover at most two spans"
#endif

/*
 * Schema migrations: step i takes a database from user_version i to i + 1,
 * each in a transaction of its own. A new schema version appends a step;
 * a released step never changes.
 */
static const char *const store_migrations[] = {
    /* 1 */
    "CREATE TABLE feeds ("
    " id INTEGER PRIMARY KEY,"
    " name TEXT NOT NULL UNIQUE,"
    " active INTEGER NOT NULL DEFAULT 1,"
    " url TEXT,"
    " title TEXT,"
    " link TEXT,"
    " etag TEXT,"
    " last_modified TEXT,"
    " last_fetch INTEGER NOT NULL DEFAULT 0,"
    " last_success INTEGER NOT NULL DEFAULT 0,"
    " last_status INTEGER NOT NULL DEFAULT 0,"
    " last_error TEXT,"
    " next_poll INTEGER NOT NULL DEFAULT 0,"
    " last_new INTEGER NOT NULL DEFAULT 0"
    ");"
    "CREATE TABLE items ("
    " id INTEGER PRIMARY KEY,"
    " feed_id INTEGER NOT NULL REFERENCES feeds (id) ON DELETE CASCADE,"
    " key TEXT NOT NULL,"
    " hash TEXT NOT NULL,"
    " guid TEXT,"
    " link TEXT,"
    " title TEXT,"
    " author TEXT,"
    " summary TEXT,"
    " content TEXT,"
    " categories TEXT,"
    " published INTEGER,"
    " updated INTEGER,"
    " first_seen INTEGER NOT NULL,"
    " modified INTEGER NOT NULL,"
    " sort_time INTEGER NOT NULL,"
    " UNIQUE (feed_id, key)"
    ");"
    /*
     * sort_time is copied from items so that an output's newest items
     * are read straight off an index, however few of all items it has.
     */
    "CREATE TABLE output_items ("
    " output TEXT NOT NULL,"
    " item_id INTEGER NOT NULL REFERENCES items (id) ON DELETE CASCADE,"
    " sort_time INTEGER NOT NULL,"
    " PRIMARY KEY (output, item_id)"
    ") WITHOUT ROWID;"
    "CREATE INDEX output_items_newest"
    " ON output_items (output, sort_time DESC, item_id DESC);"
    "CREATE INDEX output_items_item ON output_items (item_id);"
    /* The filter each output's items were chosen with. */
    "CREATE TABLE outputs ("
    " name TEXT PRIMARY KEY,"
    " filter TEXT NOT NULL"
    ") WITHOUT ROWID;",
    /*
     * 2: polling state. config_url is the URL in the config that the rest
     * of the row belongs to; poll_url is where permanent redirects led.
     */
    "ALTER TABLE feeds ADD COLUMN config_url TEXT;"
    "ALTER TABLE feeds ADD COLUMN poll_url TEXT;"
    "ALTER TABLE feeds ADD COLUMN failures INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE feeds ADD COLUMN gone INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE feeds ADD COLUMN ttl INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE feeds ADD COLUMN skip_hours INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE feeds ADD COLUMN skip_days INTEGER NOT NULL DEFAULT 0;"
    "CREATE TABLE hosts ("
    " name TEXT PRIMARY KEY,"
    " retry_until INTEGER NOT NULL"
    ") WITHOUT ROWID;",
    /* 3: stories across feeds, tombstones, and a place for the store's own
     * state. Every item of versions 1 and 2 becomes a story of its own,
     * founded by itself, so its entry keeps its id; its keys (NULL here)
     * are worked out by ingest afterwards (store_keys_state). */
    "CREATE TABLE stories ("
    " id INTEGER PRIMARY KEY,"
    " feed TEXT NOT NULL,"
    " key TEXT NOT NULL,"
    " sort_time INTEGER NOT NULL"
    ");"
    "INSERT INTO stories (id, feed, key, sort_time)"
    " SELECT i.id, f.name, i.key, i.sort_time"
    " FROM items i JOIN feeds f ON f.id = i.feed_id;"
    "ALTER TABLE items ADD COLUMN story_id INTEGER REFERENCES stories (id);"
    "ALTER TABLE items ADD COLUMN canon TEXT;"
    "ALTER TABLE items ADD COLUMN title_key TEXT;"
    "UPDATE items SET story_id = id;"
    "CREATE INDEX items_story ON items (story_id);"
    "CREATE INDEX items_canon ON items (canon) WHERE canon IS NOT NULL;"
    "CREATE INDEX items_title ON items (title_key, sort_time)"
    " WHERE title_key IS NOT NULL;"
    "CREATE INDEX items_feed_time ON items (feed_id, sort_time);"
    /* An item pruned while its feed still lists it. */
    "CREATE TABLE tombstones ("
    " feed_id INTEGER NOT NULL REFERENCES feeds (id) ON DELETE CASCADE,"
    " key TEXT NOT NULL,"
    " seen INTEGER NOT NULL,"
    " PRIMARY KEY (feed_id, key)"
    ") WITHOUT ROWID;"
    "CREATE TABLE meta ("
    " key TEXT PRIMARY KEY,"
    " value"
    ") WITHOUT ROWID;",
    /* 4: the language a feed declares, for the outputs' xml:lang. */
    "ALTER TABLE feeds ADD COLUMN lang TEXT;",
    /*
     * 5: cheaper writes. The title index took each new item at a random
     * place (the text of its title), a page per item per commit; now it
     * is ordered by 96-hour span of sort_time, then a 64-bit hash of the
     * title key (feedmux_key_hash, see store_key_hash), so that the items
     * of a fetch, dated alike, go to a few pages; the text stays in the
     * row to confirm a match. An output's items are one B-tree keyed by
     * item (new items go at its end) and the index of its newest, instead
     * of three. (From schema 5 on, items' hash column is written empty:
     * an item seen again is compared field by field, see store_item_same.)
     */
    "ALTER TABLE items ADD COLUMN title_hash INTEGER;"
    "UPDATE items SET title_hash = feedmux_key_hash(title_key)"
    " WHERE title_key IS NOT NULL;"
    "DROP INDEX items_title;"
    "CREATE INDEX items_title_span"
    " ON items (sort_time / 345600, title_hash, sort_time)"
    " WHERE title_hash IS NOT NULL;"
    "CREATE TABLE output_items_new ("
    " item_id INTEGER NOT NULL REFERENCES items (id) ON DELETE CASCADE,"
    " output TEXT NOT NULL,"
    " sort_time INTEGER NOT NULL,"
    " PRIMARY KEY (item_id, output)"
    ") WITHOUT ROWID;"
    "INSERT INTO output_items_new (item_id, output, sort_time)"
    " SELECT item_id, output, sort_time FROM output_items;"
    "DROP TABLE output_items;"
    "ALTER TABLE output_items_new RENAME TO output_items;"
    "CREATE INDEX output_items_newest"
    " ON output_items (output, sort_time DESC, item_id DESC);",
};

enum store_stmt {
	ST_BEGIN,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_SAVEPOINT,
	ST_RELEASE,
	ST_ROLLBACK_TO,
	ST_FEEDS_DEACTIVATE,
	ST_FEED_ACTIVATE,
	ST_FEED_FETCHED,
	ST_FEED_RESET,
	ST_HOST_GET,
	ST_HOST_SET,
	ST_HOSTS_PRUNE,
	ST_FEED_GET,
	ST_FEED_LIST,
	ST_FEED_ID,
	ST_FEEDS_INACTIVE,
	ST_ITEM_FIND,
	ST_ITEM_INSERT,
	ST_ITEM_UPDATE,
	ST_ITEM_STORY,
	ST_ITEM_SET_KEYS,
	ST_ITEM_DELETE,
	ST_ITEM_OUTPUTS_DROP,
	ST_STORY_FIND_LINK,
	ST_STORY_FIND_TITLE,
	ST_STORY_INSERT,
	ST_STORY_GET,
	ST_STORY_RESORT,
	ST_STORY_OUTPUTS_RESORT,
	ST_STORY_MOVE,
	ST_STORY_DROP_EMPTY,
	ST_STORY_ITEMS,
	ST_TOMB_TOUCH,
	ST_TOMB_ADD,
	ST_TOMB_SWEEP,
	ST_PRUNE_AGE,
	ST_PRUNE_COUNT,
	ST_OUTPUT_ADD,
	ST_OUTPUT_REMOVE,
	ST_OUTPUT_ADD_AT,
	ST_OUTPUT_CLEAR,
	ST_OUTPUT_STORIES,
	ST_OUTPUT_MODIFIED,
	ST_ITEMS_PAGE,
	ST_ITEMS_COUNT,
	ST_OUTPUT_FILTER_GET,
	ST_OUTPUT_FILTER_SET,
	ST_META_GET,
	ST_META_SET,
	ST_DATA_VERSION,
	ST_KEYS_LINKS,
	ST_KEYS_TITLES,
	ST_KEYS_ITEMS,
	ST_KEYS_TOMBS,
	ST_KEYS_COUNT,
	ST_COUNT
};

#define FEED_COLUMNS                                                           \
	"name, url, title, link, etag, last_modified, last_fetch,"             \
	" last_success, last_status, last_error, next_poll,"                   \
	" (SELECT count(*) FROM items WHERE items.feed_id = feeds.id),"        \
	" last_new, config_url, poll_url, failures, gone, ttl, skip_hours,"  \
	" skip_days"

#define ITEM_COLUMNS                                                           \
	"i.id, f.name, f.title, i.key, i.guid, i.link, i.title,"               \
	" i.author, i.summary, i.content, i.categories, i.published,"          \
	" i.updated, i.first_seen, i.modified, i.sort_time, i.story_id,"      \
	" f.link, f.lang"

/*
 * The earliest dated, then oldest, item of another feed with the title
 * (its hash, then its text) in one span of the window, read off the title
 * index in its order.
 */
#define TITLE_SPAN_FIND(span)                                                  \
	" SELECT story_id FROM"                                                \
	" (SELECT story_id FROM items"                                         \
	"  WHERE sort_time / 345600 = " span " AND title_hash = ?2"            \
	"  AND sort_time BETWEEN ?3 AND ?4 AND title_key = ?1"                 \
	"  AND feed_id != ?5 AND story_id != ?6"                               \
	"  ORDER BY sort_time, id LIMIT 1)"

/* CROSS JOIN fixes the join order, so the planner walks the index given. */
static const char *const store_sql[ST_COUNT] = {
    [ST_BEGIN] = "BEGIN IMMEDIATE",
    [ST_COMMIT] = "COMMIT",
    [ST_ROLLBACK] = "ROLLBACK",
    [ST_SAVEPOINT] = "SAVEPOINT tx",
    [ST_RELEASE] = "RELEASE tx",
    [ST_ROLLBACK_TO] = "ROLLBACK TO tx",
    [ST_FEEDS_DEACTIVATE] = "UPDATE feeds SET active = 0 WHERE active != 0",
    [ST_FEED_ACTIVATE] = "INSERT INTO feeds (name, active) VALUES (?1, 1)"
			 " ON CONFLICT (name) DO UPDATE SET active = 1",
    [ST_FEED_FETCHED] =
	"UPDATE feeds SET"
	" url = coalesce(?2, url), last_fetch = ?3, last_status = ?4,"
	" last_error = ?5,"
	" last_success = CASE WHEN ?5 IS NULL THEN ?3"
	"  ELSE last_success END,"
	" title = coalesce(?6, title), link = coalesce(?7, link),"
	" etag = coalesce(?8, etag),"
	" last_modified = coalesce(?9, last_modified),"
	" next_poll = ?10, last_new = ?11,"
	" poll_url = ?12, failures = ?13, gone = ?14, ttl = ?15,"
	" skip_hours = ?16, skip_days = ?17, lang = coalesce(?18, lang)"
	" WHERE name = ?1",
    /* Validators stay only if they came from the new URL. */
    [ST_FEED_RESET] =
	"UPDATE feeds SET config_url = ?2, poll_url = NULL, failures = 0,"
	" gone = 0, next_poll = 0, ttl = 0, skip_hours = 0, skip_days = 0,"
	" etag = CASE WHEN url = ?2 THEN etag END,"
	" last_modified = CASE WHEN url = ?2 THEN last_modified END"
	" WHERE name = ?1",
    [ST_HOST_GET] = "SELECT retry_until FROM hosts WHERE name = ?1",
    [ST_HOST_SET] = "INSERT INTO hosts (name, retry_until) VALUES (?1, ?2)"
		    " ON CONFLICT (name) DO UPDATE SET retry_until = ?2",
    [ST_HOSTS_PRUNE] = "DELETE FROM hosts WHERE retry_until <= ?1",
    [ST_FEED_GET] = "SELECT " FEED_COLUMNS " FROM feeds WHERE name = ?1",
    [ST_FEED_LIST] = "SELECT " FEED_COLUMNS " FROM feeds WHERE active = 1"
		     " ORDER BY name",
    [ST_FEED_ID] = "SELECT id FROM feeds WHERE name = ?1",
    [ST_FEEDS_INACTIVE] = "SELECT name FROM feeds WHERE active = 0"
			  " ORDER BY name",
    /*
     * One row always: the item's, or NULLs and whether it is a tombstone;
     * with the stored fields that store_item_same compares.
     */
    [ST_ITEM_FIND] = "SELECT i.id, i.first_seen, i.story_id,"
		     " i.sort_time, CASE WHEN i.id IS NULL THEN"
		     " (SELECT 1 FROM tombstones"
		     " WHERE feed_id = ?1 AND key = ?2) END,"
		     " i.title, i.link, i.author, i.summary, i.content,"
		     " i.categories, i.published, i.updated"
		     " FROM (SELECT 1) LEFT JOIN items i"
		     " ON i.feed_id = ?1 AND i.key = ?2",
    /* hash: unused since schema 5 (see store_item_same). */
    [ST_ITEM_INSERT] =
	"INSERT INTO items (feed_id, key, hash, guid, link,"
	" title, author, summary, content, categories, published, updated,"
	" first_seen, modified, sort_time, story_id, canon, title_key,"
	" title_hash)"
	" VALUES (?1, ?2, '', ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11,"
	" ?12, ?12, ?13, ?14, ?15, ?16, ?17)",
    [ST_ITEM_UPDATE] =
	"UPDATE items SET hash = '', guid = ?2, link = ?3,"
	" title = ?4, author = ?5, summary = ?6, content = ?7,"
	" categories = ?8, published = ?9, updated = ?10, modified = ?11,"
	" sort_time = ?12, canon = ?13, title_key = ?14, title_hash = ?15"
	" WHERE id = ?1",
    [ST_ITEM_STORY] = "SELECT story_id, feed_id, sort_time FROM items"
		      " WHERE id = ?1",
    [ST_ITEM_SET_KEYS] = "UPDATE items SET canon = ?2, title_key = ?3,"
			 " title_hash = ?4 WHERE id = ?1",
    [ST_ITEM_DELETE] = "DELETE FROM items WHERE id = ?1",
    [ST_ITEM_OUTPUTS_DROP] = "DELETE FROM output_items WHERE item_id = ?1",
    /* The oldest item with the link: its story is the oldest one. */
    [ST_STORY_FIND_LINK] = "SELECT story_id FROM items"
			   " WHERE canon = ?1 AND story_id != ?2"
			   " ORDER BY id LIMIT 1",
    /*
     * The two spans of the window, earliest first, each its own part of
     * a compound (which runs its parts in turn and stops at the first
     * row): an IN list and an ORDER BY across them would each cost a
     * temporary table per lookup.
     */
    [ST_STORY_FIND_TITLE] =
	TITLE_SPAN_FIND("?7") " UNION ALL" TITLE_SPAN_FIND("?8") " LIMIT 1",
    [ST_STORY_INSERT] = "INSERT INTO stories (feed, key, sort_time)"
			" VALUES (?1, ?2, ?3)",
    [ST_STORY_GET] = "SELECT feed, key, sort_time FROM stories WHERE id = ?1",
    /* Only the founder's date places a story. */
    [ST_STORY_RESORT] = "UPDATE stories SET sort_time = ?2"
			" WHERE id = ?1 AND feed = ?3 AND key = ?4",
    [ST_STORY_OUTPUTS_RESORT] =
	"UPDATE output_items SET sort_time = ?2"
	" WHERE item_id IN (SELECT id FROM items WHERE story_id = ?1)",
    [ST_STORY_MOVE] = "UPDATE items SET story_id = ?1 WHERE story_id = ?2",
    [ST_STORY_DROP_EMPTY] =
	"DELETE FROM stories WHERE id = ?1"
	" AND NOT EXISTS (SELECT 1 FROM items WHERE story_id = ?1)",
    /* The items the output itself holds first: one of them shows it. */
    [ST_STORY_ITEMS] = "SELECT " ITEM_COLUMNS " FROM items i"
		       " CROSS JOIN feeds f ON f.id = i.feed_id"
		       " WHERE i.story_id = ?1 AND f.active = 1"
		       " ORDER BY NOT EXISTS (SELECT 1 FROM output_items o"
		       " WHERE o.output = ?2 AND o.item_id = i.id), i.id",
    [ST_TOMB_TOUCH] = "UPDATE tombstones SET seen = ?3"
		      " WHERE feed_id = ?1 AND key = ?2",
    [ST_TOMB_ADD] = "INSERT OR REPLACE INTO tombstones (feed_id, key, seen)"
		    " SELECT feed_id, key, ?2 FROM items WHERE id = ?1",
    [ST_TOMB_SWEEP] = "DELETE FROM tombstones WHERE feed_id ="
		      " (SELECT id FROM feeds WHERE name = ?1) AND seen < ?2",
    /* Old by its date and by when it was first stored: see store.h. */
    [ST_PRUNE_AGE] = "SELECT id FROM items WHERE feed_id = ?1"
		     " AND sort_time < ?2 AND first_seen < ?2 LIMIT ?3",
    [ST_PRUNE_COUNT] = "SELECT id FROM items WHERE feed_id = ?1"
		       " ORDER BY sort_time DESC, id DESC LIMIT ?3 OFFSET ?2",
    [ST_OUTPUT_ADD] = "INSERT OR IGNORE INTO output_items"
		      " (output, item_id, sort_time)"
		      " SELECT ?1, i.id, s.sort_time FROM items i"
		      " JOIN stories s ON s.id = i.story_id WHERE i.id = ?2",
    [ST_OUTPUT_REMOVE] = "DELETE FROM output_items"
			 " WHERE output = ?1 AND item_id = ?2",
    [ST_OUTPUT_ADD_AT] = "INSERT OR IGNORE INTO output_items"
			 " (output, item_id, sort_time) VALUES (?1, ?2, ?3)",
    [ST_OUTPUT_CLEAR] = "DELETE FROM output_items WHERE output = ?1",
    [ST_OUTPUT_STORIES] = "SELECT i.story_id FROM output_items o"
			  " CROSS JOIN items i ON i.id = o.item_id"
			  " CROSS JOIN feeds f ON f.id = i.feed_id"
			  " WHERE o.output = ?1 AND f.active = 1"
			  " ORDER BY o.sort_time DESC, o.item_id DESC",
    [ST_OUTPUT_MODIFIED] = "SELECT max(i.modified) FROM output_items o"
			   " CROSS JOIN items i ON i.id = o.item_id"
			   " CROSS JOIN feeds f ON f.id = i.feed_id"
			   " WHERE o.output = ?1 AND f.active = 1",
    [ST_ITEMS_PAGE] = "SELECT " ITEM_COLUMNS " FROM items i"
		      " CROSS JOIN feeds f ON f.id = i.feed_id"
		      " WHERE i.id > ?1 ORDER BY i.id LIMIT ?2",
    [ST_ITEMS_COUNT] = "SELECT count(*) FROM items WHERE id > ?1",
    [ST_OUTPUT_FILTER_GET] = "SELECT filter FROM outputs WHERE name = ?1",
    [ST_OUTPUT_FILTER_SET] =
	"INSERT INTO outputs (name, filter) VALUES (?1, ?2)"
	" ON CONFLICT (name) DO UPDATE SET filter = ?2",
    [ST_META_GET] = "SELECT value FROM meta WHERE key = ?1",
    /* Changes when another connection commits. */
    [ST_DATA_VERSION] = "PRAGMA data_version",
    /* Every key stored, off the indexes alone (struct keyfilter). */
    [ST_KEYS_LINKS] = "SELECT canon FROM items WHERE canon IS NOT NULL",
    [ST_KEYS_ITEMS] = "SELECT feed_id, key FROM items",
    [ST_KEYS_TOMBS] = "SELECT feed_id, key FROM tombstones",
    [ST_KEYS_COUNT] = "SELECT (SELECT count(*) FROM items),"
		      " (SELECT count(*) FROM tombstones)",
    [ST_KEYS_TITLES] = "SELECT title_hash FROM items"
		       " WHERE title_hash IS NOT NULL",
    [ST_META_SET] = "INSERT INTO meta (key, value) VALUES (?1, ?2)"
		    " ON CONFLICT (key) DO UPDATE SET value = ?2",
};

/*
 * The keys stored, as a Bloom filter of their 64-bit hashes: the (feed, key)
 * of every item and tombstone, and the story keys (canonical links, title
 * keys). A new item is none of them and most share neither link nor title
 * with a stored one: the filter says so without reading the indexes. It errs
 * only the safe way (a key that is not stored may pass): made from the database
 * when first needed, made again in the first lookup of a transaction after
 * another connection committed (PRAGMA data_version) or when it has filled up;
 * keys of items deleted since, or rolled back, stay in it until then.
 */
struct keyfilter {
	uint64_t *bits;	 /* NULL: to be made */
	uint64_t nbits;	 /* a multiple of 64, at most 2^32 */
	size_t n, max;	 /* keys added, and the most before it is made again */
	int64_t version; /* data_version it was made at */
	int checked;	 /* data_version compared in this transaction */
};

struct store {
	sqlite3 *db;
	sqlite3_stmt *st[ST_COUNT];
	char *fault;	/* the last failure of the disk or the lock */

	/* The feed of the last upsert: a feed's id never changes. */
	char *feed_name;
	int64_t feed_id;
	/* The item the last upsert inserted: it is in no output yet. */
	int64_t new_id;
	int64_t new_sort; /* its story's sort_time */
	struct keyfilter keys;

	/*
	 * A batch: one transaction holds the caller's, each a savepoint.
	 * lost: some of it was rolled back by an error that ends the whole
	 * transaction (a full disk), so its commit must say it failed.
	 */
	int batch;
	int batch_lost;
	int in_tx;		/* a savepoint of the batch is open */
};

/*
 * Errors of the disk, the file or the lock, as opposed to errors of SQL or
 * of data: a full or read-only disk, another process holding the lock. They
 * pass, so the caller retries.
 */
static int
store_is_fault(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
	case SQLITE_IOERR:
	case SQLITE_FULL:
	case SQLITE_READONLY:
	case SQLITE_CANTOPEN:
	case SQLITE_PERM:
	case SQLITE_PROTOCOL:
		return 1;
	}
	return 0;
}

/*
 * A fault is kept for store_fault and logged at debug level only: the caller
 * says it once for the whole time the disk fails, not once per statement.
 */
static void
store_warn(struct store *s, const char *what)
{
	if (store_is_fault(sqlite3_extended_errcode(s->db))) {
		free(s->fault);
		xasprintf(&s->fault, "%s: %s", what, sqlite3_errmsg(s->db));
		log_debug("store: %s", s->fault);
		return;
	}
	log_warnx("store: %s: %s", what, sqlite3_errmsg(s->db));
}

/*
 * The 64-bit hash of a story key that the title index holds (schema 5): the
 * first 8 bytes of its SHA-256, big-endian, as a signed integer. Stored
 * values depend on it: it never changes.
 */
static int64_t
store_key_hash(const char *key, size_t len)
{
	char hex[65];
	uint64_t h = 0;

	hash_sha256_hex(key, len, hex);
	for (int i = 0; i < 16; i++)
		h = h << 4 | (uint64_t)(hex[i] <= '9' ? hex[i] - '0'
						      : hex[i] - 'a' + 10);
	return (int64_t)h;
}

/*
 * Binding helpers: each does nothing once *rc holds an error, so a run of
 * binds needs one check at the end.
 */
static void
bind_text(int *rc, sqlite3_stmt *st, int i, const char *v)
{
	if (*rc == SQLITE_OK)
		*rc = sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
}

static void
bind_int64(int *rc, sqlite3_stmt *st, int i, int64_t v)
{
	if (*rc == SQLITE_OK)
		*rc = sqlite3_bind_int64(st, i, v);
}

/* A time that may be absent: PARSE_NO_TIME becomes NULL. */
static void
bind_time(int *rc, sqlite3_stmt *st, int i, int64_t v)
{
	if (*rc != SQLITE_OK)
		return;
	if (v == PARSE_NO_TIME)
		*rc = sqlite3_bind_null(st, i);
	else
		*rc = sqlite3_bind_int64(st, i, v);
}

/* The hash of a story key (made once per item), NULL without a key. */
static void
bind_key_hash(int *rc, sqlite3_stmt *st, int i, const char *key, int64_t hash)
{
	if (*rc != SQLITE_OK)
		return;
	if (key == NULL)
		*rc = sqlite3_bind_null(st, i);
	else
		*rc = sqlite3_bind_int64(st, i, hash);
}

static int64_t
store_title_hash(const char *title)
{
	return title != NULL ? store_key_hash(title, strlen(title)) : 0;
}

static void
bind_size(int *rc, sqlite3_stmt *st, int i, size_t v)
{
	bind_int64(rc, st, i, v > INT64_MAX ? INT64_MAX : (int64_t)v);
}

/* Makes a statement ready for its next use. */
static void
store_done(sqlite3_stmt *st)
{
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

/*
 * Steps a statement that returns no rows after its binds (rc is their
 * result), then resets it.
 */
/* What the store remembers of earlier calls may have been rolled back. */
static void
store_forget(struct store *s)
{
	free(s->feed_name);
	s->feed_name = NULL;
	s->new_id = 0;
}

static int
store_run(struct store *s, sqlite3_stmt *st, int rc, const char *what)
{
	if (rc == SQLITE_OK) {
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW || rc == SQLITE_DONE)
			rc = SQLITE_OK;
	}
	if (rc != SQLITE_OK) {
		store_warn(s, what);
		store_forget(s);
	} else if (s->fault != NULL && sqlite3_get_autocommit(s->db) &&
	    (st == s->st[ST_COMMIT] || !sqlite3_stmt_readonly(st))) {
		/* Written through: the fault has passed. */
		free(s->fault);
		s->fault = NULL;
	}
	store_done(st);
	return rc == SQLITE_OK ? 0 : -1;
}

/*
 * Steps a statement expected to return at most one row: 1 with the
 * statement left on that row (the caller reads it, then store_done), 0 when
 * there is none, -1 on error (both already reset).
 */
static int
store_row(struct store *s, sqlite3_stmt *st, int rc, const char *what)
{
	if (rc == SQLITE_OK) {
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW)
			return 1;
		if (rc == SQLITE_DONE) {
			store_done(st);
			return 0;
		}
	}
	store_warn(s, what);
	store_done(st);
	return -1;
}

/* store_row of a statement whose row is one integer, read into *v. */
static int
store_int64(struct store *s, sqlite3_stmt *st, int rc, const char *what,
    int64_t *v)
{
	int found;

	if ((found = store_row(s, st, rc, what)) == 1) {
		*v = sqlite3_column_int64(st, 0);
		store_done(st);
	}
	return found;
}

static char *
column_strdup(sqlite3_stmt *st, int i)
{
	const unsigned char *v;

	if (sqlite3_column_type(st, i) == SQLITE_NULL)
		return NULL;
	if ((v = sqlite3_column_text(st, i)) == NULL)
		return NULL;
	return xstrdup((const char *)v);
}

static int64_t
column_time(sqlite3_stmt *st, int i)
{
	if (sqlite3_column_type(st, i) == SQLITE_NULL)
		return PARSE_NO_TIME;
	return sqlite3_column_int64(st, i);
}

/* feedmux_key_hash(text), for the migration to schema 5. */
static void
store_sql_key_hash(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const unsigned char *v;

	(void)argc;
	if (sqlite3_value_type(argv[0]) == SQLITE_NULL ||
	    (v = sqlite3_value_text(argv[0])) == NULL) {
		sqlite3_result_null(ctx);
		return;
	}
	sqlite3_result_int64(ctx, store_key_hash((const char *)v,
				      (size_t)sqlite3_value_bytes(argv[0])));
}

/*
 * Runs constant SQL (schema steps and pragmas, which take no parameters),
 * statement by statement, ignoring any rows.
 */
static int
store_exec(struct store *s, const char *sql, char **cause)
{
	sqlite3_stmt *st;
	const char *tail;
	int rc;

	while (*sql != '\0') {
		rc = sqlite3_prepare_v2(s->db, sql, -1, &st, &tail);
		if (rc != SQLITE_OK) {
			xasprintf(cause, "%s", sqlite3_errmsg(s->db));
			return -1;
		}
		if (st == NULL) /* only white space or a comment */
			break;
		while ((rc = sqlite3_step(st)) == SQLITE_ROW)
			;
		if (rc != SQLITE_DONE) {
			xasprintf(cause, "%s", sqlite3_errmsg(s->db));
			sqlite3_finalize(st);
			return -1;
		}
		sqlite3_finalize(st);
		sql = tail;
	}
	return 0;
}

/* Reads one integer or text value of constant SQL, such as a pragma. */
static int
store_query(struct store *s, const char *sql, int *iv, char **tv, char **cause)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
		xasprintf(cause, "%s", sqlite3_errmsg(s->db));
		return -1;
	}
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		xasprintf(cause, "%s",
		    rc == SQLITE_DONE ? "no result" : sqlite3_errmsg(s->db));
		sqlite3_finalize(st);
		return -1;
	}
	if (iv != NULL)
		*iv = sqlite3_column_int(st, 0);
	if (tv != NULL)
		*tv = column_strdup(st, 0);
	sqlite3_finalize(st);
	return 0;
}

/* Creates the directory the database lives in, if only that one is missing. */
static int
store_mkparent(const char *path, char **cause)
{
	struct stat sb;
	char *dir, *slash;
	int ret = -1;

	/* In-memory, temporary and URI names have no directory to make. */
	if (*path == '\0' || strcmp(path, ":memory:") == 0 ||
	    str_has_prefix(path, "file:"))
		return 0;
	dir = xstrdup(path);
	if ((slash = strrchr(dir, '/')) == NULL) {
		free(dir);
		return 0;
	}
	if (slash == dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	if (stat(dir, &sb) == 0) {
		if (!S_ISDIR(sb.st_mode)) {
			xasprintf(cause, "%s: not a directory", dir);
			goto out;
		}
	} else if (errno == ENOENT) {
		if (mkdir(dir, 0750) != 0 && errno != EEXIST) {
			xasprintf(cause, "mkdir %s: %s", dir, strerror(errno));
			goto out;
		}
		log_info("store: created directory %s", dir);
	} else {
		xasprintf(cause, "%s: %s", dir, strerror(errno));
		goto out;
	}
	ret = 0;
out:
	free(dir);
	return ret;
}

/* Schema version check, before anything writes to the file. */
static int
store_check_version(struct store *s, int *version, char **cause)
{
	if (store_query(s, "PRAGMA user_version", version, NULL, cause) != 0)
		return -1;
	if (*version < 0 || (size_t)*version > nitems(store_migrations)) {
		xasprintf(cause,
		    "database schema version %d is not one this "
		    "feedmux knows (at most %zu)",
		    *version, nitems(store_migrations));
		return -1;
	}
	return 0;
}

static int
store_migrate(struct store *s, char **cause)
{
	char sql[64];
	int version;

	for (;;) {
		if (store_exec(s, "BEGIN IMMEDIATE", cause) != 0)
			return -1;
		/* Read again under the lock: another process may have migrated.
		 */
		if (store_check_version(s, &version, cause) != 0)
			goto fail;
		if ((size_t)version == nitems(store_migrations))
			break;
		if (store_exec(s, store_migrations[version], cause) != 0)
			goto fail;
		snprintf(
		    sql, sizeof sql, "PRAGMA user_version = %d", version + 1);
		if (store_exec(s, sql, cause) != 0 ||
		    store_exec(s, "COMMIT", cause) != 0)
			goto fail;
		log_info("store: schema migrated to version %d", version + 1);
	}
	if (store_exec(s, "COMMIT", cause) != 0)
		goto fail;
	return 0;
fail:
	if (!sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

static void
store_free(struct store *s)
{
	for (size_t i = 0; i < ST_COUNT; i++)
		sqlite3_finalize(s->st[i]);
	free(s->keys.bits);
	if (s->db != NULL && sqlite3_close(s->db) != SQLITE_OK)
		log_warnx("store: close: %s", sqlite3_errmsg(s->db));
	free(s->fault);
	free(s->feed_name);
	free(s);
}

struct store *
store_open(const char *path, char **cause)
{
	struct store *s;
	char *mode = NULL, *why = NULL;
	int rc, version;

	if (store_mkparent(path, cause) != 0)
		return NULL;

	s = xcalloc(1, sizeof *s);
	/* One thread uses the connection: SQLite's own locks are not needed. */
	rc = sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		xasprintf(cause, "%s: %s", path,
		    s->db != NULL ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
		goto fail;
	}
	sqlite3_extended_result_codes(s->db, 1);
	sqlite3_busy_timeout(s->db, STORE_BUSY_TIMEOUT_MS);

	if (store_check_version(s, &version, &why) != 0)
		goto fail_why;
	if (store_query(s, "PRAGMA journal_mode = WAL", NULL, &mode, &why) != 0)
		goto fail_why;
	if (mode == NULL || strcmp(mode, "wal") != 0)
		log_warnx("store: %s: journal mode is %s, not wal", path,
		    mode != NULL ? mode : "unknown");
	free(mode);
	/* 8 MB of page cache: 16 MB bought no CPU time in a cold poll of the
	 * 1000-feed corpus and cost 9 MB of peak RSS. */
	if (store_exec(s,
		"PRAGMA synchronous = NORMAL;"
		"PRAGMA cache_size = -8192;"
		"PRAGMA temp_store = MEMORY;"
		"PRAGMA foreign_keys = ON",
		&why) != 0)
		goto fail_why;
	if (sqlite3_create_function(s->db, "feedmux_key_hash", 1,
		SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL, store_sql_key_hash,
		NULL, NULL) != SQLITE_OK) {
		xasprintf(&why, "%s", sqlite3_errmsg(s->db));
		goto fail_why;
	}
	if (store_migrate(s, &why) != 0)
		goto fail_why;

	for (size_t i = 0; i < ST_COUNT; i++) {
		rc = sqlite3_prepare_v3(s->db, store_sql[i], -1,
		    SQLITE_PREPARE_PERSISTENT, &s->st[i], NULL);
		if (rc != SQLITE_OK) {
			xasprintf(&why, "prepare: %s", sqlite3_errmsg(s->db));
			goto fail_why;
		}
	}
	return s;

fail_why:
	xasprintf(cause, "%s: %s", path, why);
	free(why);
fail:
	store_free(s);
	return NULL;
}

void
store_close(struct store *s)
{
	if (s == NULL)
		return;
	if (s->batch && store_batch_commit(s) != 0)
		log_warnx("store: closing: the last batch could not be written");
	if (!sqlite3_get_autocommit(s->db)) {
		log_warnx("store: closing inside a transaction; rolled back");
		store_rollback(s);
	}
	store_free(s);
}

/*
 * The batch's transaction is open, or opened again if an error ended it
 * (the batch then knows that part of it is lost).
 */
static int
store_batch_tx(struct store *s)
{
	if (!sqlite3_get_autocommit(s->db))
		return 0;
	s->batch_lost = 1;
	store_forget(s);
	return store_run(s, s->st[ST_BEGIN], SQLITE_OK, "begin");
}

int
store_begin(struct store *s)
{
	s->keys.checked = 0;
	if (!s->batch)
		return store_run(s, s->st[ST_BEGIN], SQLITE_OK, "begin");
	if (s->in_tx) {
		log_warnx("store: a transaction inside another");
		return -1;
	}
	if (store_batch_tx(s) != 0 ||
	    store_run(s, s->st[ST_SAVEPOINT], SQLITE_OK, "savepoint") != 0)
		return -1;
	s->in_tx = 1;
	return 0;
}

int
store_commit(struct store *s)
{
	if (!s->batch)
		return store_run(s, s->st[ST_COMMIT], SQLITE_OK, "commit");
	s->in_tx = 0;
	if (sqlite3_get_autocommit(s->db)) {
		/* An error ended the batch's transaction: nothing to release. */
		s->batch_lost = 1;
		store_forget(s);
		return -1;
	}
	return store_run(s, s->st[ST_RELEASE], SQLITE_OK, "release");
}

void
store_rollback(struct store *s)
{
	store_forget(s);
	if (s->batch) {
		s->in_tx = 0;
		if (sqlite3_get_autocommit(s->db)) {
			s->batch_lost = 1;
			return;
		}
		/* Undone up to the savepoint, which then ends. */
		if (store_run(s, s->st[ST_ROLLBACK_TO], SQLITE_OK,
		    "rollback to savepoint") != 0 ||
		    store_run(s, s->st[ST_RELEASE], SQLITE_OK, "release") != 0)
			s->batch_lost = 1;
		return;
	}
	/* Some errors end the transaction themselves; nothing left to undo. */
	if (sqlite3_get_autocommit(s->db))
		return;
	store_run(s, s->st[ST_ROLLBACK], SQLITE_OK, "rollback");
}

int
store_batch_begin(struct store *s)
{
	if (s->batch || !sqlite3_get_autocommit(s->db)) {
		log_warnx("store: a batch inside a transaction");
		return -1;
	}
	if (store_run(s, s->st[ST_BEGIN], SQLITE_OK, "begin") != 0)
		return -1;
	s->batch = 1;
	s->batch_lost = 0;
	s->in_tx = 0;
	return 0;
}

int
store_batch_commit(struct store *s)
{
	int lost;

	if (!s->batch)
		return 0;
	lost = s->batch_lost;
	s->batch = s->batch_lost = s->in_tx = 0;
	if (sqlite3_get_autocommit(s->db)) {
		store_forget(s);
		return -1;
	}
	if (store_run(s, s->st[ST_COMMIT], SQLITE_OK, "commit") != 0) {
		store_rollback(s);
		return -1;
	}
	return lost ? -1 : 0;
}

int
store_batch_open(const struct store *s)
{
	return s->batch;
}

/*
 * Writes of several statements are atomic also outside an explicit
 * transaction: they open one of their own when the caller has none (in a
 * batch, a savepoint).
 */
static int
store_tx_enter(struct store *s, int *own)
{
	*own = s->batch ? !s->in_tx : sqlite3_get_autocommit(s->db) != 0;
	if (*own)
		return store_begin(s);
	return 0;
}

static int
store_tx_leave(struct store *s, int own, int ok)
{
	if (!own)
		return ok ? 0 : -1;
	if (ok && store_commit(s) == 0)
		return 0;
	store_rollback(s);
	return -1;
}

int
store_feeds_sync(struct store *s, char *const *names, size_t n)
{
	sqlite3_stmt *st = s->st[ST_FEED_ACTIVATE];
	int own, ok = 0, rc;

	if (store_tx_enter(s, &own) != 0)
		return -1;
	if (store_run(s, s->st[ST_FEEDS_DEACTIVATE], SQLITE_OK,
		"deactivate feeds") != 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		rc = SQLITE_OK;
		bind_text(&rc, st, 1, names[i]);
		if (store_run(s, st, rc, "activate feed") != 0)
			goto out;
	}
	ok = 1;
out:
	return store_tx_leave(s, own, ok);
}

int
store_feed_fetched(
    struct store *s, const char *name, const struct store_fetch *f)
{
	sqlite3_stmt *st = s->st[ST_FEED_FETCHED];
	int rc = SQLITE_OK;

	bind_text(&rc, st, 1, name);
	bind_text(&rc, st, 2, f->url);
	bind_int64(&rc, st, 3, f->time);
	bind_int64(&rc, st, 4, f->status);
	bind_text(&rc, st, 5, f->error);
	bind_text(&rc, st, 6, f->title);
	bind_text(&rc, st, 7, f->link);
	bind_text(&rc, st, 8, f->etag);
	bind_text(&rc, st, 9, f->last_modified);
	bind_int64(&rc, st, 10, f->next_poll);
	bind_int64(&rc, st, 11, f->nnew);
	bind_text(&rc, st, 12, f->poll_url);
	bind_int64(&rc, st, 13, f->failures);
	bind_int64(&rc, st, 14, f->gone);
	bind_int64(&rc, st, 15, f->ttl);
	bind_int64(&rc, st, 16, f->skip_hours);
	bind_int64(&rc, st, 17, f->skip_days);
	bind_text(&rc, st, 18, f->lang);
	if (store_run(s, st, rc, "record fetch") != 0)
		return -1;
	if (sqlite3_changes(s->db) == 0) {
		log_warnx("store: record fetch: unknown feed %s", name);
		return -1;
	}
	return 0;
}

static void
store_feed_read(sqlite3_stmt *st, struct store_feed *f)
{
	f->name = column_strdup(st, 0);
	f->url = column_strdup(st, 1);
	f->title = column_strdup(st, 2);
	f->link = column_strdup(st, 3);
	f->etag = column_strdup(st, 4);
	f->last_modified = column_strdup(st, 5);
	f->last_fetch = sqlite3_column_int64(st, 6);
	f->last_success = sqlite3_column_int64(st, 7);
	f->last_status = (long)sqlite3_column_int64(st, 8);
	f->last_error = column_strdup(st, 9);
	f->next_poll = sqlite3_column_int64(st, 10);
	f->nitems = sqlite3_column_int64(st, 11);
	f->last_new = sqlite3_column_int64(st, 12);
	f->config_url = column_strdup(st, 13);
	f->poll_url = column_strdup(st, 14);
	f->failures = sqlite3_column_int64(st, 15);
	f->gone = sqlite3_column_int64(st, 16);
	f->ttl = sqlite3_column_int64(st, 17);
	f->skip_hours = (uint32_t)sqlite3_column_int64(st, 18);
	f->skip_days = (uint8_t)sqlite3_column_int64(st, 19);
}

int
store_feed_reset(struct store *s, const char *name, const char *config_url)
{
	sqlite3_stmt *st = s->st[ST_FEED_RESET];
	int rc = SQLITE_OK;

	bind_text(&rc, st, 1, name);
	bind_text(&rc, st, 2, config_url);
	return store_run(s, st, rc, "reset feed");
}

int64_t
store_host_retry(struct store *s, const char *host)
{
	sqlite3_stmt *st = s->st[ST_HOST_GET];
	int rc = SQLITE_OK, found;
	int64_t t;

	bind_text(&rc, st, 1, host);
	if ((found = store_int64(s, st, rc, "get host", &t)) <= 0)
		return found;
	return t;
}

int
store_host_set_retry(struct store *s, const char *host, int64_t until,
    int64_t now)
{
	int rc = SQLITE_OK;

	bind_int64(&rc, s->st[ST_HOSTS_PRUNE], 1, now);
	if (store_run(s, s->st[ST_HOSTS_PRUNE], rc, "prune hosts") != 0)
		return -1;
	rc = SQLITE_OK;
	bind_text(&rc, s->st[ST_HOST_SET], 1, host);
	bind_int64(&rc, s->st[ST_HOST_SET], 2, until);
	return store_run(s, s->st[ST_HOST_SET], rc, "set host");
}

int
store_feed_get(struct store *s, const char *name, struct store_feed *out)
{
	sqlite3_stmt *st = s->st[ST_FEED_GET];
	int rc = SQLITE_OK, found;

	memset(out, 0, sizeof *out);
	bind_text(&rc, st, 1, name);
	if ((found = store_row(s, st, rc, "get feed")) <= 0)
		return found == 0 ? 1 : -1;
	store_feed_read(st, out);
	store_done(st);
	return 0;
}

int
store_feed_list(struct store *s, struct store_feed **out, size_t *np)
{
	sqlite3_stmt *st = s->st[ST_FEED_LIST];
	struct store_feed *list = NULL;
	size_t n = 0;
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		list = xreallocarray(list, n + 1, sizeof *list);
		store_feed_read(st, &list[n++]);
	}
	if (rc != SQLITE_DONE) {
		store_warn(s, "list feeds");
		store_done(st);
		store_feed_list_free(list, n);
		*out = NULL;
		*np = 0;
		return -1;
	}
	store_done(st);
	*out = list;
	*np = n;
	return 0;
}

void
store_feed_clear(struct store_feed *f)
{
	free(f->name);
	free(f->url);
	free(f->title);
	free(f->link);
	free(f->etag);
	free(f->last_modified);
	free(f->last_error);
	free(f->config_url);
	free(f->poll_url);
	memset(f, 0, sizeof *f);
}

void
store_feed_list_free(struct store_feed *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		store_feed_clear(&list[i]);
	free(list);
}

/*
 * Hash input: every field as "LENGTH:BYTES", an absent one as "-;", a time
 * as "DIGITS;", so that no two different items give the same bytes.
 */
/* Decimal digits of v and then c, as printf's "%ju" would give them. */
static void
hash_add_number(struct buf *b, uint64_t v, char c)
{
	char s[24], *p = s + sizeof s;

	*--p = c;
	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	buf_add(b, p, (size_t)(s + sizeof s - p));
}

static void
hash_add(struct buf *b, const char *v)
{
	size_t n;

	if (v == NULL) {
		buf_add(b, "-;", 2);
		return;
	}
	n = strlen(v);
	hash_add_number(b, n, ':');
	buf_add(b, v, n);
}

static void
hash_add_time(struct buf *b, int64_t t)
{
	if (t == PARSE_NO_TIME)
		buf_add(b, "-;", 2);
	else if (t < 0) {
		buf_addc(b, '-');
		hash_add_number(b, -(uint64_t)t, ';');
	} else
		hash_add_number(b, (uint64_t)t, ';');
}

static void
hash_finish(struct buf *b, char out[65])
{
	hash_sha256_hex(b->data != NULL ? b->data : "", b->len, out);
	buf_free(b);
}

/* Column i of a row is the text v (NULL for NULL). */
static int
column_is(sqlite3_stmt *st, int i, const char *v)
{
	const unsigned char *c;

	if (sqlite3_column_type(st, i) == SQLITE_NULL)
		return v == NULL;
	if (v == NULL || (c = sqlite3_column_text(st, i)) == NULL)
		return 0;
	return strcmp((const char *)c, v) == 0;
}

/*
 * Whether a known item is unchanged: storing it again would store the same
 * fields (ST_ITEM_FIND's columns from 5 on). They are compared, not hashed,
 * so that an item seen again, as most items of a poll are, costs no
 * hashing. Categories are compared as store_categories_join stores them:
 * a change that stores nothing new (a newline in a category that became a
 * space) is none. Until schema 5 a hash of the fields decided (so did
 * those changes); the column stays, unused.
 */
static int
store_item_same(sqlite3_stmt *st, const struct item *it)
{
	const unsigned char *v;

	if (!column_is(st, 5, it->title) || !column_is(st, 6, it->link) ||
	    !column_is(st, 7, it->author) || !column_is(st, 8, it->summary) ||
	    !column_is(st, 9, it->content) ||
	    column_time(st, 11) != it->published ||
	    column_time(st, 12) != it->updated)
		return 0;
	if (it->ncategories == 0)
		return sqlite3_column_type(st, 10) == SQLITE_NULL;
	if (sqlite3_column_type(st, 10) == SQLITE_NULL ||
	    (v = sqlite3_column_text(st, 10)) == NULL)
		return 0;
	for (size_t i = 0; i < it->ncategories; i++) {
		if (i > 0 && *v++ != '\n')
			return 0;
		if (it->categories[i] == NULL)
			continue;
		for (const unsigned char *c =
			 (const unsigned char *)it->categories[i];
		     *c != '\0'; c++, v++)
			if (*v != (*c == '\n' ? ' ' : *c))
				return 0;
	}
	return *v == '\0';
}

static char *
str_prefixed(const char *prefix, const char *s)
{
	size_t np = strlen(prefix), ns = strlen(s);
	char *p = xmalloc(np + ns + 1);

	memcpy(p, prefix, np);
	memcpy(p + np, s, ns + 1);
	return p;
}

/* The dedup key: the guid, else the link, else a hash of what is left. */
static char *
store_item_key(const struct item *it)
{
	struct buf b;
	char hash[65];

	if (it->guid != NULL && *it->guid != '\0')
		return str_prefixed("guid:", it->guid);
	if (it->link != NULL && *it->link != '\0')
		return str_prefixed("link:", it->link);
	buf_init(&b);
	hash_add(&b, it->title);
	hash_add_time(&b, it->published);
	hash_add(&b, it->content != NULL ? it->content : it->summary);
	hash_finish(&b, hash);
	return str_prefixed("hash:", hash);
}

/* Categories are kept one per line; NULL when there are none. */
static char *
store_categories_join(const struct item *it)
{
	struct buf b;
	size_t start;

	if (it->ncategories == 0)
		return NULL;
	buf_init(&b);
	for (size_t i = 0; i < it->ncategories; i++) {
		if (i > 0)
			buf_addc(&b, '\n');
		if (it->categories[i] == NULL)
			continue;
		start = b.len;
		buf_adds(&b, it->categories[i]);
		/* A newline inside a category would split it in two. */
		for (size_t j = start; j < b.len; j++)
			if (b.data[j] == '\n')
				b.data[j] = ' ';
	}
	return buf_steal(&b, NULL);
}

static void
store_categories_split(const char *v, struct item *it)
{
	const char *nl;
	size_t n = 1;

	it->categories = NULL;
	it->ncategories = 0;
	if (v == NULL || *v == '\0')
		return;
	for (const char *p = v; *p != '\0'; p++)
		if (*p == '\n')
			n++;
	it->categories = xcalloc(n, sizeof *it->categories);
	while ((nl = strchr(v, '\n')) != NULL) {
		it->categories[it->ncategories++] = xstrndup(v, nl - v);
		v = nl + 1;
	}
	it->categories[it->ncategories++] = xstrdup(v);
}

/* A date more than a day ahead is not trusted to place the item. */
static int
store_time_trusted(int64_t t, int64_t now)
{
	if (t == PARSE_NO_TIME)
		return 0;
	return t <= now || (uint64_t)t - (uint64_t)now <= STORE_FUTURE_SLACK;
}

static int64_t
store_sort_time(const struct item *it, int64_t first_seen, int64_t now)
{
	if (store_time_trusted(it->published, now))
		return it->published;
	if (store_time_trusted(it->updated, now))
		return it->updated;
	return first_seen;
}

/* Binds guid, link, title, author, summary, content, categories, dates. */
static void
bind_item(int *rc, sqlite3_stmt *st, int i, const struct item *it,
    const char *categories)
{
	bind_text(rc, st, i++, it->guid);
	bind_text(rc, st, i++, it->link);
	bind_text(rc, st, i++, it->title);
	bind_text(rc, st, i++, it->author);
	bind_text(rc, st, i++, it->summary);
	bind_text(rc, st, i++, it->content);
	bind_text(rc, st, i++, categories);
	bind_time(rc, st, i++, it->published);
	bind_time(rc, st, i, it->updated);
}

/* A feed's row id: 1 and *id set, 0 if there is no such feed, -1 on error. */
static int
store_feed_id(struct store *s, const char *feed, int64_t *id)
{
	sqlite3_stmt *st = s->st[ST_FEED_ID];
	int rc = SQLITE_OK, found;

	if (s->feed_name != NULL && strcmp(s->feed_name, feed) == 0) {
		*id = s->feed_id;
		return 1;
	}
	bind_text(&rc, st, 1, feed);
	if ((found = store_row(s, st, rc, "find feed")) <= 0)
		return found;
	*id = sqlite3_column_int64(st, 0);
	store_done(st);
	free(s->feed_name);
	s->feed_name = xstrdup(feed);
	s->feed_id = *id;
	return 1;
}

/* splitmix64's finalizer: every bit of the result depends on every bit. */
static uint64_t
mix64(uint64_t h)
{
	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebULL;
	return h ^ h >> 31;
}

/* The filter's hash of a canonical link (FNV-1a, mixed). */
static uint64_t
keyfilter_link(const char *link)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (const unsigned char *p = (const unsigned char *)link; *p != '\0';
	     p++)
		h = (h ^ *p) * 0x100000001b3ULL;
	return mix64(h);
}

/* The filter's hash of an item's (feed, key). */
static uint64_t
keyfilter_item(int64_t feed_id, const char *key)
{
	return mix64(keyfilter_link(key) ^ (uint64_t)feed_id);
}

/* The filter's hash of a title key, from the one the index holds. */
static uint64_t
keyfilter_title(int64_t title_hash)
{
	return mix64((uint64_t)title_hash ^ 0x7469746c65ULL);
}

/* Bit i of three a key, by double hashing, scaled to the filter's size. */
static uint64_t
keyfilter_bit(const struct keyfilter *f, uint64_t h, int i)
{
	h += (uint64_t)i * (h >> 32 | 1);
	return ((uint64_t)(uint32_t)(h ^ h >> 32) * f->nbits) >> 32;
}

static void
keyfilter_add(struct keyfilter *f, uint64_t h)
{
	uint64_t b;

	if (f->bits == NULL)
		return;
	for (int i = 0; i < 3; i++) {
		b = keyfilter_bit(f, h, i);
		f->bits[b >> 6] |= 1ULL << (b & 63);
	}
	f->n++;
}

static int
keyfilter_maybe(const struct keyfilter *f, uint64_t h)
{
	uint64_t b;

	for (int i = 0; i < 3; i++) {
		b = keyfilter_bit(f, h, i);
		if ((f->bits[b >> 6] & 1ULL << (b & 63)) == 0)
			return 0;
	}
	return 1;
}

/* Records an item's keys, as stored, in the filter. */
static void
store_keys_add(
    struct store *s, const char *canon, const char *title, int64_t title_hash)
{
	if (canon != NULL)
		keyfilter_add(&s->keys, keyfilter_link(canon));
	if (title != NULL)
		keyfilter_add(&s->keys, keyfilter_title(title_hash));
}

/* Adds the keys one of the ST_KEYS_ statements reads to the filter. */
static int
store_keys_read(struct store *s, sqlite3_stmt *st)
{
	struct keyfilter *f = &s->keys;
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (st == s->st[ST_KEYS_ITEMS] || st == s->st[ST_KEYS_TOMBS])
			keyfilter_add(
			    f, keyfilter_item(sqlite3_column_int64(st, 0),
				   (const char *)sqlite3_column_text(st, 1)));
		else if (st == s->st[ST_KEYS_LINKS])
			keyfilter_add(
			    f, keyfilter_link(
				   (const char *)sqlite3_column_text(st, 0)));
		else
			keyfilter_add(
			    f, keyfilter_title(sqlite3_column_int64(st, 0)));
	}
	if (rc != SQLITE_DONE) {
		store_warn(s, "read stored keys");
		store_done(st);
		return -1;
	}
	store_done(st);
	return 0;
}

/*
 * Makes the filter ready for this transaction: 0, or -1 if it cannot be
 * trusted (the lookups then read the indexes).
 */
static int
store_keys_check(struct store *s)
{
	struct keyfilter *f = &s->keys;
	sqlite3_stmt *st = s->st[ST_DATA_VERSION];
	uint64_t keys;
	int64_t version;

	if (f->checked)
		return f->bits != NULL ? 0 : -1;
	f->checked = 1;
	if (store_row(s, st, SQLITE_OK, "data version") != 1)
		goto fail;
	version = sqlite3_column_int64(st, 0);
	store_done(st);
	if (f->bits != NULL && version == f->version && f->n <= f->max)
		return 0;

	/*
	 * At most three keys an item (its own, its link, its title) and one
	 * a tombstone; 12 bits for each (under 2% false answers when full),
	 * made again past 8 bits a key: a million items take 4.5 MB. At
	 * least 32 KB, so that a young database, which grows fastest, is not
	 * read again and again.
	 */
	free(f->bits);
	f->bits = NULL;
	st = s->st[ST_KEYS_COUNT];
	if (store_row(s, st, SQLITE_OK, "count stored keys") != 1)
		goto fail;
	keys = 3 * (uint64_t)sqlite3_column_int64(st, 0) +
	       (uint64_t)sqlite3_column_int64(st, 1);
	store_done(st);
	f->nbits = keys < (1 << 18) / 12 ? 1 << 18
		   : keys > (UINT64_C(1) << 32) / 12
		       ? UINT64_C(1) << 32
		       : (12 * keys + 63) / 64 * 64;
	f->bits = xcalloc(f->nbits / 64, sizeof *f->bits);
	f->max = f->nbits / 8;
	f->n = 0;
	f->version = version;
	if (store_keys_read(s, s->st[ST_KEYS_ITEMS]) != 0 ||
	    store_keys_read(s, s->st[ST_KEYS_TOMBS]) != 0 ||
	    store_keys_read(s, s->st[ST_KEYS_LINKS]) != 0 ||
	    store_keys_read(s, s->st[ST_KEYS_TITLES]) != 0)
		goto fail;
	return 0;
fail:
	free(f->bits);
	f->bits = NULL;
	return -1;
}

/*
 * The story an item with these keys belongs to, other than the story
 * `not` (0: none): the story of the oldest item with the same canonical
 * link, else of the earliest dated item of another feed with the same title
 * within the window (read off the index in its order: no sort). 1 and
 * *story, *story_sort set, 0 if none, -1 on error.
 */
static int
store_story_find(struct store *s, const struct store_keys *k,
    int64_t title_hash, int64_t feed_id, int64_t sort_time, int64_t not,
    int64_t *story, int64_t *story_sort)
{
	sqlite3_stmt *st;
	int rc, found = 0, link, title, filter;
	int64_t lo, hi;

	if (k == NULL)
		return 0;
	/* Most keys were never stored: then no index need be read. */
	filter = store_keys_check(s) == 0;
	link = k->canon != NULL &&
	       (!filter || keyfilter_maybe(&s->keys, keyfilter_link(k->canon)));
	title =
	    k->title != NULL &&
	    (!filter || keyfilter_maybe(&s->keys, keyfilter_title(title_hash)));
	if (link) {
		st = s->st[ST_STORY_FIND_LINK];
		rc = SQLITE_OK;
		bind_text(&rc, st, 1, k->canon);
		bind_int64(&rc, st, 2, not );
		if ((found = store_row(s, st, rc, "find story by link")) < 0)
			return -1;
	}
	if (found == 0 && title) {
		/* Dates near INT64 limits are possible (store_time_trusted). */
		lo = sort_time < INT64_MIN + STORE_TITLE_WINDOW
			 ? INT64_MIN
			 : sort_time - STORE_TITLE_WINDOW;
		hi = sort_time > INT64_MAX - STORE_TITLE_WINDOW
			 ? INT64_MAX
			 : sort_time + STORE_TITLE_WINDOW;
		st = s->st[ST_STORY_FIND_TITLE];
		rc = SQLITE_OK;
		bind_text(&rc, st, 1, k->title);
		bind_int64(&rc, st, 2, title_hash);
		bind_int64(&rc, st, 3, lo);
		bind_int64(&rc, st, 4, hi);
		bind_int64(&rc, st, 5, feed_id);
		bind_int64(&rc, st, 6, not );
		/* Its spans, as SQL divides (toward zero, as C). */
		bind_int64(&rc, st, 7, lo / STORE_TITLE_SPAN);
		bind_int64(&rc, st, 8, hi / STORE_TITLE_SPAN);
		if ((found = store_row(s, st, rc, "find story by title")) < 0)
			return -1;
	}
	if (found == 0)
		return 0;
	*story = sqlite3_column_int64(st, 0);
	store_done(st);

	/* Where it is placed: the founder's date. */
	st = s->st[ST_STORY_GET];
	rc = SQLITE_OK;
	bind_int64(&rc, st, 1, *story);
	if ((found = store_row(s, st, rc, "get story")) <= 0) {
		if (found == 0)
			log_warnx("store: item of unknown story %jd",
			    (intmax_t)*story);
		return -1;
	}
	*story_sort = sqlite3_column_int64(st, 2);
	store_done(st);
	return 1;
}

/* The outputs of a story's items follow its sort time. */
static int
store_story_outputs_resort(struct store *s, int64_t story, int64_t sort_time)
{
	sqlite3_stmt *st = s->st[ST_STORY_OUTPUTS_RESORT];
	int rc = SQLITE_OK;

	bind_int64(&rc, st, 1, story);
	bind_int64(&rc, st, 2, sort_time);
	return store_run(s, st, rc, "move story in outputs");
}

/* An item that changed: its story moves if it is the founder and its date moved. */
static int
store_story_resort(struct store *s, int64_t story, const char *feed,
    const char *key, int64_t sort_time)
{
	sqlite3_stmt *st = s->st[ST_STORY_RESORT];
	int rc = SQLITE_OK;

	bind_int64(&rc, st, 1, story);
	bind_int64(&rc, st, 2, sort_time);
	bind_text(&rc, st, 3, feed);
	bind_text(&rc, st, 4, key);
	if (store_run(s, st, rc, "move story") != 0)
		return -1;
	if (sqlite3_changes(s->db) == 0)
		return 0;
	return store_story_outputs_resort(s, story, sort_time);
}

static int
store_story_drop_empty(struct store *s, int64_t story)
{
	sqlite3_stmt *st = s->st[ST_STORY_DROP_EMPTY];
	int rc = SQLITE_OK;

	bind_int64(&rc, st, 1, story);
	return store_run(s, st, rc, "drop empty story");
}

/* Moves the items of story `gone` into the older story `keep`. */
static int
store_story_merge(struct store *s, int64_t keep, int64_t gone)
{
	sqlite3_stmt *st;
	int64_t sort_time;
	int rc;

	st = s->st[ST_STORY_GET];
	rc = SQLITE_OK;
	bind_int64(&rc, st, 1, keep);
	switch (store_row(s, st, rc, "get story")) {
	case 1:
		sort_time = sqlite3_column_int64(st, 2);
		store_done(st);
		break;
	case 0:
		log_warnx("store: merge into unknown story %jd", (intmax_t)keep);
		return -1;
	default:
		return -1;
	}
	st = s->st[ST_STORY_MOVE];
	rc = SQLITE_OK;
	bind_int64(&rc, st, 1, keep);
	bind_int64(&rc, st, 2, gone);
	if (store_run(s, st, rc, "merge stories") != 0 ||
	    store_story_outputs_resort(s, keep, sort_time) != 0)
		return -1;
	return store_story_drop_empty(s, gone);
}

int
store_item_upsert(struct store *s, const char *feed, const struct item *it,
    struct store_keys *keys, int64_t now, int64_t *id)
{
	sqlite3_stmt *st;
	const char *canon = NULL, *title = NULL;
	char *key, *categories = NULL;
	int64_t feed_id, old_id = 0, first_seen = 0, story = 0, old_sort = 0;
	int64_t sort_time, story_sort = 0, title_hash;
	uint64_t item_hash;
	int own, found, gone, same = 0, result = -1, rc;

	*id = 0;
	if (store_tx_enter(s, &own) != 0)
		return -1;
	key = store_item_key(it);

	if ((found = store_feed_id(s, feed, &feed_id)) <= 0) {
		if (found == 0)
			log_warnx("store: item of unknown feed %s", feed);
		goto out;
	}

	/* A new item, as the filter can tell, needs no lookup. */
	item_hash = keyfilter_item(feed_id, key);
	if (store_keys_check(s) == 0 && !keyfilter_maybe(&s->keys, item_hash))
		found = gone = 0;
	else {
		st = s->st[ST_ITEM_FIND];
		rc = SQLITE_OK;
		bind_int64(&rc, st, 1, feed_id);
		bind_text(&rc, st, 2, key);
		if (store_row(s, st, rc, "find item") != 1)
			goto out;
		found = sqlite3_column_type(st, 0) != SQLITE_NULL;
		gone = sqlite3_column_type(st, 4) != SQLITE_NULL;
		if (found) {
			old_id = sqlite3_column_int64(st, 0);
			same = store_item_same(st, it);
			first_seen = sqlite3_column_int64(st, 1);
			story = sqlite3_column_int64(st, 2);
			old_sort = sqlite3_column_int64(st, 3);
		}
		store_done(st);
	}
	if (found && same) {
		*id = old_id;
		result = STORE_ITEM_SAME;
		goto out;
	}

	/* Pruned, and still listed: it stays gone (and listed). */
	if (!found && gone) {
		st = s->st[ST_TOMB_TOUCH];
		rc = SQLITE_OK;
		bind_int64(&rc, st, 1, feed_id);
		bind_text(&rc, st, 2, key);
		bind_int64(&rc, st, 3, now);
		if (store_run(s, st, rc, "touch tombstone") == 0)
			result = STORE_ITEM_GONE;
		goto out;
	}

	if (keys != NULL) {
		if (keys->fill != NULL) {
			keys->fill(keys, keys->arg);
			keys->fill = NULL;
		}
		canon = keys->canon;
		title = keys->title;
	}
	title_hash = store_title_hash(title);
	if (!found) {
		sort_time = store_sort_time(it, now, now);
		story_sort = sort_time;
		if ((found = store_story_find(s, keys, title_hash, feed_id,
			 sort_time, 0, &story, &story_sort)) < 0)
			goto out;
		if (found == 0) {
			st = s->st[ST_STORY_INSERT];
			rc = SQLITE_OK;
			bind_text(&rc, st, 1, feed);
			bind_text(&rc, st, 2, key);
			bind_int64(&rc, st, 3, sort_time);
			if (store_run(s, st, rc, "insert story") != 0)
				goto out;
			story = sqlite3_last_insert_rowid(s->db);
		}
		if (keys != NULL)
			keys->joined = found > 0;

		categories = store_categories_join(it);
		st = s->st[ST_ITEM_INSERT];
		rc = SQLITE_OK;
		bind_int64(&rc, st, 1, feed_id);
		bind_text(&rc, st, 2, key);
		bind_item(&rc, st, 3, it, categories);
		bind_int64(&rc, st, 12, now);
		bind_int64(&rc, st, 13, sort_time);
		bind_int64(&rc, st, 14, story);
		bind_text(&rc, st, 15, canon);
		bind_text(&rc, st, 16, title);
		bind_key_hash(&rc, st, 17, title, title_hash);
		if (store_run(s, st, rc, "insert item") != 0)
			goto out;
		keyfilter_add(&s->keys, item_hash);
		store_keys_add(s, canon, title, title_hash);
		*id = sqlite3_last_insert_rowid(s->db);
		s->new_id = *id;
		s->new_sort = story_sort;
		result = STORE_ITEM_NEW;
		goto out;
	}

	/*
	 * An update keeps its identity and its story, whatever its new keys
	 * say: the keys only bring later items to it.
	 */
	categories = store_categories_join(it);
	sort_time = store_sort_time(it, first_seen, now);
	st = s->st[ST_ITEM_UPDATE];
	rc = SQLITE_OK;
	bind_int64(&rc, st, 1, old_id);
	bind_item(&rc, st, 2, it, categories);
	bind_int64(&rc, st, 11, now);
	bind_int64(&rc, st, 12, sort_time);
	bind_text(&rc, st, 13, canon);
	bind_text(&rc, st, 14, title);
	bind_key_hash(&rc, st, 15, title, title_hash);
	if (store_run(s, st, rc, "update item") != 0)
		goto out;
	store_keys_add(s, canon, title, title_hash);
	if (sort_time != old_sort &&
	    store_story_resort(s, story, feed, key, sort_time) != 0)
		goto out;
	*id = old_id;
	result = STORE_ITEM_UPDATED;
out:
	free(key);
	free(categories);
	if (store_tx_leave(s, own, result != -1) != 0) {
		*id = 0;
		return -1;
	}
	return result;
}

int
store_feed_listed(struct store *s, const char *feed, int64_t now)
{
	sqlite3_stmt *st = s->st[ST_TOMB_SWEEP];
	int rc = SQLITE_OK;

	bind_text(&rc, st, 1, feed);
	bind_int64(&rc, st, 2, now);
	return store_run(s, st, rc, "sweep tombstones");
}

int
store_item_rekey(struct store *s, int64_t id, const struct store_keys *k)
{
	sqlite3_stmt *st;
	int64_t story, feed_id, sort_time, other, other_sort, title_hash;
	int own, ok = 0, rc, found, merged = 0;

	if (store_tx_enter(s, &own) != 0)
		return -1;
	st = s->st[ST_ITEM_STORY];
	rc = SQLITE_OK;
	bind_int64(&rc, st, 1, id);
	if ((found = store_row(s, st, rc, "get item story")) < 0)
		goto out;
	if (found == 0) {
		ok = 1;		/* pruned meanwhile */
		goto out;
	}
	story = sqlite3_column_int64(st, 0);
	feed_id = sqlite3_column_int64(st, 1);
	sort_time = sqlite3_column_int64(st, 2);
	store_done(st);

	st = s->st[ST_ITEM_SET_KEYS];
	rc = SQLITE_OK;
	bind_int64(&rc, st, 1, id);
	bind_text(&rc, st, 2, k->canon);
	bind_text(&rc, st, 3, k->title);
	title_hash = store_title_hash(k->title);
	bind_key_hash(&rc, st, 4, k->title, title_hash);
	if (store_run(s, st, rc, "set item keys") != 0)
		goto out;
	store_keys_add(s, k->canon, k->title, title_hash);
	if ((found = store_story_find(s, k, title_hash, feed_id, sort_time,
		 story, &other, &other_sort)) < 0)
		goto out;
	/* The older story stays, so that fewer entries change their id. */
	if (found && store_story_merge(s, story < other ? story : other,
	    story < other ? other : story) != 0)
		goto out;
	merged = found;
	ok = 1;
out:
	if (store_tx_leave(s, own, ok) != 0)
		return -1;
	return merged;
}

/* Collects the ids a statement returns into *ids, from *n on. */
static int
store_ids(struct store *s, sqlite3_stmt *st, int rc, const char *what,
    int64_t **ids, size_t *n)
{
	if (rc == SQLITE_OK) {
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			*ids = xreallocarray(*ids, *n + 1, sizeof **ids);
			(*ids)[(*n)++] = sqlite3_column_int64(st, 0);
		}
	}
	if (rc != SQLITE_DONE) {
		store_warn(s, what);
		store_done(st);
		return -1;
	}
	store_done(st);
	return 0;
}

/* Deletes an item, leaving its tombstone, and its story if it was the last. */
static int
store_item_prune(struct store *s, int64_t id, int64_t now)
{
	sqlite3_stmt *st;
	int64_t story;
	int rc, found;

	st = s->st[ST_ITEM_STORY];
	rc = SQLITE_OK;
	bind_int64(&rc, st, 1, id);
	if ((found = store_int64(s, st, rc, "get item story", &story)) <= 0)
		return found;

	st = s->st[ST_TOMB_ADD];
	rc = SQLITE_OK;
	bind_int64(&rc, st, 1, id);
	bind_int64(&rc, st, 2, now);
	if (store_run(s, st, rc, "add tombstone") != 0)
		return -1;
	st = s->st[ST_ITEM_DELETE];
	rc = SQLITE_OK;
	bind_int64(&rc, st, 1, id);
	if (store_run(s, st, rc, "delete item") != 0)
		return -1;
	return store_story_drop_empty(s, story);
}

int
store_prune(struct store *s, const char *feed, int64_t older_than,
    size_t keep, size_t max, int64_t now)
{
	sqlite3_stmt *st;
	int64_t feed_id, *ids = NULL;
	size_t n = 0, done = 0;
	int own, ok = 0, rc, found;

	if (max == 0)
		return 0;
	if (store_tx_enter(s, &own) != 0)
		return -1;
	if ((found = store_feed_id(s, feed, &feed_id)) <= 0) {
		ok = found == 0;
		goto out;
	}
	if (older_than != INT64_MIN) {
		st = s->st[ST_PRUNE_AGE];
		rc = SQLITE_OK;
		bind_int64(&rc, st, 1, feed_id);
		bind_int64(&rc, st, 2, older_than);
		bind_size(&rc, st, 3, max);
		if (store_ids(s, st, rc, "find old items", &ids, &n) != 0)
			goto out;
		for (; done < n; done++)
			if (store_item_prune(s, ids[done], now) < 0)
				goto out;
	}
	/* After the old ones went, so that none is counted twice. */
	if (keep > 0 && done < max) {
		st = s->st[ST_PRUNE_COUNT];
		rc = SQLITE_OK;
		bind_int64(&rc, st, 1, feed_id);
		bind_size(&rc, st, 2, keep);
		bind_size(&rc, st, 3, max - done);
		if (store_ids(s, st, rc, "find items over the count", &ids,
		    &n) != 0)
			goto out;
		for (; done < n; done++)
			if (store_item_prune(s, ids[done], now) < 0)
				goto out;
	}
	ok = 1;
out:
	free(ids);
	if (store_tx_leave(s, own, ok) != 0)
		return -1;
	return done > INT32_MAX ? INT32_MAX : (int)done;
}

int
store_feeds_inactive(struct store *s, char ***names, size_t *np)
{
	sqlite3_stmt *st = s->st[ST_FEEDS_INACTIVE];
	char **list = NULL;
	size_t n = 0;
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		list = xreallocarray(list, n + 1, sizeof *list);
		list[n++] = column_strdup(st, 0);
	}
	if (rc != SQLITE_DONE) {
		store_warn(s, "list inactive feeds");
		store_done(st);
		for (size_t i = 0; i < n; i++)
			free(list[i]);
		free(list);
		*names = NULL;
		*np = 0;
		return -1;
	}
	store_done(st);
	*names = list;
	*np = n;
	return 0;
}

static int
store_meta_get(struct store *s, const char *key, char **text, int64_t *num)
{
	sqlite3_stmt *st = s->st[ST_META_GET];
	int rc = SQLITE_OK, found;

	bind_text(&rc, st, 1, key);
	if ((found = store_row(s, st, rc, "read state")) <= 0)
		return found;
	if (text != NULL)
		*text = column_strdup(st, 0);
	if (num != NULL)
		*num = sqlite3_column_int64(st, 0);
	store_done(st);
	return 1;
}

static int
store_meta_set(struct store *s, const char *key, const char *text,
    int64_t num)
{
	sqlite3_stmt *st = s->st[ST_META_SET];
	int rc = SQLITE_OK;

	bind_text(&rc, st, 1, key);
	if (text != NULL)
		bind_text(&rc, st, 2, text);
	else
		bind_int64(&rc, st, 2, num);
	return store_run(s, st, rc, "write state");
}

int
store_keys_state(struct store *s, char **rules, int64_t *after)
{
	*rules = NULL;
	*after = 0;
	if (store_meta_get(s, "keys_rules", rules, NULL) < 0 ||
	    store_meta_get(s, "keys_after", NULL, after) < 0) {
		free(*rules);
		*rules = NULL;
		return -1;
	}
	return 0;
}

int
store_keys_set_state(struct store *s, const char *rules, int64_t after)
{
	int own;

	if (store_tx_enter(s, &own) != 0)
		return -1;
	return store_tx_leave(s, own,
	    store_meta_set(s, "keys_rules", rules, 0) == 0 &&
	    store_meta_set(s, "keys_after", NULL, after) == 0);
}

const char *
store_fault(const struct store *s)
{
	return s->fault;
}

int
store_probe(struct store *s, int64_t now)
{
	if (store_begin(s) != 0)
		return -1;
	if (store_meta_set(s, "probe", NULL, now) != 0 ||
	    store_commit(s) != 0) {
		store_rollback(s);
		return -1;
	}
	return 0;
}

static int
store_output_add1(struct store *s, const char *output, int64_t id)
{
	sqlite3_stmt *st = s->st[ST_OUTPUT_ADD];
	int rc = SQLITE_OK;

	bind_text(&rc, st, 1, output);
	bind_int64(&rc, st, 2, id);
	return store_run(s, st, rc, "add item to output");
}

int
store_item_set_outputs(
    struct store *s, int64_t id, char *const *outputs, size_t n)
{
	sqlite3_stmt *st = s->st[ST_ITEM_OUTPUTS_DROP];
	int own, ok = 0, rc = SQLITE_OK, fresh;

	/* The item just inserted is in no output, and its place is known. */
	fresh = id == s->new_id;
	s->new_id = 0;
	if (store_tx_enter(s, &own) != 0)
		return -1;
	if (!fresh) {
		bind_int64(&rc, st, 1, id);
		if (store_run(s, st, rc, "drop item outputs") != 0)
			goto out;
	}
	for (size_t i = 0; i < n; i++) {
		if (!fresh) {
			if (store_output_add1(s, outputs[i], id) != 0)
				goto out;
			continue;
		}
		st = s->st[ST_OUTPUT_ADD_AT];
		rc = SQLITE_OK;
		bind_text(&rc, st, 1, outputs[i]);
		bind_int64(&rc, st, 2, id);
		bind_int64(&rc, st, 3, s->new_sort);
		if (store_run(s, st, rc, "add item to output") != 0)
			goto out;
	}
	ok = 1;
out:
	return store_tx_leave(s, own, ok);
}

int
store_output_clear(struct store *s, const char *output)
{
	sqlite3_stmt *st = s->st[ST_OUTPUT_CLEAR];
	int rc = SQLITE_OK;

	bind_text(&rc, st, 1, output);
	return store_run(s, st, rc, "clear output");
}

int
store_output_add(struct store *s, const char *output, int64_t id)
{
	return store_output_add1(s, output, id);
}

int
store_output_remove(struct store *s, const char *output, int64_t id)
{
	sqlite3_stmt *st = s->st[ST_OUTPUT_REMOVE];
	int rc = SQLITE_OK;

	bind_text(&rc, st, 1, output);
	bind_int64(&rc, st, 2, id);
	return store_run(s, st, rc, "remove item from output");
}

static void
store_item_read(sqlite3_stmt *st, struct store_item *si)
{
	struct item *it = &si->item;

	si->id = sqlite3_column_int64(st, 0);
	si->feed = column_strdup(st, 1);
	si->feed_title = column_strdup(st, 2);
	si->key = column_strdup(st, 3);
	it->guid = column_strdup(st, 4);
	it->link = column_strdup(st, 5);
	it->title = column_strdup(st, 6);
	it->author = column_strdup(st, 7);
	it->summary = column_strdup(st, 8);
	it->content = column_strdup(st, 9);
	store_categories_split((const char *)sqlite3_column_text(st, 10), it);
	it->published = column_time(st, 11);
	it->updated = column_time(st, 12);
	si->first_seen = sqlite3_column_int64(st, 13);
	si->modified = sqlite3_column_int64(st, 14);
	si->sort_time = sqlite3_column_int64(st, 15);
	si->story = sqlite3_column_int64(st, 16);
	si->feed_link = column_strdup(st, 17);
	si->feed_lang = column_strdup(st, 18);
}

/* Runs a bound item query and collects its rows. */
static int
store_items_collect(struct store *s, sqlite3_stmt *st, int rc, const char *what,
    struct store_item **out, size_t *np)
{
	struct store_item *list = NULL;
	size_t n = 0;

	*out = NULL;
	*np = 0;
	if (rc == SQLITE_OK) {
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			list = xreallocarray(list, n + 1, sizeof *list);
			memset(&list[n], 0, sizeof list[n]);
			store_item_read(st, &list[n++]);
		}
	}
	if (rc != SQLITE_DONE && rc != SQLITE_OK) {
		store_warn(s, what);
		store_done(st);
		store_items_free(list, n);
		return -1;
	}
	store_done(st);
	*out = list;
	*np = n;
	return 0;
}

/* A small set of story ids, to take each story once off the output's index. */
struct idset {
	int64_t *slots;		/* 0: empty (row ids start at 1) */
	size_t size;		/* a power of two */
	size_t n;
};

static int
idset_add(struct idset *set, int64_t id)
{
	size_t mask, i;

	if (set->n * 2 >= set->size) {
		struct idset bigger = {NULL, set->size == 0 ? 64 : set->size * 2,
		    0};

		bigger.slots = xcalloc(bigger.size, sizeof *bigger.slots);
		for (size_t j = 0; j < set->size; j++)
			if (set->slots[j] != 0)
				idset_add(&bigger, set->slots[j]);
		free(set->slots);
		*set = bigger;
	}
	mask = set->size - 1;
	for (i = (size_t)((uint64_t)id * 0x9e3779b97f4a7c15ULL) & mask;
	    set->slots[i] != 0; i = (i + 1) & mask)
		if (set->slots[i] == id)
			return 0;
	set->slots[i] = id;
	set->n++;
	return 1;
}

static int
store_story_read(struct store *s, const char *output, int64_t id,
    struct store_story *story)
{
	sqlite3_stmt *st = s->st[ST_STORY_GET];
	int rc = SQLITE_OK, found;

	memset(story, 0, sizeof *story);
	story->id = id;
	bind_int64(&rc, st, 1, id);
	if ((found = store_row(s, st, rc, "get story")) < 0)
		return -1;
	if (found == 0) {
		log_warnx("store: items of unknown story %jd", (intmax_t)id);
		return -1;
	}
	story->feed = column_strdup(st, 0);
	story->key = column_strdup(st, 1);
	story->sort_time = sqlite3_column_int64(st, 2);
	store_done(st);

	st = s->st[ST_STORY_ITEMS];
	rc = SQLITE_OK;
	bind_int64(&rc, st, 1, id);
	bind_text(&rc, st, 2, output);
	return store_items_collect(s, st, rc, "story items", &story->items,
	    &story->nitems);
}

int
store_output_stories(struct store *s, const char *output, size_t max,
    struct store_story **out, size_t *np)
{
	sqlite3_stmt *st = s->st[ST_OUTPUT_STORIES];
	struct store_story *list = NULL;
	struct idset seen = {NULL, 0, 0};
	int64_t *ids = NULL;
	size_t n = 0;
	int rc = SQLITE_OK, ret = -1;

	*out = NULL;
	*np = 0;
	/* Newest first off the index; a story of several items comes once. */
	bind_text(&rc, st, 1, output);
	if (rc == SQLITE_OK) {
		while (n < max && (rc = sqlite3_step(st)) == SQLITE_ROW) {
			int64_t id = sqlite3_column_int64(st, 0);

			if (!idset_add(&seen, id))
				continue;
			ids = xreallocarray(ids, n + 1, sizeof *ids);
			ids[n++] = id;
		}
		if (rc == SQLITE_ROW)
			rc = SQLITE_DONE;
	}
	if (rc != SQLITE_DONE && rc != SQLITE_OK) {
		store_warn(s, "output stories");
		store_done(st);
		goto out;
	}
	store_done(st);

	list = xcalloc(n, sizeof *list);
	for (size_t i = 0; i < n; i++) {
		if (store_story_read(s, output, ids[i], &list[i]) != 0) {
			store_stories_free(list, i + 1);
			goto out;
		}
	}
	*out = list;
	*np = n;
	ret = 0;
out:
	free(seen.slots);
	free(ids);
	return ret;
}

void
store_stories_free(struct store_story *list, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(list[i].feed);
		free(list[i].key);
		store_items_free(list[i].items, list[i].nitems);
	}
	free(list);
}

int64_t
store_output_modified(struct store *s, const char *output)
{
	sqlite3_stmt *st = s->st[ST_OUTPUT_MODIFIED];
	int64_t t;
	int rc = SQLITE_OK, found;

	bind_text(&rc, st, 1, output);
	/* NULL, when empty, reads 0 */
	if ((found = store_int64(s, st, rc, "output modified", &t)) <= 0)
		return found == 0 ? 0 : -1;
	return t;
}

int
store_output_filter(struct store *s, const char *output, char **filter)
{
	sqlite3_stmt *st = s->st[ST_OUTPUT_FILTER_GET];
	int rc = SQLITE_OK, found;

	*filter = NULL;
	bind_text(&rc, st, 1, output);
	if ((found = store_row(s, st, rc, "output filter")) <= 0)
		return found;
	*filter = column_strdup(st, 0);
	store_done(st);
	return 0;
}

int
store_output_set_filter(struct store *s, const char *output, const char *filter)
{
	sqlite3_stmt *st = s->st[ST_OUTPUT_FILTER_SET];
	int rc = SQLITE_OK;

	bind_text(&rc, st, 1, output);
	bind_text(&rc, st, 2, filter);
	return store_run(s, st, rc, "set output filter");
}

int
store_items_page(struct store *s, int64_t after_id, size_t max,
    struct store_item **out, size_t *n)
{
	sqlite3_stmt *st = s->st[ST_ITEMS_PAGE];
	int rc = SQLITE_OK;

	bind_int64(&rc, st, 1, after_id);
	bind_size(&rc, st, 2, max);
	return store_items_collect(s, st, rc, "items page", out, n);
}

int64_t
store_items_count(struct store *s, int64_t after_id)
{
	sqlite3_stmt *st = s->st[ST_ITEMS_COUNT];
	int64_t n;
	int rc = SQLITE_OK, found;

	bind_int64(&rc, st, 1, after_id);
	if ((found = store_int64(s, st, rc, "items count", &n)) <= 0)
		return found == 0 ? 0 : -1;
	return n;
}

void
store_items_free(struct store_item *list, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(list[i].feed);
		free(list[i].feed_title);
		free(list[i].feed_link);
		free(list[i].feed_lang);
		free(list[i].key);
		parse_item_clear(&list[i].item);
	}
	free(list);
}

int
store_writable(struct store *s, char **cause)
{
	int rc;

	/*
	 * BEGIN IMMEDIATE takes the write lock, which fails on a read-only
	 * file or directory; another writer holding it proves the file
	 * writable too.
	 */
	if (!sqlite3_get_autocommit(s->db))
		return 0;
	/* A health check must not wait for another process's lock. */
	sqlite3_busy_timeout(s->db, 0);
	rc = sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	sqlite3_busy_timeout(s->db, STORE_BUSY_TIMEOUT_MS);
	if (rc == SQLITE_OK) {
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		return 0;
	}
	if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED)
		return 0;
	xasprintf(cause, "%s", sqlite3_errmsg(s->db));
	return -1;
}
