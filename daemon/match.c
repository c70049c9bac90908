/*
 * match: text normalization and keyword filters, as specified in
 * ARABIC-MATCHING.md. Item text goes through H (HTML to text), U (utf8proc
 * fold), A (Arabic-script fold) and T (tokens); keywords skip H.
 *
 * Each keyword token is compiled into the set of text tokens it accepts;
 * a filter keeps the accepted strings of its keywords' first tokens in a
 * hash table with a bitmap in front, so that testing a text costs a bit
 * test or two per token and nothing per keyword.
 *
 * U, A and T run through a table of what each code point becomes, filled
 * from utf8proc one code point at a time as they are met. That is exact
 * because in the ranges the table covers no two characters interact after
 * the marks are gone (canonical composition of two starters happens only in
 * Hangul and some Indic and Tibetan vowel signs); text with any other code
 * point takes utf8proc's own path, the reference.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

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

/*
 * One token: where it is in its buffer, and its hashes. A prefix string is
 * found by the hash of its first HEAD_LONG code points if it has as many,
 * else of its first HEAD_SHORT (it has that many at least): so that the
 * long prefixes, most of them, are not looked at for every token that
 * starts like them (وال, بال, الت ...).
 */
#define HEAD_SHORT 3
#define HEAD_LONG 5
struct tok {
	size_t off;
	uint32_t len;	/* in bytes */
	uint32_t hash;	/* of its code points */
	uint32_t head;	/* of its first HEAD_SHORT code points (all if fewer) */
	uint32_t head5; /* of its first HEAD_LONG code points (all if fewer) */
};

/* Tokens cut from a string, each NUL-terminated in one buffer. */
struct toklist {
	struct buf data;
	struct tok *toks;
	size_t n;
	size_t size;
	/* The token being written. */
	enum tclass cur;
	uint32_t hash;
	size_t nchars;
	/*
	 * The tokens that passed the union's bitmap (below) as they ended, in
	 * order, and how (union_passes).
	 */
	struct passed *cands;
	size_t ncands;
	size_t candsize;
};

/* A token that passed the union's bitmap (struct toklist). */
struct passed {
	uint32_t tok;
	uint32_t pass;
};

/*
 * The union's bitmaps (below), here so that tokens are tested against them
 * as they end: 2^22 bits, 512 KB, for the hashes of whole strings; 2^16
 * bits, 8 KB, for the heads of prefix strings, which are few (a few per
 * prefix keyword) but looked up for most tokens, two heads each: in a
 * bitmap of their own they stay in the nearest cache, and a token costs one
 * access to the large one. Never NULL: with no filter they are all zero.
 */
#define UNION_BITS_LOG 22
#define UNION_HBITS_LOG 16
static uint64_t union_bits[((size_t)1 << UNION_BITS_LOG) / 64];
static uint64_t union_hbits[((size_t)1 << UNION_HBITS_LOG) / 64];

/* A field's tokens: a range of its text's. */
struct match_field {
	unsigned kind; /* a MATCH_FIELD_* bit, or all of them */
	const struct tok *toks;
	size_t ntokens;
};

struct match_text {
	struct match_field *fields;
	size_t nfields;
	char *data;
	struct tok *toks;
	size_t ntoks;
	/*
	 * Whether the text passes each filter of the union (below) that it
	 * saw, a bit by its index among the union's members (npass words).
	 */
	uint64_t *pass;
	size_t npass;
	uint64_t gen;	     /* of the union when it was made */
	const char **tokens; /* for match_text_tokens, made on demand */
	size_t size;	     /* of its block */
	struct toklist tl;   /* where its tokens were cut: toks and data */
};

/*
 * The block of the last text freed, and the token list it was cut in, kept
 * for the next one (texts are made and freed one item after another): no
 * malloc and free per item, and no copy of the tokens. Blocks larger than
 * this go back to malloc, and so do token lists beyond the sizes in
 * toklist_huge. Single-threaded, as the daemon is.
 */
#define MATCH_SPARE_MAX (256 * 1024)
static struct match_text *match_spare;
static struct toklist match_spare_tl;

/* An accepted string, and the keyword it is a first token of. */
struct entry {
	const char *s;
	uint32_t len;
	uint32_t hash;
	uint32_t head; /* what it is found by as a prefix (str_hashes) */
	uint32_t kw;
	int prefix; /* a text token need only start with it */
};

/*
 * Accepted strings in two hash tables of open addressing (linear probing,
 * at most half full): every entry by its hash, the prefix entries by their
 * head. A slot holds the hash (or head) in its high half and the entry's
 * index + 1 in its low half (0: empty), so that a lookup reads the entry
 * only when the hash is the token's.
 */
struct strtab {
	struct entry *entries;
	size_t n;
	uint64_t *whole;
	uint64_t *pfx; /* NULL without prefix entries */
	uint32_t mask; /* the number of slots - 1 */
};

/* One token of a keyword and the text tokens it accepts. */
struct kwtok {
	char **accept; /* sorted, no duplicates */
	size_t naccept;
	int prefix;	   /* a text token need only start with one */
	enum tclass class; /* of the token, so of every string it accepts */
	struct strtab tab; /* of accept */
};

struct keyword {
	struct kwtok *toks;
	size_t ntoks;
};

/*
 * The bitmaps in front of a filter's table have 2^17 bits (16 KB each):
 * with a few thousand accepted strings, a few percent of the tokens that
 * match nothing get past them.
 */
#define FILTER_BITS_LOG 17

struct match_filter {
	struct keyword *kws; /* the any, then all, then none keywords */
	size_t nany;
	size_t nall;
	size_t nnone;
	struct strtab tab; /* every first token's accepted strings */
	uint64_t *bits;	   /* their hashes */
	uint64_t *pbits;   /* the prefix ones' heads; NULL if none */
	unsigned fields;   /* the kinds of field it looks at */
	/* In the union (below). */
	uint64_t gen;	 /* when it joined */
	uint32_t member; /* its index among the union's members */
};

/*
 * Code points are hashed whole, as their UTF-8 bytes packed into a word
 * (the first byte lowest) with their length and class above (hash_unit):
 * one multiplication each. That is the entry of the fold table (below) of
 * a code point that folds to one, so its loop hashes entries as they are.
 */
#define HASH_OFFSET 2166136261u
#define HASH_PRIME 16777619u

static uint32_t
hash_step(uint32_t h, uint32_t unit)
{
	return (h ^ unit) * HASH_PRIME;
}

/* What hash_step takes for a code point: its UTF-8 packed, n bytes long. */
static uint32_t
hash_unit(uint32_t unit, size_t n, enum tclass c)
{
	if (n > 3)
		return unit;
	return unit | (uint32_t)n << 24 | (uint32_t)c << 26;
}

static void
toklist_init(struct toklist *tl)
{
	memset(tl, 0, sizeof *tl);
	buf_init(&tl->data);
}

static void
toklist_free(struct toklist *tl)
{
	buf_free(&tl->data);
	free(tl->toks);
	free(tl->cands);
	toklist_init(tl);
}

/*
 * A hash sets one bit of the union's bitmap: with some 10^5 strings in 4
 * million bits, a token no filter wants gets past it seldom, after a
 * shift and one memory access: the bit is the hash's high bits, mixed
 * enough by its last multiplication (hash_step).
 */
static void
bit_set(uint64_t *bits, uint32_t b)
{
	bits[b >> 6] |= (uint64_t)1 << (b & 63);
}

static unsigned
bit_test(const uint64_t *bits, uint32_t b)
{
	return (unsigned)(bits[b >> 6] >> (b & 63)) & 1;
}

static uint32_t
union_bit(uint32_t h)
{
	return h >> (32 - UNION_BITS_LOG);
}

static unsigned
union_test(uint32_t h)
{
	return bit_test(union_bits, union_bit(h));
}

/* Likewise for a head, in the small bitmap. */
static uint32_t
union_hbit(uint32_t h)
{
	return h >> (32 - UNION_HBITS_LOG);
}

static unsigned
union_htest(uint32_t h)
{
	return bit_test(union_hbits, union_hbit(h));
}

/*
 * Whether a token of hash h and nch code points (HEAD_LONG or more: at
 * least as many) passes the union's bitmap by its hash (1) or one of its
 * heads (2). A prefix string has HEAD_SHORT code points at least and a
 * token that starts with it has more (strtab_prefix), so only the heads of
 * a longer token can lead to one; and head5 only when the token is longer
 * than HEAD_LONG - 1 (else it is the token's hash).
 */
static unsigned
union_passes(uint32_t h, const struct tok *t, uint32_t nch)
{
	unsigned pass = union_test(h);

	if (nch > HEAD_SHORT) {
		pass |= union_htest(t->head) << 1;
		if (nch >= HEAD_LONG)
			pass |= union_htest(t->head5) << 1;
	}
	return pass;
}

/* Token t, just ended, passed the union's bitmap (pass, not 0). */
static void __attribute__((noinline)) toklist_cands_grow(struct toklist *tl)
{
	tl->candsize = tl->candsize == 0 ? 64 : tl->candsize * 2;
	tl->cands = xreallocarray(tl->cands, tl->candsize, sizeof *tl->cands);
}

static inline void
toklist_cand(struct toklist *tl, const struct tok *t, unsigned pass)
{
	if (tl->ncands == tl->candsize)
		toklist_cands_grow(tl);
	tl->cands[tl->ncands].tok = (uint32_t)(t - tl->toks);
	tl->cands[tl->ncands++].pass = pass;
}

/* Too large to keep for the next text. */
static int
toklist_huge(const struct toklist *tl)
{
	return tl->data.size > 1024 * 1024 || tl->size > 64 * 1024;
}

/* Room for more tokens. */
static void __attribute__((noinline)) toklist_grow(struct toklist *tl)
{
	tl->size = tl->size == 0 ? 64 : tl->size * 2;
	tl->toks = xreallocarray(tl->toks, tl->size, sizeof *tl->toks);
}

static void
toklist_start(struct toklist *tl)
{
	struct tok *t;

	if (tl->n == tl->size)
		toklist_grow(tl);
	t = &tl->toks[tl->n++];
	t->off = tl->data.len;
	tl->hash = HASH_OFFSET;
	tl->nchars = 0;
}

/* The token being written ends; there is room for its NUL. */
static void
toklist_end(struct toklist *tl)
{
	struct tok *t = &tl->toks[tl->n - 1];
	unsigned pass;

	t->len = (uint32_t)(tl->data.len - t->off);
	t->hash = tl->hash;
	if (tl->nchars < HEAD_SHORT)
		t->head = tl->hash;
	if (tl->nchars < HEAD_LONG)
		t->head5 = tl->hash;
	tl->data.data[tl->data.len++] = '\0';
	if ((pass = union_passes(t->hash, t, (uint32_t)tl->nchars)) != 0)
		toklist_cand(tl, t, pass);
}

/*
 * T: one code point, after U and A, into the tokens: unit is its UTF-8
 * packed (utf8_pack), n its length. There must be room for it and a NUL.
 */
