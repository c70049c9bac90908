/*
 * ingest: a parsed feed into the store, and the outputs' filters over what
 * is stored. The text of an item is normalized once and tested against
 * every output from that one normalization.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

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

/*
 * The version of the rules of ingest_canonical_link and ingest_title_key:
 * bump it with any change to them, so that stored keys are worked out again.
 */
#define INGEST_KEYS_VERSION 1

/*
 * Query parameters that only say who sent the reader: dropped from
 * canonical links. Compared without case; utm_* is a prefix.
 */
static const char *const ingest_tracking[] = {
    "fbclid", "gclid", "gclsrc", "dclid", "gbraid", "wbraid", "msclkid",
    "yclid", "twclid", "ttclid", "igshid", "mc_cid", "mc_eid", "_hsenc",
    "_hsmi", "mkt_tok",
};

static int
ingest_tracking_param(const char *p, size_t len)
{
	const char *eq = memchr(p, '=', len);
	size_t klen = eq != NULL ? (size_t)(eq - p) : len;

	if (klen >= 4 && strncasecmp(p, "utm_", 4) == 0)
		return 1;
	for (size_t i = 0; i < nitems(ingest_tracking); i++)
		if (strlen(ingest_tracking[i]) == klen &&
		    strncasecmp(p, ingest_tracking[i], klen) == 0)
			return 1;
	return 0;
}

/*
 * Percent-encoding as RFC 3986 (6.2.2) normalizes it, after the host: one
 * outlet writes an Arabic slug as UTF-8, another percent-encoded, and both
 * are one link. Bytes beyond ASCII are encoded, hex digits upper-cased, and
 * encoded unreserved characters decoded.
 */
static char *
ingest_pct_normalize(const char *url)
{
	static const char hex[] = "0123456789ABCDEF";
	const char *p, *path;
	struct buf b;
	int hi, lo, c;

	if ((path = strstr(url, "://")) == NULL)
		return xstrdup(url);
	path += 3;
	path += strcspn(path, "/?");
	buf_init(&b);
	buf_add(&b, url, path - url);
	for (p = path; *p != '\0'; p++) {
		c = (unsigned char)*p;
		if (c == '%' && (hi = hex_value(p[1])) != -1 &&
		    (lo = hex_value(p[2])) != -1) {
			c = hi << 4 | lo;
			if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
			    (c >= '0' && c <= '9') || c == '-' || c == '.' ||
			    c == '_' || c == '~')
				buf_addc(&b, (char)c);
			else {
				buf_addc(&b, '%');
				buf_addc(&b, hex[hi]);
				buf_addc(&b, hex[lo]);
			}
			p += 2;
		} else if (c >= 0x80) {
			buf_addc(&b, '%');
			buf_addc(&b, hex[c >> 4]);
			buf_addc(&b, hex[c & 15]);
		} else
			buf_addc(&b, (char)c);
	}
	return buf_steal(&b, NULL);
}

/*
 * A character that libcurl's URL API keeps as it is in a path or a query,
 * and that percent-encoding normalization leaves alone: RFC 3986's
 * unreserved characters, sub-delimiters, ':' and '@' (and '/', '?').
 */
static int
ingest_plain_char(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') ||
	       strchr("-._~!$&'()*+,;=:@/", c) != NULL;
}

/* A decimal byte of a dotted quad, as written by libcurl: 0 to 255. */
static const char *
ingest_quad_part(const char *p, const char *end)
{
	unsigned v = 0;
	const char *start = p;

	while (p < end && *p >= '0' && *p <= '9' && p - start < 3)
		v = v * 10 + (unsigned)(*p++ - '0');
	if (p == start || v > 255 || (p - start > 1 && *start == '0'))
		return NULL;
	return p;
}

