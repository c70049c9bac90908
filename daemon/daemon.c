#include <sys/queue.h>
#include <sys/resource.h>

#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "config.h"
#include "daemon.h"
#include "fetch.h"
#include "http.h"
#include "ingest.h"
#include "log.h"
#include "match.h"
#include "notify.h"
#include "parse.h"
#include "publish.h"
#include "sched.h"
#include "store.h"
#include "util.h"
#include "watch.h"

/* Config changes are applied once the files have been quiet this long. */
#define RELOAD_QUIET_MS	300
#define RELOAD_MAX_MS	3000

/*
 * Refiltering the stored items runs in steps of this many milliseconds,
 * with the loop free to serve between them; after a store error the next
 * try waits a while.
 */
#define DAEMON_REFILTER_STEP_MS 20
#define DAEMON_REFILTER_RETRY_S 5
/*
 * What the store holds as an output's filter while its items are being
 * chosen anew: no real signature, so a restart or a reload that stops the
 * walk starts it again.
 */
#define DAEMON_REFILTER_MARK "(being refiltered)"

/* A refilter under way: its outputs and the signatures they will have. */
struct refilter {
	struct ingest_refilter *walk;
	char **names;
	char **sigs;
	size_t n;
	int64_t started;	/* monotonic ms */
	size_t steps;
	int64_t longest;	/* ms, of one step */
};

/*
 * Maintenance (story keys worked out again, retention) runs in slices of
 * this many items, one transaction each, and gives the loop back after this
 * long, so that serving and polling never wait long for it.
 */
#define DAEMON_SLICE 200
#define DAEMON_SLICE_MS 20
/* Retention runs at least this often (seconds); more often for short ages. */
#define DAEMON_PRUNE_PERIOD 600
/* While the database cannot be written: first and longest retry delay. */
#define DAEMON_RETRY_MIN 2
#define DAEMON_RETRY_MAX 300
/* New items reach the outputs at most this long after they are stored, and
 * a burst of fetches costs one rendering. */
#define DAEMON_PUBLISH_DELAY_MS 500
/* WebSub pings of an output wait this long for more changes to go with. */
#define DAEMON_WEBSUB_DELAY_MS 2000
/*
 * The writes of fetches wait at most this long to be committed together
 * (store_batch_begin): each page that many fetches change is written once,
 * not once per fetch. Readers see them after the commit, which comes before
 * any rendering.
 */
#define DAEMON_BATCH_MS 200

/* A feed being fetched, with what its next poll depends on. */
struct job {
	char *name;
	struct daemon *d;
	struct fetch *fetch;
	char *url;		/* asked for */
	char *poll_url;		/* the stored redirect, or NULL */
	char *host;		/* of url; NULL if none */
	int64_t failures;	/* in a row before this poll */
	int64_t ttl;		/* the feed's hints as last read */
	uint32_t skip_hours;
	uint8_t skip_days;
};

/* A WebSub publish ping on its way to a hub. */
struct ping {
	LIST_ENTRY(ping) entry;
	struct daemon *d;
	char *what; /* for the log */
	struct fetch *fetch;
};

struct daemon {
	struct event_base *base;
	char *config_path;
	struct config *config;
	struct ingest_output *outs;	/* compiled filters of config's outputs */
	size_t nouts;
	struct refilter *refilter;	/* NULL when none is under way */
	struct event *refilter_ev;
	struct store *store;
	struct sched *sched;
	struct fetcher *fetcher;
	struct publisher *pub;
	struct httpd *httpd;
	struct publish_status status;
	char *reload_error;
	struct job **jobs;
	size_t njobs;
	int once;		/* `feedmux poll`: every feed once, then stop */
	struct event *signals[3];

	/* For the administrator: systemd, the config files' watch, health. */
	struct watch *watch;
	struct event *watchdog;
	size_t nfailing;	/* feeds whose last poll failed */
	char *notified;		/* the last STATUS= sent */

	/* Maintenance: story keys first, then retention passes. */
	struct event *maint;
	int rekey_done;
	char **prune_feeds;	/* the feeds of the running pass; NULL: idle */
	size_t nprune_feeds;
	size_t prune_next;
	size_t pruned;
	int64_t prune_due;

	/*
	 * The database cannot be written (full or read-only disk, a lock
	 * held): said once, retried; the feeds whose items could not be
	 * stored are polled again once a probe write works.
	 */
	int faulty;
	char **stalled;
	size_t nstalled;
	struct event *retry;
	int retry_delay;
	/* The feeds whose fetches the open batch holds. */
	struct event *batch_ev;
	char **batch_feeds;
	size_t nbatch_feeds;
	/* For the readers: rendering, links, WebSub. */
	struct event *publish_ev; /* renders changed outputs */
	char *link_base;	  /* of the outputs' links */
	struct event *websub_ev;  /* sends the pings due */
	char **websub_due;	  /* outputs that changed since */
	size_t nwebsub_due;
	LIST_HEAD(, ping) pings;
};

static int daemon_health(struct daemon *, const char *, long, const char *);
static void daemon_count_failing(struct daemon *);
static void daemon_notify_status(struct daemon *, const char *);
static void daemon_watch_config(struct daemon *);
static void daemon_schedule(struct daemon *, const struct config_feed *, int);
static void daemon_outputs_changed(struct daemon *, const char *);
static void daemon_publish_now(struct daemon *);

static void
outputs_free(struct ingest_output *outs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		match_filter_free((struct match_filter *)outs[i].filter);
	free(outs);
}

