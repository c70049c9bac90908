/*
 * libFuzzer target for the output server's request path: http_parse on
 * whatever a client may send, request after request as pipelining feeds
 * them, and http_date_parse on the If-Modified-Since it finds. The bytes
 * are copied without a terminating NUL, so that a read past the end is
 * seen by AddressSanitizer.
 *
 * Built with -fsanitize=fuzzer when FEEDMUX_FUZZ is on (clang); always
 * built as fuzz_http_replay too, which runs the seed corpus in
 * tests/fuzz/http (and every crash once found) as a regression test.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct http_request req;
	char *buf;
	size_t off = 0, n;
	int64_t t;
	int rc;

	buf = xmalloc(len > 0 ? len : 1);
	memcpy(buf, data, len);
	/* As the server does: at most a head's worth at a time. */
	while (off < len) {
		n = len - off < HTTP_MAX_HEADER ? len - off : HTTP_MAX_HEADER;
		rc = http_parse(buf + off, n, &req);
		if (rc != 0) {
			/* Done, or a status that refuses the request. */
			if (rc != 1 && (rc < 400 || rc > 505))
				abort();
			break;
		}
		if (req.len == 0 || req.len > n || req.path == NULL ||
		    (req.path[0] != '/' && req.path[0] != '*') ||
		    req.ninm > nitems(req.if_none_match))
			abort();
		if (req.if_modified_since != NULL)
			(void)http_date_parse(req.if_modified_since, &t);
		off += req.len;
	}
	free(buf);
	return 0;
}
