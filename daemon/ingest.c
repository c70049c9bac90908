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

/*
 * Items read at a time when refiltering. A step that runs out of time
 * drops the rest of its page and reads it again in the next step: by then
 * ingest_feed may have changed those items.
 */
#define INGEST_PAGE 100
/* The whole walk of ingest_refilter: a transaction per this much time. */
#define INGEST_STEP_MS 250

struct ingest_refilter {
	struct store *store;
	struct ingest_output *outs;
	size_t nouts;
	unsigned kinds; /* the fields their filters look at */
	int64_t after;	/* the last item of the last committed step */
	size_t count;	/* items filtered in committed steps */
	int done;
};

static void
text_add(const char **fields, unsigned *kinds, size_t *n, unsigned want,
    unsigned kind, const char *s)
{
	if ((want & kind) == 0 || s == NULL)
		return;
	fields[*n] = s;
	kinds[*n] = kind;
	(*n)++;
}

/* The fields of an item that these kinds ask for, normalized once. */
static struct match_text *
ingest_text(const struct item *it, unsigned want)
{
	struct match_text *mt;
	const char **fields;
	unsigned *kinds;
	size_t n = 0;

	if (want == 0)
		return NULL;
	fields = xcalloc(4 + it->ncategories, sizeof *fields);
	kinds = xcalloc(4 + it->ncategories, sizeof *kinds);
	text_add(fields, kinds, &n, want, MATCH_FIELD_TITLE, it->title);
	text_add(fields, kinds, &n, want, MATCH_FIELD_SUMMARY, it->summary);
	text_add(fields, kinds, &n, want, MATCH_FIELD_CONTENT, it->content);
	text_add(fields, kinds, &n, want, MATCH_FIELD_AUTHOR, it->author);
	/* Each category on its own: a phrase does not run across two. */
	for (size_t i = 0; i < it->ncategories; i++)
		text_add(fields, kinds, &n, want, MATCH_FIELD_CATEGORIES,
		    it->categories[i]);
	mt = match_text_new_kinds(fields, kinds, n);
	free(fields);
	free(kinds);
	return mt;
}

/* Every kind of field that one of these outputs' filters looks at. */
static unsigned
ingest_kinds(const struct ingest_output *outs, size_t n)
{
	unsigned kinds = 0;

	for (size_t i = 0; i < n; i++)
		if (outs[i].filter != NULL)
			kinds |= match_filter_fields(outs[i].filter);
	return kinds;
}

/* mt may be NULL when no filter looks at any field. */
static int
ingest_passes(const struct ingest_output *o, const char *feed,
    const struct match_text *mt)
{
	size_t i;

	if (o->feeds != NULL) {
		for (i = 0; i < o->nfeeds; i++)
			if (strcmp(o->feeds[i], feed) == 0)
				break;
		if (i == o->nfeeds)
			return 0;
	}
	if (o->filter == NULL || match_filter_fields(o->filter) == 0)
		return 1;
	return match_filter_test(o->filter, mt);
}

int
ingest_feed(struct store *s, const char *feed, const struct feed *f,
    const struct ingest_output *outs, size_t nouts, int64_t now,
    struct ingest_result *res, char **cause)
{
	struct match_text *mt;
	const char **pass;
	size_t npass;
	unsigned kinds;
	int64_t id;
	int r;

	memset(res, 0, sizeof *res);
	if (store_begin(s) != 0) {
		xasprintf(cause, "feed %s: cannot begin a transaction", feed);
		return -1;
	}
	pass = xcalloc(nouts, sizeof *pass);
	kinds = ingest_kinds(outs, nouts);
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
		mt = ingest_text(&f->items[i], kinds);
		for (size_t j = 0; j < nouts; j++)
			if (ingest_passes(&outs[j], feed, mt))
				pass[npass++] = outs[j].name;
		match_text_free(mt);
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

struct ingest_refilter *
ingest_refilter_new(struct store *s, const struct ingest_output *outs, size_t n)
{
	struct ingest_refilter *rf;

	rf = xcalloc(1, sizeof *rf);
	rf->store = s;
	rf->outs = xcalloc(n, sizeof *rf->outs);
	if (n > 0)
		memcpy(rf->outs, outs, n * sizeof *outs);
	rf->nouts = n;
	rf->kinds = ingest_kinds(outs, n);
	rf->done = n == 0;
	return rf;
}

void
ingest_refilter_free(struct ingest_refilter *rf)
{
	if (rf == NULL)
		return;
	free(rf->outs);
	free(rf);
}

size_t
ingest_refilter_count(const struct ingest_refilter *rf)
{
	return rf->count;
}

/* One stored item into or out of each output being refiltered. */
static int
ingest_refilter_item(
    struct ingest_refilter *rf, const struct store_item *si, char **cause)
{
	const struct ingest_output *o;
	struct match_text *mt;
	int pass, rc = 0;

	mt = ingest_text(&si->item, rf->kinds);
	for (size_t j = 0; j < rf->nouts && rc == 0; j++) {
		o = &rf->outs[j];
		if ((pass = ingest_passes(o, si->feed, mt)))
			rc = store_output_add(rf->store, o->name, si->id);
		else
			rc = store_output_remove(rf->store, o->name, si->id);
		if (rc != 0)
			xasprintf(cause, "output %s: cannot %s item %jd",
			    o->name, pass ? "add" : "remove", (intmax_t)si->id);
	}
	match_text_free(mt);
	return rc;
}

int
ingest_refilter_step(
    struct ingest_refilter *rf, int64_t budget_ms, char **cause)
{
	struct store_item *items = NULL;
	int64_t start = now_mono_ms(), after = rf->after;
	size_t i, n = 0, count = 0;
	int done = 0, more = 1;

	if (rf->done)
		return 1;
	if (store_begin(rf->store) != 0) {
		xasprintf(cause, "cannot begin a transaction");
		return -1;
	}
	while (more) {
		if (store_items_page(
			rf->store, after, INGEST_PAGE, &items, &n) != 0) {
			xasprintf(cause, "cannot read items after %jd",
			    (intmax_t)after);
			goto fail;
		}
		for (i = 0; i < n; i++) {
			if (ingest_refilter_item(rf, &items[i], cause) != 0)
				goto fail;
			after = items[i].id;
			count++;
			if (now_mono_ms() - start >= budget_ms)
				break;
		}
		if (i < n) /* out of time */
			more = 0;
		else if (n < INGEST_PAGE) {
			more = 0;
			done = 1;
		}
		store_items_free(items, n);
		items = NULL;
		n = 0;
	}
	if (store_commit(rf->store) != 0) {
		xasprintf(cause, "cannot commit");
		goto fail;
	}
	rf->after = after;
	rf->count += count;
	rf->done = done;
	return done;

fail:
	store_rollback(rf->store);
	store_items_free(items, n);
	return -1;
}

int
ingest_refilter(
    struct store *s, const struct ingest_output *outs, size_t n, char **cause)
{
	struct ingest_refilter *rf;
	int r;

	rf = ingest_refilter_new(s, outs, n);
	while ((r = ingest_refilter_step(rf, INGEST_STEP_MS, cause)) == 0)
		;
	if (r == 1)
		log_debug("ingest: %zu outputs filtered again over %zu items",
		    n, rf->count);
	ingest_refilter_free(rf);
	return r == 1 ? 0 : -1;
}
