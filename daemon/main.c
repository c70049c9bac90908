#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>
#include <libxml/parser.h>

#include "config.h"
#include "daemon.h"
#include "dump.h"
#include "fetch.h"
#include "log.h"
#include "match.h"
#include "opml.h"
#include "status.h"
#include "util.h"

#define DEFAULT_CONFIG "/etc/feedmux/feedmux.conf"
/* Output of `feedmux parse` gathered before a write (see cmd_parse). */
#define PARSE_OUT_FLUSH (1024 * 1024)

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: feedmux serve [-v] [-c FILE]   run the daemon\n"
	    "       feedmux poll  [-v] [-c FILE]   fetch every feed once, then exit\n"
	    "       feedmux check [-c FILE]        check the configuration\n"
	    "       feedmux status [-c FILE]       the feeds' health, as a table\n"
	    "       feedmux import-opml [-c FILE] OPML\n"
	    "                                      [feed] sections for an OPML file\n"
	    "       feedmux parse [--http-context HEADERS | --sidecars]\n"
	    "                     [--max-bytes N] FILE...\n"
	    "                                      print what the parser reads, as JSON Lines\n"
	    "       feedmux match [-v] [--any K]... [--all K]... [--none K]...\n"
	    "                                      test the text on standard input:\n"
	    "                                      exit 0 if it passes, 1 if not\n"
	    "       feedmux version\n"
	    "-c FILE defaults to " DEFAULT_CONFIG " (import-opml reads it\n"
	    "only with -c, to keep clear of its names and URLs).\n");
}

static int
cmd_check(const char *path)
{
	struct config *cf;
	char *errors = NULL;

	if ((cf = config_load(path, &errors)) == NULL) {
		fprintf(stderr, "%s\n", errors);
		free(errors);
		return 1;
	}
	config_free(cf);
	printf("configuration OK\n");
	return 0;
}

static int
cmd_status(const char *path)
{
	struct config *cf;
	char *errors = NULL;
	int n;

	if ((cf = config_load(path, &errors)) == NULL) {
		fprintf(stderr, "%s\n", errors);
		free(errors);
		return 1;
	}
	n = status_print(stdout, cf, now_unix(), &errors);
	config_free(cf);
	if (n == -1) {
		fprintf(stderr, "feedmux: %s\n", errors);
		free(errors);
		return 1;
	}
	/* Scripts and monitors can tell "some feeds fail" from "cannot tell". */
	return n > 0 ? 3 : 0;
}

static int
cmd_import_opml(const char *file, const char *path)
{
	struct opml_feed *feeds;
	struct opml_known known;
	struct config *cf = NULL;
	char *errors = NULL, *text, **names = NULL, **urls = NULL;
	size_t n, added, skipped;

	memset(&known, 0, sizeof known);
	if (path != NULL) {
		if ((cf = config_load(path, &errors)) == NULL) {
			fprintf(stderr, "%s\n", errors);
			free(errors);
			return 1;
		}
		names = xcalloc(cf->nfeeds + 1, sizeof *names);
		urls = xcalloc(cf->nfeeds + 1, sizeof *urls);
		for (size_t i = 0; i < cf->nfeeds; i++) {
			names[i] = cf->feeds[i].name;
			urls[i] = cf->feeds[i].url;
		}
		known.names = names;
		known.urls = urls;
		known.n = cf->nfeeds;
	}
	if (opml_load(file, &feeds, &n, &errors) != 0) {
		fprintf(stderr, "feedmux: %s\n", errors);
		free(errors);
		free(names);
		free(urls);
		config_free(cf);
		return 1;
	}
	text = opml_sections(feeds, n, file, &known, &added, &skipped);
	fputs(text, stdout);
	fprintf(stderr, "feedmux: %s: %zu feed%s, %zu skipped\n", file, added,
	    added == 1 ? "" : "s", skipped);
	free(text);
	opml_free(feeds, n);
	free(names);
	free(urls);
	config_free(cf);
	return 0;
}

