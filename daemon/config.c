#include <sys/stat.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <glob.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <curl/curl.h>

#include "config.h"
#include "log.h"
#include "match.h"
#include "util.h"

#define LINE_MAX_BYTES (64 * 1024)
#define NAME_MAX_BYTES 64
#define INTERVAL_MIN 1
#define INTERVAL_MAX (7 * 24 * 3600)
#define PER_HOST_MIN 1
#define PER_HOST_MAX 100
#define CONCURRENCY_MIN 1
#define CONCURRENCY_MAX 1000
#define MAX_ITEMS_MIN 1
#define MAX_ITEMS_MAX 10000
#define KEEP_AGE_MAX (100LL * 365 * 86400)
#define KEEP_ITEMS_MAX 10000000
/* A binary file given by mistake should not flood the terminal. */
#define ERRORS_SHOWN 100

#define DURATION_HINT "(use 90s, 15m, 2h, 1d)"
#define NAME_HINT "(1 to 64 of A-Z a-z 0-9 . _ -, not starting with '.')"
#define LISTEN_HINT "(use host:port, [v6addr]:port or *:port)"

enum section {
	SECTION_NONE,	 /* before the first header */
	SECTION_IGNORED, /* after a header that was wrong */
	SECTION_SERVER,
	SECTION_POLL,
	SECTION_FEED,
	SECTION_OUTPUT,
};

struct parser;

struct key {
	const char *name;
	int (*set)(struct parser *, const char *, char **);
};

#define KEYS_MAX 16 /* keys of the largest section (asserted below) */
/* Includes may nest this deep; deeper is surely a loop of symlinks. */
#define INCLUDE_DEPTH_MAX 8

/* Where a line is: a file of conf->files, a line in it (0: none). */
struct loc {
	int file;
	int line;
};

struct config_error {
	int file;
	int line;
	size_t seq;
	char *msg;
};

struct parser {
	const char *file; /* being read: conf->files[fileno] */
	int fileno;
	struct config *conf;
	char *dir; /* of the file being read, absolute; on demand */

	struct config_error *errors;
	size_t nerrors;

	/* Each output's feeds key: its names are checked at the end. */
	struct loc *feeds_locs;
	size_t feeds_cap; /* room in conf->feeds */

	enum section section;
	int section_line;
	int after_include; /* an include ended the last section */
	int line;	   /* of the key being set */
	const struct key *keys;
	size_t nkeys;
	struct loc *seen; /* where each key of this section was set */

	/* [server] and [poll] may be repeated; their keys may not. */
	struct loc server_seen[KEYS_MAX];
	struct loc poll_seen[KEYS_MAX];
	struct loc entry_seen[KEYS_MAX];

	/* The files being read, outermost first, to refuse include loops. */
	dev_t devs[INCLUDE_DEPTH_MAX + 1];
	ino_t inos[INCLUDE_DEPTH_MAX + 1];
	int depth;
};

static void parser_error(struct parser *, int, const char *, ...)
    __attribute__((format(printf, 3, 4)));

static void
parser_error(struct parser *p, int line, const char *fmt, ...)
{
	struct config_error *e;
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	xvasprintf(&msg, fmt, ap);
	va_end(ap);

	p->errors = xreallocarray(p->errors, p->nerrors + 1, sizeof *p->errors);
	e = &p->errors[p->nerrors];
	e->file = p->fileno;
	e->line = line;
	e->seq = p->nerrors++;
	if (line > 0)
		xasprintf(&e->msg, "%s:%d: %s", p->file, line, msg);
	else
		xasprintf(&e->msg, "%s: %s", p->file, msg);
	free(msg);
}

/* Errors found after reading are reported as if in file, one of files. */
static void
parser_in(struct parser *p, const char *file)
{
	for (size_t i = 0; i < p->conf->nfiles; i++) {
		if (p->conf->files[i] == file) {
			p->file = file;
			p->fileno = (int)i;
			return;
		}
	}
}

/* "line N" in the file being read, "FILE:N" in another (caller frees). */
static char *
parser_where(struct parser *p, const char *file, int line)
{
	char *s;

	if (strcmp(file, p->file) == 0)
		xasprintf(&s, "line %d", line);
	else
		xasprintf(&s, "%s:%d", file, line);
	return s;
}

static int
error_cmp(const void *a, const void *b)
{
	const struct config_error *ea = a, *eb = b;

	if (ea->file != eb->file)
		return ea->file < eb->file ? -1 : 1;
	if (ea->line != eb->line)
		return ea->line < eb->line ? -1 : 1;
	if (ea->seq != eb->seq)
		return ea->seq < eb->seq ? -1 : 1;
	return 0;
}

/* Sorted by file, then line: a section's end may report on its header. */
static char *
parser_errors(struct parser *p)
{
	struct buf b;
	size_t i;

	qsort(p->errors, p->nerrors, sizeof *p->errors, error_cmp);
	buf_init(&b);
	for (i = 0; i < p->nerrors && i < ERRORS_SHOWN; i++) {
		if (i > 0)
			buf_addc(&b, '\n');
		buf_adds(&b, p->errors[i].msg);
	}
	if (p->nerrors > ERRORS_SHOWN)
		buf_printf(&b, "\n%s: %zu more errors not shown", p->file,
		    p->nerrors - ERRORS_SHOWN);
	return buf_steal(&b, NULL);
}

/* Decimal digits only: no sign, no space, no base prefix. */
static int
parse_number(const char *s, int64_t min, int64_t max, int64_t *out)
{
	int64_t n = 0;
	int d;

	if (*s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		d = *s - '0';
		if (n > (max - d) / 10)
			return -1;
		n = n * 10 + d;
	}
	if (n < min)
		return -1;
	*out = n;
	return 0;
}

int
config_parse_duration(const char *s, int64_t *out)
{
	int64_t total = 0, n, unit;
	int d, units = 0;

	if (*s == '\0')
		return -1;
	while (*s != '\0') {
		if (*s < '0' || *s > '9')
			return -1;
		for (n = 0; *s >= '0' && *s <= '9'; s++) {
			d = *s - '0';
			if (n > (INT64_MAX - d) / 10)
				return -1;
			n = n * 10 + d;
		}
		switch (*s) {
		case '\0':
			/* A bare number is seconds, but only on its own. */
			if (units)
				return -1;
			*out = n;
			return 0;
		case 's':
			unit = 1;
			break;
		case 'm':
			unit = 60;
			break;
		case 'h':
			unit = 3600;
			break;
		case 'd':
			unit = 86400;
			break;
		default:
			return -1;
		}
		s++;
		if (n > INT64_MAX / unit)
			return -1;
		n *= unit;
		if (total > INT64_MAX - n)
			return -1;
		total += n;
		units = 1;
	}
	*out = total;
	return 0;
}

