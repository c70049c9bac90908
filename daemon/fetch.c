#include <sys/queue.h>

#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <event2/event.h>

#include "fetch.h"
#include "log.h"
#include "util.h"

#define FETCH_USER_AGENT "feedmux/" FEEDMUX_VERSION
/* A transfer slower than this many bytes per second for that long is dropped. */
#define FETCH_LOW_SPEED_LIMIT	16
#define FETCH_LOW_SPEED_TIME	30

struct fetch_sock {
	TAILQ_ENTRY(fetch_sock) entry;
	struct fetcher *fetcher;
	curl_socket_t fd;
	struct event *ev;
};

struct fetch {
	TAILQ_ENTRY(fetch) entry;
	struct fetcher *fetcher;
	CURL *easy;
	struct curl_slist *headers;
	char *url;
	struct buf body;
	size_t max_bytes;
	int too_big;
	fetch_cb cb;
	void *arg;
	char errbuf[CURL_ERROR_SIZE];
};

struct fetcher {
	struct event_base *base;
	CURLM *multi;
	struct event *timer;
	TAILQ_HEAD(, fetch) fetches;
	TAILQ_HEAD(, fetch_sock) socks;
	size_t running;
};

static void fetch_check_done(struct fetcher *);

static void
fetch_destroy(struct fetch *f)
{
	struct fetcher *fr = f->fetcher;

	TAILQ_REMOVE(&fr->fetches, f, entry);
	fr->running--;
	curl_multi_remove_handle(fr->multi, f->easy);
	curl_easy_cleanup(f->easy);
	curl_slist_free_all(f->headers);
	buf_free(&f->body);
	free(f->url);
	free(f);
}

static void
fetch_event_cb(evutil_socket_t fd, short what, void *arg)
{
	struct fetch_sock *s = arg;
	struct fetcher *fr = s->fetcher;
	int flags = 0, running;

	if (what & EV_READ)
		flags |= CURL_CSELECT_IN;
	if (what & EV_WRITE)
		flags |= CURL_CSELECT_OUT;
	curl_multi_socket_action(fr->multi, fd, flags, &running);
	fetch_check_done(fr);
}

static void
fetch_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct fetcher *fr = arg;
	int running;

	(void)fd;
	(void)what;
	curl_multi_socket_action(fr->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	fetch_check_done(fr);
}

static void
fetch_sock_free(struct fetch_sock *s)
{
	TAILQ_REMOVE(&s->fetcher->socks, s, entry);
	event_free(s->ev);
	free(s);
}

/* libcurl tells which sockets to watch for what; one event per socket. */
static int
fetch_socket_cb(CURL *easy, curl_socket_t fd, int what, void *userp,
    void *socketp)
{
	struct fetcher *fr = userp;
	struct fetch_sock *s = socketp;
	short kind;

	(void)easy;
	if (what == CURL_POLL_REMOVE) {
		if (s != NULL) {
			curl_multi_assign(fr->multi, fd, NULL);
			fetch_sock_free(s);
		}
		return 0;
	}
	kind = EV_PERSIST;
	if (what & CURL_POLL_IN)
		kind |= EV_READ;
	if (what & CURL_POLL_OUT)
		kind |= EV_WRITE;
	if (s == NULL) {
		s = xcalloc(1, sizeof *s);
		s->fetcher = fr;
		s->fd = fd;
		TAILQ_INSERT_TAIL(&fr->socks, s, entry);
		curl_multi_assign(fr->multi, fd, s);
	} else {
		event_del(s->ev);
		event_free(s->ev);
	}
	s->ev = event_new(fr->base, fd, kind, fetch_event_cb, s);
	if (s->ev != NULL)
		event_priority_set(s->ev, EVPRIO_POLL);
	if (s->ev == NULL || event_add(s->ev, NULL) != 0)
		fatalx("fetch: cannot watch socket %d", (int)fd);
	return 0;
}

