/*
 * sched: when each feed is due. Jobs wait in one queue ordered by due time
 * with a single timer armed on the head; a global limit caps how many run at
 * once, and a per-host limit how many of one host do. A host can be held
 * (Retry-After): none of its jobs starts before the hold ends. It starts
 * nothing itself: it calls back the owner with the job's key.
 *
 * sched_next is the politeness policy: when a feed is polled next after a
 * poll, from its interval, its failures and what the server and the feed
 * said.
 */
#ifndef FEEDMUX_SCHED_H
#define FEEDMUX_SCHED_H

#include <stddef.h>
#include <stdint.h>

struct event_base;
struct sched;

/* The job is due and may run now; the owner calls sched_done when it ends. */
typedef void (*sched_run_cb)(const char *key, void *arg);

struct sched *sched_new(struct event_base *, int concurrency, int per_host,
    sched_run_cb, void *arg);
void sched_free(struct sched *);
/* Limits below 1 count as 1. */
void sched_set_limits(struct sched *, int concurrency, int per_host);

/*
 * Adds a job due at a unix time (now or earlier: at once), or moves a
 * waiting one. host names whose limit and hold it counts against; NULL
 * gives it a host of its own. A running job keeps its slot: its due time
 * and host are what sched_done and a later sched_add say.
 */
void sched_add(struct sched *, const char *key, const char *host, int64_t due);
/* Forgets a job, waiting or running (a running one's sched_done is then ignored). */
void sched_remove(struct sched *, const char *key);
/* A running job ended; it waits again until next (unix time). */
void sched_done(struct sched *, const char *key, int64_t next);
/* No job of host starts before until (unix time); a later hold wins. */
void sched_hold(struct sched *, const char *host, int64_t until);
/* 1 if the job is known (waiting or running). */
int sched_has(const struct sched *, const char *key);
/* Jobs running now. */
size_t sched_running(const struct sched *);
/* Jobs known, waiting or running. */
size_t sched_count(const struct sched *);
/* When a job is due next; 0 if it is running or unknown. */
int64_t sched_due(const struct sched *, const char *key);

/* A uniformly random 32-bit number, for jitter (not for secrets). */
uint32_t sched_random(void);

struct sched_policy {
	int64_t min_interval;	/* nothing polls sooner */
	int64_t max_backoff;	/* nothing waits longer, unless the interval does */
};

/* What one poll of a feed said about the next; 0 in a member: nothing. */
struct sched_poll {
	int64_t interval;	/* the feed's, from the config */
	int64_t failures;	/* failed polls in a row, this one included */
	int64_t retry_after;	/* unix time: Retry-After */
	int64_t fresh_until;	/* unix time: Cache-Control max-age, Expires */
	int64_t ttl;		/* seconds: RSS ttl, sy:updatePeriod/Frequency */
	uint32_t skip_hours;	/* bit h: no poll in hour h UTC (RSS skipHours) */
	uint8_t skip_days;	/* bit d: no poll on day d UTC, 0 Sunday */
};

/*
 * When to poll next, as a unix time. The interval (never below
 * min_interval), or after failures the interval doubled for each one after
 * the first, up to max_backoff; a longer ttl stretches it; then 0 to 10% of
 * jitter from rnd (sched_random), so that feeds of one interval drift apart.
 * Retry-After and freshness put it off further, but not past max_backoff
 * (or the interval, if longer); skipped hours and days are then stepped over.
 */
int64_t sched_next(const struct sched_policy *, const struct sched_poll *,
    int64_t now, uint32_t rnd);

/*
 * When to poll first after a start: a saved time still ahead is kept; a
 * feed never polled goes at once; overdue ones are spread over the next
 * window seconds, so that a restart does not fire them all together.
 */
int64_t sched_first(int64_t saved, int64_t now, int64_t window, uint32_t rnd);

#endif