/* Compiles the filters of a config's outputs; names point into the config. */
static struct ingest_output *
outputs_compile(const struct config *cf, char **cause)
{
	struct ingest_output *outs;
	struct match_filter *f;
	char *why = NULL;

	outs = xcalloc(cf->noutputs, sizeof *outs);
	for (size_t i = 0; i < cf->noutputs; i++) {
		const struct config_output *o = &cf->outputs[i];

		f = match_filter_new(o->keywords, o->nkeywords, o->require,
		    o->nrequire, o->exclude, o->nexclude, &why);
		if (f == NULL) {
			xasprintf(cause, "%s:%d: output %s: %s", o->file,
			    o->line, o->name, why);
			free(why);
			outputs_free(outs, i);
			return NULL;
		}
		match_filter_set_fields(f, o->fields);
		outs[i].name = o->name;
		outs[i].filter = f;
		outs[i].feeds = o->feeds;
		outs[i].nfeeds = o->nfeeds;
	}
	return outs;
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * What decides which items an output carries: its filter, the fields and
 * feeds it looks at, and the rules. Settings left at their defaults add no
 * line, so that signatures stored before they existed still hold.
 */
static char *
output_signature(const struct config_output *o)
{
	struct buf b;
	char **feeds;

	buf_init(&b);
	buf_printf(&b, "rules %d\n", MATCH_RULES_VERSION);
	for (size_t i = 0; i < o->nkeywords; i++)
		buf_printf(&b, "any %s\n", o->keywords[i]);
	for (size_t i = 0; i < o->nrequire; i++)
		buf_printf(&b, "all %s\n", o->require[i]);
	for (size_t i = 0; i < o->nexclude; i++)
		buf_printf(&b, "none %s\n", o->exclude[i]);
	if (o->fields != MATCH_FIELDS_DEFAULT)
		buf_printf(&b, "fields 0x%x\n", o->fields);
	/* The order they are written in changes nothing. */
	if (o->nfeeds > 0) {
		feeds = xcalloc(o->nfeeds, sizeof *feeds);
		memcpy(feeds, o->feeds, o->nfeeds * sizeof *feeds);
		qsort(feeds, o->nfeeds, sizeof *feeds, name_cmp);
		for (size_t i = 0; i < o->nfeeds; i++)
			buf_printf(&b, "feed %s\n", feeds[i]);
		free(feeds);
	}
	return buf_steal(&b, NULL);
}

static void
refilter_free(struct refilter *rf)
{
	if (rf == NULL)
		return;
	ingest_refilter_free(rf->walk);
	for (size_t i = 0; i < rf->n; i++) {
		free(rf->names[i]);
		free(rf->sigs[i]);
	}
	free(rf->names);
	free(rf->sigs);
	free(rf);
}

/*
 * Tells the index and /metrics how far the refilter under way has got (or
 * that none is).
 */
static void
daemon_refilter_status(struct daemon *d)
{
	struct refilter *rf = d->refilter;

	d->status.refilter_outputs = rf != NULL ? rf->names : NULL;
	d->status.nrefilter = rf != NULL ? rf->n : 0;
	d->status.refilter_done =
	    rf != NULL ? ingest_refilter_count(rf->walk) : 0;
	d->status.refilter_items =
	    rf != NULL ? ingest_refilter_total(rf->walk) : 0;
	if (d->pub != NULL)
		publish_feeds_changed(d->pub);
}

/*
 * Drops a refilter under way: its filters are about to go. Its outputs
 * keep the mark that makes the next daemon_refilter start them over.
 */
static void
daemon_refilter_stop(struct daemon *d)
{
	if (d->refilter == NULL)
		return;
	log_info("refilter of %zu output%s stopped after %zu items",
	    d->refilter->n, d->refilter->n == 1 ? "" : "s",
	    ingest_refilter_count(d->refilter->walk));
	if (d->refilter_ev != NULL)
		event_del(d->refilter_ev);
	refilter_free(d->refilter);
	d->refilter = NULL;
	daemon_refilter_status(d);
}

/* Every item has been seen: the outputs are right, say so and show them. */
static void
daemon_refilter_done(struct daemon *d)
{
	struct refilter *rf = d->refilter;
	struct buf names;

	buf_init(&names);
	for (size_t i = 0; i < rf->n; i++) {
		if (store_output_set_filter(
			d->store, rf->names[i], rf->sigs[i]) != 0)
			log_warnx("output %s: cannot record its filter",
			    rf->names[i]);
		if (d->pub != NULL)
			publish_invalidate(d->pub, rf->names[i]);
		buf_printf(&names, "%s%s", i == 0 ? "" : ", ", rf->names[i]);
	}
	log_info("items of %s chosen anew from %zu stored items in %.1fs, "
	    "%zu steps, the longest %jd ms", names.data,
	    ingest_refilter_count(rf->walk),
	    (double)(now_mono_ms() - rf->started) / 1000, rf->steps,
	    (intmax_t)rf->longest);
	buf_free(&names);
	refilter_free(rf);
	d->refilter = NULL;
	daemon_refilter_status(d);
	/* Right from the moment it says so, not half a second later. */
	daemon_publish_now(d);
}

/* One step of the refilter, then back to the loop. */
static void
daemon_refilter_step(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;
	struct refilter *rf = d->refilter;
	struct timeval tv = {0, 0};
	char *cause = NULL;
	int64_t t0;
	int r;

	(void)fd;
	(void)what;
	if (rf == NULL)
		return;
	t0 = now_mono_ms();
	r = ingest_refilter_step(rf->walk, DAEMON_REFILTER_STEP_MS, &cause);
	rf->steps++;
	if (now_mono_ms() - t0 > rf->longest)
		rf->longest = now_mono_ms() - t0;
	if (r == 1) {
		daemon_refilter_done(d);
		return;
	}
	daemon_refilter_status(d);
	if (r == -1) {
		log_warnx("refilter: %s; trying again in %ds", cause,
		    DAEMON_REFILTER_RETRY_S);
		free(cause);
		tv.tv_sec = DAEMON_REFILTER_RETRY_S;
	}
	/* A timer, not event_active: the loop polls its sockets first. */
	evtimer_add(d->refilter_ev, &tv);
}

/*
 * Applies the filters of new outputs, and of outputs whose filter changed
 * since their items were chosen (also while feedmux was not running), to
 * every stored item: in steps from the event loop, so that the outputs are
 * served all along (each item staying where the old filter put it until
 * the walk reaches it), or at once for `feedmux poll`. Items that arrive
 * meanwhile get the new filters from ingest_feed.
 */
static void
daemon_refilter(struct daemon *d)
{
	struct ingest_output *redo;
	struct refilter *rf;
	struct buf names;
	char *stored, *cause = NULL;
	int r;

	daemon_refilter_stop(d);
	rf = xcalloc(1, sizeof *rf);
	redo = xcalloc(d->nouts, sizeof *redo);
	rf->names = xcalloc(d->nouts, sizeof *rf->names);
	rf->sigs = xcalloc(d->nouts, sizeof *rf->sigs);
	buf_init(&names);
	for (size_t i = 0; i < d->nouts; i++) {
		const struct config_output *o = &d->config->outputs[i];
		char *sig = output_signature(o);

		if (store_output_filter(d->store, o->name, &stored) == 0 &&
		    stored != NULL && strcmp(stored, sig) == 0) {
			free(sig);
			free(stored);
			continue;
		}
		free(stored);
		if (store_output_set_filter(
			d->store, o->name, DAEMON_REFILTER_MARK) != 0)
			log_warnx(
			    "output %s: cannot record its filter", o->name);
		buf_printf(&names, "%s%s", rf->n == 0 ? "" : ", ", o->name);
		redo[rf->n] = d->outs[i];
		rf->names[rf->n] = xstrdup(o->name);
		rf->sigs[rf->n++] = sig;
	}
	if (rf->n == 0) {
		refilter_free(rf);
		free(redo);
		buf_free(&names);
		return;
	}
	log_info("choosing the items of %s anew", names.data);
	buf_free(&names);
	rf->walk = ingest_refilter_new(d->store, redo, rf->n);
	rf->started = now_mono_ms();
	free(redo);
	d->refilter = rf;
	daemon_refilter_status(d);
	if (!d->once) {
		daemon_refilter_step(-1, 0, d);
		return;
	}
	while ((r = ingest_refilter_step(rf->walk, 1000, &cause)) == 0)
		;
	if (r == 1)
		daemon_refilter_done(d);
	else {
		log_warnx("cannot apply the output filters to stored items: %s",
		    cause);
		free(cause);
		daemon_refilter_stop(d);
	}
}

/* The host a feed's polls count against; NULL if its URL has none. */
static char *
feed_host(const char *url)
{
	return fetch_url_host(url);
}

/*
 * Makes the feeds of the config the active ones, and forgets the polling
 * state of those whose URL changed in the config (also while feedmux was
 * not running).
 */
static int
daemon_sync_feeds(struct daemon *d)
{
	struct store_feed sf;
	char **names;
	int rc;

	names = xcalloc(d->config->nfeeds, sizeof *names);
	for (size_t i = 0; i < d->config->nfeeds; i++)
		names[i] = d->config->feeds[i].name;
	rc = store_feeds_sync(d->store, names, d->config->nfeeds);
	free(names);
	if (rc != 0)
		return rc;
	for (size_t i = 0; i < d->config->nfeeds; i++) {
		const struct config_feed *cf = &d->config->feeds[i];

		if (store_feed_get(d->store, cf->name, &sf) != 0)
			continue;
		if (sf.config_url == NULL || strcmp(sf.config_url, cf->url) != 0) {
			if (sf.config_url != NULL &&
			    (sf.poll_url != NULL || sf.gone != 0 ||
			    sf.failures != 0))
				log_info("feed %s: its url changed in the "
				    "config; redirects, failures and 410 of the "
				    "old one forgotten", cf->name);
			if (store_feed_reset(d->store, cf->name, cf->url) != 0)
				rc = -1;
		}
		store_feed_clear(&sf);
	}
	return rc;
}

static int
names_find(char *const *names, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(names[i], name) == 0)
			return (int)i;
	return -1;
}

