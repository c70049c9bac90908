/*
 * match-ab: two versions of the keyword filters in one process, so that
 * a change's effect on their time can be told from the noise of a shared
 * machine (issue #7). bench/match-ab builds and runs it; see there.
 *
 *	match-ab [-P] [-r ROUNDS] -f LIST
 *
 * The old version is daemon/match.c of another revision compiled with its
 * functions renamed old_match_*; the new one is this build's. Every feed
 * of LIST is parsed once; then in each round every feed's items are
 * filtered by both (10 outputs of 20 keywords, as in match-speed), one
 * version after the other, the order swapped from one feed to the next,
 * each after the feed's text was read once more (so that both find it in
 * the cache, as they find it after the parser in the daemon); with -P, the
 * feed is also parsed again (untimed) before each version's turn, so that
 * the filters' tables are where the parser leaves them too. Prints the
 * median and range of the rounds' CPU seconds and of their ratios new /
 * old, and fails if the two let different items through.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "match-bench.h"
#include "match.h"
#include "parse.h"
#include "util.h"

struct match_filter *old_match_filter_new(char *const *, size_t, char *const *,
    size_t, char *const *, size_t, char **);
void old_match_filter_set_fields(struct match_filter *, unsigned);
struct match_text *old_match_text_new_kinds(
    const char *const *, const unsigned *, size_t);
void old_match_text_free(struct match_text *);
int old_match_filter_test(
    const struct match_filter *, const struct match_text *);

struct version {
	struct match_filter *(*filter_new)(char *const *, size_t, char *const *,
	    size_t, char *const *, size_t, char **);
	void (*set_fields)(struct match_filter *, unsigned);
	struct match_text *(*text_new)(
	    const char *const *, const unsigned *, size_t);
	void (*text_free)(struct match_text *);
	int (*test)(const struct match_filter *, const struct match_text *);
	struct match_filter *filters[OUTPUTS];
	size_t passes[OUTPUTS];
	double *t;
};

static volatile size_t sink;
/* -P: each feed's file, parsed again before each version's turn. */
static int reparse;
static struct source *sources;

/* Read a feed's item text, so that the next version finds it cached. */
static void
touch(const struct feed *f)
{
	size_t j, n = 0;

	for (j = 0; j < f->nitems; j++) {
		const struct item *it = &f->items[j];

		n += it->title != NULL ? strlen(it->title) : 0;
		n += it->summary != NULL ? strlen(it->summary) : 0;
		n += it->content != NULL ? strlen(it->content) : 0;
	}
	sink += n;
}

/* A feed's items filtered by one version, as match-speed does. */
static double
run(struct version *v, const struct feed *f, const struct source *src)
{
	static const unsigned kinds[] = {MATCH_FIELD_TITLE | MATCH_FIELD_PLAIN,
	    MATCH_FIELD_SUMMARY, MATCH_FIELD_CONTENT};
	struct match_text *mt;
	double t0;
	size_t j, o;

	if (reparse) {
		struct feed *again;
		char *cause = NULL;

		again = parse_feed(src->data, src->len, NULL, &cause);
		free(cause);
		parse_feed_free(again);
	}
	touch(f);
	t0 = cpu_seconds();
	for (j = 0; j < f->nitems; j++) {
		const struct item *it = &f->items[j];
		const char *fields[] = {it->title, it->summary, it->content};

		mt = v->text_new(fields, kinds, 3);
		for (o = 0; o < OUTPUTS; o++)
			v->passes[o] += (size_t)v->test(v->filters[o], mt);
		v->text_free(mt);
	}
	return cpu_seconds() - t0;
}

static void
usage(void)
{
	fprintf(stderr, "usage: match-ab [-P] [-r ROUNDS] -f LIST\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	struct version vs[2] = {
	    {old_match_filter_new, old_match_filter_set_fields,
		old_match_text_new_kinds, old_match_text_free,
		old_match_filter_test, {NULL}, {0}, NULL},
	    {match_filter_new, match_filter_set_fields, match_text_new_kinds,
		match_text_free, match_filter_test, {NULL}, {0}, NULL},
	};
	struct feed **feeds = NULL, *f;
	const char *list = NULL;
	struct source src;
	char **paths = NULL, *end, *cause = NULL, *const * k;
	double *ratio, med;
	size_t nfeeds = 0, npaths = 0, r, i, o, n, nany, nall, nnone;
	long rounds = 5;
	int ch;

	log_init("match-ab", LOG_LEVEL_WARN);
	while ((ch = getopt(argc, argv, "Pf:r:")) != -1) {
		switch (ch) {
		case 'P':
			reparse = 1;
			break;
		case 'f':
			list = optarg;
			break;
		case 'r':
			rounds = strtol(optarg, &end, 10);
			if (*end != '\0' || rounds < 1 || rounds > 1000)
				usage();
			break;
		default:
			usage();
		}
	}
	if (list == NULL || optind != argc)
		usage();
	if (read_list(list, &paths, &npaths) != 0)
		exit(1);
	for (i = 0; i < npaths; i++) {
		if (read_file(paths[i], &src) != 0)
			continue;
		f = parse_feed(src.data, src.len, NULL, &cause);
		free(cause);
		cause = NULL;
		free(src.path);
		if (f == NULL) {
			free(src.data);
			continue;
		}
		feeds = xreallocarray(feeds, nfeeds + 1, sizeof *feeds);
		sources = xreallocarray(sources, nfeeds + 1, sizeof *sources);
		sources[nfeeds] = src;
		feeds[nfeeds++] = f;
	}
	for (i = 0; i < 2; i++) {
		for (o = 0; o < OUTPUTS; o++) {
			output_lists(o, &k, &nany, &nall, &nnone);
			vs[i].filters[o] = vs[i].filter_new(k, nany, k + nany,
			    nall, k + nany + nall, nnone, &cause);
			if (vs[i].filters[o] == NULL)
				fatalx("output %zu: %s", o, cause);
			vs[i].set_fields(
			    vs[i].filters[o], MATCH_FIELDS_DEFAULT);
		}
		vs[i].t = xcalloc((size_t)rounds, sizeof *vs[i].t);
	}
	ratio = xcalloc((size_t)rounds, sizeof *ratio);

	for (r = 0; r < (size_t)rounds; r++) {
		for (i = 0; i < nfeeds; i++) {
			n = (i + r) % 2;
			vs[n].t[r] += run(&vs[n], feeds[i], &sources[i]);
			vs[1 - n].t[r] +=
			    run(&vs[1 - n], feeds[i], &sources[i]);
		}
		ratio[r] = vs[1].t[r] / vs[0].t[r];
	}

	printf("feeds: %zu, rounds: %ld, CPU seconds, median (min-max)\n",
	    nfeeds, rounds);
	for (i = 0; i < 2; i++) {
		med = median(vs[i].t, (size_t)rounds);
		printf("%s: %.4f s (%.4f-%.4f)\n", i == 0 ? "old" : "new", med,
		    vs[i].t[0], vs[i].t[rounds - 1]);
	}
	med = median(ratio, (size_t)rounds); /* sorts them */
	printf(
	    "new / old: %.3f (%.3f-%.3f)\n", med, ratio[0], ratio[rounds - 1]);
	for (o = 0; o < OUTPUTS; o++) {
		if (vs[0].passes[o] != vs[1].passes[o]) {
			printf("output %zu: old let %zu through, new %zu\n", o,
			    vs[0].passes[o], vs[1].passes[o]);
			return 1;
		}
	}
	return 0;
}
