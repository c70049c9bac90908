/*
 * Tests of match: every example of ARABIC-MATCHING.md, one table per rule.
 * A failing case prints its table and index, so every table runs whole.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "match.h"
#include "util.h"

/* An item field and its tokens, joined with "|". */
struct tok_case {
	const char *in;
	const char *want;
};

/* A keyword, one item field, and whether the keyword matches it. */
struct kw_case {
	const char *kw;
	const char *text;
	int want;
};

/* A keyword and the error it gives (NULL: none). */
struct syntax_case {
	const char *kw;
	const char *cause;
};

/* A filter, the fields of an item, and whether the item passes. */
struct filter_case {
	const char *any[4];
	const char *all[4];
	const char *none[4];
	const char *fields[3];
	int want;
};

/* The tokens of one field, HTML or (plain) plain text, joined with "|". */
static char *
joined_tokens_kind(const char *field, int plain)
{
	const unsigned kind =
	    MATCH_FIELD_TITLE | (plain ? MATCH_FIELD_PLAIN : 0);
	struct match_text *mt;
	const char *const *toks;
	struct buf b;
	size_t i, n;

	mt = match_text_new_kinds(&field, &kind, 1);
	n = match_text_tokens(mt, 0, &toks);
	buf_init(&b);
	buf_add(&b, "", 0);
	for (i = 0; i < n; i++)
		buf_printf(&b, "%s%s", i == 0 ? "" : "|", toks[i]);
	match_text_free(mt);
	return buf_steal(&b, NULL);
}

static char *
joined_tokens(const char *field)
{
	return joined_tokens_kind(field, 0);
}

static void
check_tokens(const char *name, const struct tok_case *tc, size_t n)
{
	size_t i, fails = 0;
	char *got;

	for (i = 0; i < n; i++) {
		got = joined_tokens(tc[i].in);
		if (strcmp(got, tc[i].want) != 0) {
			print_error(
			    "%s[%zu]: \"%s\": got \"%s\", want \"%s\"\n", name,
			    i, tc[i].in, got, tc[i].want);
			fails++;
		}
		free(got);
	}
	assert_int_equal(fails, 0);
}
#define CHECK_TOKENS(t) check_tokens(#t, t, nitems(t))

static int
keyword_matches(const char *kw, const char *text)
{
	struct match_filter *mf;
	struct match_text *mt;
	char *cause = NULL;
	char *any[1];
	int r;

	any[0] = (char *)kw;
	mf = match_filter_new(any, 1, NULL, 0, NULL, 0, &cause);
	if (mf == NULL) {
		print_error("keyword \"%s\": %s\n", kw, cause);
		free(cause);
		return -1;
	}
	mt = match_text_new(&text, 1);
	r = match_filter_test(mf, mt);
	match_text_free(mt);
	match_filter_free(mf);
	return r;
}

static void
check_keywords(const char *name, const struct kw_case *kc, size_t n)
{
	size_t i, fails = 0;
	int got;

	for (i = 0; i < n; i++) {
		got = keyword_matches(kc[i].kw, kc[i].text);
		if (got != kc[i].want) {
			print_error("%s[%zu]: \"%s\" in \"%s\": got %d, "
				    "want %d\n",
			    name, i, kc[i].kw, kc[i].text, got, kc[i].want);
			fails++;
		}
	}
	assert_int_equal(fails, 0);
}
#define CHECK_KEYWORDS(t) check_keywords(#t, t, nitems(t))

static size_t
list_len(const char *const *l)
{
	size_t n = 0;

	while (n < 4 && l[n] != NULL)
		n++;
	return n;
}

/* ---- H: HTML to text ---- */

static const struct tok_case html_blocks[] = {
    {"a<!-- hidden -->b", "a|b"},
    {"a<!---->b", "a|b"},
    {"a<!-->b", "a|b"},
    {"a<!-- never closed b c", "a"},
    {"a<!-- <b>x</b> -->c", "a|c"},
    {"a<script>var x = 1;</script>b", "a|b"},
    {"a<SCRIPT type=\"text/javascript\">x()</ScRiPt >b", "a|b"},
    {"a<script>if (a<b) x();</script>c", "a|c"},
    {"a<script>document.write('</p>')</script>c", "a|c"},
    {"a<script>never closed", "a"},
    {"a<style>p { color: red }</style>b", "a|b"},
    {"a<style media=print>x</STYLE>b", "a|b"},
    {"a<style>never closed", "a"},
    /* A tag whose name only starts like script is a plain tag. */
    {"a<scripts>b</scripts>c", "a|b|c"},
    {"روسيا<script>اليابان</script>مصر", "روسيا|مصر"},
};

static const struct tok_case html_tags[] = {
    {"<p>Japan</p>", "japan"},
    {"Ja<b>pan</b>", "ja|pan"},
    {"a<br/>b", "a|b"},
    {"a<!DOCTYPE html>b", "a|b"},
    {"a<?xml version=\"1.0\"?>b", "a|b"},
    {"<a href=\"http://japan.example/\">link</a>", "link"},
    {"<img alt=\"Japan\" title=\"Japan\" src=x.png>", ""},
    {"<span class=\"japan\">x</span>", "x"},
    {"1 < 2 and 3 <4", "1|2|and|3|4"},
    {"a <= b", "a|b"},
    {"a<", "a"},
    {"a <1b> c", "a|1|b|c"},
    {"a <b never closed", "a"},
    /* Only the first ">" ends a tag, quoted or not. */
    {"<a title=\"x>y\">z</a>", "y|z"},
    {"كوريا<br>الشمالية", "كوريا|الشماليه"},
    {"URL http://example-com.localhost/japan in text",
	"url|http|example|com|localhost|japan|in|text"},
};

static const struct tok_case html_refs[] = {
    {"AT&amp;T", "at|t"},
    {"&lt;b&gt;Japan&lt;/b&gt;", "b|japan|b"},
    {"&quot;Japan&quot; &apos;s", "japan|s"},
    {"a&nbsp;b", "a|b"},
    {"&#74;apan", "japan"},
    {"&#x4A;apan &#X6a;apan", "japan|japan"},
    {"&#1585;&#x648;&#x633;&#x64A;&#x627;", "روسيا"},
    /* Decoded once: a decoded "&" or "<" starts nothing. */
    {"&amp;lt;b&amp;gt;", "lt|b|gt"},
    {"&lt;script&gt;Japan&lt;/script&gt;", "script|japan|script"},
    /* 0, surrogates and too large values are U+FFFD, a separator. */
    {"a&#0;b", "a|b"},
    {"a&#xD800;b", "a|b"},
    {"a&#xDFFF;b", "a|b"},
    {"a&#x110000;b", "a|b"},
    {"a&#99999999999999999999;b", "a|b"},
    {"a&#x10FFFF;b", "a|b"},
    /* Without ";", or with an unknown or wrongly cased name: text. */
    {"&amp", "amp"},
    {"&#74 apan", "74|apan"},
    {"&#;x &#x;y", "x|x|y"},
    {"&AMP; &Lt;", "amp|lt"},
    {"&bogus;", "bogus"},
    /* ZWNJ by reference is a boundary too, as are &#160; and &nbsp;. */
    {"a&#x200C;b&#160;c", "a|b|c"},
};

static void
test_html_blocks(void **state)
{
	(void)state;
	CHECK_TOKENS(html_blocks);
}

static void
test_html_tags(void **state)
{
	(void)state;
	CHECK_TOKENS(html_tags);
}

static void
test_html_refs(void **state)
{
	(void)state;
	CHECK_TOKENS(html_refs);
}

/* ---- Invalid UTF-8 ---- */

static const struct tok_case bad_utf8[] = {
    {"ab\xff"
     "cd",
	"ab|cd"},
    {"ab\xc3", "ab"},
    {"ab\xc0\xaf"
     "cd",
	"ab|cd"}, /* overlong "/" */
    {"ab\xed\xa0\x80"
     "cd",
	"ab|cd"}, /* surrogate */
    {"ab\xf4\x90\x80\x80"
     "cd",
	"ab|cd"}, /* above U+10FFFF */
    {"\xd8\xb1\xd9"
     "x",
	"ر|x"}, /* truncated Arabic letter */
    {"ab\xef\xbf\xbd"
     "cd",
	"ab|cd"}, /* a real U+FFFD */
};

static void
test_bad_utf8(void **state)
{
	(void)state;
	CHECK_TOKENS(bad_utf8);
}

/* ---- U: Unicode fold ---- */

static const struct tok_case unicode_fold[] = {
    /* Hamza forms on alef, and tashkeel. */
    {"أ إ آ", "ا|ا|ا"},
    {"أحمد إيران آسيا", "احمد|ايران|اسيا"},
    {"رُوسِيَا", "روسيا"},
    {"مُحَمَّدٌ", "محمد"},
    {"هٰذا", "هذا"},
    /* Quranic marks and the combining madda. */
    {"قل\xdb\x96 \xd8\xa7\xd9\x93", "قل|ا"},
    {"ؤ ئ", "و|ي"},
    {"مسؤول مسئول", "مسوول|مسيول"},
    /* A decomposed hamza equals the precomposed letter. */
    {"\xd8\xa7\xd9\x94"
     "حمد",
	"احمد"},
    {"مسو\xd9\x94ول", "مسوول"},
    /* Standalone hamza stays. */
    {"ء سماء", "ء|سماء"},
    /* Presentation forms. */
    {"ﻻ", "لا"},
    {"ﺭﻭﺳﻴﺎ", "روسيا"},
    {"ﷲ", "الله"},
    /* Latin and other scripts. */
    {"ＪＡＰＡＮ", "japan"},
    {"ﬁnance", "finance"},
    {"é ğ ü ñ ё ά", "e|g|u|n|е|α"},
    {"Straße", "strasse"},
    {"İstanbul", "istanbul"},
    {"ς", "σ"},
    {"ø ł đ ı æ", "ø|ł|đ|ı|æ"},
    {"हिन्दी", "हनद"},
    {"Ω ǅ", "ω|dz"},
    /* Default ignorables vanish and join: ZWJ, LRM, RLM, ALM, SHY, BOM. */
    {"رو\xe2\x80\x8dسيا", "روسيا"},
    {"Ja\xe2\x80\x8epan\xe2\x80\x8f", "japan"},
    {"رو\xd8\x9cسيا", "روسيا"},
    {"Ja\xc2\xadpan", "japan"},
    {"\xef\xbb\xbfJapan", "japan"},
    {"Ja\xe2\x80\xaepan", "japan"},
    {"ا\xef\xb8\x8f", "ا"},
    /* ZWNJ and ZWSP separate. */
    {"می\xe2\x80\x8cخواهد", "مي|خواهد"},
    {"Ja\xe2\x80\x8bpan", "ja|pan"},
};

static void
test_unicode_fold(void **state)
{
	(void)state;
	CHECK_TOKENS(unicode_fold);
}

/* ---- A: Arabic-script fold ---- */

