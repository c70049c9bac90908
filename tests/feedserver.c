/*
 * feedserver: a small HTTP/1.1 file server on 127.0.0.1 for the integration
 * tests. It serves the files of one directory, and query parameters make it
 * behave in particular ways, or misbehave on purpose, so that tests can
 * watch the daemon survive bad sources:
 *
 *   ?delay=MS            answer after MS milliseconds
 *   ?status=N            answer status N with a short text body
 *   ?fail=N              answer 500 to the first N requests of the path
 *   ?retry_after=V       add "Retry-After: V" (with ?status=429 or 503)
 *   ?max_age=N           add "Cache-Control: max-age=N"
 *   ?validators=1        send ETag and Last-Modified (=etag, =lastmod: one),
 *                        and 304 to a request that sends them back
 *   ?encoding=E          the body in gzip, deflate, br or zstd, if asked for
 *   ?redirect=N&to=URL   answer N (301, 302, 307, 308) to URL
 *   ?loop=1              redirect to the same URL, for ever
 *   ?drip=MS             the file one byte every MS milliseconds
 *   ?endless=1           a body that never ends (stops at 1 GB)
 *   ?truncate=N          promise the whole file, send N bytes, close
 *   ?garbage=1           bytes that are no feed at all
 *
 * It counts requests per path (/_count?path=/x.rss) and keeps the headers
 * of each (/_requests?path=/x.rss: one JSON object a line), so that tests
 * can tell what was fetched, when, and how.
 */
/* realpath(3) is XSI, beyond the POSIX base the build asks for. */
#define _XOPEN_SOURCE 700

#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include <brotli/encode.h>
#include <zlib.h>
#include <zstd.h>

/* Long enough for the slow-source tests, short enough to bound a bad test. */
#define FS_MAX_DELAY_MS 60000
/* An endless body ends here, so that a broken client cannot keep us busy. */
#define FS_ENDLESS_MAX ((size_t)1024 * 1024 * 1024)
#define FS_ENDLESS_CHUNK (64 * 1024)
/* Requests whose headers are kept, at most. */
#define FS_MAX_LOGGED 100000

/* A request as /_requests reports it: one JSON object. */
struct fs_logged {
	TAILQ_ENTRY(fs_logged) entry;
	char *path;
	char *json;
};

/* A reply sent bit by bit: dripped bytes or an endless body. */
struct fs_stream {
	TAILQ_ENTRY(fs_stream) entry;
	struct evhttp_request *req;
	struct evhttp_connection *evcon;
	struct event *timer;
	char *data;
	size_t len, off;
	long ms;
	int endless;
	size_t sent;
};

struct fs_count {
	SLIST_ENTRY(fs_count) entry;
	char *path;
	unsigned long n;
};

struct fs_pending {
	TAILQ_ENTRY(fs_pending) entry;
	struct evhttp_request *req;
	struct event *timer;
};

static SLIST_HEAD(, fs_count) fs_counts = SLIST_HEAD_INITIALIZER(fs_counts);
static TAILQ_HEAD(, fs_pending) fs_pendings = TAILQ_HEAD_INITIALIZER(
    fs_pendings);
static TAILQ_HEAD(, fs_logged) fs_logs = TAILQ_HEAD_INITIALIZER(fs_logs);
static size_t fs_nlogged;
static TAILQ_HEAD(, fs_stream) fs_streams = TAILQ_HEAD_INITIALIZER(
    fs_streams);
static struct event_base *fs_base;
static char *fs_root;

static void fs_handle(struct evhttp_request *, int);

