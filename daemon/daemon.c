#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "config.h"
#include "daemon.h"
#include "fetch.h"
#include "http.h"
#include "ingest.h"
#include "log.h"
#include "match.h"
#include "parse.h"
#include "publish.h"
#include "sched.h"
#include "store.h"
#include "util.h"

/* A feed being fetched. */
struct job {
	char *name;
	struct daemon *d;
	struct fetch *fetch;
};

struct daemon {
	struct event_base *base;
	char *config_path;
	struct config *config;
	struct ingest_output *outs;	/* compiled filters of config's outputs */
	size_t nouts;
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
};

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

		f = match_filter_new(o->keywords, o->nkeywords, NULL, 0,
		    o->exclude, o->nexclude, &why);
		if (f == NULL) {
			xasprintf(cause, "%s:%d: output %s: %s", cf->path,
			    o->line, o->name, why);
			free(why);
			outputs_free(outs, i);
			return NULL;
		}
		outs[i].name = o->name;
		outs[i].filter = f;
	}
	return outs;
}

/* What decides which items an output carries: its filter and the rules. */
static char *
output_signature(const struct config_output *o)
{
	struct buf b;

	buf_init(&b);
	buf_printf(&b, "rules %d\n", MATCH_RULES_VERSION);
	for (size_t i = 0; i < o->nkeywords; i++)
		buf_printf(&b, "any %s\n", o->keywords[i]);
	for (size_t i = 0; i < o->nexclude; i++)
		buf_printf(&b, "none %s\n", o->exclude[i]);
	return buf_steal(&b, NULL);
}

/*
 * Applies the filters of new outputs, and of outputs whose filter changed
 * since their items were chosen (also while feedmux was not running), to
 * every stored item.
 */
static void
daemon_refilter(struct daemon *d)
{
	struct ingest_output *redo;
	char **sigs, *stored, *cause = NULL;
	size_t n = 0;

	redo = xcalloc(d->nouts, sizeof *redo);
	sigs = xcalloc(d->nouts, sizeof *sigs);
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
		redo[n] = d->outs[i];
		sigs[n++] = sig;
	}
	if (n > 0) {
		log_info("choosing the items of %zu output%s anew", n,
		    n == 1 ? "" : "s");
		if (ingest_refilter(d->store, redo, n, &cause) != 0) {
			log_warnx("cannot apply the output filters to stored "
			    "items: %s", cause);
			free(cause);
		} else {
			for (size_t i = 0; i < n; i++)
				store_output_set_filter(d->store, redo[i].name,
				    sigs[i]);
		}
	}
	for (size_t i = 0; i < n; i++)
		free(sigs[i]);
	free(sigs);
	free(redo);
}

