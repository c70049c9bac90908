/*
 * match: text normalization and keyword filters, as specified in
 * ARABIC-MATCHING.md. Item text goes through H (HTML to text), U (utf8proc
 * fold), A (Arabic-script fold) and T (tokens); keywords skip H.
 *
 * Each keyword token is compiled into a sorted set of the text tokens it
 * accepts, so that a text is tested by looking its tokens up, never by
 * running a keyword over the text.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "log.h"
#include "match.h"
#include "util.h"

enum tclass {
	TC_NONE,
	TC_ARABIC,
	TC_LETTER,
	TC_DIGIT,
};

/* Tokens cut from one string, all in one NUL-separated buffer. */
struct toklist {
	struct buf data;
	size_t *offs;
	enum tclass *classes;
	size_t n;
	size_t size;
};

struct match_field {
	unsigned kind; /* a MATCH_FIELD_* bit, or all of them */
	char *data;
	const char **tokens;
	size_t ntokens;
};

struct match_text {
	struct match_field *fields;
	size_t nfields;
};

/* One token of a keyword and the text tokens it accepts. */
struct kwtok {
	char **accept; /* sorted, no duplicates */
	size_t naccept;
	int prefix;    /* a text token need only start with one */
	size_t maxlen; /* of the longest accepted string */
};

struct keyword {
	struct kwtok *toks;
	size_t ntoks;
};

/* Where a first keyword token's accepted string leads. */
struct entry {
	const char *s;
	size_t kw;
	int prefix;
};

struct match_filter {
	struct keyword *kws; /* the any, then all, then none keywords */
	size_t nany;
	size_t nall;
	size_t nnone;
	struct entry *index; /* sorted by s */
	size_t nindex;
	size_t maxprefix; /* the longest prefix entry, 0 if none */
	unsigned fields;  /* the kinds of field it looks at */
};

static void
toklist_init(struct toklist *tl)
{
	buf_init(&tl->data);
	tl->offs = NULL;
	tl->classes = NULL;
	tl->n = tl->size = 0;
}

static void
toklist_free(struct toklist *tl)
{
	buf_free(&tl->data);
	free(tl->offs);
	free(tl->classes);
	toklist_init(tl);
}

static void
toklist_start(struct toklist *tl, enum tclass c)
{
	if (tl->n == tl->size) {
		tl->size = tl->size == 0 ? 16 : tl->size * 2;
		tl->offs = xreallocarray(tl->offs, tl->size, sizeof *tl->offs);
		tl->classes =
		    xreallocarray(tl->classes, tl->size, sizeof *tl->classes);
	}
	tl->offs[tl->n] = tl->data.len;
	tl->classes[tl->n] = c;
	tl->n++;
}

static const char *
toklist_get(const struct toklist *tl, size_t i)
{
	return tl->data.data + tl->offs[i];
}

static void
add_utf8(struct buf *b, int32_t cp)
{
	utf8proc_uint8_t tmp[4];
	utf8proc_ssize_t n;

	n = utf8proc_encode_char(cp, tmp);
	buf_add(b, tmp, (size_t)n);
}

static size_t
count_cps(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++) {
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	}
	return n;
}

/* Replace each byte that does not start a valid sequence by U+FFFD. */
static void
sanitize_utf8(const char *s, size_t len, struct buf *out)
{
	utf8proc_int32_t cp;
	utf8proc_ssize_t n;
	size_t i = 0;

	while (i < len) {
		n = utf8proc_iterate((const utf8proc_uint8_t *)s + i,
		    (utf8proc_ssize_t)(len - i), &cp);
		if (n < 0) {
			add_utf8(out, 0xfffd);
			i++;
		} else {
			buf_add(out, s + i, (size_t)n);
			i += (size_t)n;
		}
	}
	buf_add(out, "", 0);
}

static int
is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

/*
 * Does s start with name, ASCII case-insensitively, followed by something
 * that ends a tag name? Locale-free on purpose.
 */
static int
has_tag_name(const char *s, const char *name)
{
	char c;

	for (; *name != '\0'; s++, name++) {
		c = *s;
		if (c >= 'A' && c <= 'Z')
			c = c - 'A' + 'a';
		if (c != *name)
			return 0;
	}
	return *s == '\0' || *s == '>' || *s == '/' || is_space(*s);
}

