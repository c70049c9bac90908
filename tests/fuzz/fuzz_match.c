/*
 * libFuzzer target for the matcher: the input's lines up to the first NUL
 * byte are keywords (a line starting with '+' is a require, '-' an exclude,
 * others any), the rest is an item's text, read both as HTML and as plain
 * text (a title). Bad keywords must be refused with a reason; good ones
 * compile and are tested against the text, which must also tokenize into
 * valid, non-empty tokens. Two oracles: the same keywords compiled after
 * the text (a filter that looks at every token) decide as the filter that
 * saw only the tokens the union of filters let through; and the text's
 * tokens are those of utf8proc's path, which an emoji before the text
 * forces (as in test_match's paths_agree).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "match.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	const uint8_t *nul = memchr(data, '\0', len);
	size_t klen = nul != NULL ? (size_t)(nul - data) : 0;
	char *keys, *line, *save = NULL, *cause = NULL, *text;
	char **lists[3] = {NULL, NULL, NULL};
	size_t counts[3] = {0, 0, 0}, k, ntok;
	struct match_filter *mf, *late;
	struct match_text *mt, *ref;
	const char *const *rtoks;
	char *slow;
	int verdict;
	const char *fields[2];
	static const unsigned kinds[2] = {
	    MATCH_FIELD_CONTENT, MATCH_FIELD_TITLE | MATCH_FIELD_PLAIN};
	const char *const *toks;

	keys = xstrndup((const char *)data, klen);
	text = xstrndup((const char *)data + klen + (nul != NULL),
	    len - klen - (nul != NULL));
	for (line = strtok_r(keys, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		k = line[0] == '+' ? 1 : line[0] == '-' ? 2 : 0;
		if (k != 0)
			line++;
		if (match_keyword_check(line, &cause) != 0) {
			if (cause == NULL)
				abort();
			free(cause);
			cause = NULL;
			continue;
		}
		lists[k] =
		    xreallocarray(lists[k], counts[k] + 1, sizeof *lists[k]);
		lists[k][counts[k]++] = line;
	}
	mf = match_filter_new(lists[0], counts[0], lists[1], counts[1],
	    lists[2], counts[2], &cause);
	if (mf == NULL)
		abort(); /* every keyword passed match_keyword_check */
	/* The text as HTML, and again as plain text (a title). */
	fields[0] = text;
	fields[1] = text;
	mt = match_text_new_kinds(fields, kinds, 2);
	verdict = match_filter_test(mf, mt);
	late = match_filter_new(lists[0], counts[0], lists[1], counts[1],
	    lists[2], counts[2], &cause);
	if (late == NULL || match_filter_test(late, mt) != verdict)
		abort();
	match_filter_free(late);
	xasprintf(&slow, "\xf0\x9f\x98\x80 %s", text);
	fields[0] = slow;
	fields[1] = slow;
	ref = match_text_new_kinds(fields, kinds, 2);
	for (size_t f = 0; f < 2; f++) {
		ntok = match_text_tokens(mt, f, &toks);
		for (size_t i = 0; i < ntok; i++)
			if (toks[i] == NULL || toks[i][0] == '\0')
				abort();
		if (match_text_tokens(ref, f, &rtoks) != ntok)
			abort();
		for (size_t i = 0; i < ntok; i++)
			if (strcmp(toks[i], rtoks[i]) != 0)
				abort();
	}
	match_text_free(ref);
	free(slow);
	match_text_free(mt);
	match_filter_free(mf);
	for (k = 0; k < 3; k++)
		free(lists[k]);
	free(keys);
	free(text);
	return 0;
}
