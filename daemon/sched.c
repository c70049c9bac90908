#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "log.h"
#include "sched.h"
#include "util.h"

/*
 * Jobs live in an array; the waiting ones are also in a binary min-heap of
 * indices ordered by (due, seq), so that jobs due at the same second run in
 * the order they were added. A job's heap position is kept in the job so
 * that removal and rescheduling are O(log n).
 */
struct sched_job {
	char *key;
	int64_t due;
	uint64_t seq;
	size_t heappos;		/* SIZE_MAX when not waiting */
	int running;
};

struct sched {
	struct event_base *base;
	struct event *timer;
	sched_run_cb cb;
	void *arg;
	int concurrency;
	size_t nrunning;

	struct sched_job **jobs;	/* every job, unordered */
	size_t njobs;
	struct sched_job **heap;	/* waiting jobs */
	size_t nheap;
	uint64_t seq;
	int in_dispatch;
};

#define NOT_WAITING SIZE_MAX

static void sched_arm(struct sched *);

static int
job_before(const struct sched_job *a, const struct sched_job *b)
{
	if (a->due != b->due)
		return a->due < b->due;
	return a->seq < b->seq;
}

static void
heap_swap(struct sched *s, size_t i, size_t j)
{
	struct sched_job *t = s->heap[i];

	s->heap[i] = s->heap[j];
	s->heap[j] = t;
	s->heap[i]->heappos = i;
	s->heap[j]->heappos = j;
}

static void
heap_up(struct sched *s, size_t i)
{
	while (i > 0 && job_before(s->heap[i], s->heap[(i - 1) / 2])) {
		heap_swap(s, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

static void
heap_down(struct sched *s, size_t i)
{
	size_t l, r, m;

	for (;;) {
		l = 2 * i + 1;
		r = l + 1;
		m = i;
		if (l < s->nheap && job_before(s->heap[l], s->heap[m]))
			m = l;
		if (r < s->nheap && job_before(s->heap[r], s->heap[m]))
			m = r;
		if (m == i)
			return;
		heap_swap(s, i, m);
		i = m;
	}
}

static void
heap_push(struct sched *s, struct sched_job *j)
{
	s->heap = xreallocarray(s->heap, s->nheap + 1, sizeof *s->heap);
	j->heappos = s->nheap;
	s->heap[s->nheap++] = j;
	heap_up(s, j->heappos);
}

static void
heap_remove(struct sched *s, struct sched_job *j)
{
	size_t i = j->heappos;

	if (i == NOT_WAITING)
		return;
	s->nheap--;
	if (i != s->nheap) {
		s->heap[i] = s->heap[s->nheap];
		s->heap[i]->heappos = i;
		heap_down(s, i);
		heap_up(s, i);
	}
	j->heappos = NOT_WAITING;
}

static struct sched_job *
sched_find(const struct sched *s, const char *key, size_t *idx)
{
	for (size_t i = 0; i < s->njobs; i++) {
		if (strcmp(s->jobs[i]->key, key) == 0) {
			if (idx != NULL)
				*idx = i;
			return s->jobs[i];
		}
	}
	return NULL;
}

/* Runs every due job that the concurrency limit lets through. */
static void
sched_dispatch(struct sched *s)
{
	struct sched_job *j;
	int64_t now = now_unix_ms();

	/* A callback may call back in (sched_done of a job that failed at once). */
	if (s->in_dispatch)
		return;
	s->in_dispatch = 1;
	while (s->nheap > 0 && s->nrunning < (size_t)s->concurrency) {
		j = s->heap[0];
		if (j->due * 1000 > now)
			break;
		heap_remove(s, j);
		j->running = 1;
		s->nrunning++;
		s->cb(j->key, s->arg);
	}
	s->in_dispatch = 0;
	sched_arm(s);
}

static void
sched_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	sched_dispatch(arg);
}

/* One timer, on the earliest waiting job, and only if a slot is free. */
static void
sched_arm(struct sched *s)
{
	struct timeval tv;
	int64_t wait;

	evtimer_del(s->timer);
	if (s->nheap == 0 || s->nrunning >= (size_t)s->concurrency)
		return;
	/*
	 * In milliseconds, with a margin: libevent's timers follow the
	 * monotonic clock, due times the real-time one.
	 */
	wait = s->heap[0]->due * 1000 - now_unix_ms();
	if (wait < 0)
		wait = 0;
	else
		wait += 10;
	tv.tv_sec = (time_t)(wait / 1000);
	tv.tv_usec = (suseconds_t)(wait % 1000) * 1000;
	evtimer_add(s->timer, &tv);
}

struct sched *
sched_new(struct event_base *base, int concurrency, sched_run_cb cb, void *arg)
{
	struct sched *s;

	s = xcalloc(1, sizeof *s);
	s->base = base;
	s->cb = cb;
	s->arg = arg;
	s->concurrency = concurrency > 0 ? concurrency : 1;
	if ((s->timer = evtimer_new(base, sched_timer_cb, s)) == NULL)
		fatalx("evtimer_new failed");
	event_priority_set(s->timer, EVPRIO_POLL);
	return s;
}

void
sched_free(struct sched *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->njobs; i++) {
		free(s->jobs[i]->key);
		free(s->jobs[i]);
	}
	free(s->jobs);
	free(s->heap);
	event_free(s->timer);
	free(s);
}

void
sched_set_concurrency(struct sched *s, int concurrency)
{
	s->concurrency = concurrency > 0 ? concurrency : 1;
	sched_arm(s);
}

void
sched_add(struct sched *s, const char *key, int64_t due)
{
	struct sched_job *j;

	if ((j = sched_find(s, key, NULL)) == NULL) {
		j = xcalloc(1, sizeof *j);
		j->key = xstrdup(key);
		j->heappos = NOT_WAITING;
		s->jobs = xreallocarray(s->jobs, s->njobs + 1, sizeof *s->jobs);
		s->jobs[s->njobs++] = j;
	}
	if (j->running)
		return;	/* sched_done decides when it runs next */
	heap_remove(s, j);
	j->due = due;
	j->seq = s->seq++;
	heap_push(s, j);
	sched_arm(s);
}

void
sched_remove(struct sched *s, const char *key)
{
	struct sched_job *j;
	size_t idx;

	if ((j = sched_find(s, key, &idx)) == NULL)
		return;
	heap_remove(s, j);
	if (j->running)
		s->nrunning--;
	s->jobs[idx] = s->jobs[--s->njobs];
	free(j->key);
	free(j);
	sched_arm(s);
}

void
sched_done(struct sched *s, const char *key, int64_t next)
{
	struct sched_job *j;

	if ((j = sched_find(s, key, NULL)) == NULL || !j->running)
		return;
	j->running = 0;
	s->nrunning--;
	j->due = next;
	j->seq = s->seq++;
	heap_push(s, j);
	/* A slot is free: other due jobs may go now. */
	sched_dispatch(s);
}

int
sched_has(const struct sched *s, const char *key)
{
	return sched_find(s, key, NULL) != NULL;
}

size_t
sched_running(const struct sched *s)
{
	return s->nrunning;
}

size_t
sched_count(const struct sched *s)
{
	return s->njobs;
}

int64_t
sched_due(const struct sched *s, const char *key)
{
	struct sched_job *j;

	if ((j = sched_find(s, key, NULL)) == NULL || j->running)
		return 0;
	return j->due;
}
