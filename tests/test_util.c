#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "util.h"

static void
test_str_trim(void **state)
{
	static const struct {
		const char *in;
		const char *out;
	} cases[] = {
	    {"", ""},
	    {"a", "a"},
	    {"  a", "a"},
	    {"a  ", "a"},
	    {" \t\r\na b\t \r\n", "a b"},
	    {"   ", ""},
	    {"\t", ""},
	    {"a \t b", "a \t b"},
	    {" روسيا ", "روسيا"},
	};
	char *copy;
	size_t i;

	(void)state;
	for (i = 0; i < nitems(cases); i++) {
		copy = xstrdup(cases[i].in);
		assert_string_equal(str_trim(copy), cases[i].out);
		free(copy);
	}
}

static void
test_str_prefix_suffix(void **state)
{
	static const struct {
		const char *s;
		const char *affix;
		int prefix;
		int suffix;
	} cases[] = {
	    {"feed.atom", "feed", 1, 0},
	    {"feed.atom", ".atom", 0, 1},
	    {"feed.atom", "", 1, 1},
	    {"", "", 1, 1},
	    {"", "a", 0, 0},
	    {"ab", "abc", 0, 0},
	    {"abc", "abc", 1, 1},
	    {"aXa", "a", 1, 1},
	};
	size_t i;

	(void)state;
	for (i = 0; i < nitems(cases); i++) {
		assert_int_equal(str_has_prefix(cases[i].s, cases[i].affix),
		    cases[i].prefix);
		assert_int_equal(str_has_suffix(cases[i].s, cases[i].affix),
		    cases[i].suffix);
	}
}

/* Elements joined with '|' for comparison. */
static void
test_str_split_list(void **state)
{
	static const struct {
		const char *in;
		size_t n;
		const char *joined;
	} cases[] = {
	    {"", 0, ""},
	    {"a", 1, "a"},
	    {"a,b", 2, "a|b"},
	    {" a , b ,c ", 3, "a|b|c"},
	    {"a b, c\t", 2, "a b|c"},
	    {"روسيا, اليابان", 2, "روسيا|اليابان"},
	    {"\"Korea, North\", Japan", 2, "Korea, North|Japan"},
	    {"  \"a,b\"  ,c", 2, "a,b|c"},
	    {"\" a \"", 1, " a "},
	    {"x, \"\u0631,\u0633\"", 2, "x|\u0631,\u0633"},
	};
	struct buf b;
	char **list, *cause = NULL;
	size_t n, i, j;

	(void)state;
	for (i = 0; i < nitems(cases); i++) {
		if (str_split_list(cases[i].in, &list, &n, &cause) != 0)
			fail_msg("\"%s\": %s", cases[i].in, cause);
		assert_int_equal(n, cases[i].n);
		buf_init(&b);
		buf_adds(&b, "");
		for (j = 0; j < n; j++)
			buf_printf(&b, "%s%s", j > 0 ? "|" : "", list[j]);
		assert_string_equal(b.data, cases[i].joined);
		buf_free(&b);
		str_list_free(list, n);
	}
}

static void
test_str_split_list_errors(void **state)
{
	static const struct {
		const char *in;
		const char *cause;
	} cases[] = {
	    {"a,,b", "empty element in list"},
	    {"a,", "empty element in list"},
	    {",a", "empty element in list"},
	    {" ,a", "empty element in list"},
	    {"\"a", "unterminated quote"},
	    {"a, \"b", "unterminated quote"},
	    {"a\"b\"", "a quote must start the element"},
	    {"\"a\"\"b\"", "a quote must start the element"},
	    {"\"a\"b", "text after a closing quote"},
	    {"\"a\" b, c", "text after a closing quote"},
	};
	char **list = NULL, *cause = NULL;
	size_t n = 0, i;

	(void)state;
	for (i = 0; i < nitems(cases); i++) {
		if (str_split_list(cases[i].in, &list, &n, &cause) == 0)
			fail_msg("\"%s\" was accepted", cases[i].in);
		assert_non_null(cause);
		assert_string_equal(cause, cases[i].cause);
		free(cause);
		cause = NULL;
	}
}