/* Where the element opened at s ends, or the end of the string. */
static const char *
raw_element_end(const char *s, const char *name)
{
	const char *e;

	for (s = strchr(s, '<'); s != NULL; s = strchr(s + 1, '<')) {
		if (s[1] == '/' && has_tag_name(s + 2, name)) {
			if ((e = strchr(s, '>')) != NULL)
				return e + 1;
			break;
		}
	}
	return NULL;
}

/* H (1): comments, scripts and styles become one space each. */
static void
html_blocks(const char *s, struct buf *out)
{
	const char *p = s, *q, *e;

	while ((q = strchr(p, '<')) != NULL) {
		buf_add(out, p, (size_t)(q - p));
		if (strncmp(q, "<!--", 4) == 0) {
			/* "<!-->" closes itself, as in HTML5. */
			e = strstr(q + 2, "-->");
			e = e != NULL ? e + 3 : NULL;
		} else if (has_tag_name(q + 1, "script"))
			e = raw_element_end(q + 7, "script");
		else if (has_tag_name(q + 1, "style"))
			e = raw_element_end(q + 6, "style");
		else {
			buf_addc(out, '<');
			p = q + 1;
			continue;
		}
		buf_addc(out, ' ');
		if (e == NULL)
			return;
		p = e;
	}
	buf_adds(out, p);
}

/* H (2): tags become one space each; an unclosed one runs to the end. */
static void
html_tags(const char *s, struct buf *out)
{
	const char *p = s, *q, *e;

	while ((q = strchr(p, '<')) != NULL) {
		buf_add(out, p, (size_t)(q - p));
		if (!is_alpha(q[1]) && q[1] != '/' && q[1] != '!' &&
		    q[1] != '?') {
			buf_addc(out, '<');
			p = q + 1;
			continue;
		}
		buf_addc(out, ' ');
		if ((e = strchr(q, '>')) == NULL)
			return;
		p = e + 1;
	}
	buf_adds(out, p);
}

