/*
 * store: schema migrations, dedup, active feeds, outputs and pages, on a
 * real SQLite file in a temporary directory.
 */
#include <sys/stat.h>

#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "log.h"
#include <sqlite3.h>

#include "parse.h"
#include "store.h"
#include "util.h"

#define NOW 1700000000
#define DAY 86400
/* The schema version this store writes. */
#define SCHEMA 5

struct fixture {
	char dir[64];
	char *path; /* DIR/sub/feedmux.db: sub does not exist yet */
	struct store *s;
};

static int
setup(void **state)
{
	struct fixture *fx = xcalloc(1, sizeof *fx);

	strcpy(fx->dir, "/tmp/test_store.XXXXXX");
	if (mkdtemp(fx->dir) == NULL)
		return -1;
	xasprintf(&fx->path, "%s/sub/feedmux.db", fx->dir);
	*state = fx;
	return 0;
}

static void
rm(const char *dir, const char *name)
{
	char *p;

	xasprintf(&p, "%s/%s", dir, name);
	unlink(p);
	rmdir(p);
	free(p);
}

static int
teardown(void **state)
{
	struct fixture *fx = *state;

	store_close(fx->s);
	rm(fx->dir, "sub/feedmux.db");
	rm(fx->dir, "sub/feedmux.db-wal");
	rm(fx->dir, "sub/feedmux.db-shm");
	rm(fx->dir, "sub");
	rm(fx->dir, "file");
	rm(fx->dir, "garbage.db");
	rm(fx->dir, "dir.db");
	for (int v = 1; v <= 4; v++) {
		char *db;

		xasprintf(&db, "v%d.db", v);
		rm(fx->dir, db);
		free(db);
		xasprintf(&db, "v%d.db-wal", v);
		rm(fx->dir, db);
		free(db);
		xasprintf(&db, "v%d.db-shm", v);
		rm(fx->dir, db);
		free(db);
	}
	if (rmdir(fx->dir) != 0)
		return -1;
	free(fx->path);
	free(fx);
	return 0;
}

/* Opens the fixture's store, which must work. */
static struct store *
fx_open(struct fixture *fx)
{
	char *cause = NULL;

	fx->s = store_open(fx->path, &cause);
	if (fx->s == NULL)
		fail_msg("store_open: %s", cause);
	assert_null(cause);
	return fx->s;
}

static void
fx_close(struct fixture *fx)
{
	store_close(fx->s);
	fx->s = NULL;
}

static void
sync_feeds(struct store *s, const char *a, const char *b)
{
	char *names[2] = {(char *)a, (char *)b};

	assert_int_equal(store_feeds_sync(s, names, b != NULL ? 2 : 1), 0);
}