static const struct tok_case arabic_fold[] = {
    {"روسـيا", "روسيا"},
    {"روســـــيا", "روسيا"},
    {"ٱلله", "الله"},
    {"مستشفى", "مستشفي"},
    {"مدرسة", "مدرسه"},
    {"ی ے", "ي|ي"},
    {"ک", "ك"},
    {"ہ ە ۀ ھ", "ه|ه|ه|ه"},
    {"٠١٢٣٤٥٦٧٨٩", "0123456789"},
    {"۰۱۲۳۴۵۶۷۸۹", "0123456789"},
    {"٣٫٥", "3|5"},
    {"١٠٪", "10"},
    /* Not folded: پ چ ژ گ, standalone ء, and ؤ ئ stay apart from ء. */
    {"پاکستان", "پاكستان"},
    {"پ چ ژ گ", "پ|چ|ژ|گ"},
    {"شيء شيئا", "شيء|شييا"},
    {"می\xe2\x80\x8cخواهد میخواهد", "مي|خواهد|ميخواهد"},
};

static void
test_arabic_fold(void **state)
{
	(void)state;
	CHECK_TOKENS(arabic_fold);
}

/* ---- T: tokens ---- */

static const struct tok_case tokens[] = {
    {"لـGoogle", "ل|google"},
    {"لGoogle", "ل|google"},
    {"كوفيد١٩", "كوفيد|19"},
    {"G-20 G20", "g|20|g|20"},
    {"don't 3.5 U.N.", "don|t|3|5|u|n"},
    {"كوريا الشمالية", "كوريا|الشماليه"},
    {"حزبالله", "حزبالله"},
    {"a،b؛c؟d«e»f٪g٫h٬i۔j", "a|b|c|d|e|f|g|h|i|j"},
    {"a-b_c'd’e.f/g#h@i", "a|b|c|d|e|f|g|h|i"},
    {"2+2", "2|2"},
    {"a\tb\nc\rd", "a|b|c|d"},
    {"€5 ©x", "5|x"},
    {"東京 Tokyo", "東京|tokyo"},
    {"Москва", "москва"},
    {"", ""},
    {" \t ", ""},
};

static void
test_tokens(void **state)
{
	(void)state;
	CHECK_TOKENS(tokens);
}

/*
 * Runs of Arabic letters, the fast path's case, and everything that stops
 * it: the end of the string (also inside a character), a separator of one
 * byte or more, marks, tatweel, presentation forms, other scripts, bytes
 * that are no UTF-8.
 */
static const struct tok_case arabic_runs[] = {
    {"روسيا", "روسيا"},
    {"و من على روسيا اليابان المتحدة والاستثمارات",
	"و|من|علي|روسيا|اليابان|المتحده|والاستثمارات"},
    {"روسيا  اليابان, الصين. مصر", "روسيا|اليابان|الصين|مصر"},
    {"روسيا\xd8", "روسيا"},
    {"روسيا \xd8", "روسيا"},
    {"روس\xd9"
     "Aيا",
	"روس|a|يا"},
    {"روس\xd9", "روس"},
    {"مدرسة أحمد إلى", "مدرسه|احمد|الي"},
    {"مُحَمَّد الْمُتَّحِدَة", "محمد|المتحده"},
    {"روـسيا والاستثـمارات", "روسيا|والاستثمارات"},
    {"ر\xef\xbb\xad\xd8\xb3يا", "روسيا"},
    {"روسياé روسيا é", "روسيا|e|روسيا|e"},
    {"روسياG20", "روسيا|g|20"},
    {"الدولة٣ ٣الدولة", "الدوله|3|3|الدوله"},
    {"ک ی ے ہ", "ك|ي|ي|ه"},
    {"روسيا<b>اليابان</b>&amp;الصين", "روسيا|اليابان|الصين"},
};

static void
test_arabic_runs(void **state)
{
	size_t i, fails = 0;
	char *got;

	(void)state;
	CHECK_TOKENS(arabic_runs);
	/* The same as plain text, but for the markup. */
	for (i = 0; i + 1 < nitems(arabic_runs); i++) {
		got = joined_tokens_kind(arabic_runs[i].in, 1);
		if (strcmp(got, arabic_runs[i].want) != 0) {
			print_error(
			    "arabic_runs[%zu] plain: got \"%s\"\n", i, got);
			fails++;
		}
		free(got);
	}
	assert_int_equal(fails, 0);
}

static void
test_tokens_null_field(void **state)
{
	const char *fields[2] = {NULL, "Japan"};
	const char *const *toks;
	struct match_text *mt;

	(void)state;
	mt = match_text_new(fields, 2);
	assert_int_equal(match_text_tokens(mt, 0, &toks), 0);
	assert_int_equal(match_text_tokens(mt, 1, &toks), 1);
	assert_string_equal(toks[0], "japan");
	assert_int_equal(match_text_tokens(mt, 2, &toks), 0);
	assert_null(toks);
	match_text_free(mt);
}

/* ---- §3: keyword syntax ---- */

static const struct syntax_case syntax[] = {
    {"Japan", NULL},
    {"  Japan\t", NULL},
    {"=Japan", NULL},
    {"Japan*", NULL},
    {"Jap*", NULL},
    {"كوريا الشمالية", NULL},
    {"U.N.", NULL},
    {"COVID-19", NULL},
    {"= Japan", NULL},
    {"روس*", NULL},
    {"الياب*", NULL},
    {"=Japan*", "keyword \"=Japan*\": \"=\" (strict) and \"*\" "
		"(prefix) cannot be combined"},
    {"=*", "keyword \"=*\": \"=\" (strict) and \"*\" (prefix) cannot "
	   "be combined"},
    {"Ja=pan", "keyword \"Ja=pan\": \"=\" is allowed only at the "
	       "start"},
    {"==Japan", "keyword \"==Japan\": \"=\" is allowed only at the "
		"start"},
    {"Japan=", "keyword \"Japan=\": \"=\" is allowed only at the "
	       "start"},
    {"Ja*pan", "keyword \"Ja*pan\": \"*\" is allowed only at the end"},
    {"*Japan", "keyword \"*Japan\": \"*\" is allowed only at the end"},
    {"Japan**", "keyword \"Japan**\": \"*\" is allowed only at the "
		"end"},
    {"", "keyword \"\": no letters or digits to match"},
    {"   ", "keyword \"\": no letters or digits to match"},
    {"=", "keyword \"=\": no letters or digits to match"},
    {"*", "keyword \"*\": no letters or digits to match"},
    {"...", "keyword \"...\": no letters or digits to match"},
    {"\xd9\x8e", "keyword \"\xd9\x8e\": no letters or digits to "
		 "match"},
    {"x*", "keyword \"x*\": a prefix needs at least 3 letters"},
    {"Ja*", "keyword \"Ja*\": a prefix needs at least 3 letters"},
    {"19*", "keyword \"19*\": a prefix needs at least 3 letters"},
    {"New Yo*", "keyword \"New Yo*\": a prefix needs at least 3 "
		"letters"},
    {"رو*", "keyword \"رو*\": a prefix needs at least 3 letters"},
    /* The article does not count toward a prefix stem. */
    {"اليا*", "keyword \"اليا*\": a prefix needs at least 3 letters"},
    {"Jap\xff", "keyword is not valid UTF-8"},
};

static void
test_syntax(void **state)
{
	size_t i, fails = 0;
	char *cause;
	int r;

	(void)state;
	for (i = 0; i < nitems(syntax); i++) {
		cause = NULL;
		r = match_keyword_check(syntax[i].kw, &cause);
		if (syntax[i].cause == NULL && r != 0) {
			print_error("syntax[%zu]: \"%s\": unexpected error "
				    "%s\n",
			    i, syntax[i].kw, cause);
			fails++;
		} else if (syntax[i].cause != NULL &&
			   (r != -1 || cause == NULL ||
			       strcmp(cause, syntax[i].cause) != 0)) {
			print_error("syntax[%zu]: \"%s\": got %d \"%s\", "
				    "want \"%s\"\n",
			    i, syntax[i].kw, r,
			    cause != NULL ? cause : "(null)", syntax[i].cause);
			fails++;
		}
		free(cause);
	}
	assert_int_equal(fails, 0);
}

static void
test_filter_bad_keyword(void **state)
{
	char *any[] = {"Japan"}, *none[] = {"x*"};
	char *cause = NULL;

	(void)state;
	assert_null(match_filter_new(any, 1, NULL, 0, none, 1, &cause));
	assert_string_equal(
	    cause, "keyword \"x*\": a prefix needs at least 3 letters");
	free(cause);
}

/* ---- §4: non-Arabic keyword tokens ---- */

static const struct kw_case latin[] = {
    {"Japan", "Japan", 1},
    {"Japan", "JAPAN", 1},
    {"Japan", "japan", 1},
    {"Japan", "Japan's economy", 1},
    {"Japan", "a Japan-based firm", 1},
    {"Japan", "ＪＡＰＡＮ", 1},
    {"Japan", "Japanese", 0},
    {"Japan", "Nippon", 0},
    {"Japan*", "Japanese", 1},
    {"Japan*", "Japan", 1},
    {"Japan*", "JAPANESE", 1},
    {"Japan*", "Japa", 0},
    {"Japan*", "the japanned box", 1},
    {"Iran", "Iranian", 0},
    {"Iran", "Iran", 1},
    {"=Japan", "Japan's", 1},
    {"=Japan", "Japanese", 0},
    {"US", "us", 1},
    {"Straße", "STRASSE", 1},
    {"İstanbul", "istanbul", 1},
    {"Tokyo", "東京", 0},
    {"東京", "東京で", 0},
    {"Google", "لـGoogle", 1},
    {"20", "G-20", 1},
    {"20", "G20", 1},
    {"20", "2020", 0},
    {"ø", "o", 0},
};

static void
test_latin(void **state)
{
	(void)state;
	CHECK_KEYWORDS(latin);
}

/* ---- §4: Arabic keyword tokens ---- */

/* 1–2 letters: the token itself, nothing added. */
static const struct kw_case arabic_short[] = {
    {"سد", "سد", 1},
    {"سد", "السد", 0},
    {"سد", "فسد", 0},
    {"سد", "وسد", 0},
    {"سد", "سدا", 0},
    {"=سد", "سد", 1},
    {"مع", "معا", 0},
};

/* PRE: w + q before any keyword of 3 letters or more. */
static const struct kw_case arabic_proclitics[] = {
    {"روسيا", "روسيا", 1},
    {"روسيا", "وروسيا", 1},
    {"روسيا", "لروسيا", 1},
    {"روسيا", "بروسيا", 1},
    {"روسيا", "كروسيا", 1},
    {"روسيا", "فروسيا", 1},
    {"روسيا", "وبروسيا", 1},
    {"روسيا", "فلروسيا", 1},
    {"روسيا", "وللروسيا", 1},
    {"روسيا", "بالروسيا", 1},
    {"روسيا", "دروسيا", 0},
    {"روسيا", "لوروسيا", 0},
    {"روسيا", "ببروسيا", 0},
    {"نور", "نور", 1},
    {"نور", "المنورة", 0},
    {"نور", "أنور", 0},
    /* After A, hamza-alef + lam looks like the article. */
    {"ألعاب", "الألعاب", 1},
    {"ألمانيا", "لألمانيا", 1},
    {"ألمانيا", "وألمانيا", 1},
};