static void
names_free(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* The feed (NULL: none) waits until writes work again, for the reason why. */
static void
daemon_stall(struct daemon *d, const char *feed, const char *why)
{
	struct timeval tv = {DAEMON_RETRY_MIN, 0};

	if (feed != NULL && names_find(d->stalled, d->nstalled, feed) == -1) {
		d->stalled = xreallocarray(d->stalled, d->nstalled + 1,
		    sizeof *d->stalled);
		d->stalled[d->nstalled++] = xstrdup(feed);
	}
	if (!d->faulty) {
		d->faulty = 1;
		log_warnx("database %s cannot be written (%s): serving what it "
		    "holds, retrying", d->config->database, why);
		d->retry_delay = DAEMON_RETRY_MIN;
		/* `feedmux poll` says it failed instead. */
		if (d->retry != NULL && !d->once)
			evtimer_add(d->retry, &tv);
	}
}

/*
 * A write failed. If the store says it was the disk or the lock, the feed
 * (NULL: none) waits until writes work again, and the whole episode is said
 * once. Returns 1 if it was such a fault, 0 for an error of its own.
 */
static int
daemon_store_fault(struct daemon *d, const char *feed)
{
	const char *why = store_fault(d->store);

	if (why == NULL)
		return 0;
	daemon_stall(d, feed, why);
	return 1;
}

/* A feed's writes worked: the episode ends when no feed waits any more. */
static void
daemon_store_ok(struct daemon *d, const char *feed)
{
	int i;

	if ((i = names_find(d->stalled, d->nstalled, feed)) != -1) {
		free(d->stalled[i]);
		d->stalled[i] = d->stalled[--d->nstalled];
	}
	if (d->faulty && d->nstalled == 0) {
		d->faulty = 0;
		if (d->retry != NULL)
			evtimer_del(d->retry);
		log_notice("database %s: writes work again",
		    d->config->database);
	}
}

/* The fetches that follow write into one batch, committed shortly. */
static void
daemon_batch(struct daemon *d)
{
	struct timeval tv = {0, DAEMON_BATCH_MS * 1000};

	if (d->batch_ev == NULL || store_batch_open(d->store))
		return;
	/* If it cannot begin, each fetch writes on its own, as it says. */
	if (store_batch_begin(d->store) == 0)
		evtimer_add(d->batch_ev, &tv);
}

/*
 * Commits the open batch. If that fails, its feeds wait, like those of a
 * failed write, and are polled again once a probe write works.
 */
static void
daemon_flush(struct daemon *d)
{
	const char *why;

	if (!store_batch_open(d->store))
		return;
	evtimer_del(d->batch_ev);
	if (store_batch_commit(d->store) == 0) {
		for (size_t i = 0; i < d->nbatch_feeds; i++)
			daemon_store_ok(d, d->batch_feeds[i]);
	} else {
		if ((why = store_fault(d->store)) == NULL)
			why = "commit failed";
		for (size_t i = 0; i < d->nbatch_feeds; i++) {
			daemon_stall(d, d->batch_feeds[i], why);
			if (d->once)
				printf("%s: failed: not stored: %s\n",
				    d->batch_feeds[i], why);
		}
	}
	names_free(d->batch_feeds, d->nbatch_feeds);
	d->batch_feeds = NULL;
	d->nbatch_feeds = 0;
}

static void
daemon_batch_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	daemon_flush(arg);
}

/*
 * While the database fails: a small write tells when it works again; then
 * the feeds that could not be stored are polled at once. Each round waits
 * twice as long as the one before, up to DAEMON_RETRY_MAX.
 */
static void
daemon_retry(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;
	struct timeval tv;
	int64_t now = now_unix();

	(void)fd;
	(void)what;
	daemon_flush(d);
	if (store_probe(d->store, now) == 0) {
		log_debug("database: a probe write worked; polling %zu feeds "
		    "again", d->nstalled);
		for (size_t i = 0; i < d->nstalled; i++) {
			const struct config_feed *cf;

			if ((cf = config_feed_find(d->config,
			    d->stalled[i])) != NULL)
				daemon_schedule(d, cf, 0);
		}
	}
	d->retry_delay = d->retry_delay * 2 > DAEMON_RETRY_MAX ?
	    DAEMON_RETRY_MAX : d->retry_delay * 2;
	tv.tv_sec = d->retry_delay;
	tv.tv_usec = 0;
	evtimer_add(d->retry, &tv);
}

/* Seconds between retention passes: a tenth of the shortest age kept. */
static int64_t
daemon_prune_period(const struct config *cf)
{
	int64_t period = DAEMON_PRUNE_PERIOD;

	if (cf->keep_age > 0 && cf->keep_age / 10 < period)
		period = cf->keep_age / 10;
	for (size_t i = 0; i < cf->nfeeds; i++)
		if (cf->feeds[i].keep_age > 0 &&
		    cf->feeds[i].keep_age / 10 < period)
			period = cf->feeds[i].keep_age / 10;
	return period < 1 ? 1 : period;
}

/* A pass over every feed, active ones first; the inactive keep [poll]'s limits. */
static int
daemon_prune_start(struct daemon *d)
{
	char **inactive;
	size_t ninactive;

	if (store_feeds_inactive(d->store, &inactive, &ninactive) != 0)
		return -1;
	d->nprune_feeds = d->config->nfeeds + ninactive;
	d->prune_feeds = xcalloc(d->nprune_feeds, sizeof *d->prune_feeds);
	for (size_t i = 0; i < d->config->nfeeds; i++)
		d->prune_feeds[i] = xstrdup(d->config->feeds[i].name);
	for (size_t i = 0; i < ninactive; i++)
		d->prune_feeds[d->config->nfeeds + i] = inactive[i];
	free(inactive);
	d->prune_next = 0;
	d->pruned = 0;
	return 0;
}

static void
daemon_prune_end(struct daemon *d, int64_t now)
{
	if (d->pruned > 0)
		log_info("retention: %zu items pruned", d->pruned);
	names_free(d->prune_feeds, d->nprune_feeds);
	d->prune_feeds = NULL;
	d->nprune_feeds = 0;
	d->prune_due = now + daemon_prune_period(d->config);
}

/*
 * One slice of maintenance. Returns 1 if work is left for now, 0 if none
 * is until prune_due, -1 on an error (logged; tried again later).
 */
static int
daemon_maintain_step(struct daemon *d, int64_t now)
{
	const struct config_feed *cf;
	const char *name;
	int64_t age, keep;
	char *cause = NULL;
	int r;

	if (!d->rekey_done) {
		if ((r = ingest_rekey(d->store, DAEMON_SLICE, &cause)) < 0) {
			if (!daemon_store_fault(d, NULL))
				log_warnx("story keys: %s", cause);
			free(cause);
			return -1;
		}
		daemon_outputs_changed(d, NULL);
		d->rekey_done = r == 0;
		return 1;
	}
	if (d->prune_feeds == NULL) {
		if (now < d->prune_due)
			return 0;
		if (daemon_prune_start(d) != 0) {
			daemon_store_fault(d, NULL);
			return -1;
		}
	}
	if (d->prune_next == d->nprune_feeds) {
		daemon_prune_end(d, now);
		return 0;
	}
	name = d->prune_feeds[d->prune_next];
	if ((cf = config_feed_find(d->config, name)) != NULL) {
		age = cf->keep_age;
		keep = cf->keep_items;
	} else {
		age = d->config->keep_age;
		keep = d->config->keep_items;
	}
	r = store_prune(d->store, name, age > 0 ? now - age : INT64_MIN,
	    (size_t)keep, DAEMON_SLICE, now);
	if (r < 0) {
		if (!daemon_store_fault(d, NULL))
			log_warnx("retention: feed %s: cannot prune", name);
		/* The pass starts over at its next time. */
		daemon_prune_end(d, now);
		return -1;
	}
	if (r > 0) {
		d->pruned += (size_t)r;
		log_debug("retention: feed %s: %d items pruned", name, r);
		daemon_outputs_changed(d, NULL);
	}
	if (r < DAEMON_SLICE)
		d->prune_next++;
	return 1;
}

