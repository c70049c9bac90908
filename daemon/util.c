#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "log.h"
#include "util.h"

void *
xmalloc(size_t size)
{
	void *p;

	if (size == 0)
		size = 1;
	if ((p = malloc(size)) == NULL)
		fatal("malloc %zu", size);
	return p;
}

void *
xcalloc(size_t n, size_t size)
{
	void *p;

	if (n == 0 || size == 0)
		n = size = 1;
	if ((p = calloc(n, size)) == NULL)
		fatal("calloc %zu x %zu", n, size);
	return p;
}

void *
xreallocarray(void *old, size_t n, size_t size)
{
	void *p;

	if (n == 0 || size == 0)
		n = size = 1;
	if (n > SIZE_MAX / size)
		fatalx("xreallocarray: %zu x %zu overflows", n, size);
	if ((p = realloc(old, n * size)) == NULL)
		fatal("realloc %zu x %zu", n, size);
	return p;
}

char *
xstrdup(const char *s)
{
	char *p;

	if ((p = strdup(s)) == NULL)
		fatal("strdup");
	return p;
}

char *
xstrndup(const char *s, size_t n)
{
	char *p;

	if ((p = strndup(s, n)) == NULL)
		fatal("strndup");
	return p;
}

int
xvasprintf(char **ret, const char *fmt, va_list ap)
{
	int n;

	if ((n = vasprintf(ret, fmt, ap)) < 0)
		fatal("vasprintf");
	return n;
}

int
xasprintf(char **ret, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = xvasprintf(ret, fmt, ap);
	va_end(ap);
	return n;
}

void
buf_init(struct buf *b)
{
	b->data = NULL;
	b->len = b->size = 0;
}

void
buf_free(struct buf *b)
{
	free(b->data);
	buf_init(b);
}

/* Clear contents only; keeps the allocation for the next use. */
void
buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->data != NULL)
		b->data[0] = '\0';
}

void
buf_grow(struct buf *b, size_t add)
{
	size_t need;

	if (add > SIZE_MAX - b->len - 1)
		fatalx("buf_grow: overflow");
	need = b->len + add + 1;
	if (need <= b->size)
		return;
	if (b->size == 0)
		b->size = 64;
	while (b->size < need)
		b->size = b->size > SIZE_MAX / 2 ? need : b->size * 2;
	b->data = xreallocarray(b->data, b->size, 1);
}

void
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = xvasprintf(&s, fmt, ap);
	va_end(ap);
	buf_add(b, s, (size_t)n);
	free(s);
}

/* Length of the valid UTF-8 sequence at s, or 0. */
static size_t
utf8_valid_len(const unsigned char *s)
{
	size_t n;
	uint32_t c;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, c = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, c = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, c = s[0] & 0x07;
	else
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if ((n == 3 && c < 0x800) || (n == 4 && (c < 0x10000 || c > 0x10ffff)) ||
	    (c >= 0xd800 && c <= 0xdfff))
		return 0;
	return n;
}

int
json_escapes(unsigned long cp)
{
	return cp < 0x20 || cp == '"' || cp == '\\' || cp == 0x2028 ||
	    cp == 0x2029;
}

size_t
json_escape_put(char *w, unsigned long cp)
{
	static const char hex[] = "0123456789abcdef";

	switch (cp) {
	case '"':
	case '\\':
		w[0] = '\\';
		w[1] = (char)cp;
		return 2;
	case '\n':
		memcpy(w, "\\n", 2);
		return 2;
	case '\r':
		memcpy(w, "\\r", 2);
		return 2;
	case '\t':
		memcpy(w, "\\t", 2);
		return 2;
	}
	w[0] = '\\';
	w[1] = 'u';
	w[2] = hex[(cp >> 12) & 0xf];
	w[3] = hex[(cp >> 8) & 0xf];
	w[4] = hex[(cp >> 4) & 0xf];
	w[5] = hex[cp & 0xf];
	return 6;
}

