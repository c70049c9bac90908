/*
 * bench-ingest: how fast feedmux stores items, against a bare SQLite insert
 * loop with the same batch size (issue #6: at least 0.8 times its rate), and
 * how many bytes of database each item costs.
 *
 * Every side gets the same items, already parsed, in memory, and the same
 * connection settings as the store's (WAL, synchronous=NORMAL, an 8 MB page
 * cache, no SQLite mutexes). Two bare loops, one prepared statement per
 * row, no lookups, committing every batch:
 *  (1) each item's columns into a table of its own with only the
 *      (feed, key) constraint that any dedup needs;
 *  (2) the rows feedmux itself writes for a new item (its story, the item
 *      with its keys, its place in one output) into feedmux's schema, with
 *      its indexes; keys made beforehand (since schema 5 the store no
 *      longer hashes items: its hash column is written empty).
 * feedmux runs ingest_feed on one feed of `batch` items at a time: dedup
 * and tombstone lookups, story keys (canonical link, normalized title) and
 * story lookups, the same rows, one transaction each; once with one output
 * without a filter, once more with a keyword filter too. Then it ingests
 * the same items again: all unchanged, as most items of a poll are. The
 * sides alternate, each run in a fresh database; medians of wall and CPU
 * time are reported.
 *
 *	bench-ingest [-n items] [-b batch] [-r runs] [-d dir] [-o only]
 *	    [-D index[,index...]]
 *
 * -o runs one side alone (bare, schema, plain, filter), for a profiler.
 * -D drops these indexes of feedmux's schema before (2) writes its rows:
 * what each index costs, and what the rows cost without any of them.
 */
#include <sys/resource.h>
#include <sys/stat.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "ingest.h"
#include "log.h"
#include "match.h"
#include "parse.h"
#include "store.h"
#include "util.h"

#define FEEDS 100

static const char *const words_en[] = {
    "talks",
    "summit",
    "minister",
    "market",
    "rain",
    "harbour",
    "festival",
    "election",
    "economy",
    "growth",
    "rates",
    "football",
    "science",
    "satellite",
    "Japan",
    "Russia",
    "trade",
    "energy",
    "border",
    "court",
};
static const char *const words_ar[] = {
    "روسيا",
    "اليابان",
    "القمة",
    "محادثات",
    "وزير",
    "الخارجية",
    "الاقتصاد",
    "الطاقة",
    "الانتخابات",
    "الحدود",
    "الرئيس",
    "مجلس",
    "الأمن",
    "طوكيو",
    "موسكو",
    "اتفاق",
    "التجارة",
    "الأسواق",
    "النفط",
    "العاصمة",
};

/* A small deterministic generator (xorshift), so runs are comparable. */
static uint64_t rng_state = 88172645463325252ULL;

static unsigned
rnd(unsigned n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (unsigned)(rng_state % n);
}

static char *
words(size_t n, int arabic)
{
	struct buf b;

	buf_init(&b);
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			buf_addc(&b, ' ');
		buf_adds(&b, arabic ? words_ar[rnd(nitems(words_ar))]
				    : words_en[rnd(nitems(words_en))]);
	}
	return buf_steal(&b, NULL);
}

/* News-like items: an 8-word title, a summary of about 600 bytes. */
static struct item *
make_items(size_t n)
{
	struct item *items = xcalloc(n, sizeof *items);
	char *text;

	for (size_t i = 0; i < n; i++) {
		struct item *it = &items[i];
		int arabic = rnd(2);

		xasprintf(&it->guid, "urn:bench:%zu", i);
		/* A tenth repeat an earlier story's link, with utm_ tags. */
		if (i > 10 && rnd(10) == 0)
			xasprintf(&it->link,
			    "http://127.0.0.1/news/%zu?utm_source=rss", i / 2);
		else
			xasprintf(&it->link, "http://127.0.0.1/news/%zu", i);
		it->title = words(8, arabic);
		text = words(arabic ? 60 : 80, arabic);
		xasprintf(&it->summary, "<p>%s</p>", text);
		free(text);
		it->author = xstrdup("Desk");
		it->categories = xcalloc(1, sizeof *it->categories);
		it->categories[0] = xstrdup(arabic ? "أخبار" : "News");
		it->ncategories = 1;
		it->published = 1700000000 + (int64_t)i * 60;
		it->updated = PARSE_NO_TIME;
	}
	return items;
}

/*
 * Wall and CPU (user + system) seconds of one run, and the bytes it wrote
 * (WAL frames and checkpoints: write(2) calls, from /proc/self/io).
 */
