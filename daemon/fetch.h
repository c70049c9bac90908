/*
 * fetch: HTTP transfers with libcurl's multi interface, driven by the
 * libevent loop through curl_multi_socket_action. No threads, no blocking
 * calls. It moves bytes and knows nothing of feeds.
 */
#ifndef FEEDMUX_FETCH_H
#define FEEDMUX_FETCH_H

#include <stddef.h>

struct event_base;
struct fetcher;
struct fetch;

#define FETCH_DEFAULT_MAX_BYTES		(16 * 1024 * 1024)
#define FETCH_DEFAULT_TIMEOUT		60	/* seconds, whole transfer */
#define FETCH_DEFAULT_CONNECT_TIMEOUT	15	/* seconds */
#define FETCH_MAX_REDIRECTS		5

struct fetch_request {
	const char *url;
	const char *etag;		/* sent as If-None-Match; may be NULL */
	const char *last_modified;	/* sent as If-Modified-Since; may be NULL */
	size_t max_bytes;		/* 0: FETCH_DEFAULT_MAX_BYTES */
	long timeout;			/* seconds; 0: FETCH_DEFAULT_TIMEOUT */
};

struct fetch_result {
	const char *url;		/* as requested */
	const char *error;		/* NULL when an HTTP response arrived whole */
	long status;			/* HTTP status; 0 if none arrived */
	const char *body;		/* NUL-terminated; len excludes the NUL */
	size_t len;
	const char *effective_url;	/* after redirects */
	const char *content_type;	/* may be NULL */
	const char *content_location;	/* may be NULL */
	const char *etag;		/* may be NULL */
	const char *last_modified;	/* may be NULL */
	double seconds;			/* total time of the transfer */
};

/* Called once per fetch from the loop; the result lives until it returns. */
typedef void (*fetch_cb)(const struct fetch_result *, void *arg);

struct fetcher *fetch_new(struct event_base *);
/* Cancels every transfer still running, without calling their callbacks. */
void fetch_free(struct fetcher *);

/* Starts a transfer; the callback runs later from the loop, never from here. */
struct fetch *fetch_start(struct fetcher *, const struct fetch_request *,
    fetch_cb, void *arg);
/* Cancels one transfer; its callback is not called. */
void fetch_cancel(struct fetch *);
/* Transfers under way. */
size_t fetch_running(const struct fetcher *);

#endif