/*
 * The escape of the character at p (before end) when a JSON string, or
 * JavaScript's, needs one: written to b, and its length in bytes returned
 * (1, or 3 for U+2028 and U+2029, which break JavaScript string
 * literals); 0 when it needs none.
 */
static size_t
json_escape(struct buf *b, const unsigned char *p, const unsigned char *end)
{
	unsigned long cp = *p;
	size_t n = 1;

	if (*p == 0xe2 && end - p >= 3 && p[1] == 0x80 &&
	    (p[2] == 0xa8 || p[2] == 0xa9)) {
		cp = p[2] == 0xa8 ? 0x2028 : 0x2029;
		n = 3;
	}
	if (!json_escapes(cp))
		return 0;
	buf_make_room(b, 6);
	b->len += json_escape_put(b->data + b->len, cp);
	b->data[b->len] = '\0';
	return n;
}

/* The bytes a JSON string holds as they are: printable ASCII but " and \\. */
static const unsigned char json_plain[256] = {
	['\x20'] = 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
};

void
buf_add_json(struct buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s, *run, *end;
	size_t n;

	if (s == NULL) {
		buf_adds(b, "null");
		return;
	}
	end = p + strlen(s);
	buf_addc(b, '"');
	while (*p != '\0') {
		/* What needs no escape goes in a run at a time. */
		for (run = p;; p += n) {
			if (end - p >= 16 && (n = text_span16(p, 1)) != 0)
				continue;
			if (json_plain[*p])
				n = 1;
			else if (p[0] >= 0xc2 && p[0] <= 0xdf &&
			    (p[1] & 0xc0) == 0x80)
				n = 2;
			else if (*p < 0x80 || (n = utf8_valid_len(p)) == 0 ||
			    (n == 3 && p[0] == 0xe2 && p[1] == 0x80 &&
			    (p[2] == 0xa8 || p[2] == 0xa9)))
				break;
		}
		if (p > run)
			buf_add(b, run, p - run);
		if (*p == '\0')
			break;
		if ((n = json_escape(b, p, end)) != 0)
			p += n;
		else if ((n = utf8_valid_len(p)) == 0) {
			buf_adds(b, "\\ufffd");
			p++;
		} else {
			buf_add(b, p, n);
			p += n;
		}
	}
	buf_addc(b, '"');
}

/*
 * The bytes buf_add_json_utf8 copies as they are: all but control
 * characters, '"', '\\' and 0xe2, the first byte of U+2028 and U+2029
 * (and of other characters, which go as they are after a second look).
 */
static const unsigned char json_quiet[256] = {
	['\x20'] = 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
};

/*
 * How many of the 16 bytes at p, from the first, json_quiet holds, or may
 * be copied as they are: 0xe2 stops the count only where U+2028 or U+2029
 * (e2 80 a8, e2 80 a9) may start, and in the last two places, where what
 * follows is not looked at.
 */
static size_t
json_quiet16(const unsigned char *p)
{
#ifdef __SSE2__
	__m128i v;
	unsigned bad;

	v = _mm_loadu_si128((const __m128i *)p);
	/* Bytes below the space, unsigned: min(v, 0x1f) == v. */
	bad = (unsigned)_mm_movemask_epi8(_mm_or_si128(_mm_or_si128(
	    _mm_cmpeq_epi8(_mm_min_epu8(v, _mm_set1_epi8(0x1f)), v),
	    _mm_cmpeq_epi8(v, _mm_set1_epi8('"'))),
	    _mm_cmpeq_epi8(v, _mm_set1_epi8('\\')))) | json_line_sep16(v);
	return bad == 0 ? 16 : (size_t)__builtin_ctz(bad);
#else
	size_t n;

	for (n = 0; n < 16 && json_quiet[p[n]]; n++)
		;
	return n;
#endif
}

/*
 * The text is written as it comes, sixteen bytes at a time, into room made
 * for what is left of it and the closing quote; an escape makes that room
 * again after it.
 */
