/*
 * http: why a server of its own and not libevent's evhttp: evhttp 2.1 has
 * no limit on connections, no deadline for a whole request (one byte every
 * few seconds keeps a connection forever), writes at most 16 KB per turn
 * of the loop and cannot answer 431. This one reads request heads into an
 * evbuffer, answers from documents publish keeps (added by reference,
 * never copied) and writes with writev, one connection at a time, each
 * with one timer.
 */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/util.h>

#include "http.h"
#include "log.h"
#include "publish.h"
#include "util.h"

/* Bytes read from a socket at a time. */
#define HTTP_READ_MAX (64 * 1024)
/* After a response that ends the connection, how long and how much the
 * client's remaining bytes are read and dropped before the close, so that
 * a reset does not destroy the response in flight. */
#define HTTP_LINGER_TIMEOUT 2
#define HTTP_LINGER_MAX (64 * 1024)
/* Descriptors kept for everything else: feeds, the database, logs. */
#define HTTP_FD_RESERVE 128
#define HTTP_MAX_PATH 512

enum http_route {
	R_INDEX,
	R_ATOM,
	R_RSS,
	R_JSON,
	R_HTML,
	R_OPML,
	R_HEALTHZ,
	R_METRICS,
	R_OTHER,
	R_N
};

static const char *const route_names[R_N] = {
    "index",
    "atom",
    "rss",
    "json",
    "html",
    "opml",
    "healthz",
    "metrics",
    "other",
};

/* Every status this server sends, for the request counters. */
static const int http_codes[] = {
    200, 304, 400, 404, 405, 408, 413, 414, 431, 500, 503, 505};
#define HTTP_NCODES nitems(http_codes)

enum conn_state {
	CONN_READ,   /* waiting for (the rest of) a request */
	CONN_WRITE,  /* sending; no request is read meanwhile */
	CONN_LINGER, /* answered and shut for writing; draining */
};

struct http_conn {
	LIST_ENTRY(http_conn) entry;
	struct httpd *h;
	evutil_socket_t fd;
	struct event *rev;
	struct event *wev;
	struct event *timer;
	struct evbuffer *in;
	struct evbuffer *out;
	enum conn_state state;
	int close_after; /* close once out is sent */
	int peer_eof;
	int64_t req_start; /* monotonic ms of a partial request's first byte */
	int64_t active;	   /* monotonic ms of the last activity */
	size_t lingered;
};

struct http_listener {
	evutil_socket_t fd;
	struct event *ev;
};

struct httpd {
	struct event_base *base;
	struct publisher *pub;
	struct http_listener *ls; /* sockets that accept connections */
	size_t nls;
	struct event *resume;
	int accepting;
	int64_t accept_warned;
	uint16_t port;
	LIST_HEAD(, http_conn) conns;
	size_t nconns;
	size_t max_conns;
	uint64_t requests[R_N][HTTP_NCODES];
	int64_t date_time;
	char date[30];
};

static void conn_process(struct http_conn *);
static void conn_flush(struct http_conn *);

/* Parsing ----------------------------------------------------------------- */

