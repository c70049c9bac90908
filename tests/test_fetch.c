/* fetch's header readers and helpers; the transfers themselves are tested
 * against tests/feedserver.c by the integration tests. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "fetch.h"
#include "util.h"

/* Sun, 06 Nov 1994 08:49:37 GMT */
#define T1994 784111777

static void
test_retry_after(void **state)
{
	static const struct {
		const char *in;
		int64_t out;	/* relative to now = T1994 - 100 */
	} cases[] = {
	    {"120", 120},
	    {" 7 ", 7},
	    {"0", 0},
	    {"Sun, 06 Nov 1994 08:49:37 GMT", 100},
	    {"Sunday, 06-Nov-94 08:49:37 GMT", 100},
	    {"Sun Nov  6 08:49:37 1994", 100},
	    /* Past dates: at once. */
	    {"Sun, 06 Nov 1994 08:00:00 GMT", 0},
	    /* Huge numbers saturate instead of overflowing. */
	    {"99999999999999999999999", (int64_t)100 * 365 * 86400},
	};
	static const char *bad[] = { "", "soon", "-5", "1.5", "12abc" };
	int64_t now = T1994 - 100;

	(void)state;
	for (size_t i = 0; i < nitems(cases); i++) {
		int64_t t = fetch_parse_retry_after(cases[i].in, now);

		if (t != now + cases[i].out)
			fail_msg("\"%s\": %jd, want %jd", cases[i].in,
			    (intmax_t)(t - now), (intmax_t)cases[i].out);
	}
	for (size_t i = 0; i < nitems(bad); i++)
		if (fetch_parse_retry_after(bad[i], now) != 0)
			fail_msg("\"%s\" read as a time", bad[i]);
}

static void
test_freshness(void **state)
{
	static const struct {
		const char *cc, *expires, *date, *age;
		int64_t out;	/* seconds from now; -1: none (0 returned) */
	} cases[] = {
	    {"max-age=600", NULL, NULL, NULL, 600},
	    {"public, max-age=600, must-revalidate", NULL, NULL, NULL, 600},
	    {"MAX-AGE=\"60\"", NULL, NULL, NULL, 60},
	    {"max-age=600", NULL, NULL, "100", 500},
	    {"max-age=600", NULL, NULL, "700", -1},
	    {"max-age=0", NULL, NULL, NULL, -1},
	    {"max-age=abc", NULL, NULL, NULL, -1},
	    {"no-cache, max-age=600", NULL, NULL, NULL, -1},
	    {"max-age=600, no-store", NULL, NULL, NULL, -1},
	    /* max-age beats Expires. */
	    {"max-age=60", "Sun, 06 Nov 1994 09:49:37 GMT", NULL, NULL, 60},
	    {NULL, "Sun, 06 Nov 1994 09:49:37 GMT", NULL, NULL, 3700},
	    {"private", "Sun, 06 Nov 1994 09:49:37 GMT", NULL, NULL, 3700},
	    /* Expires is read against the server's Date. */
	    {NULL, "Sun, 06 Nov 1994 09:49:37 GMT",
		"Sun, 06 Nov 1994 08:49:37 GMT", NULL, 3600},
	    {NULL, "Sun, 06 Nov 1994 08:49:37 GMT",
		"Sun, 06 Nov 1994 08:49:37 GMT", NULL, -1},
	    {NULL, "0", NULL, NULL, -1},
	    {NULL, NULL, NULL, NULL, -1},
	    {"", NULL, NULL, NULL, -1},
	    {",,,", NULL, NULL, NULL, -1},
	};
	int64_t now = T1994 - 100, t;

	(void)state;
	for (size_t i = 0; i < nitems(cases); i++) {
		t = fetch_parse_freshness(cases[i].cc, cases[i].expires,
		    cases[i].date, cases[i].age, now);
		if (cases[i].out < 0 ? t != 0 : t != now + cases[i].out)
			fail_msg("case %zu (%s): %jd, want %jd", i,
			    cases[i].cc != NULL ? cases[i].cc : "-",
			    (intmax_t)(t == 0 ? -1 : t - now),
			    (intmax_t)cases[i].out);
	}
}

static void
test_host(void **state)
{
	static const struct {
		const char *url, *host;
	} cases[] = {
	    {"http://Example-COM.localhost/feed", "example-com.localhost"},
	    {"https://a.b:8443/x?y#z", "a.b"},
	    {"http://127.0.0.1:8080/", "127.0.0.1"},
	    {"http://[::1]:80/", "[::1]"},
	    {"http://user:pw@host/", "host"},
	    {"not a url", NULL},
	};

	(void)state;
	for (size_t i = 0; i < nitems(cases); i++) {
		char *h = fetch_url_host(cases[i].url);

		if (cases[i].host == NULL)
			assert_null(h);
		else
			assert_string_equal(h, cases[i].host);
		free(h);
	}
}

static void
test_user_agent(void **state)
{
	char *ua;

	(void)state;
	ua = fetch_user_agent(NULL);
	assert_string_equal(ua, "feedmux/" FEEDMUX_VERSION);
	free(ua);
	ua = fetch_user_agent("https://example-org.localhost/me");
	assert_string_equal(ua,
	    "feedmux/" FEEDMUX_VERSION " (+https://example-org.localhost/me)");
	free(ua);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_retry_after),
	    cmocka_unit_test(test_freshness),
	    cmocka_unit_test(test_host),
	    cmocka_unit_test(test_user_agent),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