/*
 * Whether a link is already in its canonical form, as most links of feeds
 * are: then making it costs no parsing by libcurl (which takes more time
 * than the rest of a new item's keys). Only the plainest links qualify:
 * http or https in lower case; a host of lower-case letters, digits, dots
 * and hyphens, in labels, with no port and no user; if its last label
 * starts with a digit (libcurl reads such hosts as IPv4 addresses, in
 * several notations), four decimal bytes as libcurl writes them; a path
 * with no dot segments, a query without empty or tracking parameters, no
 * fragment, no percent-encoding and nothing beyond ASCII. Anything else
 * takes the whole way, whose results this must never change (the unit
 * test holds libcurl's results for the near misses).
 */
static int
ingest_link_is_canonical(const char *link)
{
	const char *host, *p, *end, *label;
	size_t n;

	if (strncmp(link, "http://", 7) == 0)
		host = link + 7;
	else if (strncmp(link, "https://", 8) == 0)
		host = link + 8;
	else
		return 0;
	end = host + strcspn(host, "/?#");
	if (end == host || *end != '/')
		return 0;
	label = host;
	for (p = host; p < end; p++) {
		if (*p == '.') {
			if (p == label)
				return 0;
			label = p + 1;
		} else if (!((*p >= 'a' && *p <= 'z') ||
			       (*p >= '0' && *p <= '9') || *p == '-'))
			return 0;
	}
	if (label == end)
		return 0;
	if (*label >= '0' && *label <= '9') {
		p = host;
		for (int i = 0; i < 4; i++) {
			if ((p = ingest_quad_part(p, end)) == NULL)
				return 0;
			if (i < 3 && (p == end || *p++ != '.'))
				return 0;
		}
		if (p != end)
			return 0;
	}
	/* The path: no "." or ".." segment. */
	for (p = end; *p != '\0' && *p != '?'; p++) {
		if (!ingest_plain_char((unsigned char)*p))
			return 0;
		if (*p == '/' && p[1] == '.' &&
		    (p[2] == '/' || p[2] == '?' || p[2] == '\0' ||
			(p[2] == '.' &&
			    (p[3] == '/' || p[3] == '?' || p[3] == '\0'))))
			return 0;
	}
	if (*p == '\0')
		return 1;
	/* The query: every parameter kept as it is. */
	for (p++;; p = end + 1) {
		n = strcspn(p, "&");
		end = p + n;
		if (n == 0 || ingest_tracking_param(p, n))
			return 0;
		for (const char *c = p; c < end; c++)
			if (*c != '?' && !ingest_plain_char((unsigned char)*c))
				return 0;
		if (*end == '\0')
			return 1;
	}
}

char *
ingest_canonical_link(const char *link)
{
	CURLU *u;
	char *host = NULL, *query = NULL, *out = NULL;
	const char *p, *end;
	struct buf q;

	if (link == NULL || *link == '\0')
		return NULL;
	if (ingest_link_is_canonical(link))
		return xstrdup(link);
	if ((u = curl_url()) == NULL)
		fatalx("curl_url");
	if (curl_url_set(u, CURLUPART_URL, link, 0) != CURLUE_OK)
		goto verbatim;

	/*
	 * curl keeps the host as written; the scheme it lowers itself. Each
	 * part is only touched when the link has one to change: this runs
	 * for every new item.
	 */
	if (curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK) {
		int upper = 0;

		for (char *c = host; *c != '\0'; c++)
			if (*c >= 'A' && *c <= 'Z') {
				*c += 'a' - 'A';
				upper = 1;
			}
		if (upper &&
		    curl_url_set(u, CURLUPART_HOST, host, 0) != CURLUE_OK)
			goto verbatim;
	}
	if (strchr(link, '#') != NULL &&
	    curl_url_set(u, CURLUPART_FRAGMENT, NULL, 0) != CURLUE_OK)
		goto verbatim;

	if (strchr(link, '?') != NULL &&
	    curl_url_get(u, CURLUPART_QUERY, &query, 0) == CURLUE_OK) {
		buf_init(&q);
		buf_add(&q, "", 0);
		for (p = query; *p != '\0'; p = *end == '&' ? end + 1 : end) {
			end = p + strcspn(p, "&");
			if (end == p || ingest_tracking_param(p, end - p))
				continue;
			if (q.len > 0)
				buf_addc(&q, '&');
			buf_add(&q, p, end - p);
		}
		if (curl_url_set(u, CURLUPART_QUERY, q.len > 0 ? q.data : NULL,
		    0) != CURLUE_OK) {
			buf_free(&q);
			goto verbatim;
		}
		buf_free(&q);
	}
	if (curl_url_get(u, CURLUPART_URL, &out, CURLU_NO_DEFAULT_PORT) !=
	    CURLUE_OK)
		goto verbatim;
	curl_free(host);
	curl_free(query);
	curl_url_cleanup(u);
	{
		char *canon = ingest_pct_normalize(out);

		curl_free(out);
		return canon;
	}

verbatim:
	curl_free(host);
	curl_free(query);
	curl_free(out);
	curl_url_cleanup(u);
	return xstrdup(link);
}

