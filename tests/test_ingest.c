/*
 * ingest: counts, output membership and refiltering, against a real store
 * in a temporary directory. Keywords are plain ASCII words, so that these
 * tests do not hang on the Arabic rules of match.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "ingest.h"
#include "log.h"
#include "match.h"
#include "parse.h"
#include "store.h"
#include "util.h"

#define NOW 1700000000

struct fixture {
	char dir[64];
	char *path;
	struct store *s;
	struct match_filter *japan;	 /* any: japan */
	struct match_filter *korea;	 /* any: korea */
	struct match_filter *everything; /* empty lists */
	struct match_filter *nojapan;	 /* none: japan */
};

static struct match_filter *
filter(const char *any, const char *none)
{
	struct match_filter *mf;
	char *a[] = {(char *)any}, *n[] = {(char *)none};
	char *cause = NULL;

	mf = match_filter_new(a, any != NULL, NULL, 0, n, none != NULL, &cause);
	if (mf == NULL)
		fail_msg("match_filter_new: %s", cause);
	return mf;
}

static int
setup(void **state)
{
	struct fixture *fx = xcalloc(1, sizeof *fx);
	char *cause = NULL;
	char *names[] = {"a", "b"};

	strcpy(fx->dir, "/tmp/test_ingest.XXXXXX");
	if (mkdtemp(fx->dir) == NULL)
		return -1;
	xasprintf(&fx->path, "%s/feedmux.db", fx->dir);
	if ((fx->s = store_open(fx->path, &cause)) == NULL) {
		fprintf(stderr, "store_open: %s\n", cause);
		return -1;
	}
	if (store_feeds_sync(fx->s, names, 2) != 0)
		return -1;
	fx->japan = filter("japan", NULL);
	fx->korea = filter("korea", NULL);
	fx->everything = filter(NULL, NULL);
	fx->nojapan = filter(NULL, "japan");
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *fx = *state;
	const char *suffix[] = {"", "-wal", "-shm"};
	char *p;

	store_close(fx->s);
	for (size_t i = 0; i < nitems(suffix); i++) {
		xasprintf(&p, "%s%s", fx->path, suffix[i]);
		unlink(p);
		free(p);
	}
	match_filter_free(fx->japan);
	match_filter_free(fx->korea);
	match_filter_free(fx->everything);
	match_filter_free(fx->nojapan);
	if (rmdir(fx->dir) != 0)
		return -1;
	free(fx->path);
	free(fx);
	return 0;
}

static struct item
mkitem(const char *guid, const char *title, const char *summary,
    const char *content, int64_t published)
{
	struct item it;

	memset(&it, 0, sizeof it);
	it.guid = (char *)guid;
	it.title = (char *)title;
	it.summary = (char *)summary;
	it.content = (char *)content;
	it.published = published;
	it.updated = PARSE_NO_TIME;
	return it;
}

/*
 * Checks an output's items by title, newest first; titles is a
 * space-separated list ("" for none).
 */
static void
check_output(struct store *s, const char *output, const char *titles)
{
	struct store_story *stories;
	struct buf b;
	size_t n;

	assert_int_equal(
	    store_output_stories(s, output, 10000, &stories, &n), 0);
	buf_init(&b);
	buf_adds(&b, "");
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			buf_addc(&b, ' ');
		buf_adds(&b, stories[i].items[0].item.title);
	}
	if (strcmp(b.data, titles) != 0)
		fail_msg(
		    "output %s: \"%s\", want \"%s\"", output, b.data, titles);
	buf_free(&b);
	store_stories_free(stories, n);
}