int
config_parse_size(const char *s, int64_t *out)
{
	int64_t n = 0, unit = 1;
	int d;

	if (*s < '0' || *s > '9')
		return -1;
	for (; *s >= '0' && *s <= '9'; s++) {
		d = *s - '0';
		if (n > (INT64_MAX - d) / 10)
			return -1;
		n = n * 10 + d;
	}
	switch (*s) {
	case '\0':
		*out = n;
		return 0;
	case 'k':
	case 'K':
		unit = 1024;
		break;
	case 'M':
		unit = 1024 * 1024;
		break;
	case 'G':
		unit = 1024 * 1024 * 1024;
		break;
	default:
		return -1;
	}
	s++;
	if (*s == 'B')
		s++;
	if (*s != '\0' || n > INT64_MAX / unit)
		return -1;
	*out = n * unit;
	return 0;
}

static int
valid_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > NAME_MAX_BYTES || s[0] == '.')
		return 0;
	for (; *s != '\0'; s++) {
		if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || *s == '.' || *s == '_' ||
		    *s == '-')
			continue;
		return 0;
	}
	return 1;
}

static int
valid_hostname(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 253)
		return 0;
	for (; *s != '\0'; s++) {
		if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || *s == '.' || *s == '-')
			continue;
		return 0;
	}
	return 1;
}