/* The title key of field i of a normalized text. */
static char *
ingest_tokens_key(const struct match_text *mt, size_t field)
{
	const char *const *tokens;
	struct buf b;
	size_t n;

	n = match_text_tokens(mt, field, &tokens);
	if (n < INGEST_TITLE_MIN_TOKENS)
		return NULL;
	buf_init(&b);
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			buf_addc(&b, ' ');
		buf_adds(&b, tokens[i]);
	}
	return buf_steal(&b, NULL);
}

char *
ingest_title_key(const char *title)
{
	static const unsigned kind = MATCH_FIELD_TITLE | MATCH_FIELD_PLAIN;
	struct match_text *mt;
	char *key;

	mt = match_text_new_kinds((const char *const *)&title, &kind, 1);
	key = ingest_tokens_key(mt, 0);
	match_text_free(mt);
	return key;
}

/* The name of today's rules for story keys, as the store keeps it. */
static char *
ingest_keys_rules(void)
{
	char *s;

	xasprintf(&s, "keys %d, match %d", INGEST_KEYS_VERSION,
	    MATCH_RULES_VERSION);
	return s;
}

struct ingest_refilter {
	struct store *store;
	struct ingest_output *outs;
	size_t nouts;
	unsigned kinds; /* the fields their filters look at */
	int64_t after;	/* the last item of the last committed step */
	size_t count;	/* items filtered in committed steps */
	size_t total;	/* items stored when the walk began */
	int done;
};