static void
toklist_put(struct toklist *tl, uint32_t unit, size_t n, enum tclass c)
{
	unsigned char *p;

	if (c != tl->cur) {
		if (tl->cur != TC_NONE)
			toklist_end(tl);
		if (c != TC_NONE)
			toklist_start(tl);
		tl->cur = c;
	}
	if (c == TC_NONE)
		return;
	p = (unsigned char *)tl->data.data + tl->data.len;
	p[0] = (unsigned char)unit;
	if (n > 1)
		p[1] = (unsigned char)(unit >> 8);
	if (n > 2)
		p[2] = (unsigned char)(unit >> 16);
	if (n > 3)
		p[3] = (unsigned char)(unit >> 24);
	tl->data.len += n;
	tl->hash = hash_step(tl->hash, hash_unit(unit, n, c));
	if (++tl->nchars == HEAD_SHORT)
		tl->toks[tl->n - 1].head = tl->hash;
	else if (tl->nchars == HEAD_LONG)
		tl->toks[tl->n - 1].head5 = tl->hash;
}

/* A code point's UTF-8, packed as toklist_put takes it; returns its length. */
static size_t
utf8_pack(int32_t cp, uint32_t *unit)
{
	uint32_t c = (uint32_t)cp;

	if (c < 0x80) {
		*unit = c;
		return 1;
	}
	if (c < 0x800) {
		*unit = (0xc0 | c >> 6) | (0x80 | (c & 0x3f)) << 8;
		return 2;
	}
	if (c < 0x10000) {
		*unit = (0xe0 | c >> 12) | (0x80 | (c >> 6 & 0x3f)) << 8 |
			(0x80 | (c & 0x3f)) << 16;
		return 3;
	}
	*unit = (0xf0 | c >> 18) | (0x80 | (c >> 12 & 0x3f)) << 8 |
		(0x80 | (c >> 6 & 0x3f)) << 16 | (0x80 | (c & 0x3f)) << 24;
	return 4;
}

/* The end of a string: its last token ends. */
static void
toklist_finish(struct toklist *tl)
{
	buf_make_room(&tl->data, 1);
	if (tl->cur != TC_NONE)
		toklist_end(tl);
	tl->cur = TC_NONE;
	tl->data.data[tl->data.len] = '\0';
}

/* Forget the tokens from token n and byte len on. */
static void
toklist_truncate(struct toklist *tl, size_t n, size_t len)
{
	tl->n = n;
	while (tl->ncands > 0 && tl->cands[tl->ncands - 1].tok >= n)
		tl->ncands--;
	tl->data.len = len;
	if (tl->data.data != NULL)
		tl->data.data[len] = '\0';
	tl->cur = TC_NONE;
}

