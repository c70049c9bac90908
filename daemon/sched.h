/*
 * sched: when each feed is due. Jobs wait in one queue ordered by due time
 * with a single timer armed on the head; a global limit caps how many run at
 * once. It starts nothing itself: it calls back the owner with the job's key.
 */
#ifndef FEEDMUX_SCHED_H
#define FEEDMUX_SCHED_H

#include <stddef.h>
#include <stdint.h>

struct event_base;
struct sched;

/* The job is due and may run now; the owner calls sched_done when it ends. */
typedef void (*sched_run_cb)(const char *key, void *arg);

struct sched *sched_new(struct event_base *, int concurrency, sched_run_cb,
    void *arg);
void sched_free(struct sched *);
void sched_set_concurrency(struct sched *, int);

/* Adds a job due at a unix time (now or earlier: at once); replaces a waiting one. */
void sched_add(struct sched *, const char *key, int64_t due);
/* Forgets a job, waiting or running (a running one's sched_done is then ignored). */
void sched_remove(struct sched *, const char *key);
/* A running job ended; it waits again until next (unix time). */
void sched_done(struct sched *, const char *key, int64_t next);
/* 1 if the job is known (waiting or running). */
int sched_has(const struct sched *, const char *key);
/* Jobs running now. */
size_t sched_running(const struct sched *);
/* Jobs known, waiting or running. */
size_t sched_count(const struct sched *);
/* When a job is due next; 0 if it is running or unknown. */
int64_t sched_due(const struct sched *, const char *key);

#endif
