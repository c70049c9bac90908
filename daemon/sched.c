#include <sys/queue.h>

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "log.h"
#include "sched.h"
#include "util.h"

/*
 * Jobs are found by key in a hash table; the waiting ones are also in a
 * binary min-heap ordered by (due, seq), so that jobs due at the same second
 * run in the order they were added. A job's heap position is kept in the job
 * so that removal and rescheduling are O(log n). A job that is due while its
 * host is at its limit waits on that host's list, in due order, and goes
 * back to the heap when one of the host's jobs ends.
 */
enum job_state {
	JOB_IDLE,	/* new: in no queue yet */
	JOB_WAITING,	/* in the heap */
	JOB_BLOCKED,	/* due, on its host's list */
	JOB_RUNNING,
};

struct sched_host {
	char *name;
	struct sched_host *next;	/* in its hash bucket */
	size_t refs;			/* jobs naming it */
	int running;
	int64_t hold;			/* no start before; 0: none */
	TAILQ_HEAD(, sched_job) blocked;
};

struct sched_job {
	char *key;
	struct sched_job *next;		/* in its hash bucket */
	struct sched_host *host;
	int64_t due;
	uint64_t seq;
	size_t heappos;
	enum job_state state;
	TAILQ_ENTRY(sched_job) entry;	/* on host->blocked */
};

struct sched {
	struct event_base *base;
	struct event *timer;
	sched_run_cb cb;
	void *arg;
	int concurrency;
	int per_host;
	size_t nrunning;

	struct sched_job **buckets;	/* every job, by key */
	size_t nbuckets;		/* a power of two */
	size_t njobs;
	struct sched_host **hbuckets;	/* hosts, by name */
	size_t nhbuckets;
	size_t nhosts;
	struct sched_job **heap;	/* waiting jobs */
	size_t nheap;
	size_t heapsize;
	uint64_t seq;
	int in_dispatch;
};

static void sched_arm(struct sched *);

/* FNV-1a: short keys, no adversary (the names come from the config). */
static size_t
hash_str(const char *s)
{
	uint64_t h = 14695981039346656037ULL;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return (size_t)(h ^ (h >> 32));
}

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
	if (s->nheap == s->heapsize) {
		s->heapsize = s->heapsize == 0 ? 64 : s->heapsize * 2;
		s->heap = xreallocarray(s->heap, s->heapsize, sizeof *s->heap);
	}
	j->heappos = s->nheap;
	j->state = JOB_WAITING;
	s->heap[s->nheap++] = j;
	heap_up(s, j->heappos);
}

static void
heap_remove(struct sched *s, struct sched_job *j)
{
	size_t i = j->heappos;

	s->nheap--;
	if (i != s->nheap) {
		s->heap[i] = s->heap[s->nheap];
		s->heap[i]->heappos = i;
		heap_down(s, i);
		heap_up(s, i);
	}
}

/* Takes a job out of whichever queue it waits in. */
static void
job_unqueue(struct sched *s, struct sched_job *j)
{
	if (j->state == JOB_WAITING)
		heap_remove(s, j);
	else if (j->state == JOB_BLOCKED)
		TAILQ_REMOVE(&j->host->blocked, j, entry);
}

static struct sched_job **
job_slot(const struct sched *s, const char *key)
{
	struct sched_job **jp;

	jp = &s->buckets[hash_str(key) & (s->nbuckets - 1)];
	while (*jp != NULL && strcmp((*jp)->key, key) != 0)
		jp = &(*jp)->next;
	return jp;
}

static struct sched_job *
job_find(const struct sched *s, const char *key)
{
	return *job_slot(s, key);
}

/* Doubles the table of jobs or of hosts. */
static void
table_grow(struct sched *s, int hosts)
{
	size_t n = (hosts ? s->nhbuckets : s->nbuckets) * 2, i, h;

	if (hosts) {
		struct sched_host **nb = xcalloc(n, sizeof *nb), *x, *nx;

		for (i = 0; i < s->nhbuckets; i++) {
			for (x = s->hbuckets[i]; x != NULL; x = nx) {
				nx = x->next;
				h = hash_str(x->name) & (n - 1);
				x->next = nb[h];
				nb[h] = x;
			}
		}
		free(s->hbuckets);
		s->hbuckets = nb;
		s->nhbuckets = n;
	} else {
		struct sched_job **nb = xcalloc(n, sizeof *nb), *x, *nx;

		for (i = 0; i < s->nbuckets; i++) {
			for (x = s->buckets[i]; x != NULL; x = nx) {
				nx = x->next;
				h = hash_str(x->key) & (n - 1);
				x->next = nb[h];
				nb[h] = x;
			}
		}
		free(s->buckets);
		s->buckets = nb;
		s->nbuckets = n;
	}
}

