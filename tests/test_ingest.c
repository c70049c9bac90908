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
	struct store_item *items;
	struct buf b;
	size_t n;

	assert_int_equal(store_output_items(s, output, 10000, &items, &n), 0);
	buf_init(&b);
	buf_adds(&b, "");
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			buf_addc(&b, ' ');
		buf_adds(&b, items[i].item.title);
	}
	if (strcmp(b.data, titles) != 0)
		fail_msg(
		    "output %s: \"%s\", want \"%s\"", output, b.data, titles);
	buf_free(&b);
	store_items_free(items, n);
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
	    {"japan", fx->japan},
	    {"all", fx->everything},
	    {"nojapan", fx->nojapan},
	    {"nofilter", NULL},
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
	struct ingest_output outs[] = {{"japan", fx->japan}};
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
	    {"news", fx->japan},
	    {"all", fx->everything},
	    {"keep", fx->everything},
	};
	struct ingest_output redo[] = {
	    {"news", fx->korea},
	    {"all", fx->everything},
	};
	struct ingest_result r;
	struct store_item *got;
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

	assert_int_equal(store_output_items(fx->s, "news", n, &got, &ngot), 0);
	assert_int_equal(ngot, n - nkorean);
	store_items_free(got, ngot);

	/* news now wants korea. */
	assert_int_equal(ingest_refilter(fx->s, redo, nitems(redo), &cause), 0);
	assert_null(cause);
	assert_int_equal(store_output_items(fx->s, "news", n, &got, &ngot), 0);
	assert_int_equal(ngot, nkorean);
	for (size_t i = 0, want = 0; i < ngot; i++, want++) {
		while (!KOREAN(want))
			want++;
		assert_string_equal(got[i].item.title, text[want]);
	}
	store_items_free(got, ngot);
	assert_int_equal(store_output_items(fx->s, "all", n, &got, &ngot), 0);
	assert_int_equal(ngot, n);
	store_items_free(got, ngot);

	/* Items of feeds inactive during a refilter are in it when they return. */
	{
		char *only_b[] = {"b"};

		assert_int_equal(store_feeds_sync(fx->s, only_b, 1), 0);
		assert_int_equal(ingest_refilter(fx->s, redo, 1, &cause), 0);
		assert_int_equal(
		    store_feeds_sync(fx->s, (char *[]){"a", "b"}, 2), 0);
		assert_int_equal(
		    store_output_items(fx->s, "news", n, &got, &ngot), 0);
		assert_int_equal(ngot, nkorean);
		store_items_free(got, ngot);
	}
	/* An output not refiltered keeps its items. */
	assert_int_equal(store_output_items(fx->s, "keep", n, &got, &ngot), 0);
	assert_int_equal(ngot, n);
	store_items_free(got, ngot);

	for (size_t i = 0; i < n; i++)
		free(text[i]);
	free(text);
	free(items);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_ingest_feed, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_ingest_errors, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_refilter, setup, teardown),
	};

	log_init("test_ingest", LOG_LEVEL_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