static int
tchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') ||
	       (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* The next comma-separated element of a field value, trimmed; NULL at end. */
static const char *
list_next(const char **sp, size_t *len)
{
	const char *s = *sp, *e;

	for (;;) {
		while (*s == ' ' || *s == '\t' || *s == ',')
			s++;
		if (*s == '\0')
			return NULL;
		e = s + strcspn(s, ",");
		*sp = e;
		*len = (size_t)(e - s);
		while (*len > 0 && (s[*len - 1] == ' ' || s[*len - 1] == '\t'))
			(*len)--;
		if (*len > 0)
			return s;
		s = e;
	}
}

/* The weight of one Accept-Encoding element: 0 if it says q=0. */
static int
ae_weight(const char *s, size_t len)
{
	const char *p = memchr(s, ';', len), *end = s + len;

	while (p != NULL && p < end) {
		p++;
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		if (end - p >= 2 && (p[0] == 'q' || p[0] == 'Q') &&
		    p[1] == '=') {
			p += 2;
			if (p < end && *p == '0') {
				for (p++; p < end && (*p == '.' || *p == '0');
				     p++)
					;
				return p < end && *p >= '1' && *p <= '9';
			}
			return 1;
		}
		p = memchr(p, ';', (size_t)(end - p));
	}
	return 1;
}

static void
ae_field(struct http_request *req, const char *v)
{
	const char *e;
	size_t len, clen;

	while ((e = list_next(&v, &len)) != NULL) {
		clen = strcspn(e, "; \t");
		if (clen > len)
			clen = len;
		if ((clen == 4 && strncasecmp(e, "gzip", 4) == 0) ||
		    (clen == 6 && strncasecmp(e, "x-gzip", 6) == 0))
			req->ae_gzip = ae_weight(e, len) ? 1 : 0;
		else if (clen == 1 && e[0] == '*')
			req->ae_star = ae_weight(e, len) ? 1 : 0;
	}
}

/* One header field; 0, or the status that refuses the request. */
static int
http_field(
    struct http_request *req, char *name, char *value, int *close, int *ka)
{
	const char *v = value, *e;
	size_t len;
	long long n;
	char *end;

	if (strcasecmp(name, "host") == 0)
		req->nhost++;
	else if (strcasecmp(name, "connection") == 0) {
		while ((e = list_next(&v, &len)) != NULL) {
			if (len == 5 && strncasecmp(e, "close", 5) == 0)
				*close = 1;
			else if (len == 10 &&
				 strncasecmp(e, "keep-alive", 10) == 0)
				*ka = 1;
		}
	} else if (strcasecmp(name, "content-length") == 0) {
		if (*value < '0' || *value > '9')
			return 400;
		errno = 0;
		n = strtoll(value, &end, 10);
		if (*end != '\0' || errno != 0)
			return 400;
		/* Two different lengths: which one frames the body? */
		if (req->clen >= 0 && req->clen != n)
			return 400;
		req->clen = n;
		if (n > 0)
			req->has_body = 1;
	} else if (strcasecmp(name, "transfer-encoding") == 0)
		req->has_body = 1;
	else if (strcasecmp(name, "if-none-match") == 0) {
		if (req->ninm < nitems(req->if_none_match))
			req->if_none_match[req->ninm++] = value;
	} else if (strcasecmp(name, "if-modified-since") == 0)
		req->if_modified_since = value;
	else if (strcasecmp(name, "accept-encoding") == 0)
		ae_field(req, value);
	return 0;
}

/* The request line; 0, or the status that refuses it. */
static int
http_request_line(char *line, struct http_request *req)
{
	char *p = line, *target, *t;

	while (tchar((unsigned char)*p))
		p++;
	if (p == line || *p != ' ')
		return 400;
	*p++ = '\0';
	if (strcmp(line, "GET") == 0)
		req->method = HTTP_GET;
	else if (strcmp(line, "HEAD") == 0)
		req->method = HTTP_HEAD;
	else
		req->method = HTTP_OTHER;
	target = p;
	while ((unsigned char)*p > ' ' && *p != 0x7f)
		p++;
	if (p == target || *p != ' ')
		return 400;
	*p++ = '\0';
	if (strncmp(p, "HTTP/", 5) != 0 || p[5] < '0' || p[5] > '9' ||
	    p[6] != '.' || p[7] < '0' || p[7] > '9' || p[8] != '\0')
		return 400;
	/* HTTP/2 and HTTP/3 exist but are not spoken here; others do not. */
	if (p[5] == '2' || p[5] == '3')
		return 505;
	if (p[5] != '1')
		return 400;
	req->minor = p[7] - '0';

	/* origin-form, or absolute-form (which a server must accept too). */
	if (strncasecmp(target, "http://", 7) == 0 ||
	    strncasecmp(target, "https://", 8) == 0) {
		t = strstr(target, "://") + 3;
		t += strcspn(t, "/?#");
		if (*t != '/') {
			/* No path: "/" (the authority's bytes are ours to
			 * reuse). */
			t[-1] = '/';
			t[0] = '\0';
			t--;
		}
		target = t;
	} else if (target[0] != '/' && strcmp(target, "*") != 0)
		return 400;
	target[strcspn(target, "?#")] = '\0';
	req->path = target;
	return 0;
}

int
http_parse(char *buf, size_t len, struct http_request *req)
{
	char *p = buf, *end = buf + len, *line, *nl, *colon, *v, *ve;
	size_t nfields = 0;
	int rc, close = 0, ka = 0;

	memset(req, 0, sizeof *req);
	req->clen = -1;
	req->ae_gzip = req->ae_star = -1; /* not named */
	/* Empty lines before a request are allowed (RFC 9112 2.2). */
	while (p < end && (*p == '\r' || *p == '\n') && p - buf < 16)
		p++;
	if (p == end)
		return len > HTTP_MAX_HEADER ? 400 : 1;
	/* Bytes no request line holds (TLS, say): no use waiting for more. */
	if (!tchar((unsigned char)*p))
		return 400;
	for (line = p; line < end && *line != '\n'; line++)
		if (((unsigned char)*line < ' ' && *line != '\r') ||
		    *line == 0x7f)
			return 400;

	/* The request line. */
	if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL) {
		if ((size_t)(end - p) > HTTP_MAX_LINE)
			return 414;
		return len >= HTTP_MAX_HEADER ? 431 : 1;
	}
	if ((size_t)(nl - p) > HTTP_MAX_LINE)
		return 414;
	/* Find the whole head before changing any byte of it. */
	for (line = nl + 1;;) {
		char *lnl = memchr(line, '\n', (size_t)(end - line));

		if (lnl == NULL || (size_t)(lnl + 1 - buf) > HTTP_MAX_HEADER)
			return (size_t)(end - buf) >= HTTP_MAX_HEADER ? 431 : 1;
		if (lnl == line || (lnl == line + 1 && line[0] == '\r')) {
			req->len = (size_t)(lnl + 1 - buf);
			break;
		}
		line = lnl + 1;
	}

	end = buf + req->len;
	/* A NUL would end a field early and hide what follows it. */
	if (memchr(buf, '\0', req->len) != NULL)
		return 400;
	line = p;
	nl = memchr(line, '\n', (size_t)(end - line));
	if (nl > line && nl[-1] == '\r')
		nl[-1] = '\0';
	*nl = '\0';
	if (strchr(line, '\r') != NULL)
		return 400;
	if ((rc = http_request_line(line, req)) != 0)
		return rc;

	for (line = nl + 1; line < end; line = nl + 1) {
		nl = memchr(line, '\n', (size_t)(end - line));
		if (nl > line && nl[-1] == '\r')
			nl[-1] = '\0';
		*nl = '\0';
		if (*line == '\0')
			break;
		if (++nfields > HTTP_MAX_FIELDS)
			return 431;
		/* A folded line (obs-fold) must be refused or joined: refused.
		 */
		if (*line == ' ' || *line == '\t')
			return 400;
		for (colon = line; tchar((unsigned char)*colon); colon++)
			;
		if (colon == line || *colon != ':')
			return 400;
		*colon = '\0';
		for (v = colon + 1; *v == ' ' || *v == '\t'; v++)
			;
		for (ve = v; *ve != '\0'; ve++)
			if (((unsigned char)*ve < ' ' && *ve != '\t') ||
			    *ve == 0x7f)
				return 400;
		while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
			ve--;
		*ve = '\0';
		if ((rc = http_field(req, line, v, &close, &ka)) != 0)
			return rc;
	}
	if (req->minor >= 1 && req->nhost != 1)
		return 400;
	if (req->nhost > 1)
		return 400;
	req->keep_alive = req->minor >= 1 ? !close : ka && !close;
	/* "gzip;q=0" refuses it even when "*" would take it. */
	req->accept_gzip =
	    req->ae_gzip == 1 || (req->ae_gzip == -1 && req->ae_star == 1);
	return 0;
}

