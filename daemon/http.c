#include <sys/socket.h>
#include <netinet/in.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/util.h>

#include "http.h"
#include "log.h"
#include "publish.h"
#include "util.h"

#define HTTP_MAX_HEADERS	(16 * 1024)
#define HTTP_MAX_BODY		(16 * 1024)
#define HTTP_TIMEOUT		30	/* seconds to read a request */
#define HTTP_MAX_NAME		64

struct httpd {
	struct evhttp *http;
	struct evhttp_bound_socket *sock;
	struct publisher *pub;
	const struct publish_status *status;
	uint16_t port;
};

static void
http_reply(struct evhttp_request *req, int code, const char *reason,
    const char *ctype, const char *body, size_t len)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	struct evbuffer *out = evhttp_request_get_output_buffer(req);

	char clen[32];

	evhttp_add_header(h, "Content-Type", ctype);
	evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
	/* evhttp would send a HEAD reply's body: give only its length. */
	if (evhttp_request_get_command(req) == EVHTTP_REQ_HEAD) {
		snprintf(clen, sizeof clen, "%zu", len);
		evhttp_add_header(h, "Content-Length", clen);
	} else
		evbuffer_add(out, body, len);
	evhttp_send_reply(req, code, reason, NULL);
}

static void
http_error(struct evhttp_request *req, int code, const char *reason)
{
	char body[128];
	int n;

	n = snprintf(body, sizeof body, "%d %s\n", code, reason);
	http_reply(req, code, reason, "text/plain; charset=utf-8", body,
	    (size_t)n);
}

/* True when the client already has this version (RFC 9110 13.1.2). */
static int
http_not_modified(struct evhttp_request *req, const struct publish_doc *doc)
{
	struct evkeyvalq *in = evhttp_request_get_input_headers(req);
	const char *inm, *ims;
	char date[30];

	if ((inm = evhttp_find_header(in, "If-None-Match")) != NULL) {
		/* A list of tags or "*"; weak comparison is what GET asks for. */
		return strcmp(inm, "*") == 0 || strstr(inm, doc->etag) != NULL;
	}
	if ((ims = evhttp_find_header(in, "If-Modified-Since")) != NULL) {
		time_http(doc->modified, date);
		return strcmp(ims, date) == 0;
	}
	return 0;
}

static void
http_serve_doc(struct httpd *h, struct evhttp_request *req,
    const struct publish_doc *doc)
{
	struct evkeyvalq *out = evhttp_request_get_output_headers(req);
	char date[30];

	(void)h;
	time_http(doc->modified, date);
	evhttp_add_header(out, "ETag", doc->etag);
	evhttp_add_header(out, "Last-Modified", date);
	evhttp_add_header(out, "Cache-Control", "max-age=60");
	if (http_not_modified(req, doc)) {
		evhttp_send_reply(req, 304, "Not Modified", NULL);
		return;
	}
	http_reply(req, 200, "OK", doc->content_type, doc->body, doc->len);
}

static int
http_name_ok(const char *s, size_t n)
{
	if (n == 0 || n > HTTP_MAX_NAME || s[0] == '.')
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '.' || s[i] == '_' ||
		    s[i] == '-'))
			return 0;
	return 1;
}

static void
http_route(struct evhttp_request *req, void *arg)
{
	struct httpd *h = arg;
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *path = uri != NULL ? evhttp_uri_get_path(uri) : NULL;
	const struct publish_doc *doc;
	const char *name, *dot;
	char *page, output[HTTP_MAX_NAME + 1];
	size_t len;

	if (cmd != EVHTTP_REQ_GET && cmd != EVHTTP_REQ_HEAD) {
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Allow", "GET, HEAD");
		http_error(req, 405, "Method Not Allowed");
		return;
	}
	if (path == NULL || path[0] == '\0')
		path = "/";

	if (strcmp(path, "/") == 0) {
		page = publish_index(h->pub, h->status, &len);
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Cache-Control", "no-cache");
		http_reply(req, 200, "OK", "text/html; charset=utf-8", page, len);
		free(page);
		return;
	}
	if (str_has_prefix(path, "/feeds/")) {
		name = path + strlen("/feeds/");
		if ((dot = strrchr(name, '.')) != NULL &&
		    http_name_ok(name, (size_t)(dot - name))) {
			memcpy(output, name, (size_t)(dot - name));
			output[dot - name] = '\0';
			doc = publish_get(h->pub, output, dot + 1);
			if (doc != NULL) {
				http_serve_doc(h, req, doc);
				return;
			}
		}
	}
	http_error(req, 404, "Not Found");
}

/* Readers' connections get the loop's first priority. */
static struct bufferevent *
http_bev(struct event_base *base, void *arg)
{
	struct bufferevent *bev;

	(void)arg;
	bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
	if (bev != NULL)
		bufferevent_priority_set(bev, EVPRIO_SERVE);
	return bev;
}

/* The port of the first socket, for the log and the tests. */
static void
http_set_port(struct httpd *h, evutil_socket_t fd)
{
	struct sockaddr_storage ss;
	ev_socklen_t sslen = sizeof ss;

	memset(&ss, 0, sizeof ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &sslen) == 0) {
		if (ss.ss_family == AF_INET)
			h->port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
		else if (ss.ss_family == AF_INET6)
			h->port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	}
}

struct httpd *
http_new(struct event_base *base, const char *host, uint16_t port,
    struct publisher *pub, const struct publish_status *status, char **cause)
{
	struct httpd *h;
	evutil_socket_t fd;

	h = xcalloc(1, sizeof *h);
	h->pub = pub;
	h->status = status;
	if ((h->http = evhttp_new(base)) == NULL)
		fatalx("evhttp_new failed");
	/* Every method reaches http_route, which answers 405 with Allow. */
	evhttp_set_allowed_methods(h->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST |
	    EVHTTP_REQ_HEAD | EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
	    EVHTTP_REQ_OPTIONS | EVHTTP_REQ_TRACE | EVHTTP_REQ_CONNECT |
	    EVHTTP_REQ_PATCH);
	evhttp_set_max_headers_size(h->http, HTTP_MAX_HEADERS);
	evhttp_set_max_body_size(h->http, HTTP_MAX_BODY);
	evhttp_set_timeout(h->http, HTTP_TIMEOUT);
	evhttp_set_gencb(h->http, http_route, h);
	evhttp_set_bevcb(h->http, http_bev, NULL);

	/* Sockets come later, from http_listen_fd. */
	if (host == NULL)
		return h;
	h->sock = evhttp_bind_socket_with_handle(h->http,
	    strcmp(host, "*") == 0 ? "::" : host, port);
	if (h->sock == NULL) {
		xasprintf(cause, "cannot listen on %s:%u", host, (unsigned)port);
		evhttp_free(h->http);
		free(h);
		return NULL;
	}
	fd = evhttp_bound_socket_get_fd(h->sock);
	http_set_port(h, fd);
	return h;
}

int
http_listen_fd(struct httpd *h, int fd, char **cause)
{
	struct evhttp_bound_socket *sock;

	if (evutil_make_socket_nonblocking(fd) != 0 ||
	    (sock = evhttp_accept_socket_with_handle(h->http, fd)) == NULL) {
		xasprintf(cause, "cannot serve on descriptor %d", fd);
		return -1;
	}
	if (h->sock == NULL) {
		h->sock = sock;
		http_set_port(h, fd);
	}
	return 0;
}

void
http_free(struct httpd *h)
{
	if (h == NULL)
		return;
	evhttp_free(h->http);
	free(h);
}

uint16_t
http_port(const struct httpd *h)
{
	return h->port;
}
