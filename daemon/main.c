#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>
#include <libxml/parser.h>

#include "config.h"
#include "daemon.h"
#include "log.h"
#include "util.h"

#define DEFAULT_CONFIG "/etc/feedmux/feedmux.conf"

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: feedmux serve [-v] [-c FILE]   run the daemon\n"
	    "       feedmux poll  [-v] [-c FILE]   fetch every feed once, then exit\n"
	    "       feedmux check [-c FILE]        check the configuration\n"
	    "       feedmux version\n"
	    "FILE defaults to " DEFAULT_CONFIG ".\n");
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

int
main(int argc, char **argv)
{
	const char *cmd, *path = DEFAULT_CONFIG;
	int ch, verbose = 0, rc;

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
			break;
		case 'v':
			verbose++;
			break;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	if (verbose > 0)
		log_set_level(LOG_LEVEL_DEBUG);

	if (strcmp(cmd, "check") == 0)
		return cmd_check(path);
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