static void
test_buf(void **state)
{
	struct buf b;
	char *p, big[5000];
	size_t len;

	(void)state;
	buf_init(&b);
	assert_null(b.data);
	assert_int_equal(b.len, 0);

	buf_add(&b, "abc", 3);
	buf_addc(&b, '-');
	buf_adds(&b, "روسيا");
	buf_printf(&b, "/%d/%s", 42, "x");
	assert_string_equal(b.data, "abc-روسيا/42/x");
	assert_int_equal(b.len, strlen("abc-روسيا/42/x"));

	/* Bytes, not strings: an embedded NUL is kept and counted. */
	buf_add(&b, "a\0b", 3);
	assert_int_equal(b.len, strlen("abc-روسيا/42/x") + 3);
	assert_memory_equal(b.data + b.len - 3, "a\0b", 3);
	assert_int_equal(b.data[b.len], '\0');

	buf_reset(&b);
	assert_int_equal(b.len, 0);
	assert_string_equal(b.data, "");
	buf_add(&b, "", 0);
	assert_string_equal(b.data, "");

	memset(big, 'z', sizeof big);
	buf_add(&b, big, sizeof big);
	buf_addc(&b, '!');
	assert_int_equal(b.len, sizeof big + 1);
	assert_true(b.size > b.len);
	assert_int_equal(b.data[sizeof big], '!');
	assert_int_equal(b.data[sizeof big + 1], '\0');

	p = buf_steal(&b, &len);
	assert_int_equal(len, sizeof big + 1);
	assert_int_equal(p[0], 'z');
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	free(p);

	/* An empty buffer still hands over a string. */
	p = buf_steal(&b, &len);
	assert_non_null(p);
	assert_string_equal(p, "");
	assert_int_equal(len, 0);
	free(p);

	buf_adds(&b, "x");
	p = buf_steal(&b, NULL);
	assert_string_equal(p, "x");
	free(p);
	buf_free(&b);
	assert_null(b.data);
}

static void
test_time_formats(void **state)
{
	static const struct {
		int64_t t;
		const char *rfc3339;
		const char *http;
	} cases[] = {
	    {0, "1970-01-01T00:00:00Z", "Thu, 01 Jan 1970 00:00:00 GMT"},
	    {784111777, "1994-11-06T08:49:37Z",
		"Sun, 06 Nov 1994 08:49:37 GMT"},
	    {951782400, "2000-02-29T00:00:00Z",
		"Tue, 29 Feb 2000 00:00:00 GMT"},
	    {1700000000, "2023-11-14T22:13:20Z",
		"Tue, 14 Nov 2023 22:13:20 GMT"},
	    {-1, "1969-12-31T23:59:59Z", "Wed, 31 Dec 1969 23:59:59 GMT"},
	    {2147483648LL, "2038-01-19T03:14:08Z",
		"Tue, 19 Jan 2038 03:14:08 GMT"},
	    {253402300799LL, "9999-12-31T23:59:59Z",
		"Fri, 31 Dec 9999 23:59:59 GMT"},
	    /* Year 10000 does not fit: the epoch stands in. */
	    {253402300800LL, "1970-01-01T00:00:00Z",
		"Thu, 01 Jan 1970 00:00:00 GMT"},
	    {INT64_MAX, "1970-01-01T00:00:00Z",
		"Thu, 01 Jan 1970 00:00:00 GMT"},
	};
	char rfc[21], http[30];
	size_t i;

	(void)state;
	for (i = 0; i < nitems(cases); i++) {
		memset(rfc, 'X', sizeof rfc);
		memset(http, 'X', sizeof http);
		time_rfc3339(cases[i].t, rfc);
		time_http(cases[i].t, http);
		assert_string_equal(rfc, cases[i].rfc3339);
		assert_string_equal(http, cases[i].http);
	}
}

