/*
 * fetch: HTTP transfers with libcurl's multi interface, driven by the
 * libevent loop through curl_multi_socket_action. No threads, no blocking
 * calls. It moves bytes and knows nothing of feeds.
 */
#ifndef FEEDMUX_FETCH_H
#define FEEDMUX_FETCH_H

#include <stddef.h>
#include <stdint.h>

struct event_base;
struct fetcher;
struct fetch;

#define FETCH_DEFAULT_MAX_BYTES		(16 * 1024 * 1024)
#define FETCH_DEFAULT_TIMEOUT		60	/* seconds, whole transfer */
#define FETCH_DEFAULT_CONNECT_TIMEOUT	15	/* seconds */
#define FETCH_MAX_REDIRECTS		5

/* Zero (or NULL) in any member means its default. */
struct fetch_request {
	const char *url;
	const char *etag;		/* sent as If-None-Match; may be NULL */
	const char *last_modified;	/* sent as If-Modified-Since; may be NULL */
	const char *post;		/* a form body to POST; NULL: GET */
	size_t max_bytes;		/* 0: FETCH_DEFAULT_MAX_BYTES */
	long timeout;			/* seconds; 0: FETCH_DEFAULT_TIMEOUT */
	long connect_timeout;		/* seconds */
	long low_speed_limit;		/* bytes a second over low_speed_time; */
	long low_speed_time;		/* 0: no low-speed limit */
	const char *contact;		/* URL added to the User-Agent */
	const char *proxy;		/* NULL: the environment's; "": none */
};

struct fetch_result {
	const char *url;		/* as requested */
	const char *error;		/* NULL when an HTTP response arrived whole */
	long status;			/* HTTP status; 0 if none arrived */
	const char *body;		/* NUL-terminated; len excludes the NUL */
	size_t len;
	const char *effective_url;	/* after redirects */
	/*
	 * Where the redirects that were all permanent (301, 308) led, counted
	 * from the request: the URL to ask next time. NULL if the first
	 * response was not such a redirect.
	 */
	const char *permanent_url;
	const char *content_type;	/* may be NULL */
	const char *content_location;	/* may be NULL */
	const char *etag;		/* may be NULL */
	const char *last_modified;	/* may be NULL */
	/* Unix times, 0 when the last response did not say. */
	int64_t retry_after;		/* Retry-After, in seconds or as a date */
	int64_t fresh_until;		/* Cache-Control max-age, else Expires */
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

/*
 * The host of an http or https URL, lower-cased (caller frees); NULL if it
 * has none. Fetches are paced per host.
 */
char *fetch_url_host(const char *url);
/* The User-Agent sent: "feedmux/VERSION", with (+contact) if given. */
char *fetch_user_agent(const char *contact);
/*
 * Header values as fetch reads them, relative to now (unix time); 0 when
 * absent or unreadable. Public for the tests.
 */
int64_t fetch_parse_retry_after(const char *value, int64_t now);
int64_t fetch_parse_freshness(const char *cache_control, const char *expires,
    const char *date, const char *age, int64_t now);

#endif