/* The maintenance timer: slices until its time is up, then waits again. */
static void
daemon_maintain(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;
	struct timeval tv = {0, 0};
	int64_t start = now_mono_ms(), now = now_unix();
	int r;

	(void)fd;
	(void)what;
	while ((r = daemon_maintain_step(d, now)) == 1 &&
	    now_mono_ms() - start < DAEMON_SLICE_MS)
		;
	if (r == -1)
		tv.tv_sec = d->retry_delay > 0 ? d->retry_delay :
		    DAEMON_RETRY_MIN;
	else if (r == 0)
		tv.tv_sec = d->prune_due > now ? d->prune_due - now : 1;
	evtimer_add(d->maint, &tv);
}

/* `feedmux poll` ends with the maintenance a daemon would have done by now. */
static void
daemon_maintain_all(struct daemon *d)
{
	int64_t now = now_unix();
	int r;

	d->prune_due = now;
	while ((r = daemon_maintain_step(d, now)) == 1)
		;
}

static struct job *
job_find(struct daemon *d, const char *name)
{
	for (size_t i = 0; i < d->njobs; i++)
		if (strcmp(d->jobs[i]->name, name) == 0)
			return d->jobs[i];
	return NULL;
}

static void
job_free(struct daemon *d, struct job *j)
{
	for (size_t i = 0; i < d->njobs; i++) {
		if (d->jobs[i] == j) {
			d->jobs[i] = d->jobs[--d->njobs];
			break;
		}
	}
	free(j->name);
	free(j->url);
	free(j->poll_url);
	free(j->host);
	free(j);
}

static void
job_cancel(struct daemon *d, const char *name)
{
	struct job *j;

	if ((j = job_find(d, name)) == NULL)
		return;
	fetch_cancel(j->fetch);
	job_free(d, j);
}

/* Outputs and WebSub ------------------------------------------------------ */

static void
ping_free(struct ping *pg)
{
	LIST_REMOVE(pg, entry);
	free(pg->what);
	free(pg);
}

static void
daemon_pinged(const struct fetch_result *r, void *arg)
{
	struct ping *pg = arg;

	if (r->error != NULL)
		log_warnx("websub: %s: %s", pg->what, r->error);
	else if (r->status < 200 || r->status > 299)
		log_warnx("websub: %s: HTTP status %ld", pg->what, r->status);
	else
		log_info("websub: %s: HTTP status %ld", pg->what, r->status);
	ping_free(pg);
}

/* application/x-www-form-urlencoded, as a hub reads hub.url. */
static void
form_escape(struct buf *b, const char *s)
{
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		    c == '_' || c == '~')
			buf_addc(b, (char)c);
		else
			buf_printf(b, "%%%02X", c);
	}
}

/*
 * Tells each changed output's hub that its topics (the feeds that name the
 * hub) changed, one publish request per topic, as hubs expect them.
 */
static void
daemon_websub_cb(evutil_socket_t fd, short what, void *arg)
{
	static const char *const topics[] = {"atom", "rss", "json"};
	struct daemon *d = arg;
	const struct config_output *co;
	struct fetch_request req;
	struct ping *pg;
	struct buf body;
	char *topic;

	(void)fd;
	(void)what;
	for (size_t i = 0; i < d->nwebsub_due; i++) {
		co = config_output_find(d->config, d->websub_due[i]);
		if (co == NULL || co->hub == NULL || d->link_base == NULL)
			continue;
		for (size_t t = 0; t < nitems(topics); t++) {
			xasprintf(&topic, "%s/feeds/%s.%s", d->link_base,
			    co->name, topics[t]);
			buf_init(&body);
			buf_adds(&body, "hub.mode=publish&hub.url=");
			form_escape(&body, topic);
			memset(&req, 0, sizeof req);
			req.url = co->hub;
			req.post = body.data;
			req.timeout = (long)d->config->timeout;
			req.connect_timeout = (long)d->config->connect_timeout;
			req.contact = d->config->contact;
			req.proxy = d->config->proxy;
			pg = xcalloc(1, sizeof *pg);
			pg->d = d;
			xasprintf(&pg->what, "%s to %s", topic, co->hub);
			LIST_INSERT_HEAD(&d->pings, pg, entry);
			log_debug("websub: publishing %s", pg->what);
			pg->fetch =
			    fetch_start(d->fetcher, &req, daemon_pinged, pg);
			buf_free(&body);
			free(topic);
		}
	}
	str_list_free(d->websub_due, d->nwebsub_due);
	d->websub_due = NULL;
	d->nwebsub_due = 0;
}

/* publish_refresh says an output's documents changed. */
static void
daemon_output_changed(const char *output, void *arg)
{
	struct daemon *d = arg;
	const struct config_output *co;
	struct timeval tv;

	if ((co = config_output_find(d->config, output)) == NULL ||
	    co->hub == NULL || d->websub_ev == NULL)
		return;
	for (size_t i = 0; i < d->nwebsub_due; i++)
		if (strcmp(d->websub_due[i], output) == 0)
			return;
	d->websub_due = xreallocarray(
	    d->websub_due, d->nwebsub_due + 1, sizeof *d->websub_due);
	d->websub_due[d->nwebsub_due++] = xstrdup(output);
	if (!evtimer_pending(d->websub_ev, NULL)) {
		tv.tv_sec = DAEMON_WEBSUB_DELAY_MS / 1000;
		tv.tv_usec = (DAEMON_WEBSUB_DELAY_MS % 1000) * 1000;
		evtimer_add(d->websub_ev, &tv);
	}
}

static void
daemon_publish_cb(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;

	(void)fd;
	(void)what;
	daemon_publish_now(d);
}

/* Renders what changed at once; only while serving. */
static void
daemon_publish_now(struct daemon *d)
{
	if (d->publish_ev == NULL)
		return;
	daemon_flush(d);
	publish_refresh(d->pub, daemon_output_changed, d);
}

/* Stored items changed: the outputs (NULL: all) are rendered again shortly. */
static void
daemon_outputs_changed(struct daemon *d, const char *output)
{
	struct timeval tv;

	publish_invalidate(d->pub, output);
	if (d->publish_ev == NULL || evtimer_pending(d->publish_ev, NULL))
		return;
	tv.tv_sec = DAEMON_PUBLISH_DELAY_MS / 1000;
	tv.tv_usec = (DAEMON_PUBLISH_DELAY_MS % 1000) * 1000;
	evtimer_add(d->publish_ev, &tv);
}

/* Where readers reach the outputs: the config's public_url, else listen. */
static void
daemon_set_base(struct daemon *d)
{
	const char *host = d->config->listen_host;
	char name[256];

	free(d->link_base);
	if (d->config->public_url != NULL)
		d->link_base = xstrdup(d->config->public_url);
	else {
		if (strcmp(host, "*") == 0) {
			/* Any address: the machine's name is the best guess. */
			if (gethostname(name, sizeof name) != 0 ||
			    *name == '\0')
				snprintf(name, sizeof name, "localhost");
			name[sizeof name - 1] = '\0';
			host = name;
		}
		xasprintf(&d->link_base,
		    strchr(host, ':') != NULL ? "http://[%s]:%u"
					      : "http://%s:%u",
		    host, (unsigned)http_port(d->httpd));
	}
	publish_set_base(d->pub, d->link_base);
}

/* What one poll came to, for the record, the log and the next poll. */
struct outcome {
	char *error;		/* NULL on success */
	int gone;		/* 410 */
	int held;		/* 429 or 503 with Retry-After */
	char *moved;		/* new URL after permanent redirects, or NULL */
	const struct feed *feed;
	struct ingest_result ir;
	int stalled;		/* the database could not take it */
};