static void __attribute__((noreturn, format(printf, 1, 2)))
fs_die(const char *fmt, ...)
{
	va_list ap;

	fputs("feedserver: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void
fs_usage(void)
{
	fprintf(stderr,
	    "usage: feedserver --root DIR [--port N] [--port-file FILE]\n");
	exit(2);
}

/* A whole decimal number in [min, max], or -1. */
static long
fs_number(const char *s, long min, long max)
{
	char *end;
	long n;

	if (s == NULL || *s == '\0')
		return -1;
	errno = 0;
	n = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || n < min || n > max)
		return -1;
	return n;
}

static struct fs_count *
fs_count_find(const char *path)
{
	struct fs_count *c;

	for (c = SLIST_FIRST(&fs_counts); c != NULL; c = SLIST_NEXT(c, entry))
		if (strcmp(c->path, path) == 0)
			return c;
	return NULL;
}

static void
fs_count_add(const char *path)
{
	struct fs_count *c;

	if ((c = fs_count_find(path)) == NULL) {
		if ((c = calloc(1, sizeof *c)) == NULL ||
		    (c->path = strdup(path)) == NULL)
			fs_die("out of memory");
		SLIST_INSERT_HEAD(&fs_counts, c, entry);
	}
	c->n++;
}

static void
fs_log(struct evhttp_request *req, int code)
{
	const char *method;

	switch (evhttp_request_get_command(req)) {
	case EVHTTP_REQ_GET:
		method = "GET";
		break;
	case EVHTTP_REQ_HEAD:
		method = "HEAD";
		break;
	default:
		method = "OTHER";
		break;
	}
	fprintf(stderr, "feedserver: %s %s %d\n", method,
	    evhttp_request_get_uri(req), code);
}

/*
 * Sends a reply and frees its body. libevent 2.1 writes the body of a HEAD
 * reply too, so it is dropped here, keeping the length it would have had.
 */
static void
fs_send(struct evhttp_request *req, int code, struct evbuffer *body)
{
	struct evkeyvalq *headers = evhttp_request_get_output_headers(req);
	char length[32];

	fs_log(req, code);
	if (evhttp_request_get_command(req) == EVHTTP_REQ_HEAD) {
		if (evhttp_find_header(headers, "Content-Length") == NULL) {
			snprintf(length, sizeof length, "%zu",
			    evbuffer_get_length(body));
			evhttp_add_header(headers, "Content-Length", length);
		}
		evbuffer_drain(body, evbuffer_get_length(body));
	}
	evhttp_send_reply(req, code, NULL, body);
	evbuffer_free(body);
}

static void fs_reply_text(struct evhttp_request *, int, const char *, ...)
    __attribute__((format(printf, 3, 4)));

static void
fs_reply_text(struct evhttp_request *req, int code, const char *fmt, ...)
{
	struct evbuffer *body;
	va_list ap;

	if ((body = evbuffer_new()) == NULL)
		fs_die("out of memory");
	va_start(ap, fmt);
	evbuffer_add_vprintf(body, fmt, ap);
	va_end(ap);
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "text/plain; charset=utf-8");
	fs_send(req, code, body);
}

/* A decoded request path is absolute and has no ".." segment. */
static int
fs_path_ok(const char *path)
{
	const char *p, *seg;

	if (path[0] != '/')
		return 0;
	for (p = path; *p != '\0'; p = seg) {
		while (*p == '/')
			p++;
		seg = p + strcspn(p, "/");
		if (seg - p == 2 && p[0] == '.' && p[1] == '.')
			return 0;
	}
	return 1;
}

/*
 * The file a checked request path names, as an open descriptor, or -1.
 * Anything that resolves outside the root (a symlink) is refused like a
 * missing file.
 */