/* The schema version SQLite keeps at offset 60 of the file header. */
static int
read_user_version(const char *path)
{
	unsigned char b[4];
	int fd;

	if ((fd = open(path, O_RDONLY)) == -1)
		return -1;
	if (pread(fd, b, 4, 60) != 4)
		b[0] = b[1] = b[2] = b[3] = 0xff;
	close(fd);
	return (int)((uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
		     (uint32_t)b[2] << 8 | b[3]);
}

static void
write_user_version(const char *path, int v)
{
	unsigned char b[4] = {(unsigned char)(v >> 24),
	    (unsigned char)(v >> 16), (unsigned char)(v >> 8),
	    (unsigned char)v};
	int fd;

	assert_int_not_equal(fd = open(path, O_WRONLY), -1);
	assert_int_equal(pwrite(fd, b, 4, 60), 4);
	close(fd);
}

static struct item
mkitem(const char *guid, const char *link, const char *title,
    const char *content, int64_t published)
{
	struct item it;

	memset(&it, 0, sizeof it);
	it.guid = (char *)guid;
	it.link = (char *)link;
	it.title = (char *)title;
	it.content = (char *)content;
	it.published = published;
	it.updated = PARSE_NO_TIME;
	return it;
}

static int64_t
upsert(struct store *s, const char *feed, const struct item *it, int64_t now,
    int expect)
{
	int64_t id = -1;

	assert_int_equal(store_item_upsert(s, feed, it, NULL, now, &id), expect);
	assert_true(id > 0);
	return id;
}

/* All stored items, in id order. */
static size_t
all_items(struct store *s, struct store_item **items)
{
	size_t n;

	assert_int_equal(store_items_page(s, 0, 1000000, items, &n), 0);
	return n;
}

/*
 * The stored items of one feed, in id order, moved to the front of the list
 * of all items; *total is what store_items_free needs.
 */
static size_t
feed_items(struct store *s, const char *feed, struct store_item **items,
    size_t *total)
{
	struct store_item tmp;
	size_t k = 0;

	*total = all_items(s, items);
	for (size_t i = 0; i < *total; i++) {
		if (strcmp((*items)[i].feed, feed) != 0)
			continue;
		tmp = (*items)[k];
		(*items)[k++] = (*items)[i];
		(*items)[i] = tmp;
	}
	return k;
}

static void
test_open_creates_and_reopens(void **state)
{
	struct fixture *fx = *state;
	struct store_feed f;
	struct store_item *items;
	struct item it = mkitem("g1", "http://x/1", "One", "<p>one</p>", NOW);
	struct stat sb;
	char *sub;
	int64_t id;

	fx_open(fx);
	xasprintf(&sub, "%s/sub", fx->dir);
	assert_int_equal(stat(sub, &sb), 0);
	free(sub);
	assert_true(S_ISDIR(sb.st_mode));
	assert_int_equal(sb.st_mode & 0777, 0750);

	sync_feeds(fx->s, "a", NULL);
	id = upsert(fx->s, "a", &it, NOW, STORE_ITEM_NEW);
	fx_close(fx);
	assert_int_equal(read_user_version(fx->path), SCHEMA);

	/* A second open finds this version and runs no migration again. */
	fx_open(fx);
	assert_int_equal(store_feed_get(fx->s, "a", &f), 0);
	assert_string_equal(f.name, "a");
	assert_int_equal(f.nitems, 1);
	store_feed_clear(&f);
	assert_int_equal(all_items(fx->s, &items), 1);
	assert_int_equal(items[0].id, id);
	assert_string_equal(items[0].item.title, "One");
	store_items_free(items, 1);
	upsert(fx->s, "a", &it, NOW + 60, STORE_ITEM_SAME);
	fx_close(fx);
	assert_int_equal(read_user_version(fx->path), SCHEMA);
}

static void
test_open_refuses_newer_schema(void **state)
{
	struct fixture *fx = *state;
	char *cause = NULL;

	fx_open(fx);
	fx_close(fx);
	write_user_version(fx->path, SCHEMA + 1);
	assert_null(store_open(fx->path, &cause));
	assert_non_null(cause);
	assert_non_null(strstr(cause, "schema version 6"));
	free(cause);
	/* Refused, and left as it was. */
	assert_int_equal(read_user_version(fx->path), SCHEMA + 1);
}

static void
test_open_errors(void **state)
{
	static const struct {
		const char *path;  /* under the temporary directory */
		const char *cause; /* a part of the expected cause */
	} tests[] = {
	    {"file/feedmux.db", "file: not a directory"},
	    {"file/sub/feedmux.db", "Not a directory"},
	    {"missing/sub/feedmux.db", "mkdir"},
	    {"garbage.db", "file is not a database"},
	    {"dir.db", "unable to open database file"},
	};
	struct fixture *fx = *state;
	char *p, *cause;
	FILE *f;

	xasprintf(&p, "%s/file", fx->dir);
	assert_non_null(f = fopen(p, "w"));
	fclose(f);
	free(p);
	xasprintf(&p, "%s/garbage.db", fx->dir);
	assert_non_null(f = fopen(p, "w"));
	for (int i = 0; i < 512; i++)
		fputs("not sqlite ", f);
	fclose(f);
	free(p);
	xasprintf(&p, "%s/dir.db", fx->dir);
	assert_int_equal(mkdir(p, 0700), 0);
	free(p);

	for (size_t i = 0; i < nitems(tests); i++) {
		xasprintf(&p, "%s/%s", fx->dir, tests[i].path);
		cause = NULL;
		if (store_open(p, &cause) != NULL)
			fail_msg("%s: opened", tests[i].path);
		assert_non_null(cause);
		if (strstr(cause, tests[i].cause) == NULL)
			fail_msg("%s: cause \"%s\"", tests[i].path, cause);
		free(cause);
		free(p);
	}
}

static void
test_dedup_ladder(void **state)
{
	static const struct {
		const char *name;
		const char *guid1, *link1, *title1;
		const char *guid2, *link2, *title2;
		int result;	 /* of the second upsert */
		const char *key; /* of the first item: prefix */
	} tests[] = {
	    {"same guid, other link", "g", "http://x/1", "T", "g", "http://x/2",
		"T", STORE_ITEM_UPDATED, "guid:g"},
	    {"same guid, all the same", "g", "http://x/1", "T", "g",
		"http://x/1", "T", STORE_ITEM_SAME, "guid:g"},
	    {"same guid, other title", "g", "http://x/1", "T", "g",
		"http://x/1", "U", STORE_ITEM_UPDATED, "guid:g"},
	    {"other guid, same link", "g", "http://x/1", "T", "h", "http://x/1",
		"T", STORE_ITEM_NEW, "guid:g"},
	    {"no guid, same link", NULL, "http://x/1", "T", NULL, "http://x/1",
		"T", STORE_ITEM_SAME, "link:http://x/1"},
	    {"no guid, same link, other title", NULL, "http://x/1", "T", NULL,
		"http://x/1", "U", STORE_ITEM_UPDATED, "link:http://x/1"},
	    {"empty guid counts as none", "", "http://x/1", "T", NULL,
		"http://x/1", "T", STORE_ITEM_SAME, "link:http://x/1"},
	    {"no guid, other link", NULL, "http://x/1", "T", NULL, "http://x/2",
		"T", STORE_ITEM_NEW, "link:http://x/1"},
	    {"neither, same title", NULL, NULL, "T", NULL, NULL, "T",
		STORE_ITEM_SAME, "hash:"},
	    {"neither, other title", NULL, NULL, "T", NULL, NULL, "U",
		STORE_ITEM_NEW, "hash:"},
	};
	struct fixture *fx = *state;
	struct store_item *items;
	struct item a, b;
	int64_t id1, id2;
	size_t n, total;

	fx_open(fx);
	for (size_t i = 0; i < nitems(tests); i++) {
		sync_feeds(fx->s, tests[i].name, NULL);
		a = mkitem(tests[i].guid1, tests[i].link1, tests[i].title1,
		    "body", NOW - 100);
		b = mkitem(tests[i].guid2, tests[i].link2, tests[i].title2,
		    "body", NOW - 100);
		id1 = upsert(fx->s, tests[i].name, &a, NOW, STORE_ITEM_NEW);
		id2 =
		    upsert(fx->s, tests[i].name, &b, NOW + 10, tests[i].result);
		if ((tests[i].result == STORE_ITEM_NEW) != (id1 != id2))
			fail_msg("%s: ids %jd %jd", tests[i].name,
			    (intmax_t)id1, (intmax_t)id2);

		n = feed_items(fx->s, tests[i].name, &items, &total);
		assert_int_equal(n, tests[i].result == STORE_ITEM_NEW ? 2 : 1);
		assert_int_equal(items[0].id, id1);
		assert_string_equal(items[0].feed, tests[i].name);
		if (!str_has_prefix(items[0].key, tests[i].key))
			fail_msg("%s: key %s", tests[i].name, items[0].key);
		assert_int_equal(items[0].first_seen, NOW);
		if (tests[i].result == STORE_ITEM_UPDATED) {
			assert_int_equal(items[0].modified, NOW + 10);
			assert_string_equal(
			    items[0].item.title, tests[i].title2);
			assert_string_equal(items[0].item.link, tests[i].link2);
		} else {
			assert_int_equal(items[0].modified, NOW);
			assert_string_equal(
			    items[0].item.title, tests[i].title1);
		}
		store_items_free(items, total);
	}
}

static void
test_item_fields(void **state)
{
	struct fixture *fx = *state;
	struct store_item *items;
	struct item it;
	char *cats[] = {"world", "asia\nsport", ""};
	int64_t id;

	fx_open(fx);
	sync_feeds(fx->s, "a", NULL);
	it = mkitem(NULL, NULL, "Title", NULL, PARSE_NO_TIME);
	it.author = "Ann";
	it.summary = "<b>sum</b>";
	it.categories = cats;
	it.ncategories = 2;
	it.updated = NOW - 5;
	id = upsert(fx->s, "a", &it, NOW, STORE_ITEM_NEW);
	assert_int_equal(all_items(fx->s, &items), 1);
	assert_int_equal(items[0].id, id);
	assert_null(items[0].feed_title);
	assert_null(items[0].item.guid);
	assert_null(items[0].item.link);
	assert_null(items[0].item.content);
	assert_string_equal(items[0].item.title, "Title");
	assert_string_equal(items[0].item.author, "Ann");
	assert_string_equal(items[0].item.summary, "<b>sum</b>");
	assert_int_equal(items[0].item.ncategories, 2);
	assert_string_equal(items[0].item.categories[0], "world");
	assert_string_equal(items[0].item.categories[1], "asia sport");
	assert_true(items[0].item.published == PARSE_NO_TIME);
	assert_int_equal(items[0].item.updated, NOW - 5);
	assert_int_equal(items[0].sort_time, NOW - 5);
	store_items_free(items, 1);

	/* Same key (title, date, summary), categories changed: an update. */
	it.ncategories = 3;
	assert_int_equal(
	    upsert(fx->s, "a", &it, NOW + 1, STORE_ITEM_UPDATED), id);
	upsert(fx->s, "a", &it, NOW + 2, STORE_ITEM_SAME);
	it.ncategories = 0;
	assert_int_equal(
	    upsert(fx->s, "a", &it, NOW + 3, STORE_ITEM_UPDATED), id);
	assert_int_equal(all_items(fx->s, &items), 1);
	assert_int_equal(items[0].item.ncategories, 0);
	assert_null(items[0].item.categories);
	assert_int_equal(items[0].modified, NOW + 3);
	store_items_free(items, 1);
}

/* Text from a feed is data: SQL in every field is stored as written. */
/*
 * An item seen again is unchanged exactly when storing it would store the
 * same fields (they are compared, not hashed): NULL is not "", a list of
 * categories is not the same words in fewer or more of them.
 */
static void
test_item_same(void **state)
{
	static char *c_ab[] = {"a", "b"}, *c_a_b[] = {"a b"},
		    *c_ab_[] = {"a", "b", ""}, *c_e[] = {""},
		    *c_nl[] = {"a\nb"}, *c_xnull[] = {"x", NULL},
		    *c_xe[] = {"x", ""}, *c_ba[] = {"b", "a"},
		    *c_ar[] = {"روسيا", "أخبار"}, *c_ar2[] = {"روسيا", "اخبار"};
	static const struct {
		const char *name;
		const char *title, *author, *summary, *content;
		char **cats;
		size_t ncats;
		int64_t published, updated;
		int result;
	} tests[] = {
	    {"the same", "T", "A", "S", NULL, c_ab, 2, NOW, PARSE_NO_TIME,
		STORE_ITEM_SAME},
	    {"title", "U", "A", "S", NULL, c_ab, 2, NOW, PARSE_NO_TIME,
		STORE_ITEM_UPDATED},
	    {"no title", NULL, "A", "S", NULL, c_ab, 2, NOW, PARSE_NO_TIME,
		STORE_ITEM_UPDATED},
	    {"empty title", "", "A", "S", NULL, c_ab, 2, NOW, PARSE_NO_TIME,
		STORE_ITEM_UPDATED},
	    {"author", "T", "B", "S", NULL, c_ab, 2, NOW, PARSE_NO_TIME,
		STORE_ITEM_UPDATED},
	    {"no author", "T", NULL, "S", NULL, c_ab, 2, NOW, PARSE_NO_TIME,
		STORE_ITEM_UPDATED},
	    {"summary", "T", "A", "S2", NULL, c_ab, 2, NOW, PARSE_NO_TIME,
		STORE_ITEM_UPDATED},
	    {"empty content", "T", "A", "S", "", c_ab, 2, NOW, PARSE_NO_TIME,
		STORE_ITEM_UPDATED},
	    {"published", "T", "A", "S", NULL, c_ab, 2, NOW + 1, PARSE_NO_TIME,
		STORE_ITEM_UPDATED},
	    {"no date", "T", "A", "S", NULL, c_ab, 2, PARSE_NO_TIME,
		PARSE_NO_TIME, STORE_ITEM_UPDATED},
	    {"updated", "T", "A", "S", NULL, c_ab, 2, NOW, NOW,
		STORE_ITEM_UPDATED},
	    {"no categories", "T", "A", "S", NULL, NULL, 0, NOW, PARSE_NO_TIME,
		STORE_ITEM_UPDATED},
	    {"one empty category", "T", "A", "S", NULL, c_e, 1, NOW,
		PARSE_NO_TIME, STORE_ITEM_UPDATED},
	    {"joined categories", "T", "A", "S", NULL, c_a_b, 1, NOW,
		PARSE_NO_TIME, STORE_ITEM_UPDATED},
	    {"one more, empty", "T", "A", "S", NULL, c_ab_, 3, NOW,
		PARSE_NO_TIME, STORE_ITEM_UPDATED},
	    {"one fewer", "T", "A", "S", NULL, c_ab, 1, NOW, PARSE_NO_TIME,
		STORE_ITEM_UPDATED},
	    {"other order", "T", "A", "S", NULL, c_ba, 2, NOW, PARSE_NO_TIME,
		STORE_ITEM_UPDATED},
	};
	/* Second items from a first one other than the table's base. */
	static const struct {
		char **cats1;
		size_t n1;
		char **cats2;
		size_t n2;
		int result;
	} cats[] = {
	    {NULL, 0, NULL, 0, STORE_ITEM_SAME},
	    {c_e, 1, c_e, 1, STORE_ITEM_SAME},
	    {c_e, 1, NULL, 0, STORE_ITEM_UPDATED},
	    {c_a_b, 1, c_ab, 2, STORE_ITEM_UPDATED},
	    {c_ab_, 3, c_ab_, 3, STORE_ITEM_SAME},
	    {c_ab_, 3, c_ab, 2, STORE_ITEM_UPDATED},
	    {c_ar, 2, c_ar, 2, STORE_ITEM_SAME},
	    {c_ar, 2, c_ar2, 2, STORE_ITEM_UPDATED},
	    {c_nl, 1, c_nl, 1, STORE_ITEM_SAME},
	    {c_xnull, 2, c_xnull, 2, STORE_ITEM_SAME},
	    /*
	     * Stored the same either way ("a b", "x\n"): nothing to update.
	     * (Until schema 5 a hash of the fields made these updates.)
	     */
	    {c_nl, 1, c_a_b, 1, STORE_ITEM_SAME},
	    {c_xe, 2, c_xnull, 2, STORE_ITEM_SAME},
	    {c_xnull, 2, c_xe, 2, STORE_ITEM_SAME},
	};
	struct fixture *fx = *state;
	struct item a, b;
	char name[32];
	int64_t id;

	fx_open(fx);
	for (size_t i = 0; i < nitems(tests); i++) {
		sync_feeds(fx->s, tests[i].name, NULL);
		a = mkitem("g", "http://x/1", "T", NULL, NOW);
		a.author = "A";
		a.summary = "S";
		a.categories = c_ab;
		a.ncategories = 2;
		b = mkitem("g", "http://x/1", tests[i].title, tests[i].content,
		    tests[i].published);
		b.author = (char *)tests[i].author;
		b.summary = (char *)tests[i].summary;
		b.categories = tests[i].cats;
		b.ncategories = tests[i].ncats;
		b.updated = tests[i].updated;
		upsert(fx->s, tests[i].name, &a, NOW, STORE_ITEM_NEW);
		if (store_item_upsert(fx->s, tests[i].name, &b, NULL, NOW + 1,
			&id) != tests[i].result)
			fail_msg("%s: not %d", tests[i].name, tests[i].result);
		/* And back. */
		if (store_item_upsert(fx->s, tests[i].name, &a, NULL, NOW + 2,
			&id) != tests[i].result)
			fail_msg(
			    "%s, back: not %d", tests[i].name, tests[i].result);
	}
	for (size_t i = 0; i < nitems(cats); i++) {
		snprintf(name, sizeof name, "cats %zu", i);
		sync_feeds(fx->s, name, NULL);
		a = mkitem("g", "http://x/1", "T", NULL, NOW);
		a.categories = cats[i].cats1;
		a.ncategories = cats[i].n1;
		b = a;
		b.categories = cats[i].cats2;
		b.ncategories = cats[i].n2;
		upsert(fx->s, name, &a, NOW, STORE_ITEM_NEW);
		if (store_item_upsert(fx->s, name, &b, NULL, NOW + 1, &id) !=
		    cats[i].result)
			fail_msg("%s: not %d", name, cats[i].result);
		/* Once stored, the same again. */
		upsert(fx->s, name, &b, NOW + 2, STORE_ITEM_SAME);
	}
}

static void
test_hostile_text(void **state)
{
	struct fixture *fx = *state;
	struct store_item *items;
	struct store_feed f;
	struct store_fetch sf;
	static const char sql[] = "x'); DROP TABLE items; --";
	static const char quotes[] = "\"a\" 'b' `c` \\ %s %n ?1 :x @y $z";
	char *cats[] = {(char *)sql, (char *)quotes};
	struct item it;

	fx_open(fx);
	sync_feeds(fx->s, "a", NULL);
	it = mkitem(sql, quotes, sql, quotes, NOW);
	it.author = (char *)quotes;
	it.summary = (char *)sql;
	it.categories = cats;
	it.ncategories = 2;
	upsert(fx->s, "a", &it, NOW, STORE_ITEM_NEW);
	memset(&sf, 0, sizeof sf);
	sf.url = quotes;
	sf.time = NOW;
	sf.status = 200;
	sf.error = NULL;
	sf.title = sql;
	sf.etag = quotes;
	assert_int_equal(store_feed_fetched(fx->s, "a", &sf), 0);

	assert_int_equal(all_items(fx->s, &items), 1);
	assert_string_equal(items[0].item.guid, sql);
	assert_string_equal(items[0].item.link, quotes);
	assert_string_equal(items[0].item.title, sql);
	assert_string_equal(items[0].item.content, quotes);
	assert_string_equal(items[0].item.author, quotes);
	assert_string_equal(items[0].item.summary, sql);
	assert_int_equal(items[0].item.ncategories, 2);
	assert_string_equal(items[0].item.categories[0], sql);
	assert_string_equal(items[0].item.categories[1], quotes);
	store_items_free(items, 1);
	assert_int_equal(store_feed_get(fx->s, "a", &f), 0);
	assert_string_equal(f.title, sql);
	assert_string_equal(f.etag, quotes);
	store_feed_clear(&f);
	/* The same item again is the same item: nothing was dropped. */
	upsert(fx->s, "a", &it, NOW + 1, STORE_ITEM_SAME);
}

static void
test_same_guid_two_feeds(void **state)
{
	struct fixture *fx = *state;
	struct store_feed f;
	struct item it = mkitem("g", "http://x/1", "T", "c", NOW);
	int64_t a, b;

	fx_open(fx);
	sync_feeds(fx->s, "a", "b");
	a = upsert(fx->s, "a", &it, NOW, STORE_ITEM_NEW);
	b = upsert(fx->s, "b", &it, NOW, STORE_ITEM_NEW);
	assert_int_not_equal(a, b);
	assert_int_equal(store_feed_get(fx->s, "b", &f), 0);
	assert_int_equal(f.nitems, 1);
	store_feed_clear(&f);
}

/* Checks an output's stories by the title of their first item, in order. */
static void
check_output(struct store *s, const char *output, size_t max,
    const char *const *titles, size_t n)
{
	struct store_story *stories;
	size_t got;

	assert_int_equal(
	    store_output_stories(s, output, max, &stories, &got), 0);
	if (got != n)
		fail_msg("%s: %zu stories, want %zu", output, got, n);
	for (size_t i = 0; i < n; i++) {
		assert_true(stories[i].nitems >= 1);
		assert_string_equal(stories[i].items[0].item.title, titles[i]);
	}
	store_stories_free(stories, got);
}

static void
test_feeds_sync(void **state)
{
	static const char *both[] = {"b1", "a1"};
	static const char *only_a[] = {"a1"};
	struct fixture *fx = *state;
	struct store_feed *list, f;
	struct store_item *items;
	struct item ia = mkitem("1", NULL, "a1", NULL, NOW - 20);
	struct item ib = mkitem("1", NULL, "b1", NULL, NOW - 10);
	size_t n;

	fx_open(fx);
	sync_feeds(fx->s, "a", "b");
	assert_int_equal(store_output_add(fx->s, "o",
			     upsert(fx->s, "a", &ia, NOW, STORE_ITEM_NEW)),
	    0);
	assert_int_equal(store_output_add(fx->s, "o",
			     upsert(fx->s, "b", &ib, NOW + 5, STORE_ITEM_NEW)),
	    0);
	check_output(fx->s, "o", 10, both, 2);
	assert_int_equal(store_output_modified(fx->s, "o"), NOW + 5);

	sync_feeds(fx->s, "a", NULL);
	check_output(fx->s, "o", 10, only_a, 1);
	assert_int_equal(store_output_modified(fx->s, "o"), NOW);
	/* The page walk still sees both: refilters must cover b too. */
	assert_int_equal(all_items(fx->s, &items), 2);
	assert_string_equal(items[0].feed, "a");
	assert_string_equal(items[1].feed, "b");
	store_items_free(items, 2);
	assert_int_equal(store_feed_list(fx->s, &list, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(list[0].name, "a");
	store_feed_list_free(list, n);
	/* Inactive, but still known. */
	assert_int_equal(store_feed_get(fx->s, "b", &f), 0);
	assert_int_equal(f.nitems, 1);
	store_feed_clear(&f);

	sync_feeds(fx->s, "b", "c");
	check_output(fx->s, "o", 10, both + 0, 1);
	sync_feeds(fx->s, "a", "b");
	check_output(fx->s, "o", 10, both, 2);
	assert_int_equal(store_feed_list(fx->s, &list, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(list[0].name, "a");
	assert_string_equal(list[1].name, "b");
	store_feed_list_free(list, n);
	assert_int_equal(store_feeds_sync(fx->s, NULL, 0), 0);
	check_output(fx->s, "o", 10, NULL, 0);
	assert_int_equal(store_output_modified(fx->s, "o"), 0);
}

static void
test_feed_fetched(void **state)
{
	struct fixture *fx = *state;
	struct store_feed f;
	struct store_fetch ok = {
	    .url = "http://x/feed",
	    .time = NOW,
	    .status = 200,
	    .title = "X News",
	    .link = "http://x/",
	    .etag = "\"e1\"",
	    .last_modified = "Tue, 14 Nov 2023 22:13:20 GMT",
	    .next_poll = NOW + 600,
	    .nnew = 3,
	};
	struct store_fetch notmod = {
	    .url = "http://x/feed",
	    .time = NOW + 600,
	    .status = 304,
	    .next_poll = NOW + 1200,
	};
	struct store_fetch bad = {
	    .url = "http://x/feed2",
	    .time = NOW + 1200,
	    .status = 500,
	    .error = "HTTP 500",
	    .next_poll = NOW + 2400,
	    .nnew = 0,
	};

	fx_open(fx);
	assert_int_equal(store_feed_get(fx->s, "x", &f), 1);
	assert_null(f.name);
	sync_feeds(fx->s, "x", NULL);
	assert_int_equal(store_feed_get(fx->s, "x", &f), 0);
	assert_string_equal(f.name, "x");
	assert_null(f.url);
	assert_null(f.title);
	assert_null(f.etag);
	assert_null(f.last_error);
	assert_int_equal(f.last_fetch, 0);
	assert_int_equal(f.last_success, 0);
	assert_int_equal(f.last_status, 0);
	assert_int_equal(f.next_poll, 0);
	assert_int_equal(f.nitems, 0);
	store_feed_clear(&f);

	assert_int_equal(store_feed_fetched(fx->s, "x", &ok), 0);
	assert_int_equal(store_feed_get(fx->s, "x", &f), 0);
	assert_string_equal(f.url, "http://x/feed");
	assert_string_equal(f.title, "X News");
	assert_string_equal(f.link, "http://x/");
	assert_string_equal(f.etag, "\"e1\"");
	assert_string_equal(f.last_modified, "Tue, 14 Nov 2023 22:13:20 GMT");
	assert_int_equal(f.last_fetch, NOW);
	assert_int_equal(f.last_success, NOW);
	assert_int_equal(f.last_status, 200);
	assert_null(f.last_error);
	assert_int_equal(f.next_poll, NOW + 600);
	assert_int_equal(f.last_new, 3);
	store_feed_clear(&f);

	/* NULL metadata and validators keep what is stored. */
	assert_int_equal(store_feed_fetched(fx->s, "x", &notmod), 0);
	assert_int_equal(store_feed_get(fx->s, "x", &f), 0);
	assert_string_equal(f.title, "X News");
	assert_string_equal(f.link, "http://x/");
	assert_string_equal(f.etag, "\"e1\"");
	assert_string_equal(f.last_modified, "Tue, 14 Nov 2023 22:13:20 GMT");
	assert_int_equal(f.last_fetch, NOW + 600);
	assert_int_equal(f.last_success, NOW + 600);
	assert_int_equal(f.last_status, 304);
	assert_int_equal(f.last_new, 0);
	store_feed_clear(&f);

	/* A failure keeps the last success and says why. */
	assert_int_equal(store_feed_fetched(fx->s, "x", &bad), 0);
	assert_int_equal(store_feed_get(fx->s, "x", &f), 0);
	assert_string_equal(f.url, "http://x/feed2");
	assert_int_equal(f.last_fetch, NOW + 1200);
	assert_int_equal(f.last_success, NOW + 600);
	assert_int_equal(f.last_status, 500);
	assert_string_equal(f.last_error, "HTTP 500");
	assert_int_equal(f.next_poll, NOW + 2400);
	store_feed_clear(&f);

	/* Success clears the error. */
	ok.time = NOW + 3000;
	assert_int_equal(store_feed_fetched(fx->s, "x", &ok), 0);
	assert_int_equal(store_feed_get(fx->s, "x", &f), 0);
	assert_null(f.last_error);
	assert_int_equal(f.last_success, NOW + 3000);
	store_feed_clear(&f);

	assert_int_equal(store_feed_fetched(fx->s, "nosuch", &ok), -1);
}

static void
test_feed_poll_state(void **state)
{
	struct fixture *fx = *state;
	struct store_feed f;
	struct store_fetch moved = {
	    .url = "http://new/feed",
	    .time = NOW,
	    .status = 200,
	    .etag = "\"e1\"",
	    .next_poll = NOW + 600,
	    .poll_url = "http://new/feed",
	};
	struct store_fetch gone = {
	    .url = "http://new/feed",
	    .time = NOW + 600,
	    .status = 410,
	    .error = "gone",
	    .poll_url = "http://new/feed",
	    .failures = 1,
	    .gone = NOW + 600,
	};

	fx_open(fx);
	sync_feeds(fx->s, "x", NULL);
	assert_int_equal(store_feed_reset(fx->s, "x", "http://old/feed"), 0);
	assert_int_equal(store_feed_get(fx->s, "x", &f), 0);
	assert_string_equal(f.config_url, "http://old/feed");
	assert_null(f.poll_url);
	assert_int_equal(f.failures, 0);
	assert_int_equal(f.gone, 0);
	store_feed_clear(&f);

	assert_int_equal(store_feed_fetched(fx->s, "x", &moved), 0);
	assert_int_equal(store_feed_fetched(fx->s, "x", &gone), 0);
	assert_int_equal(store_feed_get(fx->s, "x", &f), 0);
	assert_string_equal(f.poll_url, "http://new/feed");
	assert_int_equal(f.failures, 1);
	assert_int_equal(f.gone, NOW + 600);
	assert_string_equal(f.etag, "\"e1\"");
	store_feed_clear(&f);

	/* The config now names the URL the validators came from: kept. */
	assert_int_equal(store_feed_reset(fx->s, "x", "http://new/feed"), 0);
	assert_int_equal(store_feed_get(fx->s, "x", &f), 0);
	assert_string_equal(f.config_url, "http://new/feed");
	assert_null(f.poll_url);
	assert_int_equal(f.failures, 0);
	assert_int_equal(f.gone, 0);
	assert_int_equal(f.next_poll, 0);
	assert_string_equal(f.etag, "\"e1\"");
	store_feed_clear(&f);

	/* Another URL: they go. */
	assert_int_equal(store_feed_reset(fx->s, "x", "http://other/"), 0);
	assert_int_equal(store_feed_get(fx->s, "x", &f), 0);
	assert_null(f.etag);
	assert_null(f.last_modified);
	store_feed_clear(&f);

	/* Hosts' Retry-After; passed ones are dropped when one is set. */
	assert_int_equal(store_host_retry(fx->s, "a.example"), 0);
	assert_int_equal(store_host_set_retry(fx->s, "a.example", NOW + 60,
	    NOW), 0);
	assert_int_equal(store_host_retry(fx->s, "a.example"), NOW + 60);
	assert_int_equal(store_host_set_retry(fx->s, "a.example", NOW + 90,
	    NOW), 0);
	assert_int_equal(store_host_retry(fx->s, "a.example"), NOW + 90);
	assert_int_equal(store_host_set_retry(fx->s, "b.example", NOW + 200,
	    NOW + 100), 0);
	assert_int_equal(store_host_retry(fx->s, "a.example"), 0);
	assert_int_equal(store_host_retry(fx->s, "b.example"), NOW + 200);
}

static void
test_output_order(void **state)
{
	static const char *newest[] = {"d", "c", "b", "a", "e"};
	static const char *after[] = {"a", "d", "c", "b", "e"};
	static const char *in_p[] = {"d", "c", "b", "e"};
	struct fixture *fx = *state;
	struct item it[] = {
	    mkitem("a", NULL, "a", NULL, NOW - 300),
	    mkitem("b", NULL, "b", NULL, NOW - 100),
	    mkitem("c", NULL, "c", NULL, NOW - 100), /* ties b */
	    mkitem("d", NULL, "d", NULL, NOW - 50),
	    mkitem("e", NULL, "e", NULL, NOW - 900),
	    mkitem("f", NULL, "f", NULL, NOW), /* in no output */
	};
	char *outputs[] = {"o", "p"};
	int64_t id[nitems(it)];

	fx_open(fx);
	sync_feeds(fx->s, "a", NULL);
	for (size_t i = 0; i < nitems(it); i++)
		id[i] = upsert(fx->s, "a", &it[i], NOW, STORE_ITEM_NEW);
	for (size_t i = 0; i < 5; i++)
		assert_int_equal(
		    store_item_set_outputs(fx->s, id[i], outputs, 2), 0);
	check_output(fx->s, "o", 100, newest, 5);
	check_output(fx->s, "o", 3, newest, 3);
	check_output(fx->s, "o", 0, NULL, 0);
	check_output(fx->s, "nosuch", 10, NULL, 0);
	/* Twice in one output is once. */
	assert_int_equal(store_output_add(fx->s, "o", id[0]), 0);
	check_output(fx->s, "o", 100, newest, 5);

	/* Set, not add: "a" leaves p. */
	assert_int_equal(store_item_set_outputs(fx->s, id[0], outputs, 1), 0);
	check_output(fx->s, "p", 100, in_p, 4);

	/* An update that moves the date moves the item in its outputs. */
	it[0].published = NOW - 10;
	upsert(fx->s, "a", &it[0], NOW + 5, STORE_ITEM_UPDATED);
	check_output(fx->s, "o", 100, after, 5);
	assert_int_equal(store_output_modified(fx->s, "o"), NOW + 5);
	assert_int_equal(store_output_modified(fx->s, "p"), NOW);

	/* Removed from one output only; again, or never in it: no-ops. */
	{
		static const char *o_left[] = {"d", "c", "b", "e"};
		static const char *p_left[] = {"d", "b", "e"};

		assert_int_equal(store_output_remove(fx->s, "o", id[0]), 0);
		assert_int_equal(store_output_remove(fx->s, "o", id[0]), 0);
		assert_int_equal(store_output_remove(fx->s, "p", id[2]), 0);
		assert_int_equal(store_output_remove(fx->s, "p", id[5]), 0);
		assert_int_equal(store_output_remove(fx->s, "nosuch", id[1]), 0);
		check_output(fx->s, "o", 100, o_left, 4);
		check_output(fx->s, "p", 100, p_left, 3);
		assert_int_equal(store_output_add(fx->s, "o", id[0]), 0);
		assert_int_equal(store_output_add(fx->s, "p", id[2]), 0);
	}

	assert_int_equal(store_output_clear(fx->s, "o"), 0);
	check_output(fx->s, "o", 100, NULL, 0);
	check_output(fx->s, "p", 100, in_p, 4);
}

static void
test_future_dates(void **state)
{
	static const struct {
		int64_t published, updated;
		int64_t sort_time;
	} tests[] = {
	    {NOW - 60, NOW - 30, NOW - 60},
	    {PARSE_NO_TIME, NOW - 30, NOW - 30},
	    {PARSE_NO_TIME, PARSE_NO_TIME, NOW},
	    {NOW + 3600, PARSE_NO_TIME, NOW + 3600},
	    {NOW + DAY, PARSE_NO_TIME, NOW + DAY},
	    {NOW + DAY + 1, PARSE_NO_TIME, NOW},
	    {NOW + 30 * DAY, NOW - 30, NOW - 30},
	    {NOW + 30 * DAY, NOW + 30 * DAY, NOW},
	    {INT64_MAX, PARSE_NO_TIME, NOW},
	    {-5, PARSE_NO_TIME, -5},
	};
	struct fixture *fx = *state;
	struct store_item *items;
	struct item it;
	char guid[16];
	size_t n;

	fx_open(fx);
	sync_feeds(fx->s, "a", NULL);
	for (size_t i = 0; i < nitems(tests); i++) {
		snprintf(guid, sizeof guid, "%zu", i);
		it = mkitem(guid, NULL, "t", NULL, tests[i].published);
		it.updated = tests[i].updated;
		upsert(fx->s, "a", &it, NOW, STORE_ITEM_NEW);
	}
	n = all_items(fx->s, &items);
	assert_int_equal(n, nitems(tests));
	for (size_t i = 0; i < n; i++) {
		if (items[i].sort_time != tests[i].sort_time)
			fail_msg("test %zu: sort_time %jd, want %jd", i,
			    (intmax_t)items[i].sort_time,
			    (intmax_t)tests[i].sort_time);
		assert_int_equal(items[i].item.published, tests[i].published);
	}
	store_items_free(items, n);

	/* An update judges the date by its own clock, keeps first_seen. */
	it = mkitem("late", NULL, "t", NULL, NOW + 2 * DAY);
	upsert(fx->s, "a", &it, NOW, STORE_ITEM_NEW);
	it.title = "t2";
	upsert(fx->s, "a", &it, NOW + 2 * DAY, STORE_ITEM_UPDATED);
	assert_int_equal(
	    store_items_page(fx->s, nitems(tests), 10, &items, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(items[0].sort_time, NOW + 2 * DAY);
	assert_int_equal(items[0].first_seen, NOW);
	store_items_free(items, n);
}

static void
test_items_page(void **state)
{
	struct fixture *fx = *state;
	struct store_item *items;
	struct item it;
	char guid[16];
	int64_t ids[7], after = 0;
	size_t n, seen = 0, pages = 0;

	fx_open(fx);
	sync_feeds(fx->s, "a", "b");
	for (size_t i = 0; i < nitems(ids); i++) {
		snprintf(guid, sizeof guid, "%zu", i);
		it = mkitem(guid, NULL, guid, NULL, NOW - (int64_t)i);
		ids[i] =
		    upsert(fx->s, i % 2 ? "b" : "a", &it, NOW, STORE_ITEM_NEW);
	}
	for (;;) {
		assert_int_equal(
		    store_items_page(fx->s, after, 3, &items, &n), 0);
		pages++;
		if (n == 0)
			break;
		assert_true(n <= 3);
		for (size_t i = 0; i < n; i++) {
			assert_int_equal(items[i].id, ids[seen]);
			assert_string_equal(
			    items[i].feed, seen % 2 ? "b" : "a");
			seen++;
		}
		after = items[n - 1].id;
		store_items_free(items, n);
	}
	assert_null(items);
	assert_int_equal(seen, 7);
	assert_int_equal(pages, 4);

	/* Inactive feeds' items are walked too. */
	sync_feeds(fx->s, "b", NULL);
	assert_int_equal(store_items_page(fx->s, ids[1], 10, &items, &n), 0);
	assert_int_equal(n, 5);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(items[i].id, ids[2 + i]);
	store_items_free(items, n);
}

static void
test_output_filters(void **state)
{
	struct fixture *fx = *state;
	char *f;

	fx_open(fx);
	assert_int_equal(store_output_filter(fx->s, "o", &f), 0);
	assert_null(f);
	assert_int_equal(store_output_set_filter(fx->s, "o", "any japan\n"), 0);
	assert_int_equal(store_output_set_filter(fx->s, "p", "none x\n"), 0);
	assert_int_equal(store_output_set_filter(fx->s, "o", "any روسيا\n"), 0);
	/* Kept across a reopen. */
	fx_close(fx);
	fx_open(fx);
	assert_int_equal(store_output_filter(fx->s, "o", &f), 0);
	assert_string_equal(f, "any روسيا\n");
	free(f);
	assert_int_equal(store_output_filter(fx->s, "p", &f), 0);
	assert_string_equal(f, "none x\n");
	free(f);
}

static void
test_transactions(void **state)
{
	struct fixture *fx = *state;
	struct store_feed f;
	struct item it = mkitem("g", NULL, "T", NULL, NOW);
	int64_t id = 7;

	fx_open(fx);
	sync_feeds(fx->s, "a", NULL);
	assert_int_equal(store_begin(fx->s), 0);
	upsert(fx->s, "a", &it, NOW, STORE_ITEM_NEW);
	sync_feeds(fx->s, "a", "b");
	store_rollback(fx->s);
	assert_int_equal(store_feed_get(fx->s, "a", &f), 0);
	assert_int_equal(f.nitems, 0);
	store_feed_clear(&f);
	assert_int_equal(store_feed_get(fx->s, "b", &f), 1);

	assert_int_equal(store_begin(fx->s), 0);
	assert_int_equal(store_begin(fx->s), -1);
	upsert(fx->s, "a", &it, NOW, STORE_ITEM_NEW);
	/* A failed write inside leaves the transaction to its owner. */
	assert_int_equal(store_item_upsert(fx->s, "nosuch", &it, NULL, NOW, &id), -1);
	assert_int_equal(id, 0);
	assert_int_equal(store_commit(fx->s), 0);
	assert_int_equal(store_commit(fx->s), -1);
	store_rollback(fx->s);
	assert_int_equal(store_feed_get(fx->s, "a", &f), 0);
	assert_int_equal(f.nitems, 1);
	store_feed_clear(&f);

	/* Outside a transaction too. */
	assert_int_equal(store_item_upsert(fx->s, "nosuch", &it, NULL, NOW, &id), -1);
	upsert(fx->s, "a", &it, NOW, STORE_ITEM_SAME);

	/* Closing with a transaction open rolls it back. */
	assert_int_equal(store_begin(fx->s), 0);
	it.title = "U";
	upsert(fx->s, "a", &it, NOW, STORE_ITEM_UPDATED);
	fx_close(fx);
	fx_open(fx);
	it.title = "T";
	upsert(fx->s, "a", &it, NOW, STORE_ITEM_SAME);
}

/* Items in the database as another connection sees it: what is committed. */
static int
committed_items(struct fixture *fx)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	int n = -1;

	assert_int_equal(sqlite3_open_v2(fx->path, &db, SQLITE_OPEN_READONLY,
	    NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT count(*) FROM items",
	    -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return n;
}

/*
 * A batch: its transactions are savepoints of one, written at its commit;
 * one rolled back undoes only its own writes, a failed write outside any
 * undoes only itself.
 */
static void
test_batch(void **state)
{
	struct fixture *fx = *state;
	struct store_feed f;
	struct item g1 = mkitem("g1", NULL, "T1", NULL, NOW);
	struct item g2 = mkitem("g2", NULL, "T2", NULL, NOW);
	struct item g3 = mkitem("g3", NULL, "T3", NULL, NOW);
	int64_t id;

	fx_open(fx);
	sync_feeds(fx->s, "a", NULL);
	assert_int_equal(store_batch_open(fx->s), 0);
	assert_int_equal(store_batch_commit(fx->s), 0);	/* none: a no-op */
	assert_int_equal(store_batch_begin(fx->s), 0);
	assert_int_equal(store_batch_open(fx->s), 1);
	assert_int_equal(store_batch_begin(fx->s), -1);

	assert_int_equal(store_begin(fx->s), 0);
	assert_int_equal(store_begin(fx->s), -1);	/* still no nesting */
	upsert(fx->s, "a", &g1, NOW, STORE_ITEM_NEW);
	assert_int_equal(store_commit(fx->s), 0);

	assert_int_equal(store_begin(fx->s), 0);
	upsert(fx->s, "a", &g2, NOW, STORE_ITEM_NEW);
	store_rollback(fx->s);

	/* A write of several statements outside a transaction of the batch. */
	assert_int_equal(store_item_upsert(fx->s, "nosuch", &g3, NULL, NOW,
	    &id), -1);
	upsert(fx->s, "a", &g3, NOW, STORE_ITEM_NEW);

	/* This connection sees the batch; no other does before the commit. */
	assert_int_equal(store_feed_get(fx->s, "a", &f), 0);
	assert_int_equal(f.nitems, 2);
	store_feed_clear(&f);
	assert_int_equal(committed_items(fx), 0);
	assert_int_equal(store_batch_commit(fx->s), 0);
	assert_int_equal(store_batch_open(fx->s), 0);
	assert_int_equal(committed_items(fx), 2);
	upsert(fx->s, "a", &g1, NOW, STORE_ITEM_SAME);
	upsert(fx->s, "a", &g2, NOW, STORE_ITEM_NEW);

	/* Transactions work as before after it. */
	assert_int_equal(store_begin(fx->s), 0);
	assert_int_equal(store_batch_begin(fx->s), -1);
	store_rollback(fx->s);

	/* Closing with a batch open commits it. */
	assert_int_equal(store_batch_begin(fx->s), 0);
	g3.title = "T3 again";
	upsert(fx->s, "a", &g3, NOW, STORE_ITEM_UPDATED);
	fx_close(fx);
	assert_int_equal(committed_items(fx), 3);
	fx_open(fx);
	upsert(fx->s, "a", &g3, NOW, STORE_ITEM_SAME);
}

/*
 * A database of an earlier schema version, from the SQL dump of one that
 * the feedmux of that version wrote (tests/fixtures/store/vN.sql).
 */
static char *
make_old_db(struct fixture *fx, int version)
{
	char *path, *sqlpath, *err = NULL;
	struct buf sql;
	sqlite3 *db;
	FILE *f;
	char chunk[4096];
	size_t n;

	xasprintf(&sqlpath, "%s/store/v%d.sql", FIXTURES, version);
	assert_non_null(f = fopen(sqlpath, "r"));
	buf_init(&sql);
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		buf_add(&sql, chunk, n);
	fclose(f);
	free(sqlpath);
	xasprintf(&path, "%s/v%d.db", fx->dir, version);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	if (sqlite3_exec(db, sql.data, NULL, NULL, &err) != SQLITE_OK)
		fail_msg("v%d.sql: %s", version, err);
	sqlite3_close(db);
	buf_free(&sql);
	assert_int_equal(read_user_version(path), version);
	return path;
}

/* The index of the item with this key, which must be there. */
static size_t
find_key(const struct store_item *items, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(items[i].key, key) == 0)
			return i;
	fail_msg("no item %s", key);
	return 0;
}

/*
 * Every earlier version migrates to this one with nothing lost: each
 * fixture is the dump of a database that feedmux of that version wrote
 * from tests/fixtures/feeds (19 items, outputs all and rj).
 */
static void
test_migrate(void **state)
{
	struct fixture *fx = *state;
	struct store_item *before = NULL, *after = NULL;
	struct store_story *st;
	struct store_feed f;
	char *path, *cause = NULL, *filter, *rules;
	int64_t id, kafter;
	size_t n, nst, k;

	for (int version = 1; version <= 2; version++) {
		path = make_old_db(fx, version);
		fx->s = store_open(path, &cause);
		if (fx->s == NULL)
			fail_msg("v%d: store_open: %s", version, cause);

		/* Every item, every field, same ids. */
		n = all_items(fx->s, &after);
		assert_int_equal(n, 19);
		k = find_key(after, n, "guid:world-1");
		assert_string_equal(after[k].feed, "world");
		assert_string_equal(after[k].feed_title, "World Wire");
		assert_string_equal(after[k].item.title,
		    "Japan and Russia agree to resume talks");
		assert_string_equal(after[k].item.categories[0], "Diplomacy");
		assert_int_equal(after[k].item.published, 1709542800);
		k = find_key(after, n, "guid:ar-1");
		assert_string_equal(after[k].item.title,
		    "لافروف: القمة الروسية اليابانية ستعقد في أواخر يونيو في "
		    "أوساكا");
		assert_non_null(strstr(after[k].item.summary, "\n<p>موسكو"));
		/* Each its own story, which the item founded: ids stay. */
		for (size_t i = 0; i < n; i++)
			assert_int_equal(after[i].story, after[i].id);
		/* Read back and given again, each is the same, not an update. */
		for (size_t i = 0; i < n; i++)
			if (store_item_upsert(fx->s, after[i].feed,
			    &after[i].item, NULL, NOW, &id) != STORE_ITEM_SAME)
				fail_msg("v%d: %s changed", version, after[i].key);
		before = after;

		/* The outputs hold what they held, and know their filters. */
		assert_int_equal(
		    store_output_stories(fx->s, "all", 100, &st, &nst), 0);
		assert_int_equal(nst, 19);
		for (size_t i = 0; i < nst; i++) {
			assert_int_equal(st[i].nitems, 1);
			assert_int_equal(st[i].id, st[i].items[0].id);
			assert_string_equal(st[i].feed, st[i].items[0].feed);
			assert_string_equal(st[i].key, st[i].items[0].key);
			if (i > 0)
				assert_true(
				    st[i].sort_time <= st[i - 1].sort_time);
		}
		store_stories_free(st, nst);
		assert_int_equal(
		    store_output_stories(fx->s, "rj", 100, &st, &nst), 0);
		assert_int_equal(nst, 11);
		store_stories_free(st, nst);
		assert_int_equal(store_output_filter(fx->s, "rj", &filter), 0);
		assert_string_equal(filter, "rules 1\nany russia\nany japan\n"
		    "any روسيا\nany اليابان\n");
		free(filter);
		assert_int_equal(store_feed_get(fx->s, "ar", &f), 0);
		assert_string_equal(f.title, "أخبار عربية");
		assert_int_equal(f.nitems, 3);
		assert_int_equal(f.last_status, 200);
		/* Version 2's polling state is kept; version 1 had none. */
		if (version == 1)
			assert_null(f.config_url);
		else
			assert_true(str_has_prefix(f.config_url,
			    "http://127.0.0.1:"));
		store_feed_clear(&f);

		/* The keys are to be worked out, by ingest. */
		assert_int_equal(store_keys_state(fx->s, &rules, &kafter), 0);
		assert_null(rules);
		assert_int_equal(kafter, 0);

		/* A reopen finds this version, with the same items. */
		fx_close(fx);
		assert_int_equal(read_user_version(path), SCHEMA);
		fx->s = store_open(path, &cause);
		assert_non_null(fx->s);
		assert_int_equal(all_items(fx->s, &after), 19);
		for (size_t i = 0; i < 19; i++) {
			assert_int_equal(after[i].id, before[i].id);
			assert_string_equal(after[i].key, before[i].key);
			assert_int_equal(after[i].modified, before[i].modified);
		}
		store_items_free(after, 19);
		store_items_free(before, 19);
		fx_close(fx);
		free(path);
	}
}

/* Story keys given to the store directly: the ladder across feeds. */
static void
test_story_keys(void **state)
{
	struct fixture *fx = *state;
	struct store_keys k1 = {.canon = "http://x.localhost/1",
	    .title = "one two three"};
	struct store_keys k2 = {.canon = "http://x.localhost/1",
	    .title = "four five six"};
	struct store_keys k3 = {.canon = "http://y.localhost/2",
	    .title = "one two three"};
	struct store_keys k4 = {.title = "one two three"};
	struct store_keys none = {.canon = NULL};
	struct item it;
	int64_t a, b, c, d, e, g;
	struct store_item *items;
	size_t n;

	fx_open(fx);
	sync_feeds(fx->s, "a", "b");
	it = mkitem("1", "http://x.localhost/1", "T1", NULL, NOW - 100);
	assert_int_equal(store_item_upsert(fx->s, "a", &it, &k1, NOW, &a),
	    STORE_ITEM_NEW);
	it = mkitem("2", "http://x.localhost/1", "T2", NULL, NOW - 100);
	/* Same link, even in the same feed: the same story. */
	assert_int_equal(store_item_upsert(fx->s, "a", &it, &k2, NOW, &b),
	    STORE_ITEM_NEW);
	/* Same title, same feed: not enough. */
	it = mkitem("3", "http://y.localhost/2", "T3", NULL, NOW - 100);
	assert_int_equal(store_item_upsert(fx->s, "a", &it, &k3, NOW, &c),
	    STORE_ITEM_NEW);
	/* Same title, other feed: the same story, the nearest in date. */
	it = mkitem("4", NULL, "T4", NULL, NOW - 90);
	assert_int_equal(store_item_upsert(fx->s, "b", &it, &k4, NOW, &d),
	    STORE_ITEM_NEW);
	it = mkitem("5", NULL, "T5", NULL, NOW - 90);
	assert_int_equal(store_item_upsert(fx->s, "b", &it, &none, NOW, &e),
	    STORE_ITEM_NEW);
	it = mkitem("6", NULL, "T6", NULL, NOW - 90);
	assert_int_equal(store_item_upsert(fx->s, "b", &it, NULL, NOW, &g),
	    STORE_ITEM_NEW);

	n = all_items(fx->s, &items);
	assert_int_equal(n, 6);
	assert_int_equal(items[0].story, items[1].story);
	assert_int_not_equal(items[2].story, items[0].story);
	/* d's title matches a and c, both of feed a: the earliest, then oldest. */
	assert_int_equal(items[3].story, items[0].story);
	assert_int_not_equal(items[4].story, items[5].story);
	assert_int_not_equal(items[4].story, items[0].story);
	store_items_free(items, n);
	(void)b;
	(void)c;
	(void)e;
	(void)g;
}

static int nfills;

static void
count_fill(struct store_keys *k, void *arg)
{
	nfills++;
	k->canon = arg;
	k->title = NULL;
}

/*
 * The store keeps a filter of the story keys stored, so that a new item's
 * story costs no index read when no stored item shares its keys. It must
 * never hide a stored key: not one that another connection stored, not one
 * of a thousand and more added since it was made.
 */
static void
test_story_keys_filter(void **state)
{
	struct fixture *fx = *state;
	struct store *other;
	struct store_keys k;
	struct store_item *items;
	struct item it;
	char guid[32], link[64], title[64], *cause = NULL;
	int64_t id, first;
	size_t n, total;

	fx_open(fx);
	sync_feeds(fx->s, "a", "b");
	assert_non_null(other = store_open(fx->path, &cause));
	/* Both have made their filters. */
	it = mkitem("a0", NULL, "T", NULL, NOW);
	k = (struct store_keys){.canon = "http://x/a0", .title = "a zero x"};
	assert_int_equal(store_item_upsert(fx->s, "a", &it, &k, NOW, &first),
	    STORE_ITEM_NEW);
	it = mkitem("b0", NULL, "T", NULL, NOW);
	k = (struct store_keys){.canon = "http://x/b0", .title = "b zero x"};
	assert_int_equal(
	    store_item_upsert(other, "b", &it, &k, NOW, &id), STORE_ITEM_NEW);
	assert_int_not_equal(id, first);

	/* Stored by one connection, found by the other. */
	it = mkitem("a1", NULL, "T", NULL, NOW);
	k = (struct store_keys){.canon = "http://x/1", .title = "one two x"};
	assert_int_equal(
	    store_item_upsert(fx->s, "a", &it, &k, NOW, &id), STORE_ITEM_NEW);
	it = mkitem("b1", NULL, "T", NULL, NOW);
	k = (struct store_keys){.canon = "http://x/1"};
	assert_int_equal(
	    store_item_upsert(other, "b", &it, &k, NOW, &id), STORE_ITEM_NEW);
	it = mkitem("b2", NULL, "T", NULL, NOW + 60);
	k = (struct store_keys){.canon = "http://x/b2", .title = "one two x"};
	assert_int_equal(
	    store_item_upsert(other, "b", &it, &k, NOW, &id), STORE_ITEM_NEW);
	/* And the other way, inside a transaction. */
	it = mkitem("b3", NULL, "T", NULL, NOW);
	k = (struct store_keys){.canon = "http://x/3", .title = "three x y"};
	assert_int_equal(
	    store_item_upsert(other, "b", &it, &k, NOW, &id), STORE_ITEM_NEW);
	assert_int_equal(store_begin(fx->s), 0);
	it = mkitem("a3", NULL, "T", NULL, NOW);
	k = (struct store_keys){.canon = "http://x/3"};
	assert_int_equal(
	    store_item_upsert(fx->s, "a", &it, &k, NOW, &id), STORE_ITEM_NEW);
	/* Rolled back: not stored, so nothing to find later. */
	it = mkitem("a4", NULL, "T", NULL, NOW);
	k = (struct store_keys){.canon = "http://x/4"};
	assert_int_equal(
	    store_item_upsert(fx->s, "a", &it, &k, NOW, &id), STORE_ITEM_NEW);
	assert_int_equal(store_commit(fx->s), 0);
	assert_int_equal(store_begin(fx->s), 0);
	it = mkitem("a5", NULL, "T", NULL, NOW);
	k = (struct store_keys){.canon = "http://x/5"};
	assert_int_equal(
	    store_item_upsert(fx->s, "a", &it, &k, NOW, &id), STORE_ITEM_NEW);
	store_rollback(fx->s);
	it = mkitem("b5", NULL, "T", NULL, NOW);
	k = (struct store_keys){.canon = "http://x/5"};
	assert_int_equal(
	    store_item_upsert(other, "b", &it, &k, NOW, &id), STORE_ITEM_NEW);

	/*
	 * More keys than the filter was made for (at least 2^18 bits, made
	 * again past 2^15 keys: 3 an item), in transactions of 4,000 items,
	 * then the first ones.
	 */
	for (int i = 0; i < 12000; i++) {
		if (i % 4000 == 0)
			assert_int_equal(store_begin(fx->s), 0);
		snprintf(guid, sizeof guid, "m%d", i);
		snprintf(link, sizeof link, "http://x/m/%d", i);
		snprintf(title, sizeof title, "many %d x", i);
		it = mkitem(guid, NULL, "T", NULL, NOW);
		k = (struct store_keys){.canon = link, .title = title};
		assert_int_equal(
		    store_item_upsert(fx->s, "a", &it, &k, NOW, &id),
		    STORE_ITEM_NEW);
		if (i % 4000 == 3999)
			assert_int_equal(store_commit(fx->s), 0);
	}
	for (int i = 0; i < 12000; i += 1091) {
		snprintf(guid, sizeof guid, "n%d", i);
		snprintf(link, sizeof link, "http://x/m/%d", i);
		it = mkitem(guid, NULL, "T", NULL, NOW);
		k = (struct store_keys){.canon = link};
		assert_int_equal(
		    store_item_upsert(fx->s, "b", &it, &k, NOW, &id),
		    STORE_ITEM_NEW);
		snprintf(guid, sizeof guid, "o%d", i);
		snprintf(title, sizeof title, "many %d x", i);
		k = (struct store_keys){.title = title};
		it = mkitem(guid, NULL, "T", NULL, NOW + 3600);
		assert_int_equal(
		    store_item_upsert(other, "b", &it, &k, NOW, &id),
		    STORE_ITEM_NEW);
	}
	/* Items and tombstones stored by one connection, known to the other. */
	it = mkitem("a6", NULL, "T", NULL, NOW);
	assert_int_equal(
	    store_item_upsert(fx->s, "a", &it, NULL, NOW, &id), STORE_ITEM_NEW);
	assert_int_equal(store_item_upsert(other, "a", &it, NULL, NOW, &first),
	    STORE_ITEM_SAME);
	assert_int_equal(first, id);
	it.title = "U";
	assert_int_equal(store_item_upsert(other, "a", &it, NULL, NOW, &first),
	    STORE_ITEM_UPDATED);
	assert_int_equal(first, id);
	assert_int_equal(store_item_upsert(fx->s, "a", &it, NULL, NOW, &first),
	    STORE_ITEM_SAME);
	it = mkitem("a7", NULL, "T", NULL, NOW - 100 * DAY);
	assert_int_equal(
	    store_item_upsert(fx->s, "a", &it, NULL, NOW - 100 * DAY, &id),
	    STORE_ITEM_NEW);
	assert_int_equal(
	    store_prune(other, "a", NOW - 50 * DAY, 0, 10, NOW), 1);
	assert_int_equal(store_item_upsert(fx->s, "a", &it, NULL, NOW, &id),
	    STORE_ITEM_GONE);
	store_close(other);

	/* Each b item in the story of its a item, but b5. */
	n = feed_items(fx->s, "b", &items, &total);
	assert_int_equal(n, 5 + 2 * 11);
	for (size_t i = 0; i < n; i++) {
		const char *key = items[i].key, *want;
		int64_t story = 0;

		if (strcmp(key, "guid:b0") == 0 ||
		    strcmp(key, "guid:b3") == 0 || strcmp(key, "guid:b5") == 0)
			continue;
		if (strcmp(key, "guid:b1") == 0 || strcmp(key, "guid:b2") == 0)
			want = "guid:a1";
		else {
			snprintf(guid, sizeof guid, "guid:m%s", key + 6);
			want = guid;
		}
		for (size_t j = n; j < total; j++)
			if (strcmp(items[j].key, want) == 0)
				story = items[j].story;
		if (story == 0 || items[i].story != story)
			fail_msg("%s: story %jd, not that of %s (%jd)", key,
			    (intmax_t)items[i].story, want, (intmax_t)story);
	}
	for (size_t i = 0; i < n; i++) {
		if (strcmp(items[i].key, "guid:b3") == 0)
			id = items[i].story;
	}
	for (size_t j = n; j < total; j++)
		if (strcmp(items[j].key, "guid:a3") == 0)
			assert_int_equal(items[j].story, id);
	/* b5 founded its own. */
	for (size_t i = 0; i < n; i++)
		if (strcmp(items[i].key, "guid:b5") == 0)
			for (size_t j = 0; j < total; j++)
				if (j != i)
					assert_int_not_equal(
					    items[j].story, items[i].story);
	store_items_free(items, total);
}

/* Keys cost time: the store asks for them only for new and changed items. */
static void
test_keys_on_demand(void **state)
{
	struct fixture *fx = *state;
	struct store_keys k;
	struct item it = mkitem("1", "http://x.localhost/1", "T", NULL, NOW);
	struct store_item *items;
	int64_t id;

	fx_open(fx);
	sync_feeds(fx->s, "a", NULL);
	nfills = 0;
	k = (struct store_keys){.fill = count_fill, .arg = "http://x.localhost/c"};
	assert_int_equal(store_item_upsert(fx->s, "a", &it, &k, NOW, &id),
	    STORE_ITEM_NEW);
	assert_int_equal(nfills, 1);
	assert_null(k.fill);
	k = (struct store_keys){.fill = count_fill, .arg = "http://x.localhost/c"};
	assert_int_equal(store_item_upsert(fx->s, "a", &it, &k, NOW, &id),
	    STORE_ITEM_SAME);
	assert_int_equal(nfills, 1);
	it.title = "U";
	assert_int_equal(store_item_upsert(fx->s, "a", &it, &k, NOW, &id),
	    STORE_ITEM_UPDATED);
	assert_int_equal(nfills, 2);
	/* Pruned and listed again: gone, no keys needed. */
	assert_int_equal(store_prune(fx->s, "a", INT64_MAX, 0, 10, NOW), 1);
	k = (struct store_keys){.fill = count_fill, .arg = "http://x.localhost/c"};
	assert_int_equal(store_item_upsert(fx->s, "a", &it, &k, NOW, &id),
	    STORE_ITEM_GONE);
	assert_int_equal(id, 0);
	assert_int_equal(nfills, 2);
	assert_int_equal(all_items(fx->s, &items), 0);
	store_items_free(items, 0);
}

/*
 * Version 4: a feed's language reaches its items; 3 migrates to 4 (and on).
 * A database of version 3 is the dump of version 4 without the column.
 */
static void
test_feed_lang(void **state)
{
	struct fixture *fx = *state;
	struct store_item *items;
	struct store_fetch ok = {
	    .url = "http://x/feed",
	    .time = NOW,
	    .status = 200,
	    .link = "http://x/",
	    .lang = "ar",
	};
	struct store_fetch notmod = {
	    .url = "http://x/feed",
	    .time = NOW + 60,
	    .status = 304,
	};
	char *cause = NULL, *path;
	size_t n, total;
	sqlite3 *db;

	path = make_old_db(fx, 4);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "ALTER TABLE feeds DROP COLUMN lang;"
	    "PRAGMA user_version = 3", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(read_user_version(path), 3);

	assert_non_null(fx->s = store_open(path, &cause));
	n = feed_items(fx->s, "extra", &items, &total);
	assert_int_equal(n, 4);
	for (size_t i = 0; i < n; i++) {
		assert_null(items[i].feed_lang);
		assert_string_equal(
		    items[i].feed_link, "http://127.0.0.1/extra/");
	}
	store_items_free(items, total);

	assert_int_equal(store_feed_fetched(fx->s, "extra", &ok), 0);
	/* A 304 says nothing of the language: it is kept. */
	assert_int_equal(store_feed_fetched(fx->s, "extra", &notmod), 0);
	n = feed_items(fx->s, "extra", &items, &total);
	assert_int_equal(n, 4);
	for (size_t i = 0; i < n; i++) {
		assert_string_equal(items[i].feed_lang, "ar");
		assert_string_equal(items[i].feed_link, "http://x/");
	}
	/* Only that feed's. */
	for (size_t i = n; i < total; i++)
		assert_null(items[i].feed_lang);
	store_items_free(items, total);

	assert_int_equal(store_writable(fx->s, &cause), 0);
	assert_null(cause);
	/* Inside a transaction it is writable by definition. */
	assert_int_equal(store_begin(fx->s), 0);
	assert_int_equal(store_writable(fx->s, &cause), 0);
	store_rollback(fx->s);
	fx_close(fx);
	assert_int_equal(read_user_version(path), SCHEMA);
	free(path);
}

/* Rows of raw SQL, one line each, for comparing a database before and after. */
static char *
sql_rows(const char *path, const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	struct buf b;

	buf_init(&b);
	buf_add(&b, "", 0);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	while (sqlite3_step(st) == SQLITE_ROW) {
		for (int i = 0; i < sqlite3_column_count(st); i++) {
			const unsigned char *v = sqlite3_column_text(st, i);

			buf_adds(&b, i > 0 ? "|" : "");
			buf_adds(&b, v != NULL ? (const char *)v : "NULL");
		}
		buf_addc(&b, '\n');
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	return buf_steal(&b, NULL);
}

/*
 * Version 4 to 5 (the title index by spans of time and a hash; an output's
 * items in one B-tree): every item, story and output membership is kept,
 * and the story lookups find the old items, by link and by title.
 */
static void
test_migrate_v4(void **state)
{
	static const char *const kept[] = {
	    /* Parentheses: one string of several literals, on purpose. */
	    ("SELECT id, feed_id, key, hash, guid, link, title, author,"
	     " summary, content, categories, published, updated, first_seen,"
	     " modified, sort_time, story_id, canon, title_key FROM items"
	     " ORDER BY id"),
	    "SELECT * FROM stories ORDER BY id",
	    ("SELECT output, item_id, sort_time FROM output_items"
	     " ORDER BY output, item_id"),
	    "SELECT * FROM feeds ORDER BY id",
	    "SELECT * FROM outputs ORDER BY name",
	    "SELECT * FROM meta ORDER BY key",
	};
	struct fixture *fx = *state;
	struct store_item *items;
	struct store_story *st;
	struct store_keys k;
	struct item it;
	char *path, *cause = NULL, *before[nitems(kept)], *after, *rules;
	int64_t id, kafter;
	size_t n, nst, total;

	path = make_old_db(fx, 4);
	for (size_t i = 0; i < nitems(kept); i++)
		before[i] = sql_rows(path, kept[i]);
	/* Stories of two items: one by link, one by title. */
	assert_non_null(strstr(before[0], "\n19|4|guid:extra-3|"));
	assert_non_null(
	    strstr(before[0], "|1|http://127.0.0.1/world/1|"
			      "talks between japan and russia to resume\n"));
	assert_non_null(strstr(before[0], "|15|http://127.0.0.1/extra/4|"));

	if ((fx->s = store_open(path, &cause)) == NULL)
		fail_msg("store_open: %s", cause);
	fx_close(fx);
	assert_int_equal(read_user_version(path), SCHEMA);
	for (size_t i = 0; i < nitems(kept); i++) {
		after = sql_rows(path, kept[i]);
		assert_string_equal(after, before[i]);
		free(after);
		free(before[i]);
	}
	after = sql_rows(path, "PRAGMA integrity_check");
	assert_string_equal(after, "ok\n");
	free(after);
	after = sql_rows(path, "PRAGMA foreign_key_check");
	assert_string_equal(after, "");
	free(after);
	/* Every title key has its hash; the old index is gone. */
	after = sql_rows(path, "SELECT count(*) FROM items WHERE"
			       " (title_key IS NULL) != (title_hash IS NULL)");
	assert_string_equal(after, "0\n");
	free(after);
	after = sql_rows(path,
	    "SELECT name FROM sqlite_schema WHERE"
	    " type = 'index' AND name NOT LIKE 'sqlite_%' ORDER BY name");
	assert_string_equal(after,
	    "items_canon\nitems_feed_time\n"
	    "items_story\nitems_title_span\noutput_items_newest\n");
	free(after);

	fx->s = store_open(path, &cause);
	assert_non_null(fx->s);
	/* The stories as the outputs show them. */
	assert_int_equal(store_output_stories(fx->s, "all", 100, &st, &nst), 0);
	assert_int_equal(nst, 18);
	for (size_t i = 0; i < nst; i++) {
		if (st[i].id == 1 || st[i].id == 15) {
			assert_int_equal(st[i].nitems, 2);
			assert_int_equal(
			    st[i].items[1].id, st[i].id == 1 ? 19 : 20);
		} else
			assert_int_equal(st[i].nitems, 1);
		if (i > 0)
			assert_true(st[i].sort_time <= st[i - 1].sort_time);
	}
	store_stories_free(st, nst);
	assert_int_equal(store_output_stories(fx->s, "rj", 100, &st, &nst), 0);
	assert_int_equal(nst, 10);
	store_stories_free(st, nst);
	/* The keys were worked out; they need not be again. */
	assert_int_equal(store_keys_state(fx->s, &rules, &kafter), 0);
	assert_string_equal(rules, "keys 1, match 1");
	assert_int_equal(kafter, -1);
	free(rules);
	/* Read back and given again, each is the same, not an update. */
	n = all_items(fx->s, &items);
	assert_int_equal(n, 20);
	for (size_t i = 0; i < n; i++)
		if (store_item_upsert(fx->s, items[i].feed, &items[i].item,
			NULL, NOW, &id) != STORE_ITEM_SAME)
			fail_msg("%s changed", items[i].key);
	store_items_free(items, n);

	/* New items find the old ones: by link, and by title in 48 h. */
	it = mkitem("new-1", "http://127.0.0.1/world/1?utm_source=x", "Other",
	    NULL, 1709542800 + 30 * DAY);
	k = (struct store_keys){
	    .canon = "http://127.0.0.1/world/1", .title = "a title of its own"};
	assert_int_equal(store_item_upsert(fx->s, "asia", &it, &k, NOW, &id),
	    STORE_ITEM_NEW);
	it = mkitem("new-2", "http://127.0.0.1/asia/new-2",
	    "لافروف: القمة الروسية اليابانية", NULL, 1632850140 + 47 * 3600);
	k = (struct store_keys){.canon = "http://127.0.0.1/asia/new-2",
	    .title = "لافروف القمه الروسيه اليابانيه ستعقد في اواخر يونيو في "
		     "اوساكا"};
	assert_int_equal(store_item_upsert(fx->s, "asia", &it, &k, NOW, &id),
	    STORE_ITEM_NEW);
	/* The same title two days and a second later is another story. */
	it = mkitem("new-3", "http://127.0.0.1/asia/new-3", "later", NULL,
	    1632850140 + 2 * DAY + 1);
	k.canon = "http://127.0.0.1/asia/new-3";
	assert_int_equal(store_item_upsert(fx->s, "asia", &it, &k, NOW, &id),
	    STORE_ITEM_NEW);
	n = feed_items(fx->s, "asia", &items, &total);
	assert_int_equal(n, 8);
	assert_string_equal(items[5].key, "guid:new-1");
	assert_int_equal(items[5].story, 1);
	assert_string_equal(items[6].key, "guid:new-2");
	assert_int_equal(items[6].story, 14);
	assert_string_equal(items[7].key, "guid:new-3");
	assert_int_equal(items[7].story, 19); /* a new one */
	store_items_free(items, total);
	fx_close(fx);
	free(path);
}

/*
 * The title index is kept by spans of four days of sort_time: equal titles
 * of two feeds are one story when dated at most 48 hours apart, wherever
 * the spans begin, also across 0 (where SQL and C divide toward zero) and
 * near the ends of the range.
 */
static void
test_title_spans(void **state)
{
	static const int64_t bases[] = {
	    1700000000,
	    9838 * 172800,
	    9838 * 172800 - 1,
	    9838 * 172800 + 1,
	    4919 * 345600 - 1,
	    4919 * 345600 + 1,
	    4919 * 345600 + 172800,
	    -345600,
	    345600,
	    -345599,
	    345599,
	    -345601,
	    345601,
	    INT64_MAX / 2,
	    0,
	    -1,
	    1,
	    -172800,
	    172800,
	    -172799,
	    172799,
	    -3 * 172800 - 7,
	    INT64_MIN + 10,
	    NOW,
	};
	static const int64_t deltas[] = {
	    0,
	    1,
	    -1,
	    172799,
	    172800,
	    172801,
	    -172799,
	    -172800,
	    -172801,
	    2 * 172800,
	    -2 * 172800,
	    3600,
	    -3600,
	};
	/* A clock late enough to trust every date here. */
	const int64_t now = INT64_MAX / 2 + 10 * 172800;
	struct fixture *fx = *state;
	struct store_keys k = {.canon = NULL};
	struct store_item *items;
	struct item it;
	char title[64], guid[64];
	int64_t a, b, t, story;
	size_t n, total, nb = 0;

	fx_open(fx);
	sync_feeds(fx->s, "a", "b");
	for (size_t i = 0; i < nitems(bases); i++)
		for (size_t j = 0; j < nitems(deltas); j++) {
			if (bases[i] < INT64_MIN / 2 && deltas[j] < 0)
				continue;
			snprintf(title, sizeof title, "title %zu %zu x", i, j);
			k.title = title;
			snprintf(guid, sizeof guid, "a%zu-%zu", i, j);
			it = mkitem(guid, NULL, "T", NULL, bases[i]);
			assert_int_equal(
			    store_item_upsert(fx->s, "a", &it, &k, now, &a),
			    STORE_ITEM_NEW);
			snprintf(guid, sizeof guid, "b%zu-%zu", i, j);
			t = bases[i] + deltas[j];
			it = mkitem(guid, NULL, "T", NULL, t);
			assert_int_equal(
			    store_item_upsert(fx->s, "b", &it, &k, now, &b),
			    STORE_ITEM_NEW);
			n = feed_items(fx->s, "a", &items, &total);
			assert_int_equal(n, nb + 1);
			assert_int_equal(items[n - 1].id, a);
			assert_int_equal(items[n - 1].item.published, bases[i]);
			story = items[n - 1].story;
			store_items_free(items, total);
			n = feed_items(fx->s, "b", &items, &total);
			assert_int_equal(n, ++nb);
			assert_int_equal(items[n - 1].id, b);
			assert_int_equal(items[n - 1].sort_time, t);
			if ((items[n - 1].story == story) !=
			    (deltas[j] <= 172800 && deltas[j] >= -172800))
				fail_msg("%jd and %jd: stories %jd and %jd",
				    (intmax_t)bases[i], (intmax_t)t,
				    (intmax_t)story,
				    (intmax_t)items[n - 1].story);
			store_items_free(items, total);
		}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
		test_open_creates_and_reopens, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_open_refuses_newer_schema, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_open_errors, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_dedup_ladder, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_item_fields, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_item_same, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_hostile_text, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_same_guid_two_feeds, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_feeds_sync, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_feed_fetched, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_feed_poll_state, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_output_order, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_future_dates, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_items_page, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_transactions, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_batch, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_output_filters, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_migrate, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_migrate_v4, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_title_spans, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_story_keys, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_story_keys_filter, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_keys_on_demand, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_feed_lang, setup, teardown),
	};

	umask(022);
	log_init("test_store", LOG_LEVEL_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