static void
daemon_policy(const struct daemon *d, struct sched_policy *p)
{
	p->min_interval = d->config->min_interval;
	p->max_backoff = d->config->max_backoff;
}

/* The poll of one feed ended: record it, say it, and schedule the next. */
static void
daemon_feed_done(struct daemon *d, struct job *j, const struct config_feed *cf,
    const struct fetch_result *r, struct outcome *o)
{
	struct store_fetch sf;
	struct sched_policy policy;
	struct sched_poll poll;
	int64_t now = now_unix(), hold, failures;
	char *host, *msg, when[21];
	const struct feed *feed = o->feed;
	int loud;

	failures = o->error == NULL ? 0 : j->failures + 1;
	memset(&poll, 0, sizeof poll);
	poll.interval = cf->interval;
	poll.failures = failures;
	poll.ttl = j->ttl;
	poll.skip_hours = j->skip_hours;
	poll.skip_days = j->skip_days;
	if (feed != NULL) {
		poll.ttl = feed->ttl > feed->update_period ? feed->ttl :
		    feed->update_period;
		poll.skip_hours = feed->skip_hours;
		poll.skip_days = feed->skip_days;
	}
	if (o->held)
		poll.retry_after = r->retry_after;
	if (o->error == NULL)
		poll.fresh_until = r->fresh_until;
	daemon_policy(d, &policy);

	memset(&sf, 0, sizeof sf);
	sf.url = j->url;
	sf.time = now;
	sf.status = r->status;
	sf.error = o->error;
	sf.next_poll = o->gone ? 0 : sched_next(&policy, &poll, now,
	    sched_random());
	sf.poll_url = o->moved != NULL ? o->moved : j->poll_url;
	/* Moved back to where the config points: no redirect to keep. */
	if (sf.poll_url != NULL && strcmp(sf.poll_url, cf->url) == 0)
		sf.poll_url = NULL;
	sf.failures = failures;
	sf.gone = o->gone ? now : 0;
	sf.ttl = poll.ttl;
	sf.skip_hours = poll.skip_hours;
	sf.skip_days = poll.skip_days;
	if (o->error == NULL && r->status == 200) {
		sf.title = feed != NULL ? feed->title : NULL;
		sf.link = feed != NULL ? feed->link : NULL;
		sf.lang = feed != NULL ? feed->lang : NULL;
		sf.etag = r->etag;
		sf.last_modified = r->last_modified;
		sf.nnew = (int64_t)o->ir.nnew;
	}
	loud = daemon_health(d, cf->name, r->status, o->error);
	if (store_feed_fetched(d->store, cf->name, &sf) != 0) {
		if (daemon_store_fault(d, cf->name))
			o->stalled = 1;
		else
			log_warnx("feed %s: cannot record the fetch", cf->name);
	}
	if (!o->stalled && store_batch_open(d->store)) {
		/* Its writes work once the batch is committed. */
		d->batch_feeds = xreallocarray(d->batch_feeds,
		    d->nbatch_feeds + 1, sizeof *d->batch_feeds);
		d->batch_feeds[d->nbatch_feeds++] = xstrdup(cf->name);
	} else if (!o->stalled)
		daemon_store_ok(d, cf->name);
	/* The database's trouble has been said once for all feeds. */
	if (o->stalled)
		loud = 0;
	publish_feeds_changed(d->pub);

	d->status.fetched_bytes += r->len;
	if (r->error != NULL)
		d->status.fetches[PUBLISH_FETCH_NETWORK_ERROR]++;
	else if (r->status == 304)
		d->status.fetches[PUBLISH_FETCH_NOT_MODIFIED]++;
	else if (r->status != 200)
		d->status.fetches[PUBLISH_FETCH_HTTP_ERROR]++;
	else if (o->error != NULL)
		d->status.fetches[PUBLISH_FETCH_PARSE_ERROR]++;
	else {
		d->status.fetches[PUBLISH_FETCH_OK]++;
		d->status.items_new += o->ir.nnew;
		d->status.items_updated += o->ir.nupdated;
	}

	/* The host asked for a pause: none of its feeds before it ends. */
	if (o->held) {
		hold = r->retry_after;
		if (hold > now + d->config->max_backoff)
			hold = now + d->config->max_backoff;
		time_rfc3339(hold, when);
		host = feed_host(r->effective_url);
		for (int k = 0; k < 2; k++) {
			const char *h = k == 0 ? j->host : host;

			if (h == NULL || (k == 1 && j->host != NULL &&
			    strcmp(h, j->host) == 0))
				continue;
			log_notice("feed %s: %s asks for no requests before %s "
			    "(Retry-After)", cf->name, h, when);
			store_host_set_retry(d->store, h, hold, now);
			if (!d->once)
				sched_hold(d->sched, h, hold);
		}
		free(host);
	}
	if (o->moved != NULL)
		log_notice("feed %s: %s moved permanently to %s; polling the "
		    "new URL from now on (change url at %s:%d to it)",
		    cf->name, j->url, o->moved, cf->file, cf->url_line);

	time_rfc3339(sf.next_poll, when);
	if (o->gone) {
		log_warnx("feed %s: %s is gone (HTTP 410): no more polls until "
		    "its url at %s:%d changes", cf->name, j->url,
		    cf->file, cf->url_line);
		if (d->once)
			printf("%s: failed: gone (HTTP 410); no more polls until "
			    "its url changes\n", cf->name);
	} else if (o->error != NULL) {
		if (failures > 1)
			xasprintf(&msg, "feed %s: %s (%lld failures in a row; "
			    "next try %s)", cf->name, o->error,
			    (long long)failures, when);
		else
			xasprintf(&msg, "feed %s: %s (next try %s)", cf->name,
			    o->error, when);
		if (loud)
			log_warnx("%s", msg);
		else
			log_debug("%s (failing as before)", msg);
		free(msg);
		if (d->once)
			printf("%s: failed: %s\n", cf->name, o->error);
	} else if (r->status == 304) {
		log_info("feed %s: not modified", cf->name);
		if (d->once)
			printf("%s: ok, not modified\n", cf->name);
	} else {
		log_info("feed %s: %zu items, %zu new, %zu updated (%.2fs)",
		    cf->name, o->ir.nitems, o->ir.nnew, o->ir.nupdated,
		    r->seconds);
		if (d->once)
			printf("%s: ok, %zu items, %zu new\n", cf->name,
			    o->ir.nitems, o->ir.nnew);
	}

	if (d->once || o->gone)
		sched_remove(d->sched, cf->name);
	else {
		sched_done(d->sched, cf->name, sf.next_poll);
		/* After a permanent redirect the new URL's host paces it. */
		if (o->moved != NULL) {
			host = feed_host(o->moved);
			sched_add(d->sched, cf->name, host, sf.next_poll);
			free(host);
		}
	}
}