/* ART: a keyword with the article, and L(B) after ل. */
static const struct kw_case arabic_article[] = {
    {"اليابان", "اليابان", 1},
    {"اليابان", "واليابان", 1},
    {"اليابان", "لليابان", 1},
    {"اليابان", "فلليابان", 1},
    {"اليابان", "وللياباني", 1},
    {"اليابان", "باليابان", 1},
    {"اليابان", "بلليابان", 0},
    {"اليابان", "يابان", 0},
    {"اليابان", "يابانية", 0},
    {"الأردن", "للأردن", 1},
    {"الأردن", "الأردن", 1},
    {"اللاجئين", "للاجئين", 1},
    {"اللاجئين", "لللاجئين", 0},
    {"الله", "لله", 1},
    {"الله", "ﷲ", 1},
    {"الله", "ٱلله", 1},
    {"النفط", "نفط", 0},
    {"النفط", "والنفط", 1},
    {"الذهب", "ذهب", 0},
    {"يابان", "يابانية", 1},
    {"يابان", "لليابان", 1},
    {"يابان", "اليابان", 1},
    /* Too short for the article: ALIF LAM + 1 letter is a word. */
    {"الف", "لالف", 1},
    {"الف", "للف", 0},
};

/* BODIES: the suffix lists of §4 and the ه rule. */
static const struct kw_case arabic_suffixes[] = {
    {"اليابان", "الياباني", 1},
    {"اليابان", "اليابانية", 1},
    {"اليابان", "اليابانيين", 1},
    {"اليابان", "اليابانيون", 1},
    {"اليابان", "اليابانيتين", 1},
    {"روسيا", "الروسية", 0},
    {"روسيا", "روسياً", 1},
    {"روسي", "الروسي", 1},
    {"روسي", "الروسية", 1},
    {"روسي", "روسيين", 1},
    {"روسي", "الروسيون", 1},
    {"روسي", "روسيا", 1},
    {"روسي", "روسيتين", 1},
    {"روس", "روسيا", 1},
    {"روس", "الروسية", 1},
    {"روس", "دروس", 0},
    {"روس", "روسان", 0},
    {"مصر", "المصري", 1},
    {"مصر", "المصريين", 1},
    {"اليمن", "اليمني", 1},
    {"اليمن", "واليمنيون", 1},
    /* No bare ه/ة suffix. */
    {"حماس", "حماسة", 0},
    {"قطر", "قطرة", 0},
    {"عمر", "عمرة", 0},
    {"وزير", "وزيرة", 0},
    /* Plural, dual and pronoun suffixes only from 4 letters. */
    {"عمر", "عمران", 0},
    {"سلم", "سلمان", 0},
    {"قطر", "قطرات", 0},
    {"عمل", "العمليات", 0},
    {"عمل", "العملي", 1},
    {"مسلم", "المسلمون", 1},
    {"مسلم", "مسلمين", 1},
    {"مسلم", "مسلمات", 1},
    {"مسلم", "مسلمان", 1},
    {"مسلم", "مسلمهما", 1},
    {"مسلم", "مسلمنا", 1},
    {"مسلم", "مسلمكم", 0},
    {"سوريا", "سورياها", 1},
    /* ة becomes ت before a suffix. */
    {"حكومة", "حكومته", 1},
    {"حكومة", "الحكومات", 1},
    {"حكومة", "حكومتها", 1},
    {"حكومة", "لحكومتنا", 1},
    {"حكومة", "الحكومة", 1},
    {"حكومة", "حكومتان", 1},
    {"قمة", "قمتين", 1},
    {"قمة", "القمة", 1},
    {"قمة", "قمتهم", 1},
    {"قمة", "قمح", 0},
};

/* Strict mode: proclitics still, suffixes never. */
static const struct kw_case arabic_strict[] = {
    {"=روسيا", "لروسيا", 1},
    {"=روسيا", "روسيا", 1},
    {"=روسيا", "روسياً", 1},
    {"=اليابان", "لليابان", 1},
    {"=اليابان", "الياباني", 0},
    {"=روسي", "الروسي", 1},
    {"=روسي", "الروسية", 0},
    {"=حكومة", "حكومته", 0},
    {"=حكومة", "الحكومة", 1},
    {"=مسلم", "مسلمون", 0},
};

/* Prefix mode: P + K or, with the article, w + L(K) starts the token. */
static const struct kw_case arabic_prefix[] = {
    {"وزير*", "وزيرة", 1},
    {"وزير*", "الوزيرة", 1},
    {"وزير*", "وزيرات", 1},
    {"وزير*", "ووزير", 1},
    {"وزير*", "الوزراء", 0},
    {"روس*", "روستوف", 1},
    {"روس*", "الروسية", 1},
    {"روس*", "روسيا", 1},
    {"روس*", "دروس", 0},
    {"الياب*", "لليابانيين", 1},
    {"الياب*", "اليابان", 1},
    {"الياب*", "يابان", 0},
    {"الأرد*", "للأردنيين", 1},
};

/*
 * Prefixes of every length around the two heads a prefix is found by (3
 * and 5 code points, match.c), in tokens of every length around them: in
 * plain text after a word (the fast loop), with a character reference in
 * the token (normalize_fast's own steps) and after an emoji (utf8proc's
 * path). Each after a text of other tokens, so that no token is where an
 * equal one was just before.
 */
static void
test_prefix_heads(void **state)
{
	static const struct kw_case cases[] = {
	    {"abc*", "abc", 1},
	    {"abc*", "abcd", 1},
	    {"abc*", "abcdefgh", 1},
	    {"abc*", "ab", 0},
	    {"abc*", "xabc", 0},
	    {"abcd*", "abcd", 1},
	    {"abcd*", "abcde", 1},
	    {"abcd*", "abcdef", 1},
	    {"abcd*", "abcx", 0},
	    {"abcde*", "abcde", 1},
	    {"abcde*", "abcdef", 1},
	    {"abcde*", "abcdefghij", 1},
	    {"abcde*", "abcdx", 0},
	    {"abcde*", "abcdxf", 0},
	    {"abcdef*", "abcdefg", 1},
	    {"abcdef*", "abcdexg", 0},
	    {"abcdefgh*", "abcdefghijk", 1},
	    {"abcdefgh*", "abcdefgxijk", 0},
	    {"روس*", "روستوف", 1},
	    {"روس*", "بروسيا", 1},
	    {"روس*", "دروس", 0},
	    {"لاعب*", "للاعبين", 1},
	    {"لاعب*", "واللاعبون", 1},
	    {"لاعب*", "لاعب", 1},
	    {"لاعب*", "لاعق", 0},
	    {"فيضان*", "فيضانات", 1},
	    {"فيضان*", "والفيضانات", 1},
	    {"فيضان*", "فيضا", 0},
	    {"استثمار*", "والاستثمارات", 1},
	    {"استثمار*", "بالاستثمار", 1},
	    {"استثمار*", "الاستثما", 0},
	    {"استثمار*", "الاستعمار", 0},
	    {"التطبيق*", "للتطبيقات", 1},
	    {"التطبيق*", "التطبيع", 0},
	};
	size_t i, fails = 0;
	char *text, *p;
	int got, way;

	(void)state;
	for (i = 0; i < nitems(cases); i++) {
		for (way = 0; way < 3; way++) {
			if (way == 0)
				xasprintf(&text, "x %s", cases[i].text);
			else if (way == 2)
				xasprintf(&text, "\xf0\x9f\x98\x80 %s",
				    cases[i].text);
			else {
				/* Its second letter as a reference. */
				int32_t cp;
				size_t n1, n2;

				p = (char *)cases[i].text;
				n1 = (unsigned char)p[0] < 0x80 ? 1 : 2;
				n2 = (unsigned char)p[n1] < 0x80 ? 1 : 2;
				cp = n2 == 1 ? p[n1]
					     : ((p[n1] & 0x1f) << 6 |
						   (p[n1 + 1] & 0x3f));
				xasprintf(&text, "%.*s&#%d;%s", (int)n1, p,
				    (int)cp, p + n1 + n2);
			}
			(void)keyword_matches("q", "qwertyu asdfghj zxcvbnm "
						   "poiuytr lkjhgfd mnbvcxz");
			got = keyword_matches(cases[i].kw, text);
			if (got != cases[i].want) {
				print_error("cases[%zu] way %d: \"%s\" in "
					    "\"%s\": got %d\n",
				    i, way, cases[i].kw, text, got);
				fails++;
			}
			free(text);
		}
	}
	assert_int_equal(fails, 0);
}

/* Spellings the folds make equal, and those they keep apart. */
static const struct kw_case arabic_spelling[] = {
    {"روسيا", "ﺭﻭﺳﻴﺎ", 1},
    {"روسيا", "رُوسِيَا", 1},
    {"روسيا", "روسـيا", 1},
    {"روسيا", "رو\xe2\x80\x8dسيا", 1},
    {"مسؤول", "مسو\xd9\x94ول", 1},
    {"مسؤول", "مسئول", 0},
    {"شؤون", "شئون", 0},
    {"مستشفى", "المستشفي", 1},
    {"مدرسة", "المدرسه", 1},
    {"إيران", "ايران", 1},
    {"آسيا", "أسيا", 1},
    {"پاکستان", "باكستان", 0},
    {"پاکستان", "پاكستان", 1},
    {"پاکستان", "پاکستانی", 1},
    {"میخواهد", "می\xe2\x80\x8cخواهد", 0},
    {"می\xe2\x80\x8cخواهد", "می\xe2\x80\x8cخواهد", 1},
    {"كوفيد ١٩", "كوفيد١٩", 1},
    {"كوفيد 19", "كوفيد-١٩", 1},
    {"COVID-19", "كوفيد١٩", 0},
    {"1956", "عام ١٩٥٦", 1},
    {"Google", "لـGoogle", 1},
    {"روسيا", "<a href=\"/روسيا\">خبر</a>", 0},
    {"روسيا", "&#x0631;&#x0648;&#x0633;&#x064a;&#x0627;", 1},
};

static void
test_arabic_short(void **state)
{
	(void)state;
	CHECK_KEYWORDS(arabic_short);
}

static void
test_arabic_proclitics(void **state)
{
	(void)state;
	CHECK_KEYWORDS(arabic_proclitics);
}

static void
test_arabic_article(void **state)
{
	(void)state;
	CHECK_KEYWORDS(arabic_article);
}

static void
test_arabic_suffixes(void **state)
{
	(void)state;
	CHECK_KEYWORDS(arabic_suffixes);
}

static void
test_arabic_strict(void **state)
{
	(void)state;
	CHECK_KEYWORDS(arabic_strict);
}

static void
test_arabic_prefix(void **state)
{
	(void)state;
	CHECK_KEYWORDS(arabic_prefix);
}

static void
test_arabic_spelling(void **state)
{
	(void)state;
	CHECK_KEYWORDS(arabic_spelling);
}

/* ---- §5: phrases ---- */