static int
fetch_multi_timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
	struct fetcher *fr = userp;
	struct timeval tv;

	(void)multi;
	if (timeout_ms < 0) {
		evtimer_del(fr->timer);
		return 0;
	}
	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (timeout_ms % 1000) * 1000;
	evtimer_add(fr->timer, &tv);
	return 0;
}

static size_t
fetch_write_cb(char *ptr, size_t size, size_t nmemb, void *userp)
{
	struct fetch *f = userp;
	size_t n = size * nmemb;

	/* Stop as soon as the limit is passed, whatever Content-Length said. */
	if (n > f->max_bytes - f->body.len) {
		f->too_big = 1;
		return 0;
	}
	buf_add(&f->body, ptr, n);
	return n;
}

static const char *
fetch_header(CURL *easy, const char *name)
{
	struct curl_header *h;

	if (curl_easy_header(easy, name, 0, CURLH_HEADER, -1, &h) != CURLHE_OK)
		return NULL;
	return h->value;
}

static void
fetch_finish(struct fetch *f, CURLcode rc)
{
	struct fetch_result r;
	char *error = NULL, *ctype = NULL, *ctloc = NULL, *etag = NULL;
	char *lastmod = NULL, *effective = NULL;
	const char *s;
	double secs = 0;
	long status = 0;

	memset(&r, 0, sizeof r);
	curl_easy_getinfo(f->easy, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_getinfo(f->easy, CURLINFO_TOTAL_TIME, &secs);
	if (curl_easy_getinfo(f->easy, CURLINFO_EFFECTIVE_URL, &s) == CURLE_OK &&
	    s != NULL)
		effective = xstrdup(s);
	if (curl_easy_getinfo(f->easy, CURLINFO_CONTENT_TYPE, &s) == CURLE_OK &&
	    s != NULL)
		ctype = xstrdup(s);
	/* Copied: curl_easy_header's storage is reused by the next call. */
	if ((s = fetch_header(f->easy, "Content-Location")) != NULL)
		ctloc = xstrdup(s);
	if ((s = fetch_header(f->easy, "ETag")) != NULL)
		etag = xstrdup(s);
	if ((s = fetch_header(f->easy, "Last-Modified")) != NULL)
		lastmod = xstrdup(s);

	if (f->too_big || rc == CURLE_FILESIZE_EXCEEDED)
		xasprintf(&error, "body larger than %zu bytes", f->max_bytes);
	else if (rc != CURLE_OK)
		xasprintf(&error, "%s", f->errbuf[0] != '\0' ? f->errbuf :
		    curl_easy_strerror(rc));

	r.url = f->url;
	r.error = error;
	r.status = status;
	r.body = f->body.data != NULL ? f->body.data : "";
	r.len = f->body.len;
	r.effective_url = effective != NULL ? effective : f->url;
	r.content_type = ctype;
	r.content_location = ctloc;
	r.etag = etag;
	r.last_modified = lastmod;
	r.seconds = secs;

	f->cb(&r, f->arg);

	free(error);
	free(ctype);
	free(ctloc);
	free(etag);
	free(lastmod);
	free(effective);
}

/* Hands every finished transfer to its owner. */
static void
fetch_check_done(struct fetcher *fr)
{
	CURLMsg *msg;
	int left;
	struct fetch *f;

	while ((msg = curl_multi_info_read(fr->multi, &left)) != NULL) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		f = NULL;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&f);
		if (f == NULL)
			continue;
		/* Taken out of the multi before the callback, which may start more. */
		curl_multi_remove_handle(fr->multi, f->easy);
		fetch_finish(f, msg->data.result);
		fetch_destroy(f);
	}
}

