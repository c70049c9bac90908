/*
 * http: the output server. An HTTP/1.1 server of its own on the libevent
 * loop, for GET and HEAD: it routes requests to what publish has rendered
 * and does the HTTP itself (conditional GET, gzip, HEAD, keep-alive and
 * pipelining) within limits on header size, request time and connections,
 * so that no client can hold more than its share. It renders no feed.
 */
#ifndef FEEDMUX_HTTP_H
#define FEEDMUX_HTTP_H

#include <stddef.h>
#include <stdint.h>

#define HTTP_MAX_HEADER (16 * 1024) /* request line and fields */
#define HTTP_MAX_LINE (8 * 1024)    /* the request line alone */
#define HTTP_MAX_FIELDS 100
#define HTTP_REQUEST_TIMEOUT                                                   \
	10 /* seconds from a request's first byte to its end */
#define HTTP_IDLE_TIMEOUT 60	  /* seconds a kept-alive connection may wait */
#define HTTP_WRITE_TIMEOUT 30	  /* seconds a response may make no progress */
#define HTTP_MAX_CONNECTIONS 4096 /* fewer if the descriptor limit says so */

struct event_base;
struct publisher;
struct httpd;

enum http_method {
	HTTP_GET,
	HTTP_HEAD,
	HTTP_OTHER, /* any other token: answered 405 */
};

/* A request head as http_parse reads it; strings point into its buffer. */
struct http_request {
	enum http_method method;
	const char *path; /* the target's path, %-encoded, NUL-terminated */
	int minor;	  /* HTTP/1.minor */
	int keep_alive;
	int has_body; /* Content-Length > 0 or Transfer-Encoding */
	int accept_gzip;
	const char *if_none_match[4]; /* one per field line */
	size_t ninm;
	const char *if_modified_since;
	size_t len; /* bytes of the head, its empty line included */
	/* Internal to the parser. */
	int ae_gzip, ae_star, nhost;
	long long clen;
};

/*
 * Reads one request head at the start of buf (modified in place). Returns
 * 0 with *req filled, 1 when the head is not whole yet (and may still be
 * within the limits), or the HTTP status that refuses it (400, 414, 431,
 * 505).
 */
int http_parse(char *buf, size_t len, struct http_request *req);
/* An HTTP date in any of its three forms (RFC 9110 5.6.7); -1 if not one. */
int http_date_parse(const char *, int64_t *);

/*
 * Listens on host:port (port 0: any free one); NULL with *cause on failure.
 * With host NULL it binds nothing: the sockets come from http_listen_fd.
 */
struct httpd *http_new(struct event_base *, const char *host, uint16_t port,
    struct publisher *, char **cause);
/* Serves on a socket that already listens (systemd socket activation). */
int http_listen_fd(struct httpd *, int fd, char **cause);
void http_free(struct httpd *);
/* The port actually bound (of the first socket; 0 for a unix socket). */
uint16_t http_port(const struct httpd *);

#endif