struct timing {
	double wall, cpu;
	int64_t wall0;
	double cpu0;
	long long written, written0;
};

static long long
bytes_written(void)
{
	char line[128];
	long long v = 0;
	FILE *f;

	if ((f = fopen("/proc/self/io", "r")) == NULL)
		return 0;
	while (fgets(line, sizeof line, f) != NULL)
		if (strncmp(line, "wchar:", 6) == 0)
			v = strtoll(line + 6, NULL, 10);
	fclose(f);
	return v;
}

static double
cpu_now(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static void
timing_start(struct timing *t)
{
	t->wall0 = now_mono_ms();
	t->cpu0 = cpu_now();
	t->written0 = bytes_written();
}

static void
timing_stop(struct timing *t)
{
	t->wall = (now_mono_ms() - t->wall0) / 1000.0;
	t->cpu = cpu_now() - t->cpu0;
	t->written = bytes_written() - t->written0;
}

static void
rm_db(const char *path)
{
	char *p;

	unlink(path);
	xasprintf(&p, "%s-wal", path);
	unlink(p);
	free(p);
	xasprintf(&p, "%s-shm", path);
	unlink(p);
	free(p);
}

static off_t
file_size(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0 ? sb.st_size : -1;
}

static void
sql(sqlite3 *db, const char *s)
{
	char *err = NULL;

	if (sqlite3_exec(db, s, NULL, NULL, &err) != SQLITE_OK)
		fatalx("%s: %s", s, err);
}

/* A connection as the store opens its own. */
static sqlite3 *
open_db(const char *path)
{
	sqlite3 *db;

	if (sqlite3_open_v2(path, &db,
		SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
		    SQLITE_OPEN_NOMUTEX,
		NULL) != SQLITE_OK)
		fatalx("%s: cannot open", path);
	sql(db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;"
		"PRAGMA cache_size = -8192; PRAGMA temp_store = MEMORY;"
		"PRAGMA foreign_keys = ON");
	return db;
}

/* The bare loop into a table of its own; *size: bytes of database after. */
static void
run_bare(const char *path, const struct item *items, size_t n, size_t batch,
    struct timing *tm, off_t *size)
{
	static const char hash[] =
	    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
	sqlite3 *db;
	sqlite3_stmt *st;
	char key[64];

	rm_db(path);
	db = open_db(path);
	sql(db,
	    "CREATE TABLE items (id INTEGER PRIMARY KEY,"
	    " feed_id INTEGER NOT NULL, key TEXT NOT NULL, hash TEXT NOT NULL,"
	    " guid TEXT, link TEXT, title TEXT, author TEXT, summary TEXT,"
	    " content TEXT, categories TEXT, published INTEGER,"
	    " updated INTEGER, first_seen INTEGER NOT NULL,"
	    " modified INTEGER NOT NULL, sort_time INTEGER NOT NULL,"
	    " UNIQUE (feed_id, key))");
	if (sqlite3_prepare_v2(db,
		"INSERT INTO items (feed_id, key, hash,"
		" guid, link, title, author, summary, content, categories,"
		" published, updated, first_seen, modified, sort_time) VALUES"
		" (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?13,"
		" ?14)",
		-1, &st, NULL) != SQLITE_OK)
		fatalx("prepare: %s", sqlite3_errmsg(db));

	timing_start(tm);
	for (size_t i = 0; i < n; i++) {
		const struct item *it = &items[i];

		if (i % batch == 0)
			sql(db, "BEGIN");
		snprintf(key, sizeof key, "guid:%s", it->guid);
		sqlite3_bind_int64(st, 1, (int64_t)(i / batch % FEEDS) + 1);
		sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, hash, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, it->guid, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 5, it->link, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 6, it->title, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 7, it->author, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 8, it->summary, -1, SQLITE_STATIC);
		sqlite3_bind_null(st, 9);
		sqlite3_bind_text(st, 10, it->categories[0], -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 11, it->published);
		sqlite3_bind_null(st, 12);
		sqlite3_bind_int64(st, 13, 1800000000);
		sqlite3_bind_int64(st, 14, it->published);
		if (sqlite3_step(st) != SQLITE_DONE)
			fatalx("insert: %s", sqlite3_errmsg(db));
		sqlite3_reset(st);
		if (i % batch == batch - 1 || i == n - 1)
			sql(db, "COMMIT");
	}
	timing_stop(tm);
	sqlite3_finalize(st);
	sqlite3_close(db);
	*size = file_size(path);
}

/* What the schema loop stores of an item besides its fields, made beforehand.
 */
struct prepared {
	char *key;
	char *canon;
	char *title;
	int64_t title_hash; /* as the store makes it: SHA-256's first 8 bytes */
};

