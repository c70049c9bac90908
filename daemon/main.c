#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>
#include <libxml/parser.h>

#include "config.h"
#include "daemon.h"
#include "log.h"
#include "match.h"
#include "opml.h"
#include "status.h"
#include "util.h"

#define DEFAULT_CONFIG "/etc/feedmux/feedmux.conf"

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
	    "       feedmux match [-v] [--any K]... [--all K]... [--none K]...\n"
	    "                                      test the text on standard input:\n"
	    "                                      exit 0 if it passes, 1 if not\n"
	    "       feedmux version\n"
	    "FILE defaults to " DEFAULT_CONFIG " (import-opml reads it only\n"
	    "with -c, to keep clear of its names and URLs).\n");
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

/* A keyword option's value, from "--name=K" or the next argument. */
static const char *
match_option(int argc, char **argv, int *i, const char *name)
{
	size_t len = strlen(name);

	if (strncmp(argv[*i], name, len) == 0 && argv[*i][len] == '=')
		return argv[*i] + len + 1;
	if (strcmp(argv[*i], name) == 0 && *i + 1 < argc)
		return argv[++*i];
	return NULL;
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
 * feedmux match: the text on standard input (one field, HTML allowed)
 * against a filter of the keywords given (ARABIC-MATCHING.md §6). Exits 0
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
			if ((v = match_option(argc, argv, &i, opts[k])) != NULL)
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

int
main(int argc, char **argv)
{
	const char *cmd, *path = DEFAULT_CONFIG;
	int ch, verbose = 0, rc, given = 0;

	log_init("feedmux", LOG_LEVEL_INFO);
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