static void
text_add(const char **fields, unsigned *kinds, size_t *n, unsigned want,
    unsigned kind, const char *s, int plain)
{
	if ((want & kind) == 0 || s == NULL)
		return;
	fields[*n] = s;
	kinds[*n] = kind | (plain ? MATCH_FIELD_PLAIN : 0);
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
	/* Title, author and categories are plain text (parse.h). */
	text_add(fields, kinds, &n, want, MATCH_FIELD_TITLE, it->title, 1);
	text_add(fields, kinds, &n, want, MATCH_FIELD_SUMMARY, it->summary, 0);
	text_add(fields, kinds, &n, want, MATCH_FIELD_CONTENT, it->content, 0);
	text_add(fields, kinds, &n, want, MATCH_FIELD_AUTHOR, it->author, 1);
	/* Each category on its own: a phrase does not run across two. */
	for (size_t i = 0; i < it->ncategories; i++)
		text_add(fields, kinds, &n, want, MATCH_FIELD_CATEGORIES,
		    it->categories[i], 1);
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

/* An item on its way into the store, and what ingest works out about it. */
struct ingest_item {
	const struct item *it;
	unsigned kinds;		/* the fields the outputs' filters look at */
	struct match_text *mt;
	char *canon;
	char *title;
};

/*
 * The store asks for the keys of a new or changed item: one normalization
 * serves its title key and, later, the filters (the title comes first when
 * it is there). Unchanged items cost none.
 */
static void
ingest_fill_keys(struct store_keys *k, void *arg)
{
	struct ingest_item *ii = arg;
	const struct item *it = ii->it;

	ii->mt = ingest_text(it, ii->kinds | MATCH_FIELD_TITLE);
	ii->title = it->title != NULL ? ingest_tokens_key(ii->mt, 0) : NULL;
	ii->canon = ingest_canonical_link(it->link);
	k->canon = ii->canon;
	k->title = ii->title;
}

static void
ingest_item_clear(struct ingest_item *ii)
{
	match_text_free(ii->mt);
	free(ii->canon);
	free(ii->title);
	memset(ii, 0, sizeof *ii);
}

int
ingest_feed(struct store *s, const char *feed, const struct feed *f,
    const struct ingest_output *outs, size_t nouts, int64_t now,
    struct ingest_result *res, char **cause)
{
	return ingest_feed_changes(s, feed, f, outs, nouts, now, res, NULL,
	    cause);
}

int
ingest_feed_changes(struct store *s, const char *feed, const struct feed *f,
    const struct ingest_output *outs, size_t nouts, int64_t now,
    struct ingest_result *res, unsigned char *changed, char **cause)
{
	struct ingest_item ii;
	struct store_keys keys;
	const char **pass;
	size_t npass;
	unsigned kinds;
	int64_t id;
	int r, all;

	memset(res, 0, sizeof *res);
	memset(&ii, 0, sizeof ii);
	if (store_begin(s) != 0) {
		xasprintf(cause, "feed %s: cannot begin a transaction", feed);
		return -1;
	}
	pass = xcalloc(nouts, sizeof *pass);
	kinds = ingest_kinds(outs, nouts);
	for (size_t i = 0; i < f->nitems; i++) {
		ingest_item_clear(&ii);
		ii.it = &f->items[i];
		ii.kinds = kinds;
		memset(&keys, 0, sizeof keys);
		keys.fill = ingest_fill_keys;
		keys.arg = &ii;
		r = store_item_upsert(s, feed, ii.it, &keys, now, &id);
		if (r == -1) {
			xasprintf(cause, "feed %s: cannot store item %zu", feed,
			    i + 1);
			goto fail;
		}
		res->nitems++;
		if (r == STORE_ITEM_SAME || r == STORE_ITEM_GONE) {
			res->ngone += r == STORE_ITEM_GONE;
			continue;
		}
		if (r == STORE_ITEM_NEW)
			res->nnew++;
		else
			res->nupdated++;

		npass = 0;
		if (ii.mt == NULL)	/* the store did not ask */
			ii.mt = ingest_text(ii.it, kinds);
		for (size_t j = 0; j < nouts; j++)
			if (ingest_passes(&outs[j], feed, ii.mt))
				pass[npass++] = outs[j].name;
		if (changed != NULL) {
			all = r == STORE_ITEM_UPDATED || keys.joined;
			for (size_t j = 0, k = 0; j < nouts; j++) {
				if (all ||
				    (k < npass && pass[k] == outs[j].name)) {
					changed[j] = 1;
					k += !all;
				}
			}
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
	ingest_item_clear(&ii);
	/* An empty listing is more likely a broken feed than an empty one. */
	if (f->nitems > 0 && store_feed_listed(s, feed, now) != 0) {
		xasprintf(cause, "feed %s: cannot forget old tombstones", feed);
		goto fail;
	}
	if (store_commit(s) != 0) {
		xasprintf(cause, "feed %s: cannot commit", feed);
		goto fail;
	}
	free(pass);
	return 0;

fail:
	ingest_item_clear(&ii);
	store_rollback(s);
	free(pass);
	memset(res, 0, sizeof *res);
	return -1;
}

struct ingest_refilter *
ingest_refilter_new(struct store *s, const struct ingest_output *outs, size_t n)
{
	struct ingest_refilter *rf;
	int64_t total;

	rf = xcalloc(1, sizeof *rf);
	rf->store = s;
	rf->outs = xcalloc(n, sizeof *rf->outs);
	if (n > 0)
		memcpy(rf->outs, outs, n * sizeof *outs);
	rf->nouts = n;
	rf->kinds = ingest_kinds(outs, n);
	rf->done = n == 0;
	if (!rf->done && (total = store_items_count(s, 0)) > 0)
		rf->total = (size_t)total;
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

size_t
ingest_refilter_total(const struct ingest_refilter *rf)
{
	return rf->count > rf->total ? rf->count : rf->total;
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
			if (count >= INGEST_REFILTER_STEP_ITEMS ||
			    now_mono_ms() - start >= budget_ms)
				break;
		}
		if (i < n) /* out of time, or the step's items are done */
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

int
ingest_keys_init(struct store *s, char **cause)
{
	struct store_item *items = NULL;
	char *rules = NULL, *want;
	int64_t after;
	size_t n = 0;
	int ret = -1;

	want = ingest_keys_rules();
	if (store_keys_state(s, &rules, &after) != 0) {
		xasprintf(cause, "cannot read the state of story keys");
		goto out;
	}
	ret = 0;
	if (rules != NULL)
		goto out;
	if (store_items_page(s, 0, 1, &items, &n) != 0) {
		xasprintf(cause, "cannot read the stored items");
		ret = -1;
		goto out;
	}
	if (n == 0 && store_keys_set_state(s, want, -1) != 0) {
		xasprintf(cause, "cannot record the state of story keys");
		ret = -1;
	}
out:
	store_items_free(items, n);
	free(rules);
	free(want);
	return ret;
}

int
ingest_rekey(struct store *s, size_t max, char **cause)
{
	struct store_item *items = NULL;
	struct store_keys keys;
	char *rules = NULL, *want;
	int64_t after;
	size_t n = 0, merged = 0;
	int r, ret = -1;

	if (max == 0)
		max = 1;
	want = ingest_keys_rules();
	if (store_keys_state(s, &rules, &after) != 0) {
		xasprintf(cause, "cannot read the state of story keys");
		goto out;
	}
	if (rules != NULL && strcmp(rules, want) == 0 && after == -1) {
		ret = 0;
		goto out;
	}
	if (rules == NULL || strcmp(rules, want) != 0)
		after = 0;
	if (store_begin(s) != 0) {
		xasprintf(cause, "cannot begin a transaction");
		goto out;
	}
	if (store_items_page(s, after, max, &items, &n) != 0) {
		xasprintf(cause, "cannot read items after %jd", (intmax_t)after);
		goto fail;
	}
	if (after == 0 && n > 0)
		log_info("story keys: working them out for the stored items "
		    "(%s)", want);
	for (size_t i = 0; i < n; i++) {
		keys.canon = ingest_canonical_link(items[i].item.link);
		keys.title = ingest_title_key(items[i].item.title);
		r = store_item_rekey(s, items[i].id, &keys);
		free((char *)keys.canon);
		free((char *)keys.title);
		if (r < 0) {
			xasprintf(cause, "cannot set the keys of item %jd",
			    (intmax_t)items[i].id);
			goto fail;
		}
		merged += (size_t)r;
	}
	after = n < max ? -1 : items[n - 1].id;
	if (store_keys_set_state(s, want, after) != 0 || store_commit(s) != 0) {
		xasprintf(cause, "cannot record the state of story keys");
		goto fail;
	}
	if (merged > 0)
		log_info("story keys: %zu stories merged", merged);
	if (after == -1)
		log_debug("story keys: done");
	ret = after == -1 ? 0 : 1;
	goto out;
fail:
	store_rollback(s);
out:
	store_items_free(items, n);
	free(rules);
	free(want);
	return ret;
}
