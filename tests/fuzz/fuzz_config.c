/*
 * libFuzzer target for config_load: the input is a configuration file.
 * Any bytes give a config or a list of errors, never a crash; when a config
 * comes back, each of its outputs' filters must compile and each of its
 * feeds must be found by its name.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "config.h"
#include "match.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	char path[] = "/tmp/feedmux-fuzz-config-XXXXXX";
	struct config *cf;
	struct match_filter *mf;
	char *errors = NULL, *cause = NULL;
	int fd;

	/* config_load reads a path (for includes relative to it). */
	if ((fd = mkstemp(path)) == -1)
		abort();
	if (write(fd, data, len) != (ssize_t)len)
		abort();
	close(fd);
	cf = config_load(path, &errors);
	unlink(path);
	if (cf == NULL) {
		if (errors == NULL)
			abort();	/* failure must say why */
		free(errors);
		return 0;
	}
	/* A config has no name twice: the index finds each feed itself. */
	for (size_t i = 0; i < cf->nfeeds; i++)
		if (config_feed_find(cf, cf->feeds[i].name) != &cf->feeds[i])
			abort();
	for (size_t i = 0; i < cf->noutputs; i++) {
		const struct config_output *o = &cf->outputs[i];

		mf = match_filter_new(o->keywords, o->nkeywords, o->require,
		    o->nrequire, o->exclude, o->nexclude, &cause);
		if (mf == NULL)
			abort();	/* config_load checked every keyword */
		match_filter_free(mf);
	}
	config_free(cf);
	return 0;
}
