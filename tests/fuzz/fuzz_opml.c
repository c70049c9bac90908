/*
 * libFuzzer target for OPML import: the input is an OPML file; what it
 * yields is turned into [feed] sections as `feedmux import-opml` does.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "opml.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct opml_feed *feeds = NULL;
	size_t n = 0, added = 0, skipped = 0;
	char *cause = NULL, *out;

	if (opml_read((const char *)data, len, "fuzz.opml", &feeds, &n,
	    &cause) != 0) {
		if (cause == NULL)
			abort();
		free(cause);
		return 0;
	}
	out = opml_sections(feeds, n, "fuzz.opml", NULL, &added, &skipped);
	if (out == NULL || added + skipped != n)
		abort();
	free(out);
	opml_free(feeds, n);
	return 0;
}