/*
 * Read a whole file, or "-" for standard input, into *b; refuse one over
 * max bytes without reading it all: a regular file by its size, anything
 * else as soon as it passes max.
 */
static int
parse_read(const char *path, size_t max, struct buf *b, char **cause)
{
	struct stat sb;
	ssize_t n;
	size_t want, size;
	int fd;

	buf_reset(b);
	if (strcmp(path, "-") == 0)
		fd = STDIN_FILENO;
	else if ((fd = open(path, O_RDONLY)) == -1) {
		xasprintf(cause, "%s", strerror(errno));
		return -1;
	}
	if (fstat(fd, &sb) == -1) {
		xasprintf(cause, "%s", strerror(errno));
		goto fail;
	}
	if (S_ISDIR(sb.st_mode)) {
		*cause = xstrdup("is a directory");
		goto fail;
	}
	if (S_ISREG(sb.st_mode) && (uintmax_t)sb.st_size > max)
		goto too_big;
	for (;;) {
		/*
		 * Grow by doubling, up to room for max + 1 bytes, so that a
		 * body over max shows itself without being read further.
		 */
		if (b->size < b->len + 65536 + 1 && b->size < max + 2) {
			size = b->size * 2 < b->len + 65536 + 1 ?
			    b->len + 65536 + 1 : b->size * 2;
			if (size > max + 2)
				size = max + 2;
			b->data = xreallocarray(b->data, 1, size);
			b->size = size;
		}
		want = b->size - b->len - 1;
		if ((n = read(fd, b->data + b->len, want)) == -1) {
			if (errno == EINTR)
				continue;
			xasprintf(cause, "%s", strerror(errno));
			goto fail;
		}
		if (n == 0)
			break;
		b->len += (size_t)n;
		b->data[b->len] = '\0';
		if (b->len > max)
			goto too_big;
	}
	if (fd != STDIN_FILENO)
		close(fd);
	return 0;

too_big:
	xasprintf(cause, "refused: larger than the maximum of %zu bytes", max);
fail:
	if (fd != STDIN_FILENO)
		close(fd);
	return -1;
}

/* An option's value, from "--name=value" or the next argument (parse, match). */
static const char *
cmd_option(int argc, char **argv, int *i, const char *name)
{
	size_t len = strlen(name);

	if (strncmp(argv[*i], name, len) == 0 && argv[*i][len] == '=')
		return argv[*i] + len + 1;
	if (strcmp(argv[*i], name) == 0 && *i + 1 < argc)
		return argv[++*i];
	return NULL;
}

/*
 * feedmux parse: each FILE parsed in turn, one JSON line each. A document
 * that is no feed is a result (an empty feed with its reason); a file that
 * cannot be read is an error line and makes the exit status 1.
 */