static struct prepared *
prepare_items(const struct item *items, size_t n)
{
	struct prepared *p = xcalloc(n, sizeof *p);

	for (size_t i = 0; i < n; i++) {
		xasprintf(&p[i].key, "guid:%s", items[i].guid);
		p[i].canon = ingest_canonical_link(items[i].link);
		p[i].title = ingest_title_key(items[i].title);
		if (p[i].title != NULL) {
			char hex[65];
			uint64_t h = 0;

			hash_sha256_hex(p[i].title, strlen(p[i].title), hex);
			for (int j = 0; j < 16; j++)
				h = h << 4 |
				    (uint64_t)(hex[j] <= '9'
						   ? hex[j] - '0'
						   : hex[j] - 'a' + 10);
			p[i].title_hash = (int64_t)h;
		}
	}
	return p;
}

/*
 * The bare loop into feedmux's own schema: the rows feedmux would write
 * for these items (a story, the item with its keys, its place in one
 * output), three prepared inserts each, no lookups and no text work.
 */
static void
run_bare_schema(const char *path, const struct item *items,
    const struct prepared *p, size_t n, size_t batch, const char *drop,
    struct timing *tm, off_t *size)
{
	sqlite3 *db;
	sqlite3_stmt *story, *item, *out;
	struct store *s;
	char *names[FEEDS], *cause = NULL;
	int64_t sid, iid, feed;

	rm_db(path);
	if ((s = store_open(path, &cause)) == NULL)
		fatalx("%s", cause);
	for (size_t i = 0; i < FEEDS; i++)
		xasprintf(&names[i], "feed%zu", i);
	if (store_feeds_sync(s, names, FEEDS) != 0)
		fatalx("feeds");
	store_close(s);
	db = open_db(path);
	while (drop != NULL && *drop != '\0') {
		size_t len = strcspn(drop, ",");
		char *q;

		xasprintf(&q, "DROP INDEX \"%.*s\"", (int)len, drop);
		sql(db, q);
		free(q);
		drop += len + (drop[len] == ',');
	}
	if (sqlite3_prepare_v2(db,
		"INSERT INTO stories (feed, key, sort_time)"
		" VALUES (?1, ?2, ?3)",
		-1, &story, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db,
		"INSERT INTO items (feed_id, key, hash,"
		" guid, link, title, author, summary, content, categories,"
		" published, updated, first_seen, modified, sort_time, "
		"story_id,"
		" canon, title_key, title_hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6,"
		" ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?13, ?14, ?15, ?16, ?17, "
		"?18)",
		-1, &item, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db,
		"INSERT INTO output_items (output, item_id,"
		" sort_time) VALUES ('all', ?1, ?2)",
		-1, &out, NULL) != SQLITE_OK)
		fatalx("prepare: %s", sqlite3_errmsg(db));

	timing_start(tm);
	for (size_t i = 0; i < n; i++) {
		const struct item *it = &items[i];

		if (i % batch == 0)
			sql(db, "BEGIN");
		feed = (int64_t)(i / batch % FEEDS);
		sqlite3_bind_text(story, 1, names[feed], -1, SQLITE_STATIC);
		sqlite3_bind_text(story, 2, p[i].key, -1, SQLITE_STATIC);
		sqlite3_bind_int64(story, 3, it->published);
		if (sqlite3_step(story) != SQLITE_DONE)
			fatalx("insert: %s", sqlite3_errmsg(db));
		sqlite3_reset(story);
		sid = sqlite3_last_insert_rowid(db);
		sqlite3_bind_int64(item, 1, feed + 1);
		sqlite3_bind_text(item, 2, p[i].key, -1, SQLITE_STATIC);
		sqlite3_bind_text(item, 3, "", -1, SQLITE_STATIC);
		sqlite3_bind_text(item, 4, it->guid, -1, SQLITE_STATIC);
		sqlite3_bind_text(item, 5, it->link, -1, SQLITE_STATIC);
		sqlite3_bind_text(item, 6, it->title, -1, SQLITE_STATIC);
		sqlite3_bind_text(item, 7, it->author, -1, SQLITE_STATIC);
		sqlite3_bind_text(item, 8, it->summary, -1, SQLITE_STATIC);
		sqlite3_bind_null(item, 9);
		sqlite3_bind_text(
		    item, 10, it->categories[0], -1, SQLITE_STATIC);
		sqlite3_bind_int64(item, 11, it->published);
		sqlite3_bind_null(item, 12);
		sqlite3_bind_int64(item, 13, 1800000000);
		sqlite3_bind_int64(item, 14, it->published);
		sqlite3_bind_int64(item, 15, sid);
		sqlite3_bind_text(item, 16, p[i].canon, -1, SQLITE_STATIC);
		sqlite3_bind_text(item, 17, p[i].title, -1, SQLITE_STATIC);
		if (p[i].title != NULL)
			sqlite3_bind_int64(item, 18, p[i].title_hash);
		else
			sqlite3_bind_null(item, 18);
		if (sqlite3_step(item) != SQLITE_DONE)
			fatalx("insert: %s", sqlite3_errmsg(db));
		sqlite3_reset(item);
		iid = sqlite3_last_insert_rowid(db);
		sqlite3_bind_int64(out, 1, iid);
		sqlite3_bind_int64(out, 2, it->published);
		if (sqlite3_step(out) != SQLITE_DONE)
			fatalx("insert: %s", sqlite3_errmsg(db));
		sqlite3_reset(out);
		if (i % batch == batch - 1 || i == n - 1)
			sql(db, "COMMIT");
	}
	timing_stop(tm);
	sqlite3_finalize(story);
	sqlite3_finalize(item);
	sqlite3_finalize(out);
	sqlite3_close(db);
	for (size_t i = 0; i < FEEDS; i++)
		free(names[i]);
	*size = file_size(path);
}