static int
hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decode the numeric reference at s ("&#..."); returns its length or 0. */
static size_t
numeric_ref(const char *s, int32_t *cp)
{
	const char *p = s + 2;
	int base = 10, d, ndigits = 0;
	uint32_t v = 0;

	if (*p == 'x' || *p == 'X') {
		base = 16;
		p++;
	}
	for (;; p++) {
		d = base == 16 ? hex_value(*p)
			       : (*p >= '0' && *p <= '9' ? *p - '0' : -1);
		if (d < 0)
			break;
		/* Saturate: anything this large is out of range anyway. */
		if (v <= 0x10ffff)
			v = v * (uint32_t)base + (uint32_t)d;
		ndigits++;
	}
	if (ndigits == 0 || *p != ';')
		return 0;
	if (v == 0 || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		v = 0xfffd;
	*cp = (int32_t)v;
	return (size_t)(p + 1 - s);
}

/* H (3): character references, decoded once. */
static void
html_refs(const char *s, struct buf *out)
{
	static const struct {
		const char *name;
		int32_t cp;
	} names[] = {
	    {"&amp;", '&'},
	    {"&apos;", '\''},
	    {"&gt;", '>'},
	    {"&lt;", '<'},
	    {"&nbsp;", 0xa0},
	    {"&quot;", '"'},
	};
	const char *p = s, *q;
	size_t i, n;
	int32_t cp;

	while ((q = strchr(p, '&')) != NULL) {
		buf_add(out, p, (size_t)(q - p));
		n = 0;
		if (q[1] == '#')
			n = numeric_ref(q, &cp);
		else {
			for (i = 0; i < nitems(names); i++) {
				if (str_has_prefix(q, names[i].name)) {
					n = strlen(names[i].name);
					cp = names[i].cp;
					break;
				}
			}
		}
		if (n == 0) {
			buf_addc(out, '&');
			p = q + 1;
		} else {
			add_utf8(out, cp);
			p = q + n;
		}
	}
	buf_adds(out, p);
}

/* U.1: ZWSP and ZWNJ are word boundaries. */
static utf8proc_int32_t
fold_zero_width(utf8proc_int32_t cp, void *arg)
{
	(void)arg;
	if (cp == 0x200b || cp == 0x200c)
		return 0x20;
	return cp;
}

static int
is_arabic_block(int32_t cp)
{
	return (cp >= 0x0600 && cp <= 0x06ff) ||
	       (cp >= 0x0750 && cp <= 0x077f) ||
	       (cp >= 0x0870 && cp <= 0x08ff) ||
	       (cp >= 0xfb50 && cp <= 0xfdff) || (cp >= 0xfe70 && cp <= 0xfeff);
}

static enum tclass
classify(int32_t cp)
{
	switch (utf8proc_category(cp)) {
	case UTF8PROC_CATEGORY_LU:
	case UTF8PROC_CATEGORY_LL:
	case UTF8PROC_CATEGORY_LT:
	case UTF8PROC_CATEGORY_LM:
	case UTF8PROC_CATEGORY_LO:
		return is_arabic_block(cp) ? TC_ARABIC : TC_LETTER;
	case UTF8PROC_CATEGORY_ND:
		return TC_DIGIT;
	default:
		return TC_NONE;
	}
}

/* A: the Arabic-script fold of one code point; -1 deletes it. */
static int32_t
fold_arabic(int32_t cp)
{
	if (cp >= 0x0660 && cp <= 0x0669)
		return '0' + (cp - 0x0660);
	if (cp >= 0x06f0 && cp <= 0x06f9)
		return '0' + (cp - 0x06f0);
	switch (cp) {
	case 0x0640: /* tatweel */
		return -1;
	case 0x0671: /* alef wasla */
		return 0x0627;
	case 0x0649: /* alef maksura */
	case 0x06cc: /* farsi yeh */
	case 0x06d2: /* yeh barree */
		return 0x064a;
	case 0x0629: /* teh marbuta */
	case 0x06be: /* heh doachashmee */
	case 0x06c1: /* heh goal */
	case 0x06d5: /* ae */
		return 0x0647;
	case 0x06a9: /* keheh */
		return 0x0643;
	default:
		return cp;
	}
}

/* A and T: fold, then cut valid, normalized UTF-8 into tokens. */
static void
tokenize(const char *s, size_t len, struct toklist *tl)
{
	enum tclass c, cur = TC_NONE;
	utf8proc_int32_t cp;
	utf8proc_ssize_t n;
	size_t i;

	for (i = 0; i < len; i += (size_t)n) {
		n = utf8proc_iterate((const utf8proc_uint8_t *)s + i,
		    (utf8proc_ssize_t)(len - i), &cp);
		if (n < 0)
			fatalx(
			    "%s: invalid UTF-8 after normalization", __func__);
		if ((cp = fold_arabic(cp)) == -1)
			continue;
		c = classify(cp);
		if (c != cur && cur != TC_NONE)
			buf_addc(&tl->data, '\0');
		if (c != cur && c != TC_NONE)
			toklist_start(tl, c);
		cur = c;
		if (c != TC_NONE)
			add_utf8(&tl->data, cp);
	}
	if (cur != TC_NONE)
		buf_addc(&tl->data, '\0');
}

/* U then A and T, on valid UTF-8. */
static void
normalize(const char *s, size_t len, struct toklist *tl)
{
	utf8proc_uint8_t *out;
	utf8proc_ssize_t n;

	if (len == 0)
		return;
	n = utf8proc_map_custom((const utf8proc_uint8_t *)s,
	    (utf8proc_ssize_t)len, &out,
	    UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_COMPAT |
		UTF8PROC_CASEFOLD | UTF8PROC_IGNORE | UTF8PROC_STRIPMARK,
	    fold_zero_width, NULL);
	if (n == UTF8PROC_ERROR_NOMEM)
		fatalx("%s: out of memory", __func__);
	if (n < 0) {
		/* Cannot happen on valid input; lose the text, not the daemon.
		 */
		log_warnx("%s: %s", __func__, utf8proc_errmsg(n));
		return;
	}
	tokenize((const char *)out, (size_t)n, tl);
	free(out);
}

/* The whole chain for one item field: sanitize, H, U, A, T. */
static void
normalize_html(const char *s, struct toklist *tl)
{
	struct buf a, b;

	buf_init(&a);
	buf_init(&b);
	sanitize_utf8(s, strlen(s), &a);
	html_blocks(a.data, &b);
	buf_reset(&a);
	html_tags(b.data, &a);
	buf_reset(&b);
	html_refs(a.data, &b);
	normalize(b.data, b.len, tl);
	buf_free(&a);
	buf_free(&b);
}

struct match_text *
match_text_new(const char *const *fields, size_t nfields)
{
	return match_text_new_kinds(fields, NULL, nfields);
}

struct match_text *
match_text_new_kinds(
    const char *const *fields, const unsigned *kinds, size_t nfields)
{
	struct match_text *mt;
	struct match_field *f;
	struct toklist tl;
	size_t i, j;

	mt = xcalloc(1, sizeof *mt);
	mt->fields = xcalloc(nfields, sizeof *mt->fields);
	mt->nfields = nfields;
	for (i = 0; i < nfields; i++) {
		if (fields[i] == NULL)
			continue;
		toklist_init(&tl);
		normalize_html(fields[i], &tl);
		f = &mt->fields[i];
		f->kind = kinds != NULL ? kinds[i] : MATCH_FIELDS_ALL;
		f->ntokens = tl.n;
		f->data = buf_steal(&tl.data, NULL);
		f->tokens = xcalloc(tl.n, sizeof *f->tokens);
		for (j = 0; j < tl.n; j++)
			f->tokens[j] = f->data + tl.offs[j];
		toklist_free(&tl);
	}
	return mt;
}

void
match_text_free(struct match_text *mt)
{
	size_t i;

	if (mt == NULL)
		return;
	for (i = 0; i < mt->nfields; i++) {
		free(mt->fields[i].data);
		free(mt->fields[i].tokens);
	}
	free(mt->fields);
	free(mt);
}

size_t
match_text_tokens(
    const struct match_text *mt, size_t field, const char *const **tokens)
{
	if (field >= mt->nfields) {
		*tokens = NULL;
		return 0;
	}
	*tokens = mt->fields[field].tokens;
	return mt->fields[field].ntokens;
}

static int
strp_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sort a set of strings and drop duplicates. */
static void
set_finish(char **set, size_t *n)
{
	size_t i, j;

	if (*n == 0)
		return;
	qsort(set, *n, sizeof *set, strp_cmp);
	for (i = 1, j = 1; i < *n; i++) {
		if (strcmp(set[i], set[j - 1]) == 0)
			free(set[i]);
		else
			set[j++] = set[i];
	}
	*n = j;
}

/* Compare the first len bytes of key, as a whole string, with s. */
static int
key_cmp(const char *key, size_t len, const char *s)
{
	size_t slen = strlen(s);
	int r;

	r = memcmp(key, s, len < slen ? len : slen);
	if (r != 0)
		return r;
	return len < slen ? -1 : len > slen;
}

static int
set_has(char *const *set, size_t n, const char *key, size_t len)
{
	size_t lo = 0, hi = n, mid;
	int r;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if ((r = key_cmp(key, len, set[mid])) == 0)
			return 1;
		if (r < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return 0;
}

static int
kwtok_accepts(const struct kwtok *kt, const char *t)
{
	size_t i, len = strlen(t);

	if (set_has(kt->accept, kt->naccept, t, len))
		return 1;
	if (!kt->prefix)
		return 0;
	for (i = 1; i < len && i <= kt->maxlen; i++) {
		if (((unsigned char)t[i] & 0xc0) != 0x80 &&
		    set_has(kt->accept, kt->naccept, t, i))
			return 1;
	}
	return 0;
}

/*
 * The Arabic affixes of §4, written as they are after A (so ية is يه).
 * Proclitics are w + q.
 */
static const char *const pre_w[] = {"", "و", "ف"};
static const char *const pre_q[] = {
    "", "ب", "ك", "ل", "ال", "بال", "كال", "لل"};
/* Nothing; and for n >= 3 the tanween alef and the nisba forms. */
static const char *const suffix3[] = {
    "", "ا", "ي", "يه", "يا", "يون", "يين", "يان"};
/* In addition for n >= 4: plural, dual and pronoun suffixes. */
static const char *const suffix4[] = {"يات", "يتان", "يتين", "ان", "ين", "ون",
    "ات", "ها", "هم", "هما", "هن", "نا"};
/* In addition when K ends in ي (a nisba keyword, روسي → الروسية). */
static const char *const suffix_y[] = {
    "ه", "ون", "ين", "ان", "ات", "تان", "تين"};
/* Replacing a final ه (ة before A) when it becomes ت: حكومته. */
static const char *const suffix_h[] = {
    "ات", "تان", "تين", "ته", "تها", "تهم", "تهما", "تهن", "تي", "تنا"};

#define ALEF_LAM "ال"
#define LAM "ل"

struct strset {
	char **s;
	size_t n;
	size_t size;
};

static void
strset_add(struct strset *ss, char *s)
{
	if (ss->n == ss->size) {
		ss->size = ss->size == 0 ? 64 : ss->size * 2;
		ss->s = xreallocarray(ss->s, ss->size, sizeof *ss->s);
	}
	ss->s[ss->n++] = s;
}

static void
add_bodies(struct strset *bodies, const char *stem, const char *const *suf,
    size_t nsuf)
{
	size_t i;
	char *s;

	for (i = 0; i < nsuf; i++) {
		xasprintf(&s, "%s%s", stem, suf[i]);
		strset_add(bodies, s);
	}
}

/* BODIES(K) of §4; n counts the letters of K without its article. */
static void
arabic_bodies(const char *k, size_t n, int strict, struct strset *bodies)
{
	char *stem;

	if (strict || n < 3) {
		add_bodies(bodies, k, suffix3, 1);
		return;
	}
	add_bodies(bodies, k, suffix3, nitems(suffix3));
	if (n >= 4)
		add_bodies(bodies, k, suffix4, nitems(suffix4));
	if (str_has_suffix(k, "ي"))
		add_bodies(bodies, k, suffix_y, nitems(suffix_y));
	if (str_has_suffix(k, "ه")) {
		stem = xstrndup(k, strlen(k) - strlen("ه"));
		add_bodies(bodies, stem, suffix_h, nitems(suffix_h));
		free(stem);
	}
}

/*
 * The accepted forms of an Arabic keyword token of 3 letters or more:
 * P + B, and for a keyword with the article also w + L(B), where L(B) is
 * the article after ل: لل + B without ال, or ل + B without ال when B
 * goes on with ل (three lams are written as two).
 */
static void
arabic_accept(const char *k, int strict, int prefix, struct strset *out)
{
	struct strset bodies = {NULL, 0, 0};
	const char *rest;
	size_t i, j, n;
	int art;
	char *s;

	n = count_cps(k);
	art = n >= 4 && str_has_prefix(k, ALEF_LAM);
	if (art)
		n -= 2;
	/* A prefix keyword is its own stem: the text goes on after it. */
	if (prefix)
		add_bodies(&bodies, k, suffix3, 1);
	else
		arabic_bodies(k, n, strict, &bodies);

	for (i = 0; i < bodies.n; i++) {
		for (j = 0; j < nitems(pre_w) * nitems(pre_q); j++) {
			xasprintf(&s, "%s%s%s", pre_w[j / nitems(pre_q)],
			    pre_q[j % nitems(pre_q)], bodies.s[i]);
			strset_add(out, s);
		}
		if (!art)
			continue;
		rest = bodies.s[i] + strlen(ALEF_LAM);
		for (j = 0; j < nitems(pre_w); j++) {
			xasprintf(&s, "%s%s%s", pre_w[j],
			    str_has_prefix(rest, LAM) ? LAM : LAM LAM, rest);
			strset_add(out, s);
		}
	}
	for (i = 0; i < bodies.n; i++)
		free(bodies.s[i]);
	free(bodies.s);
}

/* Compile one token of a keyword into the set of text tokens it accepts. */
static void
kwtok_compile(
    struct kwtok *kt, const char *k, enum tclass c, int strict, int prefix)
{
	struct strset ss = {NULL, 0, 0};
	size_t i;

	if (c == TC_ARABIC && count_cps(k) >= 3)
		arabic_accept(k, strict, prefix, &ss);
	else
		strset_add(&ss, xstrdup(k));
	kt->prefix = prefix;
	kt->accept = ss.s;
	kt->naccept = ss.n;
	set_finish(kt->accept, &kt->naccept);
	kt->maxlen = 0;
	for (i = 0; i < kt->naccept; i++) {
		if (strlen(kt->accept[i]) > kt->maxlen)
			kt->maxlen = strlen(kt->accept[i]);
	}
}

static void
keyword_free(struct keyword *kw)
{
	size_t i, j;

	for (i = 0; i < kw->ntoks; i++) {
		for (j = 0; j < kw->toks[i].naccept; j++)
			free(kw->toks[i].accept[j]);
		free(kw->toks[i].accept);
	}
	free(kw->toks);
	kw->toks = NULL;
	kw->ntoks = 0;
}

static int
keyword_compile(const char *keyword, struct keyword *kw, char **cause)
{
	struct toklist tl;
	struct buf b;
	char *copy, *shown, *s;
	const char *last;
	size_t len, i, n;
	int strict, prefix;

	kw->toks = NULL;
	kw->ntoks = 0;
	buf_init(&b);
	sanitize_utf8(keyword, strlen(keyword), &b);
	i = strcmp(b.data, keyword);
	buf_free(&b);
	if (i != 0) {
		*cause = xstrdup("keyword is not valid UTF-8");
		return -1;
	}

	copy = xstrdup(keyword);
	shown = str_trim(copy);
	s = xstrdup(shown);
	len = strlen(s);
	toklist_init(&tl);
	strict = len > 0 && s[0] == '=';
	prefix = len > 0 && s[len - 1] == '*' && !(strict && len == 1);
	if (strict && prefix) {
		xasprintf(cause,
		    "keyword \"%s\": \"=\" (strict) and \"*\" "
		    "(prefix) cannot be combined",
		    shown);
		goto fail;
	}
	if (prefix)
		s[--len] = '\0';
	if (strchr(s + strict, '=') != NULL) {
		xasprintf(cause,
		    "keyword \"%s\": \"=\" is allowed only at "
		    "the start",
		    shown);
		goto fail;
	}
	if (strchr(s, '*') != NULL) {
		xasprintf(cause,
		    "keyword \"%s\": \"*\" is allowed only at "
		    "the end",
		    shown);
		goto fail;
	}

	normalize(s + strict, len - strict, &tl);
	if (tl.n == 0) {
		xasprintf(cause,
		    "keyword \"%s\": no letters or digits to "
		    "match",
		    shown);
		goto fail;
	}
	if (prefix) {
		last = toklist_get(&tl, tl.n - 1);
		n = count_cps(last);
		if (tl.classes[tl.n - 1] == TC_ARABIC && n >= 4 &&
		    str_has_prefix(last, ALEF_LAM))
			n -= 2;
		if (n < 3) {
			xasprintf(cause,
			    "keyword \"%s\": a prefix needs at "
			    "least 3 letters",
			    shown);
			goto fail;
		}
	}

	kw->ntoks = tl.n;
	kw->toks = xcalloc(tl.n, sizeof *kw->toks);
	for (i = 0; i < tl.n; i++) {
		kwtok_compile(&kw->toks[i], toklist_get(&tl, i), tl.classes[i],
		    strict, prefix && i == tl.n - 1);
	}
	toklist_free(&tl);
	free(s);
	free(copy);
	return 0;

fail:
	toklist_free(&tl);
	free(s);
	free(copy);
	return -1;
}

int
match_keyword_check(const char *keyword, char **cause)
{
	struct keyword kw;

	if (keyword_compile(keyword, &kw, cause) != 0)
		return -1;
	keyword_free(&kw);
	return 0;
}

static int
entry_cmp(const void *a, const void *b)
{
	const struct entry *ea = a, *eb = b;

	return strcmp(ea->s, eb->s);
}

struct match_filter *
match_filter_new(char *const *any, size_t nany, char *const *all, size_t nall,
    char *const *none, size_t nnone, char **cause)
{
	struct match_filter *mf;
	char *const *lists[3] = {any, all, none};
	size_t counts[3] = {nany, nall, nnone};
	struct keyword *kw;
	struct kwtok *kt;
	size_t i, j, n;

	mf = xcalloc(1, sizeof *mf);
	mf->fields = MATCH_FIELDS_ALL;
	mf->kws = xcalloc(nany + nall + nnone, sizeof *mf->kws);
	for (i = 0; i < 3; i++) {
		for (j = 0; j < counts[i]; j++) {
			n = mf->nany + mf->nall + mf->nnone;
			if (keyword_compile(lists[i][j], &mf->kws[n], cause) !=
			    0)
				goto fail;
			if (i == 0)
				mf->nany++;
			else if (i == 1)
				mf->nall++;
			else
				mf->nnone++;
		}
	}

	n = mf->nany + mf->nall + mf->nnone;
	for (i = 0; i < n; i++)
		mf->nindex += mf->kws[i].toks[0].naccept;
	mf->index = xcalloc(mf->nindex, sizeof *mf->index);
	mf->nindex = 0;
	for (i = 0; i < n; i++) {
		kw = &mf->kws[i];
		kt = &kw->toks[0];
		for (j = 0; j < kt->naccept; j++) {
			mf->index[mf->nindex].s = kt->accept[j];
			mf->index[mf->nindex].kw = i;
			mf->index[mf->nindex].prefix = kt->prefix;
			mf->nindex++;
		}
		for (j = 0; kt->prefix && j < kt->naccept; j++) {
			if (strlen(kt->accept[j]) > mf->maxprefix)
				mf->maxprefix = strlen(kt->accept[j]);
		}
	}
	if (mf->nindex > 0)
		qsort(mf->index, mf->nindex, sizeof *mf->index, entry_cmp);
	return mf;

fail:
	match_filter_free(mf);
	return NULL;
}

void
match_filter_free(struct match_filter *mf)
{
	size_t i;

	if (mf == NULL)
		return;
	for (i = 0; i < mf->nany + mf->nall + mf->nnone; i++)
		keyword_free(&mf->kws[i]);
	free(mf->kws);
	free(mf->index);
	free(mf);
}

void
match_filter_set_fields(struct match_filter *mf, unsigned kinds)
{
	mf->fields = kinds;
}

unsigned
match_filter_fields(const struct match_filter *mf)
{
	return mf->nany + mf->nall + mf->nnone == 0 ? 0 : mf->fields;
}

/* Does keyword kw match at token i of a field? Its first token does. */
static int
phrase_rest(const struct keyword *kw, const struct match_field *f, size_t i)
{
	size_t j;

	if (f->ntokens - i < kw->ntoks)
		return 0;
	for (j = 1; j < kw->ntoks; j++) {
		if (!kwtok_accepts(&kw->toks[j], f->tokens[i + j]))
			return 0;
	}
	return 1;
}

/* Mark the keywords whose first token accepts the first len bytes of t. */
static void
lookup(const struct match_filter *mf, const struct match_field *f, size_t i,
    size_t len, char *matched)
{
	const char *t = f->tokens[i];
	size_t lo = 0, hi = mf->nindex, mid;
	const struct entry *e;
	int whole = t[len] == '\0';

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (key_cmp(t, len, mf->index[mid].s) > 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < mf->nindex; lo++) {
		e = &mf->index[lo];
		if (key_cmp(t, len, e->s) != 0)
			break;
		if (matched[e->kw] || (!whole && !e->prefix))
			continue;
		if (phrase_rest(&mf->kws[e->kw], f, i))
			matched[e->kw] = 1;
	}
}

int
match_filter_test(const struct match_filter *mf, const struct match_text *mt)
{
	const struct match_field *f;
	const char *t;
	char *matched;
	size_t nkw, i, j, k;
	int pass = 1, any = 0;

	nkw = mf->nany + mf->nall + mf->nnone;
	if (nkw == 0)
		return 1;
	matched = xcalloc(nkw, 1);
	for (i = 0; i < mt->nfields; i++) {
		f = &mt->fields[i];
		if ((f->kind & mf->fields) == 0)
			continue;
		for (j = 0; j < f->ntokens; j++) {
			t = f->tokens[j];
			lookup(mf, f, j, strlen(t), matched);
			/* A hostile feed's huge token costs no more than a
			 * short one. */
			for (k = 1; k <= mf->maxprefix && t[k] != '\0'; k++) {
				if (((unsigned char)t[k] & 0xc0) != 0x80)
					lookup(mf, f, j, k, matched);
			}
		}
	}

	for (i = 0; i < mf->nany; i++)
		any |= matched[i];
	if (mf->nany > 0 && !any)
		pass = 0;
	for (i = mf->nany; i < mf->nany + mf->nall; i++) {
		if (!matched[i])
			pass = 0;
	}
	for (i = mf->nany + mf->nall; i < nkw; i++) {
		if (matched[i])
			pass = 0;
	}
	free(matched);
	return pass;
}