static int
month_number(const char *s)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";

	for (int i = 0; i < 12; i++)
		if (strncmp(s, months + 3 * i, 3) == 0)
			return i + 1;
	return 0;
}

int
http_date_parse(const char *s, int64_t *t)
{
	char wday[12], mon[4], tz[4], extra;
	int d, y, hh, mm, ss, m;

	memset(mon, 0, sizeof mon);
	memset(tz, 0, sizeof tz);
	/* IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT */
	if (sscanf(s, "%3[A-Za-z], %2d %3[A-Za-z] %4d %2d:%2d:%2d %3[A-Z]%c",
		wday, &d, mon, &y, &hh, &mm, &ss, tz, &extra) == 8 &&
	    strcmp(tz, "GMT") == 0)
		;
	/* RFC 850: Sunday, 06-Nov-94 08:49:37 GMT */
	else if (sscanf(s,
		     "%11[A-Za-z], %2d-%3[A-Za-z]-%2d %2d:%2d:%2d %3[A-Z]%c",
		     wday, &d, mon, &y, &hh, &mm, &ss, tz, &extra) == 8 &&
		 strcmp(tz, "GMT") == 0)
		y += y < 70 ? 2000 : 1900;
	/* asctime: Sun Nov  6 08:49:37 1994 */
	else if (sscanf(s, "%3[A-Za-z] %3[A-Za-z] %2d %2d:%2d:%2d %4d%c", wday,
		     mon, &d, &hh, &mm, &ss, &y, &extra) == 7)
		;
	else
		return -1;
	if ((m = month_number(mon)) == 0 || d < 1 || d > 31 || hh > 23 ||
	    mm > 59 || ss > 60 || y < 1970)
		return -1;
	*t = time_days_from_civil(y, m, d) * 86400 + hh * 3600 + mm * 60 + ss;
	return 0;
}

/* Responses --------------------------------------------------------------- */

static const char *
http_reason(int code)
{
	switch (code) {
	case 200:
		return "OK";
	case 304:
		return "Not Modified";
	case 400:
		return "Bad Request";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 408:
		return "Request Timeout";
	case 413:
		return "Content Too Large";
	case 414:
		return "URI Too Long";
	case 431:
		return "Request Header Fields Too Large";
	case 503:
		return "Service Unavailable";
	case 505:
		return "HTTP Version Not Supported";
	default:
		return "Internal Server Error";
	}
}

static void
http_count(struct httpd *h, enum http_route route, int code)
{
	for (size_t i = 0; i < HTTP_NCODES; i++) {
		if (http_codes[i] == code) {
			h->requests[route][i]++;
			return;
		}
	}
}

static const char *
http_date(struct httpd *h)
{
	int64_t now = now_unix();

	if (now != h->date_time) {
		h->date_time = now;
		time_http(now, h->date);
	}
	return h->date;
}

/* A response head being put together, on the stack: no allocation. */
struct head {
	char s[2048];
	size_t n;
};

static void __attribute__((format(printf, 2, 3)))
head_printf(struct head *hd, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(hd->s + hd->n, sizeof hd->s - hd->n, fmt, ap);
	va_end(ap);
	/* The head is made of short fixed strings: it cannot overflow. */
	if (n < 0 || (size_t)n >= sizeof hd->s - hd->n)
		fatalx("http: response head too long");
	hd->n += (size_t)n;
}

static void
head_start(struct head *hd, struct http_conn *c, int code)
{
	hd->n = 0;
	head_printf(hd, "HTTP/1.1 %d %s\r\nDate: %s\r\nServer: feedmux\r\n",
	    code, http_reason(code), http_date(c->h));
}

static void
doc_release(const void *data, size_t len, void *doc)
{
	(void)data;
	(void)len;
	publish_doc_unref(doc);
}

static void
seg_release(struct evbuffer_file_segment const *seg, int flags, void *doc)
{
	(void)seg;
	(void)flags;
	publish_doc_unref(doc);
}