/* feedmux's ingest; with filter set, an output with keywords too. */
static void
run_feedmux(const char *path, struct item *items, size_t n, size_t batch,
    const struct match_filter *filter, struct timing *tm, struct timing *again,
    off_t *size)
{
	struct ingest_output outs[2] = {
	    {.name = "all"}, {.name = "rj", .filter = filter}};
	struct ingest_result r;
	struct store *s;
	struct feed f;
	char *names[FEEDS], *cause = NULL;

	rm_db(path);
	if ((s = store_open(path, &cause)) == NULL)
		fatalx("%s", cause);
	for (size_t i = 0; i < FEEDS; i++)
		xasprintf(&names[i], "feed%zu", i);
	if (store_feeds_sync(s, names, FEEDS) != 0)
		fatalx("feeds");
	memset(&f, 0, sizeof f);

	timing_start(tm);
	for (size_t i = 0; i < n; i += batch) {
		f.items = items + i;
		f.nitems = n - i < batch ? n - i : batch;
		if (ingest_feed(s, names[i / batch % FEEDS], &f, outs,
			filter != NULL ? 2 : 1, 1800000000, &r, &cause) != 0)
			fatalx("ingest: %s", cause);
		if (r.nnew != f.nitems)
			fatalx("ingest: %zu new of %zu", r.nnew, f.nitems);
	}
	timing_stop(tm);

	/* The same items again: a poll where nothing changed. */
	timing_start(again);
	for (size_t i = 0; i < n; i += batch) {
		f.items = items + i;
		f.nitems = n - i < batch ? n - i : batch;
		if (ingest_feed(s, names[i / batch % FEEDS], &f, outs,
			filter != NULL ? 2 : 1, 1800000060, &r, &cause) != 0)
			fatalx("ingest: %s", cause);
		if (r.nnew != 0 || r.nupdated != 0)
			fatalx("ingest again: %zu new", r.nnew);
	}
	timing_stop(again);
	store_close(s);
	for (size_t i = 0; i < FEEDS; i++)
		free(names[i]);
	*size = file_size(path);
}

static int
dcmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The median of runs values: 0 wall, 1 CPU, 2 bytes written. */
static double
median(const struct timing *t, size_t runs, int what)
{
	double *v = xcalloc(runs, sizeof *v), m;

	for (size_t i = 0; i < runs; i++)
		v[i] = what == 2   ? (double)t[i].written
		       : what == 1 ? t[i].cpu
				   : t[i].wall;
	qsort(v, runs, sizeof *v, dcmp);
	m = v[runs / 2];
	free(v);
	return m;
}

static void
report(const char *name, const struct timing *t, size_t runs, size_t n,
    off_t size, const struct timing *base1, const struct timing *base2)
{
	double wall = median(t, runs, 0), cpu = median(t, runs, 1);

	printf("%-28s %8.0f items/s wall %8.0f items/s cpu %6.0f B/item"
	       " %6.0f B written/item",
	    name, n / wall, n / cpu, (double)size / (double)n,
	    median(t, runs, 2) / (double)n);
	if (base1 != NULL)
		printf("   %.2fx %.2fx", median(base1, runs, 0) / wall,
		    median(base1, runs, 1) / cpu);
	if (base2 != NULL)
		printf("   %.2fx %.2fx", median(base2, runs, 0) / wall,
		    median(base2, runs, 1) / cpu);
	printf("\n");
}