static struct sched_host *
host_get(struct sched *s, const char *name)
{
	struct sched_host **hp, *h;

	hp = &s->hbuckets[hash_str(name) & (s->nhbuckets - 1)];
	for (h = *hp; h != NULL; h = h->next)
		if (strcmp(h->name, name) == 0)
			return h;
	h = xcalloc(1, sizeof *h);
	h->name = xstrdup(name);
	TAILQ_INIT(&h->blocked);
	h->next = *hp;
	*hp = h;
	if (++s->nhosts > s->nhbuckets)
		table_grow(s, 1);
	return h;
}

static void
host_unref(struct sched *s, struct sched_host *h)
{
	struct sched_host **hp;

	if (--h->refs > 0 || h->running > 0)
		return;
	/* A hold outlives the host's last job: it may come back. */
	if (h->hold > now_unix())
		return;
	hp = &s->hbuckets[hash_str(h->name) & (s->nhbuckets - 1)];
	while (*hp != h)
		hp = &(*hp)->next;
	*hp = h->next;
	s->nhosts--;
	free(h->name);
	free(h);
}

/* A job without a host of its own gets one named by its key, apart. */
static void
job_set_host(struct sched *s, struct sched_job *j, const char *host)
{
	struct sched_host *h;
	char *own = NULL;

	if (host == NULL) {
		/* '\n' cannot start a host name: no clash with real ones. */
		xasprintf(&own, "\n%s", j->key);
		host = own;
	}
	if (j->host != NULL && strcmp(j->host->name, host) == 0) {
		free(own);
		return;
	}
	h = host_get(s, host);
	free(own);
	h->refs++;
	if (j->host != NULL) {
		/* Running: the slot moves with it. */
		if (j->state == JOB_RUNNING) {
			j->host->running--;
			h->running++;
		}
		host_unref(s, j->host);
	}
	j->host = h;
}

/* A slot of host h came free: its longest-blocked job may try again. */
static void
host_release(struct sched *s, struct sched_host *h)
{
	struct sched_job *j;

	if ((j = TAILQ_FIRST(&h->blocked)) != NULL) {
		TAILQ_REMOVE(&h->blocked, j, entry);
		heap_push(s, j);
	}
}

