/*
 * feedserver: a small HTTP/1.1 file server on 127.0.0.1 for the integration
 * tests. It serves the files of one directory, and query parameters make it
 * misbehave on purpose (?status=N, ?truncate=N, ?delay=MS, ?garbage=1) so
 * that tests can watch the daemon survive bad sources. It counts requests
 * per path (/_count?path=/x.rss) so that tests can tell what was fetched.
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
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

/* Long enough for the slow-source tests, short enough to bound a bad test. */
#define FS_MAX_DELAY_MS 60000

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

/* Handles a request; delayed is set when it comes back from its ?delay. */
static void
fs_handle(struct evhttp_request *req, int delayed)
{
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	struct evkeyvalq query;
	const char *rawpath, *rawquery, *v;
	char *path = NULL;
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

	if (!delayed) {
		fs_count_add(path);
		if ((v = evhttp_find_header(&query, "delay")) != NULL) {
			if ((n = fs_number(v, 0, FS_MAX_DELAY_MS)) == -1) {
				fs_reply_text(req, 400, "bad delay\n");
				goto out;
			}
			fs_delay(req, n);
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
	evhttp_free(http);
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