static void
test_ingest_feed(void **state)
{
	struct fixture *fx = *state;
	struct item first[] = {
	    mkitem("1", "t1", "Rain in Japan", NULL, NOW - 10),
	    mkitem("2", "t2", NULL, "<p>Tokyo, <b>JAPAN</b></p>", NOW - 20),
	    mkitem("3", "t3", "Rain in Korea", NULL, NOW - 30),
	};
	struct item second[] = {
	    mkitem("1", "t1", "Rain in Tokyo", NULL, NOW - 10),
	    first[1],
	    mkitem("3", "t3", "Rain in Korea and Japan", NULL, NOW - 30),
	    mkitem("6", "t6", "japan", NULL, NOW - 5),
	};
	struct feed f1 = {.items = first, .nitems = nitems(first)};
	struct feed f2 = {.items = second, .nitems = nitems(second)};
	struct ingest_output outs[] = {
	    {"japan", fx->japan, NULL, 0},
	    {"all", fx->everything, NULL, 0},
	    {"nojapan", fx->nojapan, NULL, 0},
	    {"nofilter", NULL, NULL, 0},
	};
	struct ingest_result r;
	struct store_feed sf;
	char *cause = NULL;

	assert_int_equal(
	    ingest_feed(fx->s, "a", &f1, outs, nitems(outs), NOW, &r, &cause),
	    0);
	assert_null(cause);
	assert_int_equal(r.nitems, 3);
	assert_int_equal(r.nnew, 3);
	assert_int_equal(r.nupdated, 0);
	check_output(fx->s, "japan", "t1 t2");
	check_output(fx->s, "all", "t1 t2 t3");
	check_output(fx->s, "nofilter", "t1 t2 t3");
	check_output(fx->s, "nojapan", "t3");

	/* Again, unchanged: nothing new, nothing moves. */
	assert_int_equal(ingest_feed(fx->s, "a", &f1, outs, nitems(outs),
			     NOW + 60, &r, &cause),
	    0);
	assert_int_equal(r.nitems, 3);
	assert_int_equal(r.nnew, 0);
	assert_int_equal(r.nupdated, 0);

	/*
	 * With only the first two outputs this time: the new and updated
	 * items are matched again and leave the outputs not given (t1 leaves
	 * japan and nofilter, t3 joins japan and leaves nojapan); the
	 * unchanged t2 is not matched, so it stays in nofilter.
	 */
	assert_int_equal(
	    ingest_feed(fx->s, "a", &f2, outs, 2, NOW + 120, &r, &cause), 0);
	assert_int_equal(r.nitems, 4);
	assert_int_equal(r.nnew, 1);
	assert_int_equal(r.nupdated, 2);
	check_output(fx->s, "japan", "t6 t2 t3");
	check_output(fx->s, "all", "t6 t1 t2 t3");
	check_output(fx->s, "nojapan", "");
	check_output(fx->s, "nofilter", "t2");
	assert_int_equal(store_feed_get(fx->s, "a", &sf), 0);
	assert_int_equal(sf.nitems, 4);
	store_feed_clear(&sf);

	/* No outputs at all: still stored. */
	first[0].title = "t1 again";
	assert_int_equal(
	    ingest_feed(fx->s, "b", &f1, NULL, 0, NOW, &r, &cause), 0);
	assert_int_equal(r.nnew, 3);
	check_output(fx->s, "all", "t6 t1 t2 t3");
}

static void
test_ingest_errors(void **state)
{
	struct fixture *fx = *state;
	struct item items[] = {mkitem("1", "t1", "japan", NULL, NOW)};
	struct feed f = {.items = items, .nitems = 1};
	struct feed empty = {.items = NULL, .nitems = 0};
	struct ingest_output outs[] = {{"japan", fx->japan, NULL, 0}};
	struct ingest_result r;
	struct store_feed sf;
	char *cause = NULL;

	/* A feed the store does not know: nothing stored, and a cause. */
	assert_int_equal(
	    ingest_feed(fx->s, "nosuch", &f, outs, 1, NOW, &r, &cause), -1);
	assert_non_null(cause);
	assert_string_equal(cause, "feed nosuch: cannot store item 1");
	free(cause);
	cause = NULL;
	assert_int_equal(r.nitems, 0);
	assert_int_equal(r.nnew, 0);
	check_output(fx->s, "japan", "");

	/* Inside a transaction of the caller's: refused, caller's kept. */
	assert_int_equal(store_begin(fx->s), 0);
	assert_int_equal(
	    ingest_feed(fx->s, "a", &f, outs, 1, NOW, &r, &cause), -1);
	assert_string_equal(cause, "feed a: cannot begin a transaction");
	free(cause);
	cause = NULL;
	assert_int_equal(store_commit(fx->s), 0);

	assert_int_equal(
	    ingest_feed(fx->s, "a", &empty, outs, 1, NOW, &r, &cause), 0);
	assert_int_equal(r.nitems, 0);
	assert_int_equal(store_feed_get(fx->s, "a", &sf), 0);
	assert_int_equal(sf.nitems, 0);
	store_feed_clear(&sf);

	assert_int_equal(store_begin(fx->s), 0);
	assert_int_equal(ingest_refilter(fx->s, outs, 1, &cause), -1);
	assert_string_equal(cause, "cannot begin a transaction");
	free(cause);
	store_rollback(fx->s);
	assert_int_equal(ingest_refilter(fx->s, outs, 0, &cause), 0);
}