static int
cmd_parse(int argc, char **argv)
{
	struct dump_context dc, side;
	struct buf in, out;
	struct feed *f;
	const char *v, *headers = NULL;
	char *cause = NULL, *sidecar, *end;
	unsigned long long max = FETCH_DEFAULT_MAX_BYTES;
	int i, sidecars = 0, rc = 0;

	for (i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		}
		if (argv[i][0] != '-' || argv[i][1] == '\0')
			break;
		if ((v = cmd_option(argc, argv, &i, "--http-context")) != NULL)
			headers = v;
		else if (strcmp(argv[i], "--sidecars") == 0)
			sidecars = 1;
		else if ((v = cmd_option(argc, argv, &i, "--max-bytes")) !=
		    NULL) {
			errno = 0;
			max = strtoull(v, &end, 10);
			if (errno != 0 || end == v || *end != '\0' || max == 0 ||
			    max >= SIZE_MAX || max > INT_MAX) {
				fprintf(stderr, "feedmux: bad --max-bytes \"%s\"\n",
				    v);
				return 2;
			}
		} else {
			usage(stderr);
			return 2;
		}
	}
	if (i == argc || (headers != NULL && sidecars)) {
		usage(stderr);
		return 2;
	}
	memset(&dc, 0, sizeof dc);
	if (headers != NULL && dump_context_load(headers, &dc, &cause) != 0) {
		fprintf(stderr, "feedmux: %s\n", cause);
		free(cause);
		return 1;
	}

	buf_init(&in);
	buf_init(&out);
	for (; i < argc; i++) {
		memset(&side, 0, sizeof side);
		if (sidecars) {
			xasprintf(&sidecar, "%s.headers", argv[i]);
			if (access(sidecar, F_OK) == 0 &&
			    dump_context_load(sidecar, &side, &cause) != 0) {
				fprintf(stderr, "feedmux: %s\n", cause);
				free(cause);
				cause = NULL;
			}
			free(sidecar);
		}
		if (parse_read(argv[i], (size_t)max, &in, &cause) != 0) {
			fprintf(stderr, "feedmux: %s: %s\n", argv[i], cause);
			dump_error(&out, argv[i], cause);
			rc = 1;
		} else {
			f = parse_feed(in.data, in.len, sidecars ? &side.ctx :
			    &dc.ctx, &cause);
			dump_feed(&out, argv[i], f, cause);
			parse_feed_free(f);
		}
		free(cause);
		cause = NULL;
		dump_context_clear(&side);
		/*
		 * Written a megabyte or more at a time: each write to a file
		 * costs the kernel about as much again as a few pages of it.
		 */
		if (out.len >= PARSE_OUT_FLUSH) {
			fwrite(out.data, 1, out.len, stdout);
			buf_reset(&out);
		}
	}
	fwrite(out.data, 1, out.len, stdout);
	buf_free(&in);
	buf_free(&out);
	dump_context_clear(&dc);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "feedmux: standard output: %s\n",
		    strerror(errno));
		return 1;
	}
	return rc;
}

/* All of standard input; a NUL byte is a space, as in no text it ends. */
static int
match_read(struct buf *b)
{
	char chunk[65536];
	size_t n;

	buf_add(b, "", 0);
	while ((n = fread(chunk, 1, sizeof chunk, stdin)) > 0) {
		for (size_t i = 0; i < n; i++)
			if (chunk[i] == '\0')
				chunk[i] = ' ';
		buf_add(b, chunk, n);
	}
	return ferror(stdin) ? -1 : 0;
}

/*
 * feedmux match: the text on standard input (one field, read as HTML, as
 * a summary or content is: step H runs; titles, authors and categories,
 * which the daemon reads as plain text, must be given escaped) against a
 * filter of the keywords given (ARABIC-MATCHING.md §6). Exits 0
 * when it passes, 1 when it does not, 2 on a bad keyword or usage. With
 * -v it prints the text's tokens and each keyword's verdict.
 */
