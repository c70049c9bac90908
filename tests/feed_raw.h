/*
 * feed_raw: every string of a parsed feed, one per line, for tests and
 * fuzzing that compare two parses of one document (dump_feed's JSON has
 * summary and content only as text, their white space collapsed, which
 * could hide a difference in their HTML). Needs parse.h and util.h.
 */
#ifndef FEEDMUX_TESTS_FEED_RAW_H
#define FEEDMUX_TESTS_FEED_RAW_H

#include <stdio.h>

static void
raw_add(struct buf *b, const char *s)
{
	buf_adds(b, s != NULL ? s : "(null)");
	buf_add(b, "\n", 1);
}

static void
feed_raw(struct buf *b, const struct feed *f)
{
	const struct item *it;
	char num[64];
	size_t i, j;

	if (f == NULL)
		return;
	raw_add(b, f->title);
	raw_add(b, f->link);
	raw_add(b, f->lang);
	for (i = 0; i < f->nitems; i++) {
		it = &f->items[i];
		raw_add(b, it->guid);
		raw_add(b, it->link);
		raw_add(b, it->title);
		raw_add(b, it->author);
		raw_add(b, it->summary);
		raw_add(b, it->content);
		for (j = 0; j < it->ncategories; j++)
			raw_add(b, it->categories[j]);
		snprintf(num, sizeof num, "%lld %lld", (long long)it->published,
		    (long long)it->updated);
		raw_add(b, num);
	}
}

#endif