struct fetcher *
fetch_new(struct event_base *base)
{
	struct fetcher *fr;

	fr = xcalloc(1, sizeof *fr);
	fr->base = base;
	TAILQ_INIT(&fr->fetches);
	TAILQ_INIT(&fr->socks);
	if ((fr->multi = curl_multi_init()) == NULL)
		fatalx("curl_multi_init failed");
	if ((fr->timer = evtimer_new(base, fetch_timer_cb, fr)) == NULL)
		fatalx("evtimer_new failed");
	event_priority_set(fr->timer, EVPRIO_POLL);
	curl_multi_setopt(fr->multi, CURLMOPT_SOCKETFUNCTION, fetch_socket_cb);
	curl_multi_setopt(fr->multi, CURLMOPT_SOCKETDATA, fr);
	curl_multi_setopt(fr->multi, CURLMOPT_TIMERFUNCTION, fetch_multi_timer_cb);
	curl_multi_setopt(fr->multi, CURLMOPT_TIMERDATA, fr);
	return fr;
}

void
fetch_free(struct fetcher *fr)
{
	struct fetch *f;
	struct fetch_sock *s;

	if (fr == NULL)
		return;
	while ((f = TAILQ_FIRST(&fr->fetches)) != NULL)
		fetch_destroy(f);
	curl_multi_cleanup(fr->multi);
	/* Sockets of cached connections that curl closed without telling. */
	while ((s = TAILQ_FIRST(&fr->socks)) != NULL)
		fetch_sock_free(s);
	event_free(fr->timer);
	free(fr);
}

size_t
fetch_running(const struct fetcher *fr)
{
	return fr->running;
}

static struct curl_slist *
fetch_header_add(struct curl_slist *list, const char *name, const char *value)
{
	struct curl_slist *n;
	char *line;

	/* A validator with a line break would inject a header: drop it. */
	if (strpbrk(value, "\r\n") != NULL)
		return list;
	xasprintf(&line, "%s: %s", name, value);
	if ((n = curl_slist_append(list, line)) == NULL)
		fatalx("curl_slist_append failed");
	free(line);
	return n;
}

struct fetch *
fetch_start(struct fetcher *fr, const struct fetch_request *req, fetch_cb cb,
    void *arg)
{
	struct fetch *f;
	CURL *e;

	f = xcalloc(1, sizeof *f);
	f->fetcher = fr;
	f->url = xstrdup(req->url);
	f->max_bytes = req->max_bytes ? req->max_bytes : FETCH_DEFAULT_MAX_BYTES;
	f->cb = cb;
	f->arg = arg;
	buf_init(&f->body);

	if ((e = f->easy = curl_easy_init()) == NULL)
		fatalx("curl_easy_init failed");
	f->headers = fetch_header_add(NULL, "Accept",
	    "application/rss+xml, application/atom+xml, application/rdf+xml, "
	    "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.1");
	if (req->etag != NULL)
		f->headers = fetch_header_add(f->headers, "If-None-Match", req->etag);
	if (req->last_modified != NULL)
		f->headers = fetch_header_add(f->headers, "If-Modified-Since",
		    req->last_modified);

	curl_easy_setopt(e, CURLOPT_URL, f->url);
	curl_easy_setopt(e, CURLOPT_PRIVATE, f);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, f->errbuf);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, fetch_write_cb);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, f);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, f->headers);
	curl_easy_setopt(e, CURLOPT_USERAGENT, FETCH_USER_AGENT);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	/* Only http and https, also after a redirect. */
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(e, CURLOPT_MAXREDIRS, (long)FETCH_MAX_REDIRECTS);
	/* "" asks for every encoding this libcurl can decode. */
	curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, (long)FETCH_DEFAULT_CONNECT_TIMEOUT);
	curl_easy_setopt(e, CURLOPT_TIMEOUT,
	    req->timeout > 0 ? req->timeout : (long)FETCH_DEFAULT_TIMEOUT);
	curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, (long)FETCH_LOW_SPEED_LIMIT);
	curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, (long)FETCH_LOW_SPEED_TIME);
	curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)f->max_bytes);

	TAILQ_INSERT_TAIL(&fr->fetches, f, entry);
	fr->running++;
	if (curl_multi_add_handle(fr->multi, e) != CURLM_OK)
		fatalx("curl_multi_add_handle failed");
	return f;
}

void
fetch_cancel(struct fetch *f)
{
	fetch_destroy(f);
}
