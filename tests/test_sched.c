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

/* 1970-01-05 00:00:00 UTC, a Monday. */
#define T ((int64_t)4 * 86400)

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
	r.s = sched_new(base, 10, 2, record, &r);
	sched_add(r.s, "c", NULL, now - 1);
	sched_add(r.s, "a", NULL, now - 3);
	sched_add(r.s, "b", NULL, now - 2);
	sched_add(r.s, "later", NULL, now + 3600);
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
	r.s = sched_new(base, 100, 2, record, &r);
	for (size_t i = 0; i < nitems(names); i++)
		sched_add(r.s, names[i], NULL, now);
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
	r.s = sched_new(base, 2, 2, record, &r);
	sched_add(r.s, "a", NULL, now);
	sched_add(r.s, "b", NULL, now);
	sched_add(r.s, "c", NULL, now);
	sched_add(r.s, "d", NULL, now);
	spin(base);
	assert_int_equal(r.n, 2);
	assert_int_equal(sched_running(r.s), 2);
	/* One ends: exactly one more starts, at once. */
	sched_done(r.s, "a", now + 3600);
	assert_int_equal(r.n, 3);
	assert_string_equal(r.names[2], "c");
	assert_int_equal(sched_due(r.s, "a"), now + 3600);
	sched_set_limits(r.s, 5, 2);
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
	r.s = sched_new(base, 1, 2, record, &r);
	r.finish_at_once = 1;
	sched_add(r.s, "a", NULL, now);
	sched_add(r.s, "b", NULL, now);
	sched_add(r.s, "c", NULL, now);
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
	r.s = sched_new(base, 1, 2, record, &r);
	sched_add(r.s, "a", NULL, now);
	sched_add(r.s, "b", NULL, now);
	sched_add(r.s, "c", NULL, now);
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
	sched_add(r.s, "x", NULL, now + 100);
	sched_add(r.s, "x", NULL, now + 50);
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
	r.s = sched_new(base, 4, 2, record, &r);
	sched_add(r.s, "soon", NULL, now_unix() + 1);
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
	r.s = sched_new(base, 1, 2, record, &r);
	/* Waiting jobs in reverse due order; the earliest must come out first. */
	for (int i = 2000; i > 0; i--) {
		snprintf(key, sizeof key, "feed%d", i);
		sched_add(r.s, key, NULL, now - 10000 + i);
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

static void
test_per_host_limit(void **state)
{
	struct event_base *base = event_base_new();
	struct runs r = { 0 };
	int64_t now = now_unix();

	(void)state;
	r.s = sched_new(base, 10, 2, record, &r);
	sched_add(r.s, "h1", "a.example", now - 5);
	sched_add(r.s, "h2", "a.example", now - 4);
	sched_add(r.s, "h3", "a.example", now - 3);
	sched_add(r.s, "h4", "a.example", now - 2);
	sched_add(r.s, "o1", "b.example", now - 1);
	sched_add(r.s, "n1", NULL, now);
	sched_add(r.s, "n2", NULL, now);
	spin(base);
	/* Two of a.example; the others pass the blocked ones. */
	assert_int_equal(r.n, 5);
	assert_string_equal(r.names[0], "h1");
	assert_string_equal(r.names[1], "h2");
	assert_string_equal(r.names[2], "o1");
	assert_string_equal(r.names[3], "n1");
	assert_string_equal(r.names[4], "n2");
	assert_int_equal(sched_due(r.s, "h3"), now - 3);
	/* A slot of a.example frees: the longest waiting goes. */
	sched_done(r.s, "h2", now + 3600);
	spin(base);
	assert_int_equal(r.n, 6);
	assert_string_equal(r.names[5], "h3");
	/* Removing a blocked job leaves none behind. */
	sched_remove(r.s, "h4");
	sched_done(r.s, "h1", now + 3600);
	spin(base);
	assert_int_equal(r.n, 6);
	/* A raised limit lets blocked ones go at once. */
	sched_add(r.s, "h5", "a.example", now);
	sched_add(r.s, "h6", "a.example", now);
	spin(base);
	assert_int_equal(r.n, 7);
	sched_set_limits(r.s, 10, 3);
	spin(base);
	assert_int_equal(r.n, 8);
	assert_string_equal(r.names[7], "h6");
	/* Moving a running job to another host moves its slot. */
	sched_add(r.s, "h5", "c.example", now + 10);
	sched_add(r.s, "h7", "a.example", now);
	spin(base);
	assert_int_equal(r.n, 9);
	assert_string_equal(r.names[8], "h7");
	sched_free(r.s);
	event_base_free(base);
}

static void
test_hold(void **state)
{
	struct event_base *base = event_base_new();
	struct runs r = { 0 };
	int64_t now = now_unix();

	(void)state;
	r.s = sched_new(base, 10, 2, record, &r);
	sched_hold(r.s, "a.example", now + 3600);
	sched_add(r.s, "a1", "a.example", now);
	sched_add(r.s, "b1", "b.example", now);
	spin(base);
	assert_int_equal(r.n, 1);
	assert_string_equal(r.names[0], "b1");
	/* Held jobs wait until the hold ends. */
	assert_int_equal(sched_due(r.s, "a1"), now + 3600);
	/* An earlier hold does not shorten it. */
	sched_hold(r.s, "a.example", now + 60);
	sched_add(r.s, "a2", "a.example", now);
	spin(base);
	assert_int_equal(r.n, 1);
	assert_int_equal(sched_due(r.s, "a2"), now + 3600);
	/* A hold that has passed holds nothing. */
	sched_hold(r.s, "c.example", now - 10);
	sched_add(r.s, "c1", "c.example", now);
	spin(base);
	assert_int_equal(r.n, 2);
	sched_free(r.s);
	event_base_free(base);
}

static void
test_next(void **state)
{
	static const struct {
		const char *what;
		struct sched_poll poll;
		uint32_t rnd;
		int64_t want;	/* seconds after T */
	} cases[] = {
	    {"interval", {.interval = 900}, 0, 900},
	    {"jitter adds up to 10%", {.interval = 900}, UINT32_MAX, 989},
	    {"half jitter", {.interval = 1000}, 1U << 31, 1050},
	    {"min_interval floor", {.interval = 10}, 0, 60},
	    {"first failure: interval", {.interval = 900, .failures = 1}, 0,
		900},
	    {"second doubles", {.interval = 900, .failures = 2}, 0, 1800},
	    {"fifth", {.interval = 900, .failures = 5}, 0, 14400},
	    {"capped at max_backoff", {.interval = 900, .failures = 9}, 0,
		86400},
	    {"huge failures", {.interval = 900, .failures = INT64_MAX}, 0,
		86400},
	    {"interval above max_backoff", {.interval = 2 * 86400,
		.failures = 3}, 0, 2 * 86400},
	    {"ttl stretches", {.interval = 900, .ttl = 3600}, 0, 3600},
	    {"ttl shorter: interval", {.interval = 900, .ttl = 60}, 0, 900},
	    {"ttl capped", {.interval = 900, .ttl = 30 * 86400}, 0, 86400},
	    {"ttl not on failure", {.interval = 900, .ttl = 3600,
		.failures = 1}, 0, 900},
	    {"Retry-After", {.interval = 900, .failures = 1,
		.retry_after = T + 7200}, 0, 7200},
	    {"Retry-After sooner: interval", {.interval = 900, .failures = 1,
		.retry_after = T + 5}, 0, 900},
	    {"Retry-After capped", {.interval = 900, .failures = 1,
		.retry_after = T + 99 * 86400}, 0, 86400},
	    {"max-age", {.interval = 900, .fresh_until = T + 1200}, 0, 1200},
	    {"max-age sooner", {.interval = 900, .fresh_until = T + 10}, 0,
		900},
	    /* T is 1970-01-05 00:00 UTC, a Monday, 15 min to be added. */
	    {"skipped hour", {.interval = 900, .skip_hours = 1U << 0}, 0,
		3600},
	    {"skipped hours in a row", {.interval = 900,
		.skip_hours = 0x7}, 0, 3 * 3600},
	    {"skipped day", {.interval = 900, .skip_days = 1U << 1}, 0,
		86400},
	    {"skipped day and hour", {.interval = 900, .skip_days = 1U << 1,
		.skip_hours = 1U << 0}, 0, 86400 + 3600},
	    {"everything skipped: ignored", {.interval = 900,
		.skip_days = 0x7f}, 0, 900},
	};
	const struct sched_policy p = { .min_interval = 60,
	    .max_backoff = 86400 };

	(void)state;
	for (size_t i = 0; i < nitems(cases); i++) {
		int64_t t = sched_next(&p, &cases[i].poll, T, cases[i].rnd);

		if (t != T + cases[i].want)
			fail_msg("%s: +%jd, want +%jd", cases[i].what,
			    (intmax_t)(t - T), (intmax_t)cases[i].want);
	}
}

static void
test_first(void **state)
{
	int64_t now = 1700000000, t, lo = INT64_MAX, hi = 0;

	(void)state;
	assert_int_equal(sched_first(0, now, 60, 12345), now);
	assert_int_equal(sched_first(now + 100, now, 60, 12345), now + 100);
	assert_int_equal(sched_first(now - 100, now, 0, 12345), now);
	assert_int_equal(sched_first(now - 100, now, 60, 0), now);
	assert_int_equal(sched_first(now - 100, now, 60, UINT32_MAX), now + 60);
	/* Overdue feeds land all over the window. */
	for (int i = 0; i < 1000; i++) {
		t = sched_first(now - 5, now, 60, sched_random());
		assert_true(t >= now && t <= now + 60);
		lo = t < lo ? t : lo;
		hi = t > hi ? t : hi;
	}
	assert_true(lo <= now + 5 && hi >= now + 55);
}

/* 10,000 feeds: adding, running, finishing and removing stay cheap. */
static void
test_ten_thousand(void **state)
{
	struct event_base *base = event_base_new();
	struct runs r = { 0 };
	int64_t now = now_unix(), t0;
	char key[32], host[32];

	(void)state;
	r.s = sched_new(base, 16, 2, record, &r);
	t0 = now_mono_ms();
	for (int i = 0; i < 10000; i++) {
		snprintf(key, sizeof key, "feed%d", i);
		snprintf(host, sizeof host, "h%d.example", i % 500);
		sched_add(r.s, key, host, now + 10 + i % 600);
	}
	for (int i = 0; i < 10000; i += 2) {
		snprintf(key, sizeof key, "feed%d", i);
		assert_true(sched_has(r.s, key));
		sched_add(r.s, key, NULL, now + 3600);
	}
	for (int i = 1; i < 10000; i += 4) {
		snprintf(key, sizeof key, "feed%d", i);
		sched_remove(r.s, key);
	}
	assert_int_equal(sched_count(r.s), 7500);
	assert_int_equal(r.n, 0);
	/* Well under a second even under the sanitizers. */
	assert_true(now_mono_ms() - t0 < 2000);
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
		cmocka_unit_test(test_per_host_limit),
		cmocka_unit_test(test_hold),
		cmocka_unit_test(test_next),
		cmocka_unit_test(test_first),
		cmocka_unit_test(test_ten_thousand),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
