#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "sched.h"
#include "util.h"

/* What the scheduler asked to run, in order. */
struct runs {
	struct sched *s;
	char names[64][16];
	size_t n;
	int finish_at_once;	/* call sched_done from inside the callback */
};

static void
record(const char *key, void *arg)
{
	struct runs *r = arg;

	assert_true(r->n < 64);
	snprintf(r->names[r->n++], sizeof r->names[0], "%s", key);
	if (r->finish_at_once)
		sched_done(r->s, key, now_unix() + 3600);
}

/* Runs the loop until nothing is ready (timers of 0 s included). */
static void
spin(struct event_base *base)
{
	for (int i = 0; i < 10; i++)
		event_base_loop(base, EVLOOP_NONBLOCK);
}

static void
test_due_jobs_run_in_due_order(void **state)
{
	struct event_base *base = event_base_new();
	struct runs r = { 0 };
	int64_t now = now_unix();

	(void)state;
	r.s = sched_new(base, 10, record, &r);
	sched_add(r.s, "c", now - 1);
	sched_add(r.s, "a", now - 3);
	sched_add(r.s, "b", now - 2);
	sched_add(r.s, "later", now + 3600);
	/* Nothing runs from inside sched_add. */
	assert_int_equal(r.n, 0);
	spin(base);
	assert_int_equal(r.n, 3);
	assert_string_equal(r.names[0], "a");
	assert_string_equal(r.names[1], "b");
	assert_string_equal(r.names[2], "c");
	assert_int_equal(sched_running(r.s), 3);
	assert_int_equal(sched_count(r.s), 4);
	assert_int_equal(sched_due(r.s, "later"), now + 3600);
	assert_int_equal(sched_due(r.s, "a"), 0);	/* running */
	sched_free(r.s);
	event_base_free(base);
}

static void
test_same_time_keeps_insertion_order(void **state)
{
	struct event_base *base = event_base_new();
	struct runs r = { 0 };
	int64_t now = now_unix();
	const char *names[] = { "f1", "f2", "f3", "f4", "f5", "f6", "f7", "f8" };

	(void)state;
	r.s = sched_new(base, 100, record, &r);
	for (size_t i = 0; i < nitems(names); i++)
		sched_add(r.s, names[i], now);
	spin(base);
	assert_int_equal(r.n, nitems(names));
	for (size_t i = 0; i < nitems(names); i++)
		assert_string_equal(r.names[i], names[i]);
	sched_free(r.s);
	event_base_free(base);
}

static void
test_concurrency_limit(void **state)
{
	struct event_base *base = event_base_new();
	struct runs r = { 0 };
	int64_t now = now_unix();

	(void)state;
	r.s = sched_new(base, 2, record, &r);
	sched_add(r.s, "a", now);
	sched_add(r.s, "b", now);
	sched_add(r.s, "c", now);
	sched_add(r.s, "d", now);
	spin(base);
	assert_int_equal(r.n, 2);
	assert_int_equal(sched_running(r.s), 2);
	/* One ends: exactly one more starts, at once. */
	sched_done(r.s, "a", now + 3600);
	assert_int_equal(r.n, 3);
	assert_string_equal(r.names[2], "c");
	assert_int_equal(sched_due(r.s, "a"), now + 3600);
	sched_set_concurrency(r.s, 5);
	spin(base);
	assert_int_equal(r.n, 4);
	assert_string_equal(r.names[3], "d");
	sched_free(r.s);
	event_base_free(base);
}

static void
test_done_from_callback(void **state)
{
	struct event_base *base = event_base_new();
	struct runs r = { 0 };
	int64_t now = now_unix();

	(void)state;
	r.s = sched_new(base, 1, record, &r);
	r.finish_at_once = 1;
	sched_add(r.s, "a", now);
	sched_add(r.s, "b", now);
	sched_add(r.s, "c", now);
	spin(base);
	/* Each finishes inside its callback; with one slot all three still ran once. */
	assert_int_equal(r.n, 3);
	assert_int_equal(sched_running(r.s), 0);
	assert_int_equal(sched_due(r.s, "c"), now + 3600);
	sched_free(r.s);
	event_base_free(base);
}

static void
test_remove_and_readd(void **state)
{
	struct event_base *base = event_base_new();
	struct runs r = { 0 };
	int64_t now = now_unix();

	(void)state;
	r.s = sched_new(base, 1, record, &r);
	sched_add(r.s, "a", now);
	sched_add(r.s, "b", now);
	sched_add(r.s, "c", now);
	sched_remove(r.s, "b");
	assert_false(sched_has(r.s, "b"));
	spin(base);
	assert_int_equal(r.n, 1);
	assert_string_equal(r.names[0], "a");
	/* Removing a running job frees its slot; a late sched_done is ignored. */
	sched_remove(r.s, "a");
	spin(base);
	assert_int_equal(r.n, 2);
	assert_string_equal(r.names[1], "c");
	sched_done(r.s, "a", now);
	assert_false(sched_has(r.s, "a"));
	/* Re-adding a waiting job moves it. */
	sched_add(r.s, "x", now + 100);
	sched_add(r.s, "x", now + 50);
	assert_int_equal(sched_due(r.s, "x"), now + 50);
	assert_int_equal(sched_count(r.s), 2);
	sched_free(r.s);
	event_base_free(base);
}

static void
test_timer_fires_when_due(void **state)
{
	struct event_base *base = event_base_new();
	struct runs r = { 0 };

	(void)state;
	r.s = sched_new(base, 4, record, &r);
	sched_add(r.s, "soon", now_unix() + 1);
	spin(base);
	assert_int_equal(r.n, 0);
	/* One blocking pass: the single timer wakes the loop about a second later. */
	event_base_loop(base, EVLOOP_ONCE);
	assert_int_equal(r.n, 1);
	assert_string_equal(r.names[0], "soon");
	sched_free(r.s);
	event_base_free(base);
}

static void
test_many_jobs(void **state)
{
	struct event_base *base = event_base_new();
	struct runs r = { 0 };
	int64_t now = now_unix();
	char key[32];

	(void)state;
	r.s = sched_new(base, 1, record, &r);
	/* Waiting jobs in reverse due order; the earliest must come out first. */
	for (int i = 2000; i > 0; i--) {
		snprintf(key, sizeof key, "feed%d", i);
		sched_add(r.s, key, now - 10000 + i);
	}
	spin(base);
	assert_int_equal(r.n, 1);
	assert_string_equal(r.names[0], "feed1");
	for (int i = 1; i < 10; i++) {
		snprintf(key, sizeof key, "feed%d", i);
		sched_done(r.s, key, now + 3600);
		snprintf(key, sizeof key, "feed%d", i + 1);
		assert_string_equal(r.names[i], key);
	}
	assert_int_equal(sched_count(r.s), 2000);
	sched_free(r.s);
	event_base_free(base);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_due_jobs_run_in_due_order),
		cmocka_unit_test(test_same_time_keeps_insertion_order),
		cmocka_unit_test(test_concurrency_limit),
		cmocka_unit_test(test_done_from_callback),
		cmocka_unit_test(test_remove_and_readd),
		cmocka_unit_test(test_timer_fires_when_due),
		cmocka_unit_test(test_many_jobs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