/* Items that mention korea: every seventh. */
#define KOREAN(i) ((i) % 7 == 3)

static void
test_refilter(void **state)
{
	struct fixture *fx = *state;
	struct item *items;
	struct feed f;
	struct ingest_output outs[] = {
	    {"news", fx->japan, NULL, 0},
	    {"all", fx->everything, NULL, 0},
	    {"keep", fx->everything, NULL, 0},
	};
	struct ingest_output redo[] = {
	    {"news", fx->korea, NULL, 0},
	    {"all", fx->everything, NULL, 0},
	};
	struct ingest_result r;
	struct store_story *got;
	char **text;
	char *cause = NULL;
	size_t n = 1003, nkorean = 0, ngot;

	/* More than two slices of 500, across two feeds. */
	items = xcalloc(n, sizeof *items);
	text = xcalloc(n, sizeof *text);
	for (size_t i = 0; i < n; i++) {
		xasprintf(&text[i], "%zu", i);
		items[i] = mkitem(text[i], text[i],
		    KOREAN(i) ? "<p>news from Korea</p>"
			      : "<p>news from Japan</p>",
		    NULL, NOW - (int64_t)i);
		nkorean += KOREAN(i);
	}
	f.items = items;
	f.nitems = 600;
	assert_int_equal(
	    ingest_feed(fx->s, "a", &f, outs, nitems(outs), NOW, &r, &cause),
	    0);
	assert_int_equal(r.nnew, 600);
	f.items = items + 600;
	f.nitems = n - 600;
	assert_int_equal(
	    ingest_feed(fx->s, "b", &f, outs, nitems(outs), NOW, &r, &cause),
	    0);
	assert_int_equal(r.nnew, n - 600);

	assert_int_equal(store_output_stories(fx->s, "news", n, &got, &ngot), 0);
	assert_int_equal(ngot, n - nkorean);
	store_stories_free(got, ngot);

	/* news now wants korea. */
	assert_int_equal(ingest_refilter(fx->s, redo, nitems(redo), &cause), 0);
	assert_null(cause);
	assert_int_equal(store_output_stories(fx->s, "news", n, &got, &ngot), 0);
	assert_int_equal(ngot, nkorean);
	for (size_t i = 0, want = 0; i < ngot; i++, want++) {
		while (!KOREAN(want))
			want++;
		assert_string_equal(got[i].items[0].item.title, text[want]);
	}
	store_stories_free(got, ngot);
	assert_int_equal(store_output_stories(fx->s, "all", n, &got, &ngot), 0);
	assert_int_equal(ngot, n);
	store_stories_free(got, ngot);

	/* Items of feeds inactive during a refilter are in it when they return. */
	{
		char *only_b[] = {"b"};

		assert_int_equal(store_feeds_sync(fx->s, only_b, 1), 0);
		assert_int_equal(ingest_refilter(fx->s, redo, 1, &cause), 0);
		assert_int_equal(
		    store_feeds_sync(fx->s, (char *[]){"a", "b"}, 2), 0);
		assert_int_equal(
		    store_output_stories(fx->s, "news", n, &got, &ngot), 0);
		assert_int_equal(ngot, nkorean);
		store_stories_free(got, ngot);
	}
	/* An output not refiltered keeps its items. */
	assert_int_equal(store_output_stories(fx->s, "keep", n, &got, &ngot), 0);
	assert_int_equal(ngot, n);
	store_stories_free(got, ngot);

	for (size_t i = 0; i < n; i++)
		free(text[i]);
	free(text);
	free(items);
}

/* How many stories an output holds. */
static size_t
output_count(struct store *s, const char *output)
{
	struct store_story *got;
	size_t n;

	assert_int_equal(
	    store_output_stories(s, output, 100000, &got, &n), 0);
	store_stories_free(got, n);
	return n;
}