/* Ends a head and queues it with its body (copied, or doc's by reference). */
static void
head_end(struct head *hd, struct http_conn *c, const struct http_request *req,
    const char *body, size_t len, struct publish_doc *doc, int fd)
{
	struct evbuffer_file_segment *seg;

	if (c->close_after)
		head_printf(hd, "Connection: close\r\n");
	else if (req != NULL && req->minor == 0)
		head_printf(hd, "Connection: keep-alive\r\n");
	head_printf(hd, "\r\n");
	evbuffer_add(c->out, hd->s, hd->n);
	if (len == 0 || (req != NULL && req->method == HTTP_HEAD))
		return;
	if (doc != NULL && fd != -1) {
		/* Sent with sendfile(2): the kernel takes the pages as they
		 * are. */
		seg = evbuffer_file_segment_new(fd, 0, (ev_off_t)len,
		    EVBUF_FS_DISABLE_MMAP | EVBUF_FS_DISABLE_LOCKING);
		if (seg == NULL)
			fatalx("evbuffer_file_segment_new failed");
		publish_doc_ref(doc);
		evbuffer_file_segment_add_cleanup_cb(seg, seg_release, doc);
		if (evbuffer_add_file_segment(c->out, seg, 0, (ev_off_t)len) !=
		    0)
			fatalx("evbuffer_add_file_segment failed");
		/* The buffer holds the segment now; it ends with it. */
		evbuffer_file_segment_free(seg);
	} else if (doc != NULL) {
		publish_doc_ref(doc);
		if (evbuffer_add_reference(
			c->out, body, len, doc_release, doc) != 0)
			fatalx("evbuffer_add_reference failed");
	} else
		evbuffer_add(c->out, body, len);
}

/* A short text answer: errors, health. */
static void
http_text(struct http_conn *c, const struct http_request *req,
    enum http_route route, int code, const char *extra, const char *text)
{
	struct head hd;
	size_t len = strlen(text);

	http_count(c->h, route, code);
	head_start(&hd, c, code);
	head_printf(&hd,
	    "Content-Type: text/plain; charset=utf-8\r\n"
	    "Content-Length: %zu\r\nCache-Control: no-store\r\n"
	    "X-Content-Type-Options: nosniff\r\n%s",
	    len, extra != NULL ? extra : "");
	head_end(&hd, c, req, text, len, NULL, -1);
}

static void
http_error(struct http_conn *c, const struct http_request *req,
    enum http_route route, int code)
{
	char body[96];

	snprintf(body, sizeof body, "%d %s\n", code, http_reason(code));
	http_text(c, req, route, code,
	    code == 405 ? "Allow: GET, HEAD\r\n" : NULL, body);
}

/* Does the client's If-None-Match name this document (weak comparison)? */
static int
http_inm_match(const struct http_request *req, const struct publish_doc *d)
{
	const char *v, *e;
	size_t len, elen = strlen(d->etag), glen = strlen(d->etag_gzip);

	for (size_t i = 0; i < req->ninm; i++) {
		v = req->if_none_match[i];
		while ((e = list_next(&v, &len)) != NULL) {
			if (len == 1 && *e == '*')
				return 1;
			if (len > 2 && strncmp(e, "W/", 2) == 0) {
				e += 2;
				len -= 2;
			}
			if ((len == elen && strncmp(e, d->etag, len) == 0) ||
			    (len == glen && strncmp(e, d->etag_gzip, len) == 0))
				return 1;
		}
	}
	return 0;
}

/* RFC 9110 13.2.2: If-None-Match decides when present, else If-Modified-Since.
 */
static int
http_not_modified(const struct http_request *req, const struct publish_doc *d)
{
	int64_t ims;

	if (req->ninm > 0)
		return http_inm_match(req, d);
	if (req->if_modified_since == NULL ||
	    http_date_parse(req->if_modified_since, &ims) != 0 ||
	    ims > now_unix())
		return 0;
	return d->modified <= ims;
}

static void
http_doc(struct http_conn *c, const struct http_request *req,
    enum http_route route, struct publish_doc *d)
{
	struct head hd;
	char lastmod[30];
	int gz = d->gzip != NULL && req->accept_gzip, code;

	code = http_not_modified(req, d) ? 304 : 200;
	http_count(c->h, route, code);
	time_http(d->modified, lastmod);
	head_start(&hd, c, code);
	head_printf(&hd, "ETag: %s\r\nLast-Modified: %s\r\n",
	    gz ? d->etag_gzip : d->etag, lastmod);
	if (d->max_age > 0)
		head_printf(&hd, "Cache-Control: max-age=%lld\r\n",
		    (long long)d->max_age);
	else
		head_printf(&hd, "Cache-Control: no-cache\r\n");
	if (d->gzip != NULL)
		head_printf(&hd, "Vary: Accept-Encoding\r\n");
	if (code == 304) {
		head_end(&hd, c, req, NULL, 0, NULL, -1);
		return;
	}
	head_printf(&hd,
	    "Content-Type: %s\r\nContent-Length: %zu\r\n"
	    "X-Content-Type-Options: nosniff\r\n",
	    d->content_type, gz ? d->gzip_len : d->len);
	if (gz)
		head_printf(&hd, "Content-Encoding: gzip\r\n");
	if (route == R_INDEX || route == R_HTML)
		/* The pages show no feed's markup; should any slip through,
		 * it could still run nothing and load nothing. */
		head_printf(&hd,
		    "Content-Security-Policy: default-src 'none'; "
		    "style-src 'unsafe-inline'; frame-ancestors 'none'\r\n");
	else
		/* Feeds are public: web-based readers may read them. */
		head_printf(&hd, "Access-Control-Allow-Origin: *\r\n");
	head_end(&hd, c, req, gz ? d->gzip : d->body, gz ? d->gzip_len : d->len,
	    d, gz ? d->gzip_fd : d->fd);
}

