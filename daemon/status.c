#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "status.h"
#include "store.h"
#include "util.h"

/* "45s", "12m", "3h", "2d": short, for a column. */
static void
status_span(char *dst, size_t size, int64_t secs)
{
	if (secs < 90)
		snprintf(dst, size, "%llds", (long long)secs);
	else if (secs < 90 * 60)
		snprintf(dst, size, "%lldm", (long long)((secs + 30) / 60));
	else if (secs < 36 * 3600)
		snprintf(dst, size, "%lldh", (long long)((secs + 1800) / 3600));
	else
		snprintf(
		    dst, size, "%lldd", (long long)((secs + 43200) / 86400));
}

static void
status_ago(char *dst, size_t size, int64_t t, int64_t now)
{
	char span[24];

	if (t == 0) {
		snprintf(dst, size, "never");
		return;
	}
	status_span(span, sizeof span, now > t ? now - t : 0);
	snprintf(dst, size, "%s ago", span);
}

static void
status_next(char *dst, size_t size, int64_t t, int64_t now)
{
	char span[24];

	if (t == 0)
		snprintf(dst, size, "-");
	else if (t <= now)
		snprintf(dst, size, "due");
	else {
		status_span(span, sizeof span, t - now);
		snprintf(dst, size, "in %s", span);
	}
}

/* Text from outside on one line of the table. */
static void
status_clean(char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = ' ';
}

int
status_print(FILE *out, const struct config *cf, int64_t now, char **cause)
{
	struct store *st;
	struct store_feed sf;
	size_t width = 4, nok = 0, nfail = 0, nnew = 0;
	char last[32], next[32], *detail;
	const char *state;
	int rc;

	/* store_open would make an empty database: say why there is none. */
	if (strcmp(cf->database, ":memory:") == 0 ||
	    access(cf->database, R_OK) != 0) {
		xasprintf(cause,
		    "%s: %s (has feedmux serve or poll run with "
		    "this configuration?)",
		    cf->database,
		    strcmp(cf->database, ":memory:") == 0
			? "an in-memory database"
			: strerror(errno));
		return -1;
	}
	if ((st = store_open(cf->database, cause)) == NULL)
		return -1;

	for (size_t i = 0; i < cf->nfeeds; i++)
		if (strlen(cf->feeds[i].name) > width)
			width = strlen(cf->feeds[i].name);
	fprintf(out, "%-*s  %-7s  %-9s  %-8s  %6s  %s\n", (int)width, "FEED",
	    "STATE", "LAST POLL", "NEXT", "ITEMS", "RESULT");
	for (size_t i = 0; i < cf->nfeeds; i++) {
		const struct config_feed *f = &cf->feeds[i];

		memset(&sf, 0, sizeof sf);
		if ((rc = store_feed_get(st, f->name, &sf)) == -1) {
			xasprintf(cause, "%s: cannot read feed %s",
			    cf->database, f->name);
			store_close(st);
			return -1;
		}
		if (rc == 1 || sf.last_fetch == 0) {
			state = "new";
			detail = xstrdup("not polled yet");
			nnew++;
		} else if (sf.last_error != NULL) {
			state = "failing";
			detail = xstrdup(sf.last_error);
			nfail++;
		} else {
			state = "ok";
			xasprintf(&detail, "HTTP %ld, %lld new", sf.last_status,
			    (long long)sf.last_new);
			nok++;
		}
		status_clean(detail);
		status_ago(last, sizeof last, sf.last_fetch, now);
		status_next(next, sizeof next, sf.next_poll, now);
		fprintf(out, "%-*s  %-7s  %-9s  %-8s  %6lld  %s\n", (int)width,
		    f->name, state, last, next, (long long)sf.nitems, detail);
		free(detail);
		if (rc == 0)
			store_feed_clear(&sf);
	}
	fprintf(out, "%zu feed%s: %zu ok, %zu failing, %zu not polled yet\n",
	    cf->nfeeds, cf->nfeeds == 1 ? "" : "s", nok, nfail, nnew);
	store_close(st);
	return (int)nfail;
}