/* The arithmetic of time_utc against the C library's gmtime_r. */
static void
test_time_against_gmtime(void **state)
{
	static const char days[7][4] = {
	    "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
	static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May",
	    "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	char rfc[21], http[30], want[64];
	struct tm tm;
	time_t tt;
	int64_t t;

	(void)state;
	/* Year 0 to 9999, a step that visits every day of the week and hour. */
	for (t = -62167219200LL; t <= 253402300799LL; t += 3155697LL) {
		tt = (time_t)t;
		assert_non_null(gmtime_r(&tt, &tm));
		time_rfc3339(t, rfc);
		time_http(t, http);
		snprintf(want, sizeof want, "%04d-%02d-%02dT%02d:%02d:%02dZ",
		    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		    tm.tm_min, tm.tm_sec);
		assert_string_equal(rfc, want);
		snprintf(want, sizeof want,
		    "%s, %02d %s %04d %02d:%02d:%02d GMT", days[tm.tm_wday],
		    tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900,
		    tm.tm_hour, tm.tm_min, tm.tm_sec);
		assert_string_equal(http, want);
	}
	/* The edges: the first and last second of a year, leap days. */
	time_rfc3339(-62167219200LL, rfc);
	assert_string_equal(rfc, "0000-01-01T00:00:00Z");
	time_rfc3339(-62167219201LL, rfc);
	assert_string_equal(rfc, "1970-01-01T00:00:00Z");
	time_rfc3339(-62162035201LL, rfc);
	assert_string_equal(rfc, "0000-02-29T23:59:59Z");
	time_rfc3339(4107542399LL, rfc);
	assert_string_equal(rfc, "2100-02-28T23:59:59Z");
	time_rfc3339(4107542400LL, rfc);
	assert_string_equal(rfc, "2100-03-01T00:00:00Z");
}

/* What text_span16 must say of the 16 bytes at p, a byte at a time. */
static size_t
span16_want(const unsigned char *p, int json)
{
	size_t i = 0;

	while (i < 16) {
		if (p[i] < 0x80) {
			if (json && (p[i] < 0x20 || p[i] == '"' || p[i] == '\\'))
				break;
			i++;
		} else if (p[i] >= 0xc2 && p[i] <= 0xdf && i + 1 < 16 &&
		    (p[i + 1] & 0xc0) == 0x80)
			i += 2;
		else
			break;
	}
	return i;
}

static void
test_text_span16(void **state)
{
	static const unsigned char bytes[] = { 'a', ' ', '"', '\\', '\n',
	    0x01, 0x1f, 0x20, 0x7f, 0x80, 0xbf, 0xc0, 0xc1, 0xc2, 0xd8, 0xdf,
	    0xe0, 0xe2, 0xf0, 0xff, 0xa7, 0x00 };
	unsigned char p[16];
	size_t got, want, i;
	int n, json;

	(void)state;
	srand(1);
	for (n = 0; n < 200000; n++) {
		for (i = 0; i < sizeof p; i++) {
			/* Mostly what the fast path takes, to reach far in. */
			if (rand() % 4 != 0)
				p[i] = rand() % 2 ? 'x' : (i % 2 ? 0xa7 : 0xd8);
			else
				p[i] = bytes[rand() % sizeof bytes];
		}
		for (json = 0; json <= 1; json++) {
			got = text_span16(p, json);
#ifdef __SSE2__
			want = span16_want(p, json);
#else
			want = 0;
#endif
			if (got != want)
				fail_msg("case %d json %d: got %zu, want %zu", n,
				    json, got, want);
		}
	}
}

static void
test_hash_sha256_hex(void **state)
{
	/* FIPS 180-2 examples. */
	static const struct {
		const char *in;
		const char *hex;
	} cases[] = {
	    {"", "e3b0c44298fc1c149afbf4c8996fb924"
		 "27ae41e4649b934ca495991b7852b855"},
	    {"abc", "ba7816bf8f01cfea414140de5dae2223"
		    "b00361a396177a9cb410ff61f20015ad"},
	    {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
		"248d6a61d20638b8e5c026930c3e6039"
		"a33ce45964ff2167f6ecedd419db06c1"},
	};
	char out[65];
	size_t i;

	(void)state;
	for (i = 0; i < nitems(cases); i++) {
		memset(out, 'X', sizeof out);
		hash_sha256_hex(cases[i].in, strlen(cases[i].in), out);
		assert_string_equal(out, cases[i].hex);
	}
	/* Length, not NUL, ends the input. */
	hash_sha256_hex("abc\0def", 3, out);
	assert_string_equal(out, cases[1].hex);
}

static void
test_clocks(void **state)
{
	int64_t a, b;

	(void)state;
	/* After 2020-01-01 and before 2100: a sane real-time clock. */
	a = now_unix();
	assert_true(a > 1577836800);
	assert_true(a < 4102444800LL);
	a = now_mono_ms();
	b = now_mono_ms();
	assert_true(b >= a);
}

static void
test_json(void **state)
{
	static const struct {
		const char *in;
		const char *out;
	} cases[] = {
		{ "plain", "\"plain\"" },
		{ "", "\"\"" },
		{ "q\"b\\", "\"q\\\"b\\\\\"" },
		{ "nl\ncr\rtab\t", "\"nl\\ncr\\rtab\\t\"" },
		{ "\x01\x1f", "\"\\u0001\\u001f\"" },
		{ "روسيا", "\"روسيا\"" },
		{ "</script>", "\"</script>\"" },
		{ "bad\xff", "\"bad\\ufffd\"" },
		{ "\xc0\xaf", "\"\\ufffd\\ufffd\"" },
		{ "\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\"" },
		{ "\xf4\x90\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\"" },
		{ "cut\xe2\x80", "\"cut\\ufffd\\ufffd\"" },
		{ "\xe2\x80\xa8\xe2\x80\xa9", "\"\\u2028\\u2029\"" },
		{ "\xf0\x9f\x98\x80", "\"\xf0\x9f\x98\x80\"" },
	};
	struct buf b;

	(void)state;
	for (size_t i = 0; i < nitems(cases); i++) {
		buf_init(&b);
		buf_add_json(&b, cases[i].in);
		assert_string_equal(b.data, cases[i].out);
		buf_free(&b);
	}
	buf_init(&b);
	buf_add_json(&b, NULL);
	assert_string_equal(b.data, "null");
	buf_free(&b);
}

/*
 * buf_add_json_utf8 writes what buf_add_json writes for valid UTF-8: every
 * character that is escaped or special, at every offset against the sixteen
 * bytes read at a time, and at the end of the string.
 */
static void
test_json_utf8(void **state)
{
	static const char *pieces[] = { "a", "\"", "\\", "\n", "\r", "\t",
	    "\x01", "\x1f", "\x7f", "\xd8\xb1", "\xe2\x80\xa8", "\xe2\x80\xa9",
	    "\xe2\x80\x9c", "\xe2\x82\xac", "\xf0\x9f\x98\x80", " ", "<", "&" };
	char s[128];
	struct buf a, b;
	size_t i, k, j, n;

	(void)state;
	for (i = 0; i < nitems(pieces); i++) {
		for (k = 0; k < 40; k++) {
			/* k plain bytes, the piece, a few more pieces. */
			n = 0;
			for (j = 0; j < k; j++)
				s[n++] = (char)('a' + j % 26);
			for (j = 0; j < 3; j++) {
				memcpy(s + n, pieces[(i + j * 5) % nitems(pieces)],
				    strlen(pieces[(i + j * 5) % nitems(pieces)]));
				n += strlen(pieces[(i + j * 5) % nitems(pieces)]);
			}
			s[n] = '\0';
			buf_init(&a);
			buf_init(&b);
			buf_add_json(&a, s);
			buf_add_json_utf8(&b, s, n);
			assert_string_equal(a.data, b.data);
			buf_free(&a);
			buf_free(&b);
		}
	}
	buf_init(&b);
	buf_add_json_utf8(&b, NULL, 0);
	assert_string_equal(b.data, "null");
	buf_free(&b);
	buf_init(&b);
	buf_add_json_utf8(&b, "", 0);
	assert_string_equal(b.data, "\"\"");
	buf_free(&b);
}

/*
 * The same in random mixes, written after what a buffer holds already:
 * runs of escapes six times as long as their bytes, and 0xe2 of characters
 * that are not escaped, at every place against the sixteen bytes.
 */
static void
test_json_utf8_mixed(void **state)
{
	static const char *pieces[] = { "a", "bcdefgh", "\"", "\\", "\n",
	    "\x01", "\x1f", "\x7f", "\xe2\x80\xa8", "\xe2\x80\xa9",
	    "\xe2\x80\x99", "\xe2\x80\xaf", "\xe2\x82\xac", "\xc3\xa9",
	    "\xf0\x9f\x98\x80", " " };
	char s[512];
	struct buf a, b;
	size_t i, k, n, len;
	unsigned long r = 3;

	(void)state;
	for (i = 0; i < 20000; i++) {
		r = r * 6364136223846793005UL + 1442695040888963407UL;
		n = (r >> 33) % 60;
		s[0] = '\0';
		for (len = 0, k = 0; k < n; k++) {
			r = r * 6364136223846793005UL + 1442695040888963407UL;
			len += (size_t)snprintf(s + len, sizeof s - len, "%s",
			    pieces[(r >> 33) % nitems(pieces)]);
		}
		buf_init(&a);
		buf_init(&b);
		buf_adds(&a, "[1,");
		buf_adds(&b, "[1,");
		buf_add_json(&a, s);
		buf_add_json_utf8(&b, s, len);
		assert_string_equal(a.data, b.data);
		assert_int_equal(a.len, b.len);
		buf_free(&a);
		buf_free(&b);
	}
	memset(s, 0x01, 500);
	s[500] = '\0';
	buf_init(&a);
	buf_init(&b);
	buf_add_json(&a, s);
	buf_add_json_utf8(&b, s, 500);
	assert_string_equal(a.data, b.data);
	buf_free(&a);
	buf_free(&b);
}

/* Civil dates against the epoch, leap rules and hex digits. */
static void
test_days_hex(void **state)
{
	static const struct {
		int64_t y;
		int m, d;
		int64_t days;
	} dates[] = {
	    {1970, 1, 1, 0},
	    {1969, 12, 31, -1},
	    {2000, 2, 29, 11016},
	    {2000, 3, 1, 11017},
	    {1900, 3, 1, -25508},
	    {2024, 12, 31, 20088},
	    {1, 1, 1, -719162},
	    {9999, 12, 31, 2932896},
	};
	const char *hex = "0123456789abcdefABCDEF";

	(void)state;
	for (size_t i = 0; i < sizeof dates / sizeof dates[0]; i++)
		assert_int_equal(time_days_from_civil(dates[i].y, dates[i].m,
				     dates[i].d),
		    dates[i].days);
	for (int c = 0; c < 256; c++) {
		const char *at = c != 0 ? strchr(hex, c) : NULL;
		int want = at == NULL ? -1
			   : at - hex < 16 ? (int)(at - hex)
					   : (int)(at - hex) - 6;

		assert_int_equal(hex_value(c), want);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json),
	    cmocka_unit_test(test_json_utf8),
	    cmocka_unit_test(test_json_utf8_mixed),
	    cmocka_unit_test(test_days_hex),
	    cmocka_unit_test(test_str_trim),
	    cmocka_unit_test(test_str_prefix_suffix),
	    cmocka_unit_test(test_str_split_list),
	    cmocka_unit_test(test_str_split_list_errors),
	    cmocka_unit_test(test_buf),
	    cmocka_unit_test(test_time_formats),
	    cmocka_unit_test(test_time_against_gmtime),
	    cmocka_unit_test(test_text_span16),
	    cmocka_unit_test(test_hash_sha256_hex),
	    cmocka_unit_test(test_clocks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