static const struct kw_case phrases[] = {
    {"U.N.", "the U.N. said", 1},
    {"U.N.", "the UN said", 0},
    {"U.N.", "U N", 1},
    {"COVID-19", "Covid 19 cases", 1},
    {"COVID-19", "COVID19", 1},
    {"COVID-19", "COVID-2019", 0},
    {"COVID-19", "19 COVID", 0},
    {"al-Qaeda", "Al Qaeda", 1},
    {"al-Qaeda", "al said Qaeda", 0},
    {"G-20", "the G20 summit", 1},
    {"New York", "New<br>York", 1},
    {"New York", "New, York", 1},
    {"New York", "New<p class=\"x\">York</p>", 1},
    {"New York", "York New", 0},
    {"New York", "New Yorker", 0},
    {"New York", "Newark York", 0},
    {"New York", "New", 0},
    {"New York", "new-york", 1},
    {"New Yor*", "New Yorker", 1},
    {"New* York", NULL, -1},
    {"Prime Minister", "The prime minister of Japan", 1},
    {"a a b", "a a a b", 1},
    {"a a b", "a b a b", 0},
    {"كوريا الشمالية", "كوريا<br>الشمالية", 1},
    {"كوريا الشمالية", "كوريا الجنوبية", 0},
    {"حزب الله", "حزب الله", 1},
    {"حزب الله", "حزبالله", 0},
    {"حزب الله", "لحزب الله", 1},
    {"كوريا الشمالية", "لكوريا الشمالية", 1},
    {"كوريا الشمالية", "كوريا، الشمالية", 1},
    /* §8.4: even a sentence end does not part a phrase (v1). */
    {"كوريا الشمالية", "زار كوريا. الشمالية", 1},
    {"New York", "in New. York is", 1},
    {"كوريا الشمالية", "كورياها الشمالية", 1},
    {"كوريا الشمالية", "كوريا ولشمالية", 0},
    {"=كوريا الشمالية", "لكوريا الشمالية", 1},
    {"=كوريا الشمالية", "كورياها الشمالية", 0},
    {"كوريا الشما*", "كوريا الشمالية", 1},
    {"كوريا الشما*", "كوريا للشماليين", 1},
    {"كوريا الشما*", "كوريا شمالية", 0},
    {"وزير الخارجية", "أعلن وزير الخارجية الروسي", 1},
    {"وزير الخارجية", "وزيرة الخارجية", 0},
    {"وزير* الخارجية", NULL, -1},
};

static void
test_phrases(void **state)
{
	size_t i, fails = 0;
	char *cause = NULL;
	int got;

	(void)state;
	for (i = 0; i < nitems(phrases); i++) {
		if (phrases[i].text == NULL) {
			got = match_keyword_check(phrases[i].kw, &cause);
			free(cause);
			cause = NULL;
		} else
			got = keyword_matches(phrases[i].kw, phrases[i].text);
		if (got != phrases[i].want) {
			print_error("phrases[%zu]: \"%s\": got %d, want %d\n",
			    i, phrases[i].kw, got, phrases[i].want);
			fails++;
		}
	}
	assert_int_equal(fails, 0);
}

/* A phrase must lie within one field. */
static void
test_phrase_one_field(void **state)
{
	const char *fields[2] = {"in New", "York today"};
	char *any[] = {"New York"};
	struct match_filter *mf;
	struct match_text *mt;
	char *cause = NULL;

	(void)state;
	mf = match_filter_new(any, 1, NULL, 0, NULL, 0, &cause);
	assert_non_null(mf);
	mt = match_text_new(fields, 2);
	assert_int_equal(match_filter_test(mf, mt), 0);
	match_text_free(mt);
	match_filter_free(mf);
}

/* ---- §6: filters ---- */

/* The motivating user's filter: روسيا, اليابان in any form, no sport. */
static const struct filter_case arabic_filters[] = {
    {{"روسيا", "اليابان"}, {NULL}, {"رياضة"}, {"تهديدا لروسيا"}, 1},
    {{"روسيا", "اليابان"}, {NULL}, {"رياضة"}, {"بين روسيا واليابان"}, 1},
    {{"روسيا", "اليابان"}, {NULL}, {"رياضة"}, {"نظيره الياباني"}, 1},
    {{"روسيا", "اليابان"}, {NULL}, {"رياضة"}, {"القمة الروسية الصينية"}, 0},
    {{"روسيا", "اليابان"}, {NULL}, {"رياضة"},
	{"المنتخب الياباني", "أخبار الرياضة"}, 0},
    {{NULL}, {"روسيا", "اليابان"}, {NULL}, {"روسيا", NULL, "<p>في اليابان</p>"},
	1},
    {{NULL}, {"روسيا", "اليابان"}, {NULL},
	{"روسيا", NULL, "<p title=\"اليابان\">طوكيو</p>"}, 0},
};

static const struct filter_case filters[] = {
    /* Empty filter: everything passes, even an empty item. */
    {{NULL}, {NULL}, {NULL}, {"anything"}, 1},
    {{NULL}, {NULL}, {NULL}, {NULL}, 1},
    /* any */
    {{"Japan", "Russia"}, {NULL}, {NULL}, {"Russia"}, 1},
    {{"Japan", "Russia"}, {NULL}, {NULL}, {"Japan"}, 1},
    {{"Japan", "Russia"}, {NULL}, {NULL}, {"China"}, 0},
    {{"Japan"}, {NULL}, {NULL}, {NULL, "body: Japan"}, 1},
    /* all: each must match, in any field. */
    {{NULL}, {"Japan", "Russia"}, {NULL}, {"Japan and Russia"}, 1},
    {{NULL}, {"Japan", "Russia"}, {NULL}, {"Japan"}, 0},
    {{NULL}, {"Japan", "Russia"}, {NULL}, {"Japan", "summary", "Russia"}, 1},
    /* none vetoes, in any field. */
    {{NULL}, {NULL}, {"sport"}, {"Japan"}, 1},
    {{NULL}, {NULL}, {"sport"}, {"Japan sport"}, 0},
    {{"Japan"}, {NULL}, {"sport"}, {"Japan", "sport"}, 0},
    {{"Japan"}, {NULL}, {"sport"}, {"Japan", "sports"}, 1},
    {{"Japan"}, {NULL}, {"sport*"}, {"Japan", "sports"}, 0},
    /* any and all together. */
    {{"Japan", "China"}, {"trade"}, {NULL}, {"China trade"}, 1},
    {{"Japan", "China"}, {"trade"}, {NULL}, {"China war"}, 0},
    {{"Japan", "China"}, {"trade"}, {NULL}, {"Korea trade"}, 0},
    {{"Japan"}, {"trade"}, {"war"}, {"Japan", "trade", "war"}, 0},
    {{"Japan"}, {"trade"}, {"war"}, {"Japan", "trade", "peace"}, 1},
    /* The same keyword in two lists. */
    {{"Japan"}, {NULL}, {"Japan"}, {"Japan"}, 0},
    /* Prefix and whole-token keywords sharing a start. */
    {{"Japan"}, {NULL}, {"Jap*"}, {"Japan"}, 0},
    {{"Jap*"}, {"Japanese"}, {NULL}, {"Japanese"}, 1},
    {{"Japan", "Chin*"}, {NULL}, {NULL}, {"Japanese"}, 0},
    {{"Japan", "Chin*"}, {NULL}, {NULL}, {"Chinese"}, 1},
};

static int
filter_passes(const struct filter_case *fc)
{
	struct match_filter *mf;
	struct match_text *mt;
	char *cause = NULL;
	int r;

	mf = match_filter_new((char *const *)fc->any, list_len(fc->any),
	    (char *const *)fc->all, list_len(fc->all), (char *const *)fc->none,
	    list_len(fc->none), &cause);
	assert_non_null(mf);
	mt = match_text_new(fc->fields, nitems(fc->fields));
	r = match_filter_test(mf, mt);
	match_text_free(mt);
	match_filter_free(mf);
	return r;
}

static void
test_filters(void **state)
{
	const struct filter_case *fc;
	size_t i, fails = 0;
	int got;

	(void)state;
	for (i = 0; i < nitems(filters); i++) {
		fc = &filters[i];
		got = filter_passes(fc);
		if (got != fc->want) {
			print_error("filters[%zu]: got %d, want %d\n", i, got,
			    fc->want);
			fails++;
		}
	}
	assert_int_equal(fails, 0);
}

static void
test_arabic_filters(void **state)
{
	size_t i, fails = 0;
	int got;

	(void)state;
	for (i = 0; i < nitems(arabic_filters); i++) {
		got = filter_passes(&arabic_filters[i]);
		if (got != arabic_filters[i].want) {
			print_error("arabic_filters[%zu]: got %d, want %d\n", i,
			    got, arabic_filters[i].want);
			fails++;
		}
	}
	assert_int_equal(fails, 0);
}

static char *
read_fixture(const char *name)
{
	char path[1024], *data;
	long size;
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", FIXTURES, name);
	f = fopen(path, "rb");
	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	size = ftell(f);
	assert_true(size > 0);
	rewind(f);
	data = xmalloc((size_t)size + 1);
	assert_int_equal(fread(data, 1, (size_t)size, f), (size_t)size);
	data[size] = '\0';
	fclose(f);
	return data;
}

/* A real article (Sputnik Arabic, 2021) and keywords in it or not. */
static const struct kw_case article[] = {
    {"روسيا", NULL, 1},
    {"اليابان", NULL, 1},
    {"روسي", NULL, 1},
    {"=الياباني", NULL, 1},
    {"طوكيو", NULL, 1},
    {"لافروف", NULL, 1},
    {"سيرغي لافروف", NULL, 1},
    {"تارو كونو", NULL, 1},
    {"الولايات المتحدة", NULL, 1},
    {"1956", NULL, 1},
    {"Sputnik", NULL, 1},
    {"كونو تارو", NULL, 0},
    {"الصين", NULL, 0},
    {"بكين", NULL, 0},
    {"China", NULL, 0},
    {"رياضة", NULL, 0},
};

static void
test_article(void **state)
{
	struct match_filter *mf;
	struct match_text *mt;
	size_t i, fails = 0;
	char *text, *cause = NULL;
	char *both[] = {"روسيا", "اليابان"};
	int got;

	(void)state;
	text = read_fixture("match/000_d32914e065732caa.txt");
	mt = match_text_new((const char *const *)&text, 1);
	for (i = 0; i < nitems(article); i++) {
		mf = match_filter_new(
		    (char *const *)&article[i].kw, 1, NULL, 0, NULL, 0, &cause);
		assert_non_null(mf);
		got = match_filter_test(mf, mt);
		if (got != article[i].want) {
			print_error("article[%zu]: \"%s\": got %d, want %d\n",
			    i, article[i].kw, got, article[i].want);
			fails++;
		}
		match_filter_free(mf);
	}
	mf = match_filter_new(NULL, 0, both, 2, NULL, 0, &cause);
	assert_int_equal(match_filter_test(mf, mt), 1);
	match_filter_free(mf);
	match_text_free(mt);
	free(text);
	assert_int_equal(fails, 0);
}

