#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "util.h"

/* Request heads and what http_parse makes of them. */
static const struct {
	const char *in;
	int rc; /* 0, 1 (more needed) or a status */
	enum http_method method;
	const char *path;
	int keep_alive, gzip, body;
} heads[] = {
    {"GET / HTTP/1.1\r\nHost: a\r\n\r\n", 0, HTTP_GET, "/", 1, 0, 0},
    {"HEAD /feeds/x.atom HTTP/1.1\r\nHost: a\r\n\r\n", 0, HTTP_HEAD,
	"/feeds/x.atom", 1, 0, 0},
    /* Bare LF, leading empty lines, a query and a fragment dropped. */
    {"\r\n\nGET /a?b=c#d HTTP/1.1\nHost: a\n\n", 0, HTTP_GET, "/a", 1, 0, 0},
    {"GET http://h.example:8080/x/y?z HTTP/1.1\r\nHost: a\r\n\r\n", 0, HTTP_GET,
	"/x/y", 1, 0, 0},
    {"GET https://h.example HTTP/1.1\r\nHost: a\r\n\r\n", 0, HTTP_GET, "/", 1,
	0, 0},
    {"GET / HTTP/1.0\r\n\r\n", 0, HTTP_GET, "/", 0, 0, 0},
    {"GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", 0, HTTP_GET, "/", 1, 0,
	0},
    {"GET / HTTP/1.1\r\nHost: a\r\nConnection: foo, close\r\n\r\n", 0, HTTP_GET,
	"/", 0, 0, 0},
    {"BREW /pot HTTP/1.1\r\nHost: a\r\n\r\n", 0, HTTP_OTHER, "/pot", 1, 0, 0},
    {"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n", 0, HTTP_GET, "/",
	1, 0, 0},
    {"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc", 0, HTTP_GET,
	"/", 1, 0, 1},
    {"GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n", 0,
	HTTP_GET, "/", 1, 0, 1},
    /* Accept-Encoding: q=0 refuses; "*" stands for what is not named. */
    {"GET / HTTP/1.1\r\nHost: a\r\nAccept-Encoding: gzip\r\n\r\n", 0, HTTP_GET,
	"/", 1, 1, 0},
    {"GET / HTTP/1.1\r\nHost: a\r\nAccept-Encoding: br ,X-GZIP\r\n\r\n", 0,
	HTTP_GET, "/", 1, 1, 0},
    {"GET / HTTP/1.1\r\nHost: a\r\nAccept-Encoding: gzip;q=0.001\r\n\r\n", 0,
	HTTP_GET, "/", 1, 1, 0},
    {"GET / HTTP/1.1\r\nHost: a\r\nAccept-Encoding: gzip ; Q=0.0\r\n\r\n", 0,
	HTTP_GET, "/", 1, 0, 0},
    {"GET / HTTP/1.1\r\nHost: a\r\nAccept-Encoding: *\r\n\r\n", 0, HTTP_GET,
	"/", 1, 1, 0},
    {"GET / HTTP/1.1\r\nHost: a\r\nAccept-Encoding: *, gzip;q=0\r\n\r\n", 0,
	HTTP_GET, "/", 1, 0, 0},
    {"GET / HTTP/1.1\r\nHost: a\r\nAccept-Encoding: gzip;q=0\r\n"
     "Accept-Encoding: *\r\n\r\n",
	0, HTTP_GET, "/", 1, 0, 0},
    {"GET / HTTP/1.1\r\nHost: a\r\nAccept-Encoding: deflate\r\n\r\n", 0,
	HTTP_GET, "/", 1, 0, 0},
    /* Not whole yet. */
    {"", 1, 0, NULL, 0, 0, 0},
    {"\r\n", 1, 0, NULL, 0, 0, 0},
    {"GET / HTTP/1.1", 1, 0, NULL, 0, 0, 0},
    {"GET / HTTP/1.1\r\nHost: a\r\n", 1, 0, NULL, 0, 0, 0},
    {"GET / HTTP/1.1\r\nHost: a\r\n\r", 1, 0, NULL, 0, 0, 0},
    /* Refused. */
    {"GET / HTTP/1.1\r\n\r\n", 400, 0, NULL, 0, 0, 0},
    {"GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n", 400, 0, NULL, 0, 0, 0},
    {"GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505, 0, NULL, 0, 0, 0},
    {"GET / HTTP/3.0\r\nHost: a\r\n\r\n", 505, 0, NULL, 0, 0, 0},
    {"GET / HTTP/0.9\r\n\r\n", 400, 0, NULL, 0, 0, 0},
    {"GET / HTTP/9.9\r\n\r\n", 400, 0, NULL, 0, 0, 0},
    {"GET / HTTP/1.10\r\nHost: a\r\n\r\n", 400, 0, NULL, 0, 0, 0},
    {"GET / http/1.1\r\nHost: a\r\n\r\n", 400, 0, NULL, 0, 0, 0},
    {"GET /\r\n\r\n", 400, 0, NULL, 0, 0, 0},
    {"GET /a b HTTP/1.1\r\nHost: a\r\n\r\n", 400, 0, NULL, 0, 0, 0},
    {" GET / HTTP/1.1\r\nHost: a\r\n\r\n", 400, 0, NULL, 0, 0, 0},
    {"GET x HTTP/1.1\r\nHost: a\r\n\r\n", 400, 0, NULL, 0, 0, 0},
    {"G\x01T / HTTP/1.1\r\n", 400, 0, NULL, 0, 0, 0},
    {"\x16\x03\x01\x02", 400, 0, NULL, 0, 0, 0},
    {"GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n", 400, 0, NULL, 0, 0, 0},
    {"GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400, 0, NULL, 0, 0, 0},
    {"GET / HTTP/1.1\r\n: a\r\nHost: a\r\n\r\n", 400, 0, NULL, 0, 0, 0},
    {"GET / HTTP/1.1\r\nHost: a\r\nX: a\rb\r\n\r\n", 400, 0, NULL, 0, 0, 0},
    {"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n", 400, 0, NULL, 0,
	0, 0},
    {"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n"
     "Content-Length: 2\r\n\r\n",
	400, 0, NULL, 0, 0, 0},
    {"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999\r\n"
     "\r\n",
	400, 0, NULL, 0, 0, 0},
};

static void
test_parse(void **state)
{
	struct http_request req;
	char *buf;
	int rc;

	(void)state;
	for (size_t i = 0; i < nitems(heads); i++) {
		buf = xstrdup(heads[i].in);
		rc = http_parse(buf, strlen(buf), &req);
		if (rc != heads[i].rc)
			fail_msg("%zu: %d, want %d", i, rc, heads[i].rc);
		if (rc == 0) {
			assert_int_equal(req.method, heads[i].method);
			assert_string_equal(req.path, heads[i].path);
			assert_int_equal(req.keep_alive, heads[i].keep_alive);
			if (req.accept_gzip != heads[i].gzip)
				fail_msg("%zu: gzip %d", i, req.accept_gzip);
			assert_int_equal(req.has_body, heads[i].body);
			/* The body is not part of the head. */
			assert_int_equal(req.len,
			    strlen(heads[i].in) -
				(heads[i].body && strstr(heads[i].in, "abc")
					? 3
					: 0));
		}
		free(buf);
	}
}

static void
test_parse_fields(void **state)
{
	struct http_request req;
	char buf[] = "GET /x HTTP/1.1\r\nHost: a\r\n"
		     "If-None-Match: \"a\", W/\"b\"\r\n"
		     "if-none-match:\t\"c\"  \r\n"
		     "If-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
		     "\r\nGET /next HTTP/1.1\r\n";

	(void)state;
	assert_int_equal(http_parse(buf, sizeof buf - 1, &req), 0);
	assert_int_equal(req.ninm, 2);
	assert_string_equal(req.if_none_match[0], "\"a\", W/\"b\"");
	assert_string_equal(req.if_none_match[1], "\"c\"");
	assert_string_equal(
	    req.if_modified_since, "Sun, 06 Nov 1994 08:49:37 GMT");
	/* Pipelined: the next request starts where this head ends. */
	assert_true(strncmp(buf + req.len, "GET /next", 9) == 0);
}

static void
test_parse_limits(void **state)
{
	struct http_request req;
	struct buf b;

	(void)state;
	/* Fields beyond the limit. */
	buf_init(&b);
	buf_adds(&b, "GET / HTTP/1.1\r\nHost: a\r\n");
	for (int i = 0; i < HTTP_MAX_FIELDS; i++)
		buf_printf(&b, "X-%d: y\r\n", i);
	buf_adds(&b, "\r\n");
	assert_int_equal(http_parse(b.data, b.len, &req), 431);
	buf_free(&b);

	/* A head that never ends within the limit. */
	buf_init(&b);
	buf_adds(&b, "GET / HTTP/1.1\r\nHost: a\r\nX: ");
	while (b.len < HTTP_MAX_HEADER - 10)
		buf_addc(&b, 'y');
	assert_int_equal(http_parse(b.data, b.len, &req), 1);
	while (b.len < HTTP_MAX_HEADER + 10)
		buf_addc(&b, 'y');
	assert_int_equal(http_parse(b.data, b.len, &req), 431);
	buf_free(&b);

	/* A request line beyond its own limit, whole or not. */
	buf_init(&b);
	buf_adds(&b, "GET /");
	while (b.len < HTTP_MAX_LINE + 10)
		buf_addc(&b, 'a');
	assert_int_equal(http_parse(b.data, b.len, &req), 414);
	buf_adds(&b, " HTTP/1.1\r\nHost: a\r\n\r\n");
	assert_int_equal(http_parse(b.data, b.len, &req), 414);
	buf_free(&b);
}

static void
test_dates(void **state)
{
	static const struct {
		const char *s;
		int64_t t;
	} good[] = {
	    {"Sun, 06 Nov 1994 08:49:37 GMT", 784111777},
	    {"Sunday, 06-Nov-94 08:49:37 GMT", 784111777},
	    {"Sun Nov  6 08:49:37 1994", 784111777},
	    {"Thu, 01 Jan 1970 00:00:00 GMT", 0},
	    {"Tue, 29 Feb 2028 23:59:59 GMT", 1835481599},
	    {"Mon, 01 Jan 2024 00:00:00 GMT", 1704067200},
	};
	static const char *const bad[] = {"", "yesterday",
	    "Sun, 06 Nov 1994 08:49:37 PST", "Sun, 06 Foo 1994 08:49:37 GMT",
	    "Sun, 06 Nov 1994 25:49:37 GMT", "Sun, 06 Nov 1994 08:49:37 GMT x",
	    "1994-11-06T08:49:37Z"};
	int64_t t;
	char back[30];

	(void)state;
	for (size_t i = 0; i < nitems(good); i++) {
		if (http_date_parse(good[i].s, &t) != 0)
			fail_msg("\"%s\" not read", good[i].s);
		assert_int_equal(t, good[i].t);
	}
	for (size_t i = 0; i < nitems(bad); i++)
		if (http_date_parse(bad[i], &t) == 0)
			fail_msg("\"%s\" read as %lld", bad[i], (long long)t);
	/* What the server sends, it reads back. */
	time_http(1700000000, back);
	assert_int_equal(http_date_parse(back, &t), 0);
	assert_int_equal(t, 1700000000);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse),
	    cmocka_unit_test(test_parse_fields),
	    cmocka_unit_test(test_parse_limits),
	    cmocka_unit_test(test_dates),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
