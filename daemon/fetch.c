#include <sys/queue.h>

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <event2/event.h>

#include "fetch.h"
#include "log.h"
#include "util.h"

#define FETCH_USER_AGENT "feedmux/" FEEDMUX_VERSION

/* One response of a transfer: the first, then one per redirect followed. */
struct fetch_hop {
	long status;
	char *url;
};

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
	struct fetch_hop hops[FETCH_MAX_REDIRECTS + 2];
	size_t nhops;
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
	for (size_t i = 0; i < f->nhops; i++)
		free(f->hops[i].url);
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

/*
 * Every header line of every response, redirects included: the status lines
 * say which responses were permanent redirects, and to where.
 */
static size_t
fetch_header_cb(char *line, size_t size, size_t nmemb, void *userp)
{
	struct fetch *f = userp;
	size_t n = size * nmemb, i;
	long status = 0;
	const char *url = NULL;

	if (n < 12 || strncmp(line, "HTTP/", 5) != 0)
		return n;
	for (i = 5; i < n && line[i] != ' '; i++)
		;
	for (i++; i < n && line[i] >= '0' && line[i] <= '9'; i++)
		status = status * 10 + (line[i] - '0');
	/* Informational responses come before the real one. */
	if (status < 200 || status > 999 || f->nhops == nitems(f->hops))
		return n;
	curl_easy_getinfo(f->easy, CURLINFO_EFFECTIVE_URL, &url);
	f->hops[f->nhops].status = status;
	f->hops[f->nhops].url = xstrdup(url != NULL ? url : f->url);
	f->nhops++;
	return n;
}

/* Where the leading run of permanent redirects led; NULL if there was none. */
static const char *
fetch_permanent_url(const struct fetch *f)
{
	const char *url = NULL;

	for (size_t i = 0; i + 1 < f->nhops; i++) {
		if (f->hops[i].status != 301 && f->hops[i].status != 308)
			break;
		url = f->hops[i + 1].url;
	}
	return url;
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
	char *lastmod = NULL, *effective = NULL, *cc = NULL, *expires = NULL;
	char *date = NULL;
	const char *s;
	int64_t now;
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
	/* Rounded up: "3 seconds" must not end before 3 seconds have passed. */
	now = (now_unix_ms() + 999) / 1000;
	if ((s = fetch_header(f->easy, "Retry-After")) != NULL)
		r.retry_after = fetch_parse_retry_after(s, now);
	if ((s = fetch_header(f->easy, "Cache-Control")) != NULL)
		cc = xstrdup(s);
	if ((s = fetch_header(f->easy, "Expires")) != NULL)
		expires = xstrdup(s);
	if ((s = fetch_header(f->easy, "Date")) != NULL)
		date = xstrdup(s);
	r.fresh_until = fetch_parse_freshness(cc, expires, date,
	    fetch_header(f->easy, "Age"), now);

	if (f->too_big || rc == CURLE_FILESIZE_EXCEEDED)
		xasprintf(&error, "body larger than %zu bytes", f->max_bytes);
	else if (rc == CURLE_TOO_MANY_REDIRECTS)
		xasprintf(&error, "more than %d redirects", FETCH_MAX_REDIRECTS);
	else if (rc == CURLE_UNSUPPORTED_PROTOCOL && f->nhops > 0 &&
	    ((s = fetch_header(f->easy, "Location")) != NULL ||
	    (curl_easy_getinfo(f->easy, CURLINFO_EFFECTIVE_URL, &s) ==
	    CURLE_OK && s != NULL)))
		xasprintf(&error, "redirect to %.200s refused (http and https "
		    "only)", s);
	else if (rc == CURLE_OPERATION_TIMEDOUT &&
	    strstr(f->errbuf, "too slow") != NULL)
		xasprintf(&error, "too slow: %s", f->errbuf);
	else if (rc != CURLE_OK)
		xasprintf(&error, "%s", f->errbuf[0] != '\0' ? f->errbuf :
		    curl_easy_strerror(rc));

	r.url = f->url;
	r.error = error;
	r.status = status;
	r.body = f->body.data != NULL ? f->body.data : "";
	r.len = f->body.len;
	r.effective_url = effective != NULL ? effective : f->url;
	r.permanent_url = fetch_permanent_url(f);
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
	free(cc);
	free(expires);
	free(date);
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
	char *ua;

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
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, fetch_header_cb);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, f);
	ua = fetch_user_agent(req->contact);
	curl_easy_setopt(e, CURLOPT_USERAGENT, ua);	/* curl copies it */
	free(ua);
	/* Without a proxy set, libcurl reads http_proxy, https_proxy, no_proxy. */
	if (req->proxy != NULL)
		curl_easy_setopt(e, CURLOPT_PROXY, req->proxy);
	curl_easy_setopt(e, CURLOPT_SUPPRESS_CONNECT_HEADERS, 1L);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	/* Only http and https, also after a redirect. */
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(e, CURLOPT_MAXREDIRS, (long)FETCH_MAX_REDIRECTS);
	/* "" asks for every encoding this libcurl can decode. */
	curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, req->connect_timeout > 0 ?
	    req->connect_timeout : (long)FETCH_DEFAULT_CONNECT_TIMEOUT);
	curl_easy_setopt(e, CURLOPT_TIMEOUT,
	    req->timeout > 0 ? req->timeout : (long)FETCH_DEFAULT_TIMEOUT);
	if (req->low_speed_limit > 0 && req->low_speed_time > 0) {
		curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, req->low_speed_limit);
		curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, req->low_speed_time);
	}
	curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)f->max_bytes);
	/* Copied: the caller's buffer may be gone before the transfer is. */
	if (req->post != NULL)
		curl_easy_setopt(e, CURLOPT_COPYPOSTFIELDS, req->post);

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

