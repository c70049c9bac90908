/*
 * match-speed: what the keyword filters cost next to the parser, on the
 * same items, in one process (issue #7).
 *
 *	match-speed [-N] [-p OUT] [-r ROUNDS] [-f LIST] [FILE...]
 *
 * LIST names more files, one per line. -p writes to OUT, for each item of
 * the first round, its file, its index, which outputs it passes and a hash
 * of its tokens (a line each), to compare two builds' choices and tokens.
 * -N leaves out the second normalizing pass, so that the filter's own work
 * can be counted alone, as in valgrind --tool=callgrind
 * --toggle-collect=match_text_new_kinds --toggle-collect=match_filter_test
 * build/match-speed -N -r 1 -f LIST.
 *
 * Each round takes every FILE in turn as the daemon takes a fetched feed:
 * parse_feed, then the title, summary and content of each item normalized
 * once and tested against 10 outputs of 20 keywords each (ingest's way).
 * The two alternate file by file, so that a noisy machine slows both alike
 * and the filter finds the items where the parser left them. CPU time of
 * the process is measured; the median and range of the rounds are printed
 * with MB/s of item text and the ratio filter / parse.
 */
#include <stdint.h>
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

static struct match_filter *
output_filter(size_t o)
{
	struct match_filter *mf;
	char *const *k;
	char *cause = NULL;
	size_t nany, nall, nnone;

	output_lists(o, &k, &nany, &nall, &nnone);
	mf = match_filter_new(
	    k, nany, k + nany, nall, k + nany + nall, nnone, &cause);
	if (mf == NULL)
		fatalx("output %zu: %s", o, cause);
	match_filter_set_fields(mf, MATCH_FIELDS_DEFAULT);
	return mf;
}

/* FNV-1a of the tokens of every field, each ended by a NUL. */
static uint32_t
tokens_hash(const struct match_text *mt, size_t nfields)
{
	const char *const *toks;
	const unsigned char *p;
	uint32_t h = 2166136261u;
	size_t i, k, n;

	for (i = 0; i < nfields; i++) {
		n = match_text_tokens(mt, i, &toks);
		for (k = 0; k < n; k++) {
			for (p = (const unsigned char *)toks[k];; p++) {
				h = (h ^ *p) * 16777619u;
				if (*p == '\0')
					break;
			}
		}
		h = (h ^ 0xff) * 16777619u;
	}
	return h;
}

/*
 * Each item's text normalized once and tested by every output (filters
 * NULL: normalized only).
 */
static void
filter_feed(const struct feed *f, struct match_filter **filters, size_t *passes,
    FILE *out, const char *path)
{
	/* The title is plain text, as ingest gives it (parse.h). */
	static const unsigned kinds[] = {MATCH_FIELD_TITLE | MATCH_FIELD_PLAIN,
	    MATCH_FIELD_SUMMARY, MATCH_FIELD_CONTENT};
	struct match_text *mt;
	size_t j, o;

	for (j = 0; j < f->nitems; j++) {
		const struct item *it = &f->items[j];
		const char *fields[] = {it->title, it->summary, it->content};

		mt = match_text_new_kinds(fields, kinds, 3);
		if (out != NULL)
			fprintf(out, "%s %zu ", path, j);
		for (o = 0; filters != NULL && o < OUTPUTS; o++) {
			int pass = match_filter_test(filters[o], mt);

			passes[o] += (size_t)pass;
			if (out != NULL)
				fputc(pass ? '1' : '0', out);
		}
		if (out != NULL)
			fprintf(out, " %08x\n", tokens_hash(mt, 3));
		match_text_free(mt);
	}
}