int
main(int argc, char **argv)
{
	const char *dir = "/tmp", *only = NULL, *drop = NULL;
	size_t n = 50000, batch = 50, runs = 5;
	char *path, *kw[] = {"روسيا", "اليابان", "russia", "japan"}, *cause;
	struct timing *bare, *schema, *plain, *filtered, *plain2, *filtered2;
	off_t bsize = 0, ssize = 0, psize = 0, fsize = 0;
	struct match_filter *filter;
	struct prepared *prep;
	struct item *items;
	int c;

	log_init("bench-ingest", LOG_LEVEL_WARN);
	while ((c = getopt(argc, argv, "n:b:r:d:o:D:")) != -1) {
		switch (c) {
		case 'n':
			n = strtoul(optarg, NULL, 10);
			break;
		case 'b':
			batch = strtoul(optarg, NULL, 10);
			break;
		case 'r':
			runs = strtoul(optarg, NULL, 10);
			break;
		case 'd':
			dir = optarg;
			break;
		case 'o':
			only = optarg;
			break;
		case 'D':
			drop = optarg;
			break;
		default:
			fprintf(stderr,
			    "usage: bench-ingest [-n items] [-b batch]"
			    " [-r runs] [-d dir] [-o "
			    "bare|schema|plain|filter] [-D index,...]\n");
			return 2;
		}
	}
	if (n == 0 || batch == 0 || runs == 0) {
		fprintf(
		    stderr, "bench-ingest: -n, -b and -r take numbers > 0\n");
		return 2;
	}
	xasprintf(&path, "%s/bench-ingest-%d.db", dir, (int)getpid());
	if ((filter = match_filter_new(
		 kw, nitems(kw), NULL, 0, NULL, 0, &cause)) == NULL)
		fatalx("%s", cause);
	items = make_items(n);
	prep = prepare_items(items, n);
	bare = xcalloc(runs, sizeof *bare);
	schema = xcalloc(runs, sizeof *schema);
	plain = xcalloc(runs, sizeof *plain);
	filtered = xcalloc(runs, sizeof *filtered);
	plain2 = xcalloc(runs, sizeof *plain2);
	filtered2 = xcalloc(runs, sizeof *filtered2);

#define WANT(x) (only == NULL || strcmp(only, x) == 0)
	printf("%zu items in batches of %zu, %zu runs each (median), database "
	       "in %s\n",
	    n, batch, runs, dir);
	for (size_t r = 0; r < runs; r++) {
		if (WANT("bare"))
			run_bare(path, items, n, batch, &bare[r], &bsize);
		if (WANT("schema"))
			run_bare_schema(path, items, prep, n, batch, drop,
			    &schema[r], &ssize);
		if (WANT("plain"))
			run_feedmux(path, items, n, batch, NULL, &plain[r],
			    &plain2[r], &psize);
		if (WANT("filter"))
			run_feedmux(path, items, n, batch, filter, &filtered[r],
			    &filtered2[r], &fsize);
	}
	rm_db(path);
	printf("%-28s %16s %16s %13s %21s   %s\n", "", "", "", "", "",
	    only == NULL ? "ratio to (1): wall cpu   to (2): wall cpu" : "");
	if (WANT("bare"))
		report("(1) bare loop, own table", bare, runs, n, bsize, NULL,
		    NULL);
	if (WANT("schema"))
		report(drop == NULL ? "(2) bare loop, feedmux's rows"
				    : "(2) feedmux's rows, -D indexes",
		    schema, runs, n, ssize, only == NULL ? bare : NULL, NULL);
	if (WANT("plain"))
		report("feedmux ingest", plain, runs, n, psize,
		    only == NULL ? bare : NULL, only == NULL ? schema : NULL);
	if (WANT("filter"))
		report("feedmux ingest + a filter", filtered, runs, n, fsize,
		    only == NULL ? bare : NULL, only == NULL ? schema : NULL);
	if (WANT("plain"))
		report("  again, all unchanged", plain2, runs, n, psize, NULL,
		    NULL);
	if (WANT("filter"))
		report("  again + filter, unchanged", filtered2, runs, n, fsize,
		    NULL, NULL);

	for (size_t i = 0; i < n; i++) {
		parse_item_clear(&items[i]);
		free(prep[i].key);
		free(prep[i].canon);
		free(prep[i].title);
	}
	free(items);
	free(prep);
	free(bare);
	free(schema);
	free(plain);
	free(filtered);
	free(plain2);
	free(filtered2);
	match_filter_free(filter);
	free(path);
	return 0;
}
