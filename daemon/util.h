/*
 * util: allocation wrappers that never return NULL, a growable byte buffer,
 * string helpers and the clock. Every other module builds on it.
 */
#ifndef FEEDMUX_UTIL_H
#define FEEDMUX_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define nitems(a) (sizeof(a) / sizeof((a)[0]))

/*
 * Event priorities: daemon.c gives the loop EVPRIO_COUNT of them, so that a
 * reader's request is served before pending poll work (lower runs first).
 * With a base of one priority (as in unit tests) setting them is a no-op.
 */
#define EVPRIO_SERVE	0
#define EVPRIO_DEFAULT	1
#define EVPRIO_POLL	2
#define EVPRIO_COUNT	3

/* Allocation: on failure these call fatalx(), so callers never check. */
void *xmalloc(size_t);
void *xcalloc(size_t, size_t);
void *xreallocarray(void *, size_t, size_t);
char *xstrdup(const char *);
char *xstrndup(const char *, size_t);
int xasprintf(char **, const char *, ...) __attribute__((format(printf, 2, 3)));
int xvasprintf(char **, const char *, va_list) __attribute__((format(printf, 2, 0)));

/* A growable buffer; data is always NUL-terminated (len excludes the NUL). */
struct buf {
	char *data;
	size_t len;
	size_t size;
};

void buf_init(struct buf *);
void buf_free(struct buf *);
void buf_reset(struct buf *);
/* buf_make_room's growth, when b has less room than n bytes and the NUL. */
void buf_grow(struct buf *, size_t n);

/*
 * The calls below are made for every few bytes of output: inline, they are
 * a test and a copy while there is room.
 */

/* Make room for n more bytes (and the NUL) past len; data is not NULL after. */
static inline void
buf_make_room(struct buf *b, size_t n)
{
	if (b->size - b->len <= n)
		buf_grow(b, n);
	b->data[b->len] = '\0';
}

static inline void
buf_add(struct buf *b, const void *p, size_t n)
{
	if (b->size - b->len <= n)
		buf_grow(b, n);
	if (n > 0)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

static inline void
buf_adds(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

static inline void
buf_addc(struct buf *b, char c)
{
	if (b->size - b->len <= 1)
		buf_grow(b, 1);
	b->data[b->len++] = c;
	b->data[b->len] = '\0';
}

void buf_printf(struct buf *, const char *, ...) __attribute__((format(printf, 2, 3)));
/*
 * Append s as a JSON string, quotes included: RFC 8259 escapes, invalid UTF-8
 * as U+FFFD, U+2028 and U+2029 escaped too. NULL appends null.
 */
void buf_add_json(struct buf *, const char *s);
/*
 * The same for the len bytes at s that are known to be valid UTF-8 (as every
 * string parse returns): the same output, without a check of the UTF-8.
 */
void buf_add_json_utf8(struct buf *, const char *s, size_t len);
/*
 * Whether a JSON string escapes code point cp (as buf_add_json does:
 * control characters, '"', '\\', U+2028 and U+2029), and the escape
 * written at w (at most 6 bytes; its length returned).
 */
int json_escapes(unsigned long cp);
size_t json_escape_put(char *w, unsigned long cp);
/* Hand over the bytes; the buffer is empty afterwards. */
char *buf_steal(struct buf *, size_t *);

/*
 * Sixteen bytes at a time through text, a fast path where SSE2 is there
 * (x86-64 always); 0 elsewhere, and the callers' byte loops do it all.
 * text_span16 counts how many of the 16 bytes at p, from the first, are
 * ASCII or whole, valid two-byte UTF-8 sequences (U+0080..U+07FF: Arabic,
 * Cyrillic, Greek, Hebrew ...); with json set, bytes that a JSON string
 * holds as they are (no control character, '"' or '\\'). Past p + 16 is
 * never read.
 */
#ifdef __SSE2__
#include <emmintrin.h>

static inline size_t
text_span16(const void *p, int json)
{
	__m128i v, m;
	unsigned hi, lead, cont, bad = 0;

	v = _mm_loadu_si128((const __m128i *)p);
	hi = (unsigned)_mm_movemask_epi8(v);
	if (json) {
		m = _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')),
		    _mm_cmpeq_epi8(v, _mm_set1_epi8('\\')));
		/* Signed: bytes from 0x80 are below 0x20 too, hence ~hi. */
		bad = ((unsigned)_mm_movemask_epi8(_mm_cmplt_epi8(v,
		    _mm_set1_epi8(0x20))) & ~hi) |
		    (unsigned)_mm_movemask_epi8(m);
	}
	if (hi != 0) {
		lead = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(
		    _mm_and_si128(v, _mm_set1_epi8((char)0xe0)),
		    _mm_set1_epi8((char)0xc0)));
		cont = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(
		    _mm_and_si128(v, _mm_set1_epi8((char)0xc0)),
		    _mm_set1_epi8((char)0x80)));
		/* Longer sequences; C0 and C1 (overlong); a lead byte without
		 * its continuation (the 16th always) and the other way round. */
		bad |= (hi & ~lead & ~cont) |
		    (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(
		    _mm_and_si128(v, _mm_set1_epi8((char)0xfe)),
		    _mm_set1_epi8((char)0xc0))) |
		    (cont & ~(lead << 1)) | (lead & ~(cont >> 1));
	}
	bad &= 0xffff;
	return bad == 0 ? 16 : (size_t)__builtin_ctz(bad);
}