static int
cmd_match(int argc, char **argv)
{
	static const char *opts[] = {"--any", "--all", "--none"};
	char **lists[3] = {NULL, NULL, NULL};
	size_t counts[3] = {0, 0, 0};
	struct match_filter *mf = NULL;
	struct match_text *mt = NULL;
	const char *const *toks;
	const char *v;
	char *cause = NULL;
	struct buf in;
	size_t k, n;
	int i, verbose = 0, rc = 2;

	buf_init(&in);
	for (i = 2; i < argc; i++) {
		if (strcmp(argv[i], "-v") == 0) {
			verbose = 1;
			continue;
		}
		for (k = 0; k < nitems(opts); k++)
			if ((v = cmd_option(argc, argv, &i, opts[k])) != NULL)
				break;
		if (k == nitems(opts)) {
			usage(stderr);
			goto out;
		}
		lists[k] =
		    xreallocarray(lists[k], counts[k] + 1, sizeof *lists[k]);
		lists[k][counts[k]++] = (char *)v;
	}
	mf = match_filter_new(lists[0], counts[0], lists[1], counts[1],
	    lists[2], counts[2], &cause);
	if (mf == NULL) {
		fprintf(stderr, "feedmux: %s\n", cause);
		goto out;
	}
	if (match_read(&in) != 0) {
		fprintf(
		    stderr, "feedmux: standard input: %s\n", strerror(errno));
		goto out;
	}
	v = in.data;
	mt = match_text_new(&v, 1);
	rc = match_filter_test(mf, mt) ? 0 : 1;

	if (verbose) {
		n = match_text_tokens(mt, 0, &toks);
		printf("tokens:");
		for (size_t j = 0; j < n; j++)
			printf(" %s", toks[j]);
		printf("\n");
		for (k = 0; k < nitems(opts); k++) {
			for (size_t j = 0; j < counts[k]; j++) {
				struct match_filter *one;

				one = match_filter_new(
				    &lists[k][j], 1, NULL, 0, NULL, 0, &cause);
				printf("%s %s: %s\n", opts[k], lists[k][j],
				    match_filter_test(one, mt) ? "matches"
							       : "no match");
				match_filter_free(one);
			}
		}
		printf("%s\n", rc == 0 ? "passes" : "does not pass");
	}
out:
	match_text_free(mt);
	match_filter_free(mf);
	for (k = 0; k < nitems(lists); k++)
		free(lists[k]);
	free(cause);
	buf_free(&in);
	return rc;
}

/*
 * FEEDMUX_PARSE_RUNS (feedmux.8): 0 turns parse's text runs as references
 * off, a number sets the shortest run so handed.
 */
static void
parse_runs_env(void)
{
	const char *s;
	long v;

	if ((s = getenv("FEEDMUX_PARSE_RUNS")) == NULL || *s == '\0')
		return;
	v = strtol(s, NULL, 10);
	parse_text_runs(v < 0 ? 0 : v > INT_MAX ? INT_MAX : (int)v);
}

int
main(int argc, char **argv)
{
	const char *cmd, *path = DEFAULT_CONFIG;
	int ch, verbose = 0, rc, given = 0;

	log_init("feedmux", LOG_LEVEL_INFO);
	parse_runs_env();
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	cmd = argv[1];
	if (strcmp(cmd, "help") == 0 || strcmp(cmd, "-h") == 0 ||
	    strcmp(cmd, "--help") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
		printf("feedmux %s\n", FEEDMUX_VERSION);
		return 0;
	}
	if (strcmp(cmd, "match") == 0)
		return cmd_match(argc, argv);
	if (strcmp(cmd, "parse") == 0) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
			fatalx("curl_global_init failed");
		xmlInitParser();
		rc = cmd_parse(argc, argv);
		xmlCleanupParser();
		curl_global_cleanup();
		return rc;
	}
	optind = 2;
	while ((ch = getopt(argc, argv, "c:v")) != -1) {
		switch (ch) {
		case 'c':
			path = optarg;
			given = 1;
			break;
		case 'v':
			verbose++;
			break;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (strcmp(cmd, "import-opml") == 0) {
		if (optind != argc - 1) {
			usage(stderr);
			return 2;
		}
		xmlInitParser();
		rc = cmd_import_opml(argv[optind], given ? path : NULL);
		xmlCleanupParser();
		return rc;
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	if (verbose > 0)
		log_set_level(LOG_LEVEL_DEBUG);

	if (strcmp(cmd, "check") == 0)
		return cmd_check(path);
	if (strcmp(cmd, "status") == 0)
		return cmd_status(path);
	if (strcmp(cmd, "serve") != 0 && strcmp(cmd, "poll") != 0) {
		fprintf(stderr, "feedmux: unknown command \"%s\"\n", cmd);
		usage(stderr);
		return 2;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		fatalx("curl_global_init failed");
	xmlInitParser();
	rc = strcmp(cmd, "serve") == 0 ? daemon_serve(path) : daemon_poll(path);
	xmlCleanupParser();
	curl_global_cleanup();
	return rc;
}