/* Returns the offset of the first byte that is not valid UTF-8, or len. */
static size_t
utf8_check(const unsigned char *s, size_t len)
{
	size_t i = 0, n, k;
	uint32_t cp, min;

	while (i < len) {
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if ((s[i] & 0xe0) == 0xc0) {
			n = 1;
			cp = s[i] & 0x1f;
			min = 0x80;
		} else if ((s[i] & 0xf0) == 0xe0) {
			n = 2;
			cp = s[i] & 0x0f;
			min = 0x800;
		} else if ((s[i] & 0xf8) == 0xf0) {
			n = 3;
			cp = s[i] & 0x07;
			min = 0x10000;
		} else
			return i;
		if (len - i <= n)
			return i;
		for (k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return i;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		/* Overlong forms, surrogates and beyond Unicode. */
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return i;
		i += n + 1;
	}
	return len;
}

static int
parse_listen(const char *s, char **hostp, uint16_t *portp, char **cause)
{
	struct in6_addr a6;
	const char *end, *port;
	char *host;
	int64_t n;

	if (*s == '[') {
		if ((end = strchr(s, ']')) == NULL || end[1] != ':') {
			xasprintf(cause, "bad address \"%s\" " LISTEN_HINT, s);
			return -1;
		}
		host = xstrndup(s + 1, (size_t)(end - s - 1));
		if (inet_pton(AF_INET6, host, &a6) != 1) {
			xasprintf(cause, "bad IPv6 address \"%s\"", host);
			free(host);
			return -1;
		}
		port = end + 2;
	} else {
		if ((end = strrchr(s, ':')) == NULL) {
			xasprintf(
			    cause, "missing port in \"%s\" " LISTEN_HINT, s);
			return -1;
		}
		host = xstrndup(s, (size_t)(end - s));
		port = end + 1;
		if (strchr(host, ':') != NULL) {
			xasprintf(cause,
			    "an IPv6 address needs brackets: [%s]:%s", host,
			    port);
			free(host);
			return -1;
		}
		if (strcmp(host, "*") != 0 && !valid_hostname(host)) {
			xasprintf(cause, "bad host \"%s\" " LISTEN_HINT, host);
			free(host);
			return -1;
		}
	}
	if (parse_number(port, 0, 65535, &n) != 0) {
		xasprintf(cause, "bad port \"%s\" (use 0 to 65535)", port);
		free(host);
		return -1;
	}
	*hostp = host;
	*portp = (uint16_t)n;
	return 0;
}

/* RFC 3986: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) */
static int
scheme_char(char c, int first)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
		return 1;
	if (first)
		return 0;
	return (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.';
}

static int
check_url(const char *s, char **cause)
{
	CURLU *u;
	CURLUcode rc;
	char *host = NULL;
	const char *p;
	size_t len;

	/* Our own scheme check first: clearer than curl's message. */
	for (p = s; scheme_char(*p, p == s); p++)
		;
	len = (size_t)(p - s);
	if (len == 0 || strncmp(p, "://", 3) != 0) {
		xasprintf(cause, "\"%s\" is not an http:// or https:// URL", s);
		return -1;
	}
	if ((len != 4 || strncasecmp(s, "http", 4) != 0) &&
	    (len != 5 || strncasecmp(s, "https", 5) != 0)) {
		xasprintf(cause,
		    "scheme \"%.*s\" not supported (http or https)", (int)len,
		    s);
		return -1;
	}

	if ((u = curl_url()) == NULL)
		fatalx("curl_url");
	rc = curl_url_set(u, CURLUPART_URL, s, 0);
	if (rc == CURLUE_NO_HOST) {
		xasprintf(cause, "no host in \"%s\"", s);
		curl_url_cleanup(u);
		return -1;
	}
	if (rc != CURLUE_OK) {
		xasprintf(
		    cause, "bad URL \"%s\" (%s)", s, curl_url_strerror(rc));
		curl_url_cleanup(u);
		return -1;
	}
	rc = curl_url_get(u, CURLUPART_HOST, &host, 0);
	if (rc != CURLUE_OK || host == NULL || *host == '\0') {
		xasprintf(cause, "no host in \"%s\"", s);
		curl_free(host);
		curl_url_cleanup(u);
		return -1;
	}
	curl_free(host);
	curl_url_cleanup(u);
	return 0;
}

/* A duration in [min, max]; range is how the message says them. */
static int
set_duration_in(const char *s, int64_t *out, int64_t min, int64_t max,
    const char *range, char **cause)
{
	int64_t n;

	if (config_parse_duration(s, &n) != 0) {
		xasprintf(cause, "bad duration \"%s\" " DURATION_HINT, s);
		return -1;
	}
	if (n < min || n > max) {
		xasprintf(cause, "\"%s\" out of range (%s)", s, range);
		return -1;
	}
	*out = n;
	return 0;
}

static int
set_duration(const char *s, int64_t *out, char **cause)
{
	return set_duration_in(s, out, INTERVAL_MIN, INTERVAL_MAX, "1s to 7d",
	    cause);
}

static int
set_size_in(const char *s, int64_t *out, int64_t min, int64_t max,
    const char *range, char **cause)
{
	int64_t n;

	if (config_parse_size(s, &n) != 0) {
		xasprintf(cause, "bad size \"%s\" (use 512, 64k, 16M, 1G)", s);
		return -1;
	}
	if (n < min || n > max) {
		xasprintf(cause, "\"%s\" out of range (%s)", s, range);
		return -1;
	}
	*out = n;
	return 0;
}

static int
set_listen(struct parser *p, const char *s, char **cause)
{
	char *host;
	uint16_t port;

	if (parse_listen(s, &host, &port, cause) != 0)
		return -1;
	free(p->conf->listen_host);
	p->conf->listen_host = host;
	p->conf->listen_port = port;
	return 0;
}

/* The directory of the config file, made absolute: the daemon may chdir. */
static int
parser_dir(struct parser *p, char **cause)
{
	const char *slash;
	char cwd[4096];
	int n;

	if (p->dir != NULL)
		return 0;
	slash = strrchr(p->file, '/');
	n = slash == NULL ? 0 : (int)(slash - p->file);
	if (p->file[0] == '/') {
		p->dir = xstrndup(p->file, (size_t)n);
		return 0;
	}
	if (getcwd(cwd, sizeof cwd) == NULL) {
		xasprintf(cause, "cannot resolve a relative path: getcwd: %s",
		    strerror(errno));
		return -1;
	}
	if (strcmp(cwd, "/") == 0)
		cwd[0] = '\0';
	if (slash == NULL)
		p->dir = xstrdup(cwd);
	else
		xasprintf(&p->dir, "%s/%.*s", cwd, n, p->file);
	return 0;
}

static int
set_database(struct parser *p, const char *s, char **cause)
{
	char *path;

	if (*s == '\0') {
		xasprintf(cause, "empty path");
		return -1;
	}
	/* SQLite's in-memory database is a name, not a file. */
	if (*s == '/' || strcmp(s, ":memory:") == 0)
		path = xstrdup(s);
	else {
		if (parser_dir(p, cause) != 0)
			return -1;
		while (s[0] == '.' && s[1] == '/')
			for (s += 2; *s == '/'; s++)
				;
		xasprintf(&path, "%s/%s", p->dir, s);
	}
	free(p->conf->database);
	p->conf->database = path;
	return 0;
}

static int
set_reload_on_change(struct parser *p, const char *s, char **cause)
{
	if (strcmp(s, "yes") == 0)
		p->conf->reload_on_change = 1;
	else if (strcmp(s, "no") == 0)
		p->conf->reload_on_change = 0;
	else {
		xasprintf(cause, "\"%s\" is neither yes nor no", s);
		return -1;
	}
	return 0;
}

static int
set_public_url(struct parser *p, const char *s, char **cause)
{
	size_t n;

	if (check_url(s, cause) != 0)
		return -1;
	/* Links are made by appending "/feeds/...": no slash of its own. */
	n = strlen(s);
	while (n > 0 && s[n - 1] == '/')
		n--;
	free(p->conf->public_url);
	p->conf->public_url = xstrndup(s, n);
	return 0;
}

static int
set_poll_interval(struct parser *p, const char *s, char **cause)
{
	return set_duration(s, &p->conf->interval, cause);
}

/* A retention age: a duration, 0 for no limit. */
static int
set_keep_age(const char *s, int64_t *out, char **cause)
{
	int64_t n;

	if (config_parse_duration(s, &n) != 0) {
		xasprintf(cause, "bad duration \"%s\" " DURATION_HINT
		    " or 0 for no limit", s);
		return -1;
	}
	if (n > KEEP_AGE_MAX) {
		xasprintf(cause, "\"%s\" out of range (0 to 36500d)", s);
		return -1;
	}
	/* 0 means unset until config_load's end: store "no limit" as -1. */
	*out = n == 0 ? -1 : n;
	return 0;
}

static int
set_keep_items(const char *s, int64_t *out, char **cause)
{
	int64_t n;

	if (parse_number(s, 0, KEEP_ITEMS_MAX, &n) != 0) {
		xasprintf(cause, "bad number \"%s\" (use 0 for no limit, or up "
		    "to %d)", s, KEEP_ITEMS_MAX);
		return -1;
	}
	*out = n == 0 ? -1 : n;
	return 0;
}

static int
set_poll_keep_age(struct parser *p, const char *s, char **cause)
{
	return set_keep_age(s, &p->conf->keep_age, cause);
}

static int
set_poll_keep_items(struct parser *p, const char *s, char **cause)
{
	return set_keep_items(s, &p->conf->keep_items, cause);
}

/* A whole number from min to max. */
static int
set_number_in(const char *s, int64_t min, int64_t max, int64_t *out,
    char **cause)
{
	if (parse_number(s, min, max, out) != 0) {
		xasprintf(cause, "bad number \"%s\" (use %jd to %jd)", s,
		    (intmax_t)min, (intmax_t)max);
		return -1;
	}
	return 0;
}

static int
set_concurrency(struct parser *p, const char *s, char **cause)
{
	int64_t n;

	if (set_number_in(s, CONCURRENCY_MIN, CONCURRENCY_MAX, &n, cause) != 0)
		return -1;
	p->conf->concurrency = (int)n;
	return 0;
}

static int
set_per_host(struct parser *p, const char *s, char **cause)
{
	int64_t n;

	if (set_number_in(s, PER_HOST_MIN, PER_HOST_MAX, &n, cause) != 0)
		return -1;
	p->conf->per_host = (int)n;
	return 0;
}

static int
set_min_interval(struct parser *p, const char *s, char **cause)
{
	return set_duration_in(s, &p->conf->min_interval, 1, 86400,
	    "1s to 1d", cause);
}

static int
set_max_backoff(struct parser *p, const char *s, char **cause)
{
	return set_duration_in(s, &p->conf->max_backoff, 1, 30 * 86400,
	    "1s to 30d", cause);
}

static int
set_startup_spread(struct parser *p, const char *s, char **cause)
{
	return set_duration_in(s, &p->conf->startup_spread, 0, 86400,
	    "0s to 1d", cause);
}

static int
set_connect_timeout(struct parser *p, const char *s, char **cause)
{
	return set_duration_in(s, &p->conf->connect_timeout, 1, 600,
	    "1s to 10m", cause);
}

static int
set_timeout(struct parser *p, const char *s, char **cause)
{
	return set_duration_in(s, &p->conf->timeout, 1, 3600, "1s to 1h",
	    cause);
}

static int
set_low_speed_limit(struct parser *p, const char *s, char **cause)
{
	return set_size_in(s, &p->conf->low_speed_limit, 0,
	    1024 * 1024 * 1024, "0 to 1G bytes a second; 0: no limit", cause);
}

static int
set_low_speed_time(struct parser *p, const char *s, char **cause)
{
	return set_duration_in(s, &p->conf->low_speed_time, 1, 3600,
	    "1s to 1h", cause);
}

static int
set_max_size(struct parser *p, const char *s, char **cause)
{
	return set_size_in(s, &p->conf->max_size, 1024, 1024 * 1024 * 1024,
	    "1k to 1G", cause);
}

/* Goes into every User-Agent header: no control characters, no spaces. */
static int
set_contact(struct parser *p, const char *s, char **cause)
{
	if (str_has_prefix(s, "mailto:") && s[7] != '\0' &&
	    strpbrk(s, " \t()") == NULL) {
		free(p->conf->contact);
		p->conf->contact = xstrdup(s);
		return 0;
	}
	if (check_url(s, cause) != 0)
		return -1;
	if (strpbrk(s, " \t()") != NULL) {
		xasprintf(cause, "\"%s\": no spaces or parentheses, please", s);
		return -1;
	}
	free(p->conf->contact);
	p->conf->contact = xstrdup(s);
	return 0;
}

static int
set_proxy(struct parser *p, const char *s, char **cause)
{
	static const char *schemes[] = { "http://", "https://", "socks4://",
	    "socks4a://", "socks5://", "socks5h://" };
	CURLU *u;
	CURLUcode rc;
	size_t i;

	free(p->conf->proxy);
	p->conf->proxy = NULL;
	/* "none" also overrides the environment's proxy. */
	if (strcmp(s, "none") == 0) {
		p->conf->proxy = xstrdup("");
		return 0;
	}
	for (i = 0; i < nitems(schemes); i++)
		if (strncasecmp(s, schemes[i], strlen(schemes[i])) == 0)
			break;
	if (i == nitems(schemes)) {
		xasprintf(cause, "\"%s\" is not a proxy URL (http://, https://, "
		    "socks4://, socks4a://, socks5:// or socks5h://; none for "
		    "no proxy)", s);
		return -1;
	}
	if ((u = curl_url()) == NULL)
		fatalx("curl_url");
	rc = curl_url_set(u, CURLUPART_URL, s, CURLU_NON_SUPPORT_SCHEME);
	curl_url_cleanup(u);
	if (rc != CURLUE_OK) {
		xasprintf(cause, "bad URL \"%s\" (%s)", s,
		    curl_url_strerror(rc));
		return -1;
	}
	p->conf->proxy = xstrdup(s);
	return 0;
}

static struct config_feed *
parser_feed(struct parser *p)
{
	return &p->conf->feeds[p->conf->nfeeds - 1];
}

static struct config_output *
parser_output(struct parser *p)
{
	return &p->conf->outputs[p->conf->noutputs - 1];
}

static int
set_feed_url(struct parser *p, const char *s, char **cause)
{
	if (check_url(s, cause) != 0)
		return -1;
	parser_feed(p)->url = xstrdup(s);
	parser_feed(p)->url_line = p->entry_seen[0].line;
	return 0;
}

static int
set_feed_interval(struct parser *p, const char *s, char **cause)
{
	return set_duration(s, &parser_feed(p)->interval, cause);
}

static int
set_feed_keep_age(struct parser *p, const char *s, char **cause)
{
	return set_keep_age(s, &parser_feed(p)->keep_age, cause);
}

static int
set_feed_keep_items(struct parser *p, const char *s, char **cause)
{
	return set_keep_items(s, &parser_feed(p)->keep_items, cause);
}

static int
set_output_title(struct parser *p, const char *s, char **cause)
{
	if (*s == '\0') {
		xasprintf(cause, "empty (leave it out to use the name)");
		return -1;
	}
	parser_output(p)->title = xstrdup(s);
	return 0;
}

static int
set_keywords(const char *s, char ***listp, size_t *np, char **cause)
{
	char **list;
	size_t n, i;
	char *why;

	if (str_split_list(s, &list, &n, &why) != 0) {
		xasprintf(cause, "%s (in \"%s\")", why, s);
		free(why);
		return -1;
	}
	/* "" alone would otherwise silently mean "no keywords". */
	if (n == 0 && *s != '\0') {
		xasprintf(cause, "empty element in list (in \"%s\")", s);
		return -1;
	}
	for (i = 0; i < n; i++) {
		/* match's message names the keyword already. */
		if (match_keyword_check(list[i], &why) != 0) {
			*cause = why;
			str_list_free(list, n);
			return -1;
		}
	}
	*listp = list;
	*np = n;
	return 0;
}

static int
set_output_keywords(struct parser *p, const char *s, char **cause)
{
	struct config_output *o = parser_output(p);

	return set_keywords(s, &o->keywords, &o->nkeywords, cause);
}

static int
set_output_require(struct parser *p, const char *s, char **cause)
{
	struct config_output *o = parser_output(p);

	return set_keywords(s, &o->require, &o->nrequire, cause);
}

static int
set_output_exclude(struct parser *p, const char *s, char **cause)
{
	struct config_output *o = parser_output(p);

	return set_keywords(s, &o->exclude, &o->nexclude, cause);
}

static const struct {
	const char *name;
	unsigned bit;
} field_names[] = {
    {"title", MATCH_FIELD_TITLE},
    {"summary", MATCH_FIELD_SUMMARY},
    {"content", MATCH_FIELD_CONTENT},
    {"categories", MATCH_FIELD_CATEGORIES},
    {"author", MATCH_FIELD_AUTHOR},
};

static int
set_output_fields(struct parser *p, const char *s, char **cause)
{
	char **list;
	size_t n, i, j;
	unsigned bits = 0;
	char *why;

	if (str_split_list(s, &list, &n, &why) != 0) {
		xasprintf(cause, "%s (in \"%s\")", why, s);
		free(why);
		return -1;
	}
	if (n == 0) {
		xasprintf(cause, "empty (leave it out for title, summary, "
				 "content)");
		return -1;
	}
	for (i = 0; i < n; i++) {
		for (j = 0; j < nitems(field_names); j++) {
			if (strcmp(list[i], field_names[j].name) == 0)
				break;
		}
		if (j == nitems(field_names)) {
			xasprintf(cause,
			    "unknown field \"%s\" (use title, summary, "
			    "content, categories, author)",
			    list[i]);
			str_list_free(list, n);
			return -1;
		}
		bits |= field_names[j].bit;
	}
	str_list_free(list, n);
	parser_output(p)->fields = bits;
	return 0;
}

/* Names only here: whether each feed exists is known at the end. */
static int
set_output_feeds(struct parser *p, const char *s, char **cause)
{
	struct config_output *o = parser_output(p);
	char **list;
	size_t n, i, j, kept = 0;
	char *why;

	if (str_split_list(s, &list, &n, &why) != 0) {
		xasprintf(cause, "%s (in \"%s\")", why, s);
		free(why);
		return -1;
	}
	if (n == 0) {
		xasprintf(cause, "empty (leave it out to draw on every feed)");
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (!valid_name(list[i])) {
			xasprintf(
			    cause, "bad feed name \"%s\" " NAME_HINT, list[i]);
			str_list_free(list, n);
			return -1;
		}
	}
	/* A feed named twice counts once. */
	for (i = 0; i < n; i++) {
		for (j = 0; j < kept; j++) {
			if (strcmp(list[i], list[j]) == 0)
				break;
		}
		if (j < kept)
			free(list[i]);
		else
			list[kept++] = list[i];
	}
	o->feeds = list;
	o->nfeeds = kept;
	p->feeds_locs[p->conf->noutputs - 1].file = p->fileno;
	p->feeds_locs[p->conf->noutputs - 1].line = p->line;
	return 0;
}

static int
set_output_max_items(struct parser *p, const char *s, char **cause)
{
	int64_t n;

	if (set_number_in(s, MAX_ITEMS_MIN, MAX_ITEMS_MAX, &n, cause) != 0)
		return -1;
	parser_output(p)->max_items = (size_t)n;
	return 0;
}

static int
set_output_hub(struct parser *p, const char *s, char **cause)
{
	struct config_output *o = parser_output(p);

	if (check_url(s, cause) != 0)
		return -1;
	free(o->hub);
	o->hub = xstrdup(s);
	return 0;
}

static const struct key server_keys[] = {
    {"listen", set_listen},
    {"database", set_database},
    {"reload_on_change", set_reload_on_change},
    {"public_url", set_public_url},
};
static const struct key poll_keys[] = {
    {"interval", set_poll_interval},
    {"concurrency", set_concurrency},
    {"per_host", set_per_host},
    {"min_interval", set_min_interval},
    {"max_backoff", set_max_backoff},
    {"startup_spread", set_startup_spread},
    {"connect_timeout", set_connect_timeout},
    {"timeout", set_timeout},
    {"low_speed_limit", set_low_speed_limit},
    {"low_speed_time", set_low_speed_time},
    {"max_size", set_max_size},
    {"contact", set_contact},
    {"proxy", set_proxy},
    {"keep_age", set_poll_keep_age},
    {"keep_items", set_poll_keep_items},
};
static const struct key feed_keys[] = {
    {"url", set_feed_url},
    {"interval", set_feed_interval},
    {"keep_age", set_feed_keep_age},
    {"keep_items", set_feed_keep_items},
};
static const struct key output_keys[] = {
    {"title", set_output_title},
    {"keywords", set_output_keywords},
    {"require", set_output_require},
    {"exclude", set_output_exclude},
    {"fields", set_output_fields},
    {"feeds", set_output_feeds},
    {"max_items", set_output_max_items},
    {"hub", set_output_hub},
};
/* The parser's seen[] arrays hold one line per key of a section. */
_Static_assert(nitems(server_keys) <= KEYS_MAX, "raise KEYS_MAX");
_Static_assert(nitems(poll_keys) <= KEYS_MAX, "raise KEYS_MAX");
_Static_assert(nitems(feed_keys) <= KEYS_MAX, "raise KEYS_MAX");
_Static_assert(nitems(output_keys) <= KEYS_MAX, "raise KEYS_MAX");

/* How the current section is written, for messages. */
static char *
parser_section_name(struct parser *p)
{
	char *s;

	switch (p->section) {
	case SECTION_SERVER:
		return xstrdup("[server]");
	case SECTION_POLL:
		return xstrdup("[poll]");
	case SECTION_FEED:
		xasprintf(&s, "[feed %s]", parser_feed(p)->name);
		return s;
	case SECTION_OUTPUT:
		xasprintf(&s, "[output %s]", parser_output(p)->name);
		return s;
	default:
		return xstrdup("[]");
	}
}

/* Checks that need the whole section. */
static void
parser_end_section(struct parser *p)
{
	/* A url that was there but wrong has had its message already. */
	if (p->section == SECTION_FEED && p->entry_seen[0].line == 0)
		parser_error(p, p->section_line, "missing url in [feed %s]",
		    parser_feed(p)->name);
	p->section = SECTION_IGNORED;
}

static void
parser_enter(struct parser *p, enum section section, int line,
    const struct key *keys, size_t nkeys, struct loc *seen)
{
	p->section = section;
	p->section_line = line;
	p->after_include = 0;
	p->keys = keys;
	p->nkeys = nkeys;
	p->seen = seen;
}

static void
parser_add_feed(struct parser *p, const char *name, int line)
{
	struct config *conf = p->conf;
	struct config_feed *f;

	/* Duplicates are found once all are read (config_index_feeds). */
	if (conf->nfeeds == p->feeds_cap) {
		p->feeds_cap = p->feeds_cap == 0 ? 16 : p->feeds_cap * 2;
		conf->feeds =
		    xreallocarray(conf->feeds, p->feeds_cap, sizeof *conf->feeds);
	}
	f = &conf->feeds[conf->nfeeds++];
	memset(f, 0, sizeof *f);
	f->name = xstrdup(name);
	f->file = p->file;
	f->line = line;
}

static void
parser_add_output(struct parser *p, const char *name, int line)
{
	struct config *conf = p->conf;
	struct config_output *o;
	char *where;
	size_t i;

	for (i = 0; i < conf->noutputs; i++) {
		if (strcmp(conf->outputs[i].name, name) == 0) {
			where = parser_where(p, conf->outputs[i].file,
			    conf->outputs[i].line);
			parser_error(p, line, "duplicate output \"%s\" (first "
			    "at %s)", name, where);
			free(where);
			break;
		}
	}
	conf->outputs = xreallocarray(
	    conf->outputs, conf->noutputs + 1, sizeof *conf->outputs);
	p->feeds_locs = xreallocarray(
	    p->feeds_locs, conf->noutputs + 1, sizeof *p->feeds_locs);
	memset(&p->feeds_locs[conf->noutputs], 0, sizeof *p->feeds_locs);
	o = &conf->outputs[conf->noutputs++];
	memset(o, 0, sizeof *o);
	o->name = xstrdup(name);
	o->file = p->file;
	o->line = line;
}

/* A header: s is trimmed and starts with '['. */
static void
parser_header(struct parser *p, char *s, int line)
{
	char *end, *kind, *name;
	int feed;

	parser_end_section(p);

	if ((end = strchr(s, ']')) == NULL) {
		parser_error(p, line, "missing ']' in section header");
		return;
	}
	if (end[1] != '\0') {
		parser_error(p, line,
		    "unexpected text after ']' (comments "
		    "go on lines of their own)");
		return;
	}
	*end = '\0';
	kind = str_trim(s + 1);
	name = kind + strcspn(kind, " \t");
	if (*name != '\0') {
		*name++ = '\0';
		name = str_trim(name);
	}

	if (strcmp(kind, "server") == 0 || strcmp(kind, "poll") == 0) {
		if (*name != '\0') {
			parser_error(p, line, "[%s] takes no name", kind);
			return;
		}
		if (kind[0] == 's')
			parser_enter(p, SECTION_SERVER, line, server_keys,
			    nitems(server_keys), p->server_seen);
		else
			parser_enter(p, SECTION_POLL, line, poll_keys,
			    nitems(poll_keys), p->poll_seen);
		return;
	}
	if (strcmp(kind, "feed") != 0 && strcmp(kind, "output") != 0) {
		parser_error(p, line,
		    "unknown section [%s] (use server, poll, "
		    "feed NAME or output NAME)",
		    kind);
		return;
	}
	feed = kind[0] == 'f';
	if (*name == '\0') {
		parser_error(
		    p, line, "[%s] needs a name, as in [%s NAME]", kind, kind);
		return;
	}
	/* A bad name still gets its section, so its keys are checked too. */
	if (!valid_name(name))
		parser_error(
		    p, line, "bad %s name \"%s\" " NAME_HINT, kind, name);
	memset(p->entry_seen, 0, sizeof p->entry_seen);
	if (feed) {
		parser_add_feed(p, name, line);
		parser_enter(p, SECTION_FEED, line, feed_keys,
		    nitems(feed_keys), p->entry_seen);
	} else {
		parser_add_output(p, name, line);
		parser_enter(p, SECTION_OUTPUT, line, output_keys,
		    nitems(output_keys), p->entry_seen);
	}
}

static void parser_include(struct parser *, const char *, int);

static void
parser_key(struct parser *p, char *s, int line)
{
	char *eq, *key, *value, *section, *cause, *where;
	size_t i;

	if ((eq = strchr(s, '=')) == NULL) {
		parser_error(p, line, "missing '=' (use key = value)");
		return;
	}
	*eq = '\0';
	key = str_trim(s);
	value = str_trim(eq + 1);
	if (*key == '\0') {
		parser_error(p, line, "missing key before '='");
		return;
	}
	if (strcmp(key, "include") == 0) {
		parser_include(p, value, line);
		return;
	}
	if (p->section == SECTION_NONE) {
		if (p->after_include)
			parser_error(p, line, "key \"%s\" outside a section (an "
			    "include ends the section before it)", key);
		else
			parser_error(p, line, "key \"%s\" outside a section",
			    key);
		return;
	}
	if (p->section == SECTION_IGNORED)
		return;

	for (i = 0; i < p->nkeys; i++) {
		if (strcmp(p->keys[i].name, key) == 0)
			break;
	}
	if (i == p->nkeys) {
		section = parser_section_name(p);
		parser_error(p, line, "unknown key \"%s\" in %s", key, section);
		free(section);
		return;
	}
	if (p->seen[i].line != 0) {
		section = parser_section_name(p);
		where = parser_where(p, p->conf->files[p->seen[i].file],
		    p->seen[i].line);
		parser_error(p, line, "duplicate key \"%s\" in %s (first at "
		    "%s)", key, section, where);
		free(where);
		free(section);
		return;
	}
	p->seen[i].file = p->fileno;
	p->seen[i].line = line;
	p->line = line;
	if (p->keys[i].set(p, value, &cause) != 0) {
		parser_error(p, line, "%s: %s", key, cause);
		free(cause);
	}
}

static void
parser_line(struct parser *p, struct buf *b, size_t len, int line)
{
	size_t bad, i;
	char *s;

	if (len > LINE_MAX_BYTES) {
		parser_error(
		    p, line, "line longer than %d bytes", LINE_MAX_BYTES);
		return;
	}
	s = b->data;
	/* A byte order mark, as some editors write. */
	if (line == 1 && len >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0) {
		s += 3;
		len -= 3;
	}
	if ((bad = utf8_check((unsigned char *)s, len)) != len) {
		parser_error(p, line, "not valid UTF-8 (at byte %zu)", bad + 1);
		return;
	}
	/* Titles end up in XML, which has no room for these. */
	for (i = 0; i < len; i++) {
		if (((unsigned char)s[i] < 0x20 && s[i] != '\t' &&
			s[i] != '\r') ||
		    s[i] == 0x7f) {
			parser_error(p, line,
			    "control character 0x%02x (at "
			    "byte %zu)",
			    (unsigned char)s[i], i + 1);
			return;
		}
	}

	s = str_trim(s);
	if (*s == '\0' || *s == '#' || *s == ';')
		return;
	if (*s == '[')
		parser_header(p, s, line);
	else
		parser_key(p, s, line);
}

/*
 * One line without its newline into b, and its full length into *lenp.
 * Bytes beyond the limit are counted but not kept, so a huge line costs no
 * memory. Returns 1, 0 at end of file, or -1 on a read error.
 */
static int
read_line(FILE *f, struct buf *b, size_t *lenp)
{
	size_t n = 0;
	int c;

	buf_reset(b);
	buf_add(b, "", 0);
	while ((c = getc(f)) != EOF && c != '\n') {
		if (n++ < LINE_MAX_BYTES)
			buf_addc(b, (char)c);
	}
	if (ferror(f))
		return -1;
	*lenp = n;
	if (c == EOF && n == 0)
		return 0;
	return 1;
}

/*
 * Reads one file, the main one (include_line 0) or one named by an include
 * at include_line of the file being read. Each file starts outside any
 * section, and what follows an include is too.
 */
static void
parser_file(struct parser *p, const char *path, int include_line)
{
	struct config *conf = p->conf;
	const char *outer = p->file;
	int outer_no = p->fileno, line = 0, rc;
	char *outer_dir = p->dir;
	struct stat st;
	struct buf b;
	size_t len;
	FILE *f;

	if ((f = fopen(path, "r")) == NULL) {
		if (include_line > 0)
			parser_error(p, include_line, "include: cannot open %s: "
			    "%s", path, strerror(errno));
		else
			parser_error(p, 0, "%s", strerror(errno));
		return;
	}
	if (fstat(fileno(f), &st) != 0) {
		parser_error(p, include_line, "%s: %s", path, strerror(errno));
		fclose(f);
		return;
	}
	for (int i = 0; i < p->depth; i++) {
		if (p->devs[i] == st.st_dev && p->inos[i] == st.st_ino) {
			parser_error(p, include_line, "include: %s is already "
			    "being read (an include loop)", path);
			fclose(f);
			return;
		}
	}
	if (p->depth > INCLUDE_DEPTH_MAX) {
		parser_error(p, include_line, "include: more than %d levels "
		    "deep at %s", INCLUDE_DEPTH_MAX, path);
		fclose(f);
		return;
	}
	p->devs[p->depth] = st.st_dev;
	p->inos[p->depth] = st.st_ino;
	p->depth++;

	conf->files = xreallocarray(conf->files, conf->nfiles + 1,
	    sizeof *conf->files);
	conf->files[conf->nfiles] = xstrdup(path);
	p->file = conf->files[conf->nfiles];
	p->fileno = (int)conf->nfiles++;
	p->dir = NULL;
	p->section = SECTION_NONE;
	p->after_include = 0;

	buf_init(&b);
	while ((rc = read_line(f, &b, &len)) == 1)
		parser_line(p, &b, len, ++line);
	if (rc == -1)
		parser_error(p, 0, "%s", strerror(errno));
	else
		parser_end_section(p);
	buf_free(&b);
	fclose(f);

	free(p->dir);
	p->depth--;
	p->file = outer;
	p->fileno = outer_no;
	p->dir = outer_dir;
	p->section = SECTION_NONE;
	p->after_include = 1;
}

/* include = PATTERN: every file that matches, in name order. */
static void
parser_include(struct parser *p, const char *pattern, int line)
{
	struct config *conf = p->conf;
	char *path, *cause;
	glob_t g;
	int rc;

	/* What the included files hold starts a section of its own. */
	parser_end_section(p);
	p->section = SECTION_NONE;
	p->after_include = 1;
	if (*pattern == '\0') {
		parser_error(p, line, "include: empty (use include = "
		    "conf.d/*.conf)");
		return;
	}
	if (*pattern == '/')
		path = xstrdup(pattern);
	else {
		if (parser_dir(p, &cause) != 0) {
			parser_error(p, line, "include: %s", cause);
			free(cause);
			return;
		}
		xasprintf(&path, "%s/%s", p->dir, pattern);
	}
	conf->includes = xreallocarray(conf->includes, conf->nincludes + 1,
	    sizeof *conf->includes);
	conf->includes[conf->nincludes++] = path;

	memset(&g, 0, sizeof g);
	rc = glob(path, GLOB_MARK, NULL, &g);
	if (rc == GLOB_NOMATCH) {
		/* An empty conf.d is fine; a missing file named outright is not. */
		if (strpbrk(pattern, "*?[") == NULL)
			parser_error(p, line, "include: cannot open %s: %s",
			    path, strerror(ENOENT));
	} else if (rc != 0)
		parser_error(p, line, "include: cannot read %s", path);
	else {
		for (size_t i = 0; i < g.gl_pathc; i++) {
			/* GLOB_MARK ends directories with a slash. */
			if (str_has_suffix(g.gl_pathv[i], "/"))
				continue;
			parser_file(p, g.gl_pathv[i], line);
		}
	}
	globfree(&g);
	p->section = SECTION_NONE;
	p->after_include = 1;
}

void
config_free(struct config *conf)
{
	size_t i;

	if (conf == NULL)
		return;
	free(conf->path);
	free(conf->feeds_by_name);
	str_list_free(conf->files, conf->nfiles);
	str_list_free(conf->includes, conf->nincludes);
	free(conf->listen_host);
	free(conf->database);
	free(conf->contact);
	free(conf->proxy);
	free(conf->public_url);
	for (i = 0; i < conf->nfeeds; i++) {
		free(conf->feeds[i].name);
		free(conf->feeds[i].url);
	}
	free(conf->feeds);
	for (i = 0; i < conf->noutputs; i++) {
		free(conf->outputs[i].name);
		free(conf->outputs[i].title);
		free(conf->outputs[i].hub);
		str_list_free(
		    conf->outputs[i].keywords, conf->outputs[i].nkeywords);
		str_list_free(
		    conf->outputs[i].require, conf->outputs[i].nrequire);
		str_list_free(
		    conf->outputs[i].exclude, conf->outputs[i].nexclude);
		str_list_free(conf->outputs[i].feeds, conf->outputs[i].nfeeds);
	}
	free(conf->outputs);
	free(conf);
}

static int
feed_order(const void *a, const void *b)
{
	const struct config_feed *fa = *(const struct config_feed *const *)a;
	const struct config_feed *fb = *(const struct config_feed *const *)b;
	int c = strcmp(fa->name, fb->name);

	if (c != 0)
		return c;
	/* The same name: the one written first (in feeds[]) comes first. */
	return fa < fb ? -1 : 1;
}

/*
 * Sorts the feeds by name for config_feed_find, and says each name written
 * twice, at the later place, naming the first.
 */
static void
config_index_feeds(struct parser *p)
{
	struct config *conf = p->conf;
	const struct config_feed *first, *dup;
	char *where;

	conf->feeds_by_name =
	    xcalloc(conf->nfeeds + 1, sizeof *conf->feeds_by_name);
	for (size_t i = 0; i < conf->nfeeds; i++)
		conf->feeds_by_name[i] = &conf->feeds[i];
	qsort(conf->feeds_by_name, conf->nfeeds, sizeof *conf->feeds_by_name,
	    feed_order);
	for (size_t i = 1, k = 0; i < conf->nfeeds; i++) {
		first = conf->feeds_by_name[k];
		dup = conf->feeds_by_name[i];
		if (strcmp(first->name, dup->name) != 0) {
			k = i;
			continue;
		}
		parser_in(p, dup->file);
		where = parser_where(p, first->file, first->line);
		parser_error(p, dup->line, "duplicate feed \"%s\" (first at %s)",
		    dup->name, where);
		free(where);
	}
}

struct config *
config_load(const char *path, char **errors)
{
	struct parser p;
	struct config *conf;
	char *cause;
	size_t i;

	*errors = NULL;
	memset(&p, 0, sizeof p);
	p.file = path;
	p.section = SECTION_NONE;
	p.conf = conf = xcalloc(1, sizeof *conf);
	conf->path = xstrdup(path);
	if (parse_listen(CONFIG_DEFAULT_LISTEN, &conf->listen_host,
		&conf->listen_port, &cause) != 0)
		fatalx("default listen: %s", cause);
	conf->database = xstrdup(CONFIG_DEFAULT_DATABASE);
	conf->reload_on_change = 1;
	conf->interval = CONFIG_DEFAULT_INTERVAL;
	conf->concurrency = CONFIG_DEFAULT_CONCURRENCY;
	conf->per_host = CONFIG_DEFAULT_PER_HOST;
	conf->min_interval = CONFIG_DEFAULT_MIN_INTERVAL;
	conf->max_backoff = CONFIG_DEFAULT_MAX_BACKOFF;
	conf->startup_spread = CONFIG_DEFAULT_STARTUP_SPREAD;
	conf->connect_timeout = CONFIG_DEFAULT_CONNECT_TIMEOUT;
	conf->timeout = CONFIG_DEFAULT_TIMEOUT;
	conf->low_speed_limit = CONFIG_DEFAULT_LOW_SPEED_LIMIT;
	conf->low_speed_time = CONFIG_DEFAULT_LOW_SPEED_TIME;
	conf->max_size = CONFIG_DEFAULT_MAX_SIZE;
	conf->keep_age = CONFIG_DEFAULT_KEEP_AGE;
	conf->keep_items = CONFIG_DEFAULT_KEEP_ITEMS;

	parser_file(&p, path, 0);
	config_index_feeds(&p);

	/* No interval goes below min_interval, wherever either is written. */
	if (p.poll_seen[0].line == 0 && conf->interval < conf->min_interval)
		conf->interval = conf->min_interval;
	else if (conf->interval < conf->min_interval) {
		parser_in(&p, conf->files[p.poll_seen[0].file]);
		parser_error(&p, p.poll_seen[0].line,
		    "interval: below min_interval (%" PRId64 "s < %" PRId64
		    "s)", conf->interval, conf->min_interval);
	}
	/* -1 ("0" in the file) is no limit, and 0 until here is unset. */
	if (conf->keep_age == -1)
		conf->keep_age = 0;
	if (conf->keep_items == -1)
		conf->keep_items = 0;
	for (i = 0; i < conf->nfeeds; i++) {
		struct config_feed *cf = &conf->feeds[i];

		if (cf->keep_age == 0)
			cf->keep_age = conf->keep_age;
		else if (cf->keep_age == -1)
			cf->keep_age = 0;
		if (cf->keep_items == 0)
			cf->keep_items = conf->keep_items;
		else if (cf->keep_items == -1)
			cf->keep_items = 0;
		if (cf->interval == 0)
			cf->interval = conf->interval;
		else if (cf->interval < conf->min_interval) {
			parser_in(&p, cf->file);
			parser_error(&p, cf->line,
			    "[feed %s] interval: below min_interval (%" PRId64
			    "s < %" PRId64 "s)", cf->name,
			    cf->interval, conf->min_interval);
		}
	}
	for (i = 0; i < conf->noutputs; i++) {
		struct config_output *o = &conf->outputs[i];

		if (o->title == NULL)
			o->title = xstrdup(o->name);
		if (o->max_items == 0)
			o->max_items = CONFIG_DEFAULT_MAX_ITEMS;
		if (o->fields == 0)
			o->fields = MATCH_FIELDS_DEFAULT;
		for (size_t j = 0; j < o->nfeeds; j++) {
			if (config_feed_find(conf, o->feeds[j]) != NULL)
				continue;
			parser_in(&p, conf->files[p.feeds_locs[i].file]);
			parser_error(&p, p.feeds_locs[i].line,
			    "feeds: no feed \"%s\" in this configuration",
			    o->feeds[j]);
		}
	}
	free(p.feeds_locs);

	if (p.nerrors > 0) {
		*errors = parser_errors(&p);
		config_free(conf);
		conf = NULL;
	}
	for (i = 0; i < p.nerrors; i++)
		free(p.errors[i].msg);
	free(p.errors);
	return conf;
}

const struct config_feed *
config_feed_find(const struct config *conf, const char *name)
{
	size_t i, lo, hi, mid;
	int c;

	if (conf->feeds_by_name != NULL) {
		/* The first of equal names, as the scan below would find. */
		for (lo = 0, hi = conf->nfeeds; lo < hi;) {
			mid = lo + (hi - lo) / 2;
			c = strcmp(conf->feeds_by_name[mid]->name, name);
			if (c < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo < conf->nfeeds &&
		    strcmp(conf->feeds_by_name[lo]->name, name) == 0)
			return conf->feeds_by_name[lo];
		return NULL;
	}

	for (i = 0; i < conf->nfeeds; i++) {
		if (strcmp(conf->feeds[i].name, name) == 0)
			return &conf->feeds[i];
	}
	return NULL;
}

const struct config_output *
config_output_find(const struct config *conf, const char *name)
{
	size_t i;

	for (i = 0; i < conf->noutputs; i++) {
		if (strcmp(conf->outputs[i].name, name) == 0)
			return &conf->outputs[i];
	}
	return NULL;
}