/* A huge token from a hostile feed: correct, and no slower than linear. */
static void
test_huge_token(void **state)
{
	static const struct {
		const char *kw;
		int want;
	} cases[] = {
	    {"xxx*", 1},
	    {"xxy*", 0},
	    {"Japan*", 0},
	    {"Japa", 1},
	    {"nese xxx*", 1},
	    {"nese xxy*", 0},
	    {"unterminated", 0},
	};
	size_t i, n = 4 << 20;
	const char *field;
	struct match_text *mt;
	char *big;

	(void)state;
	big = xmalloc(n + 64);
	memcpy(big, "Japa<b>nese ", 12);
	memset(big + 12, 'x', n);
	strcpy(big + 12 + n, " <b unterminated");
	field = big;
	mt = match_text_new(&field, 1);
	for (i = 0; i < nitems(cases); i++) {
		char *any[1] = {(char *)cases[i].kw}, *cause = NULL;
		struct match_filter *mf;

		mf = match_filter_new(any, 1, NULL, 0, NULL, 0, &cause);
		assert_non_null(mf);
		if (match_filter_test(mf, mt) != cases[i].want)
			fail_msg("huge token: \"%s\"", cases[i].kw);
		match_filter_free(mf);
	}
	match_text_free(mt);
	free(big);
}

/*
 * Spellings that §2 makes equal or keeps apart, tried both ways: each as the
 * keyword and the other as the text. A fold must not depend on which side
 * of the match a spelling is on.
 */
struct pair_case {
	const char *a;
	const char *b;
	int equal;
};

static const struct pair_case spelling_pairs[] = {
    /* U: hamza forms on alef, tashkeel, superscript alef. */
    {"أحمد", "احمد", 1},
    {"إيران", "ايران", 1},
    {"آسيا", "اسيا", 1},
    {"أحمد", "إحمد", 1},
    {"رُوسِيَا", "روسيا", 1},
    {"مُحَمَّدٌ", "محمد", 1},
    {"هٰذا", "هذا", 1},
    /* A decomposed hamza or madda is the precomposed letter. */
    {"\xd8\xa7\xd9\x94"
     "حمد",
	"أحمد", 1},
    {"\xd8\xa7\xd9\x95"
     "يران",
	"إيران", 1},
    {"\xd8\xa7\xd9\x93"
     "سيا",
	"آسيا", 1},
    {"مسو\xd9\x94ول", "مسؤول", 1},
    /* ؤ → و and ئ → ي, the optional rule. */
    {"مسؤول", "مسوول", 1},
    {"مسئول", "مسيول", 1},
    /* ۀ → ە, which A folds to ه. */
    {"خانۀ", "خانه", 1},
    /* Presentation forms. */
    {"ﻻ", "لا", 1},
    {"ﺭﻭﺳﻴﺎ", "روسيا", 1},
    {"ﷲ", "الله", 1},
    /* Other scripts. */
    {"ＪＡＰＡＮ", "japan", 1},
    {"ﬁnance", "finance", 1},
    {"café", "cafe", 1},
    {"Erdoğan", "Erdogan", 1},
    {"Müller", "muller", 1},
    {"España", "espana", 1},
    {"Ёлка", "елка", 1},
    {"άλφα", "αλφα", 1},
    {"Straße", "STRASSE", 1},
    {"İstanbul", "istanbul", 1},
    {"λόγος", "ΛΟΓΟΣ", 1},
    {"हिन्दी", "हनद", 1},
    /* Not folded: ø ł đ ı æ have no decomposition. */
    {"Søren", "Soren", 0},
    {"Łódź", "Lodz", 0},
    {"Đorđe", "Dorde", 0},
    {"Iğdır", "Igdir", 0},
    {"Æsir", "Aesir", 0},
    /* Default ignorables vanish: ZWJ, LRM, RLM, ALM, SHY, BOM, RLO, VS16. */
    {"رو\xe2\x80\x8dسيا", "روسيا", 1},
    {"Ja\xe2\x80\x8epan\xe2\x80\x8f", "Japan", 1},
    {"رو\xd8\x9cسيا", "روسيا", 1},
    {"Ja\xc2\xadpan", "Japan", 1},
    {"\xef\xbb\xbfJapan", "Japan", 1},
    {"Ja\xe2\x80\xaepan", "Japan", 1},
    {"روسيا\xef\xb8\x8f", "روسيا", 1},
    /* ZWNJ and ZWSP separate words. */
    {"می\xe2\x80\x8cخواهد", "میخواهد", 0},
    {"Ja\xe2\x80\x8bpan", "Japan", 0},
    /* A: tatweel, alef wasla, alef maksura, teh marbuta. */
    {"روسـيا", "روسيا", 1},
    {"ٱلله", "الله", 1},
    {"مستشفى", "مستشفي", 1},
    {"مدرسة", "مدرسه", 1},
    /* Farsi yeh, yeh barree, keheh, heh goal, ae, heh doachashmee. */
    {"ایران", "ايران", 1},
    {"کے", "كي", 1},
    {"پاکستان", "پاكستان", 1},
    {"شہر", "شهر", 1},
    {"شەر", "شهر", 1},
    {"ھذا", "هذا", 1},
    /* Digits. */
    {"٢٠٢٤", "2024", 1},
    {"۲۰۲۴", "2024", 1},
    {"٢٠٢٤", "۲۰۲۴", 1},
    /* Not folded on purpose. */
    {"پاکستان", "باكستان", 0},
    {"چين", "جين", 0},
    {"ژاپن", "زاپن", 0},
    {"گاز", "كاز", 0},
    {"شيء", "شي", 0},
    {"مسؤول", "مسءول", 0},
    {"شيئا", "شيءا", 0},
    /* §8.1: Levantine and Egyptian spellings stay apart. */
    {"مسؤول", "مسئول", 0},
    {"شؤون", "شئون", 0},
    /* T: a class change splits, so these are the same phrase. */
    {"G-20", "G20", 1},
    {"كوفيد١٩", "كوفيد 19", 1},
    {"كوفيد-19", "كوفيد١٩", 1},
    {"لـGoogle", "ل Google", 1},
    {"don't", "don t", 1},
    {"3.5", "3 5", 1},
    {"U.N.", "U N", 1},
    {"U.N.", "UN", 0},
};

static void
test_spelling_pairs(void **state)
{
	const struct pair_case *pc;
	size_t i, fails = 0;
	int ab, ba;

	(void)state;
	for (i = 0; i < nitems(spelling_pairs); i++) {
		pc = &spelling_pairs[i];
		ab = keyword_matches(pc->a, pc->b);
		ba = keyword_matches(pc->b, pc->a);
		if (ab != pc->equal || ba != pc->equal) {
			print_error(
			    "spelling_pairs[%zu]: \"%s\" in \"%s\": %d, "
			    "\"%s\" in \"%s\": %d, want %d\n",
			    i, pc->a, pc->b, ab, pc->b, pc->a, ba, pc->equal);
			fails++;
		}
	}
	assert_int_equal(fails, 0);
}

/*
 * Every combining mark of the Arabic block vanishes (tashkeel 064B–065F,
 * superscript alef, the Quranic marks), wherever it sits in a word, in
 * keywords and text alike; the letter-like and symbol Quranic signs do not.
 */
static void
test_arabic_marks(void **state)
{
	static const struct {
		int32_t lo, hi;
	} marks[] = {
	    {0x0610, 0x061a},
	    {0x064b, 0x065f},
	    {0x0670, 0x0670},
	    {0x06d6, 0x06dc},
	    {0x06df, 0x06e4},
	    {0x06e7, 0x06e8},
	    {0x06ea, 0x06ed},
	    {0x08d3, 0x08e1},
	    {0x08e3, 0x08ff},
	};
	char word[64], mark[8];
	size_t i, fails = 0;
	int32_t cp;

	(void)state;
	for (i = 0; i < nitems(marks); i++) {
		for (cp = marks[i].lo; cp <= marks[i].hi; cp++) {
			snprintf(mark, sizeof mark, "%c%c%c",
			    cp < 0x800 ? 0xc0 | (cp >> 6) : 0xe0 | (cp >> 12),
			    cp < 0x800 ? 0x80 | (cp & 0x3f)
				       : 0x80 | ((cp >> 6) & 0x3f),
			    cp < 0x800 ? 0 : 0x80 | (cp & 0x3f));
			snprintf(word, sizeof word, "ر%sوسيا%s", mark, mark);
			if (keyword_matches("روسيا", word) != 1 ||
			    keyword_matches(word, "لروسيا") != 1) {
				print_error("mark U+%04X is not dropped\n",
				    (unsigned)cp);
				fails++;
			}
		}
	}
	/* Small high waw and yeh are letters (Lm): they stay. */
	if (keyword_matches("روسيا", "روس\xdb\xa5يا") != 0)
		fails++;
	assert_int_equal(fails, 0);
}

/* A filter set to some kinds of field sees only those. */
static void
test_field_kinds(void **state)
{
	static const struct {
		unsigned kinds;
		const char *any, *all, *none;
		int want;
	} cases[] = {
	    {MATCH_FIELDS_ALL, "Japan", NULL, NULL, 1},
	    {MATCH_FIELDS_DEFAULT, "Japan", NULL, NULL, 0},
	    {MATCH_FIELD_AUTHOR, "Japan", NULL, NULL, 0},
	    {MATCH_FIELD_CATEGORIES, "Japan", NULL, NULL, 1},
	    {MATCH_FIELD_TITLE, "Tokyo", NULL, NULL, 1},
	    {MATCH_FIELD_SUMMARY, "Tokyo", NULL, NULL, 0},
	    {MATCH_FIELD_AUTHOR, "Kenji Sato", NULL, NULL, 1},
	    {MATCH_FIELD_TITLE, "Kenji", NULL, NULL, 0},
	    /* Each category is a field of its own: no phrase across two. */
	    {MATCH_FIELD_CATEGORIES, "Japan Asia", NULL, NULL, 0},
	    {MATCH_FIELD_CATEGORIES, "East Asia", NULL, NULL, 1},
	    /* all and none look at the same fields as any. */
	    {MATCH_FIELD_TITLE, NULL, "Tokyo", "Japan", 1},
	    {MATCH_FIELDS_ALL, NULL, "Tokyo", "Japan", 0},
	    {MATCH_FIELD_CONTENT, NULL, "rain", NULL, 1},
	    {MATCH_FIELD_CONTENT, NULL, "Tokyo", NULL, 0},
	    /* No field of a kind the filter looks at: only none-only passes. */
	    {MATCH_FIELD_SUMMARY, NULL, NULL, "Japan", 1},
	    {MATCH_FIELD_SUMMARY, "Japan", NULL, NULL, 0},
	};
	const char *fields[] = {
	    "Tokyo", NULL, "<p>rain</p>", "Japan", "East Asia", "Kenji Sato"};
	const unsigned kinds[] = {MATCH_FIELD_TITLE, MATCH_FIELD_SUMMARY,
	    MATCH_FIELD_CONTENT, MATCH_FIELD_CATEGORIES, MATCH_FIELD_CATEGORIES,
	    MATCH_FIELD_AUTHOR};
	struct match_text *mt, *untyped;
	struct match_filter *mf;
	size_t i, fails = 0;
	char *cause = NULL;

	(void)state;
	mt = match_text_new_kinds(fields, kinds, nitems(fields));
	untyped = match_text_new(fields, nitems(fields));
	for (i = 0; i < nitems(cases); i++) {
		char *any[] = {(char *)cases[i].any};
		char *all[] = {(char *)cases[i].all};
		char *none[] = {(char *)cases[i].none};

		mf = match_filter_new(any, cases[i].any != NULL, all,
		    cases[i].all != NULL, none, cases[i].none != NULL, &cause);
		assert_non_null(mf);
		match_filter_set_fields(mf, cases[i].kinds);
		if (match_filter_test(mf, mt) != cases[i].want) {
			print_error(
			    "field_kinds[%zu]: got %d\n", i, !cases[i].want);
			fails++;
		}
		/* Fields without a kind are seen by every filter. */
		match_filter_set_fields(mf, MATCH_FIELDS_ALL);
		if (match_filter_test(mf, untyped) !=
		    match_filter_test(mf, mt)) {
			print_error("field_kinds[%zu]: untyped differs\n", i);
			fails++;
		}
		match_filter_free(mf);
	}
	match_text_free(mt);
	match_text_free(untyped);
	assert_int_equal(fails, 0);
}

