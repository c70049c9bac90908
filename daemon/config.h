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

struct config_feed {
	char *name;
	char *url;
	int64_t interval;	/* seconds; [poll] interval unless the feed sets one */
	int line;		/* of its section header */
};

struct config_output {
	char *name;
	char *title;		/* the name unless set */
	char **keywords;	/* any of them */
	size_t nkeywords;
	char **exclude;		/* none of them */
	size_t nexclude;
	size_t max_items;
	int line;
};

struct config {
	char *path;		/* as given to config_load */
	/* "*" for all addresses; an IPv6 address without brackets. */
	char *listen_host;
	uint16_t listen_port;	/* 0: any free port */
	/* Absolute (relative ones are resolved against the config file's
	 * directory), or ":memory:". */
	char *database;
	int64_t interval;
	int concurrency;
	struct config_feed *feeds;
	size_t nfeeds;
	struct config_output *outputs;
	size_t noutputs;
};

/*
 * Reads a config file. On any error returns NULL and sets *errors to every
 * message, one "FILE:LINE: message" per line in line order, without a
 * trailing newline (caller frees); on success *errors is NULL.
 */
struct config *config_load(const char *path, char **errors);
void config_free(struct config *);

const struct config_feed *config_feed_find(const struct config *, const char *);
const struct config_output *config_output_find(const struct config *, const char *);

/*
 * "90s", "15m", "2h", "1d", "1h30m"; a bare number is seconds. Returns 0, or
 * -1 on an empty string, a sign, space, an unknown unit or overflow. No range
 * check: "0" is 0.
 */
int config_parse_duration(const char *, int64_t *);

#endif