void
buf_add_json_utf8(struct buf *b, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s, *end;
	char *w;
	size_t n;

	if (s == NULL) {
		buf_adds(b, "null");
		return;
	}
	end = p + len;
	buf_make_room(b, len + 2);
	w = b->data + b->len;
	*w++ = '"';
	for (;;) {
		while (end - p >= 16) {
			n = json_quiet16(p);
			memcpy(w, p, 16);
			w += n;
			p += n;
			if (n < 16)
				break;
		}
		if (end - p < 16)
			while (p < end && json_quiet[*p])
				*w++ = (char)*p++;
		if (p == end)
			break;
		if (*p == 0xe2 && (end - p < 3 || p[1] != 0x80 ||
		    (p[2] & 0xfe) != 0xa8)) {
			/* 0xe2, not of U+2028 or U+2029. */
			*w++ = (char)*p++;
			continue;
		}
		b->len = (size_t)(w - b->data);
		p += json_escape(b, p, end);
		buf_make_room(b, (size_t)(end - p) + 1);
		w = b->data + b->len;
	}
	*w++ = '"';
	*w = '\0';
	b->len = (size_t)(w - b->data);
}

char *
buf_steal(struct buf *b, size_t *len)
{
	char *p;

	if (b->data == NULL)
		buf_grow(b, 0), b->data[0] = '\0';
	p = b->data;
	if (len != NULL)
		*len = b->len;
	buf_init(b);
	return p;
}

static int
str_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' ||
	    c == '\f';
}

char *
str_trim(char *s)
{
	char *e;

	while (str_is_space(*s))
		s++;
	e = s + strlen(s);
	while (e > s && str_is_space(e[-1]))
		*--e = '\0';
	return s;
}

int
str_has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

int
str_has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && memcmp(s + n - m, suffix, m) == 0;
}

void
str_list_free(char **list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(list[i]);
	free(list);
}

int
str_split_list(const char *s, char ***listp, size_t *np, char **cause)
{
	char **list = NULL;
	size_t n = 0;
	struct buf cur;
	int quoted = 0, wasquoted = 0, empty;
	char *item;

	buf_init(&cur);
	for (const char *p = s;; p++) {
		if (*p == '"') {
			if (!quoted && str_trim(cur.data ? cur.data : (char *)"")[0] != '\0') {
				xasprintf(cause, "a quote must start the element");
				goto fail;
			}
			if (!quoted)
				buf_reset(&cur);
			quoted = !quoted;
			wasquoted = 1;
			continue;
		}
		if (quoted && *p != '\0') {
			buf_addc(&cur, *p);
			continue;
		}
		if (quoted) {
			xasprintf(cause, "unterminated quote");
			goto fail;
		}
		if (*p == ',' || *p == '\0') {
			if (cur.data == NULL)
				buf_add(&cur, "", 0);
			item = wasquoted ? cur.data : str_trim(cur.data);
			empty = item[0] == '\0';
			if (empty && wasquoted) {
				xasprintf(cause, "empty element in list");
				goto fail;
			}
			if (!empty) {
				list = xreallocarray(list, n + 1, sizeof *list);
				list[n++] = xstrdup(item);
			} else if (*p == ',' || n > 0) {
				xasprintf(cause, "empty element in list");
				goto fail;
			}
			buf_reset(&cur);
			wasquoted = 0;
			if (*p == '\0')
				break;
			continue;
		}
		if (wasquoted) {
			if (*p == ' ' || *p == '\t')
				continue;
			xasprintf(cause, "text after a closing quote");
			goto fail;
		}
		buf_addc(&cur, *p);
	}
	buf_free(&cur);
	*listp = list;
	*np = n;
	return 0;
fail:
	buf_free(&cur);
	str_list_free(list, n);
	return -1;
}

int64_t
now_unix(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec;
}

int64_t
now_unix_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
now_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Broken-down UTC time; outside years 0 to 9999, the epoch. Days to a
 * civil date by arithmetic (the proleptic Gregorian calendar, as gmtime
 * has it), without gmtime_r's locking: dates are formatted once per item.
 * Only the members the formatters below use are set.
 */