/*
 * Which of the 16 bytes in v may start U+2028 or U+2029 (e2 80 a8, e2 80
 * a9), which JSON output escapes: an 0xe2 followed here by 0x80 and 0xa8 or
 * 0xa9, and an 0xe2 in either of the last two places, whose followers are
 * not in v. A bit per byte, as _mm_movemask_epi8 gives them.
 */
static inline unsigned
json_line_sep16(__m128i v)
{
	unsigned e2;

	e2 = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v,
	    _mm_set1_epi8((char)0xe2)));
	if (e2 == 0)
		return 0;
	return e2 & (0xc000 |
	    (((unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v,
	    _mm_set1_epi8((char)0x80))) >> 1) &
	    ((unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(
	    _mm_and_si128(v, _mm_set1_epi8((char)0xfe)),
	    _mm_set1_epi8((char)0xa8))) >> 2)));
}
#else
static inline size_t
text_span16(const void *p, int json)
{
	(void)p;
	(void)json;
	return 0;
}
#endif

/* Trim ASCII white space in place; returns its argument moved past leading space. */
char *str_trim(char *);
int str_has_prefix(const char *, const char *);
int str_has_suffix(const char *, const char *);

/* Split a comma-separated list; double quotes protect commas. Elements are trimmed. */
int str_split_list(const char *, char ***, size_t *, char **cause);
void str_list_free(char **, size_t);

/* Seconds since the epoch, from the real-time clock. */
int64_t now_unix(void);
/* Milliseconds since the epoch, from the real-time clock. */
int64_t now_unix_ms(void);
/* Milliseconds from a monotonic clock, for intervals. */
int64_t now_mono_ms(void);

/* Days from 1970-01-01 to a civil date (proleptic Gregorian; m 1-12). */
int64_t time_days_from_civil(int64_t y, int m, int d);
/* Format a UTC time as RFC 3339 ("2024-01-02T03:04:05Z"); dst must hold 21 bytes. */
void time_rfc3339(int64_t, char *);
/* Format a UTC time as an HTTP date (RFC 9110 IMF-fixdate); dst must hold 30 bytes. */
void time_http(int64_t, char *);

/* The value of a hexadecimal digit, or -1. */
int hex_value(int c);

/* SHA-256 of data as 64 lower-case hex digits plus NUL. */
void hash_sha256_hex(const void *, size_t, char out[65]);

#endif
