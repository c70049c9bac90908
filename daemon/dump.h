/*
 * dump: what `feedmux parse` reads and prints. Not a stage of the pipeline:
 * it turns an HTTP-context sidecar file into a parse_context and a struct
 * feed into one line of JSON, in the shape of the conformance oracle
 * (../shared/conformance/oracle.py), for debugging, conformance and the
 * parse benchmark.
 */
#ifndef FEEDMUX_DUMP_H
#define FEEDMUX_DUMP_H

#include "parse.h"
#include "util.h"

/* What a sidecar file says; free with dump_context_clear. */
struct dump_context {
	struct parse_context ctx;	/* points into the members below */
	char *url;
	char *content_type;
	char *content_location;
};

/*
 * Read an HTTP-context sidecar: "Name: value" lines, "#" comments, blank
 * lines; "URL" is the document's address, the other names are response
 * headers (Content-Type defaults to text/xml, as the feed's server sent).
 * Returns -1 with *cause set when the file cannot be read.
 */
int dump_context_load(const char *path, struct dump_context *, char **cause);
void dump_context_clear(struct dump_context *);

/*
 * Append one JSON object and a newline: {"file", "feed": {"title", "link",
 * "lang"}, "items": [...]}. With f NULL the feed is empty and error, if
 * not NULL, goes in an "_error" key (a document that is no feed is a result,
 * not a failure of the command).
 */
void dump_feed(struct buf *, const char *file, const struct feed *f,
    const char *error);

/* Append {"file": ..., "error": ...} and a newline: the file was not read. */
void dump_error(struct buf *, const char *file, const char *error);

#endif