static void
http_metrics(struct http_conn *c, const struct http_request *req)
{
	struct httpd *h = c->h;
	struct head hd;
	struct buf b;

	/* This request is counted before the numbers are read. */
	http_count(h, R_METRICS, 200);
	buf_init(&b);
	publish_metrics(h->pub, &b);
	buf_adds(&b, "# HELP feedmux_http_requests_total Requests answered, "
		     "by route and status.\n"
		     "# TYPE feedmux_http_requests_total counter\n");
	for (int r = 0; r < R_N; r++)
		for (size_t i = 0; i < HTTP_NCODES; i++)
			if (h->requests[r][i] > 0)
				buf_printf(&b,
				    "feedmux_http_requests_total{route="
				    "\"%s\",code=\"%d\"} %llu\n",
				    route_names[r], http_codes[i],
				    (unsigned long long)h->requests[r][i]);
	buf_printf(&b,
	    "# HELP feedmux_http_connections Client connections "
	    "open now.\n# TYPE feedmux_http_connections gauge\n"
	    "feedmux_http_connections %zu\n"
	    "# HELP feedmux_http_connections_max Client connections allowed "
	    "at once.\n# TYPE feedmux_http_connections_max gauge\n"
	    "feedmux_http_connections_max %zu\n",
	    h->nconns, h->max_conns);
	head_start(&hd, c, 200);
	head_printf(&hd,
	    "Content-Type: text/plain; version=0.0.4; "
	    "charset=utf-8\r\nContent-Length: %zu\r\nCache-Control: "
	    "no-store\r\n"
	    "X-Content-Type-Options: nosniff\r\n",
	    b.len);
	head_end(&hd, c, req, b.data, b.len, NULL, -1);
	buf_free(&b);
}

/* Percent-decodes a path; -1 if it is too long or decodes to a NUL. */
static int
http_decode(const char *s, char *out, size_t size)
{
	size_t n = 0;
	int hi, lo;

	for (; *s != '\0'; s++) {
		if (n + 1 >= size)
			return -1;
		if (*s == '%' && (hi = hex_value(s[1])) >= 0 &&
		    (lo = hex_value(s[2])) >= 0) {
			if (hi == 0 && lo == 0)
				return -1;
			out[n++] = (char)(hi << 4 | lo);
			s += 2;
		} else
			out[n++] = *s;
	}
	out[n] = '\0';
	return 0;
}

/* Output names as the config allows them. */
static int
http_name_ok(const char *s, size_t n)
{
	if (n == 0 || n > 64 || s[0] == '.')
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
			(s[i] >= 'A' && s[i] <= 'Z') ||
			(s[i] >= '0' && s[i] <= '9') || s[i] == '.' ||
			s[i] == '_' || s[i] == '-'))
			return 0;
	return 1;
}

static void
http_serve(struct http_conn *c, const struct http_request *req)
{
	struct httpd *h = c->h;
	enum http_route route = R_OTHER;
	struct publish_doc *d = NULL;
	char path[HTTP_MAX_PATH], name[65], *cause = NULL;
	const char *ext, *dot;

	if (http_decode(req->path, path, sizeof path) != 0)
		path[0] = '\0';
	if (strcmp(path, "/") == 0)
		route = R_INDEX;
	else if (strcmp(path, "/opml") == 0)
		route = R_OPML;
	else if (strcmp(path, "/healthz") == 0)
		route = R_HEALTHZ;
	else if (strcmp(path, "/metrics") == 0)
		route = R_METRICS;
	else if (str_has_prefix(path, "/feeds/") &&
		 (dot = strrchr(path + 7, '.')) != NULL &&
		 http_name_ok(path + 7, (size_t)(dot - path - 7))) {
		memcpy(name, path + 7, (size_t)(dot - path - 7));
		name[dot - path - 7] = '\0';
		ext = dot + 1;
		if ((d = publish_get(h->pub, name, ext)) != NULL)
			route = strcmp(ext, "atom") == 0   ? R_ATOM
				: strcmp(ext, "rss") == 0  ? R_RSS
				: strcmp(ext, "json") == 0 ? R_JSON
							   : R_HTML;
	}

	if (req->method == HTTP_OTHER) {
		http_error(c, req, route, 405);
		return;
	}
	switch (route) {
	case R_INDEX:
		d = publish_index(h->pub);
		break;
	case R_OPML:
		d = publish_opml(h->pub);
		break;
	case R_HEALTHZ:
		if (publish_health(h->pub, &cause) != 0) {
			char *text;

			xasprintf(&text, "%s\n", cause);
			http_text(c, req, route, 503, NULL, text);
			free(text);
			free(cause);
		} else
			http_text(c, req, route, 200, NULL, "ok\n");
		return;
	case R_METRICS:
		http_metrics(c, req);
		return;
	case R_OTHER:
		http_error(c, req, route, 404);
		return;
	default:
		break;
	}
	if (d == NULL) {
		http_error(c, req, route, 404);
		return;
	}
	http_doc(c, req, route, d);
}

/* Connections ------------------------------------------------------------- */