/* An output's feeds and the fields its filter looks at. */
static void
test_feeds_and_fields(void **state)
{
	struct fixture *fx = *state;
	char *cats1[] = {"Asia", "East Japan"}, *cats2[] = {"Japan Asia"};
	struct item a[] = {
	    mkitem("1", "t1", "Japan", NULL, NOW - 10),
	    mkitem("2", "t2", NULL, NULL, NOW - 20),
	    mkitem("3", "t3", NULL, NULL, NOW - 30),
	};
	struct item b[] = {
	    mkitem("4", "t4", "<p>Japan</p>", NULL, NOW - 40),
	    mkitem("5", "Japan", NULL, NULL, NOW - 50),
	};
	struct feed fa = {.items = a, .nitems = nitems(a)};
	struct feed fb = {.items = b, .nitems = nitems(b)};
	struct match_filter *cats, *author, *phrase, *title;
	char *only_b[] = {"b"}, *both[] = {"b", "a"};
	struct ingest_result r;
	char *cause = NULL;
	char *east[] = {"East Japan"}, *japan[] = {"japan"};

	/* As the daemon sets every filter; the fixture's look at all. */
	match_filter_set_fields(fx->japan, MATCH_FIELDS_DEFAULT);
	a[1].categories = cats1;
	a[1].ncategories = nitems(cats1);
	a[2].categories = cats2;
	a[2].ncategories = nitems(cats2);
	a[2].author = "Japan Times";
	cats = filter("japan", NULL);
	match_filter_set_fields(cats, MATCH_FIELD_CATEGORIES);
	author = filter("japan", NULL);
	match_filter_set_fields(author, MATCH_FIELD_AUTHOR);
	phrase = match_filter_new(east, 1, NULL, 0, NULL, 0, &cause);
	match_filter_set_fields(phrase, MATCH_FIELD_CATEGORIES);
	title = match_filter_new(NULL, 0, japan, 1, NULL, 0, &cause);
	match_filter_set_fields(title, MATCH_FIELD_TITLE);
	{
		struct ingest_output outs[] = {
		    {"b-all", NULL, only_b, 1},
		    {"b-japan", fx->japan, only_b, 1},
		    {"ab-japan", fx->japan, both, 2},
		    {"japan", fx->japan, NULL, 0},
		    {"cats", cats, NULL, 0},
		    {"author", author, NULL, 0},
		    {"phrase", phrase, NULL, 0},
		    {"title", title, NULL, 0},
		    {"b-everything", fx->everything, only_b, 1},
		};

		assert_int_equal(ingest_feed(fx->s, "a", &fa, outs,
				     nitems(outs), NOW, &r, &cause),
		    0);
		assert_int_equal(ingest_feed(fx->s, "b", &fb, outs,
				     nitems(outs), NOW, &r, &cause),
		    0);
		check_output(fx->s, "b-all", "t4 Japan");
		check_output(fx->s, "b-everything", "t4 Japan");
		check_output(fx->s, "b-japan", "t4 Japan");
		check_output(fx->s, "ab-japan", "t1 t4 Japan");
		check_output(fx->s, "japan", "t1 t4 Japan");
		check_output(fx->s, "cats", "t2 t3");
		check_output(fx->s, "author", "t3");
		/* "East Japan" is one category of t2; t3's is "Japan Asia". */
		check_output(fx->s, "phrase", "t2");
		check_output(fx->s, "title", "Japan");

		/* The same outputs chosen again from the store. */
		for (size_t i = 0; i < nitems(outs); i++)
			assert_int_equal(
			    store_output_clear(fx->s, outs[i].name), 0);
		assert_int_equal(
		    ingest_refilter(fx->s, outs, nitems(outs), &cause), 0);
		check_output(fx->s, "b-all", "t4 Japan");
		check_output(fx->s, "b-everything", "t4 Japan");
		check_output(fx->s, "b-japan", "t4 Japan");
		check_output(fx->s, "ab-japan", "t1 t4 Japan");
		check_output(fx->s, "cats", "t2 t3");
		check_output(fx->s, "author", "t3");
		check_output(fx->s, "phrase", "t2");
		check_output(fx->s, "title", "Japan");

		/* A refilter also takes items out of feeds left out. */
		outs[3].feeds = only_b;
		outs[3].nfeeds = 1;
		assert_int_equal(ingest_refilter(fx->s, outs + 3, 1, &cause), 0);
		check_output(fx->s, "japan", "t4 Japan");
	}
	match_filter_free(cats);
	match_filter_free(author);
	match_filter_free(phrase);
	match_filter_free(title);
}

/*
 * A refilter in steps of one item each (no time to spare): the output
 * changes item by item in id order, keeps what ingest_feed does between
 * steps, and is the new filter's whole choice at the end.
 */