static void
time_utc(int64_t t, struct tm *tm)
{
	int64_t days, secs, z, era, doe, yoe, doy, mp, y;

	if (t < -62167219200LL || t > 253402300799LL)
		t = 0;
	days = t / 86400;
	secs = t % 86400;
	if (secs < 0) {
		secs += 86400;
		days--;
	}
	z = days + 719468;	/* days since 0000-03-01 */
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	y = yoe + era * 400 + (mp >= 10);
	memset(tm, 0, sizeof *tm);
	tm->tm_year = (int)(y - 1900);
	tm->tm_mon = (int)(mp < 10 ? mp + 2 : mp - 10);
	tm->tm_mday = (int)(doy - (153 * mp + 2) / 5 + 1);
	tm->tm_hour = (int)(secs / 3600);
	tm->tm_min = (int)(secs / 60 % 60);
	tm->tm_sec = (int)(secs % 60);
	/* 1970-01-01 was a Thursday. */
	tm->tm_wday = (int)(((days + 4) % 7 + 7) % 7);
}

static void
put_digits(char *dst, unsigned v, int n)
{
	while (n-- > 0) {
		dst[n] = (char)('0' + v % 10);
		v /= 10;
	}
}

void
time_rfc3339(int64_t t, char *dst)
{
	struct tm tm;

	time_utc(t, &tm);
	/* "YYYY-MM-DDTHH:MM:SSZ", years before 1000 padded to four digits. */
	put_digits(dst, (unsigned)(tm.tm_year + 1900), 4);
	dst[4] = '-';
	put_digits(dst + 5, (unsigned)(tm.tm_mon + 1), 2);
	dst[7] = '-';
	put_digits(dst + 8, (unsigned)tm.tm_mday, 2);
	dst[10] = 'T';
	put_digits(dst + 11, (unsigned)tm.tm_hour, 2);
	dst[13] = ':';
	put_digits(dst + 14, (unsigned)tm.tm_min, 2);
	dst[16] = ':';
	put_digits(dst + 17, (unsigned)tm.tm_sec, 2);
	dst[19] = 'Z';
	dst[20] = '\0';
}

void
time_http(int64_t t, char *dst)
{
	static const char days[7][4] = {
		"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char months[12][4] = { "Jan", "Feb", "Mar", "Apr", "May",
		"Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	struct tm tm;

	time_utc(t, &tm);
	/* Not strftime: %a and %b follow the locale. */
	snprintf(dst, 30, "%s, %02u %s %04u %02u:%02u:%02u GMT",
	    days[tm.tm_wday % 7], (unsigned)tm.tm_mday % 100u,
	    months[tm.tm_mon % 12], (unsigned)(tm.tm_year + 1900) % 10000u,
	    (unsigned)tm.tm_hour % 100u, (unsigned)tm.tm_min % 100u,
	    (unsigned)tm.tm_sec % 100u);
}

void
hash_sha256_hex(const void *data, size_t len, char out[65])
{
	static const char hex[] = "0123456789abcdef";
	/*
	 * Fetched once and kept: EVP_Digest with EVP_sha256() looks the
	 * algorithm up and allocates a context on every call, which cost
	 * more than hashing a title (ingest hashes every item it sees).
	 */
	static EVP_MD *sha256;
	static EVP_MD_CTX *ctx;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (sha256 == NULL &&
	    ((sha256 = EVP_MD_fetch(NULL, "SHA256", NULL)) == NULL ||
		(ctx = EVP_MD_CTX_new()) == NULL))
		fatalx("sha256: cannot set up");
	if (EVP_DigestInit_ex2(ctx, sha256, NULL) != 1 ||
	    EVP_DigestUpdate(ctx, data, len) != 1 ||
	    EVP_DigestFinal_ex(ctx, md, &mdlen) != 1 || mdlen != 32)
		fatalx("sha256 failed");
	for (unsigned int i = 0; i < 32; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 0xf];
	}
	out[64] = '\0';
}

int64_t
time_days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

int
hex_value(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}