static int
fs_open(const char *path, struct stat *sb)
{
	char full[PATH_MAX], real[PATH_MAX];
	size_t rootlen;
	int fd;

	if ((size_t)snprintf(full, sizeof full, "%s%s", fs_root, path) >=
	    sizeof full)
		return -1;
	if (realpath(full, real) == NULL)
		return -1;
	rootlen = strlen(fs_root);
	if (strncmp(real, fs_root, rootlen) != 0 || real[rootlen] != '/')
		return -1;
	if ((fd = open(real, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	if (fstat(fd, sb) == -1 || !S_ISREG(sb->st_mode)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* The content type of a served file: its sidecar FILE.ctype, else by suffix. */
static void
fs_content_type(const char *path, char *out, size_t outlen)
{
	static const struct {
		const char *suffix;
		const char *type;
	} types[] = {
	    {".rss", "application/rss+xml"},
	    {".atom", "application/atom+xml"},
	    {".xml", "text/xml"},
	};
	char sidecar[PATH_MAX];
	size_t len, i, n;
	FILE *f;

	if ((size_t)snprintf(sidecar, sizeof sidecar, "%s%s.ctype", fs_root,
		path) < sizeof sidecar &&
	    (f = fopen(sidecar, "r")) != NULL) {
		n = fread(out, 1, outlen - 1, f);
		fclose(f);
		out[n] = '\0';
		/* Editors leave a newline; a header value cannot carry one. */
		out[strcspn(out, "\r\n")] = '\0';
		if (out[0] != '\0')
			return;
	}
	len = strlen(path);
	for (i = 0; i < sizeof types / sizeof types[0]; i++) {
		n = strlen(types[i].suffix);
		if (len >= n && strcmp(path + len - n, types[i].suffix) == 0) {
			snprintf(out, outlen, "%s", types[i].type);
			return;
		}
	}
	snprintf(out, outlen, "application/octet-stream");
}

static void
fs_serve_count(struct evhttp_request *req, struct evkeyvalq *query)
{
	const char *path;
	struct fs_count *c;

	if ((path = evhttp_find_header(query, "path")) == NULL) {
		fs_reply_text(req, 400, "path missing\n");
		return;
	}
	c = fs_count_find(path);
	fs_reply_text(req, 200, "%lu\n", c == NULL ? 0UL : c->n);
}

static void
fs_serve_garbage(struct evhttp_request *req, const char *path)
{
	/* A NUL, bytes that are not UTF-8, and no markup at all. */
	static const char garbage[] = "\x00\xff\xfe not a feed \x01\x02{{\x80"
				      "\x81\n\xc3(}";
	char ctype[256];
	struct evbuffer *body;

	fs_content_type(path, ctype, sizeof ctype);
	if ((body = evbuffer_new()) == NULL)
		fs_die("out of memory");
	evbuffer_add(body, garbage, sizeof garbage - 1);
	evhttp_add_header(
	    evhttp_request_get_output_headers(req), "Content-Type", ctype);
	fs_send(req, 200, body);
}

/*
 * Sends a file. With cut >= 0 it declares the whole length, sends only
 * that many bytes and closes the connection, as a server that dies
 * mid-response would.
 */
static void
fs_serve_file(struct evhttp_request *req, const char *path, long cut)
{
	struct evkeyvalq *headers = evhttp_request_get_output_headers(req);
	char ctype[256], length[32];
	struct evbuffer *body;
	struct stat sb;
	off_t nsend;
	int fd;

	if ((fd = fs_open(path, &sb)) == -1) {
		fs_reply_text(req, 404, "not found\n");
		return;
	}
	fs_content_type(path, ctype, sizeof ctype);
	evhttp_add_header(headers, "Content-Type", ctype);
	if ((body = evbuffer_new()) == NULL)
		fs_die("out of memory");
	nsend = sb.st_size;
	if (cut >= 0 && cut < nsend)
		nsend = cut;
	if (nsend == 0)
		close(fd);
	else if (evbuffer_add_file(body, fd, 0, nsend) == -1)
		fs_die("evbuffer_add_file %s failed", path);

	snprintf(length, sizeof length, "%lld", (long long)sb.st_size);
	evhttp_add_header(headers, "Content-Length", length);
	if (cut < 0 || evhttp_request_get_command(req) == EVHTTP_REQ_HEAD) {
		fs_send(req, 200, body);
		return;
	}
	/* evhttp closes a connection after a reply that asks for it. */
	evhttp_add_header(headers, "Connection", "close");
	fs_log(req, 200);
	evhttp_send_reply_start(req, 200, NULL);
	evhttp_send_reply_chunk(req, body);
	evhttp_send_reply_end(req);
	evbuffer_free(body);
}

static void
fs_delay_done(evutil_socket_t fd, short events, void *arg)
{
	struct fs_pending *p = arg;
	struct evhttp_request *req = p->req;

	(void)fd;
	(void)events;
	TAILQ_REMOVE(&fs_pendings, p, entry);
	event_free(p->timer);
	free(p);
	fs_handle(req, 1);
}

static void
fs_delay(struct evhttp_request *req, long ms)
{
	struct fs_pending *p;
	struct timeval tv;

	if ((p = calloc(1, sizeof *p)) == NULL ||
	    (p->timer = evtimer_new(fs_base, fs_delay_done, p)) == NULL)
		fs_die("out of memory");
	p->req = req;
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(p->timer, &tv);
	TAILQ_INSERT_TAIL(&fs_pendings, p, entry);
}

/* Appends s as a JSON string. */
static void
fs_json_str(struct evbuffer *b, const char *s)
{
	evbuffer_add(b, "\"", 1);
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			evbuffer_add_printf(b, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			evbuffer_add_printf(b, "\\u%04x", c);
		else
			evbuffer_add(b, s, 1);
	}
	evbuffer_add(b, "\"", 1);
}

/* Keeps what /_requests tells of a request: when, and its headers. */
static void
fs_log_request(struct evhttp_request *req, const char *path)
{
	struct evkeyvalq *in = evhttp_request_get_input_headers(req);
	struct evkeyval *h;
	struct evbuffer *b;
	struct fs_logged *l;
	struct timespec ts;
	size_t len;
	int first = 1;

	if (fs_nlogged >= FS_MAX_LOGGED)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	if ((b = evbuffer_new()) == NULL || (l = calloc(1, sizeof *l)) == NULL ||
	    (l->path = strdup(path)) == NULL)
		fs_die("out of memory");
	evbuffer_add_printf(b, "{\"time\": %lld.%03ld, \"uri\": ",
	    (long long)ts.tv_sec, ts.tv_nsec / 1000000);
	fs_json_str(b, evhttp_request_get_uri(req));
	evbuffer_add_printf(b, ", \"headers\": {");
	TAILQ_FOREACH(h, in, next) {
		evbuffer_add_printf(b, "%s", first ? "" : ", ");
		first = 0;
		fs_json_str(b, h->key);
		evbuffer_add_printf(b, ": ");
		fs_json_str(b, h->value);
	}
	evbuffer_add_printf(b, "}}\n");
	len = evbuffer_get_length(b);
	if ((l->json = malloc(len + 1)) == NULL)
		fs_die("out of memory");
	evbuffer_remove(b, l->json, len);
	l->json[len] = '\0';
	evbuffer_free(b);
	TAILQ_INSERT_TAIL(&fs_logs, l, entry);
	fs_nlogged++;
}

static void
fs_serve_requests(struct evhttp_request *req, struct evkeyvalq *query)
{
	const char *path;
	struct evbuffer *body;
	struct fs_logged *l;

	if ((path = evhttp_find_header(query, "path")) == NULL) {
		fs_reply_text(req, 400, "path missing\n");
		return;
	}
	if ((body = evbuffer_new()) == NULL)
		fs_die("out of memory");
	TAILQ_FOREACH(l, &fs_logs, entry)
		if (strcmp(l->path, path) == 0)
			evbuffer_add(body, l->json, strlen(l->json));
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "application/x-ndjson");
	fs_send(req, 200, body);
}

/* A whole file into memory; -1 if it is not there. */
static int
fs_read(const char *path, char **data, size_t *len, time_t *mtime)
{
	struct stat sb;
	ssize_t n;
	size_t off = 0;
	int fd;

	if ((fd = fs_open(path, &sb)) == -1)
		return -1;
	if ((*data = malloc((size_t)sb.st_size + 1)) == NULL)
		fs_die("out of memory");
	while (off < (size_t)sb.st_size &&
	    (n = read(fd, *data + off, (size_t)sb.st_size - off)) > 0)
		off += (size_t)n;
	close(fd);
	*len = off;
	if (mtime != NULL)
		*mtime = sb.st_mtime;
	return 0;
}

/* FNV-1a of the bytes: an ETag that changes with the content. */
static unsigned long long
fs_hash(const char *data, size_t len)
{
	unsigned long long h = 14695981039346656037ULL;

	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)data[i];
		h *= 1099511628211ULL;
	}
	return h;
}

/* Compresses data in place into coding; 0, or -1 for an unknown one. */
static int
fs_encode(const char *coding, char **data, size_t *len)
{
	size_t cap = *len + *len / 2 + 1024, outlen = cap;
	char *out;
	z_stream z;

	if ((out = malloc(cap)) == NULL)
		fs_die("out of memory");
	if (strcmp(coding, "gzip") == 0 || strcmp(coding, "deflate") == 0) {
		memset(&z, 0, sizeof z);
		/* 31: a gzip wrapper; 15: zlib's, which HTTP calls deflate. */
		if (deflateInit2(&z, 6, Z_DEFLATED,
			coding[0] == 'g' ? 31 : 15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
			fs_die("deflateInit2 failed");
		z.next_in = (unsigned char *)*data;
		z.avail_in = (unsigned)*len;
		z.next_out = (unsigned char *)out;
		z.avail_out = (unsigned)cap;
		if (deflate(&z, Z_FINISH) != Z_STREAM_END)
			fs_die("deflate failed");
		outlen = z.total_out;
		deflateEnd(&z);
	} else if (strcmp(coding, "br") == 0) {
		if (!BrotliEncoderCompress(5, BROTLI_DEFAULT_WINDOW,
			BROTLI_MODE_TEXT, *len, (const uint8_t *)*data, &outlen,
			(uint8_t *)out))
			fs_die("brotli failed");
	} else if (strcmp(coding, "zstd") == 0) {
		outlen = ZSTD_compress(out, cap, *data, *len, 3);
		if (ZSTD_isError(outlen))
			fs_die("zstd failed");
	} else {
		free(out);
		return -1;
	}
	free(*data);
	*data = out;
	*len = outlen;
	return 0;
}

static void
fs_stream_free(struct fs_stream *st)
{
	TAILQ_REMOVE(&fs_streams, st, entry);
	if (st->timer != NULL)
		event_free(st->timer);
	free(st->data);
	free(st);
}

/*
 * The connection is going. When the client went away mid-reply, libevent
 * has let go of the request (it was not finished) and it is ours to free,
 * which ending the reply does; at shutdown the connection still holds it
 * and frees it itself.
 */
static void
fs_stream_closed(struct evhttp_connection *evcon, void *arg)
{
	struct fs_stream *st = arg;

	(void)evcon;
	fprintf(stderr, "feedserver: %s: client closed after %zu bytes\n",
	    evhttp_request_get_uri(st->req), st->sent);
	if (evhttp_request_get_connection(st->req) == NULL)
		evhttp_send_reply_end(st->req);
	fs_stream_free(st);
}

static void
fs_stream_end(struct fs_stream *st)
{
	evhttp_connection_set_closecb(st->evcon, NULL, NULL);
	evhttp_send_reply_end(st->req);
	fs_stream_free(st);
}

static void fs_endless_more(struct evhttp_connection *, void *);

static void
fs_drip_tick(evutil_socket_t fd, short events, void *arg)
{
	struct fs_stream *st = arg;
	struct evbuffer *b;
	struct timeval tv;

	(void)fd;
	(void)events;
	if (st->off >= st->len) {
		fs_stream_end(st);
		return;
	}
	if ((b = evbuffer_new()) == NULL)
		fs_die("out of memory");
	evbuffer_add(b, st->data + st->off++, 1);
	st->sent++;
	evhttp_send_reply_chunk(st->req, b);
	evbuffer_free(b);
	tv.tv_sec = st->ms / 1000;
	tv.tv_usec = (st->ms % 1000) * 1000;
	evtimer_add(st->timer, &tv);
}

/* Sends another chunk once the last one is written. */
static void
fs_endless_more(struct evhttp_connection *evcon, void *arg)
{
	struct fs_stream *st = arg;
	struct evbuffer *b;

	(void)evcon;
	if (st->sent >= FS_ENDLESS_MAX) {
		fs_stream_end(st);
		return;
	}
	if ((b = evbuffer_new()) == NULL)
		fs_die("out of memory");
	evbuffer_add(b, st->data, st->len);
	st->sent += st->len;
	evhttp_send_reply_chunk_with_cb(st->req, b, fs_endless_more, st);
	evbuffer_free(b);
}

/* A reply whose body goes out slowly (drip) or never ends (endless). */
static void
fs_serve_stream(struct evhttp_request *req, const char *path, long ms,
    int endless)
{
	struct fs_stream *st;
	char ctype[256];

	if ((st = calloc(1, sizeof *st)) == NULL)
		fs_die("out of memory");
	if (endless) {
		static const char head[] = "<?xml version=\"1.0\"?>\n<rss "
		    "version=\"2.0\"><channel><title>endless</title>\n";
		if ((st->data = malloc(FS_ENDLESS_CHUNK)) == NULL)
			fs_die("out of memory");
		memset(st->data, ' ', FS_ENDLESS_CHUNK);
		memcpy(st->data, "<!-- ", 5);
		memcpy(st->data + FS_ENDLESS_CHUNK - 5, " -->\n", 5);
		st->len = FS_ENDLESS_CHUNK;
		st->endless = 1;
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Content-Type", "application/rss+xml");
		fs_log(req, 200);
		evhttp_send_reply_start(req, 200, NULL);
		TAILQ_INSERT_TAIL(&fs_streams, st, entry);
		st->req = req;
		st->evcon = evhttp_request_get_connection(req);
		evhttp_connection_set_closecb(st->evcon, fs_stream_closed, st);
		{
			struct evbuffer *b = evbuffer_new();

			if (b == NULL)
				fs_die("out of memory");
			evbuffer_add(b, head, sizeof head - 1);
			evhttp_send_reply_chunk_with_cb(req, b,
			    fs_endless_more, st);
			evbuffer_free(b);
		}
		return;
	}
	if (fs_read(path, &st->data, &st->len, NULL) == -1) {
		free(st);
		fs_reply_text(req, 404, "not found\n");
		return;
	}
	fs_content_type(path, ctype, sizeof ctype);
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", ctype);
	st->ms = ms;
	st->req = req;
	st->evcon = evhttp_request_get_connection(req);
	if ((st->timer = evtimer_new(fs_base, fs_drip_tick, st)) == NULL)
		fs_die("out of memory");
	TAILQ_INSERT_TAIL(&fs_streams, st, entry);
	evhttp_connection_set_closecb(st->evcon, fs_stream_closed, st);
	fs_log(req, 200);
	evhttp_send_reply_start(req, 200, NULL);
	fs_drip_tick(-1, 0, st);
}

/*
 * A file with validators (which: "1", "etag" or "lastmod") and in a content
 * coding, either or both; 304 when the request's validators match.
 */
static void
fs_serve_special(struct evhttp_request *req, const char *path,
    const char *which, const char *coding)
{
	struct evkeyvalq *in = evhttp_request_get_input_headers(req);
	struct evkeyvalq *out = evhttp_request_get_output_headers(req);
	const char *inm, *ims, *accept;
	char ctype[256], etag[32], lastmod[64];
	struct evbuffer *body;
	struct tm tm;
	time_t mtime;
	size_t len;
	char *data;
	int use_etag, use_lm;

	if (fs_read(path, &data, &len, &mtime) == -1) {
		fs_reply_text(req, 404, "not found\n");
		return;
	}
	use_etag = which != NULL && strcmp(which, "lastmod") != 0;
	use_lm = which != NULL && strcmp(which, "etag") != 0;
	snprintf(etag, sizeof etag, "\"%016llx\"", fs_hash(data, len));
	gmtime_r(&mtime, &tm);
	strftime(lastmod, sizeof lastmod, "%a, %d %b %Y %H:%M:%S GMT", &tm);
	if (use_etag)
		evhttp_add_header(out, "ETag", etag);
	if (use_lm)
		evhttp_add_header(out, "Last-Modified", lastmod);
	inm = evhttp_find_header(in, "If-None-Match");
	ims = evhttp_find_header(in, "If-Modified-Since");
	/* If-None-Match, when sent, decides alone (RFC 9110, 13.2.2). */
	if ((use_etag && inm != NULL && strcmp(inm, etag) == 0) ||
	    (use_lm && inm == NULL && ims != NULL &&
	    strcmp(ims, lastmod) == 0)) {
		free(data);
		if ((body = evbuffer_new()) == NULL)
			fs_die("out of memory");
		fs_send(req, 304, body);
		return;
	}
	accept = evhttp_find_header(in, "Accept-Encoding");
	if (coding != NULL && accept != NULL && strstr(accept, coding) != NULL) {
		if (fs_encode(coding, &data, &len) == -1) {
			free(data);
			fs_reply_text(req, 400, "bad encoding\n");
			return;
		}
		evhttp_add_header(out, "Content-Encoding", coding);
	}
	fs_content_type(path, ctype, sizeof ctype);
	evhttp_add_header(out, "Content-Type", ctype);
	if ((body = evbuffer_new()) == NULL)
		fs_die("out of memory");
	evbuffer_add(body, data, len);
	free(data);
	fs_send(req, 200, body);
}

/* Handles a request; delayed is set when it comes back from its ?delay. */
static void
fs_handle(struct evhttp_request *req, int delayed)
{
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	struct evkeyvalq query;
	struct evkeyvalq *headers = evhttp_request_get_output_headers(req);
	const char *rawpath, *rawquery, *v, *to;
	char *path = NULL, value[64];
	size_t len;
	long n, cut = -1;

	TAILQ_INIT(&query);
	switch (evhttp_request_get_command(req)) {
	case EVHTTP_REQ_GET:
	case EVHTTP_REQ_HEAD:
		break;
	default:
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Allow", "GET, HEAD");
		fs_reply_text(req, 405, "method not allowed\n");
		return;
	}
	if ((rawpath = evhttp_uri_get_path(uri)) == NULL || *rawpath == '\0')
		rawpath = "/";
	rawquery = evhttp_uri_get_query(uri);
	if ((path = evhttp_uridecode(rawpath, 0, &len)) == NULL)
		fs_die("out of memory");
	if (strlen(path) != len || !fs_path_ok(path)) {
		fs_reply_text(req, 404, "not found\n");
		goto out;
	}
	if (rawquery != NULL &&
	    evhttp_parse_query_str(rawquery, &query) == -1) {
		fs_reply_text(req, 400, "bad query\n");
		goto out;
	}
	if (strcmp(path, "/_count") == 0) {
		fs_serve_count(req, &query);
		goto out;
	}
	if (strcmp(path, "/_requests") == 0) {
		fs_serve_requests(req, &query);
		goto out;
	}

	if (!delayed) {
		fs_count_add(path);
		fs_log_request(req, path);
		if ((v = evhttp_find_header(&query, "delay")) != NULL) {
			if ((n = fs_number(v, 0, FS_MAX_DELAY_MS)) == -1) {
				fs_reply_text(req, 400, "bad delay\n");
				goto out;
			}
			fs_delay(req, n);
			goto out;
		}
	}
	if ((v = evhttp_find_header(&query, "retry_after")) != NULL)
		evhttp_add_header(headers, "Retry-After", v);
	if ((v = evhttp_find_header(&query, "max_age")) != NULL) {
		snprintf(value, sizeof value, "max-age=%s", v);
		evhttp_add_header(headers, "Cache-Control", value);
	}
	if ((v = evhttp_find_header(&query, "loop")) != NULL) {
		evhttp_add_header(headers, "Location", evhttp_request_get_uri(req));
		fs_reply_text(req, 302, "round and round\n");
		goto out;
	}
	if ((v = evhttp_find_header(&query, "redirect")) != NULL) {
		if ((n = fs_number(v, 300, 399)) == -1 ||
		    (to = evhttp_find_header(&query, "to")) == NULL)
			fs_reply_text(req, 400, "bad redirect\n");
		else {
			evhttp_add_header(headers, "Location", to);
			fs_reply_text(req, (int)n, "moved to %s\n", to);
		}
		goto out;
	}
	if ((v = evhttp_find_header(&query, "fail")) != NULL) {
		if ((n = fs_number(v, 0, LONG_MAX)) == -1) {
			fs_reply_text(req, 400, "bad fail\n");
			goto out;
		}
		if (fs_count_find(path)->n <= (unsigned long)n) {
			fs_reply_text(req, 500, "failing, %lu of %ld\n",
			    fs_count_find(path)->n, n);
			goto out;
		}
	}
	if ((v = evhttp_find_header(&query, "status")) != NULL) {
		if ((n = fs_number(v, 100, 599)) == -1)
			fs_reply_text(req, 400, "bad status\n");
		else
			fs_reply_text(req, (int)n, "status %ld\n", n);
		goto out;
	}
	if ((v = evhttp_find_header(&query, "garbage")) != NULL &&
	    strcmp(v, "0") != 0) {
		fs_serve_garbage(req, path);
		goto out;
	}
	if ((v = evhttp_find_header(&query, "drip")) != NULL) {
		if ((n = fs_number(v, 1, FS_MAX_DELAY_MS)) == -1)
			fs_reply_text(req, 400, "bad drip\n");
		else
			fs_serve_stream(req, path, n, 0);
		goto out;
	}
	if ((v = evhttp_find_header(&query, "endless")) != NULL) {
		fs_serve_stream(req, path, 0, 1);
		goto out;
	}
	if (evhttp_find_header(&query, "validators") != NULL ||
	    evhttp_find_header(&query, "encoding") != NULL) {
		fs_serve_special(req, path,
		    evhttp_find_header(&query, "validators"),
		    evhttp_find_header(&query, "encoding"));
		goto out;
	}
	if ((v = evhttp_find_header(&query, "truncate")) != NULL &&
	    (cut = fs_number(v, 0, LONG_MAX)) == -1) {
		fs_reply_text(req, 400, "bad truncate\n");
		goto out;
	}
	fs_serve_file(req, path, cut);
out:
	evhttp_clear_headers(&query);
	free(path);
}

static void
fs_request(struct evhttp_request *req, void *arg)
{
	(void)arg;
	fs_handle(req, 0);
}

static void
fs_signal(evutil_socket_t sig, short events, void *arg)
{
	(void)events;
	(void)arg;
	fprintf(stderr, "feedserver: signal %d, exiting\n", (int)sig);
	event_base_loopbreak(fs_base);
}

/* Written under a temporary name, so a reader never sees half a number. */
static void
fs_write_port(const char *file, unsigned port)
{
	char tmp[PATH_MAX];
	FILE *f;

	if ((size_t)snprintf(tmp, sizeof tmp, "%s.%ld.tmp", file,
		(long)getpid()) >= sizeof tmp)
		fs_die("%s: name too long", file);
	if ((f = fopen(tmp, "w")) == NULL)
		fs_die("%s: %s", tmp, strerror(errno));
	fprintf(f, "%u\n", port);
	if (fflush(f) != 0 || fsync(fileno(f)) != 0 || fclose(f) != 0)
		fs_die("%s: %s", tmp, strerror(errno));
	if (rename(tmp, file) == -1)
		fs_die("rename %s: %s", file, strerror(errno));
}

int
main(int argc, char **argv)
{
	struct evhttp_bound_socket *bound;
	struct sockaddr_in sin;
	socklen_t slen = sizeof sin;
	struct event *sigterm, *sigint;
	struct fs_pending *p;
	struct fs_count *c;
	struct evhttp *http;
	const char *root = NULL, *portfile = NULL;
	long port = 0;
	int i;

	for (i = 1; i < argc; i++) {
		if (i + 1 >= argc)
			fs_usage();
		if (strcmp(argv[i], "--root") == 0)
			root = argv[++i];
		else if (strcmp(argv[i], "--port-file") == 0)
			portfile = argv[++i];
		else if (strcmp(argv[i], "--port") == 0) {
			if ((port = fs_number(argv[++i], 0, 65535)) == -1)
				fs_die("bad port: %s", argv[i]);
		} else
			fs_usage();
	}
	if (root == NULL)
		fs_usage();
	if ((fs_root = realpath(root, NULL)) == NULL)
		fs_die("%s: %s", root, strerror(errno));

	signal(SIGPIPE, SIG_IGN);
	if ((fs_base = event_base_new()) == NULL ||
	    (http = evhttp_new(fs_base)) == NULL)
		fs_die("cannot set up libevent");
	evhttp_set_allowed_methods(
	    http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD | EVHTTP_REQ_POST |
		      EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS |
		      EVHTTP_REQ_PATCH);
	evhttp_set_gencb(http, fs_request, NULL);
	if ((bound = evhttp_bind_socket_with_handle(
		 http, "127.0.0.1", (unsigned short)port)) == NULL)
		fs_die("cannot listen on 127.0.0.1:%ld", port);
	if (getsockname(evhttp_bound_socket_get_fd(bound),
		(struct sockaddr *)&sin, &slen) == -1)
		fs_die("getsockname: %s", strerror(errno));
	sigterm = evsignal_new(fs_base, SIGTERM, fs_signal, NULL);
	sigint = evsignal_new(fs_base, SIGINT, fs_signal, NULL);
	if (sigterm == NULL || sigint == NULL ||
	    evsignal_add(sigterm, NULL) == -1 ||
	    evsignal_add(sigint, NULL) == -1)
		fs_die("cannot set up signals");
	if (portfile != NULL)
		fs_write_port(portfile, ntohs(sin.sin_port));
	fprintf(stderr, "feedserver: serving %s on 127.0.0.1:%u\n", fs_root,
	    (unsigned)ntohs(sin.sin_port));

	event_base_dispatch(fs_base);

	/* Requests still waiting for their delay are answered and freed. */
	while ((p = TAILQ_FIRST(&fs_pendings)) != NULL) {
		TAILQ_REMOVE(&fs_pendings, p, entry);
		event_free(p->timer);
		evhttp_send_error(p->req, 503, "Shutting down");
		free(p);
	}
	/* Freeing the connections ends the streams through their close callbacks. */
	evhttp_free(http);
	while (!TAILQ_EMPTY(&fs_streams))
		fs_stream_free(TAILQ_FIRST(&fs_streams));
	while (!TAILQ_EMPTY(&fs_logs)) {
		struct fs_logged *l = TAILQ_FIRST(&fs_logs);

		TAILQ_REMOVE(&fs_logs, l, entry);
		free(l->path);
		free(l->json);
		free(l);
	}
	event_free(sigterm);
	event_free(sigint);
	event_base_free(fs_base);
	while ((c = SLIST_FIRST(&fs_counts)) != NULL) {
		SLIST_REMOVE_HEAD(&fs_counts, entry);
		free(c->path);
		free(c);
	}
	free(fs_root);
	return 0;
}