/*
 * A field parse made plain text (title, author, categories) skips step H:
 * '<' and '&' are text, so nothing after them is lost and a reference
 * written literally stays its letters. HTML fields still go through H.
 */
static void
test_plain_fields(void **state)
{
	static const struct {
		const char *in;
		const char *plain; /* its tokens as plain text */
		const char *html;  /* and as HTML */
	} cases[] = {
	    {"a<b c", "a|b|c", "a"},
	    {"1<2 and 3>2", "1|2|and|3|2", "1|2|and|3|2"},
	    {"if a<b then c", "if|a|b|then|c", "if|a"},
	    {"x &lt; y", "x|lt|y", "x|y"},
	    {"AT&amp;T", "at|amp|t", "at|t"},
	    {"AT&T", "at|t", "at|t"},
	    {"&#1585;وسيا", "1585|وسيا", "روسيا"},
	    {"<b>Japan</b>", "b|japan|b", "japan"},
	    {"<!-- Japan -->", "japan", ""},
	    {"<script>Japan</script> news", "script|japan|script|news", "news"},
	    {"Q&A: روسيا<اليابان", "q|a|روسيا|اليابان", "q|a|روسيا|اليابان"},
	    {"<روسيا>", "روسيا", "روسيا"},
	    {"<Japan>", "japan", ""},
	    {"a\xff"
	     "b<c",
		"a|b|c", "a|b"},
	    /* utf8proc's path (an emoji) skips H as well. */
	    {"\xf0\x9f\x98\x80 a<b c", "a|b|c", "a"},
	    {"\xf0\x9f\x98\x80 x &lt; y", "x|lt|y", "x|y"},
	    {"", "", ""},
	};
	static const struct {
		const char *kw;
		const char *text;
		int plain, want;
	} kws[] = {
	    {"b c", "a<b c", 1, 1},
	    {"b c", "a<b c", 0, 0},
	    {"Japan", "Tokyo<Japan", 1, 1},
	    {"Japan", "Tokyo<Japan", 0, 0},
	    {"lt", "x &lt; y", 1, 1},
	    {"lt", "x &lt; y", 0, 0},
	    {"روسيا", "&#1585;وسيا", 1, 0},
	    {"روسيا", "&#1585;وسيا", 0, 1},
	    {"اليابان", "<b>لليابان</b>", 1, 1},
	    {"اليابان", "<b>لليابان</b>", 0, 1},
	};
	struct match_filter *mf;
	struct match_text *mt;
	size_t i, fails = 0;
	char *got, *cause = NULL;

	(void)state;
	for (i = 0; i < nitems(cases); i++) {
		got = joined_tokens_kind(cases[i].in, 1);
		if (strcmp(got, cases[i].plain) != 0) {
			print_error("plain[%zu]: \"%s\": got \"%s\", want "
				    "\"%s\"\n",
			    i, cases[i].in, got, cases[i].plain);
			fails++;
		}
		free(got);
		got = joined_tokens_kind(cases[i].in, 0);
		if (strcmp(got, cases[i].html) != 0) {
			print_error("html[%zu]: \"%s\": got \"%s\", want "
				    "\"%s\"\n",
			    i, cases[i].in, got, cases[i].html);
			fails++;
		}
		free(got);
	}
	for (i = 0; i < nitems(kws); i++) {
		char *any[] = {(char *)kws[i].kw};
		const unsigned kind =
		    MATCH_FIELD_TITLE | (kws[i].plain ? MATCH_FIELD_PLAIN : 0);

		mf = match_filter_new(any, 1, NULL, 0, NULL, 0, &cause);
		assert_non_null(mf);
		/* The plain flag is no kind: a title filter sees the field. */
		match_filter_set_fields(mf, MATCH_FIELD_TITLE);
		mt = match_text_new_kinds(&kws[i].text, &kind, 1);
		if (match_filter_test(mf, mt) != kws[i].want) {
			print_error("kws[%zu]: \"%s\" in \"%s\" (%s): got %d\n",
			    i, kws[i].kw, kws[i].text,
			    kws[i].plain ? "plain" : "HTML", !kws[i].want);
			fails++;
		}
		match_text_free(mt);
		match_filter_free(mf);
	}
	assert_int_equal(fails, 0);
}

/*
 * The tokens of text and of an emoji (a separator outside the fast path's
 * table) before it, which sends the whole field down utf8proc's path: the
 * two paths must agree. Returns 1 if they do.
 */
static int
paths_agree_kind(const char *text, int plain, char **fast, char **ref)
{
	char *slow;

	xasprintf(&slow, "\xf0\x9f\x98\x80 %s", text);
	*fast = joined_tokens_kind(text, plain);
	*ref = joined_tokens_kind(slow, plain);
	free(slow);
	return strcmp(*fast, *ref) == 0;
}

static int
paths_agree(const char *text, char **fast, char **ref)
{
	return paths_agree_kind(text, 0, fast, ref);
}

/* Every code point of the Basic Multilingual Plane, both ways. */
static void
test_fast_path_code_points(void **state)
{
	char text[128], cps[4], *fast, *ref;
	size_t fails = 0;
	uint32_t cp;

	(void)state;
	for (cp = 1; cp < 0x10000; cp++) {
		if (cp >= 0xd800 && cp <= 0xdfff)
			continue;
		if (cp < 0x80)
			snprintf(cps, sizeof cps, "%c", (int)cp);
		else if (cp < 0x800)
			snprintf(cps, sizeof cps, "%c%c", 0xc0 | (cp >> 6),
			    0x80 | (cp & 0x3f));
		else
			snprintf(cps, sizeof cps, "%c%c%c", 0xe0 | (cp >> 12),
			    0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f));
		snprintf(
		    text, sizeof text, "a%sب%s1 %s%sJ", cps, cps, cps, cps);
		if (!paths_agree(text, &fast, &ref)) {
			if (fails++ < 20)
				print_error("U+%04X: fast \"%s\", reference "
					    "\"%s\"\n",
				    (unsigned)cp, fast, ref);
		}
		free(fast);
		free(ref);
	}
	assert_int_equal(fails, 0);
}

/*
 * The pairs of starters that canonical composition joins (Hangul, Indic
 * vowel signs, Tibetan, Myanmar, Balinese): agreement here means the fast
 * path leaves them to the reference, as it must.
 */
static void
test_fast_path_pairs(void **state)
{
	static const char *firsts[] = {"\xe1\x84\x80", "\xea\xb0\x80",
	    "\xe0\xa7\x87", "\xe0\xad\x87", "\xe0\xaf\x86", "\xe0\xb3\x86",
	    "\xe0\xb5\x86", "\xe0\xb7\x99", "\xe1\x80\xa5", "\xe1\xac\x85",
	    "\xe0\xbd\x80"};
	static const char *seconds[] = {"\xe1\x85\xa1", "\xe1\x86\xa8",
	    "\xe0\xa6\xbe", "\xe0\xac\xbe", "\xe0\xae\xbe", "\xe0\xb3\x95",
	    "\xe0\xb4\xbe", "\xe0\xb7\x8f", "\xe1\x80\xae", "\xe1\xac\xb5",
	    "\xe0\xbe\xb7"};
	char text[32], *fast, *ref;
	size_t i, j, fails = 0;

	(void)state;
	for (i = 0; i < nitems(firsts); i++) {
		for (j = 0; j < nitems(seconds); j++) {
			snprintf(
			    text, sizeof text, "%s%s", firsts[i], seconds[j]);
			if (!paths_agree(text, &fast, &ref)) {
				print_error("firsts[%zu] seconds[%zu]: fast "
					    "\"%s\", reference \"%s\"\n",
				    i, j, fast, ref);
				fails++;
			}
			free(fast);
			free(ref);
		}
	}
	assert_int_equal(fails, 0);
}

/* Random HTML-like text from pieces that H, U, A and T treat specially. */
static void
test_fast_path_html(void **state)
{
	static const char *pieces[] = {"<", ">", "<!--", "-->", "<!-->",
	    "<script>", "</script>", "<SCRIPT a='>'>", "</ScRiPt >", "<style",
	    "</style>", "<b>", "</b>", "<a title=\"", "\"", "'", "<!DOCTYPE",
	    "<?", "<1", "< ", "&amp;", "&lt;", "&gt;", "&quot;", "&apos;",
	    "&nbsp;", "&#1585;", "&#x633;", "&#x1F600;", "&#0;", "&#xD800;",
	    "&", "#", ";", "&AMP;", "a", "B", "ر", "و", "ـ", "\xd9\x8b",
	    "\xd9\x94", "\xff", "\xd8", "\xe0\xa0", " ", "\t", "=", "/", "!",
	    "?", "-", "1", "٢", "ﻻ", "Ä", "ß", "ﷺ", "İ", "\xe2\x80\x8c",
	    "\xe2\x80\x8d", "x\xcc\x81", "ٱ", "ة", "ى", "e\xcc\x81"};
	char *fast, *ref;
	size_t i, j, n, fails = 0;
	struct buf b;
	unsigned seed = 7;

	(void)state;
	buf_init(&b);
	for (i = 0; i < 20000; i++) {
		buf_reset(&b);
		buf_add(&b, "", 0);
		seed = seed * 1103515245 + 12345;
		n = (seed >> 16) % 24;
		for (j = 0; j < n; j++) {
			seed = seed * 1103515245 + 12345;
			buf_adds(&b, pieces[(seed >> 16) % nitems(pieces)]);
		}
		if (!paths_agree(b.data, &fast, &ref)) {
			if (fails++ < 20)
				print_error("\"%s\": fast \"%s\", reference "
					    "\"%s\"\n",
				    b.data, fast, ref);
		}
		free(fast);
		free(ref);
		/* As plain text too, where H does not run. */
		if (!paths_agree_kind(b.data, 1, &fast, &ref)) {
			if (fails++ < 20)
				print_error("plain \"%s\": fast \"%s\", "
					    "reference \"%s\"\n",
				    b.data, fast, ref);
		}
		free(fast);
		free(ref);
	}
	buf_free(&b);
	assert_int_equal(fails, 0);
}

/*
 * Tags, unclosed tags and tags with a block or a '<' inside, of every
 * length up to 40 and at every offset from the start of the field, so
 * that their ends fall everywhere in tag_end's 16-byte steps and at the
 * field's end: both paths, and what they must give.
 */