static void
daemon_fetched(const struct fetch_result *r, void *arg)
{
	struct job *j = arg;
	struct daemon *d = j->d;
	const struct config_feed *cf;
	struct parse_context ctx;
	struct feed *feed = NULL;
	struct outcome o;
	unsigned char *changed;

	memset(&o, 0, sizeof o);
	/* Jobs of feeds that a reload removed or changed are cancelled. */
	if ((cf = config_feed_find(d->config, j->name)) == NULL) {
		job_free(d, j);
		return;
	}
	daemon_batch(d);

	if (r->error != NULL)
		o.error = xstrdup(r->error);
	else if (r->status == 304)
		;
	else if (r->status == 410)
		o.gone = 1;
	else if (r->status != 200) {
		xasprintf(&o.error, "HTTP status %ld", r->status);
		o.held = (r->status == 429 || r->status == 503) &&
		    r->retry_after > 0;
	} else {
		memset(&ctx, 0, sizeof ctx);
		ctx.url = r->effective_url;
		ctx.content_type = r->content_type;
		ctx.content_location = r->content_location;
		if ((feed = parse_feed(r->body, r->len, &ctx, &o.error)) !=
		    NULL) {
			changed = xcalloc(d->nouts + 1, 1);
			if (ingest_feed_changes(d->store, cf->name, feed,
			    d->outs, d->nouts, now_unix(), &o.ir, changed,
			    &o.error) != 0)
				o.stalled = daemon_store_fault(d, cf->name);
			else {
				/* Only the outputs the items changed. */
				for (size_t i = 0; i < d->nouts; i++)
					if (changed[i])
						daemon_outputs_changed(d,
						    d->outs[i].name);
			}
			free(changed);
		}
		o.feed = feed;
	}
	if (o.gone)
		o.error = xstrdup("gone (HTTP 410)");
	/* A new URL is only worth keeping if it works. */
	if (o.error == NULL && r->permanent_url != NULL &&
	    strcmp(r->permanent_url, j->url) != 0)
		o.moved = xstrdup(r->permanent_url);

	daemon_feed_done(d, j, cf, r, &o);
	parse_feed_free(feed);
	free(o.error);
	free(o.moved);
	job_free(d, j);
	daemon_notify_status(d, NULL);

	if (d->once && sched_count(d->sched) == 0)
		event_base_loopbreak(d->base);
}

/* `feedmux poll` says so, and leaves out a feed it must not poll now. */
static int
daemon_poll_skip(struct daemon *d, const struct config_feed *cf,
    const struct store_feed *sf, const char *host)
{
	int64_t until;
	char when[21];

	if (sf->gone != 0) {
		time_rfc3339(sf->gone, when);
		printf("%s: skipped: gone (HTTP 410 at %s); change its url at "
		    "%s:%d to poll it again\n", cf->name, when,
		    cf->file, cf->url_line);
		return 1;
	}
	if (host != NULL && (until = store_host_retry(d->store, host)) >
	    now_unix()) {
		time_rfc3339(until, when);
		printf("%s: skipped: %s asked for no requests before %s "
		    "(Retry-After)\n", cf->name, host, when);
		return 1;
	}
	return 0;
}

/* sched says a feed is due. */
static void
daemon_run_feed(const char *name, void *arg)
{
	struct daemon *d = arg;
	const struct config_feed *cf;
	struct store_feed sf;
	struct fetch_request req;
	struct job *j;
	const char *url;
	char *host;

	if ((cf = config_feed_find(d->config, name)) == NULL) {
		sched_remove(d->sched, name);
		if (d->once && sched_count(d->sched) == 0)
			event_base_loopbreak(d->base);
		return;
	}
	if (store_feed_get(d->store, name, &sf) != 0) {
		/* The database may come back; the feed must not be lost. */
		log_warnx("feed %s: cannot read its state; trying again later",
		    name);
		if (d->once) {
			printf("%s: failed: cannot read its state\n", name);
			sched_remove(d->sched, name);
			if (sched_count(d->sched) == 0)
				event_base_loopbreak(d->base);
		} else
			sched_done(d->sched, name, now_unix() +
			    d->config->min_interval);
		return;
	}
	/* Lateness of polls that fell due while the daemon ran. */
	if (!d->once && sf.next_poll >= d->status.started) {
		double lag =
		    (double)(now_unix_ms() - sf.next_poll * 1000) / 1000;

		d->status.lag_last = lag > 0 ? lag : 0;
		d->status.lag_sum += d->status.lag_last;
		d->status.lag_count++;
	}
	url = sf.poll_url != NULL ? sf.poll_url : cf->url;
	host = feed_host(url);
	if (d->once && daemon_poll_skip(d, cf, &sf, host)) {
		free(host);
		store_feed_clear(&sf);
		sched_remove(d->sched, name);
		if (sched_count(d->sched) == 0)
			event_base_loopbreak(d->base);
		return;
	}
	memset(&req, 0, sizeof req);
	req.url = url;
	/* Validators are only good for the URL that gave them. */
	if (sf.url != NULL && strcmp(sf.url, url) == 0) {
		req.etag = sf.etag;
		req.last_modified = sf.last_modified;
	}
	req.max_bytes = (size_t)d->config->max_size;
	req.timeout = (long)d->config->timeout;
	req.connect_timeout = (long)d->config->connect_timeout;
	req.low_speed_limit = (long)d->config->low_speed_limit;
	req.low_speed_time = (long)d->config->low_speed_time;
	req.contact = d->config->contact;
	req.proxy = d->config->proxy;

	j = xcalloc(1, sizeof *j);
	j->name = xstrdup(name);
	j->d = d;
	j->url = xstrdup(url);
	j->poll_url = sf.poll_url != NULL ? xstrdup(sf.poll_url) : NULL;
	j->host = host;
	j->failures = sf.failures;
	j->ttl = sf.ttl;
	j->skip_hours = sf.skip_hours;
	j->skip_days = sf.skip_days;
	d->jobs = xreallocarray(d->jobs, d->njobs + 1, sizeof *d->jobs);
	d->jobs[d->njobs++] = j;
	log_debug("feed %s: fetching %s%s", name, url,
	    req.etag != NULL || req.last_modified != NULL ?
	    " (conditional)" : "");
	j->fetch = fetch_start(d->fetcher, &req, daemon_fetched, j);
	store_feed_clear(&sf);
}

/*
 * Puts a feed in the queue: at once when it is new (or for `feedmux
 * poll`), else at its saved next poll, overdue ones spread a little. A feed
 * that answered 410 waits for a new URL.
 */
static void
daemon_schedule(struct daemon *d, const struct config_feed *cf, int start)
{
	struct store_feed sf;
	int64_t now = now_unix(), due = now;
	char *host;
	const char *url = cf->url;
	int known;

	known = store_feed_get(d->store, cf->name, &sf) == 0;
	if (known && !d->once && sf.gone != 0) {
		log_notice("feed %s: gone (HTTP 410), not polled until its url "
		    "at %s:%d changes", cf->name, cf->file,
		    cf->url_line);
		store_feed_clear(&sf);
		return;
	}
	if (known && sf.poll_url != NULL)
		url = sf.poll_url;
	if (known && start && !d->once)
		due = sched_first(sf.next_poll, now, d->config->startup_spread,
		    sched_random());
	host = feed_host(url);
	sched_add(d->sched, cf->name, host, due);
	free(host);
	if (known)
		store_feed_clear(&sf);
}