static int
retriable(int e)
{
	return e == EAGAIN || e == EWOULDBLOCK || e == EINTR;
}

static void http_resume(struct httpd *);

static void
conn_free(struct http_conn *c)
{
	struct httpd *h = c->h;

	LIST_REMOVE(c, entry);
	h->nconns--;
	event_free(c->rev);
	event_free(c->wev);
	event_free(c->timer);
	/* Frees the references to documents that were still to be sent. */
	evbuffer_free(c->in);
	evbuffer_free(c->out);
	evutil_closesocket(c->fd);
	free(c);
	if (!h->accepting && h->resume != NULL &&
	    !evtimer_pending(h->resume, NULL))
		http_resume(h);
}

static void
conn_timer(struct http_conn *c, int64_t ms)
{
	struct timeval tv;

	if (ms < 0)
		ms = 0;
	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
	evtimer_add(c->timer, &tv);
}

/* What the connection waits for next, with its deadline. */
static void
conn_wait_request(struct http_conn *c)
{
	int64_t now = now_mono_ms();

	c->state = CONN_READ;
	event_del(c->wev);
	event_add(c->rev, NULL);
	if (evbuffer_get_length(c->in) == 0) {
		c->req_start = 0;
		conn_timer(c, (int64_t)HTTP_IDLE_TIMEOUT * 1000);
	} else {
		if (c->req_start == 0)
			c->req_start = now;
		conn_timer(c, c->req_start + HTTP_REQUEST_TIMEOUT * 1000 - now);
	}
}

/* Everything is sent and the connection ends. */
static void
conn_end(struct http_conn *c)
{
	/*
	 * A client that is still sending would see its unread bytes answered
	 * by a reset, which can destroy the response before it is read.
	 */
	if (c->peer_eof || evbuffer_get_length(c->in) == 0) {
		conn_free(c);
		return;
	}
	shutdown(c->fd, SHUT_WR);
	evbuffer_drain(c->in, evbuffer_get_length(c->in));
	c->state = CONN_LINGER;
	event_del(c->wev);
	event_add(c->rev, NULL);
	conn_timer(c, HTTP_LINGER_TIMEOUT * 1000);
}

static void
conn_flush(struct http_conn *c)
{
	int n, one = 1, zero = 0;

	/* Heads go by writev(2), bodies by sendfile(2): a few calls each,
	 * corked so that a head and its body share packets. */
	if (evbuffer_get_length(c->out) > 0)
		setsockopt(c->fd, IPPROTO_TCP, TCP_CORK, &one, sizeof one);
	for (int i = 0; i < 8 && evbuffer_get_length(c->out) > 0; i++) {
		n = evbuffer_write(c->out, c->fd);
		if (n < 0 && !retriable(errno)) {
			conn_free(c);
			return;
		}
		if (n <= 0)
			break;
		c->active = now_mono_ms();
	}
	setsockopt(c->fd, IPPROTO_TCP, TCP_CORK, &zero, sizeof zero);
	if (evbuffer_get_length(c->out) > 0) {
		if (c->state != CONN_WRITE) {
			c->state = CONN_WRITE;
			event_del(c->rev);
			event_add(c->wev, NULL);
		}
		conn_timer(c, HTTP_WRITE_TIMEOUT * 1000);
		return;
	}
	if (c->close_after) {
		conn_end(c);
		return;
	}
	conn_wait_request(c);
}

/* Answers every whole request read so far, in order. */
static void
conn_process(struct http_conn *c)
{
	struct http_request req;
	size_t len, want;
	char *buf;
	int rc;

	while (!c->close_after && (len = evbuffer_get_length(c->in)) > 0) {
		want = len < HTTP_MAX_HEADER ? len : HTTP_MAX_HEADER;
		if ((buf = (char *)evbuffer_pullup(c->in, (ev_ssize_t)want)) ==
		    NULL)
			fatalx("evbuffer_pullup failed");
		rc = http_parse(buf, want, &req);
		if (rc == 1) {
			/* The client closed in the middle of a request. */
			if (c->peer_eof)
				c->close_after = 1;
			break;
		}
		if (rc != 0) {
			c->close_after = 1;
			http_error(c, NULL, R_OTHER, rc);
			break;
		}
		/* A body is never read: answer, then close. */
		if (!req.keep_alive || req.has_body || c->peer_eof)
			c->close_after = 1;
		http_serve(c, &req);
		evbuffer_drain(c->in, req.len);
		c->req_start = 0;
	}
	if (c->peer_eof)
		c->close_after = 1;
	conn_flush(c);
}

static void
conn_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct http_conn *c = arg;
	int n;

	(void)what;
	if (c->state == CONN_LINGER) {
		n = evbuffer_read(c->in, fd, HTTP_READ_MAX);
		if (n > 0)
			c->lingered += (size_t)n;
		evbuffer_drain(c->in, evbuffer_get_length(c->in));
		if (n == 0 || c->lingered > HTTP_LINGER_MAX ||
		    (n < 0 && !retriable(errno)))
			conn_free(c);
		return;
	}
	n = evbuffer_read(c->in, fd, HTTP_READ_MAX);
	if (n < 0) {
		if (!retriable(errno))
			conn_free(c);
		return;
	}
	c->active = now_mono_ms();
	if (n == 0)
		c->peer_eof = 1;
	else if (c->req_start == 0)
		c->req_start = c->active;
	conn_process(c);
}