static int
daemon_sync_feeds(struct daemon *d)
{
	char **names;
	int rc;

	names = xcalloc(d->config->nfeeds, sizeof *names);
	for (size_t i = 0; i < d->config->nfeeds; i++)
		names[i] = d->config->feeds[i].name;
	rc = store_feeds_sync(d->store, names, d->config->nfeeds);
	free(names);
	return rc;
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

/* The poll of one feed ended: record it, say it, and schedule the next. */
static void
daemon_feed_done(struct daemon *d, const struct config_feed *cf,
    const struct fetch_result *r, const struct feed *feed,
    const struct ingest_result *ir, const char *error)
{
	struct store_fetch sf;
	int64_t now = now_unix();

	memset(&sf, 0, sizeof sf);
	sf.url = cf->url;
	sf.time = now;
	sf.status = r->status;
	sf.error = error;
	sf.next_poll = d->once ? 0 : now + cf->interval;
	if (error == NULL && r->status == 200) {
		sf.title = feed != NULL ? feed->title : NULL;
		sf.link = feed != NULL ? feed->link : NULL;
		sf.etag = r->etag;
		sf.last_modified = r->last_modified;
		sf.nnew = ir != NULL ? (int64_t)ir->nnew : 0;
	}
	if (store_feed_fetched(d->store, cf->name, &sf) != 0)
		log_warnx("feed %s: cannot record the fetch", cf->name);

	if (error != NULL) {
		log_warnx("feed %s: %s", cf->name, error);
		if (d->once)
			printf("%s: failed: %s\n", cf->name, error);
	} else if (r->status == 304) {
		log_info("feed %s: not modified", cf->name);
		if (d->once)
			printf("%s: ok, not modified\n", cf->name);
	} else {
		log_info("feed %s: %zu items, %zu new, %zu updated (%.2fs)",
		    cf->name, ir->nitems, ir->nnew, ir->nupdated, r->seconds);
		if (d->once)
			printf("%s: ok, %zu items, %zu new\n", cf->name,
			    ir->nitems, ir->nnew);
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
	struct ingest_result ir;
	char *error = NULL, *name;

	memset(&ir, 0, sizeof ir);
	name = j->name;
	j->name = NULL;
	job_free(d, j);
	/* Jobs of feeds that a reload removed or changed are cancelled. */
	if ((cf = config_feed_find(d->config, name)) == NULL) {
		free(name);
		return;
	}

	if (r->error != NULL)
		error = xstrdup(r->error);
	else if (r->status == 304)
		;
	else if (r->status != 200)
		xasprintf(&error, "HTTP status %ld", r->status);
	else {
		memset(&ctx, 0, sizeof ctx);
		ctx.url = r->effective_url;
		ctx.content_type = r->content_type;
		ctx.content_location = r->content_location;
		if ((feed = parse_feed(r->body, r->len, &ctx, &error)) != NULL &&
		    ingest_feed(d->store, cf->name, feed, d->outs, d->nouts,
		    now_unix(), &ir, &error) == 0 &&
		    ir.nnew + ir.nupdated > 0)
			publish_invalidate(d->pub, NULL);
	}
	daemon_feed_done(d, cf, r, feed, &ir, error);
	parse_feed_free(feed);
	free(error);

	if (d->once)
		sched_remove(d->sched, name);
	else
		sched_done(d->sched, name, now_unix() + cf->interval);
	free(name);
	if (d->once && sched_count(d->sched) == 0)
		event_base_loopbreak(d->base);
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
	int known;

	if ((cf = config_feed_find(d->config, name)) == NULL) {
		sched_remove(d->sched, name);
		return;
	}
	memset(&req, 0, sizeof req);
	memset(&sf, 0, sizeof sf);
	known = store_feed_get(d->store, name, &sf) == 0;
	req.url = cf->url;
	/* Validators are only good for the URL that gave them. */
	if (known && sf.url != NULL && strcmp(sf.url, cf->url) == 0) {
		req.etag = sf.etag;
		req.last_modified = sf.last_modified;
	}
	j = xcalloc(1, sizeof *j);
	j->name = xstrdup(name);
	j->d = d;
	d->jobs = xreallocarray(d->jobs, d->njobs + 1, sizeof *d->jobs);
	d->jobs[d->njobs++] = j;
	log_debug("feed %s: fetching %s", name, cf->url);
	j->fetch = fetch_start(d->fetcher, &req, daemon_fetched, j);
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

	d->config = ncf;
	outputs_free(d->outs, d->nouts);
	d->outs = nouts;
	d->nouts = ncf->noutputs;
	if (daemon_sync_feeds(d) != 0)
		log_warnx("cannot record the feeds of the new configuration");
	daemon_refilter(d);
	publish_set_config(d->pub, ncf);
	sched_set_concurrency(d->sched, ncf->concurrency);
	/* New feeds (and new URLs) are polled at once. */
	for (size_t i = 0; i < ncf->nfeeds; i++)
		if (!sched_has(d->sched, ncf->feeds[i].name))
			sched_add(d->sched, ncf->feeds[i].name, now);
	config_free(old);

	free(d->reload_error);
	d->reload_error = NULL;
	d->status.reload_error = NULL;
	log_info("configuration reloaded: %zu feeds, %zu outputs", ncf->nfeeds,
	    ncf->noutputs);
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
		event_base_loopbreak(d->base);
		break;
	}
}

static void
daemon_free(struct daemon *d)
{
	/* Transfers first: their callbacks must not run into freed parts. */
	while (d->njobs > 0)
		job_free(d, d->jobs[0]);
	free(d->jobs);
	fetch_free(d->fetcher);
	http_free(d->httpd);
	publish_free(d->pub);
	sched_free(d->sched);
	for (size_t i = 0; i < nitems(d->signals); i++)
		if (d->signals[i] != NULL)
			event_free(d->signals[i]);
	outputs_free(d->outs, d->nouts);
	store_close(d->store);
	config_free(d->config);
	if (d->base != NULL)
		event_base_free(d->base);
	free(d->reload_error);
	free(d->config_path);
}

static int
daemon_init(struct daemon *d, const char *path, int once)
{
	char *errors = NULL, *cause = NULL;

	memset(d, 0, sizeof *d);
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
	daemon_refilter(d);
	if ((d->base = event_base_new()) == NULL ||
	    event_base_priority_init(d->base, EVPRIO_COUNT) != 0)
		fatalx("event_base_new failed");
	d->fetcher = fetch_new(d->base);
	d->sched = sched_new(d->base, d->config->concurrency, daemon_run_feed, d);
	d->pub = publish_new(d->store, d->config);
	return 0;
}

static void
daemon_schedule_all(struct daemon *d)
{
	int64_t now = now_unix();

	for (size_t i = 0; i < d->config->nfeeds; i++)
		sched_add(d->sched, d->config->feeds[i].name, now);
}

int
daemon_serve(const char *path)
{
	struct daemon d;
	static const int sigs[] = { SIGTERM, SIGINT, SIGHUP };
	char *cause = NULL;
	int rc = 1;

	if (daemon_init(&d, path, 0) != 0)
		goto out;
	d.httpd = http_new(d.base, d.config->listen_host, d.config->listen_port,
	    d.pub, &d.status, &cause);
	if (d.httpd == NULL) {
		log_warnx("%s", cause);
		free(cause);
		goto out;
	}
	signal(SIGPIPE, SIG_IGN);
	for (size_t i = 0; i < nitems(sigs); i++) {
		d.signals[i] = evsignal_new(d.base, sigs[i], daemon_signal, &d);
		if (d.signals[i] == NULL || evsignal_add(d.signals[i], NULL) != 0)
			fatalx("cannot watch signal %d", sigs[i]);
	}
	log_notice("listening on http://%s:%u/ with %zu feeds, %zu outputs",
	    d.config->listen_host, (unsigned)http_port(d.httpd),
	    d.config->nfeeds, d.config->noutputs);
	daemon_schedule_all(&d);
	if (event_base_dispatch(d.base) != 0)
		log_warnx("the event loop failed");
	else
		rc = 0;
	log_info("stopped");
out:
	daemon_free(&d);
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
	rc = 0;
out:
	daemon_free(&d);
	return rc;
}