/* Runs every due job that the limits let through. */
static void
sched_dispatch(struct sched *s)
{
	struct sched_job *j;
	struct sched_host *h;
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
		h = j->host;
		if (h->hold * 1000 > now) {
			j->due = h->hold;
			heap_push(s, j);
			continue;
		}
		if (h->running >= s->per_host) {
			j->state = JOB_BLOCKED;
			TAILQ_INSERT_TAIL(&h->blocked, j, entry);
			continue;
		}
		j->state = JOB_RUNNING;
		h->running++;
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
sched_new(struct event_base *base, int concurrency, int per_host,
    sched_run_cb cb, void *arg)
{
	struct sched *s;

	s = xcalloc(1, sizeof *s);
	s->base = base;
	s->cb = cb;
	s->arg = arg;
	s->concurrency = concurrency > 0 ? concurrency : 1;
	s->per_host = per_host > 0 ? per_host : 1;
	s->nbuckets = 64;
	s->buckets = xcalloc(s->nbuckets, sizeof *s->buckets);
	s->nhbuckets = 16;
	s->hbuckets = xcalloc(s->nhbuckets, sizeof *s->hbuckets);
	if ((s->timer = evtimer_new(base, sched_timer_cb, s)) == NULL)
		fatalx("evtimer_new failed");
	event_priority_set(s->timer, EVPRIO_POLL);
	return s;
}

void
sched_free(struct sched *s)
{
	struct sched_job *j, *nj;
	struct sched_host *h, *nh;

	if (s == NULL)
		return;
	for (size_t i = 0; i < s->nbuckets; i++) {
		for (j = s->buckets[i]; j != NULL; j = nj) {
			nj = j->next;
			free(j->key);
			free(j);
		}
	}
	for (size_t i = 0; i < s->nhbuckets; i++) {
		for (h = s->hbuckets[i]; h != NULL; h = nh) {
			nh = h->next;
			free(h->name);
			free(h);
		}
	}
	free(s->buckets);
	free(s->hbuckets);
	free(s->heap);
	event_free(s->timer);
	free(s);
}

void
sched_set_limits(struct sched *s, int concurrency, int per_host)
{
	struct sched_host *h;
	int more;

	s->concurrency = concurrency > 0 ? concurrency : 1;
	more = (per_host > 0 ? per_host : 1) - s->per_host;
	s->per_host = per_host > 0 ? per_host : 1;
	/* Higher per-host limits free slots on every host at once. */
	for (size_t i = 0; more > 0 && i < s->nhbuckets; i++)
		for (h = s->hbuckets[i]; h != NULL; h = h->next)
			for (int k = 0; k < more; k++)
				host_release(s, h);
	sched_dispatch(s);
}

void
sched_add(struct sched *s, const char *key, const char *host, int64_t due)
{
	struct sched_job *j, **jp;

	jp = job_slot(s, key);
	if ((j = *jp) == NULL) {
		j = xcalloc(1, sizeof *j);
		j->key = xstrdup(key);
		j->state = JOB_IDLE;
		*jp = j;
		if (++s->njobs > s->nbuckets)
			table_grow(s, 0);
	}
	if (j->state == JOB_RUNNING) {
		/* sched_done decides when it runs next */
		job_set_host(s, j, host);
		return;
	}
	/* Out of its queue first: a blocked one is on its old host's list. */
	job_unqueue(s, j);
	job_set_host(s, j, host);
	j->due = due;
	j->seq = s->seq++;
	heap_push(s, j);
	sched_arm(s);
}

/* A running job gives back its slots. */
static void
job_stopped(struct sched *s, struct sched_job *j)
{
	j->host->running--;
	s->nrunning--;
	host_release(s, j->host);
}

void
sched_remove(struct sched *s, const char *key)
{
	struct sched_job *j, **jp;

	jp = job_slot(s, key);
	if ((j = *jp) == NULL)
		return;
	*jp = j->next;
	s->njobs--;
	if (j->state == JOB_RUNNING)
		job_stopped(s, j);
	else
		job_unqueue(s, j);
	host_unref(s, j->host);
	free(j->key);
	free(j);
	sched_dispatch(s);
}

void
sched_done(struct sched *s, const char *key, int64_t next)
{
	struct sched_job *j;

	if ((j = job_find(s, key)) == NULL || j->state != JOB_RUNNING)
		return;
	job_stopped(s, j);
	j->due = next;
	j->seq = s->seq++;
	heap_push(s, j);
	/* A slot is free: other due jobs may go now. */
	sched_dispatch(s);
}

void
sched_hold(struct sched *s, const char *host, int64_t until)
{
	struct sched_host *h = host_get(s, host);

	if (until > h->hold)
		h->hold = until;
	/* A host made here for its hold alone is kept by host_unref's test. */
	sched_arm(s);
}

int
sched_has(const struct sched *s, const char *key)
{
	return job_find(s, key) != NULL;
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

	if ((j = job_find(s, key)) == NULL || j->state == JOB_RUNNING)
		return 0;
	return j->due;
}

uint32_t
sched_random(void)
{
	static uint64_t state;
	struct timespec ts;
	uint64_t x;

	if (state == 0) {
		clock_gettime(CLOCK_REALTIME, &ts);
		state = ((uint64_t)ts.tv_sec << 32) ^ (uint64_t)ts.tv_nsec ^
		    ((uint64_t)getpid() << 16) ^ 0x9e3779b97f4a7c15ULL;
	}
	/* xorshift64* */
	x = state;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	state = x;
	return (uint32_t)((x * 0x2545f4914f6cdd1dULL) >> 32);
}

/* The first hour at or after t that is neither a skipped hour nor day. */
static int64_t
skip_forward(int64_t t, uint32_t hours, uint8_t days)
{
	int64_t u = t, hour, day;

	if ((hours & 0xffffff) == 0 && (days & 0x7f) == 0)
		return t;
	/* A week of hours covers every combination; all skipped is nonsense. */
	for (int i = 0; i < 7 * 24; i++) {
		hour = (u / 3600) % 24;
		day = (u / 86400 + 4) % 7;	/* 1970-01-01 was a Thursday */
		if (!(hours & (1U << hour)) && !(days & (1U << day)))
			return u;
		u = (u / 3600 + 1) * 3600;
	}
	return t;
}

int64_t
sched_next(const struct sched_policy *p, const struct sched_poll *poll,
    int64_t now, uint32_t rnd)
{
	int64_t base, cap, delay, next;

	base = poll->interval > p->min_interval ? poll->interval :
	    p->min_interval;
	if (base < 1)
		base = 1;
	cap = p->max_backoff > base ? p->max_backoff : base;
	delay = base;
	if (poll->failures > 1) {
		for (int64_t i = 1; i < poll->failures && delay < cap; i++)
			delay *= 2;
		if (delay > cap)
			delay = cap;
	} else if (poll->failures == 0 && poll->ttl > delay)
		delay = poll->ttl < cap ? poll->ttl : cap;
	delay += (int64_t)(((uint64_t)(delay / 10) * rnd) >> 32);
	next = now + delay;
	if (poll->retry_after > next)
		next = poll->retry_after < now + cap ? poll->retry_after :
		    now + cap;
	if (poll->fresh_until > next)
		next = poll->fresh_until < now + cap ? poll->fresh_until :
		    now + cap;
	return skip_forward(next, poll->skip_hours, poll->skip_days);
}

int64_t
sched_first(int64_t saved, int64_t now, int64_t window, uint32_t rnd)
{
	if (saved <= 0)
		return now;
	if (saved > now)
		return saved;
	if (window <= 0)
		return now;
	return now + (int64_t)(((uint64_t)(window + 1) * rnd) >> 32);
}
