/*
 * match: text normalization and keyword filters (../shared/ARABIC-MATCHING.md).
 *
 * An item's text fields are normalized and cut into tokens once
 * (match_text_new); each output's filter is compiled once per configuration
 * (match_filter_new) and tested against the tokens without another pass
 * over the text.
 *
 * Single-threaded, as the daemon is: match keeps process-wide tables (what
 * each code point folds to, and the union of the live filters' strings).
 */
#ifndef FEEDMUX_MATCH_H
#define FEEDMUX_MATCH_H

#include <stddef.h>

/*
 * Bumped whenever a change to the rules may change which items a keyword
 * matches, so that stored items are filtered again after an upgrade.
 * 2: plain-text fields (MATCH_FIELD_PLAIN: titles, authors, categories)
 * no longer go through step H.
 */
#define MATCH_RULES_VERSION 2

struct match_filter;
struct match_text;

/*
 * The kinds of item text a filter may be told to look at, a bit each
 * (match_text_new_kinds, match_filter_set_fields).
 */
#define MATCH_FIELD_TITLE	0x01
#define MATCH_FIELD_SUMMARY	0x02
#define MATCH_FIELD_CONTENT	0x04
#define MATCH_FIELD_CATEGORIES	0x08
#define MATCH_FIELD_AUTHOR	0x10
#define MATCH_FIELDS_ALL	0x1f
#define MATCH_FIELDS_DEFAULT \
	(MATCH_FIELD_TITLE | MATCH_FIELD_SUMMARY | MATCH_FIELD_CONTENT)
/*
 * Or'd into a field's kind (match_text_new_kinds): the field is plain
 * text, not HTML, so step H (HTML to text) is skipped and '<' and '&' are
 * text like any other. parse makes titles, authors and categories plain
 * text (parse.h); summaries and contents are HTML.
 */
#define MATCH_FIELD_PLAIN	0x100

/*
 * Check one keyword's syntax. Returns 0, or -1 with *cause set (caller frees).
 */
int match_keyword_check(const char *keyword, char **cause);

/*
 * Compile a filter from its three keyword lists (any may be empty).
 * Returns NULL with *cause set on a bad keyword.
 */
struct match_filter *match_filter_new(char *const *any, size_t nany,
    char *const *all, size_t nall, char *const *none, size_t nnone,
    char **cause);
void match_filter_free(struct match_filter *);
/*
 * Make a filter look only at the fields of these kinds (MATCH_FIELD_*
 * bits); by default it looks at every field.
 */
void match_filter_set_fields(struct match_filter *, unsigned kinds);
/*
 * The kinds of field a filter needs to see: 0 when it has no keywords, so
 * that every text passes without being normalized at all.
 */
unsigned match_filter_fields(const struct match_filter *);

/*
 * Normalize and tokenize text fields; each field holds HTML (step H turns
 * it into text first) or is NULL, and may be any bytes (invalid UTF-8
 * separates words). Fields are matched on their own: a phrase never runs
 * from one field into the next.
 */
struct match_text *match_text_new(const char *const *fields, size_t nfields);
/*
 * The same with the kind of each field (a MATCH_FIELD_* bit, with
 * MATCH_FIELD_PLAIN when the field is plain text rather than HTML): a
 * filter then sees only the kinds it was set to. kinds may be NULL, as in
 * match_text_new: every field is HTML and every filter sees it.
 */
struct match_text *match_text_new_kinds(const char *const *fields,
    const unsigned *kinds, size_t nfields);
void match_text_free(struct match_text *);

/*
 * 1 when the text passes the filter, 0 when it does not. A text works out
 * as it is made whether it passes each live filter, so that this is a bit
 * test for a filter that was live (and had its fields set) then; a filter
 * made or set to other fields later looks at the text's tokens itself.
 */
int match_filter_test(const struct match_filter *, const struct match_text *);

/*
 * The normalized tokens of a text (for tests and debugging): returns the
 * number of tokens of field i and, through *tokens, an array of them that
 * stays valid as long as the match_text. A field out of range has none
 * (*tokens is set to NULL).
 */
size_t match_text_tokens(const struct match_text *, size_t field,
    const char *const **tokens);

#endif