static void
usage(void)
{
	fprintf(stderr,
	    "usage: match-speed [-N] [-p OUT] [-r ROUNDS] [-f LIST] "
	    "[FILE...]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	struct match_filter *filters[OUTPUTS];
	struct source *src;
	struct feed **feeds;
	double *tparse, *tfilter, *tnorm, t0, mb_in = 0, mb_text = 0;
	size_t nsrc = 0, nitem = 0, nbad = 0, passes[OUTPUTS], r, i, j, o;
	long rounds = 5;
	char *cause = NULL, *end, **paths;
	const char *list = NULL;
	size_t npaths = 0;
	int ch, nonorm = 0;
	FILE *out = NULL;

	log_init("match-speed", LOG_LEVEL_WARN);
	while ((ch = getopt(argc, argv, "Nf:p:r:")) != -1) {
		switch (ch) {
		case 'N':
			nonorm = 1;
			break;
		case 'p':
			if (out != NULL)
				fclose(out);
			if ((out = fopen(optarg, "w")) == NULL)
				fatal("%s", optarg);
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
	argc -= optind;
	argv += optind;
	paths = xcalloc((size_t)argc + 1, sizeof *paths);
	for (i = 0; i < (size_t)argc; i++)
		paths[npaths++] = xstrdup(argv[i]);
	if (list != NULL && read_list(list, &paths, &npaths) != 0)
		return 1;
	if (npaths == 0)
		usage();

	src = xcalloc(npaths, sizeof *src);
	for (i = 0; i < npaths; i++)
		if (read_file(paths[i], &src[nsrc]) == 0)
			mb_in += (double)src[nsrc++].len / 1e6;
	feeds = xcalloc(nsrc, sizeof *feeds);
	for (o = 0; o < OUTPUTS; o++)
		filters[o] = output_filter(o);
	tparse = xcalloc((size_t)rounds, sizeof *tparse);
	tfilter = xcalloc((size_t)rounds, sizeof *tfilter);
	tnorm = xcalloc((size_t)rounds, sizeof *tnorm);

	for (r = 0; r < (size_t)rounds; r++) {
		memset(passes, 0, sizeof passes);
		tparse[r] = tfilter[r] = tnorm[r] = 0;
		for (i = 0; i < nsrc; i++) {
			struct feed *f;

			/* Parse a file, as a fetch brings it... */
			t0 = cpu_seconds();
			f = parse_feed(src[i].data, src[i].len, NULL, &cause);
			tparse[r] += cpu_seconds() - t0;
			if (f == NULL) {
				if (r == 0)
					nbad++;
				free(cause);
				cause = NULL;
				continue;
			}
			/* ...then filter its items, as ingest does... */
			t0 = cpu_seconds();
			filter_feed(f, filters, passes, r == 0 ? out : NULL,
			    src[i].path);
			tfilter[r] += cpu_seconds() - t0;
			/* ...and normalize them again, to tell the parts. */
			if (!nonorm) {
				t0 = cpu_seconds();
				filter_feed(f, NULL, NULL, NULL, NULL);
				tnorm[r] += cpu_seconds() - t0;
			}
			if (r == 0)
				feeds[i] = f;
			else
				parse_feed_free(f);
		}
	}

	for (i = 0; i < nsrc; i++) {
		for (j = 0; feeds[i] != NULL && j < feeds[i]->nitems; j++) {
			const struct item *it = &feeds[i]->items[j];

			nitem++;
			mb_text +=
			    (double)((it->title ? strlen(it->title) : 0) +
				     (it->summary ? strlen(it->summary) : 0) +
				     (it->content ? strlen(it->content) : 0)) /
			    1e6;
		}
	}

	printf("files: %zu (%.1f MB; %zu not feeds), items: %zu, item text "
	       "(title, summary, content): %.1f MB\n",
	    nsrc, mb_in, nbad, nitem, mb_text);
	printf("outputs: %d of %d keywords; items passing each:", OUTPUTS,
	    KEYWORDS);
	for (o = 0; o < OUTPUTS; o++)
		printf(" %zu", passes[o]);
	printf("\nrounds: %ld, CPU seconds, median (min-max)\n", rounds);
	{
		double pmin, pmax, fmin, fmax, pmed, fmed;

		pmed = median(tparse, (size_t)rounds);
		fmed = median(tfilter, (size_t)rounds);
		pmin = tparse[0];
		pmax = tparse[rounds - 1];
		fmin = tfilter[0];
		fmax = tfilter[rounds - 1];
		printf("parse:  %.3f s (%.3f-%.3f)  %.1f MB/s of feed bytes, "
		       "%.1f MB/s of item text\n",
		    pmed, pmin, pmax, mb_in / pmed, mb_text / pmed);
		printf("filter: %.3f s (%.3f-%.3f)  %.1f MB/s of item text, "
		       "%.0f items/s\n",
		    fmed, fmin, fmax, mb_text / fmed, (double)nitem / fmed);
		if (!nonorm)
			printf("  of which normalizing: %.3f s, %.1f MB/s of "
			       "item text\n",
			    median(tnorm, (size_t)rounds),
			    mb_text / median(tnorm, (size_t)rounds));
		printf("filter / parse: %.2f (target < 0.20)\n", fmed / pmed);
	}

	if (out != NULL && fclose(out) != 0)
		fatal("-p");
	for (o = 0; o < OUTPUTS; o++)
		match_filter_free(filters[o]);
	for (i = 0; i < nsrc; i++) {
		parse_feed_free(feeds[i]);
		free(src[i].path);
		free(src[i].data);
	}
	for (i = 0; i < npaths; i++)
		free(paths[i]);
	free(paths);
	free(feeds);
	free(src);
	free(tparse);
	free(tfilter);
	free(tnorm);
	return 0;
}
