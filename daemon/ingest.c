/*
 * ingest: a parsed feed into the store, and the outputs' filters over what
 * is stored. The text of an item is normalized once and tested against
 * every output from that one normalization.
 */
#include <stdlib.h>
#include <string.h>

#include "ingest.h"
#include "log.h"
#include "util.h"

/* Items per transaction when refiltering: short write locks, few commits. */
#define INGEST_SLICE 500

static struct match_text *
ingest_text(const struct item *it)
{
	const char *fields[] = {it->title, it->summary, it->content};

	return match_text_new(fields, nitems(fields));
}

static int
ingest_passes(const struct ingest_output *o, const struct match_text *mt)
{
	return o->filter == NULL || match_filter_test(o->filter, mt);
}

int
ingest_feed(struct store *s, const char *feed, const struct feed *f,
    const struct ingest_output *outs, size_t nouts, int64_t now,
    struct ingest_result *res, char **cause)
{
	struct match_text *mt;
	const char **pass;
	size_t npass;
	int64_t id;
	int r;

	memset(res, 0, sizeof *res);
	if (store_begin(s) != 0) {
		xasprintf(cause, "feed %s: cannot begin a transaction", feed);
		return -1;
	}
	pass = xcalloc(nouts, sizeof *pass);
	for (size_t i = 0; i < f->nitems; i++) {
		r = store_item_upsert(s, feed, &f->items[i], now, &id);
		if (r == -1) {
			xasprintf(cause, "feed %s: cannot store item %zu", feed,
			    i + 1);
			goto fail;
		}
		res->nitems++;
		if (r == STORE_ITEM_SAME)
			continue;
		if (r == STORE_ITEM_NEW)
			res->nnew++;
		else
			res->nupdated++;

		npass = 0;
		if (nouts > 0) {
			mt = ingest_text(&f->items[i]);
			for (size_t j = 0; j < nouts; j++)
				if (ingest_passes(&outs[j], mt))
					pass[npass++] = outs[j].name;
			match_text_free(mt);
		}
		/* Replaces the set: an update may leave an output. */
		if (store_item_set_outputs(s, id, (char *const *)pass, npass) !=
		    0) {
			xasprintf(cause,
			    "feed %s: cannot record the outputs "
			    "of item %zu",
			    feed, i + 1);
			goto fail;
		}
	}
	if (store_commit(s) != 0) {
		xasprintf(cause, "feed %s: cannot commit", feed);
		goto fail;
	}
	free(pass);
	return 0;

fail:
	store_rollback(s);
	free(pass);
	memset(res, 0, sizeof *res);
	return -1;
}

int
ingest_refilter(
    struct store *s, const struct ingest_output *outs, size_t n, char **cause)
{
	struct store_item *items = NULL;
	struct match_text *mt;
	size_t count = 0, total = 0;
	int64_t after = 0;

	if (n == 0)
		return 0;

	if (store_begin(s) != 0) {
		xasprintf(cause, "cannot begin a transaction");
		return -1;
	}
	for (size_t j = 0; j < n; j++) {
		if (store_output_clear(s, outs[j].name) != 0) {
			xasprintf(
			    cause, "output %s: cannot clear", outs[j].name);
			goto fail;
		}
	}
	if (store_commit(s) != 0) {
		xasprintf(cause, "cannot commit");
		goto fail;
	}

	for (;;) {
		if (store_begin(s) != 0) {
			xasprintf(cause, "cannot begin a transaction");
			return -1;
		}
		if (store_items_page(s, after, INGEST_SLICE, &items, &count) !=
		    0) {
			xasprintf(cause, "cannot read items after %jd",
			    (intmax_t)after);
			goto fail;
		}
		for (size_t i = 0; i < count; i++) {
			mt = ingest_text(&items[i].item);
			for (size_t j = 0; j < n; j++) {
				if (!ingest_passes(&outs[j], mt))
					continue;
				if (store_output_add(
					s, outs[j].name, items[i].id) != 0) {
					match_text_free(mt);
					xasprintf(cause,
					    "output %s: cannot add "
					    "item %jd",
					    outs[j].name,
					    (intmax_t)items[i].id);
					goto fail;
				}
			}
			match_text_free(mt);
		}
		if (store_commit(s) != 0) {
			xasprintf(cause, "cannot commit");
			goto fail;
		}
		total += count;
		if (count < INGEST_SLICE)
			break;
		after = items[count - 1].id;
		store_items_free(items, count);
		items = NULL;
		count = 0;
	}
	store_items_free(items, count);
	log_debug(
	    "ingest: %zu outputs filtered again over %zu items", n, total);
	return 0;

fail:
	store_rollback(s);
	store_items_free(items, count);
	return -1;
}