static void
conn_write_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	conn_flush(arg);
}

static void
conn_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct http_conn *c = arg;
	char resp[160];
	int n;

	(void)fd;
	(void)what;
	if (c->state == CONN_READ && c->req_start != 0) {
		/* Too slow to send a request: say so if it listens, then go. */
		http_count(c->h, R_OTHER, 408);
		n = snprintf(resp, sizeof resp,
		    "HTTP/1.1 408 Request Timeout\r\n"
		    "Date: %s\r\nContent-Length: 0\r\nConnection: "
		    "close\r\n\r\n",
		    http_date(c->h));
		/* Best effort: it is closed next whatever happens. */
		(void)send(c->fd, resp, (size_t)n, MSG_NOSIGNAL);
	}
	conn_free(c);
}

static void
conn_new(struct httpd *h, evutil_socket_t fd)
{
	struct http_conn *c;
	int one = 1;

	if (evutil_make_socket_nonblocking(fd) != 0 ||
	    evutil_make_socket_closeonexec(fd) != 0) {
		evutil_closesocket(fd);
		return;
	}
	/* Responses are written whole: no reason to hold back their ends. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	c = xcalloc(1, sizeof *c);
	c->h = h;
	c->fd = fd;
	c->rev = event_new(h->base, fd, EV_READ | EV_PERSIST, conn_read_cb, c);
	c->wev =
	    event_new(h->base, fd, EV_WRITE | EV_PERSIST, conn_write_cb, c);
	c->timer = evtimer_new(h->base, conn_timer_cb, c);
	c->in = evbuffer_new();
	c->out = evbuffer_new();
	if (c->rev == NULL || c->wev == NULL || c->timer == NULL ||
	    c->in == NULL || c->out == NULL)
		fatalx("http: cannot allocate a connection");
	/* Readers come first: before poll work waiting on the loop. */
	event_priority_set(c->rev, EVPRIO_SERVE);
	event_priority_set(c->wev, EVPRIO_SERVE);
	event_priority_set(c->timer, EVPRIO_SERVE);
	/* Only a buffer that drains to a descriptor sends file segments
	 * with sendfile(2) instead of reading them in. */
	evbuffer_set_flags(c->out, EVBUFFER_FLAG_DRAINS_TO_FD);
	c->active = now_mono_ms();
	LIST_INSERT_HEAD(&h->conns, c, entry);
	h->nconns++;
	/* The first request is due soon after the connection. */
	c->req_start = c->active;
	c->state = CONN_READ;
	event_add(c->rev, NULL);
	conn_timer(c, HTTP_REQUEST_TIMEOUT * 1000);
}

/*
 * At the limit, the connection that has waited longest without a request
 * makes room: idle keep-alives are what a busy server can best spare.
 */
static int
http_evict(struct httpd *h)
{
	struct http_conn *c, *oldest = NULL;

	LIST_FOREACH(c, &h->conns, entry)
	{
		if (c->state != CONN_READ || evbuffer_get_length(c->in) > 0 ||
		    evbuffer_get_length(c->out) > 0)
			continue;
		if (oldest == NULL || c->active < oldest->active)
			oldest = c;
	}
	if (oldest == NULL)
		return 0;
	conn_free(oldest);
	return 1;
}

static void
http_pause(struct httpd *h, int ms)
{
	struct timeval tv;

	if (h->accepting) {
		for (size_t i = 0; i < h->nls; i++)
			event_del(h->ls[i].ev);
		h->accepting = 0;
	}
	if (ms > 0) {
		tv.tv_sec = ms / 1000;
		tv.tv_usec = (ms % 1000) * 1000;
		evtimer_add(h->resume, &tv);
	}
}

static void
http_resume(struct httpd *h)
{
	if (h->accepting)
		return;
	h->accepting = 1;
	for (size_t i = 0; i < h->nls; i++)
		event_add(h->ls[i].ev, NULL);
}

static void
http_resume_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	http_resume(arg);
}

static void
http_accept_cb(evutil_socket_t lfd, short what, void *arg)
{
	struct httpd *h = arg;
	struct sockaddr_storage ss;
	socklen_t len;
	evutil_socket_t fd;
	int64_t now;

	(void)what;
	/* A bounded batch, so that one flood cannot starve the loop. */
	for (int i = 0; i < 64; i++) {
		if (h->nconns >= h->max_conns && !http_evict(h)) {
			/* Resumed by the next connection to close. */
			http_pause(h, 0);
			return;
		}
		len = sizeof ss;
		if ((fd = accept(lfd, (struct sockaddr *)&ss, &len)) == -1) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (retriable(errno))
				return;
			now = now_unix();
			if (now - h->accept_warned >= 60) {
				log_warn("http: accept");
				h->accept_warned = now;
			}
			/* Out of descriptors or memory: wait, do not spin. */
			http_pause(h, 100);
			return;
		}
		conn_new(h, fd);
	}
}

/* Sockets ----------------------------------------------------------------- */

