#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>
#include <libxml/parser.h>

#include "config.h"
#include "daemon.h"
#include "log.h"
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