static void
test_fast_path_long_tags(void **state)
{
	static const struct {
		const char *mid; /* between the tag's name and its tail */
		const char *tail;
		const char *want;
	} shapes[] = {
	    {"", ">c", "a|c"},
	    {"", "", "a"},
	    {"<!-- > -->", ">c", "a|c"},
	    {"<i>", "c", "a|c"},
	    {"<i", "", "a"},
	    {"<!-- never closed >c", "", "a"},
	    {"<script>>", "</script>>c", "a|c"},
	    {"'>'", "c", "a|c"},
	};
	char *fast, *ref, *got;
	size_t lead, n, k, fails = 0;
	struct buf b;

	(void)state;
	buf_init(&b);
	for (k = 0; k < nitems(shapes); k++)
		for (lead = 0; lead < 18; lead++)
			for (n = 0; n <= 40; n++) {
				buf_reset(&b);
				buf_printf(&b, "a%*s<b%.*s%s%s", (int)lead, "",
				    (int)n,
				    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
				    shapes[k].mid, shapes[k].tail);
				got = joined_tokens(b.data);
				if (strcmp(got, shapes[k].want) != 0 &&
				    fails++ < 20)
					print_error("\"%s\": got \"%s\", want "
						    "\"%s\"\n",
					    b.data, got, shapes[k].want);
				free(got);
				if (!paths_agree(b.data, &fast, &ref) &&
				    fails++ < 20)
					print_error("\"%s\": fast \"%s\", "
						    "reference \"%s\"\n",
					    b.data, fast, ref);
				free(fast);
				free(ref);
			}
	buf_free(&b);
	assert_int_equal(fails, 0);
}

/*
 * A phrase's later tokens are first looked for in the union's bitmap of
 * them (union_later): filters that join while others are live, later
 * tokens that are prefixes by a short and a long head, whole later tokens,
 * a phrase cut by the field's end, and a filter leaving.
 */
static struct match_filter *
one_keyword(const char *kw)
{
	char *any[1], *cause = NULL;
	struct match_filter *mf;

	any[0] = (char *)kw;
	mf = match_filter_new(any, 1, NULL, 0, NULL, 0, &cause);
	assert_non_null(mf);
	return mf;
}

static int
passes(struct match_filter *mf, const char *text)
{
	struct match_text *mt;
	int r;

	mt = match_text_new(&text, 1);
	r = match_filter_test(mf, mt);
	match_text_free(mt);
	return r;
}

static void
test_union_later(void **state)
{
	struct match_filter *a, *b, *c, *d;

	(void)state;
	a = one_keyword("alpha beta");
	assert_int_equal(passes(a, "x alpha beta y"), 1);
	assert_int_equal(passes(a, "x alpha betas y"), 0);
	assert_int_equal(passes(a, "x alpha"), 0);
	/* Joins while a is live: its prefixes' heads, short and long. */
	b = one_keyword("gamma del*");
	c = one_keyword("gamma deltas*");
	d = one_keyword("كوريا الشمال*");
	assert_int_equal(passes(b, "gamma delta"), 1);
	assert_int_equal(passes(b, "gamma del"), 1);
	assert_int_equal(passes(b, "gamma de"), 0);
	assert_int_equal(passes(b, "gamma alpha"), 0);
	assert_int_equal(passes(c, "gamma deltasx"), 1);
	assert_int_equal(passes(c, "gamma deltas"), 1);
	assert_int_equal(passes(c, "gamma deltax"), 0);
	assert_int_equal(passes(c, "gamma"), 0);
	assert_int_equal(passes(d, "لكوريا الشمالية"), 1);
	assert_int_equal(passes(d, "كوريا الشمال"), 1);
	assert_int_equal(passes(d, "كوريا الجنوبية"), 0);
	assert_int_equal(passes(a, "alpha beta gamma delta"), 1);
	assert_int_equal(passes(b, "alpha beta gamma delta"), 1);
	/* The prefix filters leave: a's whole later token still. */
	match_filter_free(b);
	match_filter_free(c);
	match_filter_free(d);
	assert_int_equal(passes(a, "alpha beta"), 1);
	assert_int_equal(passes(a, "alpha betamax"), 0);
	match_filter_free(a);
}

/*
 * Arabic words of one to nine letters (some that fold, some that do not)
 * and what may end them: the loop for words ended by one byte, and every
 * way out of it, against the reference.
 */
static void
test_fast_path_words(void **state)
{
	static const char *letters[] = {"ر", "و", "س", "ي", "ا", "ل", "ب", "ة",
	    "ى", "أ", "إ", "آ", "ؤ", "ئ", "ٱ", "ک", "ی", "ھ", "پ", "ۀ"};
	static const char *after[] = {" ", " ", " ", " ", ",", ".", "\n", "\t",
	    "-", "،", "؟", "«", "»", "a", "Z", "7", "٣", "<b>", "</p>", "&amp;",
	    "&#1585;", "&nbsp;", "ـ", "\xd9\x8e", "\xd9\x91", "\xe2\x80\x8c",
	    "\xe2\x80\x8d", "ﻻ", "ﺭ", "é", "\xef\xbf\xbd", "\xff", "\xd8", ""};
	char *fast, *ref;
	size_t i, j, k, n, len, fails = 0;
	struct buf b;
	unsigned seed = 11;

	(void)state;
	buf_init(&b);
	for (i = 0; i < 20000; i++) {
		buf_reset(&b);
		buf_add(&b, "", 0);
		seed = seed * 1103515245 + 12345;
		n = (seed >> 16) % 12;
		for (j = 0; j < n; j++) {
			seed = seed * 1103515245 + 12345;
			len = 1 + (seed >> 16) % 9;
			for (k = 0; k < len; k++) {
				seed = seed * 1103515245 + 12345;
				/* Mostly letters that fold to themselves. */
				buf_adds(&b,
				    letters[(seed >> 16) % 4 == 0
						? (seed >> 18) % nitems(letters)
						: (seed >> 18) % 7]);
			}
			seed = seed * 1103515245 + 12345;
			buf_adds(&b, after[(seed >> 16) % nitems(after)]);
		}
		if (!paths_agree(b.data, &fast, &ref)) {
			if (fails++ < 20)
				print_error("\"%s\": fast \"%s\", reference "
					    "\"%s\"\n",
				    b.data, fast, ref);
		}
		free(fast);
		free(ref);
		if (!paths_agree_kind(b.data, 1, &fast, &ref)) {
			if (fails++ < 20)
				print_error("plain \"%s\": fast \"%s\", "
					    "reference \"%s\"\n",
				    b.data, fast, ref);
		}
		free(fast);
		free(ref);
	}
	buf_free(&b);
	assert_int_equal(fails, 0);
}

/* A random word of 1 to max letters of the alphabet, appended to b. */
static void
random_word(struct buf *b, const char *const *alpha, size_t nalpha, size_t max,
    unsigned *seed)
{
	size_t k, len;

	*seed = *seed * 1103515245 + 12345;
	len = 1 + (*seed >> 16) % max;
	for (k = 0; k < len; k++) {
		*seed = *seed * 1103515245 + 12345;
		buf_adds(b, alpha[(*seed >> 16) % nalpha]);
	}
}

/*
 * The union's bitmap lets a text note only the tokens some filter may want
 * (and skips the heads of tokens too short for a prefix): a filter that
 * was in the union when the text was made, which sees only those, must
 * decide as one made after it, which looks at every token. Words and
 * keywords of few letters, so that they meet often; prefix keywords of 3
 * to 7 letters against tokens of 1 to 9; phrases; each alphabet alone.
 */
static void
test_union_prefilter(void **state)
{
	static const char *ar[] = {"ب", "ر", "ا", "ل", "و", "ة"};
	static const char *la[] = {"a", "b", "B", "c"};
	const char *const *alpha;
	char *kws[4], *cause = NULL, *text;
	struct match_filter *before, *after;
	struct match_text *mt;
	size_t i, j, n, nalpha, nkw, npass = 0, fails = 0;
	struct buf b, kb;
	unsigned seed = 5;
	int a, z;

	(void)state;
	buf_init(&b);
	buf_init(&kb);
	for (i = 0; i < 20000; i++) {
		alpha = i % 2 ? ar : la;
		nalpha = i % 2 ? nitems(ar) : nitems(la);
		for (nkw = 0; nkw < 1 + i % 4;) {
			buf_reset(&kb);
			buf_add(&kb, "", 0);
			seed = seed * 1103515245 + 12345;
			if ((seed >> 16) % 5 == 0)
				buf_adds(&kb, "=");
			random_word(&kb, alpha, nalpha, 7, &seed);
			seed = seed * 1103515245 + 12345;
			if ((seed >> 16) % 4 == 0) {
				buf_adds(&kb, " ");
				random_word(&kb, alpha, nalpha, 4, &seed);
			}
			seed = seed * 1103515245 + 12345;
			if ((seed >> 16) % 2 == 0)
				buf_adds(&kb, "*");
			if (match_keyword_check(kb.data, &cause) != 0) {
				free(cause);
				cause = NULL;
				continue;
			}
			kws[nkw++] = xstrdup(kb.data);
		}
		buf_reset(&b);
		buf_add(&b, "", 0);
		seed = seed * 1103515245 + 12345;
		n = 1 + (seed >> 16) % 8;
		for (j = 0; j < n; j++) {
			random_word(&b, alpha, nalpha, 9, &seed);
			buf_adds(&b, j % 3 == 2 ? ", " : " ");
		}
		text = b.data;
		/* Any, all or none, by turns. */
		before = match_filter_new(i % 3 == 0 ? kws : NULL,
		    i % 3 == 0 ? nkw : 0, i % 3 == 1 ? kws : NULL,
		    i % 3 == 1 ? nkw : 0, i % 3 == 2 ? kws : NULL,
		    i % 3 == 2 ? nkw : 0, &cause);
		assert_non_null(before);
		mt = match_text_new((const char *const *)&text, 1);
		after = match_filter_new(i % 3 == 0 ? kws : NULL,
		    i % 3 == 0 ? nkw : 0, i % 3 == 1 ? kws : NULL,
		    i % 3 == 1 ? nkw : 0, i % 3 == 2 ? kws : NULL,
		    i % 3 == 2 ? nkw : 0, &cause);
		assert_non_null(after);
		a = match_filter_test(before, mt);
		z = match_filter_test(after, mt);
		npass += (size_t)a;
		if (a != z && fails++ < 20)
			print_error("\"%s\" against \"%s\"...: %d before, %d "
				    "after\n",
			    text, kws[0], a, z);
		match_text_free(mt);
		match_filter_free(before);
		match_filter_free(after);
		for (j = 0; j < nkw; j++)
			free(kws[j]);
	}
	buf_free(&b);
	buf_free(&kb);
	assert_int_equal(fails, 0);
	/* Both verdicts came up often. */
	assert_true(npass > 2000 && npass < 18000);
}

/* A random keyword of the alphabet (see test_union_sets), appended to kb. */
static void
random_keyword(
    struct buf *kb, const char *const *alpha, size_t nalpha, unsigned *seed)
{
	buf_reset(kb);
	buf_add(kb, "", 0);
	*seed = *seed * 1103515245 + 12345;
	if ((*seed >> 16) % 5 == 0)
		buf_adds(kb, "=");
	random_word(kb, alpha, nalpha, 6, seed);
	*seed = *seed * 1103515245 + 12345;
	if ((*seed >> 16) % 4 == 0) {
		buf_adds(kb, " ");
		random_word(kb, alpha, nalpha, 4, seed);
	}
	*seed = *seed * 1103515245 + 12345;
	if ((*seed >> 16) % 3 == 0)
		buf_adds(kb, "*");
}