static evutil_socket_t
http_bind(const struct sockaddr *sa, socklen_t salen, char **cause)
{
	evutil_socket_t fd;
	int one = 1, zero = 0;

	if ((fd = socket(sa->sa_family, SOCK_STREAM, 0)) == -1) {
		xasprintf(cause, "socket: %s", strerror(errno));
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	/* "*" means both families on one socket where the system allows. */
	if (sa->sa_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
	if (bind(fd, sa, salen) != 0 || listen(fd, 1024) != 0 ||
	    evutil_make_socket_nonblocking(fd) != 0 ||
	    evutil_make_socket_closeonexec(fd) != 0) {
		xasprintf(cause, "%s", strerror(errno));
		evutil_closesocket(fd);
		return -1;
	}
	return fd;
}

static evutil_socket_t
http_listen(const char *host, uint16_t port, char **cause)
{
	struct addrinfo hints, *res, *ai;
	evutil_socket_t fd = -1;
	char portstr[8], *why = NULL;
	int rc;

	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	snprintf(portstr, sizeof portstr, "%u", (unsigned)port);
	if (strcmp(host, "*") == 0) {
		/* IPv6 first: it takes IPv4 too; IPv4 alone if there is none.
		 */
		host = "::";
		hints.ai_flags |= AI_NUMERICHOST;
		if ((rc = getaddrinfo(host, portstr, &hints, &res)) == 0) {
			fd = http_bind(res->ai_addr, res->ai_addrlen, &why);
			freeaddrinfo(res);
			if (fd != -1)
				return fd;
			free(why);
			why = NULL;
		}
		host = "0.0.0.0";
	}
	if ((rc = getaddrinfo(host, portstr, &hints, &res)) != 0) {
		xasprintf(cause, "cannot listen on %s:%s: %s", host, portstr,
		    gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai != NULL && fd == -1; ai = ai->ai_next) {
		free(why);
		why = NULL;
		fd = http_bind(ai->ai_addr, ai->ai_addrlen, &why);
	}
	freeaddrinfo(res);
	if (fd == -1) {
		xasprintf(cause, "cannot listen on %s:%s: %s", host, portstr,
		    why != NULL ? why : "no address");
		free(why);
	}
	return fd;
}

/* As many connections as descriptors allow, raising the soft limit first. */
static size_t
http_max_conns(void)
{
	struct rlimit rl;
	rlim_t want = HTTP_MAX_CONNECTIONS + HTTP_FD_RESERVE;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return 256;
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < want) {
		rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > want
				  ? want
				  : rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
			getrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= want)
		return HTTP_MAX_CONNECTIONS;
	if (rl.rlim_cur < HTTP_FD_RESERVE + 16)
		return 16;
	return (size_t)(rl.rlim_cur - HTTP_FD_RESERVE);
}

/* Accepts connections on a listening socket, which it takes. */
static void
http_add_listener(struct httpd *h, evutil_socket_t fd)
{
	struct http_listener *l;
	struct sockaddr_storage ss;
	socklen_t sslen = sizeof ss;

	h->ls = xreallocarray(h->ls, h->nls + 1, sizeof *h->ls);
	l = &h->ls[h->nls++];
	l->fd = fd;
	l->ev = event_new(h->base, fd, EV_READ | EV_PERSIST, http_accept_cb, h);
	if (l->ev == NULL)
		fatalx("http: cannot watch a listening socket");
	event_priority_set(l->ev, EVPRIO_SERVE);
	/* The port of the first socket, for the log and the links. */
	memset(&ss, 0, sizeof ss);
	if (h->nls == 1 &&
	    getsockname(fd, (struct sockaddr *)&ss, &sslen) == 0) {
		if (ss.ss_family == AF_INET)
			h->port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
		else if (ss.ss_family == AF_INET6)
			h->port =
			    ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	}
	if (h->accepting)
		event_add(l->ev, NULL);
}

struct httpd *
http_new(struct event_base *base, const char *host, uint16_t port,
    struct publisher *pub, char **cause)
{
	struct httpd *h;
	evutil_socket_t fd;

	h = xcalloc(1, sizeof *h);
	h->base = base;
	h->pub = pub;
	LIST_INIT(&h->conns);
	h->max_conns = http_max_conns();
	h->resume = evtimer_new(base, http_resume_cb, h);
	if (h->resume == NULL)
		fatalx("http: cannot make a timer");
	/* Readers come first: before poll work waiting on the loop. */
	event_priority_set(h->resume, EVPRIO_SERVE);
	h->accepting = 1;
	/* Without a host the sockets come from http_listen_fd. */
	if (host != NULL) {
		if ((fd = http_listen(host, port, cause)) == -1) {
			event_free(h->resume);
			free(h);
			return NULL;
		}
		http_add_listener(h, fd);
	}
	log_debug("http: up to %zu connections", h->max_conns);
	return h;
}

int
http_listen_fd(struct httpd *h, int fd, char **cause)
{
	if (evutil_make_socket_nonblocking(fd) != 0 ||
	    evutil_make_socket_closeonexec(fd) != 0) {
		xasprintf(cause, "cannot serve on descriptor %d: %s", fd,
		    strerror(errno));
		return -1;
	}
	http_add_listener(h, fd);
	return 0;
}

void
http_free(struct httpd *h)
{
	struct http_conn *c;

	if (h == NULL)
		return;
	event_free(h->resume);
	h->resume = NULL;
	while ((c = LIST_FIRST(&h->conns)) != NULL)
		conn_free(c);
	for (size_t i = 0; i < h->nls; i++) {
		event_free(h->ls[i].ev);
		evutil_closesocket(h->ls[i].fd);
	}
	free(h->ls);
	free(h);
}

uint16_t
http_port(const struct httpd *h)
{
	return h->port;
}
