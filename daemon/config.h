/*
 * config: the configuration file into an immutable struct config. Every
 * error is reported as "FILE:LINE: message"; a file with any error yields no
 * config at all, so a reload either swaps in a whole new config or keeps the
 * running one.
 */
#ifndef FEEDMUX_CONFIG_H
#define FEEDMUX_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#define CONFIG_DEFAULT_LISTEN	"127.0.0.1:8080"
#define CONFIG_DEFAULT_DATABASE	"/var/lib/feedmux/feedmux.db"
#define CONFIG_DEFAULT_INTERVAL	(15 * 60)
#define CONFIG_DEFAULT_CONCURRENCY 16
#define CONFIG_DEFAULT_MAX_ITEMS 100
#define CONFIG_DEFAULT_PER_HOST	2
#define CONFIG_DEFAULT_MIN_INTERVAL 60
#define CONFIG_DEFAULT_MAX_BACKOFF (24 * 3600)
#define CONFIG_DEFAULT_STARTUP_SPREAD 60
#define CONFIG_DEFAULT_CONNECT_TIMEOUT 15
#define CONFIG_DEFAULT_TIMEOUT	60
#define CONFIG_DEFAULT_LOW_SPEED_LIMIT 1024	/* bytes per second */
#define CONFIG_DEFAULT_LOW_SPEED_TIME 30
#define CONFIG_DEFAULT_MAX_SIZE	(16 * 1024 * 1024)
#define CONFIG_DEFAULT_KEEP_AGE (90 * 86400)
#define CONFIG_DEFAULT_KEEP_ITEMS 1000

struct config_feed {
	char *name;
	char *url;
	int64_t interval;	/* seconds; [poll] interval unless the feed sets one */
	const char *file;	/* where its section header is: one of files */
	/*
	 * Retention: items older than keep_age (seconds) by their date and
	 * by when they were first stored, and those beyond the newest
	 * keep_items, are pruned; 0 is no limit. [poll]'s unless set.
	 */
	int64_t keep_age;
	int64_t keep_items;
	int line;		/* of its section header */
	int url_line;		/* of its url, for messages that ask to change it */
};

struct config_output {
	char *name;
	char *title;		/* the name unless set */
	char **keywords;	/* any of them */
	size_t nkeywords;
	char **require;		/* all of them */
	size_t nrequire;
	char **exclude;		/* none of them */
	size_t nexclude;
	unsigned fields;	/* what the keywords look at: MATCH_FIELD_* bits */
	char **feeds;		/* the feeds it draws on, each once; NULL: all */
	size_t nfeeds;
	size_t max_items;
	const char *file;	/* as for a feed */
	char *hub; /* WebSub hub to ping on changes; NULL if none */
	int line;
};

struct config {
	char *path;		/* as given to config_load */
	/* Every file read: path first, then the included ones in order. */
	char **files;
	size_t nfiles;
	/* Every include pattern, made absolute, whether it matched or not. */
	char **includes;
	size_t nincludes;
	/* "*" for all addresses; an IPv6 address without brackets. */
	char *listen_host;
	uint16_t listen_port;	/* 0: any free port */
	/* Absolute (relative ones are resolved against the config file's
	 * directory), or ":memory:". */
	char *database;
	/* Reload when a file of files or includes changes (yes: 1). */
	int reload_on_change;
	/* The address readers reach the server by, for links in the outputs,
	 * without a trailing slash; NULL: made from listen. */
	char *public_url;
	int64_t interval;
	int concurrency;
	/* [poll]: pacing and limits of every fetch; durations in seconds. */
	int per_host;		/* fetches at once per host */
	int64_t min_interval;	/* no interval, hint or backoff goes below */
	int64_t max_backoff;	/* longest wait after failures or on a server's word */
	int64_t startup_spread;	/* overdue feeds at start spread over this */
	int64_t connect_timeout;
	int64_t timeout;	/* a whole transfer */
	int64_t low_speed_limit; /* bytes per second, for low_speed_time */
	int64_t low_speed_time;
	int64_t max_size;	/* bytes of body, after decompression */
	char *contact;		/* a URL for the User-Agent; NULL if none */
	char *proxy;		/* NULL: the environment's; "" for none */
	int64_t keep_age;	/* for feeds that do not set theirs, and */
	int64_t keep_items;	/* for feeds no longer in the config */
	struct config_feed *feeds;
	size_t nfeeds;
	struct config_output *outputs;
	size_t noutputs;
	/* feeds[] by name, for config_feed_find; NULL: it scans feeds[]. */
	const struct config_feed **feeds_by_name;
};

/*
 * Reads a config file and the files its "include = PATTERN" lines name
 * (relative to the including file; glob patterns, in name order; an include
 * ends the section before it). On any error returns NULL and sets *errors to
 * every message, one "FILE:LINE: message" per line in file and line order,
 * without a trailing newline (caller frees); on success *errors is NULL.
 */
struct config *config_load(const char *path, char **errors);
void config_free(struct config *);

/* A binary search, as configs of 10,000 feeds are looked up in loops. */
const struct config_feed *config_feed_find(const struct config *, const char *);
const struct config_output *config_output_find(const struct config *, const char *);

/*
 * "90s", "15m", "2h", "1d", "1h30m"; a bare number is seconds. Returns 0, or
 * -1 on an empty string, a sign, space, an unknown unit or overflow. No range
 * check: "0" is 0.
 */
int config_parse_duration(const char *, int64_t *);
/*
 * "512", "64k", "16M", "1G" (also "16MB"; multiples of 1024); a bare number
 * is bytes. Returns 0, or -1 as config_parse_duration does.
 */
int config_parse_size(const char *, int64_t *);

#endif