static void
daemon_reload(struct daemon *d)
{
	struct config *ncf, *old = d->config;
	struct ingest_output *nouts;
	char *errors = NULL, *line, *save = NULL;
	int64_t now = now_unix();

	notify_reloading();
	daemon_flush(d);
	d->status.reloaded = now;
	if ((ncf = config_load(d->config_path, &errors)) != NULL &&
	    (nouts = outputs_compile(ncf, &errors)) == NULL) {
		config_free(ncf);
		ncf = NULL;
	}
	if (ncf == NULL) {
		char *copy = xstrdup(errors);

		log_warnx("reload failed, keeping the running configuration:");
		for (line = strtok_r(copy, "\n", &save); line != NULL;
		    line = strtok_r(NULL, "\n", &save))
			log_warnx("%s", line);
		free(copy);
		free(d->reload_error);
		d->reload_error = errors;
		d->status.reload_error = d->reload_error;
		d->status.reloads_failed++;
		publish_feeds_changed(d->pub);
		daemon_notify_status(d, "READY=1");
		return;
	}

	if (strcmp(ncf->database, old->database) != 0)
		log_notice("database: the change to %s takes effect at restart",
		    ncf->database);
	if (strcmp(ncf->listen_host, old->listen_host) != 0 ||
	    ncf->listen_port != old->listen_port)
		log_notice("listen: the change takes effect at restart");

	/* Feeds that left, or whose URL changed, stop now. */
	for (size_t i = 0; i < old->nfeeds; i++) {
		const struct config_feed *of = &old->feeds[i], *nf;

		nf = config_feed_find(ncf, of->name);
		if (nf == NULL || strcmp(nf->url, of->url) != 0) {
			job_cancel(d, of->name);
			sched_remove(d->sched, of->name);
		}
	}

	/* Its filters go with the old config. */
	daemon_refilter_stop(d);
	d->config = ncf;
	outputs_free(d->outs, d->nouts);
	d->outs = nouts;
	d->nouts = ncf->noutputs;
	if (daemon_sync_feeds(d) != 0)
		log_warnx("cannot record the feeds of the new configuration");
	daemon_refilter(d);
	publish_set_config(d->pub, ncf);
	if (d->httpd != NULL)
		daemon_set_base(d);
	publish_refresh(d->pub, daemon_output_changed, d);
	sched_set_limits(d->sched, ncf->concurrency, ncf->per_host);
	/* Shorter retention ages take effect now, not after the old period. */
	if (d->prune_feeds == NULL &&
	    d->prune_due > now + daemon_prune_period(ncf)) {
		struct timeval tv = {0, 0};

		d->prune_due = now + daemon_prune_period(ncf);
		if (d->maint != NULL)
			evtimer_add(d->maint, &tv);
	}
	/* New feeds (and new URLs) are polled at once; gone ones stay gone. */
	for (size_t i = 0; i < ncf->nfeeds; i++)
		if (!sched_has(d->sched, ncf->feeds[i].name))
			daemon_schedule(d, &ncf->feeds[i], 0);
	config_free(old);

	free(d->reload_error);
	d->reload_error = NULL;
	d->status.reload_error = NULL;
	daemon_count_failing(d);
	daemon_watch_config(d);
	log_info("configuration reloaded: %zu feeds, %zu outputs", ncf->nfeeds,
	    ncf->noutputs);
	daemon_notify_status(d, "READY=1");
}

static void
daemon_signal(evutil_socket_t sig, short what, void *arg)
{
	struct daemon *d = arg;

	(void)what;
	switch (sig) {
	case SIGHUP:
		log_info("SIGHUP: reloading %s", d->config_path);
		daemon_reload(d);
		break;
	case SIGTERM:
	case SIGINT:
		log_info("%s: stopping", sig == SIGTERM ? "SIGTERM" : "SIGINT");
		notify_send("STOPPING=1");
		event_base_loopbreak(d->base);
		break;
	}
}

static void
daemon_free(struct daemon *d)
{
	/* What the last fetches wrote is kept. */
	if (d->store != NULL)
		daemon_flush(d);
	/* Transfers first: their callbacks must not run into freed parts. */
	while (d->njobs > 0)
		job_free(d, d->jobs[0]);
	free(d->jobs);
	fetch_free(d->fetcher);
	/* fetch_free cancelled their transfers without calling back. */
	while (!LIST_EMPTY(&d->pings))
		ping_free(LIST_FIRST(&d->pings));
	if (d->publish_ev != NULL)
		event_free(d->publish_ev);
	if (d->websub_ev != NULL)
		event_free(d->websub_ev);
	str_list_free(d->websub_due, d->nwebsub_due);
	free(d->link_base);
	watch_free(d->watch);
	if (d->watchdog != NULL)
		event_free(d->watchdog);
	http_free(d->httpd);
	refilter_free(d->refilter);
	if (d->refilter_ev != NULL)
		event_free(d->refilter_ev);
	publish_free(d->pub);
	sched_free(d->sched);
	for (size_t i = 0; i < nitems(d->signals); i++)
		if (d->signals[i] != NULL)
			event_free(d->signals[i]);
	if (d->maint != NULL)
		event_free(d->maint);
	if (d->retry != NULL)
		event_free(d->retry);
	if (d->batch_ev != NULL)
		event_free(d->batch_ev);
	names_free(d->batch_feeds, d->nbatch_feeds);
	names_free(d->prune_feeds, d->nprune_feeds);
	names_free(d->stalled, d->nstalled);
	outputs_free(d->outs, d->nouts);
	store_close(d->store);
	config_free(d->config);
	if (d->base != NULL)
		event_base_free(d->base);
	free(d->reload_error);
	free(d->config_path);
	free(d->notified);
}

static int
daemon_init(struct daemon *d, const char *path, int once)
{
	char *errors = NULL, *cause = NULL;

	memset(d, 0, sizeof *d);
	LIST_INIT(&d->pings);
	d->once = once;
	d->config_path = xstrdup(path);
	d->status.started = now_unix();
	if ((d->config = config_load(path, &errors)) == NULL) {
		fprintf(stderr, "%s\n", errors);
		free(errors);
		return -1;
	}
	if ((d->outs = outputs_compile(d->config, &cause)) == NULL) {
		fprintf(stderr, "%s\n", cause);
		free(cause);
		return -1;
	}
	d->nouts = d->config->noutputs;
	if ((d->store = store_open(d->config->database, &cause)) == NULL) {
		log_warnx("%s: %s", d->config->database, cause);
		free(cause);
		return -1;
	}
	if (daemon_sync_feeds(d) != 0)
		return -1;
	/* A new database: its items get today's story keys as they come. */
	if (ingest_keys_init(d->store, &cause) != 0) {
		log_warnx("%s: %s", d->config->database, cause);
		free(cause);
		return -1;
	}
	if ((d->base = event_base_new()) == NULL ||
	    event_base_priority_init(d->base, EVPRIO_COUNT) != 0)
		fatalx("event_base_new failed");
	d->refilter_ev = evtimer_new(d->base, daemon_refilter_step, d);
	if (d->refilter_ev == NULL)
		fatalx("evtimer_new failed");
	/* Background work: readers and polls come first. */
	event_priority_set(d->refilter_ev, EVPRIO_POLL);
	d->fetcher = fetch_new(d->base);
	d->sched = sched_new(d->base, d->config->concurrency,
	    d->config->per_host, daemon_run_feed, d);
	d->pub = publish_new(d->store, d->config, &d->status);
	if ((d->maint = evtimer_new(d->base, daemon_maintain, d)) == NULL ||
	    (d->retry = evtimer_new(d->base, daemon_retry, d)) == NULL ||
	    (d->batch_ev = evtimer_new(d->base, daemon_batch_cb, d)) == NULL ||
	    event_priority_set(d->maint, EVPRIO_POLL) != 0)
		fatalx("evtimer_new failed");
	/* The first retention pass waits for the first polls. */
	d->prune_due = now_unix() + daemon_prune_period(d->config);
	daemon_refilter(d);
	return 0;
}

static void
daemon_schedule_all(struct daemon *d)
{
	for (size_t i = 0; i < d->config->nfeeds; i++)
		daemon_schedule(d, &d->config->feeds[i], 1);
}

/*
 * Two failures are the same one if only their numbers differ: curl's
 * messages carry times and byte counts that change from poll to poll.
 */
static int
daemon_same_failure(const char *a, const char *b)
{
	for (;;) {
		if (*a >= '0' && *a <= '9' && *b >= '0' && *b <= '9') {
			while (*a >= '0' && *a <= '9')
				a++;
			while (*b >= '0' && *b <= '9')
				b++;
			continue;
		}
		if (*a != *b)
			return 0;
		if (*a == '\0')
			return 1;
		a++;
		b++;
	}
}

/*
 * How a poll ended, compared with the one before, before the store records
 * it. Returns 1 if a failure is new or different, so worth a warning; 0 if
 * the feed fails the same way as before (or works). A recovery is said
 * once, here.
 */
static int
daemon_health(struct daemon *d, const char *name, long status,
    const char *error)
{
	struct store_feed prev;
	int known, failing, loud = 0;

	memset(&prev, 0, sizeof prev);
	known = store_feed_get(d->store, name, &prev) == 0;
	failing = known && prev.last_error != NULL;
	if (error != NULL) {
		loud = !failing || prev.last_status != status ||
		    !daemon_same_failure(prev.last_error, error);
		if (!failing)
			d->nfailing++;
	} else if (failing) {
		log_notice("feed %s: works again", name);
		if (d->nfailing > 0)
			d->nfailing--;
	}
	if (known)
		store_feed_clear(&prev);
	return loud;
}