char *
fetch_url_host(const char *url)
{
	CURLU *u;
	char *host = NULL, *copy = NULL;

	if ((u = curl_url()) == NULL)
		fatalx("curl_url failed");
	if (curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
	    host != NULL && *host != '\0') {
		copy = xstrdup(host);
		for (char *p = copy; *p != '\0'; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p += 'a' - 'A';
	}
	curl_free(host);
	curl_url_cleanup(u);
	return copy;
}

char *
fetch_user_agent(const char *contact)
{
	char *ua;

	if (contact == NULL || *contact == '\0')
		return xstrdup(FETCH_USER_AGENT);
	xasprintf(&ua, "%s (+%s)", FETCH_USER_AGENT, contact);
	return ua;
}

/* Digits only, into a non-negative number that saturates; -1 if none. */
static int64_t
fetch_number(const char *s, size_t len)
{
	int64_t n = 0;

	if (len == 0)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		if (n < INT64_MAX / 20)
			n = n * 10 + (s[i] - '0');
	}
	return n;
}

/* Seconds, capped so that adding them to a time cannot overflow. */
static int64_t
fetch_add(int64_t now, int64_t secs)
{
	const int64_t most = (int64_t)100 * 365 * 86400;

	return now + (secs > most ? most : secs);
}

static const char *
fetch_trim(const char *s, size_t *len)
{
	while (*len > 0 && (*s == ' ' || *s == '\t')) {
		s++;
		(*len)--;
	}
	while (*len > 0 && (s[*len - 1] == ' ' || s[*len - 1] == '\t'))
		(*len)--;
	return s;
}

int64_t
fetch_parse_retry_after(const char *value, int64_t now)
{
	size_t len = strlen(value);
	const char *s = fetch_trim(value, &len);
	int64_t n;
	time_t t;
	char *copy;

	if ((n = fetch_number(s, len)) >= 0)
		return fetch_add(now, n);
	copy = xstrndup(s, len);
	t = curl_getdate(copy, NULL);
	free(copy);
	if (t == -1)
		return 0;
	/* A date already past: at once, which is still an answer. */
	return (int64_t)t < now ? now : (int64_t)t;
}

int64_t
fetch_parse_freshness(const char *cc, const char *expires, const char *date,
    const char *age, int64_t now)
{
	const char *p, *tok;
	size_t len, nlen;
	int64_t maxage = -1, ageval = 0, exp, d;

	if (age != NULL) {
		len = strlen(age);
		p = fetch_trim(age, &len);
		if ((ageval = fetch_number(p, len)) < 0)
			ageval = 0;
	}
	for (p = cc; p != NULL && *p != '\0'; p += *p == ',' ? 1 : 0) {
		len = strcspn(p, ",");
		tok = fetch_trim(p, &len);
		p += strcspn(p, ",");
		nlen = strcspn(tok, "=");
		if (nlen > len)
			nlen = len;
		/* What may not be reused says nothing of when to ask again. */
		if ((nlen == 8 && strncasecmp(tok, "no-store", 8) == 0) ||
		    (nlen == 8 && strncasecmp(tok, "no-cache", 8) == 0))
			return 0;
		if (nlen == 7 && strncasecmp(tok, "max-age", 7) == 0 &&
		    nlen < len) {
			tok += 8;
			len -= 8;
			if (len >= 2 && tok[0] == '"' && tok[len - 1] == '"') {
				tok++;
				len -= 2;
			}
			if ((maxage = fetch_number(tok, len)) < 0)
				return 0;	/* invalid: stale (RFC 9111) */
		}
	}
	if (maxage >= 0)
		return maxage > ageval ? fetch_add(now, maxage - ageval) : 0;
	if (expires == NULL)
		return 0;
	if ((exp = curl_getdate(expires, NULL)) == -1)
		return 0;
	/* Measured on the server's clock, in case ours is off. */
	if (date == NULL || (d = curl_getdate(date, NULL)) == -1)
		d = now;
	if (exp - d <= ageval)
		return 0;
	return fetch_add(now, exp - d - ageval);
}