static void
test_refilter_steps(void **state)
{
	struct fixture *fx = *state;
	struct ingest_output old[] = {{"news", fx->japan, NULL, 0}};
	struct ingest_output new[] = {{"news", fx->korea, NULL, 0}};
	struct ingest_refilter *rf;
	struct ingest_result r;
	struct item items[250], more[2];
	struct feed f = {.items = items, .nitems = nitems(items)};
	char guid[nitems(items)][8], *cause = NULL;
	size_t nkorean = 0, steps = 0, nitem = nitems(items);
	int rc;

	for (size_t i = 0; i < nitem; i++) {
		snprintf(guid[i], sizeof guid[i], "%zu", i);
		items[i] = mkitem(guid[i], guid[i],
		    KOREAN(i) ? "Korea" : "Japan", NULL, NOW - (int64_t)i);
		nkorean += KOREAN(i);
	}
	assert_int_equal(
	    ingest_feed(fx->s, "a", &f, old, 1, NOW, &r, &cause), 0);
	assert_int_equal(output_count(fx->s, "news"), nitem - nkorean);

	rf = ingest_refilter_new(fx->s, new, 1);
	assert_int_equal(ingest_refilter_count(rf), 0);
	for (steps = 0; steps < 120; steps++)
		assert_int_equal(ingest_refilter_step(rf, 0, &cause), 0);
	assert_int_equal(ingest_refilter_count(rf), 120);
	/* Half way: the first 120 items as korea chose, the rest as japan. */
	{
		size_t want = 0;

		for (size_t i = 0; i < nitem; i++)
			want += i < 120 ? KOREAN(i) : !KOREAN(i);
		assert_int_equal(output_count(fx->s, "news"), want);
	}

	/* An error leaves the walk where the last good step ended. */
	assert_int_equal(store_begin(fx->s), 0);
	assert_int_equal(ingest_refilter_step(rf, 0, &cause), -1);
	assert_string_equal(cause, "cannot begin a transaction");
	free(cause);
	cause = NULL;
	store_rollback(fx->s);
	assert_int_equal(ingest_refilter_count(rf), 120);

	/*
	 * Meanwhile a feed brings a new item and changes one already walked
	 * and one not yet walked; the daemon gives it the new filter.
	 */
	more[0] = items[3]; /* korean, walked */
	more[0].summary = "Japan";
	more[1] = items[200]; /* not korean, not walked */
	more[1].summary = "Korea again";
	f.items = more;
	f.nitems = nitems(more);
	assert_int_equal(
	    ingest_feed(fx->s, "a", &f, new, 1, NOW, &r, &cause), 0);
	assert_int_equal(r.nupdated, 2);
	more[0] = mkitem("new", "new", "Korea", NULL, NOW);
	f.nitems = 1;
	assert_int_equal(
	    ingest_feed(fx->s, "b", &f, new, 1, NOW, &r, &cause), 0);
	assert_int_equal(r.nnew, 1);

	while ((rc = ingest_refilter_step(rf, 0, &cause)) == 0)
		assert_true(++steps < 10 * nitem);
	assert_int_equal(rc, 1);
	assert_int_equal(ingest_refilter_step(rf, 0, &cause), 1);
	/* Every item once, and the item of feed b ("new") too. */
	assert_int_equal(ingest_refilter_count(rf), nitem + 1);
	ingest_refilter_free(rf);
	/* Korean items, less item 3, plus 200 and "new". */
	assert_true(KOREAN(3) && !KOREAN(200));
	assert_int_equal(output_count(fx->s, "news"), nkorean - 1 + 1 + 1);

	/* With time to spare, one step does it all. */
	rf = ingest_refilter_new(fx->s, old, 1);
	assert_int_equal(ingest_refilter_step(rf, 60000, &cause), 1);
	assert_int_equal(ingest_refilter_count(rf), nitem + 1);
	ingest_refilter_free(rf);
	/* Back to japan: item 3 joins, item 200 leaves. */
	assert_int_equal(output_count(fx->s, "news"), nitem - nkorean + 1 - 1);

	/* No outputs: nothing to do, no transaction needed. */
	rf = ingest_refilter_new(fx->s, NULL, 0);
	assert_int_equal(store_begin(fx->s), 0);
	assert_int_equal(ingest_refilter_step(rf, 0, &cause), 1);
	store_rollback(fx->s);
	ingest_refilter_free(rf);
	ingest_refilter_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_ingest_feed, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_ingest_errors, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_refilter, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_feeds_and_fields, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_refilter_steps, setup, teardown),
	};

	log_init("test_ingest", LOG_LEVEL_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