static const char *
toklist_get(const struct toklist *tl, size_t i)
{
	return tl->data.data + tl->toks[i].off;
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

/*
 * The length of the valid UTF-8 sequence at s (of len bytes), or 0: the
 * rules of utf8proc_iterate (no overlong forms, surrogates, or values past
 * U+10FFFF).
 */
static size_t
utf8_valid(const unsigned char *s, size_t len)
{
	unsigned char c = s[0];

	if (c < 0x80)
		return 1;
	if (c < 0xc2 || c > 0xf4)
		return 0;
	if (c < 0xe0)
		return len >= 2 && (s[1] & 0xc0) == 0x80 ? 2 : 0;
	if (c < 0xf0) {
		if (len < 3 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80)
			return 0;
		if ((c == 0xe0 && s[1] < 0xa0) || (c == 0xed && s[1] > 0x9f))
			return 0;
		return 3;
	}
	if (len < 4 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80 ||
	    (s[3] & 0xc0) != 0x80)
		return 0;
	if ((c == 0xf0 && s[1] < 0x90) || (c == 0xf4 && s[1] > 0x8f))
		return 0;
	return 4;
}

/* Where the first byte that does not start a valid sequence is, or len. */
static size_t
utf8_check(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, n;

	while (i < len) {
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		if ((n = utf8_valid(p + i, len - i)) == 0)
			return i;
		i += n;
	}
	return len;
}

/* Replace each byte that does not start a valid sequence by U+FFFD. */
static void
sanitize_utf8(const char *s, size_t len, struct buf *out)
{
	size_t i = 0, n;

	while (i < len) {
		n = utf8_valid((const unsigned char *)s + i, len - i);
		if (n == 0) {
			add_utf8(out, 0xfffd);
			i++;
		} else {
			buf_add(out, s + i, n);
			i += n;
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

/*
 * The steps of H write into out at once: none of them makes a text longer,
 * so room for the input is enough.
 */
static char *
out_start(struct buf *out, size_t len)
{
	buf_reset(out);
	buf_make_room(out, len);
	return out->data;
}

static void
out_end(struct buf *out, char *w)
{
	out->len = (size_t)(w - out->data);
	out->data[out->len] = '\0';
}

/*
 * If a comment, script or style starts at q (a '<'), where it ends: after
 * its end, or at the end of the string when it has none. NULL otherwise.
 */
static const char *
block_end(const char *q)
{
	const char *e;

	if (strncmp(q, "<!--", 4) == 0) {
		/* "<!-->" closes itself, as in HTML5. */
		e = strstr(q + 2, "-->");
		return e != NULL ? e + 3 : q + strlen(q);
	}
	if (has_tag_name(q + 1, "script"))
		e = raw_element_end(q + 7, "script");
	else if (has_tag_name(q + 1, "style"))
		e = raw_element_end(q + 6, "style");
	else
		return NULL;
	return e != NULL ? e : q + strlen(q);
}

/* H (1): comments, scripts and styles become one space each. */
static void
html_blocks(const char *s, size_t len, struct buf *out)
{
	const char *p = s, *q, *e;
	char *w = out_start(out, len);

	while ((q = strchr(p, '<')) != NULL) {
		memcpy(w, p, (size_t)(q - p));
		w += q - p;
		if ((e = block_end(q)) == NULL) {
			*w++ = '<';
			p = q + 1;
			continue;
		}
		*w++ = ' ';
		p = e;
	}
	len = strlen(p);
	memcpy(w, p, len);
	out_end(out, w + len);
}

/* H (2): tags become one space each; an unclosed one runs to the end. */
static void
html_tags(const char *s, size_t len, struct buf *out)
{
	const char *p = s, *q, *e;
	char *w = out_start(out, len);

	while ((q = strchr(p, '<')) != NULL) {
		memcpy(w, p, (size_t)(q - p));
		w += q - p;
		if (!is_alpha(q[1]) && q[1] != '/' && q[1] != '!' &&
		    q[1] != '?') {
			*w++ = '<';
			p = q + 1;
			continue;
		}
		*w++ = ' ';
		if ((e = strchr(q, '>')) == NULL) {
			out_end(out, w);
			return;
		}
		p = e + 1;
	}
	len = strlen(p);
	memcpy(w, p, len);
	out_end(out, w + len);
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

/* The length of the character reference at q (a '&') and its value, or 0. */
static size_t
char_ref(const char *q, int32_t *cp)
{
	static const struct {
		const char *name;
		size_t len;
		int32_t cp;
	} names[] = {
	    {"&amp;", 5, '&'},
	    {"&apos;", 6, '\''},
	    {"&gt;", 4, '>'},
	    {"&lt;", 4, '<'},
	    {"&nbsp;", 6, 0xa0},
	    {"&quot;", 6, '"'},
	};
	size_t i;

	if (q[1] == '#')
		return numeric_ref(q, cp);
	for (i = 0; i < nitems(names); i++) {
		if (strncmp(q, names[i].name, names[i].len) == 0) {
			*cp = names[i].cp;
			return names[i].len;
		}
	}
	return 0;
}

/*
 * H (3): character references, decoded once. None is shorter than what it
 * stands for: "&#0;" gives the three bytes of U+FFFD.
 */
static void
html_refs(const char *s, size_t len, struct buf *out)
{
	const char *p = s, *q;
	char *w = out_start(out, len);
	utf8proc_uint8_t tmp[4];
	size_t n, k;
	int32_t cp;

	while ((q = strchr(p, '&')) != NULL) {
		memcpy(w, p, (size_t)(q - p));
		w += q - p;
		if ((n = char_ref(q, &cp)) == 0) {
			*w++ = '&';
			p = q + 1;
		} else {
			k = (size_t)utf8proc_encode_char(cp, tmp);
			memcpy(w, tmp, k);
			w += k;
			p = q + n;
		}
	}
	len = strlen(p);
	memcpy(w, p, len);
	out_end(out, w + len);
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
	utf8proc_int32_t cp;
	utf8proc_ssize_t n;
	uint32_t unit;
	size_t i, k;

	for (i = 0; i < len; i += (size_t)n) {
		n = utf8proc_iterate((const utf8proc_uint8_t *)s + i,
		    (utf8proc_ssize_t)(len - i), &cp);
		if (n < 0)
			fatalx(
			    "%s: invalid UTF-8 after normalization", __func__);
		if ((cp = fold_arabic(cp)) == -1)
			continue;
		k = utf8_pack(cp, &unit);
		buf_make_room(&tl->data, k + 1);
		toklist_put(tl, unit, k, classify(cp));
	}
	toklist_finish(tl);
}

/* U then A and T by utf8proc itself, on valid UTF-8: the reference. */
static void
normalize_slow(const char *s, size_t len, struct toklist *tl)
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

/*
 * What each code point of the Basic Multilingual Plane becomes through U
 * and A, filled in as code points are met. FOLD_UNKNOWN until then;
 * FOLD_SLOW outside the ranges that fold one code point at a time;
 * FOLD_NONE when it vanishes; one code point as its UTF-8 packed (low 24
 * bits), its length (2 bits) and its class (2 bits), which is what
 * hash_unit makes of it; or FOLD_MANY with
 * where its code points are in fold_pool (low 21 bits) and how many (5
 * bits). Single-threaded, as the daemon is.
 */
#define FOLD_UNKNOWN 0u
#define FOLD_SLOW 0x80000000u
#define FOLD_NONE 0x40000000u
#define FOLD_MANY 0x20000000u
#define FOLD_LEN(v) ((size_t)((v) >> 24 & 3))
#define FOLD_CLASS(v) ((enum tclass)((v) >> 26 & 3))
#define FOLD_CLASS_BITS (3u << 26)
#define FOLD_FLAGS (FOLD_SLOW | FOLD_NONE | FOLD_MANY)
#define FOLD_POOL_AT(v) ((v)&0x1fffff)
#define FOLD_POOL_N(v) ((size_t)((v) >> 21 & 0x1f))

static uint32_t *fold_table;
/*
 * The entries of fold_table that tokens_run reads, by the bytes of a code
 * point of one byte (fold_fast[b0]) or two (fold_fast[FOLD_FAST_2(b0,
 * b1)], a lead byte 0xc0-0xdf): so that it needs no check of its own that
 * a sequence is valid, nor a code point worked out. FOLD_BAIL where the
 * bytes are no valid sequence, and for '<' and '&' (maybe markup) and the
 * NUL at the end: tokens_run stops there and lets normalize_fast decide.
 */
#define FOLD_BAIL 0xffffffffu
#define FOLD_FAST_2(b0, b1) (0x80u + (((b0)-0xc0u) << 8 | (b1)))
#define FOLD_FAST_SIZE (0x80 + 0x20 * 0x100)
static uint32_t *fold_fast;
/*
 * The entries of fold_fast that are Arabic letters of two bytes folding to
 * two (ARABIC_WANT under ARABIC_MASK), by the two bytes read as one
 * uint16_t (ARABIC_PAIR); 0 for any other two bytes: so that tokens_run
 * finds the common case with one load and one test.
 */
#define ARABIC_WANT ((uint32_t)TC_ARABIC << 26 | 2u << 24)
#define ARABIC_MASK (FOLD_FLAGS | FOLD_CLASS_BITS | 3u << 24)
static uint32_t *fold_arabic2;
static uint32_t *fold_pool;
static size_t fold_npool;
static size_t fold_pool_size;

/*
 * The ranges where U of a text is U of each code point in turn: after the
 * marks are stripped, canonical composition could only join two starters,
 * and none of these is one half of such a pair (those are Hangul jamo and
 * syllables, and vowel signs of Bengali, Oriya, Tamil, Kannada, Malayalam,
 * Sinhala, Tibetan, Myanmar, Balinese and some historic scripts).
 */
static int
fold_safe(uint32_t cp)
{
	static const struct {
		uint32_t lo, hi;
	} ranges[] = {
	    {0x0001, 0x08ff}, /* Latin to Arabic Extended-A */
	    {0x1e00, 0x1fff}, /* Latin Extended Additional, Greek Extended */
	    {0x2000, 0x2bff}, /* punctuation, symbols, enclosed, arrows */
	    {0x3000, 0x303f}, /* CJK symbols and punctuation */
	    {0xfb00, 0xff60}, /* presentation forms, fullwidth ASCII */
	    {0xffe0, 0xffef}, /* fullwidth signs */
	};

	for (size_t i = 0; i < nitems(ranges); i++)
		if (cp >= ranges[i].lo && cp <= ranges[i].hi)
			return 1;
	return 0;
}

/* One folded code point as a table entry; FOLD_SLOW if it is not a BMP one. */
static uint32_t
fold_entry(int32_t cp)
{
	uint32_t unit;
	size_t n;

	if ((n = utf8_pack(cp, &unit)) > 3)
		return FOLD_SLOW;
	return unit | (uint32_t)n << 24 | (uint32_t)classify(cp) << 26;
}

static uint32_t fold_compute(uint32_t);

/*
 * The tables, every code point unknown yet but ASCII: tokens_run takes an
 * entry of one byte as known.
 */
static void
fold_init(void)
{
	uint32_t cp;

	fold_table = xcalloc(0x10000, sizeof *fold_table);
	fold_fast = xreallocarray(NULL, FOLD_FAST_SIZE, sizeof *fold_fast);
	memset(fold_fast, 0xff, FOLD_FAST_SIZE * sizeof *fold_fast);
	fold_arabic2 = xcalloc(0x10000, sizeof *fold_arabic2);
	for (cp = 1; cp < 0x80; cp++)
		if (cp != '<' && cp != '&')
			fold_fast[cp] = FOLD_UNKNOWN;
	for (cp = 0x80; cp < 0x800; cp++)
		fold_fast[FOLD_FAST_2(0xc0 | cp >> 6, 0x80 | (cp & 0x3f))] =
		    FOLD_UNKNOWN;
	for (cp = 1; cp < 0x80; cp++)
		fold_compute(cp);
}

static uint32_t fold_compute_table(uint32_t);

/* U and A of one code point, into the tables. */
static uint32_t
fold_compute(uint32_t cp)
{
	uint32_t v = fold_compute_table(cp);

	if (cp < 0x80) {
		if (cp != 0 && cp != '<' && cp != '&')
			fold_fast[cp] = v;
	} else if (cp < 0x800) {
		unsigned char b[2] = {0xc0 | cp >> 6, 0x80 | (cp & 0x3f)};
		uint16_t u;

		fold_fast[FOLD_FAST_2(b[0], b[1])] = v;
		if ((v & ARABIC_MASK) == ARABIC_WANT) {
			memcpy(&u, b, 2);
			fold_arabic2[u] = v;
		}
	}
	return v;
}

/* U and A of one code point, by the reference path, into fold_table. */
static uint32_t
fold_compute_table(uint32_t cp)
{
	utf8proc_uint8_t in[4], *out;
	utf8proc_ssize_t n, k;
	utf8proc_int32_t c;
	uint32_t got[31], v;
	size_t ngot = 0, i;

	if (!fold_safe(cp))
		return fold_table[cp] = FOLD_SLOW;
	n = utf8proc_encode_char((utf8proc_int32_t)cp, in);
	n = utf8proc_map_custom(in, n, &out,
	    UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_COMPAT |
		UTF8PROC_CASEFOLD | UTF8PROC_IGNORE | UTF8PROC_STRIPMARK,
	    fold_zero_width, NULL);
	if (n < 0)
		return fold_table[cp] = FOLD_SLOW;
	for (i = 0; i < (size_t)n; i += (size_t)k) {
		k = utf8proc_iterate(out + i, n - (utf8proc_ssize_t)i, &c);
		if (k < 0 || ngot == nitems(got)) {
			free(out);
			return fold_table[cp] = FOLD_SLOW;
		}
		if ((c = fold_arabic(c)) == -1)
			continue;
		if ((got[ngot++] = fold_entry(c)) == FOLD_SLOW) {
			free(out);
			return fold_table[cp] = FOLD_SLOW;
		}
	}
	free(out);
	if (ngot == 0)
		v = FOLD_NONE;
	else if (ngot == 1)
		v = got[0];
	else if (fold_npool + ngot > 0x1fffff)
		v = FOLD_SLOW;
	else {
		v = FOLD_MANY | (uint32_t)ngot << 21 | (uint32_t)fold_npool;
		if (fold_npool + ngot > fold_pool_size) {
			fold_pool_size =
			    fold_pool_size == 0 ? 256 : fold_pool_size * 2;
			fold_pool = xreallocarray(
			    fold_pool, fold_pool_size, sizeof *fold_pool);
		}
		for (i = 0; i < ngot; i++)
			fold_pool[fold_npool++] = got[i];
	}
	return fold_table[cp] = v;
}

/*
 * Where the tag opened at q (a '<') ends, as H (2) sees it after H (1):
 * at its first '>' once the comments, scripts and styles inside it are
 * gone; at the end of the string if there is none. q is in normalize_fast's
 * copy of the text, which has TAG_PAD bytes after its NUL, so that the
 * next '<', '>' or NUL is looked for 16 bytes at a time.
 */
#define TAG_PAD 16
static const char *
tag_end(const char *q)
{
	const char *p = q + 1, *e;
#ifdef __SSE2__
	__m128i v, lt = _mm_set1_epi8('<'), gt = _mm_set1_epi8('>'),
		   nul = _mm_setzero_si128();
	unsigned m;
#endif

	for (;;) {
#ifdef __SSE2__
		for (;; p += 16) {
			v = _mm_loadu_si128((const __m128i *)p);
			m = (unsigned)_mm_movemask_epi8(
			    _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, lt),
					     _mm_cmpeq_epi8(v, gt)),
				_mm_cmpeq_epi8(v, nul)));
			if (m != 0) {
				p += __builtin_ctz(m);
				break;
			}
		}
#else
		while (*p != '\0' && *p != '<' && *p != '>')
			p++;
#endif
		if (*p == '>')
			return p + 1;
		if (*p == '\0')
			return p;
		if ((e = block_end(p)) != NULL)
			p = e;
		else
			p++;
	}
}

/* The token being written by normalize_fast and tokens_run. */
struct tstate {
	const char *p;	  /* two NULs at the end (normalize_fast) */
	unsigned char *w; /* the next byte of the token list's data */
	struct tok *t;
	uint32_t h;	 /* its hash so far */
	uint32_t nch;	 /* its code points so far, up to 3 */
	enum tclass cur; /* its class; TC_NONE between tokens */
};

/* T, with the token being written in locals. */
#define TOKEN_START(c)                                                         \
	do {                                                                   \
		if (tl->n == tl->size)                                         \
			toklist_grow(tl);                                      \
		t = &tl->toks[tl->n++];                                        \
		t->off = (size_t)(w - base);                                   \
		h = HASH_OFFSET;                                               \
		nch = 0;                                                       \
		cur = (c);                                                     \
	} while (0)
/*
 * Four bytes whatever its length (the reserve has room): the bytes after
 * the code point's are written over by the next one or the token's NUL.
 */
#define TOKEN_BYTES(v)                                                         \
	do {                                                                   \
		uint32_t v_ = (v);                                             \
		memcpy(w, &v_, 4);                                             \
		w += FOLD_LEN(v_);                                             \
		h = hash_step(h, v_);                                          \
	} while (0)
#define TOKEN_PUT(v)                                                           \
	do {                                                                   \
		TOKEN_BYTES(v);                                                \
		if (nch < HEAD_LONG) {                                         \
			if (++nch == HEAD_SHORT)                               \
				t->head = h;                                   \
			else if (nch == HEAD_LONG)                             \
				t->head5 = h;                                  \
		}                                                              \
	} while (0)
#define TOKEN_END()                                                            \
	do {                                                                   \
		t->len = (uint32_t)(w - base - t->off);                        \
		t->hash = h;                                                   \
		if (nch < HEAD_SHORT)                                          \
			t->head = h;                                           \
		if (nch < HEAD_LONG)                                           \
			t->head5 = h;                                          \
		*w++ = '\0';                                                   \
		if ((pass_ = union_passes(h, t, nch)) != 0)                    \
			toklist_cand(tl, t, pass_);                            \
	} while (0)
/*
 * The table entry v and length k of the code point at p, if it takes one
 * byte or two; else goto out. p[1] is read only after a lead byte, so
 * before the NUL at the end at the latest.
 */
#define FAST_NEXT(out)                                                         \
	do {                                                                   \
		unsigned b0_ = (unsigned char)p[0];                            \
		if (b0_ < 0x80) {                                              \
			v = fast[b0_];                                         \
			k = 1;                                                 \
		} else if (b0_ - 0xc0u < 0x20u) {                              \
			v = fast[FOLD_FAST_2(b0_, (unsigned char)p[1])];       \
			k = 2;                                                 \
		} else                                                         \
			goto out;                                              \
	} while (0)

/*
 * One more code point of the token's class, of one byte or two; else goto
 * end (another class or a separator) or out (what FAST_NEXT leaves).
 */
#define ANY_STEP()                                                             \
	do {                                                                   \
		FAST_NEXT(out);                                                \
		if ((v & (FOLD_FLAGS | FOLD_CLASS_BITS)) != want)              \
			goto end;                                              \
		p += k;                                                        \
		TOKEN_BYTES(v);                                                \
	} while (0)

/*
 * One more Arabic letter of the token, two bytes that fold to two; else
 * goto miss (here and in arabic_words). Two bytes are read at p up to the
 * NUL at the end: the string has one more after it (normalize_fast), and
 * no pair with a NUL is a letter.
 */
#define ARABIC_STEP(miss)                                                      \
	do {                                                                   \
		uint16_t u_;                                                   \
		memcpy(&u_, p, 2);                                             \
		if ((v = arabic2[u_]) == 0)                                    \
			goto miss;                                             \
		p += 2;                                                        \
		memcpy(w, &v, 4);                                              \
		w += 2;                                                        \
		h = hash_step(h, v);                                           \
	} while (0)

/*
 * After n Arabic letters (HEAD_LONG: at least as many), something else
 * (ARABIC_STEP): when it is a separator of one byte, the token ends here,
 * its heads and the union's tests known from n; else arabic_slow sees to
 * it.
 */
#define ARABIC_MISS(n)                                                         \
	do {                                                                   \
		unsigned b_ = (unsigned char)*p;                               \
		if (b_ >= 0x80 ||                                              \
		    ((v = fast[b_]) & (FOLD_FLAGS | FOLD_CLASS_BITS)) != 0) {  \
			nch = (n);                                             \
			goto arabic_slow;                                      \
		}                                                              \
		t->len = (uint32_t)(w - base - t->off);                        \
		t->hash = h;                                                   \
		if ((n) < HEAD_SHORT)                                          \
			t->head = h;                                           \
		if ((n) < HEAD_LONG)                                           \
			t->head5 = h;                                          \
		*w++ = '\0';                                                   \
		if ((pass_ = union_passes(h, t, (n))) != 0)                    \
			toklist_cand(tl, t, pass_);                            \
		goto arabic_next;                                              \
	} while (0)

/*
 * Whether p is at a separator of two bytes that the table knows (a
 * non-ASCII lead byte there).
 */
static int
sep2(const uint32_t *fast, const char *p)
{
	unsigned b0 = (unsigned char)p[0];
	uint32_t v;

	if (b0 - 0xc0u >= 0x20u)
		return 0;
	v = fast[FOLD_FAST_2(b0, (unsigned char)p[1])];
	return v != FOLD_UNKNOWN && (v & (FOLD_FLAGS | FOLD_CLASS_BITS)) == 0;
}

/*
 * The commonest text of all, in a function of its own so that its few
 * variables stay in registers: Arabic words of letters of two bytes that
 * fold to two, separated by code points of one byte or two that the table
 * knows as separators. st->p is at the first letter of a word, whose entry
 * in arabic2 is v; no token is being written. Returns 0 when a word ended
 * and its separators are followed by something else (st->p there); 1 when
 * a word goes on with something else (st->p there, the token being written
 * in st, nch its code points so far, HEAD_LONG at most).
 */
static int __attribute__((noinline))
arabic_words(struct tstate *st, uint32_t v, const uint32_t *fast,
    const uint32_t *arabic2, struct toklist *tl, unsigned char *base)
{
	const char *p = st->p;
	unsigned char *w = st->w;
	struct tok *t, *tn, *tlim;
	uint32_t h, nch;
	unsigned pass;
	uint16_t u;

	/* Room for one token at least: the list is never NULL below. */
	if (tl->n == tl->size)
		toklist_grow(tl);
	tn = tl->toks + tl->n;
	tlim = tl->toks + tl->size;

/*
 * The word ends after nc letters (6: six or more), at a separator; else it
 * goes on with something else. Its heads and the union's tests follow from
 * nc (union_passes): head5 is its hash when it has five letters.
 */
#define WORD_END(nc)                                                           \
	do {                                                                   \
		unsigned b_ = (unsigned char)*p;                               \
		if (b_ >= 0x80) {                                              \
			if (!sep2(fast, p)) {                                  \
				nch = (nc) > HEAD_LONG ? HEAD_LONG : (nc);     \
				goto going_on;                                 \
			}                                                      \
			p++;                                                   \
		} else if ((fast[b_] & (FOLD_FLAGS | FOLD_CLASS_BITS)) != 0) { \
			nch = (nc) > HEAD_LONG ? HEAD_LONG : (nc);             \
			goto going_on;                                         \
		}                                                              \
		t->len = (uint32_t)(w - base - t->off);                        \
		t->hash = h;                                                   \
		if ((nc) < HEAD_SHORT)                                         \
			t->head = h;                                           \
		if ((nc) < HEAD_LONG)                                          \
			t->head5 = h;                                          \
		*w++ = '\0';                                                   \
		pass = union_test(h);                                          \
		if ((nc) > HEAD_SHORT)                                         \
			pass |= union_htest(t->head) << 1;                     \
		if ((nc) > HEAD_LONG)                                          \
			pass |= union_htest(t->head5) << 1;                    \
		if (pass != 0)                                                 \
			toklist_cand(tl, t, pass);                             \
		goto next;                                                     \
	} while (0)

	for (;;) {
		if (tn == tlim) {
			tl->n = (size_t)(tn - tl->toks);
			toklist_grow(tl);
			tn = tl->toks + tl->n;
			tlim = tl->toks + tl->size;
		}
		t = tn++;
		t->off = (size_t)(w - base);
		p += 2;
		memcpy(w, &v, 4);
		w += 2;
		h = hash_step(HASH_OFFSET, v);
		ARABIC_STEP(end1);
		ARABIC_STEP(end2);
		t->head = h;
		ARABIC_STEP(end3);
		ARABIC_STEP(end4);
		t->head5 = h;
		ARABIC_STEP(end5);
		for (;;)
			ARABIC_STEP(end6);
	end1:
		WORD_END(1);
	end2:
		WORD_END(2);
	end3:
		WORD_END(3);
	end4:
		WORD_END(4);
	end5:
		WORD_END(5);
	end6:
		/* Six letters or more. */
		WORD_END(6);
	next:
		/* The separator, and any more after it. */
		p++;
		for (;;) {
			unsigned b;

			memcpy(&u, p, 2);
			if ((v = arabic2[u]) != 0)
				break;
			b = (unsigned char)*p;
			if (b < 0x80) {
				if ((fast[b] &
					(FOLD_FLAGS | FOLD_CLASS_BITS)) != 0)
					goto done;
				p++;
			} else if (sep2(fast, p))
				p += 2;
			else
				goto done;
		}
	}
done:
	tl->n = (size_t)(tn - tl->toks);
	st->p = p;
	st->w = w;
	return 0;

going_on:
	tl->n = (size_t)(tn - tl->toks);
	st->p = p;
	st->w = w;
	st->t = t;
	st->h = h;
	st->nch = nch;
	return 1;
#undef WORD_END
}

/*
 * The tight loop of normalize_fast, in a function of its own so that its
 * few variables stay in registers: the rest of the token at st->p, as long
 * as it is code points of one byte or two that fold to one of its class
 * (most text), then its end, the separators after it and the next token
 * likewise. It stops, for normalize_fast to go on, at what the table does
 * not know yet, at what folds to nothing, to several code points or needs
 * the reference path, and at '<', '&' (which may be markup) and the NUL at
 * the end (FOLD_BAIL in fold_fast). The first three code points of a token
 * make its head; the rest go through a loop that need not count them.
 */
static void __attribute__((noinline))
tokens_run(struct tstate *st, const uint32_t *fast, const uint32_t *arabic2,
    struct toklist *tl, unsigned char *base)
{
	const char *p = st->p;
	unsigned char *w = st->w;
	struct tok *t = st->t;
	uint32_t h = st->h, nch = st->nch, v, want;
	unsigned pass_;
	enum tclass cur = st->cur, c;
	size_t k;
	want = (uint32_t)cur << 26;
	for (;;) {
		/* The heads, if the token came in without them. */
		while (nch < HEAD_LONG) {
			ANY_STEP();
			if (++nch == HEAD_SHORT)
				t->head = h;
			else if (nch == HEAD_LONG)
				t->head5 = h;
		}
	body:
		/*
		 * The rest of the token. Arabic letters take two bytes and fold
		 * to two: their loop needs no other case, and leaves the rest
		 * to arabic_slow.
		 */
		if (want == (uint32_t)TC_ARABIC << 26) {
			for (;;)
				ARABIC_STEP(arabic_miss5);
		}
	body_any:
		for (;;)
			ANY_STEP();
	end:
		/* A code point of another class, or a separator: the token
		 * ends, and the next starts here or after the separators. */
		if (v == FOLD_UNKNOWN || (v & FOLD_FLAGS))
			break;
		TOKEN_END();
		cur = TC_NONE;
		while ((c = FOLD_CLASS(v)) == TC_NONE) {
			p += k;
			FAST_NEXT(out);
		sep_next:
			if (v == FOLD_UNKNOWN || (v & FOLD_FLAGS))
				goto out;
		}
		if (k == 2 && (v & ARABIC_MASK) == ARABIC_WANT) {
			/* An Arabic word, and maybe more: arabic_words. */
			st->p = p;
			st->w = w;
			goto words;
		}
		p += k;
		TOKEN_START(c);
		want = (uint32_t)cur << 26;
		/* Its head, one code point at a time, without counting. */
		TOKEN_BYTES(v);
		nch = 1;
		if (cur == TC_ARABIC) {

			ARABIC_STEP(arabic_miss1);
			ARABIC_STEP(arabic_miss2);
			t->head = h;
			ARABIC_STEP(arabic_miss3);
			ARABIC_STEP(arabic_miss4);
			t->head5 = h;
			for (;;)
				ARABIC_STEP(arabic_miss5);
		}
		ANY_STEP();
		nch = 2;
		ANY_STEP();
		nch = 3;
		t->head = h;
		ANY_STEP();
		nch = 4;
		ANY_STEP();
		nch = 5;
		t->head5 = h;
		goto body;

	arabic_other:
		/*
		 * After an Arabic letter, ASCII (never an Arabic letter, the
		 * NUL at the end included): the token ends.
		 */
		v = fast[(unsigned char)p[0]];
		k = 1;
		if (v == FOLD_UNKNOWN || (v & (FOLD_FLAGS | FOLD_CLASS_BITS)))
			goto end;
		/*
		 * A separator of one byte, a space most often: and when an
		 * Arabic letter of two bytes follows, the next token starts
		 * with it at once.
		 */
		TOKEN_END();
	arabic_next:
		cur = TC_NONE;
		p++;
		{
			uint16_t u;

			memcpy(&u, p, 2);
			v = arabic2[u];
		}
		if (v == 0) {
			FAST_NEXT(out);
			goto sep_next;
		}
		st->p = p;
		st->w = w;
	words:
		if (arabic_words(st, v, fast, arabic2, tl, base)) {
			p = st->p;
			w = st->w;
			t = st->t;
			h = st->h;
			nch = st->nch;
			cur = TC_ARABIC;
			want = (uint32_t)TC_ARABIC << 26;
			goto arabic_slow;
		}
		p = st->p;
		w = st->w;
		FAST_NEXT(out);
		goto sep_next;
	arabic_miss1:
		ARABIC_MISS(1);
	arabic_miss2:
		ARABIC_MISS(2);
	arabic_miss3:
		ARABIC_MISS(3);
	arabic_miss4:
		ARABIC_MISS(4);
	arabic_miss5:
		ARABIC_MISS(5);
	arabic_slow:
		/*
		 * Not an Arabic letter of two bytes that fold to two: ASCII, a
		 * code point of two bytes (below), or what normalize_fast sees
		 * to.
		 */
		if ((unsigned char)p[0] < 0x80)
			goto arabic_other;
		if ((unsigned char)p[0] - 0xc0u >= 0x20u)
			goto out;
		v = fast[FOLD_FAST_2((unsigned char)p[0], (unsigned char)p[1])];
		/*
		 * Two bytes that are no Arabic letter folding to two: the
		 * token ends, or goes on (an Arabic letter of another length)
		 * in the loops of any code point.
		 */
		k = 2;
		if ((v & (FOLD_FLAGS | FOLD_CLASS_BITS)) != want)
			goto end;
		if (nch >= HEAD_LONG)
			goto body_any;
	}
out:
	st->p = p;
	st->w = w;
	st->t = t;
	st->h = h;
	st->nch = nch;
	st->cur = cur;
}
#undef FAST_NEXT
#undef ANY_STEP
#undef ARABIC_STEP
#undef ARABIC_MISS

/*
 * Sanitize, H (for item text), U, A and T in one pass, through the table.
 * A byte that does not start a valid sequence is U+FFFD, a separator, as
 * sanitize_utf8 makes it: H only looks at ASCII and puts a space wherever it
 * cuts, so sanitizing first or last is the same. For the same reason the
 * three steps of H can be one: a tag runs over the blocks inside it, and a
 * reference is decoded where it is, its result never read as markup.
 * Returns -1, with nothing added, when a code point needs the reference
 * path. The string is copied first, with two NULs at its end, so that the
 * loops stop on the first and may read two bytes there (and tag_end
 * TAG_PAD more).
 */
static int
normalize_fast(const char *s, size_t len, struct toklist *tl, int html)
{
	static struct buf pad;
	const char *p, *end, *e;
	const uint32_t *pend = NULL, *table;
	size_t n0 = tl->n, len0 = tl->data.len, npend = 0, k;
	/* The token being written, in locals: the bytes written alias all. */
	unsigned char *base, *w;
	enum tclass cur = TC_NONE, c;
	uint32_t cp, v, h = 0, nch = 0;
	unsigned pass_;
	struct tok *t = NULL;
	struct tstate st;
	int32_t ref;
	int two; /* the code point is the two bytes before p */

	if (fold_table == NULL)
		fold_init();
	table = fold_table;
	if (pad.size > 1024 * 1024 && len + 2 <= 1024 * 1024)
		buf_free(&pad);
	buf_reset(&pad);
	buf_make_room(&pad, len + 2 + TAG_PAD);
	memcpy(pad.data, s, len);
	memset(pad.data + len, 0, 2 + TAG_PAD);
	p = s = pad.data;
	end = s + len;
	/* One code point folded to one at most doubles its bytes. */
	buf_make_room(&tl->data, 2 * len + 8);
	base = (unsigned char *)tl->data.data;
	w = base + tl->data.len;
	for (;;) {
		two = 0;
		if (npend > 0) {
			v = *pend++;
			npend--;
			goto put;
		}
		if (p >= end)
			break;
		cp = (unsigned char)*p;
		if (cp < 0x80) {
			if (html && cp == '<') {
				/* Only "<!--", "<script" and "<style" are
				 * blocks. */
				e = p[1] == '!' || p[1] == 's' || p[1] == 'S'
					? block_end(p)
					: NULL;
				if (e == NULL &&
				    (is_alpha(p[1]) || p[1] == '/' ||
					p[1] == '!' || p[1] == '?'))
					e = tag_end(p);
				if (e != NULL) {
					p = e;
					v = 0; /* a separator */
					goto put;
				}
			} else if (html && cp == '&' &&
				   (k = char_ref(p, &ref)) > 0) {
				p += k;
				if ((cp = (uint32_t)ref) > 0xffff)
					goto slow;
				goto fold;
			}
			p++;
		} else if (cp >= 0xc2 && cp < 0xe0 && p + 1 < end &&
			   ((unsigned char)p[1] & 0xc0) == 0x80) {
			/* Two bytes, as Arabic letters are: no more checks. */
			cp = (cp & 0x1f) << 6 | ((unsigned char)p[1] & 0x3f);
			p += 2;
			two = 1;
		} else if ((k = utf8_valid((const unsigned char *)p,
				(size_t)(end - p))) == 0) {
			p++;
			v = 0; /* U+FFFD, a separator */
			goto put;
		} else if (k == 2) {
			cp = (cp & 0x1f) << 6 | ((unsigned char)p[1] & 0x3f);
			p += 2;
		} else if (k == 3) {
			cp = (cp & 0x0f) << 12 |
			     ((unsigned char)p[1] & 0x3f) << 6 |
			     ((unsigned char)p[2] & 0x3f);
			p += 3;
		} else
			goto slow;
	fold:
		if ((v = table[cp]) == FOLD_UNKNOWN)
			v = fold_compute(cp);
		if (v & (FOLD_SLOW | FOLD_NONE | FOLD_MANY)) {
			if (v & FOLD_SLOW)
				goto slow;
			if (v & FOLD_NONE)
				continue;
			pend = fold_pool + FOLD_POOL_AT(v);
			npend = FOLD_POOL_N(v);
			/* More than the reserve may allow: make room. */
			tl->data.len = (size_t)(w - base);
			buf_make_room(&tl->data, 4 * npend + 2 * len + 8);
			w = (unsigned char *)tl->data.data + (w - base);
			base = (unsigned char *)tl->data.data;
			continue;
		}
	put:
		/*
		 * An Arabic word starts with a letter of two bytes that fold to
		 * two: arabic_words takes it and those after it.
		 */
		if (two && cur == TC_NONE && (v & ARABIC_MASK) == ARABIC_WANT) {
			st.p = p - 2;
			st.w = w;
			if (arabic_words(
				&st, v, fold_fast, fold_arabic2, tl, base)) {
				st.cur = TC_ARABIC;
				tokens_run(
				    &st, fold_fast, fold_arabic2, tl, base);
				t = st.t;
				h = st.h;
				nch = st.nch;
				cur = st.cur;
			}
			p = st.p;
			w = st.w;
			continue;
		}
		/* T: v is one folded code point, or a separator (0). */
		c = FOLD_CLASS(v);
		if (c != cur) {
			if (cur != TC_NONE)
				TOKEN_END();
			if (c != TC_NONE)
				TOKEN_START(c);
			cur = c;
		}
		if (c == TC_NONE) {
			/*
			 * The rest of a run of ASCII separators (spaces,
			 * punctuation) at once; not '<' or '&', which may be
			 * markup, nor what the table does not know yet or
			 * deletes. The NUL at the end stops it.
			 */
			while (npend == 0 &&
			       (cp = (unsigned char)*p) - 1u < 0x7fu &&
			       cp != '<' && cp != '&' && (v = table[cp]) != 0 &&
			       (v & (FOLD_SLOW | FOLD_NONE | FOLD_MANY |
					FOLD_CLASS_BITS)) == 0)
				p++;
			continue;
		}
		TOKEN_PUT(v);
		if (npend > 0)
			continue;
		/* The rest of the token and those after it, mostly. */
		st.p = p;
		st.w = w;
		st.t = t;
		st.h = h;
		st.nch = nch;
		st.cur = cur;
		tokens_run(&st, fold_fast, fold_arabic2, tl, base);
		p = st.p;
		w = st.w;
		t = st.t;
		h = st.h;
		nch = st.nch;
		cur = st.cur;
	}
	if (cur != TC_NONE)
		TOKEN_END();
#undef TOKEN_START
#undef TOKEN_BYTES
#undef TOKEN_PUT
#undef TOKEN_END
	*w = '\0';
	tl->data.len = (size_t)(w - base);
	tl->cur = TC_NONE;
	return 0;

slow:
	toklist_truncate(tl, n0, len0);
	return -1;
}

/* U, A and T of a keyword, valid UTF-8. */
static void
normalize(const char *s, size_t len, struct toklist *tl)
{
	if (normalize_fast(s, len, tl, 0) != 0)
		normalize_slow(s, len, tl);
}

/*
 * The whole chain for one item field: sanitize, H (unless the field is
 * plain text), U, A, T. The buffers a and b are scratch space for the
 * reference path, kept from one field to the next.
 */
static void
normalize_field(
    const char *s, int html, struct toklist *tl, struct buf *a, struct buf *b)
{
	size_t len = strlen(s);

	if (normalize_fast(s, len, tl, html) == 0)
		return;
	if (utf8_check(s, len) != len) {
		buf_reset(b);
		sanitize_utf8(s, len, b);
		s = b->data;
		len = b->len;
	}
	if (!html) {
		normalize_slow(s, len, tl);
		return;
	}
	html_blocks(s, len, a);
	html_tags(a->data, a->len, b);
	html_refs(b->data, b->len, a);
	normalize_slow(a->data, a->len, tl);
}

static void union_lookup(
    unsigned, unsigned, const struct tok *, size_t, size_t, const char *);
static void union_verdicts(uint64_t *);
static void union_build(void);
static size_t union_npass;
/* A filter joined the union of the live filters (below) when this grew. */
static uint64_t union_gen;
/* A filter joined or left since the union was made. */
static int union_dirty;

struct match_text *
match_text_new(const char *const *fields, size_t nfields)
{
	return match_text_new_kinds(fields, NULL, nfields);
}

/*
 * The tokens are cut in scratch space kept from one text to the next, then
 * copied out whole: one allocation per text.
 */
struct match_text *
match_text_new_kinds(
    const char *const *fields, const unsigned *kinds, size_t nfields)
{
	/* Scratch space, kept from one text to the next. */
	static struct toklist tl;
	static struct buf a, b;
	static size_t *marks, marks_size;
	struct match_text *mt;
	struct match_field *f;
	size_t i, j, k, size;
	unsigned kind;

	if (union_dirty)
		union_build();
	if (nfields + 1 > marks_size) {
		marks_size = nfields + 1;
		marks = xreallocarray(marks, marks_size, sizeof *marks);
	}
	/* marks[i]: field i's first token. */
	toklist_truncate(&tl, 0, 0);
	for (i = 0; i < nfields; i++) {
		marks[i] = tl.n;
		if (fields[i] != NULL)
			normalize_field(fields[i],
			    kinds == NULL || !(kinds[i] & MATCH_FIELD_PLAIN),
			    &tl, &a, &b);
	}
	marks[nfields] = tl.n;
	/*
	 * The tokens the union's bitmaps let through as they were cut (in
	 * order): the keywords that match there.
	 */
	for (i = 0, k = 0; k < tl.ncands; k++) {
		j = tl.cands[k].tok;
		while (j >= marks[i + 1])
			i++;
		kind = kinds != NULL ? kinds[i] & MATCH_FIELDS_ALL
				     : MATCH_FIELDS_ALL;
		union_lookup(tl.cands[k].pass, kind, tl.toks + marks[i],
		    marks[i + 1] - marks[i], j - marks[i], tl.data.data);
	}

	/* One block: the text, its fields and verdicts. */
	size = sizeof *mt + nfields * sizeof *mt->fields +
	       union_npass * sizeof *mt->pass;
	if (match_spare != NULL && match_spare->size >= size) {
		mt = match_spare;
		size = mt->size;
		match_spare = NULL;
	} else
		mt = xmalloc(size);
	memset(mt, 0, sizeof *mt);
	mt->size = size;
	mt->pass = (uint64_t *)(mt + 1);
	mt->npass = union_npass;
	union_verdicts(mt->pass);
	mt->fields = (struct match_field *)(mt->pass + mt->npass);
	mt->nfields = nfields;
	/*
	 * The tokens stay where they were cut; the spare list takes over.
	 * Never a NULL array, which the fields' pointers are made from.
	 */
	if (tl.toks == NULL)
		toklist_grow(&tl);
	mt->tl = tl;
	tl = match_spare_tl;
	toklist_init(&match_spare_tl);
	mt->toks = mt->tl.toks;
	mt->ntoks = mt->tl.n;
	mt->data = mt->tl.data.data != NULL ? mt->tl.data.data : (char *)"";
	mt->gen = union_gen;
	for (i = 0; i < nfields; i++) {
		f = &mt->fields[i];
		f->kind = kinds != NULL ? kinds[i] & MATCH_FIELDS_ALL
					: MATCH_FIELDS_ALL;
		f->toks = mt->toks + marks[i];
		f->ntokens = marks[i + 1] - marks[i];
	}

	/* A huge text leaves no huge scratch space behind. */
	if (a.size > 1024 * 1024)
		buf_free(&a);
	if (b.size > 1024 * 1024)
		buf_free(&b);
	return mt;
}

void
match_text_free(struct match_text *mt)
{
	if (mt == NULL)
		return;
	free(mt->tokens);
	if (match_spare_tl.toks == NULL && match_spare_tl.data.data == NULL &&
	    !toklist_huge(&mt->tl))
		match_spare_tl = mt->tl;
	else
		toklist_free(&mt->tl);
	if (mt->size <= MATCH_SPARE_MAX &&
	    (match_spare == NULL || match_spare->size < mt->size)) {
		free(match_spare);
		match_spare = mt;
	} else
		free(mt);
}

/* The token strings are made on first use: a cache, not a change. */
size_t
match_text_tokens(
    const struct match_text *mt, size_t field, const char *const **tokens)
{
	struct match_text *cache = (struct match_text *)mt;
	const struct match_field *f;

	if (field >= mt->nfields) {
		*tokens = NULL;
		return 0;
	}
	if (mt->tokens == NULL) {
		cache->tokens = xcalloc(mt->ntoks + 1, sizeof *mt->tokens);
		for (size_t i = 0; i < mt->ntoks; i++)
			cache->tokens[i] = mt->data + mt->toks[i].off;
	}
	f = &mt->fields[field];
	*tokens = mt->tokens + (f->toks - mt->toks);
	return f->ntokens;
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

static void strtab_build(struct strtab *, const struct kwtok *, size_t);

/* Compile one token of a keyword into the set of text tokens it accepts. */
static void
kwtok_compile(
    struct kwtok *kt, const char *k, enum tclass c, int strict, int prefix)
{
	struct strset ss = {NULL, 0, 0};

	if (c == TC_ARABIC && count_cps(k) >= 3)
		arabic_accept(k, strict, prefix, &ss);
	else
		strset_add(&ss, xstrdup(k));
	kt->prefix = prefix;
	kt->class = c;
	kt->accept = ss.s;
	kt->naccept = ss.n;
	set_finish(kt->accept, &kt->naccept);
	strtab_build(&kt->tab, kt, 1);
}

static void
strtab_free(struct strtab *tab)
{
	free(tab->entries);
	free(tab->whole);
	free(tab->pfx);
	memset(tab, 0, sizeof *tab);
}

static void
keyword_free(struct keyword *kw)
{
	size_t i, j;

	for (i = 0; i < kw->ntoks; i++) {
		strtab_free(&kw->toks[i].tab);
		for (j = 0; j < kw->toks[i].naccept; j++)
			free(kw->toks[i].accept[j]);
		free(kw->toks[i].accept);
	}
	free(kw->toks);
	kw->toks = NULL;
	kw->ntoks = 0;
}

/* A token's class: that of its first code point, as of all of them. */
static enum tclass
tok_class(const char *s)
{
	utf8proc_int32_t cp;

	if (utf8proc_iterate((const utf8proc_uint8_t *)s, -1, &cp) <= 0)
		return TC_NONE;
	return classify(cp);
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
		if (tok_class(last) == TC_ARABIC && n >= 4 &&
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
		kwtok_compile(&kw->toks[i], toklist_get(&tl, i),
		    tok_class(toklist_get(&tl, i)), strict,
		    prefix && i == tl.n - 1);
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

/*
 * A string's hash, as toklist_put makes it for a token of class c, and the
 * one it is found by as a prefix (struct tok): that of its first HEAD_LONG
 * code points if it has as many, else of its first HEAD_SHORT (all if
 * fewer).
 */
static void
str_hashes(const char *s, enum tclass c, uint32_t *hash, uint32_t *head)
{
	const unsigned char *p = (const unsigned char *)s;
	uint32_t h = HASH_OFFSET, unit;
	size_t nchars = 0, n, i;

	*head = 0;
	while (*p != '\0') {
		n = utf8_valid(p, 4);
		if (n == 0)
			fatalx("%s: not UTF-8", __func__);
		for (unit = 0, i = 0; i < n; i++)
			unit |= (uint32_t)p[i] << (8 * i);
		h = hash_step(h, hash_unit(unit, n, c));
		p += n;
		if (++nchars == HEAD_SHORT || nchars == HEAD_LONG)
			*head = h;
	}
	*hash = h;
	if (nchars < HEAD_SHORT)
		*head = h;
}

/*
 * Whether n bytes at a and b are the same: memcmp for the few bytes of a
 * token, inline, by words that may overlap (both have n bytes at least).
 */
static inline int
same_bytes(const char *a, const char *b, size_t n)
{
	uint64_t x, y;
	uint32_t u, v;
	size_t i;

	if (n >= 8) {
		for (i = 0; i + 8 < n; i += 8) {
			memcpy(&x, a + i, 8);
			memcpy(&y, b + i, 8);
			if (x != y)
				return 0;
		}
		memcpy(&x, a + n - 8, 8);
		memcpy(&y, b + n - 8, 8);
		return x == y;
	}
	if (n >= 4) {
		memcpy(&u, a, 4);
		memcpy(&v, b, 4);
		if (u != v)
			return 0;
		memcpy(&u, a + n - 4, 4);
		memcpy(&v, b + n - 4, 4);
		return u == v;
	}
	return n == 0 ||
	       (a[0] == b[0] && a[n / 2] == b[n / 2] && a[n - 1] == b[n - 1]);
}

/* The first slot to look at for a hash. */
static uint32_t
slot_of(uint32_t h, uint32_t mask)
{
	return (h * 0x85ebca6bu) >> 8 & mask;
}

static void
slot_put(uint64_t *slots, uint32_t mask, uint32_t h, size_t idx)
{
	uint32_t i;

	for (i = slot_of(h, mask); slots[i] != 0; i = (i + 1) & mask)
		;
	slots[i] = (uint64_t)h << 32 | (uint32_t)(idx + 1);
}

/*
 * The accepted strings of n keyword tokens (the first tokens of a
 * filter's keywords, or one token of a phrase), each entry knowing which
 * of them it came from.
 */
static void
strtab_build(struct strtab *tab, const struct kwtok *kts, size_t n)
{
	struct entry *e;
	size_t i, j, nslots = 16, nprefix = 0;

	memset(tab, 0, sizeof *tab);
	for (i = 0; i < n; i++) {
		tab->n += kts[i].naccept;
		nprefix += kts[i].prefix;
	}
	if (tab->n >= UINT32_MAX / 4)
		fatalx("%s: too many strings", __func__);
	tab->entries = xcalloc(tab->n, sizeof *tab->entries);
	while (nslots < 2 * tab->n)
		nslots *= 2;
	tab->mask = (uint32_t)(nslots - 1);
	tab->whole = xcalloc(nslots, sizeof *tab->whole);
	if (nprefix > 0)
		tab->pfx = xcalloc(nslots, sizeof *tab->pfx);
	tab->n = 0;
	for (i = 0; i < n; i++) {
		for (j = 0; j < kts[i].naccept; j++) {
			e = &tab->entries[tab->n];
			e->s = kts[i].accept[j];
			e->len = (uint32_t)strlen(e->s);
			str_hashes(e->s, kts[i].class, &e->hash, &e->head);
			e->kw = (uint32_t)i;
			e->prefix = kts[i].prefix;
			slot_put(tab->whole, tab->mask, e->hash, tab->n);
			if (e->prefix)
				slot_put(tab->pfx, tab->mask, e->head, tab->n);
			tab->n++;
		}
	}
}

/*
 * The next entry equal to token t (whose text is at s), looking from slot
 * *pos on (slot_of its hash at first), or NULL; *pos is left after it.
 */
static const struct entry *
strtab_whole(
    const struct strtab *tab, const struct tok *t, const char *s, uint32_t *pos)
{
	const struct entry *e;
	uint64_t v;

	for (;; *pos = (*pos + 1) & tab->mask) {
		if ((v = tab->whole[*pos]) == 0)
			return NULL;
		if ((uint32_t)(v >> 32) != t->hash)
			continue;
		e = &tab->entries[(uint32_t)v - 1];
		if (e->len == t->len && same_bytes(e->s, s, e->len)) {
			*pos = (*pos + 1) & tab->mask;
			return e;
		}
	}
}

/*
 * The next prefix entry that token t starts with (and is longer), likewise
 * from slot *pos on (slot_of its head at first), or NULL.
 */
static const struct entry *
strtab_prefix(const struct strtab *tab, const struct tok *t, const char *s,
    uint32_t head, uint32_t *pos)
{
	const struct entry *e;
	uint64_t v;

	if (tab->pfx == NULL)
		return NULL;
	for (;; *pos = (*pos + 1) & tab->mask) {
		if ((v = tab->pfx[*pos]) == 0)
			return NULL;
		if ((uint32_t)(v >> 32) != head)
			continue;
		e = &tab->entries[(uint32_t)v - 1];
		if (e->len < t->len && same_bytes(e->s, s, e->len)) {
			*pos = (*pos + 1) & tab->mask;
			return e;
		}
	}
}

static int
kwtok_accepts(const struct kwtok *kt, const struct tok *t, const char *s)
{
	uint32_t w = slot_of(t->hash, kt->tab.mask);
	uint32_t h = slot_of(t->head, kt->tab.mask);
	uint32_t h5 = slot_of(t->head5, kt->tab.mask);

	return strtab_whole(&kt->tab, t, s, &w) != NULL ||
	       strtab_prefix(&kt->tab, t, s, t->head, &h) != NULL ||
	       (t->head5 != t->head &&
		   strtab_prefix(&kt->tab, t, s, t->head5, &h5) != NULL);
}

static uint32_t
bit_of(uint32_t h, int log)
{
	return (h * 0x9e3779b1u) >> (32 - log);
}

/*
 * The union of every live filter: each string that the first token of one
 * of their keywords accepts, once, whole (found by its hash) and, for a
 * prefix keyword, as a prefix (found by its head), with the keywords that
 * accept it (its postings). The bitmaps (union_bits, union_hbits) stand in
 * front of it. A text looks up the tokens that pass the bitmaps as it is
 * made, follows the postings of those found to the keywords that match
 * (their phrases' other tokens checked at once), and so knows whether it
 * passes each filter of the union: testing a filter then costs a bit test,
 * and a token costs nothing per filter. A filter made (or set to other
 * fields) after a text is not in the union that the text saw (gen tells):
 * it looks at every token. The union is made again from the live filters
 * when the next text is made after one joined, left or changed its
 * fields. Single-threaded, as the daemon is.
 */
struct ustr {
	const char *s;
	uint32_t len;
	uint32_t post; /* where its record is in union_pool, in words */
	uint32_t npost;
};

/* A keyword whose first token accepts a union string. */
struct upost {
	uint32_t member; /* the filter's index among the members */
	uint32_t kw;	 /* the keyword's index in the filter */
	uint32_t seen;	 /* the keyword's index in the union (union_seen) */
	uint8_t fields;	 /* the fields the filter looks at */
	uint8_t list;	 /* 0: any, 1: all, 2: none */
	uint8_t phrase;	 /* more tokens follow the first */
	uint8_t decides; /* a match decides the filter's verdict */
};

/*
 * A union string's record in union_pool, where its slot leads: its length,
 * its postings and its bytes, together, so that a token found costs a
 * line or two of memory, not one for each.
 */
struct urec {
	uint32_t len;
	uint32_t npost;
	struct upost post[];
	/* then its len bytes */
};

/* A record's bytes. */
static const char *
urec_str(const struct urec *r)
{
	return (const char *)(r->post + r->npost);
}

/* A member's keywords matched in the text being made (union_note). */
struct ucount {
	uint32_t n[3]; /* any, all and none keywords */
};

static struct match_filter **union_members; /* NULL: a free index */
static size_t union_nmembers;		    /* the highest used + 1, ever */
static size_t union_msize;
static struct ustr *union_strs; /* while it is made */
static uint64_t *union_pool;	/* the records (struct urec) */
/*
 * Slots as in struct strtab, whole strings by hash, prefixes by head (and
 * so while the union is made, with 1 + an index in union_strs), then as
 * the lookups read them: the hash's high 16 bits (UNION_TAG), which
 * members have postings in the record (UNION_MEMBERS: union_bit16's; all
 * 16 bits with more than 16 live members), and 1 + where the record is in
 * union_pool, in words. A record all of whose members' verdicts are
 * decided for the text being made is not read at all.
 */
#define UNION_TAG(v) ((uint32_t)((v) >> 48))
#define UNION_MEMBERS(v) ((uint32_t)((v) >> 32) & 0xffff)
static uint64_t *union_whole;
static uint64_t *union_pfx;
static uint32_t union_smask;
/*
 * What a text passes when no keyword matches (a bit per member), and
 * scratch space for union_note: the members whose verdict is decided (a
 * bit each), the keywords matched (a bit each), and how many of each
 * member's, for the members touched.
 */
static uint64_t *union_empty; /* union_npass words */
static uint64_t *union_done;  /* likewise */
/*
 * With 16 live members or fewer, each has a bit of its own in
 * UNION_MEMBERS (union_bit16, by member), and union_done16 has the bits
 * of those decided.
 */
static int union_few;
static uint32_t *union_bit16;
static uint32_t union_done16;
static uint64_t *union_seen;
static uint32_t *union_seen_list;
static size_t union_nseen;
static struct ucount *union_counts;
static uint32_t *union_touched;
static size_t union_ntouched;
/*
 * A bit for the hash of each string that a live keyword's later tokens (a
 * phrase's second, third ...) accept, and for the head of each they accept
 * as a prefix (union_later_pfx: there is one): a token whose hash and
 * heads all find their bits clear is not accepted there, and the keywords'
 * own tables are not read (union_later). 2^19 bits, 64 KB: with
 * match-speed's outputs on its corpus, nearly only the tokens accepted
 * pass; 2^15 and 2^17 bits let through half and an eighth of the others.
 */
#define UNION_LATER_LOG 19
static uint64_t union_later_bits[((size_t)1 << UNION_LATER_LOG) / 64];
static int union_later_pfx;

static uint32_t
later_bit(uint32_t h)
{
	return h >> (32 - UNION_LATER_LOG);
}

/* A new filter joins: the lowest free index. */
static void
union_join(struct match_filter *mf)
{
	size_t i;

	for (i = 0; i < union_nmembers; i++)
		if (union_members[i] == NULL)
			break;
	if (i == union_nmembers) {
		if (union_nmembers == union_msize) {
			union_msize = union_msize == 0 ? 16 : union_msize * 2;
			union_members = xreallocarray(
			    union_members, union_msize, sizeof *union_members);
		}
		union_nmembers++;
	}
	union_members[i] = mf;
	mf->member = (uint32_t)i;
	mf->gen = ++union_gen;
	union_dirty = 1;
}

/* A filter leaves: its index is free for the next to join. */
static void
union_leave(struct match_filter *mf)
{
	union_members[mf->member] = NULL;
	union_dirty = 1;
}

/*
 * The union's string for entry e of a filter (whole, or as a prefix if
 * prefix), added if it is not there yet; returns its index.
 */
static uint32_t
union_str(const struct entry *e, int prefix, size_t *nstrs)
{
	uint64_t *slots = prefix ? union_pfx : union_whole;
	uint32_t key = prefix ? e->head : e->hash, i;
	const struct ustr *u;
	uint64_t v;

	for (i = slot_of(key, union_smask); (v = slots[i]) != 0;
	     i = (i + 1) & union_smask) {
		if ((uint32_t)(v >> 32) != key)
			continue;
		u = &union_strs[(uint32_t)v - 1];
		if (u->len == e->len && memcmp(u->s, e->s, e->len) == 0)
			return (uint32_t)v - 1;
	}
	union_strs[*nstrs].s = e->s;
	union_strs[*nstrs].len = e->len;
	union_strs[*nstrs].npost = 0;
	slots[i] = (uint64_t)key << 32 | (uint32_t)(*nstrs + 1);
	if (prefix)
		bit_set(union_hbits, union_hbit(key));
	else
		bit_set(union_bits, union_bit(key));
	return (uint32_t)(*nstrs)++;
}

/* Keyword kw of member m (its first in the union at base) accepts string i. */
static void
union_post(uint32_t i, uint32_t m, uint32_t kw, uint32_t base)
{
	const struct match_filter *mf = union_members[m];
	struct ustr *u = &union_strs[i];
	struct urec *r = (struct urec *)(union_pool + u->post);
	struct upost *up = &r->post[u->npost++];

	up->member = m;
	up->kw = kw;
	up->seen = base + kw;
	up->fields = (uint8_t)mf->fields;
	up->list = kw < mf->nany ? 0 : kw < mf->nany + mf->nall ? 1 : 2;
	up->phrase = mf->kws[kw].ntoks > 1;
	/* A veto, or an any-match with nothing else to ask (decided). */
	up->decides =
	    up->list == 2 || (up->list == 0 && mf->nall == 0 && mf->nnone == 0);
}

/*
 * A slot as union_str makes it (a hash, 1 + an index in union_strs) as the
 * lookups read it (UNION_TAG, UNION_MEMBERS, 1 + where its record is).
 */
static uint64_t
union_slot(uint64_t v)
{
	const struct ustr *u;
	const struct urec *r;
	uint64_t members = 0;

	if (v == 0)
		return 0;
	u = &union_strs[(uint32_t)v - 1];
	r = (const struct urec *)(union_pool + u->post);
	for (uint32_t j = 0; j < r->npost; j++)
		members |= union_bit16[r->post[j].member];
	if (!union_few)
		members = 0xffff;
	return (v >> 48) << 48 | members << 32 | (u->post + 1);
}

/* A later token's strings into union_later_bits. */
static void
union_later_add(const struct strtab *tab)
{
	for (size_t i = 0; i < tab->n; i++) {
		bit_set(union_later_bits, later_bit(tab->entries[i].hash));
		if (tab->entries[i].prefix) {
			bit_set(
			    union_later_bits, later_bit(tab->entries[i].head));
			union_later_pfx = 1;
		}
	}
}

/* The union made again from the live filters. */
static void
union_build(void)
{
	const struct match_filter *mf;
	const struct entry *e;
	struct urec *r;
	uint32_t *at, base;
	size_t i, j, n = 0, nkw = 0, nstrs = 0, nslots = 16, k, words,
		     nlive = 0;

	union_dirty = 0;
	memset(union_bits, 0, sizeof union_bits);
	memset(union_hbits, 0, sizeof union_hbits);
	memset(union_later_bits, 0, sizeof union_later_bits);
	union_later_pfx = 0;
	free(union_pool);
	free(union_whole);
	free(union_pfx);
	free(union_empty);
	free(union_done);
	free(union_seen);
	free(union_seen_list);
	free(union_counts);
	free(union_touched);
	free(union_bit16);
	union_npass = (union_nmembers + 63) / 64;
	union_bit16 = xcalloc(union_nmembers + 1, sizeof *union_bit16);
	union_empty = xcalloc(union_npass + 1, sizeof *union_empty);
	union_done = xcalloc(union_npass + 1, sizeof *union_done);
	for (i = 0; i < union_nmembers; i++) {
		if ((mf = union_members[i]) == NULL)
			continue;
		for (j = 0; j < mf->tab.n; j++)
			n += 1 + (size_t)(mf->tab.entries[j].prefix != 0);
		nkw += mf->nany + mf->nall + mf->nnone;
		for (j = 0; j < mf->nany + mf->nall + mf->nnone; j++)
			for (k = 1; k < mf->kws[j].ntoks; k++)
				union_later_add(&mf->kws[j].toks[k].tab);
		if (mf->nany == 0 && mf->nall == 0)
			bit_set(union_empty, (uint32_t)i);
		if (nlive < 16)
			union_bit16[i] = 1u << nlive;
		nlive++;
	}
	union_few = nlive <= 16;
	if (!union_few)
		memset(union_bit16, 0, union_nmembers * sizeof *union_bit16);
	if (n >= UINT32_MAX / 4 || nkw >= UINT32_MAX / 4)
		fatalx("%s: too many strings", __func__);
	while (nslots < 2 * n)
		nslots *= 2;
	union_smask = (uint32_t)(nslots - 1);
	union_whole = xcalloc(nslots, sizeof *union_whole);
	union_pfx = xcalloc(nslots, sizeof *union_pfx);
	union_strs = xcalloc(n + 1, sizeof *union_strs);
	union_seen = xcalloc(nkw / 64 + 1, sizeof *union_seen);
	union_seen_list = xcalloc(nkw + 1, sizeof *union_seen_list);
	union_counts = xcalloc(union_nmembers + 1, sizeof *union_counts);
	union_touched = xcalloc(union_nmembers + 1, sizeof *union_touched);
	/* Each entry's strings, their postings counted, then laid out. */
	at = xcalloc(n + 1, sizeof *at);
	for (i = 0, k = 0; i < union_nmembers; i++) {
		if ((mf = union_members[i]) == NULL)
			continue;
		for (j = 0; j < mf->tab.n; j++) {
			e = &mf->tab.entries[j];
			at[k] = union_str(e, 0, &nstrs);
			union_strs[at[k++]].npost++;
			if (e->prefix) {
				at[k] = union_str(e, 1, &nstrs);
				union_strs[at[k++]].npost++;
			}
		}
	}
	/* The records, each in whole words. */
	for (i = 0, words = 0; i < nstrs; i++) {
		union_strs[i].post = (uint32_t)words;
		words += (sizeof(struct urec) +
			     union_strs[i].npost * sizeof(struct upost) +
			     union_strs[i].len + 7) /
			 8;
		if (words >= UINT32_MAX / 2)
			fatalx("%s: too many strings", __func__);
	}
	union_pool = xcalloc(words + 1, sizeof *union_pool);
	for (i = 0; i < nstrs; i++) {
		r = (struct urec *)(union_pool + union_strs[i].post);
		r->len = union_strs[i].len;
		r->npost = union_strs[i].npost;
		memcpy((char *)(r->post + r->npost), union_strs[i].s, r->len);
		union_strs[i].npost = 0;
	}
	for (i = 0, k = 0, base = 0; i < union_nmembers; i++) {
		if ((mf = union_members[i]) == NULL)
			continue;
		for (j = 0; j < mf->tab.n; j++) {
			e = &mf->tab.entries[j];
			union_post(at[k++], (uint32_t)i, e->kw, base);
			if (e->prefix)
				union_post(at[k++], (uint32_t)i, e->kw, base);
		}
		base += (uint32_t)(mf->nany + mf->nall + mf->nnone);
	}
	for (i = 0; i < nslots; i++) {
		union_whole[i] = union_slot(union_whole[i]);
		union_pfx[i] = union_slot(union_pfx[i]);
	}
	free(at);
	free(union_strs);
	union_strs = NULL;
}

/*
 * Keyword kw, whose first token accepts token i of a field's tokens (toks,
 * n of them, their text in data), matches there if the rest of its phrase
 * follows.
 */
static int
phrase_follows(const struct keyword *kw, const struct tok *toks, size_t n,
    size_t i, const char *data)
{
	size_t j;

	if (n - i < kw->ntoks)
		return 0;
	for (j = 1; j < kw->ntoks; j++)
		if (!kwtok_accepts(
			&kw->toks[j], &toks[i + j], data + toks[i + j].off))
			return 0;
	return 1;
}

/* Whether token t may be accepted by some keyword's later token. */
static int
union_later(const struct tok *t)
{
	return bit_test(union_later_bits, later_bit(t->hash)) ||
	       (union_later_pfx &&
		   (bit_test(union_later_bits, later_bit(t->head)) ||
		       bit_test(union_later_bits, later_bit(t->head5))));
}

/*
 * The keywords whose first token accepts union string r match at token i
 * of a field of this kind (its tokens toks, n of them, their text in
 * data), unless their filter does not look at such fields, they matched
 * already or the rest of their phrase does not follow.
 */
static void
union_note(const struct urec *r, unsigned kind, const struct tok *toks,
    size_t n, size_t i, const char *data)
{
	const struct upost *up = r->post;
	const struct upost *end = up + r->npost;
	struct ucount *c;

	for (; up < end; up++) {
		if (bit_test(union_done, up->member) ||
		    (up->fields & kind) == 0 || bit_test(union_seen, up->seen))
			continue;
		if (up->phrase &&
		    (i + 1 >= n || !union_later(&toks[i + 1]) ||
			!phrase_follows(&union_members[up->member]->kws[up->kw],
			    toks, n, i, data)))
			continue;
		bit_set(union_seen, up->seen);
		union_seen_list[union_nseen++] = up->seen;
		c = &union_counts[up->member];
		if (c->n[0] + c->n[1] + c->n[2] == 0)
			union_touched[union_ntouched++] = up->member;
		c->n[up->list]++;
		if (up->decides) {
			bit_set(union_done, up->member);
			union_done16 |= union_bit16[up->member];
		}
	}
}

/* Prefix strings of head head that token i (its text at s) starts with. */
static void
union_prefixes(uint32_t head, unsigned kind, const struct tok *toks, size_t n,
    size_t i, const char *data)
{
	const struct tok *t = &toks[i];
	const char *s = data + t->off;
	const struct urec *r;
	uint32_t k;
	uint64_t v;

	for (k = slot_of(head, union_smask); (v = union_pfx[k]) != 0;
	     k = (k + 1) & union_smask) {
		if (UNION_TAG(v) != head >> 16 ||
		    (UNION_MEMBERS(v) & ~union_done16) == 0)
			continue;
		r = (const struct urec *)(union_pool + (uint32_t)v - 1);
		if (r->len < t->len && same_bytes(urec_str(r), s, r->len))
			union_note(r, kind, toks, n, i, data);
	}
}

/*
 * Token i of a field of this kind (its tokens toks, n of them, their text
 * in data), which passed the union's bitmaps (pass from union_passes, not
 * 0): the keywords that match there, whole by its hash, as a prefix by its
 * heads.
 */
static void
union_lookup(unsigned pass, unsigned kind, const struct tok *toks, size_t n,
    size_t i, const char *data)
{
	const struct tok *t = &toks[i];
	const char *s = data + t->off;
	const struct urec *r;
	uint32_t k;
	uint64_t v;

	if (pass & 1) {
		for (k = slot_of(t->hash, union_smask);
		     (v = union_whole[k]) != 0; k = (k + 1) & union_smask) {
			if (UNION_TAG(v) != t->hash >> 16 ||
			    (UNION_MEMBERS(v) & ~union_done16) == 0)
				continue;
			r = (const struct urec *)(union_pool + (uint32_t)v - 1);
			/* The union holds each string once. */
			if (r->len == t->len &&
			    same_bytes(urec_str(r), s, r->len)) {
				union_note(r, kind, toks, n, i, data);
				break;
			}
		}
	}
	if (pass & 2) {
		union_prefixes(t->head, kind, toks, n, i, data);
		if (t->head5 != t->head)
			union_prefixes(t->head5, kind, toks, n, i, data);
	}
}

/*
 * After a text's tokens were looked up: whether it passes each member
 * (pass, union_npass words), and the scratch space cleared.
 */
static void
union_verdicts(uint64_t *pass)
{
	const struct match_filter *mf;
	struct ucount *c;
	uint32_t m;
	size_t i;

	if (union_npass > 0)
		memcpy(pass, union_empty, union_npass * sizeof *pass);
	for (i = 0; i < union_ntouched; i++) {
		m = union_touched[i];
		mf = union_members[m];
		c = &union_counts[m];
		if ((mf->nany == 0 || c->n[0] > 0) && c->n[1] == mf->nall &&
		    c->n[2] == 0)
			bit_set(pass, m);
		else
			pass[m >> 6] &= ~((uint64_t)1 << (m & 63));
		memset(c, 0, sizeof *c);
		union_done[m >> 6] = 0;
	}
	union_done16 = 0;
	union_ntouched = 0;
	for (i = 0; i < union_nseen; i++)
		union_seen[union_seen_list[i] >> 6] = 0;
	union_nseen = 0;
}

/* The table and bitmaps of the first tokens' accepted strings. */
static void
filter_index(struct match_filter *mf)
{
	struct kwtok *firsts;
	const struct entry *e;
	size_t i, n;

	n = mf->nany + mf->nall + mf->nnone;
	firsts = xcalloc(n + 1, sizeof *firsts);
	for (i = 0; i < n; i++)
		firsts[i] = mf->kws[i].toks[0];
	strtab_build(&mf->tab, firsts, n);
	free(firsts);
	mf->bits =
	    xcalloc(((size_t)1 << FILTER_BITS_LOG) / 64, sizeof *mf->bits);
	if (mf->tab.pfx != NULL)
		mf->pbits = xcalloc(
		    ((size_t)1 << FILTER_BITS_LOG) / 64, sizeof *mf->pbits);
	for (i = 0; i < mf->tab.n; i++) {
		e = &mf->tab.entries[i];
		bit_set(mf->bits, bit_of(e->hash, FILTER_BITS_LOG));
		if (e->prefix)
			bit_set(mf->pbits, bit_of(e->head, FILTER_BITS_LOG));
	}
	union_join(mf);
}

struct match_filter *
match_filter_new(char *const *any, size_t nany, char *const *all, size_t nall,
    char *const *none, size_t nnone, char **cause)
{
	struct match_filter *mf;
	char *const *lists[3] = {any, all, none};
	size_t counts[3] = {nany, nall, nnone};
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
	filter_index(mf);
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
	if (mf->bits != NULL)
		union_leave(mf);
	for (i = 0; i < mf->nany + mf->nall + mf->nnone; i++)
		keyword_free(&mf->kws[i]);
	free(mf->kws);
	strtab_free(&mf->tab);
	free(mf->bits);
	free(mf->pbits);
	free(mf);
}

/*
 * The texts made before see the filter as one that was not in their union
 * (gen), and the union takes the new fields the next time a text is made.
 */
void
match_filter_set_fields(struct match_filter *mf, unsigned kinds)
{
	mf->fields = kinds;
	if (mf->bits != NULL) {
		mf->gen = ++union_gen;
		union_dirty = 1;
	}
}

unsigned
match_filter_fields(const struct match_filter *mf)
{
	return mf->nany + mf->nall + mf->nnone == 0 ? 0 : mf->fields;
}

/* What the keywords matched so far make of a text (filter_scan). */
struct verdict {
	const char *data; /* the text's tokens */
	char *matched;	  /* by keyword */
	size_t nany;	  /* any-keywords matched */
	size_t nall;	  /* all-keywords matched */
	size_t nnone;	  /* none-keywords matched */
};

/* Keyword k matches at token i if the rest of its phrase follows. */
static void
candidate(const struct match_filter *mf, uint32_t k,
    const struct match_field *f, size_t i, struct verdict *v)
{
	if (v->matched[k] ||
	    !phrase_follows(&mf->kws[k], f->toks, f->ntokens, i, v->data))
		return;
	v->matched[k] = 1;
	if (k < mf->nany)
		v->nany++;
	else if (k < mf->nany + mf->nall)
		v->nall++;
	else
		v->nnone++;
}

/* Token i of a field against the filter's strings, as its bitmaps say. */
static void
filter_token(const struct match_filter *mf, const struct match_field *f,
    size_t i, struct verdict *v)
{
	const struct tok *t = &f->toks[i];
	const char *s = v->data + t->off;
	const struct entry *e;
	uint32_t pos;

	if (bit_test(mf->bits, bit_of(t->hash, FILTER_BITS_LOG))) {
		pos = slot_of(t->hash, mf->tab.mask);
		while ((e = strtab_whole(&mf->tab, t, s, &pos)) != NULL)
			candidate(mf, e->kw, f, i, v);
	}
	if (mf->pbits == NULL ||
	    !(bit_test(mf->pbits, bit_of(t->head, FILTER_BITS_LOG)) ||
		bit_test(mf->pbits, bit_of(t->head5, FILTER_BITS_LOG))))
		return;
	pos = slot_of(t->head, mf->tab.mask);
	while ((e = strtab_prefix(&mf->tab, t, s, t->head, &pos)) != NULL)
		candidate(mf, e->kw, f, i, v);
	if (t->head5 != t->head) {
		pos = slot_of(t->head5, mf->tab.mask);
		while (
		    (e = strtab_prefix(&mf->tab, t, s, t->head5, &pos)) != NULL)
			candidate(mf, e->kw, f, i, v);
	}
}

/* A veto, or an any-match with nothing else to ask: the rest is moot. */
static int
decided(const struct match_filter *mf, const struct verdict *v)
{
	return v->nnone > 0 || (v->nany > 0 && mf->nall == 0 && mf->nnone == 0);
}

/*
 * A filter that was not in the union when the text was made: every token
 * of the fields it looks at against its own strings.
 */
static int __attribute__((noinline))
filter_scan(const struct match_filter *mf, const struct match_text *mt)
{
	const struct match_field *f;
	struct verdict v;
	size_t i, j;
	int pass;

	memset(&v, 0, sizeof v);
	v.data = mt->data;
	v.matched = xcalloc(1, mf->nany + mf->nall + mf->nnone);
	for (i = 0; i < mt->nfields && !decided(mf, &v); i++) {
		f = &mt->fields[i];
		if ((f->kind & mf->fields) == 0)
			continue;
		for (j = 0; j < f->ntokens && !decided(mf, &v); j++)
			filter_token(mf, f, j, &v);
	}
	pass =
	    (mf->nany == 0 || v.nany > 0) && v.nall == mf->nall && v.nnone == 0;
	free(v.matched);
	return pass;
}

int
match_filter_test(const struct match_filter *mf, const struct match_text *mt)
{
	if (mf->nany + mf->nall + mf->nnone == 0)
		return 1;
	/* In the union the text saw: it knows. */
	if (mf->gen <= mt->gen && mf->member < 64 * mt->npass)
		return (int)bit_test(mt->pass, mf->member);
	return filter_scan(mf, mt);
}