/* Feeds of the running config whose last poll failed, from the store. */
static void
daemon_count_failing(struct daemon *d)
{
	struct store_feed *feeds;
	size_t n;

	if (store_feed_list(d->store, &feeds, &n) != 0)
		return;
	d->nfailing = 0;
	for (size_t i = 0; i < n; i++)
		if (feeds[i].last_error != NULL)
			d->nfailing++;
	store_feed_list_free(feeds, n);
}

/*
 * The one line `systemctl status` shows, sent when it changes; first, if
 * also is not NULL, the state change also ("READY=1").
 */
static void
daemon_notify_status(struct daemon *d, const char *also)
{
	const struct config *cf = d->config;
	struct buf b;
	size_t more = 0;
	char *line;

	if (!notify_enabled())
		return;
	if (also != NULL)
		notify_send("%s", also);
	buf_init(&b);
	if (d->reload_error != NULL) {
		for (const char *s = d->reload_error; (s = strchr(s, '\n')) !=
		    NULL; s++)
			more++;
		buf_printf(&b, "reload failed, running the previous "
		    "configuration: %.*s",
		    (int)strcspn(d->reload_error, "\n"), d->reload_error);
		if (more > 0)
			buf_printf(&b, " (and %zu more)", more);
		buf_adds(&b, "; ");
	}
	buf_printf(&b, "%zu feed%s, %zu failing, %zu output%s", cf->nfeeds,
	    cf->nfeeds == 1 ? "" : "s", d->nfailing, cf->noutputs,
	    cf->noutputs == 1 ? "" : "s");
	line = buf_steal(&b, NULL);
	if (also == NULL && d->notified != NULL &&
	    strcmp(line, d->notified) == 0) {
		free(line);
		return;
	}
	notify_status("%s", line);
	free(d->notified);
	d->notified = line;
}

static void
daemon_config_changed(void *arg)
{
	struct daemon *d = arg;

	log_info("configuration changed: reloading %s", d->config_path);
	daemon_reload(d);
}

/* Watches the files of the running config, as reload_on_change says. */
static void
daemon_watch_config(struct daemon *d)
{
	const struct config *cf = d->config;
	char *cause = NULL;

	if (!cf->reload_on_change) {
		watch_free(d->watch);
		d->watch = NULL;
		return;
	}
	if (d->watch == NULL) {
		d->watch = watch_new(d->base, RELOAD_QUIET_MS, RELOAD_MAX_MS,
		    daemon_config_changed, d, &cause);
		if (d->watch == NULL) {
			log_warnx("cannot watch the configuration (SIGHUP still "
			    "reloads it): %s", cause);
			free(cause);
			return;
		}
	}
	watch_clear(d->watch);
	for (size_t i = 0; i < cf->nfiles + cf->nincludes; i++) {
		const char *path = i < cf->nfiles ? cf->files[i] :
		    cf->includes[i - cf->nfiles];

		if (watch_add(d->watch, path, &cause) != 0) {
			log_warnx("cannot watch %s (SIGHUP still reloads it): %s",
			    path, cause);
			free(cause);
			cause = NULL;
		}
	}
}

/* The loop is alive: that is what systemd's watchdog wants to hear. */
static void
daemon_watchdog(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	notify_send("WATCHDOG=1");
}

/* The HTTP server, on systemd's sockets if it passed any. */
static int
daemon_listen(struct daemon *d)
{
	char *cause = NULL;
	int *fds = NULL, n;

	if ((n = notify_listen_fds(&fds, &cause)) == -1)
		goto fail;
	if (n == 0) {
		d->httpd = http_new(d->base, d->config->listen_host,
		    d->config->listen_port, d->pub, &cause);
		if (d->httpd == NULL)
			goto fail;
		log_notice("listening on http://%s:%u/ with %zu feeds, %zu "
		    "outputs", d->config->listen_host,
		    (unsigned)http_port(d->httpd), d->config->nfeeds,
		    d->config->noutputs);
		return 0;
	}
	d->httpd = http_new(d->base, NULL, 0, d->pub, &cause);
	for (int i = 0; i < n; i++)
		if (http_listen_fd(d->httpd, fds[i], &cause) != 0)
			goto fail;
	free(fds);
	log_notice("listening on %d socket%s from systemd (listen = is not "
	    "used) with %zu feeds, %zu outputs", n, n == 1 ? "" : "s",
	    d->config->nfeeds, d->config->noutputs);
	return 0;

fail:
	log_warnx("%s", cause);
	free(cause);
	free(fds);
	return -1;
}

/*
 * Each reader's connection is a descriptor: take the hard limit, as systemd
 * and most shells leave the soft one at 1024.
 */
static void
daemon_raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= rl.rlim_max)
		return;
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
		log_warn("setrlimit RLIMIT_NOFILE");
}

int
daemon_serve(const char *path)
{
	struct daemon d;
	static const int sigs[] = { SIGTERM, SIGINT, SIGHUP };
	char *cause = NULL;
	uint64_t usec;
	struct timeval tv;
	int rc = 1;

	daemon_raise_nofile();
	if (notify_open(&cause) == -1) {
		log_warnx("%s", cause);
		free(cause);
	}
	if (daemon_init(&d, path, 0) != 0 || daemon_listen(&d) != 0) {
		notify_status("could not start: see the log");
		goto out;
	}
	d.publish_ev = evtimer_new(d.base, daemon_publish_cb, &d);
	d.websub_ev = evtimer_new(d.base, daemon_websub_cb, &d);
	if (d.publish_ev == NULL || d.websub_ev == NULL)
		fatalx("evtimer_new failed");
	/* Every output is there before the first request (and READY=1). */
	daemon_set_base(&d);
	publish_refresh(d.pub, NULL, NULL);
	signal(SIGPIPE, SIG_IGN);
	for (size_t i = 0; i < nitems(sigs); i++) {
		d.signals[i] = evsignal_new(d.base, sigs[i], daemon_signal, &d);
		if (d.signals[i] == NULL || evsignal_add(d.signals[i], NULL) != 0)
			fatalx("cannot watch signal %d", sigs[i]);
	}
	if ((usec = notify_watchdog_usec()) > 0) {
		/* Twice per interval, as sd_watchdog_enabled(3) advises. */
		usec /= 2;
		tv.tv_sec = (time_t)(usec / 1000000);
		tv.tv_usec = (suseconds_t)(usec % 1000000);
		d.watchdog = event_new(d.base, -1, EV_PERSIST, daemon_watchdog,
		    &d);
		/* Busy readers must not starve it into a restart. */
		if (d.watchdog == NULL ||
		    event_priority_set(d.watchdog, EVPRIO_SERVE) != 0 ||
		    event_add(d.watchdog, &tv) != 0)
			fatalx("cannot add the watchdog timer");
	}
	daemon_watch_config(&d);
	daemon_count_failing(&d);
	daemon_notify_status(&d, "READY=1");
	daemon_schedule_all(&d);
	tv.tv_sec = 0;
	tv.tv_usec = 0;
	evtimer_add(d.maint, &tv);
	if (event_base_dispatch(d.base) != 0)
		log_warnx("the event loop failed");
	else
		rc = 0;
	log_info("stopped");
out:
	daemon_free(&d);
	notify_close();
	return rc;
}

int
daemon_poll(const char *path)
{
	struct daemon d;
	int rc = 1;

	if (daemon_init(&d, path, 1) != 0)
		goto out;
	if (d.config->nfeeds > 0) {
		daemon_schedule_all(&d);
		event_base_dispatch(d.base);
	}
	daemon_flush(&d);
	daemon_maintain_all(&d);
	rc = 0;
out:
	daemon_free(&d);
	return rc;
}