/*
 * A text works out, as it is made, whether it passes each filter of the
 * union of live filters: with several filters live at once (up to 16 or
 * more: UNION_MEMBERS in match.c), sharing keywords, looking at different
 * fields, any, all and none lists mixed, some freed and others made
 * between texts, and fields changed after a text was made, every filter
 * must decide as a twin made after the text, which looks at every token
 * itself (filter_scan).
 */
static void
test_union_sets(void **state)
{
	static const char *ar[] = {"ب", "ر", "ا", "ل", "و", "ة"};
	static const char *la[] = {"a", "b", "B", "c"};
	static const unsigned kindset[] = {MATCH_FIELD_TITLE,
	    MATCH_FIELD_SUMMARY, MATCH_FIELD_CONTENT, MATCH_FIELD_CATEGORIES,
	    MATCH_FIELD_AUTHOR};
	enum { NF = 20, NK = 5, NFIELD = 3 };
	struct match_filter *live[NF], *twin;
	unsigned fields_of[NF];
	char *kws[NF][NK], *cause = NULL, *texts[NFIELD];
	size_t nkw[NF], lists[NF][3];
	const char *const *alpha;
	const char *tf[NFIELD];
	unsigned tk[NFIELD];
	struct match_text *mt;
	size_t i, j, f, n, nalpha, nlive, npass = 0, ntests = 0, fails = 0;
	struct buf b[NFIELD], kb;
	unsigned seed = 17;
	int a, z;

	(void)state;
	memset(live, 0, sizeof live);
	buf_init(&kb);
	for (f = 0; f < NFIELD; f++)
		buf_init(&b[f]);
	for (i = 0; i < 3000; i++) {
		alpha = i % 2 ? ar : la;
		nalpha = i % 2 ? nitems(ar) : nitems(la);
		/* Up to 16 filters, or more (UNION_MEMBERS), by turns. */
		nlive = (i / 300) % 2 ? NF : 6;
		/* Some filters leave, others join. */
		for (j = 0; j < NF; j++) {
			seed = seed * 1103515245 + 12345;
			if (live[j] != NULL && j < nlive &&
			    (seed >> 16) % 3 != 0)
				continue;
			if (live[j] != NULL) {
				match_filter_free(live[j]);
				live[j] = NULL;
				for (n = 0; n < nkw[j]; n++)
					free(kws[j][n]);
			}
			if (j >= nlive)
				continue;
			for (nkw[j] = 0; nkw[j] < 1 + (seed >> 18) % NK;) {
				random_keyword(&kb, alpha, nalpha, &seed);
				/* Often another filter's, so that they share.
				 */
				n = (seed >> 16) % NF;
				if ((seed >> 20) % 2 == 0 && n != j &&
				    live[n] != NULL) {
					buf_reset(&kb);
					buf_adds(
					    &kb, kws[n][(seed >> 22) % nkw[n]]);
				}
				if (match_keyword_check(kb.data, &cause) != 0) {
					free(cause);
					cause = NULL;
					continue;
				}
				kws[j][nkw[j]++] = xstrdup(kb.data);
			}
			/* How many are any, all and none keywords. */
			seed = seed * 1103515245 + 12345;
			lists[j][0] = (seed >> 16) % (nkw[j] + 1);
			lists[j][1] = (seed >> 20) % (nkw[j] - lists[j][0] + 1);
			lists[j][2] = nkw[j] - lists[j][0] - lists[j][1];
			live[j] = match_filter_new(kws[j], lists[j][0],
			    kws[j] + lists[j][0], lists[j][1],
			    kws[j] + lists[j][0] + lists[j][1], lists[j][2],
			    &cause);
			assert_non_null(live[j]);
			seed = seed * 1103515245 + 12345;
			fields_of[j] =
			    (seed >> 16) % 4 == 0
				? MATCH_FIELDS_ALL
				: (unsigned)(seed >> 18) & MATCH_FIELDS_ALL;
			match_filter_set_fields(live[j], fields_of[j]);
		}
		for (f = 0; f < NFIELD; f++) {
			buf_reset(&b[f]);
			buf_add(&b[f], "", 0);
			seed = seed * 1103515245 + 12345;
			n = (seed >> 16) % 7;
			for (j = 0; j < n; j++) {
				random_word(&b[f], alpha, nalpha, 8, &seed);
				buf_adds(&b[f], j % 3 == 2 ? ", " : " ");
			}
			texts[f] = b[f].data;
			tf[f] = texts[f];
			seed = seed * 1103515245 + 12345;
			tk[f] = kindset[(seed >> 16) % nitems(kindset)] |
				((seed >> 20) % 2 ? MATCH_FIELD_PLAIN : 0);
		}
		mt = match_text_new_kinds(tf, tk, NFIELD);
		/* A filter's fields changed after the text was made. */
		seed = seed * 1103515245 + 12345;
		if ((seed >> 16) % 4 == 0) {
			j = (seed >> 18) % nlive;
			fields_of[j] = (seed >> 22) & MATCH_FIELDS_ALL;
			match_filter_set_fields(live[j], fields_of[j]);
		}
		for (j = 0; j < nlive; j++) {
			twin = match_filter_new(kws[j], lists[j][0],
			    kws[j] + lists[j][0], lists[j][1],
			    kws[j] + lists[j][0] + lists[j][1], lists[j][2],
			    &cause);
			assert_non_null(twin);
			match_filter_set_fields(twin, fields_of[j]);
			a = match_filter_test(live[j], mt);
			z = match_filter_test(twin, mt);
			npass += (size_t)a;
			ntests++;
			if (a != z && fails++ < 20)
				print_error("text %zu, filter %zu (\"%s\"...): "
					    "%d in the union, %d after\n",
				    i, j, kws[j][0], a, z);
			match_filter_free(twin);
		}
		match_text_free(mt);
	}
	for (j = 0; j < NF; j++) {
		if (live[j] == NULL)
			continue;
		match_filter_free(live[j]);
		for (n = 0; n < nkw[j]; n++)
			free(kws[j][n]);
	}
	for (f = 0; f < NFIELD; f++)
		buf_free(&b[f]);
	buf_free(&kb);
	assert_int_equal(fails, 0);
	/* Both verdicts came up often. */
	print_message("union sets: %zu of %zu pass\n", npass, ntests);
	assert_true(npass > ntests / 10 && npass < ntests * 9 / 10);
}

/*
 * A string that two filters' keywords share: once one filter's verdict is
 * decided, the other still sees it (a text skips only what no undecided
 * filter wants), with few filters and with more than 16.
 */
static void
test_union_shared(void **state)
{
	char *a_any[] = {"Japan", "Tokyo"}, *b_all[] = {"Tokyo"};
	char *c_any[] = {"Japan"}, *c_none[] = {"Tokyo"};
	const char *text = "Japan and Tokyo";
	struct match_filter *a, *b, *c, *more[20];
	struct match_text *mt;
	char *cause = NULL;
	size_t i, n;

	(void)state;
	for (n = 0; n <= 20; n += 20) {
		for (i = 0; i < n; i++) {
			more[i] = match_filter_new(
			    c_any, 1, NULL, 0, NULL, 0, &cause);
			assert_non_null(more[i]);
		}
		/* a is decided at Japan; b and c need Tokyo too. */
		a = match_filter_new(a_any, 2, NULL, 0, NULL, 0, &cause);
		b = match_filter_new(NULL, 0, b_all, 1, NULL, 0, &cause);
		c = match_filter_new(c_any, 1, NULL, 0, c_none, 1, &cause);
		assert_non_null(a);
		assert_non_null(b);
		assert_non_null(c);
		mt = match_text_new(&text, 1);
		assert_int_equal(match_filter_test(a, mt), 1);
		assert_int_equal(match_filter_test(b, mt), 1);
		assert_int_equal(match_filter_test(c, mt), 0);
		for (i = 0; i < n; i++) {
			assert_int_equal(match_filter_test(more[i], mt), 1);
			match_filter_free(more[i]);
		}
		match_text_free(mt);
		match_filter_free(a);
		match_filter_free(b);
		match_filter_free(c);
	}
}

/* A compiled filter is reused across texts. */
static void
test_filter_reuse(void **state)
{
	char *any[] = {"Japan"};
	const char *a = "Japan", *b = "China";
	struct match_filter *mf;
	struct match_text *ma, *mb;
	char *cause = NULL;

	(void)state;
	mf = match_filter_new(any, 1, NULL, 0, NULL, 0, &cause);
	ma = match_text_new(&a, 1);
	mb = match_text_new(&b, 1);
	assert_int_equal(match_filter_test(mf, ma), 1);
	assert_int_equal(match_filter_test(mf, mb), 0);
	assert_int_equal(match_filter_test(mf, ma), 1);
	match_text_free(ma);
	match_text_free(mb);
	match_filter_free(mf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_html_blocks),
	    cmocka_unit_test(test_html_tags),
	    cmocka_unit_test(test_html_refs),
	    cmocka_unit_test(test_bad_utf8),
	    cmocka_unit_test(test_unicode_fold),
	    cmocka_unit_test(test_arabic_fold),
	    cmocka_unit_test(test_tokens),
	    cmocka_unit_test(test_arabic_runs),
	    cmocka_unit_test(test_tokens_null_field),
	    cmocka_unit_test(test_syntax),
	    cmocka_unit_test(test_filter_bad_keyword),
	    cmocka_unit_test(test_latin),
	    cmocka_unit_test(test_arabic_short),
	    cmocka_unit_test(test_arabic_proclitics),
	    cmocka_unit_test(test_arabic_article),
	    cmocka_unit_test(test_arabic_suffixes),
	    cmocka_unit_test(test_arabic_strict),
	    cmocka_unit_test(test_arabic_prefix),
	    cmocka_unit_test(test_arabic_spelling),
	    cmocka_unit_test(test_prefix_heads),
	    cmocka_unit_test(test_phrases),
	    cmocka_unit_test(test_phrase_one_field),
	    cmocka_unit_test(test_filters),
	    cmocka_unit_test(test_arabic_filters),
	    cmocka_unit_test(test_article),
	    cmocka_unit_test(test_huge_token),
	    cmocka_unit_test(test_filter_reuse),
	    cmocka_unit_test(test_spelling_pairs),
	    cmocka_unit_test(test_field_kinds),
	    cmocka_unit_test(test_plain_fields),
	    cmocka_unit_test(test_fast_path_code_points),
	    cmocka_unit_test(test_fast_path_pairs),
	    cmocka_unit_test(test_fast_path_html),
	    cmocka_unit_test(test_fast_path_long_tags),
	    cmocka_unit_test(test_union_later),
	    cmocka_unit_test(test_arabic_marks),
	    cmocka_unit_test(test_fast_path_words),
	    cmocka_unit_test(test_union_prefilter),
	    cmocka_unit_test(test_union_sets),
	    cmocka_unit_test(test_union_shared),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
