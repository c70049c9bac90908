/*
 * parse: RSS 0.9x/1.0/2.0 and Atom 0.3/1.0 documents into a struct feed.
 *
 * libxml2 builds a tree (recovering from what it can); the tree is read
 * through tables of (namespace, element) rules, one for the feed level and
 * one for items, so that a new element is one more table row. Items of the
 * RSS channel and Atom entries are read as they close, a few at a time,
 * while the rest of the document is still being parsed, and leave the
 * tree then (see stream_check); the feed level is read at the end. The
 * elements of those items that hold only text, nearly all, never enter the
 * tree: they are kept aside as "light kids" and read through nodes made on
 * the stack (see struct pstate and item_kid). Text comes out in the
 * conventions of parse.h: plain text collapsed, HTML as given, every
 * string valid UTF-8, "" turned into NULL.
 *
 * The bytes reach libxml2's push parser 256 KB at a time. In a UTF-8
 * document that a scanner of ours (runs_scan) understands fully, each run
 * of element text with bytes past ASCII is first replaced by a character
 * reference to a private-use code point that names the run, and the
 * handler of text (parse_characters) gives on the run's own bytes when the
 * reference comes back: libxml2 2.9 reads such text a character at a time
 * and a reference in one go. The copy is made 256 KB at a time; where the
 * scanner is not sure, libxml2 reads the document itself.
 */
#include <ctype.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <libxml/HTMLparser.h>
#include <libxml/SAX2.h>
#include <libxml/encoding.h>
#include <libxml/entities.h>
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>

#include "log.h"
#include "parse.h"
#include "util.h"

/*
 * Limits against hostile documents. A feed with more items than any real
 * feed carries keeps its first PARSE_MAX_ITEMS and drops the rest; likewise
 * for categories. Text of one field stops growing at PARSE_MAX_FIELD bytes.
 * Entity references are followed at most PARSE_MAX_ENTITIES times per
 * document and expand to at most PARSE_MAX_ENTITY_BYTES in all; a document
 * that wants more is refused. libxml2 itself stops the classic billion
 * laughs, but not one large entity referenced many times, which costs
 * nothing in the tree and everything when its text is read.
 */
#define PARSE_MAX_ITEMS		10000
#define PARSE_MAX_CATEGORIES	100
#define PARSE_MAX_FIELD		(4 * 1024 * 1024)
#define PARSE_MAX_ENTITIES	10000
#define PARSE_MAX_ENTITY_BYTES	(1024 * 1024)
#define PARSE_MAX_DEPTH		512
/*
 * A tree costs a hundred bytes and more per node, so bytes that are
 * nothing but tiny elements ("<a/>" four million times in 16 MB) would
 * cost thirty times their size; the tree stops growing at this many
 * elements, attributes and namespace declarations, and the feed is what
 * was read until then (no real feed comes near: ten thousand items of
 * fifty nodes each).
 */
#define PARSE_MAX_NODES		500000
/* Text given to libxml2's tree at most at a time (see struct pstate). */
#define PARSE_TEXT_BATCH	(64 * 1024)
/* Bytes handed to libxml2's push parser at a time. */
#define PARSE_CHUNK		(256 * 1024)
/* Items read at a time as they close (see struct pstate). */
#define PARSE_BATCH 16

/* Which vocabulary an element belongs to, whatever its prefix. */
enum ns {
	NS_OTHER,
	NS_NONE,	/* no namespace: stands for NS_RSS or NS_ATOM, see bare */
	NS_RSS,
	NS_ATOM,
	NS_DC,
	NS_DCTERMS,
	NS_CONTENT,
	NS_RDF,
	NS_XHTML,
	NS_SY,
};

static const struct {
	const char *uri;
	enum ns ns;
} namespaces[] = {
	{ "http://www.w3.org/2005/Atom", NS_ATOM },
	{ "http://purl.org/atom/ns#", NS_ATOM },
	{ "http://purl.org/rss/1.0/", NS_RSS },
	{ "http://my.netscape.com/rdf/simple/0.9/", NS_RSS },
	{ "http://backend.userland.com/rss2", NS_RSS },
	{ "http://backend.userland.com/rss", NS_RSS },
	{ "http://purl.org/dc/elements/1.1/", NS_DC },
	{ "http://purl.org/dc/terms/", NS_DCTERMS },
	{ "http://purl.org/rss/1.0/modules/content/", NS_CONTENT },
	{ "http://www.w3.org/1999/02/22-rdf-syntax-ns#", NS_RDF },
	{ "http://www.w3.org/1999/xhtml", NS_XHTML },
	{ "http://purl.org/rss/1.0/modules/syndication/", NS_SY },
};

#define RDF_URI "http://www.w3.org/1999/02/22-rdf-syntax-ns#"

enum field {
	F_ID,
	F_LINK,
	F_TITLE,
	F_AUTHOR,
	F_SUMMARY,
	F_CONTENT,
	F_CATEGORY,
	F_PUBLISHED,
	F_UPDATED,
	F_LANG,
};

/* How an element's value is read. */
enum how {
	H_TEXT,		/* plain text */
	H_RSS_TITLE,	/* plain text, unless it is plainly HTML */
	H_HTML,		/* HTML as text (escaped or CDATA), or inline markup */
	H_CONSTRUCT,	/* Atom text construct: type (and 0.3 mode) decide */
	H_DATE,
	H_RSS_GUID,
	H_RSS_LINK,
	H_RSS_AUTHOR,	/* "jo@example.com (Jo)" */
	H_ATOM_LINK,
	H_ATOM_PERSON,
	H_ATOM_CATEGORY,
	H_BODY,		/* inline markup: the children are the content */
};

struct rule {
	enum ns ns;
	const char *name;
	enum field field;
	enum how how;
};

static const struct rule feed_rules[] = {
	{ NS_RSS, "title", F_TITLE, H_RSS_TITLE },
	{ NS_RSS, "link", F_LINK, H_RSS_LINK },
	{ NS_RSS, "language", F_LANG, H_TEXT },
	{ NS_ATOM, "title", F_TITLE, H_CONSTRUCT },
	{ NS_ATOM, "link", F_LINK, H_ATOM_LINK },
	{ NS_DC, "title", F_TITLE, H_TEXT },
	{ NS_DC, "language", F_LANG, H_TEXT },
};

static const struct rule item_rules[] = {
	{ NS_RSS, "guid", F_ID, H_RSS_GUID },
	{ NS_RSS, "link", F_LINK, H_RSS_LINK },
	{ NS_RSS, "title", F_TITLE, H_RSS_TITLE },
	{ NS_RSS, "author", F_AUTHOR, H_RSS_AUTHOR },
	{ NS_RSS, "description", F_SUMMARY, H_HTML },
	{ NS_RSS, "category", F_CATEGORY, H_TEXT },
	{ NS_RSS, "pubDate", F_PUBLISHED, H_DATE },
	{ NS_ATOM, "id", F_ID, H_TEXT },
	{ NS_ATOM, "link", F_LINK, H_ATOM_LINK },
	{ NS_ATOM, "title", F_TITLE, H_CONSTRUCT },
	{ NS_ATOM, "author", F_AUTHOR, H_ATOM_PERSON },
	{ NS_ATOM, "summary", F_SUMMARY, H_CONSTRUCT },
	{ NS_ATOM, "content", F_CONTENT, H_CONSTRUCT },
	{ NS_ATOM, "category", F_CATEGORY, H_ATOM_CATEGORY },
	{ NS_ATOM, "published", F_PUBLISHED, H_DATE },
	{ NS_ATOM, "issued", F_PUBLISHED, H_DATE },
	{ NS_ATOM, "updated", F_UPDATED, H_DATE },
	{ NS_ATOM, "modified", F_UPDATED, H_DATE },
	{ NS_DC, "title", F_TITLE, H_TEXT },
	{ NS_DC, "creator", F_AUTHOR, H_TEXT },
	{ NS_DC, "author", F_AUTHOR, H_TEXT },
	{ NS_DC, "description", F_SUMMARY, H_HTML },
	{ NS_DC, "subject", F_CATEGORY, H_TEXT },
	{ NS_DC, "date", F_UPDATED, H_DATE },
	{ NS_DCTERMS, "issued", F_PUBLISHED, H_DATE },
	{ NS_DCTERMS, "modified", F_UPDATED, H_DATE },
	{ NS_CONTENT, "encoded", F_CONTENT, H_HTML },
	{ NS_RSS, "body", F_CONTENT, H_BODY },
	{ NS_RSS, "fullitem", F_CONTENT, H_HTML },
	{ NS_XHTML, "body", F_CONTENT, H_BODY },
};

/* What a text construct holds, from its type and (Atom 0.3) mode. */
enum kind {
	K_TEXT,
	K_HTML,
	K_XHTML,
	K_XML,		/* other XML types: inline markup, no wrapping div */
	K_BINARY,	/* anything else: base64 */
};

/* A run of text that libxml2 reads as a reference (see runs_scan). */
struct run {
	uint32_t off, len;
};

struct pstate {
	xmlDocPtr doc;
	enum ns bare;		/* what an element without namespace means */
	int entities;		/* entity references still allowed */
	int64_t entity_bytes;	/* bytes entities may still expand to */
	int entity_overflow;
	char *error;		/* first error libxml2 reported */
	int entity_loop;
	int cut;		/* a text was cut at PARSE_MAX_FIELD bytes */
	xmlNodePtr *open;	/* elements still open when the bytes ended */
	int nopen;
	long nodes;		/* elements and attributes in the tree */
	long nitems;		/* item and entry elements among them */
	/*
	 * Items read as they close, while libxml2 still builds the tree
	 * (parse_end_element): those of the RSS channel or the Atom feed,
	 * the common case; RSS 1.0 items, siblings of the channel, are read
	 * from the tree after. Each read item leaves the tree as soon as
	 * libxml2 no longer needs it there, so the tree stays small.
	 */
	xmlParserCtxtPtr ctxt;	/* the document's parser (not an entity's) */
	xmlNodePtr root;
	xmlNodePtr channel;	/* whose children are items; NULL if none yet */
	enum ns item_ns;
	const char *item_name;
	xmlNodePtr cur;		/* the item open now, if any */
	struct item *items;
	size_t nread, nalloc;
	xmlNodePtr done;	/* a read item still in the tree */
	/*
	 * Items closed and not yet read: they are read PARSE_BATCH at a time
	 * (stream_read), so that the code that reads them and libxml2's that
	 * parses them each run long enough to stay in the instruction cache.
	 * Each keeps its kids, from kid0, and whether libxml2 had reported
	 * no error when it closed (tree_valid then).
	 */
	struct pending {
		xmlNodePtr node;
		size_t kid0, nkids;
		int ok;
	} pend[PARSE_BATCH];
	size_t npend;
	int reading; /* stream_read's item is read: its ok counts */
	int read_ok;
	size_t kid_base;	/* the open item's first kid */
	size_t attr_base;	/* ... its first kid attribute */
	size_t values_base;	/* ... and where its values start */
	size_t last_ns;		/* in namespaces[], the last one found */
	/*
	 * The document parser's text, gathered for the element open now and
	 * given to libxml2's tree in one piece (text_flush) before anything
	 * else happens to the tree: libxml2 hands it over a few hundred bytes
	 * at a time and each reference apart, and joins the pieces anyway.
	 */
	struct buf text;
	xmlNodePtr text_node;	/* the element it belongs to */
	/*
	 * The elements of the open item, in document order, for item_read.
	 * One that starts without namespace declarations and with at most
	 * KID_MAX_ATTRS attributes whose values become one text node of
	 * their bytes (kid_attrs_plain), the common case, gets no node of
	 * libxml2's: it is a light kid, its name and attributes kept (their
	 * values in kid_values) and its text gathered in text, until it ends
	 * (light is set while it is open). Anything but text inside it (an
	 * element, a reference to an entity, a comment or PI, text past
	 * PARSE_TEXT_BATCH) makes it the node it would have been (light_real)
	 * before that goes on as ever.
	 */
	struct kid *kids;
	size_t nkids, kids_alloc;
	int light;
	struct kid_attr *kid_attrs;
	size_t nkid_attrs, kid_attrs_alloc;
	struct buf kid_values;
	/*
	 * kid_ns_same's answers for the open item (its namespaces in scope
	 * cannot change while it is open): prefixes and URIs as the parser
	 * gives them, from its dictionary, found the same as the tree's.
	 */
	struct ns_memo {
		const xmlChar *prefix;
		const xmlChar *uri;
	} ns_memo[4];
	unsigned nns_memo;
	/* kid_rule's answers for this document's parser. */
	struct rule_memo {
		const xmlChar *name;
		const xmlChar *uri;
		const struct rule *rule;
	} rule_memo[64];
	/*
	 * The text runs of the document libxml2 parses now, each given to it
	 * as one character reference that names the run (see runs_find):
	 * their bytes, at off and len in run_base, the document as it was.
	 * The copy libxml2 reads is made a piece at a time in tdoc
	 * (runs_piece); nruns is 0 when it reads the document itself.
	 */
	struct run *runs;
	size_t nruns, runs_alloc;
	const char *run_base;
	char *tdoc;
	size_t tdoc_size;
};

/* Whether elements of items may be light kids (see parse_light_kids). */
static int light_kids = 1;

void
parse_light_kids(int on)
{
	light_kids = on;
}

/* Attributes a light kid may have (item_kid makes their nodes). */
#define KID_MAX_ATTRS 8

/*
 * An attribute of a light kid: names as the parser gives them, the value
 * at off in kid_values, followed there by a '"' as libxml2's own are by
 * their quote (see light_real).
 */
struct kid_attr {
	const xmlChar *name;
	const xmlChar *prefix;
	const xmlChar *uri;
	size_t off, len;
};

/* An element of the open item (see struct pstate). */
struct kid {
	xmlNodePtr node;     /* the element; NULL while light */
	const xmlChar *name; /* the parser's (dictionary) strings */
	const xmlChar *prefix;
	const xmlChar *uri;
	char *text; /* a light kid's text; NULL if none */
	size_t len; /* its length */
	size_t attr, nattrs; /* its attributes, in kid_attrs */
};

/* An item being read; link candidates rank below a real link. */
struct draft {
	struct item *item;
	char *permalink;
};

static const char *void_elements[] = {
	"area", "base", "br", "col", "embed", "hr", "img", "input", "link",
	"meta", "param", "source", "track", "wbr",
};

/*
 * The text of a document's items lives in blocks of its own, an arena,
 * taken in order and never freed one string at a time: text_take copies the
 * text of an item's elements there, where it is finished in place (it only
 * shrinks), and most item strings stay there until parse_feed_free frees the
 * blocks (the feed keeps them in strings). Other item strings are malloc'd
 * as before; str_free tells them apart by address and frees only those.
 * parse_arena is the arena of the document being parsed (parse_feed is not
 * re-entered: libxml2 calls back only into the handlers below).
 */
struct arena {
	struct arena *next; /* the block filled before */
	size_t size, used;
	char data[];
};

#define ARENA_FIRST (16 * 1024)
#define ARENA_MAX (1024 * 1024)
/*
 * The largest block up to this size that a freed arena had is kept for the
 * next document's first (arena_spare), so that parsing one feed after
 * another does not take and give back the same blocks every time.
 */
#define ARENA_KEEP (256 * 1024)

static struct arena *parse_arena;
static struct arena *arena_spare;

/* n bytes in the arena at *a, a new block when the last one is full. */
static char *
arena_alloc(struct arena **a, size_t n)
{
	struct arena *b = *a;
	size_t size;

	if (b == NULL && arena_spare != NULL && arena_spare->size >= n) {
		b = arena_spare;
		arena_spare = NULL;
		b->next = NULL;
		b->used = 0;
		*a = b;
	}
	if (b == NULL || b->size - b->used < n) {
		size = b == NULL ? ARENA_FIRST : b->size * 2;
		if (size > ARENA_MAX)
			size = ARENA_MAX;
		if (size < n)
			size = n;
		b = xmalloc(sizeof *b + size);
		b->next = *a;
		b->size = size;
		b->used = 0;
		*a = b;
	}
	b->used += n;
	return b->data + b->used - n;
}

/* n bytes in the document's arena, aligned for any pointer. */
static void *
arena_alloc_aligned(size_t n)
{
	struct arena *b = parse_arena;
	size_t pad;

	if (b != NULL) {
		pad = (sizeof(void *) - b->used % sizeof(void *)) %
		    sizeof(void *);
		if (b->size - b->used >= pad + n)
			b->used += pad;
	}
	return arena_alloc(&parse_arena, n);
}

/* A copy of the len bytes at s, NUL-terminated, in the document's arena. */
static char *
arena_strndup(const char *s, size_t len)
{
	char *d = arena_alloc(&parse_arena, len + 1);

	memcpy(d, s, len);
	d[len] = '\0';
	return d;
}

static int
arena_owns(const struct arena *a, const void *p)
{
	uintptr_t u = (uintptr_t)p;

	for (; a != NULL; a = a->next) {
		if (u >= (uintptr_t)a->data && u < (uintptr_t)a->data + a->size)
			return 1;
	}
	return 0;
}

static void
arena_free(struct arena *a)
{
	struct arena *next, *keep = NULL;

	for (; a != NULL; a = next) {
		next = a->next;
		if (a->size <= ARENA_KEEP &&
		    (keep == NULL || a->size > keep->size)) {
			free(keep);
			keep = a;
		} else
			free(a);
	}
	if (keep != NULL) {
		if (arena_spare == NULL || arena_spare->size < keep->size) {
			free(arena_spare);
			arena_spare = keep;
		} else
			free(keep);
	}
}

/* Free a string unless it is in the arena a. */
static void
arena_str_free(const struct arena *a, void *p)
{
	if (p != NULL && !arena_owns(a, p))
		free(p);
}

/* Free a string of the document being parsed (see struct arena). */
static void
str_free(void *p)
{
	arena_str_free(parse_arena, p);
}

/* --- strings ---------------------------------------------------------- */

static int
is_ascii_space(int c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

/* Decode one UTF-8 sequence; -1 when invalid. Sets *n to its length. */
static long
utf8_decode(const unsigned char *s, size_t len, size_t *n)
{
	long cp;
	size_t need, i;

	*n = 1;
	if (s[0] < 0x80)
		return s[0];
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		need = 1;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		need = 2;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		need = 3;
		cp = s[0] & 0x07;
	} else
		return -1;
	if (len < need + 1)
		return -1;
	for (i = 1; i <= need; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return -1;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((need == 2 && cp < 0x800) || (need == 3 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return -1;
	*n = need + 1;
	return cp;
}

/* The white space Python's str.strip() removes, which the oracle trims. */
static int
is_trim_space(long cp)
{
	return (cp >= 0x09 && cp <= 0x0d) || (cp >= 0x1c && cp <= 0x20) ||
	    cp == 0x85 || cp == 0xa0 || cp == 0x1680 ||
	    (cp >= 0x2000 && cp <= 0x200a) || cp == 0x2028 || cp == 0x2029 ||
	    cp == 0x202f || cp == 0x205f || cp == 0x3000;
}

/* text_finish for a string with invalid UTF-8: into a new buffer. */
static char *
text_finish_repair(char *s, int collapse)
{
	struct buf b;
	const unsigned char *p, *end;
	size_t n, keep = 0;
	long cp;
	int space = 0, started = 0;

	p = (const unsigned char *)s;
	end = p + strlen(s);

	buf_init(&b);
	while (p < end) {
		cp = utf8_decode(p, end - p, &n);
		if (cp < 0) {
			buf_adds(&b, "\xef\xbf\xbd");
			p++;
			keep = b.len;
			started = 1;
			space = 0;
			continue;
		}
		p += n;
		if (!started && is_trim_space(cp))
			continue;
		started = 1;
		if (collapse && is_ascii_space((int)cp)) {
			if (!space)
				buf_addc(&b, ' ');
			space = 1;
		} else {
			buf_add(&b, p - n, n);
			space = 0;
		}
		/* Remember where the last character worth keeping ends. */
		if (!is_trim_space(cp))
			keep = b.len;
	}
	str_free(s);

	if (keep == 0) {
		buf_free(&b);
		return NULL;
	}
	b.data[keep] = '\0';
	b.len = keep;
	return buf_steal(&b, NULL);
}

/* Whether [p, end) holds valid UTF-8 only. */
static int
utf8_valid(const unsigned char *p, const unsigned char *end)
{
	size_t n;

	while (p < end) {
		/* ASCII and two-byte sequences sixteen bytes at a time. */
		while (end - p >= 16 && (n = text_span16(p, 0)) != 0) {
			p += n;
			if (n < 16)
				break;
		}
		if (p == end)
			break;
		if (*p < 0x80) {
			p++;
			continue;
		}
		if (p[0] >= 0xc2 && p[0] <= 0xdf && end - p >= 2 &&
		    (p[1] & 0xc0) == 0x80) {
			p += 2;
			continue;
		}
		if (utf8_decode(p, (size_t)(end - p), &n) < 0)
			return 0;
		p += n;
	}
	return 1;
}

/*
 * Whether the 16 bytes at p (p[16] readable) need nothing of a collapse of
 * white space: no white space but single spaces, none of them followed by
 * white space. Always 0 without SSE2.
 */
static int
collapse_span16(const unsigned char *p)
{
#ifdef __SSE2__
	__m128i v;
	unsigned ws, sp;

	v = _mm_loadu_si128((const __m128i *)p);
	sp = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(' ')));
	/* Signed compares: bytes from 0x80 are below '\t' here. */
	ws = sp | (unsigned)_mm_movemask_epi8(_mm_and_si128(
	    _mm_cmpgt_epi8(v, _mm_set1_epi8('\t' - 1)),
	    _mm_cmplt_epi8(v, _mm_set1_epi8('\r' + 1))));
	return ws == sp && (ws & (ws >> 1)) == 0 &&
	    !((ws & 0x8000) != 0 && is_ascii_space(p[16]));
#else
	(void)p;
	return 0;
#endif
}

/*
 * Whether a character of valid UTF-8 that starts with byte c is surely not
 * one is_trim_space knows: ASCII past the space, or a lead byte none of
 * them has (they start with 0xc2, 0xe1, 0xe2 or 0xe3).
 */
static int
trim_never(unsigned char c)
{
	return (c > 0x20 && c < 0x80) ||
	    (c >= 0xc3 && c != 0xe1 && c != 0xe2 && c != 0xe3);
}

/*
 * Trim what is_trim_space calls white space from both ends of the valid
 * UTF-8 in [s, s + len): the first byte kept and the length left.
 */
static size_t
text_trim(const char *s, size_t len, size_t *off)
{
	const unsigned char *p, *q, *end;
	size_t n;
	long cp;

	p = (const unsigned char *)s;
	end = p + len;
	while (p < end && !trim_never(*p) &&
	    (cp = utf8_decode(p, (size_t)(end - p), &n)) >= 0 &&
	    is_trim_space(cp))
		p += n;
	while (end > p) {
		for (q = end - 1; q > p && (*q & 0xc0) == 0x80; q--)
			;
		if (trim_never(*q))
			break;
		cp = utf8_decode(q, (size_t)(end - q), &n);
		if (!is_trim_space(cp))
			break;
		end = q;
	}
	*off = (size_t)(p - (const unsigned char *)s);
	return (size_t)(end - p);
}

/*
 * Make s valid UTF-8 (each bad byte becomes U+FFFD), trim white space at
 * both ends and, if collapse, turn each run of ASCII white space into one
 * space. Frees s; returns NULL for an empty result. Valid text (all of it
 * but base64 and broken HTML) is done in place, as it only shrinks.
 */
static char *
text_finish_len(char *s, size_t len, int collapse, int valid)
{
	unsigned char *p, *w, *start, *end;
	size_t n, off;

	if (s == NULL)
		return NULL;
	start = p = (unsigned char *)s;
	end = p + len;
	if (!valid && !utf8_valid(p, end))
		return text_finish_repair(s, collapse);

	n = text_trim(s, (size_t)(end - p), &off);
	p += off;
	end = p + n;
	if (p == end) {
		str_free(s);
		return NULL;
	}
	*end = '\0';
	if (!collapse) {
		if (p != start)
			memmove(start, p, (size_t)(end - p) + 1);
		return s;
	}
	/* No white space is left at either end, so runs are inside. */
	for (w = start; p < end;) {
		/* Sixteen bytes at a time while spaces come one by one. */
		while (end - p >= 16 && collapse_span16(p)) {
			if (w != p)
				memmove(w, p, 16);
			w += 16;
			p += 16;
		}
		if (p == end)
			break;
		if (!is_ascii_space(*p)) {
			*w++ = *p++;
			continue;
		}
		*w++ = ' ';
		while (is_ascii_space(*++p))
			;
	}
	*w = '\0';
	return s;
}

/* text_finish_len of a whole string. */
static char *
text_finish_checked(char *s, int collapse, int valid)
{
	return s == NULL ? NULL : text_finish_len(s, strlen(s), collapse, valid);
}

static char *
text_finish(char *s, int collapse)
{
	return text_finish_checked(s, collapse, 0);
}

static char *
text_plain(char *s)
{
	return text_finish(s, 1);
}

static void
html_escape(struct buf *b, const char *s, int attr)
{
	size_t n;

	for (;;) {
		n = strcspn(s, attr ? "&<>\"" : "&<>");
		buf_add(b, s, n);
		s += n;
		switch (*s++) {
		case '\0':
			return;
		case '&':
			buf_adds(b, "&amp;");
			break;
		case '<':
			buf_adds(b, "&lt;");
			break;
		case '>':
			buf_adds(b, "&gt;");
			break;
		case '"':
			buf_adds(b, "&quot;");
			break;
		}
	}
}

static void
buf_add_utf8(struct buf *b, unsigned int cp)
{
	char u[4];

	if (cp < 0x80)
		buf_addc(b, (char)cp);
	else if (cp < 0x800) {
		u[0] = (char)(0xc0 | (cp >> 6));
		u[1] = (char)(0x80 | (cp & 0x3f));
		buf_add(b, u, 2);
	} else if (cp < 0x10000) {
		u[0] = (char)(0xe0 | (cp >> 12));
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		buf_add(b, u, 3);
	} else if (cp <= 0x10ffff) {
		u[0] = (char)(0xf0 | (cp >> 18));
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[3] = (char)(0x80 | (cp & 0x3f));
		buf_add(b, u, 4);
	}
}

/* The first word of a MIME type, lower-cased, without parameters. */
static char *
mime_base(const char *type)
{
	char *s, *p;

	s = xstrdup(type);
	if ((p = strchr(s, ';')) != NULL)
		*p = '\0';
	p = str_trim(s);
	memmove(s, p, strlen(p) + 1);
	for (p = s; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	return s;
}

/* The charset parameter of a Content-Type, or NULL. */
static char *
content_type_charset(const char *type)
{
	const char *p, *v;
	size_t n;

	if (type == NULL || (p = strchr(type, ';')) == NULL)
		return NULL;
	while (p != NULL) {
		p++;
		while (*p == ' ' || *p == '\t')
			p++;
		if (strncasecmp(p, "charset", 7) == 0) {
			v = p + 7;
			while (*v == ' ' || *v == '\t')
				v++;
			if (*v == '=') {
				v++;
				while (*v == ' ' || *v == '\t')
					v++;
				if (*v == '"') {
					v++;
					n = strcspn(v, "\"");
				} else
					n = strcspn(v, "; \t");
				if (n == 0 || n > 64)
					return NULL;
				return xstrndup(v, n);
			}
		}
		p = strchr(p, ';');
	}
	return NULL;
}

static int
base64_value(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Decode base64, ignoring white space; NULL when it is not base64. */
static char *
base64_decode(const char *s)
{
	struct buf b;
	unsigned int acc = 0;
	int bits = 0, v;

	buf_init(&b);
	for (; *s != '\0' && *s != '='; s++) {
		if (is_ascii_space((unsigned char)*s))
			continue;
		if ((v = base64_value((unsigned char)*s)) < 0) {
			buf_free(&b);
			return NULL;
		}
		acc = (acc << 6) | (unsigned int)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			buf_addc(&b, (char)((acc >> bits) & 0xff));
		}
	}
	return buf_steal(&b, NULL);
}

/* --- links ------------------------------------------------------------ */

/* Does s start with an RFC 3986 scheme, i.e. is it an absolute URI? */
static int
url_has_scheme(const char *s)
{
	const char *p;

	if (!isalpha((unsigned char)*s))
		return 0;
	for (p = s + 1; *p != '\0'; p++) {
		if (*p == ':')
			return 1;
		if (!isalnum((unsigned char)*p) && *p != '+' && *p != '-' &&
		    *p != '.')
			return 0;
	}
	return 0;
}

/*
 * Resolve ref against base. Absolute references are kept exactly as given;
 * a reference that cannot be resolved is kept as given too.
 */
static char *
url_resolve(const char *base, const char *ref)
{
	CURLU *h;
	char *out = NULL, *s;
	const char *p;
	unsigned int flags = CURLU_NON_SUPPORT_SCHEME;
	size_t n;

	if (base == NULL || *base == '\0' || url_has_scheme(ref))
		return xstrdup(ref);
	/* A relative base (xml:base with no document URI): join paths. */
	if (!url_has_scheme(base)) {
		if (*ref == '/' || *ref == '?' || *ref == '#' ||
		    (p = strrchr(base, '/')) == NULL)
			return xstrdup(ref);
		xasprintf(&s, "%.*s%s", (int)(p - base + 1), base, ref);
		return s;
	}
	/* curl drops the last path segment for "#frag"; RFC 3986 keeps it. */
	if (*ref == '#') {
		n = strcspn(base, "#");
		xasprintf(&s, "%.*s%s", (int)n, base, ref);
		return s;
	}
#ifdef CURLU_ALLOW_SPACE
	flags |= CURLU_ALLOW_SPACE;
#endif
	if ((h = curl_url()) == NULL)
		fatalx("curl_url");
	if (curl_url_set(h, CURLUPART_URL, base, flags) != CURLUE_OK ||
	    curl_url_set(h, CURLUPART_URL, ref, flags) != CURLUE_OK ||
	    curl_url_get(h, CURLUPART_URL, &out, 0) != CURLUE_OK) {
		curl_url_cleanup(h);
		return xstrdup(ref);
	}
	s = xstrdup(out);
	curl_free(out);
	curl_url_cleanup(h);
	return s;
}

/* Resolve a link found at node against the base in scope there. */
static char *
link_resolve(struct pstate *st, xmlNodePtr node, char *ref)
{
	xmlChar *base;
	char *s;

	if (ref == NULL)
		return NULL;
	/*
	 * An absolute reference is kept as given (url_resolve), and what it
	 * is given as is finished text already: no base needed.
	 */
	if (url_has_scheme(ref))
		return ref;
	base = xmlNodeGetBase(st->doc, node);
	s = url_resolve((const char *)base, ref);
	xmlFree(base);
	str_free(ref);
	/*
	 * An xml:base read under a broken encoding label may hold bytes that
	 * are not UTF-8; the link must not carry them (parse.h promises).
	 */
	return text_finish(s, 0);
}

static int
url_is_http(const char *s)
{
	return strncasecmp(s, "http://", 7) == 0 ||
	    strncasecmp(s, "https://", 8) == 0;
}

/* --- reading the tree ------------------------------------------------- */

/* The vocabulary of a namespace URI; NULL or "" for none. */
static enum ns
uri_ns(struct pstate *st, const xmlChar *uri)
{
	const char *href = (const char *)uri;
	size_t i;

	if (href == NULL || *href == '\0')
		return st->bare;
	/* Elements come in runs of one namespace: the last one first. */
	if (strcmp(href, namespaces[st->last_ns].uri) == 0)
		return namespaces[st->last_ns].ns;
	for (i = 0; i < nitems(namespaces); i++) {
		if (strcmp(href, namespaces[i].uri) == 0) {
			st->last_ns = i;
			return namespaces[i].ns;
		}
	}
	return NS_OTHER;
}

static enum ns
node_ns(struct pstate *st, xmlNodePtr n)
{
	return uri_ns(st, n->ns == NULL ? NULL : n->ns->href);
}

static int
node_is(struct pstate *st, xmlNodePtr n, enum ns ns, const char *name)
{
	return n->type == XML_ELEMENT_NODE && n->name[0] == name[0] &&
	    strcmp((const char *)n->name, name) == 0 && node_ns(st, n) == ns;
}

static int
node_is_open(struct pstate *st, xmlNodePtr n)
{
	int i;

	for (i = 0; i < st->nopen; i++) {
		if (st->open[i] == n)
			return 1;
	}
	return 0;
}

/* The attribute without namespace of that name in the tree, or NULL. */
static xmlAttrPtr
node_attr_find(xmlNodePtr n, const char *name)
{
	xmlAttrPtr a;

	for (a = n->properties; a != NULL; a = a->next) {
		if (a->ns == NULL && a->name[0] == (unsigned char)name[0] &&
		    strcmp((const char *)a->name, name) == 0)
			break;
	}
	return a;
}

/*
 * The value of attribute a when it is one text node of printable ASCII
 * without white space, which node_attr would return as it is; NULL
 * otherwise (absent, empty, or to be read by node_attr).
 */
static const char *
attr_plain(xmlAttrPtr a)
{
	xmlNodePtr c;
	const unsigned char *p;

	if (a == NULL || (c = a->children) == NULL || c->next != NULL ||
	    c->type != XML_TEXT_NODE || c->content == NULL)
		return NULL;
	for (p = c->content; *p > 0x20 && *p < 0x7f; p++)
		;
	return *p == '\0' && p != c->content ? (const char *)c->content : NULL;
}

/* attr_plain of the attribute without namespace of that name. */
static const char *
node_attr_plain(xmlNodePtr n, const char *name)
{
	return attr_plain(node_attr_find(n, name));
}

/* An attribute without namespace, trimmed; NULL if absent or empty. */
static char *
node_attr(xmlNodePtr n, const char *name)
{
	xmlAttrPtr a;
	const char *plain;
	xmlChar *v;
	char *s;

	a = node_attr_find(n, name);
	if ((plain = attr_plain(a)) != NULL)
		return arena_strndup(plain, strlen(plain));
	/*
	 * Not in the tree: xmlGetNoNsProp could only find a default that the
	 * internal subset declares.
	 */
	if (a == NULL && (n->doc == NULL || n->doc->intSubset == NULL))
		return NULL;
	if ((v = xmlGetNoNsProp(n, (const xmlChar *)name)) == NULL)
		return NULL;
	s = text_plain(xstrdup((const char *)v));
	xmlFree(v);
	return s;
}

/*
 * An attribute's MIME type as mime_base makes it (lower-cased, no
 * parameters): in buf when node_attr_plain has it and it fits, the common
 * case, without allocating; else allocated in *heap, for the caller to
 * free (NULL when buf is used). NULL when absent.
 */
static const char *
node_attr_mime(xmlNodePtr n, const char *name, char *buf, size_t size,
    char **heap)
{
	const char *v;
	char *a;
	size_t i;

	*heap = NULL;
	if ((v = node_attr_plain(n, name)) != NULL) {
		for (i = 0; v[i] != '\0' && v[i] != ';' && i + 1 < size; i++)
			buf[i] = (char)tolower((unsigned char)v[i]);
		if (v[i] == '\0' || v[i] == ';') {
			buf[i] = '\0';
			return buf;
		}
	}
	if ((a = node_attr(n, name)) == NULL)
		return NULL;
	*heap = mime_base(a);
	str_free(a);
	return *heap;
}

#if LIBXML_VERSION >= 21200
static void parse_error(void *, const xmlError *);
#else
static void parse_error(void *, xmlErrorPtr);
#endif
static void parse_silent(void *, const char *, ...);
static void text_collect(struct pstate *, xmlNodePtr, struct buf *, int);
static void markup_collect(struct pstate *, xmlNodePtr, struct buf *, int);

/*
 * Follow an entity reference: an internal entity through its parsed
 * children, an undeclared one as an HTML entity name if it is one (feeds
 * use &eacute; and friends without a DTD). External entities are never
 * read.
 */
static void
entity_collect(struct pstate *st, xmlNodePtr n, struct buf *b, int depth,
    int markup)
{
	xmlEntityPtr ent;
	const htmlEntityDesc *html;
	size_t before;

	ent = xmlGetDocEntity(st->doc, n->name);
	/* Text no longer than its reference (&nbsp;) cannot blow up. */
	if (ent != NULL && ent->etype == XML_INTERNAL_GENERAL_ENTITY &&
	    ent->content != NULL &&
	    (size_t)ent->length <= strlen((const char *)n->name) + 2 &&
	    strpbrk((const char *)ent->content, "<&") == NULL) {
		if (markup)
			html_escape(b, (const char *)ent->content, 0);
		else
			buf_adds(b, (const char *)ent->content);
		return;
	}
	if (st->entities <= 0 || st->entity_bytes <= 0) {
		st->entity_overflow = 1;
		return;
	}
	st->entities--;
	before = b->len;
	if (ent == NULL) {
		if ((html = htmlEntityLookup(n->name)) == NULL)
			return;
		if (markup)
			buf_printf(b, "&%s;", html->name);
		else
			buf_add_utf8(b, html->value);
		return;
	}
	switch (ent->etype) {
	case XML_INTERNAL_PREDEFINED_ENTITY:
		if (ent->content == NULL)
			break;
		if (markup)
			html_escape(b, (const char *)ent->content, 0);
		else
			buf_adds(b, (const char *)ent->content);
		break;
	case XML_INTERNAL_GENERAL_ENTITY:
		if (markup)
			markup_collect(st, ent->children, b, depth + 1);
		else
			text_collect(st, ent->children, b, depth + 1);
		break;
	default:
		break;
	}
	/* Nested expansions count more than once: errs on the safe side. */
	st->entity_bytes -= (int64_t)(b->len - before);
}

/* The text of a node list and its descendants. */
static void
text_collect(struct pstate *st, xmlNodePtr n, struct buf *b, int depth)
{
	if (depth > PARSE_MAX_DEPTH)
		return;
	for (; n != NULL && b->len < PARSE_MAX_FIELD; n = n->next) {
		switch (n->type) {
		case XML_TEXT_NODE:
		case XML_CDATA_SECTION_NODE:
			if (n->content != NULL)
				buf_adds(b, (const char *)n->content);
			break;
		case XML_ELEMENT_NODE:
			text_collect(st, n->children, b, depth + 1);
			break;
		case XML_ENTITY_REF_NODE:
			entity_collect(st, n, b, depth, 0);
			break;
		default:
			break;
		}
	}
}

/*
 * Whether the text in the tree is known to be valid UTF-8: until libxml2
 * reports an error, every character it has delivered was checked on the
 * way in (xmlCurrentChar, or the charset converter) and written as UTF-8,
 * so text of the tree, names and entity text included, needs no second
 * check. A byte that is not UTF-8 is an error libxml2 reports.
 */
static int
tree_valid(struct pstate *st)
{
	return (st->reading ? st->read_ok : st->error == NULL) && !st->cut;
}

/*
 * Text kept aside for an element of an item (parse_end_element) goes into
 * the tree as the text node libxml2 would have made, for the readers that
 * look at an element's children.
 */
static void
stash_to_tree(xmlNodePtr n)
{
	xmlNodePtr t;

	if (n->_private == NULL)
		return;
	if ((t = xmlNewDocText(n->doc, n->_private)) == NULL)
		fatalx("xmlNewDocText");
	str_free(n->_private);
	n->_private = NULL;
	xmlAddChild(n, t);
}

/* Text kept aside for the elements of an item and not read: freed. */
static void
stash_free(xmlNodePtr item)
{
	xmlNodePtr n;

	for (n = item->children; n != NULL; n = n->next) {
		if (n->type == XML_ELEMENT_NODE && n->_private != NULL) {
			str_free(n->_private);
			n->_private = NULL;
		}
	}
}

/* The length of a text that text_take made. */
static size_t
text_taken_len(const char *s)
{
	size_t len;

	memcpy(&len, s - sizeof len, sizeof len);
	return len;
}

/* The text of an element, raw (not trimmed), and its length; never NULL. */
static char *
node_text_len(struct pstate *st, xmlNodePtr n, size_t *lenp)
{
	struct buf b;
	xmlNodePtr c = n->children;
	size_t len;
	char *s;

	/*
	 * Text kept aside (parse_end_element, text_take): the element has
	 * no children.
	 */
	if (n->_private != NULL) {
		s = n->_private;
		n->_private = NULL;
		len = text_taken_len(s);
		if (len > PARSE_MAX_FIELD) {
			st->cut = 1;
			len = PARSE_MAX_FIELD;
			s[len] = '\0';
		}
		*lenp = len;
		return s;
	}
	/* Mostly one text node (CDATA is merged into text): one copy. */
	if (c != NULL && c->next == NULL && c->type == XML_TEXT_NODE &&
	    c->content != NULL) {
		len = strnlen((const char *)c->content, PARSE_MAX_FIELD + 1);
		if (len > PARSE_MAX_FIELD) {
			/* Cut maybe inside a character: from now on, check. */
			st->cut = 1;
			len = PARSE_MAX_FIELD;
		}
		/*
		 * No copy at all when the text has a block of its own (not
		 * inside the node, not the dictionary's): an element's text
		 * is read once, so the text node gives it up.
		 */
		if (c->content != (xmlChar *)&c->properties &&
		    (c->doc == NULL || c->doc->dict == NULL ||
		    !xmlDictOwns(c->doc->dict, c->content))) {
			s = (char *)c->content;
			c->content = NULL;
			s[len] = '\0';
			*lenp = len;
			return s;
		}
		s = xmalloc(len + 1);
		memcpy(s, c->content, len);
		s[len] = '\0';
		*lenp = len;
		return s;
	}
	buf_init(&b);
	text_collect(st, n->children, &b, 0);
	return buf_steal(&b, lenp);
}

static char *
node_text_raw(struct pstate *st, xmlNodePtr n)
{
	size_t len;

	return node_text_len(st, n, &len);
}

static char *
node_text(struct pstate *st, xmlNodePtr n)
{
	size_t len;
	char *raw = node_text_len(st, n, &len);

	return text_finish_len(raw, len, 1, tree_valid(st));
}

static int
is_void_element(const char *name)
{
	size_t i;

	for (i = 0; i < nitems(void_elements); i++) {
		if (strcasecmp(name, void_elements[i]) == 0)
			return 1;
	}
	return 0;
}

static void
markup_name(struct buf *b, xmlNsPtr ns, const xmlChar *name)
{
	/* XHTML's own prefix means nothing in HTML; others (svg:, xml:) do. */
	if (ns != NULL && ns->prefix != NULL &&
	    (ns->href == NULL ||
	    strcmp((const char *)ns->href, "http://www.w3.org/1999/xhtml") != 0))
		buf_printf(b, "%s:", (const char *)ns->prefix);
	buf_adds(b, (const char *)name);
}

/*
 * Serialize inline markup as HTML: elements by local name, attributes and
 * text escaped, comments and processing instructions dropped, namespace
 * declarations left behind.
 */
static void
markup_collect(struct pstate *st, xmlNodePtr n, struct buf *b, int depth)
{
	xmlAttrPtr a;
	struct buf v;

	if (depth > PARSE_MAX_DEPTH)
		return;
	for (; n != NULL && b->len < PARSE_MAX_FIELD; n = n->next) {
		switch (n->type) {
		case XML_TEXT_NODE:
		case XML_CDATA_SECTION_NODE:
			if (n->content != NULL)
				html_escape(b, (const char *)n->content, 0);
			break;
		case XML_ENTITY_REF_NODE:
			entity_collect(st, n, b, depth, 1);
			break;
		case XML_ELEMENT_NODE:
			buf_addc(b, '<');
			markup_name(b, n->ns, n->name);
			for (a = n->properties; a != NULL; a = a->next) {
				buf_init(&v);
				text_collect(st, a->children, &v, depth + 1);
				buf_addc(b, ' ');
				markup_name(b, a->ns, a->name);
				buf_adds(b, "=\"");
				html_escape(b, v.data, 1);
				buf_addc(b, '"');
				buf_free(&v);
			}
			buf_addc(b, '>');
			if (n->children == NULL &&
			    is_void_element((const char *)n->name))
				break;
			markup_collect(st, n->children, b, depth + 1);
			buf_adds(b, "</");
			markup_name(b, n->ns, n->name);
			buf_addc(b, '>');
			break;
		default:
			break;
		}
	}
}

static int
node_has_elements(xmlNodePtr n)
{
	for (n = n->children; n != NULL; n = n->next) {
		if (n->type == XML_ELEMENT_NODE)
			return 1;
	}
	return 0;
}

/* Inline markup of an element's children, untrimmed; never NULL. */
static char *
node_markup_raw(struct pstate *st, xmlNodePtr n)
{
	struct buf b;

	buf_init(&b);
	markup_collect(st, n, &b, 0);
	return buf_steal(&b, NULL);
}

/* The div that is n's only element child, or NULL. */
static xmlNodePtr
only_div(xmlNodePtr n)
{
	xmlNodePtr c, div = NULL;

	for (c = n->children; c != NULL; c = c->next) {
		if (c->type != XML_ELEMENT_NODE)
			continue;
		if (div != NULL || strcmp((const char *)c->name, "div") != 0)
			return NULL;
		div = c;
	}
	return div;
}

/* Atom xhtml: the children of the wrapping div (or all, if it lacks). */
static char *
node_xhtml_raw(struct pstate *st, xmlNodePtr n)
{
	xmlNodePtr div;

	div = only_div(n);
	return node_markup_raw(st, div != NULL ? div->children : n->children);
}

/* Inline markup of an element's children, or its text if it has none. */
static char *
node_html(struct pstate *st, xmlNodePtr n)
{
	char *raw;

	if (!node_has_elements(n))
		raw = node_text_raw(st, n);
	else
		raw = node_markup_raw(st, n->children);
	return text_finish_checked(raw, 0, tree_valid(st));
}

/* Windows-1252 for U+0080..U+009F, as HTML reads numeric references. */
static const unsigned short cp1252[32] = {
	0x20ac, 0x81, 0x201a, 0x192, 0x201e, 0x2026, 0x2020, 0x2021,
	0x2c6, 0x2030, 0x160, 0x2039, 0x152, 0x8d, 0x17d, 0x8f,
	0x90, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014,
	0x2dc, 0x2122, 0x161, 0x203a, 0x153, 0x9d, 0x17e, 0x178,
};

/* Write cp as UTF-8 at w; returns the bytes written (at most 4). */
static size_t
utf8_put(unsigned char *w, unsigned long cp)
{
	if (cp < 0x80) {
		w[0] = (unsigned char)cp;
		return 1;
	}
	if (cp < 0x800) {
		w[0] = (unsigned char)(0xc0 | (cp >> 6));
		w[1] = (unsigned char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		w[0] = (unsigned char)(0xe0 | (cp >> 12));
		w[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		w[2] = (unsigned char)(0x80 | (cp & 0x3f));
		return 3;
	}
	w[0] = (unsigned char)(0xf0 | (cp >> 18));
	w[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
	w[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
	w[3] = (unsigned char)(0x80 | (cp & 0x3f));
	return 4;
}

/*
 * A character reference at p (which points at '&'): its code point, and
 * through *len its length; -1 when it is none. Numeric references out of
 * Unicode become U+FFFD; names are HTML 4's (and apos), case and all.
 */
static long
html_reference(const char *p, size_t *len)
{
	const htmlEntityDesc *e;
	char name[16];
	unsigned long cp = 0;
	const char *q = p + 1;
	size_t n;
	int hex = 0, digits = 0;

	if (*q == '#') {
		q++;
		if (*q == 'x' || *q == 'X') {
			hex = 1;
			q++;
		}
		for (;; q++, digits++) {
			if (isdigit((unsigned char)*q))
				n = (size_t)(*q - '0');
			else if (hex && isxdigit((unsigned char)*q))
				n = (size_t)(tolower((unsigned char)*q) - 'a' + 10);
			else
				break;
			if (cp <= 0x10ffff)
				cp = cp * (hex ? 16 : 10) + n;
		}
		if (digits == 0 || *q != ';')
			return -1;
		*len = (size_t)(q + 1 - p);
		if (cp == 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0xfffd;
		if (cp >= 0x80 && cp <= 0x9f)
			return cp1252[cp - 0x80];
		return (long)cp;
	}
	for (n = 0; isalnum((unsigned char)q[n]); n++) {
		if (n + 1 >= sizeof name)
			return -1;
		name[n] = q[n];
	}
	if (n == 0 || q[n] != ';')
		return -1;
	name[n] = '\0';
	if ((e = htmlEntityLookup((const xmlChar *)name)) == NULL)
		return -1;
	*len = n + 2;
	return (long)e->value;
}

/*
 * The first of '>', '"' and '\'' at or after s, or hend (the end of the
 * string, its NUL) when there is none: sixteen bytes at a time where SSE2
 * is there, never reading past hend.
 */
static inline const char *
html_tag_stop(const char *s, const char *hend)
{
#ifdef __SSE2__
	__m128i v;
	unsigned m;

	for (; s + 16 <= hend; s += 16) {
		v = _mm_loadu_si128((const __m128i *)s);
		m = (unsigned)_mm_movemask_epi8(_mm_or_si128(_mm_or_si128(
		    _mm_cmpeq_epi8(v, _mm_set1_epi8('>')),
		    _mm_cmpeq_epi8(v, _mm_set1_epi8('"'))),
		    _mm_cmpeq_epi8(v, _mm_set1_epi8('\''))));
		if (m != 0)
			return s + __builtin_ctz(m);
	}
#endif
	while (s < hend && *s != '>' && *s != '"' && *s != '\'')
		s++;
	return s;
}

/*
 * Past the end of an HTML tag that starts at p ('<'), quotes respected: a
 * quote opens a value when the last byte before it but white space is '=',
 * and that since the tag's name or the last value's closing quote (which
 * counts as such a byte). hend is the string's end; it is returned when the
 * tag has no end.
 */
static const char *
html_tag_end(const char *p, const char *hend)
{
	const char *from = p + 1, *q, *r;
	char prev = 0;

	for (q = from; (q = html_tag_stop(q, hend)) < hend; q++) {
		if (*q == '>')
			return q + 1;
		for (r = q; r > from && is_ascii_space((unsigned char)r[-1]); r--)
			;
		if ((r > from ? r[-1] : prev) != '=')
			continue;
		if ((r = memchr(q + 1, *q, (size_t)(hend - q - 1))) == NULL)
			return hend;
		prev = *q;
		from = r + 1;
		q = r;
	}
	return hend;
}

/* ASCII letters and digits: isalnum's in the C locale, without its call. */
static int
html_alnum(int c)
{
	return (unsigned)((c | 0x20) - 'a') < 26 || (unsigned)(c - '0') < 10;
}

static int
html_name_char(int c)
{
	return html_alnum(c) || c == ':' || c == '_' || c == '.' || c == '-';
}

/* Past "</name" and the next '>' after p, or the end of the string. */
static const char *
html_skip_to_close(const char *p, const char *name, size_t len)
{
	const char *end;

	for (; (p = strchr(p, '<')) != NULL; p++) {
		if (p[1] == '/' && strncasecmp(p + 2, name, len) == 0) {
			if ((end = strchr(p + 2 + len, '>')) != NULL)
				return end + 1;
			break;
		}
	}
	return NULL;
}

/* How html_text_emit treats each byte of text. */
enum { HT_TEXT, HT_SPACE, HT_STOP, HT_ESC };
static const unsigned char html_text_class[256] = {
	['\0'] = HT_STOP, ['&'] = HT_STOP, ['<'] = HT_STOP,
	['\t'] = HT_SPACE, ['\n'] = HT_SPACE, ['\v'] = HT_SPACE,
	['\f'] = HT_SPACE, ['\r'] = HT_SPACE, [' '] = HT_SPACE,
};

/*
 * The same for text written as a JSON string's: what a JSON string cannot
 * hold as it is (the other control characters, '"' and '\\') and 0xe2, the
 * first byte of U+2028 and U+2029 (escaped, as buf_add_json does, for
 * JavaScript's sake) and of many other characters, which go as they are.
 */
static const unsigned char html_json_class[256] = {
	['\0'] = HT_STOP, ['&'] = HT_STOP, ['<'] = HT_STOP,
	['\t'] = HT_SPACE, ['\n'] = HT_SPACE, ['\v'] = HT_SPACE,
	['\f'] = HT_SPACE, ['\r'] = HT_SPACE, [' '] = HT_SPACE,
	[0x01] = HT_ESC, [0x02] = HT_ESC, [0x03] = HT_ESC, [0x04] = HT_ESC,
	[0x05] = HT_ESC, [0x06] = HT_ESC, [0x07] = HT_ESC, [0x08] = HT_ESC,
	[0x0e] = HT_ESC, [0x0f] = HT_ESC, [0x10] = HT_ESC, [0x11] = HT_ESC,
	[0x12] = HT_ESC, [0x13] = HT_ESC, [0x14] = HT_ESC, [0x15] = HT_ESC,
	[0x16] = HT_ESC, [0x17] = HT_ESC, [0x18] = HT_ESC, [0x19] = HT_ESC,
	[0x1a] = HT_ESC, [0x1b] = HT_ESC, [0x1c] = HT_ESC, [0x1d] = HT_ESC,
	[0x1e] = HT_ESC, [0x1f] = HT_ESC, ['"'] = HT_ESC, ['\\'] = HT_ESC,
	[0xe2] = HT_ESC,
};

/*
 * How many of the 16 bytes at p (p[16] readable), from the first, html_text_run
 * copies as they are: not '&', '<', NUL, another control character or white
 * space, but for single spaces (a space the next byte of which is neither a
 * control character nor a space); with json set, not '"', '\\' or the first
 * byte of U+2028 or U+2029 either (0xe2 in the last two places always, as
 * what follows it is not looked at). 0 without SSE2.
 */
static inline size_t
html_span16(const unsigned char *p, int json)
{
#ifdef __SSE2__
	__m128i v, sv, low, special;
	unsigned ctl, sp, bad;

	v = _mm_loadu_si128((const __m128i *)p);
	sv = _mm_cmpeq_epi8(v, _mm_set1_epi8(' '));
	/* Bytes up to the space, unsigned: NUL, control characters, spaces. */
	low = _mm_cmpeq_epi8(_mm_min_epu8(v, _mm_set1_epi8(' ')), v);
	ctl = (unsigned)_mm_movemask_epi8(low);
	special = _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('&')),
	    _mm_cmpeq_epi8(v, _mm_set1_epi8('<')));
	if (json)
		special = _mm_or_si128(special, _mm_or_si128(
		    _mm_cmpeq_epi8(v, _mm_set1_epi8('"')),
		    _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))));
	sp = (unsigned)_mm_movemask_epi8(sv);
	/*
	 * A space before any control character or space stops the run (that
	 * byte would anyway), so white space after it needs no test of its own.
	 */
	ctl |= (unsigned)(p[16] <= ' ') << 16;
	bad = (unsigned)_mm_movemask_epi8(_mm_or_si128(special,
	    _mm_andnot_si128(sv, low))) | (sp & (ctl >> 1));
	if (json)
		bad |= json_line_sep16(v);
	bad &= 0xffff;
	return bad == 0 ? 16 : (size_t)__builtin_ctz(bad);
#else
	(void)p;
	(void)json;
	return 0;
#endif
}

#if defined(__x86_64__) && defined(__GNUC__)
#define HTML_WIDE 1
#include <immintrin.h>

/* Whether html_text_run may copy text 32 bytes at a time (parse_html_wide). */
static int html_wide = -1;

/*
 * html_span16's test for the 32 bytes at p (p[32] readable), with AVX2: a
 * mask of the bytes that stop a run, instead of a count.
 */
static inline __attribute__((target("avx2"), always_inline)) unsigned
html_stop32(const unsigned char *p, int json)
{
	__m256i v, sv, low, special;
	unsigned next, sp, bad, e2;

	v = _mm256_loadu_si256((const __m256i *)p);
	sv = _mm256_cmpeq_epi8(v, _mm256_set1_epi8(' '));
	low = _mm256_cmpeq_epi8(_mm256_min_epu8(v, _mm256_set1_epi8(' ')), v);
	special = _mm256_or_si256(_mm256_cmpeq_epi8(v, _mm256_set1_epi8('&')),
	    _mm256_cmpeq_epi8(v, _mm256_set1_epi8('<')));
	if (json)
		special = _mm256_or_si256(special, _mm256_or_si256(
		    _mm256_cmpeq_epi8(v, _mm256_set1_epi8('"')),
		    _mm256_cmpeq_epi8(v, _mm256_set1_epi8('\\'))));
	sp = (unsigned)_mm256_movemask_epi8(sv);
	/* Control characters and spaces one place on: p[32] the last. */
	next = ((unsigned)_mm256_movemask_epi8(low) >> 1) |
	    ((unsigned)(p[32] <= ' ') << 31);
	bad = (unsigned)_mm256_movemask_epi8(_mm256_or_si256(special,
	    _mm256_andnot_si256(sv, low))) | (sp & next);
	if (json) {
		e2 = (unsigned)_mm256_movemask_epi8(_mm256_cmpeq_epi8(v,
		    _mm256_set1_epi8((char)0xe2)));
		if (e2 != 0)
			bad |= e2 & (0xc0000000u |
			    (((unsigned)_mm256_movemask_epi8(_mm256_cmpeq_epi8(
			    v, _mm256_set1_epi8((char)0x80))) >> 1) &
			    ((unsigned)_mm256_movemask_epi8(_mm256_cmpeq_epi8(
			    _mm256_and_si256(v, _mm256_set1_epi8((char)0xfe)),
			    _mm256_set1_epi8((char)0xa8))) >> 2)));
	}
	return bad;
}

/*
 * The text at p (before end) copied to w as it is, 32 bytes at a time, up
 * to the first byte html_span16 stops at or the last 32 bytes before end;
 * returns how many bytes that is. w has room as html_text_run's has: 32
 * bytes are written at a time, never more than what is left of the text.
 */
static __attribute__((target("avx2"))) size_t
html_span_wide(const unsigned char *p, const char *end, char *w, int json)
{
	const unsigned char *q = p;
	unsigned bad;

	while ((const char *)q + 32 <= end) {
		bad = json ? html_stop32(q, 1) : html_stop32(q, 0);
		_mm256_storeu_si256((__m256i *)w,
		    _mm256_loadu_si256((const __m256i *)q));
		if (bad != 0) {
			q += __builtin_ctz(bad);
			break;
		}
		q += 32;
		w += 32;
	}
	return (size_t)(q - p);
}
#endif

void
parse_html_wide(int on)
{
#ifdef HTML_WIDE
	html_wide = on && __builtin_cpu_supports("avx2");
#else
	(void)on;
#endif
}

/*
 * The JSON string form of code point cp, which is valid (no surrogate):
 * escaped as buf_add_json escapes it, or its UTF-8. Writes at most 6 bytes
 * and returns how many.
 */
static size_t
json_put(char *w, unsigned long cp)
{
	if (json_escapes(cp))
		return json_escape_put(w, cp);
	return utf8_put((unsigned char *)w, cp);
}

/*
 * w (a place in b's bytes) with room for n more bytes and the NUL after it:
 * b grows when it has to, and w moves with it. The caller's text goes on at
 * w (b's length is not kept up meanwhile).
 */
static char *
html_json_room(struct buf *b, char *w, size_t n)
{
	b->len = (size_t)(w - b->data);
	if (b->size - b->len <= n)
		buf_make_room(b, n);
	return b->data + b->len;
}

/*
 * The character at *pp, which html_json_class calls HT_ESC, to w as a JSON
 * string holds it; end is the text's end. Text written as JSON keeps room
 * for what is left of it and 16 bytes more: an escape, up to 6 bytes for
 * the 1 or 3 it stands for, makes sure of that again first.
 */
static char *
html_json_byte(struct buf *b, char *w, const unsigned char **pp,
    const char *end)
{
	const unsigned char *p = *pp;
	unsigned long cp = *p;
	size_t n = 1;

	if (cp == 0xe2) {
		/* Valid UTF-8 and a NUL at the end: p[1] and p[2] are there. */
		if (p[1] != 0x80 || (p[2] & 0xfe) != 0xa8) {
			*w++ = (char)*p;
			*pp = p + 1;
			return w;
		}
		cp = 0x2028 | (p[2] & 1);
		n = 3;
	}
	w = html_json_room(b, w, (size_t)(end - (const char *)p) + 16);
	w += json_put(w, cp);
	*pp = p + n;
	return w;
}

/*
 * Copy the text at *pp up to the next '&', '<' or NUL (end is the string's
 * end) to *wp, each run of ASCII white space written as one space; *sp says
 * whether the last byte written was such a space, across calls. With json
 * set, what a JSON string cannot hold as it is goes as html_json_byte
 * writes it (b is what *wp writes into).
 */
static inline void
html_text_run(const char **pp, const char *end, char **wp, int *sp,
    struct buf *b, int json)
{
	const unsigned char *cls = json ? html_json_class : html_text_class;
	const unsigned char *p = (const unsigned char *)*pp;
	char *w = *wp;
	size_t n;
	int space = *sp;

	for (;;) {
		if (cls[*p] == HT_TEXT) {
			/* Sixteen bytes at a time while none is special. */
			while ((const char *)p + 16 <= end &&
			    (n = html_span16(p, json)) != 0) {
				memcpy(w, p, 16);
				w += n;
				p += n;
				if (n < 16)
					break;
#ifdef HTML_WIDE
				/* A long run: 32 at a time, where AVX2 is. */
				if (html_wide < 0)
					parse_html_wide(1);
				if (html_wide && (const char *)p + 64 <= end) {
					n = html_span_wide(p, end, w, json);
					w += n;
					p += n;
				}
#endif
			}
			while (cls[*p] == HT_TEXT)
				*w++ = (char)*p++;
			/* The last byte may be a single space of a span. */
			space = w[-1] == ' ';
		}
		if (json && cls[*p] == HT_ESC) {
			w = html_json_byte(b, w, &p, end);
			space = 0;
			continue;
		}
		if (cls[*p] != HT_SPACE)
			break;
		if (!space)
			*w++ = ' ';
		space = 1;
		p++;
	}
	*pp = (const char *)p;
	*wp = w;
	*sp = space;
}

/* n bytes at p to *wp, white space collapsed as html_text_run does. */
static inline void
html_text_copy(const char *p, size_t n, char **wp, int *sp, struct buf *b,
    const char *hend, int json)
{
	const char *end = p + n;
	char *w = *wp;

	while (p < end) {
		if (is_ascii_space((unsigned char)*p)) {
			if (!*sp)
				*w++ = ' ';
			*sp = 1;
			p++;
		} else if (json &&
		    html_json_class[(unsigned char)*p] == HT_ESC) {
			w = html_json_byte(b, w, (const unsigned char **)&p,
			    hend);
			*sp = 0;
		} else {
			*w++ = *p++;
			*sp = 0;
		}
	}
	*wp = w;
}

/*
 * An HTML fragment reduced to plain text: tags, comments, declarations and
 * processing instructions dropped, with what script, style and applet hold;
 * CDATA sections kept as they are; character references decoded. It is the
 * text a feed reader shows, read the way the conformance oracle reads it
 * (../shared/conformance/oracle.py, HTML_TO_TEXT), in one pass. The text of
 * [html, hend) (a NUL at hend) goes to w, in b's bytes, with each run of
 * ASCII white space made one space (at either end too: the caller trims);
 * the end of what was written is returned. Without json, it is never longer
 * than the fragment, as every reference is at least as long as the UTF-8 it
 * stands for. With json, the text is written as the body of a JSON string,
 * escaped as buf_add_json escapes it: w needs room for the fragment and 16
 * bytes more, and html_json_byte grows b when an escape needs more.
 */
static inline __attribute__((always_inline)) char *
html_text_emit(const char *html, const char *hend, struct buf *b, char *w,
    int json)
{
	char name[8];
	const char *p, *q, *end;
	size_t len, n;
	long cp;
	int sp = 1;	/* leading white space goes */

	p = html;
	while (*p != '\0') {
		if (*p == '&') {
			if ((cp = html_reference(p, &len)) < 0) {
				*w++ = *p++;
				sp = 0;
				continue;
			}
			p += len;
			if (cp < 0x80 && is_ascii_space((int)cp)) {
				if (!sp)
					*w++ = ' ';
				sp = 1;
			} else {
				if (json && json_escapes((unsigned long)cp)) {
					w = html_json_room(b, w,
					    (size_t)(hend - p) + 16);
					w += json_put(w, (unsigned long)cp);
				} else
					w += utf8_put((unsigned char *)w,
					    (unsigned long)cp);
				sp = 0;
			}
			continue;
		}
		if (*p != '<') {
			/* Up to the next markup in one step. */
			html_text_run(&p, hend, &w, &sp, b, json);
			continue;
		}
		if (p[1] == '!' && strncmp(p, "<!--", 4) == 0) {
			p = (end = strstr(p + 4, "-->")) != NULL ? end + 3 :
			    hend;
			continue;
		}
		if (p[1] == '!' && strncmp(p, "<![CDATA[", 9) == 0) {
			p += 9;
			n = (end = strstr(p, "]]>")) != NULL ? (size_t)(end - p) :
			    (size_t)(hend - p);
			html_text_copy(p, n, &w, &sp, b, hend, json);
			p += n + (end != NULL ? 3 : 0);
			continue;
		}
		if (p[1] == '!' || p[1] == '?') {
			p = (end = strchr(p, '>')) != NULL ? end + 1 : hend;
			continue;
		}
		q = p + 1 + (p[1] == '/');
		if ((unsigned)((*q | 0x20) - 'a') >= 26) {
			*w++ = *p++;
			sp = 0;
			continue;
		}
		end = html_tag_end(p, hend);
		/*
		 * Code is not text a reader sees: script, style and applet, of
		 * which only the first letters need a look at every tag.
		 */
		if (p[1] != '/' && ((*q | 0x20) == 's' || (*q | 0x20) == 'a')) {
			for (len = 0; html_name_char((unsigned char)q[len]);
			    len++)
				;
		} else
			len = 0;
		if ((len == 5 || len == 6) && !(end[-1] == '>' &&
		    end - p > 2 && end[-2] == '/')) {
			memcpy(name, q, len);
			name[len] = '\0';
			if (strcasecmp(name, "script") == 0 ||
			    strcasecmp(name, "style") == 0 ||
			    strcasecmp(name, "applet") == 0) {
				end = html_skip_to_close(end, name, len);
				if (end == NULL)
					end = hend;
			}
		}
		p = end;
	}
	return w;
}

/*
 * html_text_emit's plain text: what b holds is replaced by it, not yet
 * trimmed.
 */
static void
html_text_put(const char *html, struct buf *b)
{
	const char *hend;
	char *w;

	buf_reset(b);
	hend = html + strlen(html);
	buf_make_room(b, (size_t)(hend - html));
	w = html_text_emit(html, hend, b, b->data, 0);
	*w = '\0';
	b->len = (size_t)(w - b->data);
}

/*
 * html_text_put as a string of its own, trimmed; NULL when no text is left.
 * Frees html; valid says that it is known to be valid UTF-8 already.
 */
static char *
html_to_text(char *html, int valid)
{
	struct buf b;

	if (html == NULL)
		return NULL;
	buf_init(&b);
	html_text_put(html, &b);
	str_free(html);
	/* References decode to valid UTF-8: only the input can spoil it. */
	return text_finish_checked(buf_steal(&b, NULL), 1, valid);
}

char *
parse_html_text(const char *html)
{
	struct buf b;
	size_t off, len;
	char *s = NULL;

	buf_init(&b);
	html_text_put(html, &b);
	if ((len = text_trim(b.data, b.len, &off)) > 0)
		s = xstrndup(b.data + off, len);
	buf_free(&b);
	return s;
}

/*
 * The length of the character at p, before e, in the body of a JSON string
 * html_text_emit wrote, when is_trim_space calls it white space, as it is or
 * escaped ("\u2028"); 0 for any other.
 */
static size_t
json_space_len(const unsigned char *p, const unsigned char *e)
{
	size_t n;
	long cp;
	int i, v;

	if (*p == '\\') {
		if (e - p < 6 || p[1] != 'u')
			return 0;
		for (cp = 0, i = 2; i < 6; i++) {
			if ((v = hex_value(p[i])) < 0)
				return 0;
			cp = cp * 16 + v;
		}
		return is_trim_space(cp) ? 6 : 0;
	}
	if (trim_never(*p))
		return 0;
	cp = utf8_decode(p, (size_t)(e - p), &n);
	return cp >= 0 && is_trim_space(cp) ? n : 0;
}

/*
 * Where the last character of the body of a JSON string [s, e) starts (not
 * empty): the escape "\uXXXX" ends it when its backslash is no escaped one,
 * the last of an odd run.
 */
static const unsigned char *
json_last_char(const unsigned char *s, const unsigned char *e)
{
	const unsigned char *q = e - 1;

	if (*q >= 0x80) {
		while (q > s && (*q & 0xc0) == 0x80)
			q--;
		return q;
	}
	if (e - s >= 6 && e[-6] == '\\' && e[-5] == 'u') {
		for (q = e - 6; q > s && q[-1] == '\\'; q--)
			;
		if ((e - 6 - q) % 2 == 0)
			return e - 6;
	}
	return e - 1;
}

void
parse_html_text_json(struct buf *b, const char *html)
{
	const unsigned char *s, *e, *q;
	size_t start, hlen, n;
	char *w;

	if (html == NULL) {
		buf_add(b, "null", 4);
		return;
	}
	hlen = strlen(html);
	buf_make_room(b, hlen + 17);
	start = b->len;
	w = b->data + start;
	*w++ = '"';
	w = html_text_emit(html, html + hlen, b, w, 1);
	/* Trimmed as parse_html_text trims, a character or escape at a time. */
	s = (const unsigned char *)b->data + start + 1;
	e = (const unsigned char *)w;
	while (s < e && (n = json_space_len(s, e)) != 0)
		s += n;
	while (e > s) {
		q = json_last_char(s, e);
		if ((n = json_space_len(q, e)) == 0 || q + n != e)
			break;
		e = q;
	}
	w = b->data + start;
	if (s == e) {
		memcpy(w, "null", 4);
		w += 4;
	} else {
		w++;
		n = (size_t)(e - s);
		if ((const char *)s != w)
			memmove(w, s, n);
		w += n;
		*w++ = '"';
	}
	*w = '\0';
	b->len = (size_t)(w - b->data);
}

/* What a text construct of MIME type t (as mime_base makes it) holds. */
static enum kind
mime_kind(const char *t)
{
	size_t len = strlen(t);

	if (strcmp(t, "text") == 0 || strcmp(t, "text/plain") == 0)
		return K_TEXT;
	if (strcmp(t, "html") == 0 || strcmp(t, "text/html") == 0)
		return K_HTML;
	if (strcmp(t, "xhtml") == 0 || strcmp(t, "application/xhtml+xml") == 0)
		return K_XHTML;
	if ((len > 4 && strcmp(t + len - 4, "/xml") == 0) ||
	    (len > 4 && strcmp(t + len - 4, "+xml") == 0))
		return K_XML;
	if (strncmp(t, "text/", 5) == 0)
		return K_TEXT;
	return K_BINARY;
}

static enum kind
construct_kind(xmlNodePtr n)
{
	char buf[64], *heap;
	const char *t;
	enum kind k;

	if ((t = node_attr_mime(n, "type", buf, sizeof buf, &heap)) == NULL)
		return K_TEXT;
	k = mime_kind(t);
	free(heap);
	return k;
}

/*
 * Read an Atom text construct (or Atom 0.3 content) either as plain text
 * (want_html 0) or as an HTML fragment (want_html 1).
 */
static char *
construct_read(struct pstate *st, xmlNodePtr n, int want_html)
{
	enum kind kind;
	char *mode, *raw, *s;
	xmlNodePtr div;
	struct buf b;
	int escaped = 0, base64 = 0, valid;

	if (xmlHasProp(n, (const xmlChar *)"src") != NULL)
		return NULL;	/* out of line */
	kind = construct_kind(n);

	if ((mode = node_attr(n, "mode")) != NULL) {
		if (strcasecmp(mode, "escaped") == 0)
			escaped = 1;
		else if (strcasecmp(mode, "base64") == 0)
			base64 = 1;
		str_free(mode);
	}

	/* Decoded base64 is any bytes at all. */
	valid = !(kind == K_BINARY || base64);
	if (kind == K_BINARY || base64) {
		raw = node_text_raw(st, n);
		s = base64_decode(raw);
		str_free(raw);
		if (s == NULL)
			return NULL;
		raw = s;
		if (kind == K_BINARY)
			kind = K_TEXT;
	} else if (kind == K_TEXT || escaped || !node_has_elements(n))
		raw = node_text_raw(st, n);
	else if (kind == K_HTML && (div = only_div(n)) != NULL &&
	    !node_has_elements(div))
		raw = node_text_raw(st, div);	/* Typepad's escaped HTML */
	else if (kind == K_XHTML)
		raw = node_xhtml_raw(st, n);
	else
		raw = node_markup_raw(st, n->children);

	valid = valid && tree_valid(st);
	if (kind == K_TEXT) {
		if (!want_html)
			return text_finish_checked(raw, 1, valid);
		/* Text without '&', '<' or '>' is its own HTML. */
		if (strpbrk(raw, "&<>") == NULL)
			return text_finish_checked(raw, 0, valid);
		buf_init(&b);
		html_escape(&b, raw, 0);
		str_free(raw);
		return text_finish_checked(buf_steal(&b, NULL), 0, valid);
	}
	if (want_html)
		return text_finish_checked(raw, 0, valid);
	return html_to_text(raw, valid);
}

/* Elements a title may hold for it to count as HTML. */
static int
title_tag_ok(const char *name)
{
	static const char *refused[] = {
		"applet", "base", "body", "embed", "frame", "frameset", "head",
		"html", "iframe", "link", "meta", "noscript", "object", "param",
		"script", "style", "title",
	};
	size_t i;

	if (htmlTagLookup((const xmlChar *)name) == NULL)
		return 0;
	for (i = 0; i < nitems(refused); i++) {
		if (strcasecmp(name, refused[i]) == 0)
			return 0;
	}
	return 1;
}

/*
 * Whether plain text is in fact HTML, as RSS producers often mean it and
 * readers (feedparser first) have come to assume: it has a close tag or a
 * character reference, and every tag and entity in it is one HTML knows.
 */
static int
text_looks_like_html(const char *s)
{
	char name[32];
	const char *p, *q;
	size_t n;
	int evidence = 0, close;

	for (p = s; (p = strpbrk(p, "<&")) != NULL; p++) {
		q = p + 1;
		close = *p == '<' && *q == '/';
		if (close || *q == '#')
			q++;
		for (n = 0; isalnum((unsigned char)q[n]) || q[n] == '_'; n++)
			;
		if (n == 0)
			continue;
		if (n >= sizeof name)
			return 0;
		memcpy(name, q, n);
		name[n] = '\0';
		if (*p == '<') {
			if (!title_tag_ok(name))
				return 0;
			if (close && q[n] == '>')
				evidence = 1;
		} else if (q[n] == ';') {
			if (q[-1] != '#' &&
			    htmlEntityLookup((const xmlChar *)name) == NULL)
				return 0;
			evidence = 1;
		}
	}
	return evidence;
}

/* An RSS title: a type attribute is honoured, HTML is recognized. */
static char *
rss_title(struct pstate *st, xmlNodePtr n)
{
	char *s;

	if (xmlHasProp(n, (const xmlChar *)"type") != NULL)
		return construct_read(st, n, 0);
	s = node_text_raw(st, n);
	if (text_looks_like_html(s))
		return html_to_text(s, tree_valid(st));
	return text_finish_checked(s, 1, tree_valid(st));
}

/* "jo@example.com (Jo)" is Jo; anything else is itself. */
static char *
rss_author(char *s)
{
	char *open;
	size_t len;

	if (s == NULL)
		return NULL;
	len = strlen(s);
	open = strchr(s, '(');
	if (open != NULL && len > 0 && s[len - 1] == ')' &&
	    memchr(s, '@', open - s) != NULL) {
		s[len - 1] = '\0';
		memmove(s, open + 1, strlen(open + 1) + 1);
		return text_plain(s);
	}
	return s;
}

static char *
atom_person(struct pstate *st, xmlNodePtr n)
{
	xmlNodePtr c;
	char *name = NULL, *email = NULL;

	for (c = n->children; c != NULL; c = c->next) {
		if (name == NULL && node_is(st, c, NS_ATOM, "name"))
			name = node_text(st, c);
		else if (email == NULL && node_is(st, c, NS_ATOM, "email"))
			email = node_text(st, c);
	}
	if (name != NULL) {
		str_free(email);
		return name;
	}
	return email;
}

/* The href of an alternate link to a page, or NULL. */
static int
link_rel_ok(const char *rel)
{
	return strcasecmp(rel, "alternate") == 0 ||
	    strcasecmp(rel,
	    "http://www.iana.org/assignments/relation/alternate") == 0;
}

static int
link_type_ok(const char *t)
{
	return strcmp(t, "text/html") == 0 ||
	    strcmp(t, "application/xhtml+xml") == 0 ||
	    strcmp(t, "html") == 0 || strcmp(t, "xhtml") == 0;
}

static char *
atom_link(struct pstate *st, xmlNodePtr n)
{
	char buf[64], *rel, *heap;
	const char *t;
	int ok = 1;

	if ((rel = node_attr(n, "rel")) != NULL) {
		ok = link_rel_ok(rel);
		str_free(rel);
	}
	if (ok && (t = node_attr_mime(n, "type", buf, sizeof buf, &heap)) !=
	    NULL) {
		ok = link_type_ok(t);
		free(heap);
	}
	if (!ok)
		return NULL;
	return link_resolve(st, n, node_attr(n, "href"));
}

static void
item_add_category(struct item *it, char *s)
{
	char **grown;
	size_t i, n;

	if (s == NULL)
		return;
	for (i = 0; i < it->ncategories; i++) {
		if (strcmp(it->categories[i], s) == 0) {
			str_free(s);
			return;
		}
	}
	if (it->ncategories >= PARSE_MAX_CATEGORIES) {
		str_free(s);
		return;
	}
	/* In the arena, room for twice as many each time it is full. */
	n = it->ncategories;
	if (n == 0 || (n >= 4 && (n & (n - 1)) == 0)) {
		grown = arena_alloc_aligned(
		    (n == 0 ? 4 : 2 * n) * sizeof *it->categories);
		if (n > 0)
			memcpy(grown, it->categories, n * sizeof *grown);
		it->categories = grown;
	}
	it->categories[it->ncategories++] = s;
}

/* Keep the first value of a field. */
static void
set_first(char **slot, char *s)
{
	if (*slot == NULL)
		*slot = s;
	else
		str_free(s);
}

/* Keep the last value of a field (a repeated link: the last one counts). */
static void
set_last(char **slot, char *s)
{
	if (s == NULL)
		return;
	str_free(*slot);
	*slot = s;
}

static void
set_date(int64_t *slot, char *s)
{
	int64_t t;

	if (s == NULL)
		return;
	t = parse_date(s);
	str_free(s);
	if (*slot == PARSE_NO_TIME)
		*slot = t;
}

/* The rule of an element of vocabulary ns and this local name, or NULL. */
static const struct rule *
rule_lookup(const struct rule *rules, size_t n, enum ns ns,
    const xmlChar *name)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (rules[i].ns == ns && rules[i].name[0] == name[0] &&
		    strcmp(rules[i].name, (const char *)name) == 0)
			return &rules[i];
	}
	return NULL;
}

static const struct rule *
rule_find(struct pstate *st, const struct rule *rules, size_t n,
    xmlNodePtr node)
{
	return rule_lookup(rules, n, node_ns(st, node), node->name);
}

/* The text of an element as a rule reads it, for the plain fields. */
static char *
rule_value(struct pstate *st, const struct rule *r, xmlNodePtr n)
{
	char *s;

	switch (r->how) {
	case H_TEXT:
	case H_DATE:
		return node_text(st, n);
	case H_RSS_TITLE:
		return rss_title(st, n);
	case H_HTML:
		return node_html(st, n);
	case H_BODY:
		stash_to_tree(n);
		s = node_markup_raw(st, n->children);
		return text_finish_checked(s, 0, tree_valid(st));
	case H_CONSTRUCT:
		return construct_read(st, n,
		    r->field == F_SUMMARY || r->field == F_CONTENT);
	case H_RSS_LINK:
		return link_resolve(st, n, node_text(st, n));
	case H_RSS_AUTHOR:
		return rss_author(node_text(st, n));
	case H_ATOM_LINK:
		return atom_link(st, n);
	case H_ATOM_PERSON:
		stash_to_tree(n);
		return atom_person(st, n);
	case H_ATOM_CATEGORY:
		return node_attr(n, "term");
	case H_RSS_GUID:
		break;
	}
	return NULL;
}

static void
item_guid(struct pstate *st, struct draft *d, xmlNodePtr n)
{
	char *s, *perma;
	int permalink = 1;

	if ((s = node_text(st, n)) == NULL)
		return;
	if ((perma = node_attr(n, "isPermaLink")) != NULL) {
		permalink = strcasecmp(perma, "false") != 0;
		str_free(perma);
	}
	if (permalink) {
		s = link_resolve(st, n, s);
		if (d->permalink == NULL && url_is_http(s))
			d->permalink = arena_strndup(s, strlen(s));
	}
	set_first(&d->item->guid, s);
}

static void item_set(struct item *, const struct rule *, char *);

/*
 * Read one element of an item into the item d drafts, by rule r if it is
 * known already.
 */
static void
item_child(
    struct pstate *st, struct draft *d, xmlNodePtr n, const struct rule *r)
{
	if (r == NULL &&
	    (r = rule_find(st, item_rules, nitems(item_rules), n)) == NULL)
		return;
	if (r->how == H_RSS_GUID) {
		item_guid(st, d, n);
		return;
	}
	item_set(d->item, r, rule_value(st, r, n));
}

/* Give the value s that rule r read to its field of the item. */
static void
item_set(struct item *it, const struct rule *r, char *s)
{
	switch (r->field) {
	case F_ID:
		set_first(&it->guid, s);
		break;
	case F_LINK:
		set_last(&it->link, s);
		break;
	case F_TITLE:
		set_first(&it->title, s);
		break;
	case F_AUTHOR:
		set_first(&it->author, s);
		break;
	case F_SUMMARY:
		set_first(&it->summary, s);
		break;
	case F_CONTENT:
		set_first(&it->content, s);
		break;
	case F_CATEGORY:
		item_add_category(it, s);
		break;
	case F_PUBLISHED:
		set_date(&it->published, s);
		break;
	case F_UPDATED:
		set_date(&it->updated, s);
		break;
	case F_LANG:
		str_free(s);
		break;
	}
}

/*
 * The item rule of a light kid, or NULL: looked up once per name and
 * namespace in a document, as the parser gives them both from its
 * dictionary (the same pointer for the same string).
 */
static const struct rule *
kid_rule(struct pstate *st, const struct kid *k)
{
	struct rule_memo *m;
	const struct rule *r;

	m = &st->rule_memo[(((uintptr_t)k->name >> 3) ^
			       ((uintptr_t)k->uri >> 5)) %
			   nitems(st->rule_memo)];
	if (m->name == k->name && m->uri == k->uri && m->name != NULL)
		return m->rule;
	r = rule_lookup(item_rules, nitems(item_rules), uri_ns(st, k->uri),
	    k->name);
	m->name = k->name;
	m->uri = k->uri;
	m->rule = r;
	return r;
}

/*
 * A light kid read as the element it stands for: a node on the stack with
 * its name and namespace, no attributes and no children, its text kept
 * aside in _private as node_text_len reads it, and the item as its parent
 * (its xml:base is the item's, as it has no attribute of its own).
 */
static void
item_kid(struct pstate *st, struct draft *d, xmlNodePtr item, struct kid *k,
    const struct rule *r)
{
	xmlNode fake, values[KID_MAX_ATTRS];
	xmlAttr attrs[KID_MAX_ATTRS];
	xmlNs ns, attr_ns[KID_MAX_ATTRS];
	struct kid_attr *ka;
	size_t i;

	memset(&fake, 0, sizeof fake);
	fake.type = XML_ELEMENT_NODE;
	fake.name = k->name;
	fake.parent = item;
	fake.doc = item->doc;
	fake._private = k->text;
	if (k->uri != NULL) {
		memset(&ns, 0, sizeof ns);
		ns.type = XML_NAMESPACE_DECL;
		ns.href = k->uri;
		ns.prefix = k->prefix;
		fake.ns = &ns;
	}
	/* Each attribute as libxml2 makes it: one text node, its value. */
	for (i = 0; i < k->nattrs; i++) {
		ka = &st->kid_attrs[k->attr + i];
		memset(&attrs[i], 0, sizeof attrs[i]);
		memset(&values[i], 0, sizeof values[i]);
		attrs[i].type = XML_ATTRIBUTE_NODE;
		attrs[i].name = ka->name;
		attrs[i].children = attrs[i].last = &values[i];
		attrs[i].parent = &fake;
		attrs[i].next = i + 1 < k->nattrs ? &attrs[i + 1] : NULL;
		attrs[i].prev = i > 0 ? &attrs[i - 1] : NULL;
		attrs[i].doc = fake.doc;
		if (ka->uri != NULL) {
			memset(&attr_ns[i], 0, sizeof attr_ns[i]);
			attr_ns[i].type = XML_NAMESPACE_DECL;
			attr_ns[i].href = ka->uri;
			attr_ns[i].prefix = ka->prefix;
			attrs[i].ns = &attr_ns[i];
		}
		values[i].type = XML_TEXT_NODE;
		values[i].name = xmlStringText;
		values[i].content = (xmlChar *)st->kid_values.data + ka->off;
		values[i].parent = (xmlNodePtr)&attrs[i];
		values[i].doc = fake.doc;
	}
	if (k->nattrs > 0)
		fake.properties = &attrs[0];
	item_child(st, d, &fake, r);
	/* What was not read; and a text node stash_to_tree made. */
	k->text = fake._private;
	if (fake.children != NULL)
		xmlFreeNodeList(fake.children);
}

/*
 * Read an item: from the kids recorded while it was open when kids is not
 * NULL (an item read as it closed), else from its children in the tree.
 */
static void
item_read(struct pstate *st, xmlNodePtr node, struct item *it, struct kid *kids,
    size_t nkids)
{
	struct draft d;
	const struct rule *r;
	xmlNodePtr n;
	xmlChar *about;
	char *s;
	size_t i;

	memset(it, 0, sizeof *it);
	it->published = it->updated = PARSE_NO_TIME;
	d.item = it;
	d.permalink = NULL;

	if (kids != NULL) {
		for (i = 0; i < nkids; i++) {
			if (kids[i].node != NULL)
				item_child(st, &d, kids[i].node, NULL);
			else if ((r = kid_rule(st, &kids[i])) == NULL)
				continue;
			else if (r->how == H_TEXT || r->how == H_DATE ||
				 r->how == H_HTML) {
				/*
				 * What node_text and node_html make of an
				 * element without children, without it.
				 */
				s = kids[i].text;
				kids[i].text = NULL;
				item_set(it, r,
				    text_finish_len(s, kids[i].len,
					r->how != H_HTML, tree_valid(st)));
			} else
				item_kid(st, &d, node, &kids[i], r);
		}
	} else {
		for (n = node->children; n != NULL; n = n->next) {
			if (n->type == XML_ELEMENT_NODE)
				item_child(st, &d, n, NULL);
		}
	}

	if (it->link == NULL) {
		it->link = d.permalink;
		d.permalink = NULL;
	}
	str_free(d.permalink);

	/* RSS 1.0 names every item by its rdf:about. */
	if (it->guid == NULL &&
	    (about = xmlGetNsProp(node, (const xmlChar *)"about",
	    (const xmlChar *)RDF_URI)) != NULL) {
		it->guid = text_plain(xstrdup((const char *)about));
		xmlFree(about);
	}
}

/* Free the fields of an item that are not in the arena a. */
static void
item_clear(const struct arena *a, struct item *it)
{
	size_t i;

	arena_str_free(a, it->guid);
	arena_str_free(a, it->link);
	arena_str_free(a, it->title);
	arena_str_free(a, it->author);
	arena_str_free(a, it->summary);
	arena_str_free(a, it->content);
	for (i = 0; i < it->ncategories; i++)
		arena_str_free(a, it->categories[i]);
	arena_str_free(a, it->categories);
}

void
parse_item_clear(struct item *it)
{
	item_clear(NULL, it);
}

/* A whole non-negative number of at most 9 digits; -1 otherwise. */
static long
hint_number(const char *s)
{
	long n = 0;
	int digits = 0;

	if (s == NULL)
		return -1;
	for (; *s >= '0' && *s <= '9' && digits < 10; s++, digits++)
		n = n * 10 + (*s - '0');
	return digits == 0 || digits > 9 || *s != '\0' ? -1 : n;
}

/*
 * What a feed says of its own schedule: RSS ttl, skipHours and skipDays,
 * and the syndication module's updatePeriod and updateFrequency. Values
 * that make no sense are ignored.
 */
static void
feed_read_hints(struct pstate *st, xmlNodePtr channel, struct feed *f)
{
	static const char *days[] = { "Sunday", "Monday", "Tuesday",
	    "Wednesday", "Thursday", "Friday", "Saturday" };
	static const struct {
		const char *name;
		int64_t seconds;
	} periods[] = {
		{ "hourly", 3600 },
		{ "daily", 86400 },
		{ "weekly", 7 * 86400 },
		{ "monthly", 30 * 86400 },
		{ "yearly", 365 * 86400 },
	};
	int64_t period = 0;
	long frequency = 1, v;
	xmlNodePtr n, c;
	char *s;
	size_t i;

	for (n = channel->children; n != NULL; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (node_is(st, n, NS_RSS, "ttl")) {
			s = node_text(st, n);
			if ((v = hint_number(s)) > 0)
				f->ttl = (int64_t)v * 60;
			str_free(s);
		} else if (node_is(st, n, NS_RSS, "skipHours")) {
			for (c = n->children; c != NULL; c = c->next) {
				if (!node_is(st, c, NS_RSS, "hour"))
					continue;
				s = node_text(st, c);
				/* Some write 1 to 24 for 0 to 23. */
				if ((v = hint_number(s)) >= 0 && v <= 24)
					f->skip_hours |= 1U << (v % 24);
				str_free(s);
			}
		} else if (node_is(st, n, NS_RSS, "skipDays")) {
			for (c = n->children; c != NULL; c = c->next) {
				if (!node_is(st, c, NS_RSS, "day"))
					continue;
				s = node_text(st, c);
				for (i = 0; s != NULL && i < nitems(days); i++)
					if (strcasecmp(s, days[i]) == 0)
						f->skip_days |= 1U << i;
				str_free(s);
			}
		} else if (node_is(st, n, NS_SY, "updatePeriod")) {
			s = node_text(st, n);
			for (i = 0; s != NULL && i < nitems(periods); i++)
				if (strcasecmp(s, periods[i].name) == 0)
					period = periods[i].seconds;
			str_free(s);
		} else if (node_is(st, n, NS_SY, "updateFrequency")) {
			s = node_text(st, n);
			if ((v = hint_number(s)) > 0)
				frequency = v;
			str_free(s);
		}
	}
	if (period > 0)
		f->update_period = period / frequency > 0 ? period / frequency : 1;
}

static void
feed_read_meta(struct pstate *st, xmlNodePtr channel, struct feed *f)
{
	const struct rule *r;
	xmlNodePtr n;
	xmlChar *lang;
	char *s;

	for (n = channel->children; n != NULL; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		r = rule_find(st, feed_rules, nitems(feed_rules), n);
		if (r == NULL)
			continue;
		s = rule_value(st, r, n);
		switch (r->field) {
		case F_TITLE:
			set_first(&f->title, s);
			break;
		case F_LINK:
			set_last(&f->link, s);
			break;
		case F_LANG:
			set_first(&f->lang, s);
			break;
		default:
			str_free(s);
			break;
		}
	}
	if (f->lang == NULL && (lang = xmlNodeGetLang(channel)) != NULL) {
		f->lang = text_plain(xstrdup((const char *)lang));
		xmlFree(lang);
	}
	feed_read_hints(st, channel, f);
}

/* Read the items among the children of parent named name in ns. */
static void
feed_read_items(struct pstate *st, xmlNodePtr parent, enum ns ns,
    const char *name, struct feed *f)
{
	xmlNodePtr n;

	for (n = parent->children; n != NULL; n = n->next) {
		if (!node_is(st, n, ns, name))
			continue;
		/* Cut off by the end of the bytes: better none than half. */
		if (node_is_open(st, n))
			continue;
		if (f->nitems >= PARSE_MAX_ITEMS)
			return;
		f->items = xreallocarray(f->items, f->nitems + 1,
		    sizeof *f->items);
		item_read(st, n, &f->items[f->nitems++], NULL, 0);
	}
}

/* --- the document ----------------------------------------------------- */

#if LIBXML_VERSION >= 21200
static void
parse_error(void *arg, const xmlError *e)
#else
static void
parse_error(void *arg, xmlErrorPtr e)
#endif
{
	struct pstate *st = arg;

	if (st == NULL || e == NULL || e->level < XML_ERR_ERROR)
		return;
	if (e->code == XML_ERR_ENTITY_LOOP)
		st->entity_loop = 1;
	if (st->error == NULL && e->message != NULL)
		st->error = text_plain(xstrdup(e->message));
}

static void
parse_silent(void *arg, const char *fmt, ...)
{
	(void)arg;
	(void)fmt;
}

/* The document URI: Content-Location resolved against the URL wins. */
static char *
document_uri(const struct parse_context *ctx)
{
	char *s;

	if (ctx == NULL)
		return NULL;
	if (ctx->content_location != NULL && *ctx->content_location != '\0') {
		s = url_resolve(ctx->url, ctx->content_location);
		if (url_has_scheme(s))
			return s;
		free(s);
	}
	if (ctx->url != NULL && *ctx->url != '\0')
		return xstrdup(ctx->url);
	return NULL;
}

/* Does the document start with a byte order mark or UTF-16/32 "<?"? */
static int
has_unicode_signature(const char *data, size_t len)
{
	const unsigned char *u = (const unsigned char *)data;

	if (len < 4)
		return 0;
	switch (xmlDetectCharEncoding(u, 4)) {
	case XML_CHAR_ENCODING_UTF16LE:
	case XML_CHAR_ENCODING_UTF16BE:
	case XML_CHAR_ENCODING_UCS4LE:
	case XML_CHAR_ENCODING_UCS4BE:
	case XML_CHAR_ENCODING_UCS4_2143:
	case XML_CHAR_ENCODING_UCS4_3412:
		return 1;
	case XML_CHAR_ENCODING_UTF8:
		return u[0] == 0xef && u[1] == 0xbb && u[2] == 0xbf;
	default:
		return 0;
	}
}

/*
 * The encoding named in the XML declaration, copied into name; 0 when
 * there is none (or no declaration).
 */
static int
declared_encoding(const char *data, size_t len, char *name, size_t size)
{
	const char *p, *end, *v;
	size_t n;
	char quote;

	if (len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0) {
		data += 3;
		len -= 3;
	}
	if (len < 6 || memcmp(data, "<?xml", 5) != 0)
		return 0;
	end = data + (len < 512 ? len : 512);
	for (p = data + 5; p + 8 < end && !(p[0] == '?' && p[1] == '>'); p++) {
		if (memcmp(p, "encoding", 8) != 0)
			continue;
		for (v = p + 8; v < end && is_ascii_space((unsigned char)*v); v++)
			;
		if (v >= end || *v++ != '=')
			return 0;
		while (v < end && is_ascii_space((unsigned char)*v))
			v++;
		if (v >= end || (*v != '"' && *v != '\''))
			return 0;
		quote = *v++;
		for (n = 0; v + n < end && v[n] != quote; n++)
			;
		if (v + n >= end || n == 0 || n >= size)
			return 0;
		memcpy(name, v, n);
		name[n] = '\0';
		return 1;
	}
	return 0;
}

static int
has_multibyte(const unsigned char *p, size_t len)
{
	const unsigned char *end = p + len;
	size_t n;

	for (; p < end; p++) {
		if (*p >= 0x80 && utf8_decode(p, (size_t)(end - p), &n) >= 0)
			return 1;
	}
	return 0;
}

/* A copy of data with each byte that is not UTF-8 as U+FFFD. */
static char *
utf8_repair(const char *data, size_t len, size_t *outlen)
{
	const unsigned char *p = (const unsigned char *)data, *end = p + len;
	struct buf b;
	size_t n;

	buf_init(&b);
	while (p < end) {
		if (*p < 0x80) {
			for (n = 0; p + n < end && p[n] < 0x80; n++)
				;
			buf_add(&b, p, n);
			p += n;
		} else if (utf8_decode(p, (size_t)(end - p), &n) >= 0) {
			buf_add(&b, p, n);
			p += n;
		} else {
			buf_add(&b, "\xef\xbf\xbd", 3);
			p++;
		}
	}
	return buf_steal(&b, outlen);
}

/*
 * Bytes meant as UTF-8 that are not: a document without one valid
 * multibyte sequence is in some single-byte charset and read as
 * windows-1252 (what such feeds mostly are, and what feed readers do);
 * otherwise each bad byte becomes U+FFFD, keeping the good text. Either
 * way the feed is read, not dropped. Returns 1 when the document must be
 * read again, with *charset and *options changed and maybe *mended set to
 * a repaired copy (and *len to its length).
 */
static int
utf8_mend(const char *data, size_t *len, char **charset, int *options,
    char **mended)
{
	char name[64];
	const char *enc;

	if (*len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0)
		enc = "utf-8";
	else if (*charset != NULL)
		enc = *charset;
	else if (declared_encoding(data, *len, name, sizeof name))
		enc = name;
	else
		enc = "utf-8";
	if (strcasecmp(enc, "utf-8") != 0 && strcasecmp(enc, "utf8") != 0 &&
	    strcasecmp(enc, "us-ascii") != 0 && strcasecmp(enc, "ascii") != 0)
		return 0;
	if (utf8_valid((const unsigned char *)data,
	    (const unsigned char *)data + *len)) {
		/* ASCII declared, UTF-8 given: UTF-8 it is. */
		if (strcasecmp(enc, "utf-8") == 0 || strcasecmp(enc, "utf8") == 0)
			return 0;
		free(*charset);
		*charset = xstrdup("utf-8");
		*options |= XML_PARSE_IGNORE_ENC;
		return 1;
	}
	free(*charset);
	*options |= XML_PARSE_IGNORE_ENC;
	if (!has_multibyte((const unsigned char *)data, *len)) {
		*charset = xstrdup("windows-1252");
		return 1;
	}
	*charset = xstrdup("utf-8");
	*mended = utf8_repair(data, *len, len);
	return 1;
}

/*
 * libxml2 asks for an entity by name: an undeclared one that HTML knows
 * (&nbsp;, &eacute; ... which feeds use without a DTD) is declared on the
 * spot in the document's internal subset, as the one character it stands
 * for, so that the parser keeps it instead of dropping it as an error.
 * Nothing external is ever declared here.
 */
static xmlEntityPtr
parse_get_entity(void *arg, const xmlChar *name)
{
	xmlParserCtxtPtr ctxt = arg;
	const htmlEntityDesc *html;
	xmlEntityPtr ent;
	xmlNodePtr root;
	unsigned char u[5];

	if ((ent = xmlSAX2GetEntity(arg, name)) != NULL)
		return ent;
	if (ctxt->myDoc == NULL || ctxt->inSubset != 0 ||
	    (html = htmlEntityLookup(name)) == NULL)
		return NULL;
	if (ctxt->myDoc->intSubset == NULL) {
		root = xmlDocGetRootElement(ctxt->myDoc);
		if (xmlCreateIntSubset(ctxt->myDoc, root != NULL ? root->name :
		    (const xmlChar *)"feed", NULL, NULL) == NULL)
			return NULL;
	}
	u[utf8_put(u, html->value)] = '\0';
	return xmlAddDocEntity(ctxt->myDoc, name, XML_INTERNAL_GENERAL_ENTITY,
	    NULL, NULL, u);
}

/*
 * UTF-32, which libxml2 2.9 does not read with a byte order mark, into
 * UTF-8 of our own; NULL when the document is not UTF-32 (by its byte
 * order mark or its first character, '<').
 */
static char *
utf32_convert(const char *data, size_t *len)
{
	const unsigned char *u = (const unsigned char *)data;
	unsigned char out[4];
	struct buf b;
	unsigned long cp;
	size_t i;
	int be;

	if (*len < 4)
		return NULL;
	if ((u[0] == 0 && u[1] == 0 && u[2] == 0xfe && u[3] == 0xff) ||
	    (u[0] == 0 && u[1] == 0 && u[2] == 0 && u[3] == '<'))
		be = 1;
	else if ((u[0] == 0xff && u[1] == 0xfe && u[2] == 0 && u[3] == 0) ||
	    (u[0] == '<' && u[1] == 0 && u[2] == 0 && u[3] == 0))
		be = 0;
	else
		return NULL;
	buf_init(&b);
	for (i = u[0] == '<' || u[3] == '<' ? 0 : 4; i + 4 <= *len; i += 4) {
		if (be)
			cp = (unsigned long)u[i] << 24 | (unsigned long)u[i + 1] << 16 |
			    (unsigned long)u[i + 2] << 8 | u[i + 3];
		else
			cp = (unsigned long)u[i + 3] << 24 |
			    (unsigned long)u[i + 2] << 16 |
			    (unsigned long)u[i + 1] << 8 | u[i];
		if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			cp = 0xfffd;
		buf_add(&b, out, utf8_put(out, cp));
	}
	return buf_steal(&b, len);
}

/* Does a well-formed reference ("&name;", "&#123;", "&#x1F;") start at p? */
static int
amp_is_reference(const char *p, const char *end)
{
	const unsigned char *q = (const unsigned char *)p + 1;
	const unsigned char *e = (const unsigned char *)end;
	size_t n = 0;

	if (q < e && *q == '#') {
		q++;
		if (q < e && (*q == 'x' || *q == 'X')) {
			for (q++; q < e && isxdigit(*q) && n < 16; q++)
				n++;
		} else {
			for (; q < e && isdigit(*q) && n < 16; q++)
				n++;
		}
		return n > 0 && q < e && *q == ';';
	}
	if (q >= e || !(isalpha(*q) || *q == '_' || *q == ':' || *q >= 0x80))
		return 0;
	for (; q < e && n < 64 && (isalnum(*q) || *q == '_' || *q == ':' ||
	    *q == '.' || *q == '-' || *q >= 0x80); q++)
		n++;
	return q < e && *q == ';';
}

/* Copy from p through the first "stop" (or to end); returns past it. */
static const char *
amp_copy_through(struct buf *b, const char *p, const char *end,
    const char *stop)
{
	size_t n = strlen(stop);
	const char *q;

	for (q = p; q + n <= end; q++) {
		if (memcmp(q, stop, n) == 0) {
			buf_add(b, p, (size_t)(q + n - p));
			return q + n;
		}
	}
	buf_add(b, p, (size_t)(end - p));
	return end;
}

/*
 * The commonest error in the feeds of the world: a bare '&' (in a URL's
 * query, mostly) that libxml2 takes for a broken reference and drops with
 * the name after it. A copy of the document with each such '&' written
 * "&amp;" (and "&#X" as the "&#x" XML wants), CDATA sections, comments and
 * processing instructions left as they are; NULL when there is none. For
 * encodings where '&' is the byte 0x26, which the caller checks.
 */
static char *
amp_repair(const char *data, size_t *len)
{
	const char *p = data, *end = data + *len, *q;
	struct buf b;
	int changed = 0;

	buf_init(&b);
	while (p < end) {
		for (q = p; q < end && *q != '&' && *q != '<'; q++)
			;
		buf_add(&b, p, (size_t)(q - p));
		if ((p = q) >= end)
			break;
		if (*p == '<') {
			if (end - p >= 9 && memcmp(p, "<![CDATA[", 9) == 0)
				p = amp_copy_through(&b, p, end, "]]>");
			else if (end - p >= 4 && memcmp(p, "<!--", 4) == 0)
				p = amp_copy_through(&b, p, end, "-->");
			else if (end - p >= 2 && p[1] == '?')
				p = amp_copy_through(&b, p, end, "?>");
			else
				buf_addc(&b, *p++);
			continue;
		}
		if (!amp_is_reference(p, end)) {
			buf_adds(&b, "&amp;");
			p++;
			changed = 1;
		} else if (end - p >= 3 && p[1] == '#' && p[2] == 'X') {
			buf_adds(&b, "&#x");
			p += 3;
			changed = 1;
		} else
			buf_addc(&b, *p++);
	}
	if (!changed) {
		buf_free(&b);
		return NULL;
	}
	return buf_steal(&b, len);
}

/*
 * Whether the charset in force keeps ASCII's bytes for ASCII (so that 0x26
 * is '&' wherever it appears); ISO-2022 and EBCDIC do not.
 */
static int
ascii_compatible(const char *data, size_t len, const char *charset)
{
	char name[64];
	const char *enc = charset;

	if (enc == NULL && declared_encoding(data, len, name, sizeof name))
		enc = name;
	if (enc == NULL)
		return 1;
	return strstr(enc, "2022") == NULL && strncasecmp(enc, "ibm", 3) != 0 &&
	    strncasecmp(enc, "ebcdic", 6) != 0 && strncasecmp(enc, "cp0", 3) != 0 &&
	    strncasecmp(enc, "utf-16", 6) != 0 && strncasecmp(enc, "utf-32", 6) != 0 &&
	    strncasecmp(enc, "ucs", 3) != 0 && strncasecmp(enc, "utf16", 5) != 0;
}

/* Give the text gathered so far to libxml2's tree (see struct pstate). */
static void
text_flush(struct pstate *st, xmlParserCtxtPtr ctxt)
{
	if (st->text.len == 0)
		return;
	xmlSAX2Characters(ctxt, (const xmlChar *)st->text.data,
	    (int)st->text.len);
	st->text.len = 0;
}

/* Forget the kids of the items read or dropped last. */
static void
kids_clear(struct pstate *st)
{
	size_t i;

	for (i = 0; i < st->nkids; i++)
		str_free(st->kids[i].text);
	st->nkids = 0;
	st->light = 0;
	st->nkid_attrs = 0;
	st->kid_values.len = 0;
	st->kid_base = st->attr_base = st->values_base = 0;
}

/* Forget the kids of the item that closed last, dropped. */
static void
kids_drop(struct pstate *st)
{
	size_t i;

	for (i = st->kid_base; i < st->nkids; i++)
		str_free(st->kids[i].text);
	st->nkids = st->kid_base;
	st->light = 0;
	st->nkid_attrs = st->attr_base;
	st->kid_values.len = st->values_base;
}

static void
kid_add(struct pstate *st, xmlNodePtr node, const xmlChar *name,
    const xmlChar *prefix, const xmlChar *uri)
{
	struct kid *k;

	if (st->nkids == st->kids_alloc) {
		st->kids_alloc = st->kids_alloc == 0 ? 16 : st->kids_alloc * 2;
		st->kids =
		    xreallocarray(st->kids, st->kids_alloc, sizeof *st->kids);
	}
	k = &st->kids[st->nkids++];
	k->node = node;
	k->name = name;
	k->prefix = prefix;
	k->uri = uri;
	k->text = NULL;
	k->len = 0;
	k->attr = st->nkid_attrs;
	k->nattrs = 0;
}

/*
 * Whether an element libxml2 reports with these attributes can be a light
 * kid's: values that become one text node of their bytes, every prefix
 * declared (an undeclared one names the attribute "prefix:name"), none
 * from the DTD. libxml2 copies a value that has a reference or a byte past
 * ASCII, ends the copy with a NUL, and reads references in it again when
 * it makes the attribute's nodes: such a copy will do if it holds no '&'
 * (what is left of a reference) and is not empty (which would make no
 * text node at all).
 */
static int
kid_attrs_plain(int nattributes, int ndefaulted, const xmlChar **a)
{
	int i;

	if (nattributes > KID_MAX_ATTRS || ndefaulted != 0)
		return 0;
	for (i = 0; i < nattributes; i++, a += 5) {
		if ((a[1] != NULL && a[2] == NULL) ||
		    (*a[4] == '\0' &&
			(a[3] == a[4] ||
			    memchr(a[3], '&', (size_t)(a[4] - a[3])) != NULL)))
			return 0;
	}
	return 1;
}

/*
 * Whether the namespace libxml2 gives for a prefix of a light kid (or one
 * of its attributes) is the one its node would find in the tree: it finds
 * the declaration on an ancestor, while libxml2's parser keeps those of a
 * start tag it dropped for want of its '>' (xmlns="..." of an element
 * that is not there). No uri: no namespace either way.
 */
static int
kid_ns_same(struct pstate *st, xmlParserCtxtPtr ctxt, xmlNodePtr parent,
    const xmlChar *prefix, const xmlChar *uri)
{
	xmlNsPtr ns;
	unsigned i;

	if (uri == NULL)
		return 1;
	for (i = 0; parent == st->cur && i < nitems(st->ns_memo); i++) {
		if (st->ns_memo[i].uri == uri &&
		    st->ns_memo[i].prefix == prefix)
			return 1;
	}
	ns = xmlSearchNs(ctxt->myDoc, parent, prefix);
	if (ns == NULL || ns->href == NULL ||
	    strcmp((const char *)ns->href, (const char *)uri) != 0)
		return 0;
	/* Only for the open item, whose scope is that of parent. */
	if (parent == st->cur) {
		i = st->nns_memo++ % nitems(st->ns_memo);
		st->ns_memo[i].prefix = prefix;
		st->ns_memo[i].uri = uri;
	}
	return 1;
}

/* Whether every prefixed attribute's namespace is the tree's (kid_ns_same). */
static int
kid_attrs_ns_same(struct pstate *st, xmlParserCtxtPtr ctxt, xmlNodePtr parent,
    int nattributes, const xmlChar **a)
{
	int i;

	for (i = 0; i < nattributes; i++, a += 5) {
		if (a[1] != NULL && !kid_ns_same(st, ctxt, parent, a[1], a[2]))
			return 0;
	}
	return 1;
}

/* Keep the attributes of the light kid just added. */
static void
kid_attrs_keep(struct pstate *st, int nattributes, const xmlChar **a)
{
	struct kid *k = &st->kids[st->nkids - 1];
	struct kid_attr *ka;
	size_t len;
	int i;

	for (i = 0; i < nattributes; i++, a += 5) {
		if (st->nkid_attrs == st->kid_attrs_alloc) {
			st->kid_attrs_alloc = st->kid_attrs_alloc == 0
						  ? 16
						  : st->kid_attrs_alloc * 2;
			st->kid_attrs = xreallocarray(st->kid_attrs,
			    st->kid_attrs_alloc, sizeof *st->kid_attrs);
		}
		ka = &st->kid_attrs[st->nkid_attrs++];
		len = (size_t)(a[4] - a[3]);
		ka->name = a[0];
		ka->prefix = a[1];
		ka->uri = a[2];
		ka->off = st->kid_values.len;
		ka->len = len;
		buf_make_room(&st->kid_values, len + 1);
		memcpy(st->kid_values.data + st->kid_values.len, a[3], len);
		st->kid_values.data[ka->off + len] = '\0';
		st->kid_values.len += len + 1;
	}
	k->nattrs = (size_t)nattributes;
}

/*
 * The open light kid becomes the element libxml2 would have made at its
 * start, and the text gathered so far goes into it: from here on it is
 * an element like any other (see struct pstate).
 */
static void
light_real(struct pstate *st, xmlParserCtxtPtr ctxt)
{
	struct kid *k = &st->kids[st->nkids - 1];
	const xmlChar *a[5 * KID_MAX_ATTRS];
	struct kid_attr *ka;
	xmlChar *v;
	size_t i;

	st->light = 0;
	/*
	 * The values as the parser gave them: ended by a byte that is not
	 * NUL, which tells libxml2 that they hold no reference.
	 */
	for (i = 0; i < k->nattrs; i++) {
		ka = &st->kid_attrs[k->attr + i];
		v = (xmlChar *)st->kid_values.data + ka->off;
		v[ka->len] = '"';
		a[5 * i] = ka->name;
		a[5 * i + 1] = ka->prefix;
		a[5 * i + 2] = ka->uri;
		a[5 * i + 3] = v;
		a[5 * i + 4] = v + ka->len;
	}
	xmlSAX2StartElementNs(ctxt, k->name, k->prefix, k->uri, 0, NULL,
	    (int)k->nattrs, 0, k->nattrs > 0 ? a : NULL);
	for (i = 0; i < k->nattrs; i++) {
		ka = &st->kid_attrs[k->attr + i];
		st->kid_values.data[ka->off + ka->len] = '\0';
	}
	if (ctxt->node != NULL && ctxt->node != st->cur)
		k->node = ctxt->node;
	else
		k->name = (const xmlChar *)""; /* never read */
	st->text_node = ctxt->node;
	text_flush(st, ctxt);
}

/*
 * Whether the start tag whose element libxml2 reports now ends well: it
 * looks at the byte after the attributes once the handler returns, and
 * without a '>' there it drops the element from its stack of nodes (not
 * from its stack of names) without saying so. A light kid, not on that
 * stack, would take its parent with it.
 */
static int
start_tag_ends(xmlParserCtxtPtr ctxt)
{
	const xmlChar *p;

	if (ctxt->input == NULL || (p = ctxt->input->cur) == NULL)
		return 0;
	return p[0] == '>' || (p[0] == '/' && p[1] == '>');
}

/*
 * The root element has started: what kind of feed it makes (as feed_build
 * will decide it) and so which elements are items read as they close.
 */
static void
stream_root(struct pstate *st, xmlParserCtxtPtr ctxt)
{
	xmlNodePtr root = ctxt->node;
	const char *name = (const char *)root->name;
	enum ns rootns;

	st->root = root;
	st->doc = ctxt->myDoc;
	st->bare = NS_NONE;
	rootns = node_ns(st, root);
	if (strcmp(name, "feed") == 0 &&
	    (rootns == NS_ATOM || rootns == NS_NONE)) {
		st->bare = NS_ATOM;
		st->channel = root;
		st->item_ns = NS_ATOM;
		st->item_name = "entry";
	} else if (strcmp(name, "rss") == 0 ||
	    (strcmp(name, "RDF") == 0 && (rootns == NS_RDF ||
	    rootns == NS_NONE))) {
		st->bare = NS_RSS;
		st->item_ns = NS_RSS;
		st->item_name = "item";
	}
}

/*
 * Free the item read last, unless libxml2 may still write into it: while
 * it is the last child of the element being parsed, text that follows
 * would be joined to the text node before it through libxml2's record of
 * the last text node's length, which the item's end has made stale.
 */
static void
stream_release(struct pstate *st, xmlParserCtxtPtr ctxt)
{
	xmlNodePtr n = st->done;

	if (n == NULL || (n->parent == ctxt->node && n->parent != NULL &&
	    n->parent->last == n))
		return;
	xmlUnlinkNode(n);
	xmlFreeNode(n);
	st->done = NULL;
}

/*
 * Read the items that closed (struct pstate), in order, each as it would
 * have been read as it closed, and let them leave the tree.
 */
static void
stream_read(struct pstate *st, xmlParserCtxtPtr ctxt)
{
	struct pending *p;
	xmlNodePtr n;
	size_t i;

	for (i = 0; i < st->npend; i++) {
		p = &st->pend[i];
		n = p->node;
		if (st->nread == st->nalloc) {
			st->nalloc = st->nalloc == 0 ? 16 : st->nalloc * 2;
			st->items = xreallocarray(
			    st->items, st->nalloc, sizeof *st->items);
		}
		st->reading = 1;
		st->read_ok = p->ok;
		item_read(st, n, &st->items[st->nread++], st->kids + p->kid0,
		    p->nkids);
		st->reading = 0;
		stash_free(n);
		/* The last child of the element parsed now waits (done). */
		if (n->parent != ctxt->node || n->parent == NULL ||
		    n->parent->last != n) {
			xmlUnlinkNode(n);
			xmlFreeNode(n);
		} else if (st->done == NULL)
			st->done = n; /* one waits at a time; others stay */
	}
	st->npend = 0;
	kids_clear(st);
}

/*
 * Note the open item if it has closed. libxml2 does not always say when
 * an element ends (a start tag without its '>' ends it at once, silently),
 * so every callback asks whether the item is still among the open elements.
 * Closed items are read PARSE_BATCH at a time, and all of them at the end.
 */
static void
stream_check(struct pstate *st, xmlParserCtxtPtr ctxt, int end)
{
	struct pending *p;
	xmlNodePtr n = st->cur;
	int i;

	if (n != NULL) {
		for (i = ctxt->nodeNr - 1; i >= 0; i--) {
			if (ctxt->nodeTab[i] == n)
				break;
		}
		if (i < 0) {
			st->cur = NULL;
			st->light = 0;
			if (st->nread + st->npend < PARSE_MAX_ITEMS) {
				p = &st->pend[st->npend++];
				p->node = n;
				p->kid0 = st->kid_base;
				p->nkids = st->nkids - st->kid_base;
				p->ok = st->error == NULL;
				st->kid_base = st->nkids;
				st->attr_base = st->nkid_attrs;
				st->values_base = st->kid_values.len;
			} else {
				stash_free(n);
				kids_drop(st);
			}
			if (st->npend == PARSE_BATCH)
				stream_read(st, ctxt);
		}
	}
	if (end && st->npend > 0)
		stream_read(st, ctxt);
	stream_release(st, ctxt);
}

/* Forget what was read as the tree was built (before reading it again). */
static void
stream_clear(struct pstate *st)
{
	size_t i;

	/* An item left open at the end, still in the tree. */
	if (st->cur != NULL)
		stash_free(st->cur);
	for (i = 0; i < st->npend; i++)
		stash_free(st->pend[i].node);
	st->npend = 0;
	kids_clear(st);
	for (i = 0; i < st->nread; i++)
		item_clear(parse_arena, &st->items[i]);
	free(st->items);
	st->items = NULL;
	st->nread = st->nalloc = 0;
	st->root = st->channel = st->done = st->cur = NULL;
	st->item_name = NULL;
}

/* Whether an element's local name is "item" or "entry" (byte by byte). */
static inline int
is_item_name(const xmlChar *s)
{
	if (s[0] == 'i')
		return s[1] == 't' && s[2] == 'e' && s[3] == 'm' &&
		       s[4] == '\0';
	return s[0] == 'e' && s[1] == 'n' && s[2] == 't' && s[3] == 'r' &&
	       s[4] == 'y' && s[5] == '\0';
}

/* libxml2's element handler, with a budget of nodes (see PARSE_MAX_NODES). */
static void
parse_start_element(void *arg, const xmlChar *localname,
    const xmlChar *prefix, const xmlChar *uri, int nnamespaces,
    const xmlChar **nsdecls, int nattributes, int ndefaulted,
    const xmlChar **attributes)
{
	xmlParserCtxtPtr ctxt = arg;
	struct pstate *st = ctxt->_private;
	xmlNodePtr n;
	/*
	 * libxml2 parses an entity's content the first time it is referenced
	 * with a parser of its own, the same handlers and _private, and a tree
	 * of its own: items are the document parser's business only.
	 */
	int doc = ctxt == st->ctxt;

	if (doc) {
		if (st->light)
			light_real(st, ctxt);
		text_flush(st, ctxt);
		stream_check(st, ctxt, 0);
	}
	st->nodes += 1 + nattributes + nnamespaces;
	/* Items past twice the cap could only be dropped: stop there too. */
	if (is_item_name(localname) && ++st->nitems > 2 * PARSE_MAX_ITEMS)
		st->nodes = PARSE_MAX_NODES + 1;
	if (st->nodes > PARSE_MAX_NODES) {
		xmlStopParser(ctxt);
		return;
	}
	/*
	 * An element of the open item without attributes: a light kid (an
	 * undeclared prefix would make libxml2 name it "prefix:name").
	 */
	if (light_kids && doc && st->cur != NULL && ctxt->node == st->cur &&
	    nnamespaces == 0 && (prefix == NULL || uri != NULL) &&
	    kid_attrs_plain(nattributes, ndefaulted, attributes) &&
	    kid_ns_same(st, ctxt, st->cur, prefix, uri) &&
	    kid_attrs_ns_same(st, ctxt, st->cur, nattributes, attributes) &&
	    start_tag_ends(ctxt)) {
		kid_add(st, NULL, localname, prefix, uri);
		if (nattributes > 0)
			kid_attrs_keep(st, nattributes, attributes);
		st->light = 1;
		return;
	}
	xmlSAX2StartElementNs(arg, localname, prefix, uri, nnamespaces,
	    nsdecls, nattributes, ndefaulted, attributes);
	if (!doc || (n = ctxt->node) == NULL)
		return;
	if (st->cur != NULL && n->parent == st->cur && n != st->cur)
		kid_add(st, n, localname, prefix, uri);
	if (st->root == NULL && ctxt->nodeNr == 1)
		stream_root(st, ctxt);
	else if (st->channel == NULL && st->item_name != NULL &&
	    ctxt->nodeNr == 2 && n->parent == st->root &&
	    node_is(st, n, NS_RSS, "channel"))
		st->channel = n;	/* the first, as feed_build's */
	else if (st->channel != NULL && n->parent == st->channel &&
		 ctxt->nodeNr >= 2 &&
		 ctxt->nodeTab[ctxt->nodeNr - 2] == st->channel &&
		 node_is(st, n, st->item_ns, st->item_name)) {
		st->cur = n;
		memset(st->ns_memo, 0, sizeof st->ns_memo);
		st->kid_base = st->nkids;
		st->attr_base = st->nkid_attrs;
		st->values_base = st->kid_values.len;
	}
	stream_release(st, ctxt);
}

/*
 * The text gathered for the element ending now, in the arena, its length
 * stored right before it (text_taken_len).
 */
static char *
text_take(struct pstate *st)
{
	char *s =
	    arena_alloc(&parse_arena, sizeof st->text.len + st->text.len + 1);

	memcpy(s, &st->text.len, sizeof st->text.len);
	s += sizeof st->text.len;
	memcpy(s, st->text.data, st->text.len + 1);
	st->text.len = 0;
	return s;
}

/* libxml2's end of an element: a closed item is read there and then. */
static void
parse_end_element(void *arg, const xmlChar *localname,
    const xmlChar *prefix, const xmlChar *uri)
{
	xmlParserCtxtPtr ctxt = arg;
	struct pstate *st = ctxt->_private;
	xmlNodePtr n = ctxt->node;

	if (ctxt == st->ctxt && st->light) {
		/* Nothing but text came since it started: its end. */
		st->light = 0;
		/* Past the cap the item is dropped: nothing to keep. */
		if (st->nread + st->npend >= PARSE_MAX_ITEMS)
			st->text.len = 0;
		else if (st->text.len > 0) {
			st->kids[st->nkids - 1].len = st->text.len;
			st->kids[st->nkids - 1].text = text_take(st);
		}
		return;
	}
	if (ctxt == st->ctxt) {
		/*
		 * An element of the open item with nothing but text, the
		 * common case: its text is kept aside for the element (in
		 * _private) instead of in a text node of libxml2's, which
		 * would be made, read once and freed (see node_text_len).
		 */
		if (n != NULL && st->cur != NULL && n->parent == st->cur &&
		    n->children == NULL && n->_private == NULL &&
		    st->text_node == n && st->text.len > 0) {
			if (st->nread + st->npend >= PARSE_MAX_ITEMS)
				st->text.len = 0; /* a dropped item's */
			else
				n->_private = text_take(st);
		} else
			text_flush(st, ctxt);
	}
	xmlSAX2EndElementNs(arg, localname, prefix, uri);
	if (ctxt == st->ctxt)	/* not an entity's parser */
		stream_check(st, ctxt, 0);
}

/* --- text runs as character references --------------------------------- */

/*
 * libxml2 2.9 reads character data that is not ASCII one character at a
 * time (xmlParseCharDataComplex) and hands it over 300 bytes at a time,
 * while it reads a character reference in one go. So before the bytes
 * reach it, each run of such text in element content is replaced, in a
 * copy, by a reference to a code point of planes 15 and 16 (private use)
 * that names the run by its index: U+F0000 + i for the first 65534 runs,
 * U+100000 + (i - 65534) for the next 65534, none after those. libxml2
 * gives each reference to parse_characters as one call with the four
 * bytes of its code point, and parse_characters gives on the run's own
 * bytes instead (runs_find). Everything else is libxml2's as ever.
 *
 * The scanner (runs_scan) is exact or gives up, and then libxml2 reads the
 * document itself: only UTF-8 that libxml2 reads without conversion, every
 * code point an XML Char and none of planes 15 and 16, raw or as a
 * reference; no DOCTYPE; markup it knows (tags, comments, CDATA sections,
 * PIs), with no '<' inside a tag, no "]]>" in text (libxml2 keeps it or
 * drops some of the text before it, depending on whether it read that text
 * a character at a time). A run is text inside the root element
 * without '<', '&', ']', '>' or CR (those stay libxml2's), with a byte of
 * 0x80 or more, at least runs_min bytes long, with markup after it (so
 * never in the text that the end of the bytes cuts).
 */
#define RUNS_MAX 131068
#define RUNS_PLANE15 65534
/* Runs shorter than this stay as they are (the reference costs more). */
#define RUNS_MIN_DEFAULT 16
/* The longest reference, "&#x10FFFD;": the copy is never longer. */
#define RUNS_MIN_LEAST 10

/* The shortest run replaced; 0: none (parse_text_runs). */
static int runs_min = RUNS_MIN_DEFAULT;

void
parse_text_runs(int min)
{
	if (min > 0 && min < RUNS_MIN_LEAST)
		min = RUNS_MIN_LEAST;
	runs_min = min < 0 ? RUNS_MIN_DEFAULT : min;
}

/* Runs of the document libxml2 read last (parse_text_runs_count). */
static size_t runs_last;

size_t
parse_text_runs_count(void)
{
	return runs_last;
}

/*
 * The C0 controls but tab, LF and CR among the 16 bytes at p, a bit per
 * byte; 0 without SSE2 (text_span16 counts none there).
 */
static inline unsigned
runs_ctl16(const unsigned char *p)
{
#ifdef __SSE2__
	__m128i v = _mm_loadu_si128((const __m128i *)p);
	unsigned ctl;

	/* Signed: bytes from 0x80 are below 0x20 too, hence the mask. */
	ctl = (unsigned)_mm_movemask_epi8(
		  _mm_cmplt_epi8(v, _mm_set1_epi8(0x20))) &
	      ~(unsigned)_mm_movemask_epi8(v);
	if (ctl == 0)
		return 0;
	return ctl & ~(unsigned)_mm_movemask_epi8(_mm_or_si128(
			 _mm_cmpeq_epi8(v, _mm_set1_epi8('\t')),
			 _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('\n')),
			     _mm_cmpeq_epi8(v, _mm_set1_epi8('\r')))));
#else
	(void)p;
	return 0;
#endif
}

#ifdef HTML_WIDE
/*
 * runs_chars_ok's first loop 32 bytes at a time, with AVX2: how many of
 * the bytes from p (to end) are ASCII but C0 controls other than tab, LF
 * and CR, or whole two-byte sequences but C0 and C1 (overlong); it stops
 * where a window's count stops short (a sequence cut by the window's end
 * starts the next one) and at the last 32 bytes.
 */
static __attribute__((target("avx2"))) size_t
runs_span_wide(const unsigned char *p, const unsigned char *end)
{
	const unsigned char *q = p;
	__m256i v;
	unsigned hi, lead, cont, ctl, bad;
	size_t n;

	while (end - q >= 32) {
		v = _mm256_loadu_si256((const __m256i *)q);
		hi = (unsigned)_mm256_movemask_epi8(v);
		/* Signed: bytes from 0x80 are below 0x20 too, hence ~hi. */
		ctl = (unsigned)_mm256_movemask_epi8(
			  _mm256_cmpgt_epi8(_mm256_set1_epi8(0x20), v)) &
		      ~hi;
		bad = 0;
		if (ctl != 0)
			bad = ctl &
			      ~(unsigned)_mm256_movemask_epi8(_mm256_or_si256(
				  _mm256_cmpeq_epi8(v, _mm256_set1_epi8('\t')),
				  _mm256_or_si256(_mm256_cmpeq_epi8(v,
						      _mm256_set1_epi8('\n')),
				      _mm256_cmpeq_epi8(
					  v, _mm256_set1_epi8('\r')))));
		if (hi != 0) {
			lead = (unsigned)_mm256_movemask_epi8(_mm256_cmpeq_epi8(
			    _mm256_and_si256(v, _mm256_set1_epi8((char)0xe0)),
			    _mm256_set1_epi8((char)0xc0)));
			cont = (unsigned)_mm256_movemask_epi8(_mm256_cmpeq_epi8(
			    _mm256_and_si256(v, _mm256_set1_epi8((char)0xc0)),
			    _mm256_set1_epi8((char)0x80)));
			bad |= (hi & ~lead & ~cont) |
			       (unsigned)_mm256_movemask_epi8(_mm256_cmpeq_epi8(
				   _mm256_and_si256(
				       v, _mm256_set1_epi8((char)0xfe)),
				   _mm256_set1_epi8((char)0xc0))) |
			       (cont & ~(lead << 1)) | (lead & ~(cont >> 1));
		}
		if (bad == 0) {
			q += 32;
			continue;
		}
		if ((n = (size_t)__builtin_ctz(bad)) == 0)
			break;
		q += n;
	}
	return (size_t)(q - p);
}

/* Whether runs_span_wide may be used: the CPU has AVX2 (-1: not asked). */
static int runs_wide = -1;
#endif

/*
 * Whether [p, end) is UTF-8 whose every code point is an XML Char (no C0
 * control but tab, LF and CR, no surrogate, U+FFFE or U+FFFF) below
 * plane 15.
 */
static int
runs_chars_ok(const unsigned char *p, const unsigned char *end)
{
	unsigned ctl;
	size_t n;
	long cp;

#ifdef HTML_WIDE
	if (runs_wide < 0)
		runs_wide = __builtin_cpu_supports("avx2");
#endif
	while (p < end) {
#ifdef HTML_WIDE
		if (runs_wide)
			p += runs_span_wide(p, end);
#endif
		/*
		 * ASCII and two-byte sequences sixteen bytes at a time, the
		 * next window from where this one's count stops (a sequence
		 * cut by its end, mostly); others one at a time.
		 */
		while (end - p >= 16) {
			n = text_span16(p, 0);
			if ((ctl = runs_ctl16(p)) != 0 &&
			    (size_t)__builtin_ctz(ctl) < n)
				n = (size_t)__builtin_ctz(ctl);
			if (n == 0)
				break;
			p += n;
		}
		if (p == end)
			break;
		if (*p < 0x80) {
			if (*p < 0x20 && *p != '\t' && *p != '\n' && *p != '\r')
				return 0;
			p++;
			continue;
		}
		cp = utf8_decode(p, (size_t)(end - p), &n);
		if (cp < 0 || cp == 0xfffe || cp == 0xffff || cp >= 0xf0000)
			return 0;
		p += n;
	}
	return 1;
}

/*
 * Whether a character reference anywhere in [p, end), well formed or not,
 * names a code point of planes 15 or 16 (or beyond).
 */
static int
runs_high_reference(const unsigned char *p, const unsigned char *end)
{
	unsigned long v;
	int d;

	while ((p = memchr(p, '&', (size_t)(end - p))) != NULL) {
		p++;
		if (p == end || *p != '#')
			continue;
		p++;
		v = 0;
		if (p < end && (*p == 'x' || *p == 'X')) {
			for (p++; p < end; p++) {
				if (*p >= '0' && *p <= '9')
					d = *p - '0';
				else if ((*p | 0x20) >= 'a' &&
					 (*p | 0x20) <= 'f')
					d = (*p | 0x20) - 'a' + 10;
				else
					break;
				v = v * 16 + (unsigned long)d;
				if (v >= 0xf0000)
					return 1;
			}
		} else {
			for (; p < end && *p >= '0' && *p <= '9'; p++) {
				v = v * 10 + (unsigned long)(*p - '0');
				if (v >= 0xf0000)
					return 1;
			}
		}
	}
	return 0;
}

/* The first of three bytes a, b, c in a row in [p, end); NULL if none. */
static const unsigned char *
runs_find3(
    const unsigned char *p, const unsigned char *end, int a, int b, int c)
{
	while (
	    end - p >= 3 && (p = memchr(p, a, (size_t)(end - p - 2))) != NULL) {
		if (p[1] == b && p[2] == c)
			return p;
		p++;
	}
	return NULL;
}

/* Whether [p, end), inside a comment, CDATA section or PI, has a DOCTYPE. */
static int
runs_doctype(const unsigned char *p, const unsigned char *end)
{
	while (end - p >= 9 &&
	       (p = memchr(p, '<', (size_t)(end - p - 8))) != NULL) {
		if (memcmp(p, "<!DOCTYPE", 9) == 0)
			return 1;
		p++;
	}
	return 0;
}

static int
runs_name_start(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
	       c == ':' || c >= 0x80;
}

/* An entity name's bytes (ASCII only: others make the scanner give up). */
static int
runs_name_char(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == ':' || c == '.' ||
	       c == '-';
}

static void
runs_add(struct pstate *st, const unsigned char *base, const unsigned char *a,
    const unsigned char *b)
{
	if (st->nruns == st->runs_alloc) {
		st->runs_alloc = st->runs_alloc == 0 ? 256 : st->runs_alloc * 2;
		st->runs =
		    xreallocarray(st->runs, st->runs_alloc, sizeof *st->runs);
	}
	st->runs[st->nruns].off = (uint32_t)(a - base);
	st->runs[st->nruns].len = (uint32_t)(b - a);
	st->nruns++;
}

/*
 * The first byte of [p, end) that ends a run ('<', '&', ']', '>', CR), or
 * end; *high set if a byte before it is 0x80 or more.
 */
static inline const unsigned char *
runs_stop(const unsigned char *p, const unsigned char *end, int *high)
{
#ifdef __SSE2__
	__m128i v;
	unsigned hi, stop;

	for (; end - p >= 16; p += 16) {
		v = _mm_loadu_si128((const __m128i *)p);
		hi = (unsigned)_mm_movemask_epi8(v);
		stop = (unsigned)_mm_movemask_epi8(_mm_or_si128(
		    _mm_or_si128(
			_mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('<')),
			    _mm_cmpeq_epi8(v, _mm_set1_epi8('&'))),
			_mm_cmpeq_epi8(v, _mm_set1_epi8(']'))),
		    _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('>')),
			_mm_cmpeq_epi8(v, _mm_set1_epi8('\r')))));
		if (stop != 0) {
			if ((hi & (stop ^ (stop - 1))) != 0)
				*high = 1;
			return p + __builtin_ctz(stop);
		}
		if (hi != 0)
			*high = 1;
	}
#endif
	for (; p < end; p++) {
		if (*p >= 0x80)
			*high = 1;
		else if (*p == '<' || *p == '&' || *p == ']' || *p == '>' ||
			 *p == '\r')
			break;
	}
	return p;
}

/*
 * The runs of element content from p to the next '<', which it returns
 * (end if there is none: that text stays as it is). NULL when a reference
 * in it is not one the scanner knows, or it holds "]]>".
 */
static const unsigned char *
runs_text(struct pstate *st, const unsigned char *base, const unsigned char *p,
    const unsigned char *end, size_t min)
{
	const unsigned char *r;
	size_t nruns = st->nruns;
	int high;

	for (;;) {
		r = p;
		high = 0;
		p = runs_stop(p, end, &high);
		/*
		 * The text after the last markup stays whole: libxml2 may
		 * leave its last byte unread (fewer than two bytes left) when
		 * a reference came before it, and not when it read the text
		 * in one stretch.
		 */
		if (p == end) {
			st->nruns = nruns;
			return end;
		}
		if (high && (size_t)(p - r) >= min && st->nruns < RUNS_MAX)
			runs_add(st, base, r, p);
		if (*p == '<')
			return p;
		if (*p == '&') {
			/* &name; &#digits; &#xhex; and nothing else. */
			p++;
			if (p < end && *p == '#') {
				p++;
				if (p < end && *p == 'x') {
					for (r = ++p; p < end && isxdigit(*p);
					     p++)
						;
				} else {
					for (r = p;
					     p < end && *p >= '0' && *p <= '9';
					     p++)
						;
				}
			} else {
				if (p == end || !runs_name_start(*p) ||
				    *p >= 0x80)
					return NULL;
				for (r = p; p < end && runs_name_char(*p); p++)
					;
			}
			if (p == r || p == end || *p != ';')
				return NULL;
		} else if (*p == '\r' && p + 1 < end && p[1] == '\n')
			p++; /* CR LF is libxml2's, as one LF */
		else if (*p == ']' && end - p >= 3 && p[1] == ']' &&
			 p[2] == '>')
			return NULL;
		p++;
	}
}

/*
 * The first of '<', '>', '"', '\'' and '/' in [p, end) (the bytes that
 * matter in a tag), or end.
 */
static inline const unsigned char *
runs_tag_stop(const unsigned char *p, const unsigned char *end)
{
#ifdef __SSE2__
	__m128i v;
	unsigned stop;

	for (; end - p >= 16; p += 16) {
		v = _mm_loadu_si128((const __m128i *)p);
		stop = (unsigned)_mm_movemask_epi8(_mm_or_si128(
		    _mm_or_si128(
			_mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('<')),
			    _mm_cmpeq_epi8(v, _mm_set1_epi8('>'))),
			_mm_cmpeq_epi8(v, _mm_set1_epi8('"'))),
		    _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('\'')),
			_mm_cmpeq_epi8(v, _mm_set1_epi8('/')))));
		if (stop != 0)
			return p + __builtin_ctz(stop);
	}
#endif
	for (; p < end; p++) {
		if (*p == '<' || *p == '>' || *p == '"' || *p == '\'' ||
		    *p == '/')
			break;
	}
	return p;
}

/*
 * The '>' that ends the tag at p ('<', then a name), quotes respected;
 * end when the bytes end first, NULL for a '<' inside it (or a '/' not
 * right before its '>', or a quote in an end tag).
 */
static const unsigned char *
runs_tag_end(const unsigned char *p, const unsigned char *end, int endtag)
{
	const unsigned char *q;

	for (p += 2;; p++) {
		p = runs_tag_stop(p, end);
		if (p == end || *p == '>')
			return p;
		if (*p == '<' || endtag)
			return NULL;
		if (*p == '/') {
			if (p + 1 < end && p[1] != '>')
				return NULL;
			continue;
		}
		/* A quoted value, without '<'. */
		if ((q = memchr(p + 1, *p, (size_t)(end - p - 1))) == NULL)
			q = end;
		if (memchr(p + 1, '<', (size_t)(q - p - 1)) != NULL)
			return NULL;
		if ((p = q) == end)
			return end;
	}
}

/*
 * Find the runs (st->runs) of a document that libxml2 is to read with
 * charset; 0 when there are none or the scanner gives up.
 */
static size_t
runs_scan(struct pstate *st, const char *data, size_t len, const char *charset,
    size_t min)
{
	const unsigned char *d = (const unsigned char *)data, *end = d + len;
	const unsigned char *p = d, *q;
	char name[64];
	long depth = 0;
	int ended = 0;

	st->nruns = 0;
	if (min == 0 || len < 4 || len > UINT32_MAX)
		return 0;
	if (charset != NULL && strcasecmp(charset, "utf-8") != 0)
		return 0;
	switch (xmlDetectCharEncoding(d, 4)) {
	case XML_CHAR_ENCODING_NONE:
		break;
	case XML_CHAR_ENCODING_UTF8:
		if (memcmp(d, "\xef\xbb\xbf", 3) == 0)
			p += 3;
		break;
	default:
		return 0;
	}
	/* An XML declaration: its encoding, if any, is UTF-8. */
	if (end - p >= 5 && memcmp(p, "<?xml", 5) == 0) {
		for (q = p; q + 1 < end && q - p < 512 &&
			    !(q[0] == '?' && q[1] == '>');
		     q++)
			;
		if (q + 1 >= end || q - p >= 512)
			return 0;
		if (runs_find3(p, q, 'e', 'n', 'c') != NULL &&
		    (!declared_encoding(data, len, name, sizeof name) ||
			strcasecmp(name, "utf-8") != 0))
			return 0;
	}
	if (!runs_chars_ok(d, end) || runs_high_reference(d, end))
		return 0;
	while (p < end) {
		if (*p != '<') {
			/* Text: the tail, after the last markup, stays. */
			if (depth > 0)
				q = runs_text(st, d, p, end, min);
			else if ((q = memchr(p, '<', (size_t)(end - p))) ==
				 NULL)
				q = end;
			if (q == NULL)
				return st->nruns = 0;
			if ((p = q) == end)
				break;
			continue;
		}
		if (end - p < 3)
			break;
		if (p[1] == '!') {
			if (end - p >= 4 && p[2] == '-' && p[3] == '-') {
				/* libxml2 may see "-->" in "<!-->". */
				if (end - p < 6 || p[4] == '>' ||
				    (p[4] == '-' && p[5] == '>'))
					return st->nruns = 0;
				if ((q = runs_find3(
					 p + 4, end, '-', '-', '>')) == NULL)
					break;
			} else if (end - p >= 9 &&
				   memcmp(p + 2, "[CDATA[", 7) == 0) {
				if ((q = runs_find3(
					 p + 9, end, ']', ']', '>')) == NULL)
					break;
			} else
				return st->nruns = 0; /* a DOCTYPE, or what? */
			if (runs_doctype(p, q))
				return st->nruns = 0;
			p = q + 3;
		} else if (p[1] == '?') {
			if (p[2] == '>')
				return st->nruns = 0;
			for (q = p + 2;
			     q + 1 < end && !(q[0] == '?' && q[1] == '>'); q++)
				;
			if (q + 1 >= end)
				break;
			if (runs_doctype(p, q))
				return st->nruns = 0;
			p = q + 2;
		} else if (p[1] == '/') {
			if (!runs_name_start(p[2]) ||
			    (q = runs_tag_end(p, end, 1)) == NULL)
				return st->nruns = 0;
			if (q == end)
				break;
			if (--depth < 0)
				return st->nruns = 0;
			if (depth == 0)
				ended = 1;
			p = q + 1;
		} else {
			/* A start tag: its attribute values may hold '>'. */
			if (ended || !runs_name_start(p[1]) ||
			    (q = runs_tag_end(p, end, 0)) == NULL)
				return st->nruns = 0;
			if (q == end)
				break;
			if (q[-1] != '/')
				depth++;
			else if (depth == 0)
				ended = 1;
			p = q + 1;
		}
	}
	return st->nruns;
}

/* Write "&#xHEX;" for run i at w; its length. */
static size_t
runs_reference(char *w, size_t i)
{
	static const char hex[] = "0123456789ABCDEF";
	unsigned long cp;
	size_t n = 0;
	int shift;

	cp = i < RUNS_PLANE15 ? 0xf0000 + i : 0x100000 + (i - RUNS_PLANE15);
	w[n++] = '&';
	w[n++] = '#';
	w[n++] = 'x';
	for (shift = cp >= 0x100000 ? 20 : 16; shift >= 0; shift -= 4)
		w[n++] = hex[(cp >> shift) & 0xf];
	w[n++] = ';';
	return n;
}

/*
 * The next piece of the copy that libxml2 reads, the runs replaced: from
 * *off in data and run *i on, at most PARSE_CHUNK bytes, in st->tdoc (so
 * the copy never takes more memory than that). Returns its length.
 */
static size_t
runs_piece(
    struct pstate *st, const char *data, size_t len, size_t *off, size_t *i)
{
	size_t n = 0, k, next;
	char *w;

	if (st->tdoc_size < PARSE_CHUNK) {
		free(st->tdoc);
		st->tdoc = xmalloc(PARSE_CHUNK);
		st->tdoc_size = PARSE_CHUNK;
	}
	w = st->tdoc;
	while (*off < len && n < PARSE_CHUNK) {
		if (*i < st->nruns && st->runs[*i].off == *off) {
			if (PARSE_CHUNK - n < RUNS_MIN_LEAST)
				break;
			n += runs_reference(w + n, *i);
			*off += st->runs[*i].len;
			(*i)++;
			continue;
		}
		next = *i < st->nruns ? st->runs[*i].off : len;
		k = next - *off < PARSE_CHUNK - n ? next - *off
						  : PARSE_CHUNK - n;
		memcpy(w + n, data + *off, k);
		n += k;
		*off += k;
	}
	return n;
}

/*
 * The run that the four bytes libxml2 gives as text name, if they are the
 * UTF-8 of a reference the copy holds: its bytes and length.
 */
static inline int
runs_find(struct pstate *st, const xmlChar *ch, const char **s, size_t *n)
{
	unsigned long cp, i;

	if ((ch[0] != 0xf3 || ch[1] < 0xb0) && (ch[0] != 0xf4 || ch[1] >= 0x90))
		return 0;
	cp = ((unsigned long)(ch[0] & 0x07) << 18) |
	     ((unsigned long)(ch[1] & 0x3f) << 12) |
	     ((unsigned long)(ch[2] & 0x3f) << 6) | (ch[3] & 0x3f);
	if (cp >= 0x100000)
		i = cp - 0x100000 + RUNS_PLANE15;
	else if (cp - 0xf0000 < RUNS_PLANE15)
		i = cp - 0xf0000;
	else
		return 0;
	if (i >= st->nruns)
		return 0;
	*s = st->run_base + st->runs[i].off;
	*n = st->runs[i].len;
	return 1;
}

/*
 * libxml2's text handler. Text right inside the root, the channel or the
 * open item is never read (only their elements are): it stays out of the
 * tree, which saves a node and its copy for each run of white space between
 * elements. Whatever comes next starts or ends an element first, which
 * resets libxml2's record of the last text node, so no later text can be
 * joined to a node that is not there.
 */
static void
text_add(xmlParserCtxtPtr ctxt, const xmlChar *ch, size_t len)
{
	struct pstate *st = ctxt->_private;
	xmlNodePtr n = ctxt->node;

	if (ctxt != st->ctxt || n == NULL) {
		xmlSAX2Characters(ctxt, ch, (int)len);
		return;
	}
	if (!st->light) {
		if (n == st->cur || n == st->channel || n == st->root)
			return;
		if (n != st->text_node) {
			text_flush(st, ctxt);
			st->text_node = n;
		}
	}
	if (st->text.size - st->text.len <= len)
		buf_make_room(&st->text, len + 1);
	memcpy(st->text.data + st->text.len, ch, len);
	st->text.len += len;
	st->text.data[st->text.len] = '\0';
	/* libxml2's own limit on a text node stays as it was, nearly. */
	if (st->text.len >= PARSE_TEXT_BATCH) {
		if (st->light)
			light_real(st, ctxt);
		text_flush(st, ctxt);
	}
}

static void
parse_characters(void *arg, const xmlChar *ch, int len)
{
	xmlParserCtxtPtr ctxt = arg;
	struct pstate *st = ctxt->_private;
	const char *s;
	size_t n, k;

	/*
	 * A reference that names a text run (see runs_scan): the run's bytes
	 * instead, at most PARSE_TEXT_BATCH at a time, as if libxml2 had
	 * read them itself.
	 */
	if (len == 4 && st->nruns > 0 && ctxt == st->ctxt &&
	    runs_find(st, ch, &s, &n)) {
		for (; n > 0; s += k, n -= k) {
			k = n < PARSE_TEXT_BATCH ? n : PARSE_TEXT_BATCH;
			text_add(ctxt, (const xmlChar *)s, k);
		}
		return;
	}
	text_add(ctxt, ch, (size_t)len);
}

/*
 * The rest of libxml2's handlers that add to the tree: the document
 * parser's text first (an entity's parser gathers none).
 */
static void
text_flush_doc(xmlParserCtxtPtr ctxt)
{
	struct pstate *st = ctxt->_private;

	if (ctxt != st->ctxt)
		return;
	if (st->light)
		light_real(st, ctxt);
	text_flush(st, ctxt);
}

static void
parse_reference(void *arg, const xmlChar *name)
{
	text_flush_doc(arg);
	xmlSAX2Reference(arg, name);
}

static void
parse_comment(void *arg, const xmlChar *value)
{
	text_flush_doc(arg);
	xmlSAX2Comment(arg, value);
}

static void
parse_pi(void *arg, const xmlChar *target, const xmlChar *data)
{
	text_flush_doc(arg);
	xmlSAX2ProcessingInstruction(arg, target, data);
}

/* One run of the push parser over the bytes, into st. */
static void
document_push(struct pstate *st, const char *data, size_t len,
    const char *uri, const char *charset, int options)
{
	xmlParserCtxtPtr ctxt;
	size_t off, n, roff = 0, ri = 0;
	int i;

	/*
	 * The push parser, even with all the bytes at hand: it reads text and
	 * CDATA in bulk where xmlCtxtReadMemory goes a character at a time,
	 * and it keeps only a window of the input converted to UTF-8.
	 */
	if ((ctxt = xmlCreatePushParserCtxt(NULL, NULL, NULL, 0, NULL)) ==
	    NULL)
		fatalx("xmlCreatePushParserCtxt");
	/*
	 * Text runs as references, where the scanner is sure (runs_scan):
	 * libxml2 reads a copy, made a piece at a time.
	 */
	st->run_base = data;
	runs_last = runs_scan(st, data, len, charset, (size_t)runs_min);
	n = st->nruns > 0 ? runs_piece(st, data, len, &roff, &ri) : len;
	/* The first four bytes show a byte order mark or UTF-16/32. */
	off = n < 4 ? n : 4;
	xmlCtxtResetPush(
	    ctxt, st->nruns > 0 ? st->tdoc : data, (int)off, uri, charset);
	xmlCtxtUseOptions(ctxt, options);
	ctxt->sax->getEntity = parse_get_entity;
	ctxt->sax->startElementNs = parse_start_element;
	ctxt->sax->endElementNs = parse_end_element;
	/* Both, or libxml2 starts telling white space apart from text. */
	ctxt->sax->characters = parse_characters;
	ctxt->sax->ignorableWhitespace = parse_characters;
	ctxt->sax->reference = parse_reference;
	ctxt->sax->comment = parse_comment;
	ctxt->sax->processingInstruction = parse_pi;
	ctxt->_private = st;
	st->ctxt = ctxt;
	/* A new dictionary: its strings may be where the last one's were. */
	memset(st->rule_memo, 0, sizeof st->rule_memo);
	st->nodes = st->nitems = 0;
	if (st->nruns > 0) {
		for (;;) {
			if (off < n &&
			    xmlParseChunk(
				ctxt, st->tdoc + off, (int)(n - off), 0) != 0 &&
			    ctxt->disableSAX)
				break;
			if (roff == len)
				break;
			n = runs_piece(st, data, len, &roff, &ri);
			off = 0;
		}
	} else {
		for (; off < len; off += n) {
			n = len - off < PARSE_CHUNK ? len - off : PARSE_CHUNK;
			if (xmlParseChunk(ctxt, data + off, (int)n, 0) != 0 &&
			    ctxt->disableSAX)
				break;
		}
	}
	xmlParseChunk(ctxt, NULL, 0, 1);
	/*
	 * Text the parser delivered before it stopped is in the tree too;
	 * but not a light kid's, whose item, open, is never read.
	 */
	if (st->light) {
		st->light = 0;
		st->text.len = 0;
	}
	text_flush(st, ctxt);
	stream_check(st, ctxt, 1);
	st->ctxt = NULL;
	st->nruns = 0;
	st->run_base = NULL;
	st->doc = ctxt->myDoc;
	ctxt->myDoc = NULL;
	if (st->doc != NULL && ctxt->nodeNr > 0) {
		st->open = xreallocarray(NULL, ctxt->nodeNr, sizeof *st->open);
		for (i = 0; i < ctxt->nodeNr; i++)
			st->open[i] = ctxt->nodeTab[i];
		st->nopen = ctxt->nodeNr;
	}
	xmlFreeParserCtxt(ctxt);
}

/*
 * Parse the bytes into st->doc. The HTTP charset, when libxml2 knows it,
 * overrides the XML declaration (RFC 3023); but not a byte order mark or
 * UTF-16/32 signature, which cannot be there by accident while servers'
 * default charsets are often wrong.
 */
static int
document_read(struct pstate *st, const char *data, size_t len,
    const struct parse_context *ctx, char **cause)
{
	xmlCharEncodingHandlerPtr handler;
	char *uri, *charset = NULL, *mended = NULL, *fixed;
	int options, again = 0;

	if (len > INT_MAX) {
		*cause = xstrdup("document too large");
		return -1;
	}
	options = XML_PARSE_RECOVER | XML_PARSE_NONET | XML_PARSE_NOERROR |
	    XML_PARSE_NOWARNING | XML_PARSE_NOCDATA | XML_PARSE_COMPACT;
	if (ctx != NULL && !has_unicode_signature(data, len))
		charset = content_type_charset(ctx->content_type);
	if (charset != NULL) {
		if ((handler = xmlFindCharEncodingHandler(charset)) == NULL) {
			free(charset);
			charset = NULL;
		} else {
			xmlCharEncCloseFunc(handler);
			options |= XML_PARSE_IGNORE_ENC;
		}
	}
	if ((mended = utf32_convert(data, &len)) != NULL) {
		data = mended;
		free(charset);
		charset = xstrdup("utf-8");
		options |= XML_PARSE_IGNORE_ENC;
	}
	uri = document_uri(ctx);
	document_push(st, data, len, uri, charset, options);
	/*
	 * libxml2 stops at the first byte that is not in its encoding, and
	 * drops a bare '&' with what follows it; only when it reported an
	 * error is the whole document checked, and read again mended.
	 */
	if (st->error != NULL && mended == NULL && (!has_unicode_signature(data,
	    len) || memcmp(data, "\xef\xbb\xbf", 3) == 0)) {
		again = utf8_mend(data, &len, &charset, &options, &mended);
		if (ascii_compatible(data, len, charset) &&
		    (fixed = amp_repair(mended != NULL ? mended : data,
		    &len)) != NULL) {
			free(mended);
			mended = fixed;
			again = 1;
		}
	}
	if (again) {
		stream_clear(st);
		/* Nothing refers to the first run's item text any more. */
		arena_free(parse_arena);
		parse_arena = NULL;
		st->entities = PARSE_MAX_ENTITIES;
		st->entity_bytes = PARSE_MAX_ENTITY_BYTES;
		st->entity_overflow = 0;
		xmlFreeDoc(st->doc);
		free(st->open);
		free(st->error);
		st->doc = NULL;
		st->open = NULL;
		st->nopen = 0;
		st->error = NULL;
		st->entity_loop = 0;
		document_push(st, mended != NULL ? mended : data, len, uri,
		    charset, options);
	}
	free(uri);
	free(charset);
	free(mended);

	if (st->entity_loop) {
		*cause = xstrdup("refused: entity reference loop");
		return -1;
	}
	if (st->doc == NULL || xmlDocGetRootElement(st->doc) == NULL) {
		if (st->error != NULL)
			xasprintf(cause, "not XML: %s", st->error);
		else
			*cause = xstrdup("not XML");
		return -1;
	}
	return 0;
}

static int
is_blank(const char *data, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (!is_ascii_space((unsigned char)data[i]))
			return 0;
	}
	return 1;
}

/* The items read as the tree was built become the feed's first. */
static void
stream_take(struct pstate *st, struct feed *f)
{
	f->items = st->items;
	f->nitems = st->nread;
	st->items = NULL;
	st->nread = st->nalloc = 0;
}

static struct feed *
feed_build(struct pstate *st, char **cause)
{
	xmlNodePtr root, n, channel = NULL;
	struct feed *f;
	const char *name;
	enum ns rootns;

	root = xmlDocGetRootElement(st->doc);
	name = (const char *)root->name;
	st->bare = NS_NONE;
	rootns = node_ns(st, root);

	if (strcmp(name, "feed") == 0 &&
	    (rootns == NS_ATOM || rootns == NS_NONE)) {
		st->bare = NS_ATOM;
		f = xcalloc(1, sizeof *f);
		feed_read_meta(st, root, f);
		stream_take(st, f);	/* the entries, read as they closed */
		return f;
	}
	if (strcmp(name, "rss") == 0 ||
	    (strcmp(name, "RDF") == 0 && (rootns == NS_RDF ||
	    rootns == NS_NONE))) {
		st->bare = NS_RSS;
		for (n = root->children; n != NULL; n = n->next) {
			if (node_is(st, n, NS_RSS, "channel")) {
				channel = n;
				break;
			}
		}
		f = xcalloc(1, sizeof *f);
		/* <rss> without <channel> is read as if it were one. */
		if (channel == NULL)
			channel = root;
		feed_read_meta(st, channel, f);
		/*
		 * RSS 1.0 items are siblings of the channel, 2.0 its children;
		 * those were read as they closed, those are read now.
		 */
		if (channel != root)
			stream_take(st, f);
		feed_read_items(st, root, NS_RSS, "item", f);
		return f;
	}
	xasprintf(cause, "not a feed: root element <%s>", name);
	return NULL;
}

/*
 * The working buffers of the last document parsed, kept for the next one
 * unless a hostile document made them large (PARSE_KEEP_MAX bytes each).
 */
#define PARSE_KEEP_MAX (256 * 1024)

static struct {
	struct buf text;
	struct kid *kids;
	size_t kids_alloc;
	struct kid_attr *kid_attrs;
	size_t kid_attrs_alloc;
	struct buf kid_values;
	struct run *runs;
	size_t runs_alloc;
	char *tdoc;
	size_t tdoc_size;
} parse_kept;

static void
pstate_take(struct pstate *st)
{
	st->text = parse_kept.text;
	st->text.len = 0;
	st->kids = parse_kept.kids;
	st->kids_alloc = parse_kept.kids_alloc;
	st->kid_attrs = parse_kept.kid_attrs;
	st->kid_attrs_alloc = parse_kept.kid_attrs_alloc;
	st->kid_values = parse_kept.kid_values;
	st->kid_values.len = 0;
	st->runs = parse_kept.runs;
	st->runs_alloc = parse_kept.runs_alloc;
	st->tdoc = parse_kept.tdoc;
	st->tdoc_size = parse_kept.tdoc_size;
	memset(&parse_kept, 0, sizeof parse_kept);
}

static void
pstate_keep(struct pstate *st)
{
	if (st->text.size > PARSE_KEEP_MAX)
		buf_free(&st->text);
	parse_kept.text = st->text;
	if (st->kids_alloc * sizeof *st->kids > PARSE_KEEP_MAX) {
		free(st->kids);
		st->kids = NULL;
		st->kids_alloc = 0;
	}
	parse_kept.kids = st->kids;
	parse_kept.kids_alloc = st->kids_alloc;
	if (st->kid_attrs_alloc * sizeof *st->kid_attrs > PARSE_KEEP_MAX) {
		free(st->kid_attrs);
		st->kid_attrs = NULL;
		st->kid_attrs_alloc = 0;
	}
	parse_kept.kid_attrs = st->kid_attrs;
	parse_kept.kid_attrs_alloc = st->kid_attrs_alloc;
	if (st->kid_values.size > PARSE_KEEP_MAX)
		buf_free(&st->kid_values);
	parse_kept.kid_values = st->kid_values;
	if (st->runs_alloc * sizeof *st->runs > PARSE_KEEP_MAX) {
		free(st->runs);
		st->runs = NULL;
		st->runs_alloc = 0;
	}
	parse_kept.runs = st->runs;
	parse_kept.runs_alloc = st->runs_alloc;
	if (st->tdoc_size > PARSE_KEEP_MAX) {
		free(st->tdoc);
		st->tdoc = NULL;
		st->tdoc_size = 0;
	}
	parse_kept.tdoc = st->tdoc;
	parse_kept.tdoc_size = st->tdoc_size;
}

struct feed *
parse_feed(const char *data, size_t len, const struct parse_context *ctx,
    char **cause)
{
	struct pstate st;
	struct feed *f = NULL;
	struct arena *old_arena;
	xmlStructuredErrorFunc old_serror;
	xmlGenericErrorFunc old_error;
	void *old_serror_ctx, *old_error_ctx;
	char *why = NULL;

	if (data == NULL || is_blank(data, len)) {
		why = xstrdup("empty document");
		goto out;
	}

	memset(&st, 0, sizeof st);
	st.entities = PARSE_MAX_ENTITIES;
	st.entity_bytes = PARSE_MAX_ENTITY_BYTES;
	pstate_take(&st);

	/*
	 * Some libxml2 messages (encoding errors) bypass the parser options;
	 * route all of them here while parsing, keeping the first for *cause.
	 */
	old_serror = xmlStructuredError;
	old_serror_ctx = xmlStructuredErrorContext;
	old_error = xmlGenericError;
	old_error_ctx = xmlGenericErrorContext;
	xmlSetStructuredErrorFunc(&st, parse_error);
	xmlSetGenericErrorFunc(NULL, parse_silent);
	old_arena = parse_arena;
	parse_arena = NULL;

	if (document_read(&st, data, len, ctx, &why) == 0)
		f = feed_build(&st, &why);

	xmlSetStructuredErrorFunc(old_serror_ctx, old_serror);
	xmlSetGenericErrorFunc(old_error_ctx, old_error);
	stream_clear(&st); /* what no feed took */
	/* The item text the feed holds is the feed's now. */
	if (f != NULL)
		f->strings = parse_arena;
	else
		arena_free(parse_arena);
	parse_arena = old_arena;
	if (f != NULL && st.entity_overflow) {
		parse_feed_free(f);
		f = NULL;
		why = xstrdup("refused: entities expand too much");
	}
	pstate_keep(&st);
	xmlFreeDoc(st.doc);
	free(st.open);
	free(st.error);
out:
	if (cause != NULL)
		*cause = why;
	else
		free(why);
	return f;
}

void
parse_feed_free(struct feed *f)
{
	size_t i;

	if (f == NULL)
		return;
	for (i = 0; i < f->nitems; i++)
		item_clear(f->strings, &f->items[i]);
	free(f->items);
	arena_str_free(f->strings, f->title);
	arena_str_free(f->strings, f->link);
	arena_str_free(f->strings, f->lang);
	arena_free(f->strings);
	free(f);
}

/* --- dates ------------------------------------------------------------ */

static int
days_in_month(int y, int m)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };

	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return days[m - 1];
}

/* Exactly n digits at *p (no more, no fewer); advances *p. */
static int
date_digits(const char **p, int n, int *out)
{
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*p)[i]))
			return -1;
		v = v * 10 + ((*p)[i] - '0');
	}
	if (isdigit((unsigned char)(*p)[n]))
		return -1;
	*p += n;
	*out = v;
	return 0;
}

/* One to max digits at *p; advances *p. */
static int
date_number(const char **p, int max, int *out, int *ndigits)
{
	int v = 0, n = 0;

	while (isdigit((unsigned char)**p)) {
		if (++n > max)
			return -1;
		v = v * 10 + (**p - '0');
		(*p)++;
	}
	if (n == 0)
		return -1;
	*out = v;
	if (ndigits != NULL)
		*ndigits = n;
	return 0;
}

static int64_t
date_make(int y, int mo, int d, int h, int mi, int s, int zone_minutes)
{
	if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) ||
	    h < 0 || h > 24 || mi < 0 || mi > 59 || s < 0 || s > 60 ||
	    (h == 24 && (mi != 0 || s != 0)))
		return PARSE_NO_TIME;
	return time_days_from_civil(y, mo, d) * 86400 + (int64_t)h * 3600 +
	    mi * 60 + s - (int64_t)zone_minutes * 60;
}

/* "Z", "+hh:mm", "+hhmm" or "+hh"; returns -1 if none of these. */
static int
date_numeric_zone(const char **p, int *minutes)
{
	const char *q = *p;
	int sign, h, m = 0;

	if (*q != '+' && *q != '-')
		return -1;
	sign = *q++ == '-' ? -1 : 1;
	if (date_digits(&q, 4, &h) == 0) {
		m = h % 100;
		h /= 100;
	} else if (date_digits(&q, 2, &h) == 0) {
		if (*q == ':') {
			q++;
			if (date_digits(&q, 2, &m) != 0)
				return -1;
		}
	} else
		return -1;
	if (h > 23 || m > 59)
		return -1;
	*minutes = sign * (h * 60 + m);
	*p = q;
	return 0;
}

/* RFC 3339 / W3C-DTF, with the partial forms; no zone is UTC. */
static int64_t
date_w3c(const char *p)
{
	int y, mo = 1, d = 1, h = 0, mi = 0, s = 0, zone = 0;

	if (date_digits(&p, 4, &y) != 0)
		return PARSE_NO_TIME;
	if (*p == '-') {
		p++;
		if (date_digits(&p, 2, &mo) != 0)
			return PARSE_NO_TIME;
		if (*p == '-') {
			p++;
			if (date_digits(&p, 2, &d) != 0)
				return PARSE_NO_TIME;
			if (*p == 'T' || *p == 't' || (*p == ' ' &&
			    isdigit((unsigned char)p[1]))) {
				p++;
				if (date_digits(&p, 2, &h) != 0 || *p++ != ':' ||
				    date_digits(&p, 2, &mi) != 0)
					return PARSE_NO_TIME;
				if (*p == ':') {
					p++;
					if (date_digits(&p, 2, &s) != 0)
						return PARSE_NO_TIME;
					if (*p == '.' || *p == ',') {
						p++;
						if (!isdigit((unsigned char)*p))
							return PARSE_NO_TIME;
						while (isdigit((unsigned char)*p))
							p++;
					}
				}
				if (*p == ' ')
					p++;
				if (*p == 'Z' || *p == 'z')
					p++;
				else if (*p == '+' || *p == '-') {
					if (date_numeric_zone(&p, &zone) != 0)
						return PARSE_NO_TIME;
				}
			}
		}
	}
	if (*p != '\0')
		return PARSE_NO_TIME;
	return date_make(y, mo, d, h, mi, s, zone);
}

static const char *months[] = {
	"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct",
	"nov", "dec",
};

static const struct {
	const char *name;
	int minutes;
} zones[] = {
	{ "ut", 0 }, { "utc", 0 }, { "gmt", 0 }, { "z", 0 },
	{ "est", -300 }, { "edt", -240 }, { "cst", -360 }, { "cdt", -300 },
	{ "mst", -420 }, { "mdt", -360 }, { "pst", -480 }, { "pdt", -420 },
	{ "bst", 60 }, { "cet", 60 }, { "cest", 120 }, { "eet", 120 },
	{ "eest", 180 }, { "msk", 180 }, { "ast", 180 }, { "jst", 540 },
};

/* A word of letters at *p, lower-cased into w; advances *p. */
static size_t
date_word(const char **p, char *w, size_t size)
{
	size_t n = 0;

	while (isalpha((unsigned char)**p)) {
		if (n + 1 < size)
			w[n++] = (char)tolower((unsigned char)**p);
		(*p)++;
	}
	w[n] = '\0';
	return n;
}

static int
date_month(const char *w)
{
	size_t i;

	if (strlen(w) < 3)
		return 0;
	for (i = 0; i < nitems(months); i++) {
		if (strncmp(w, months[i], 3) == 0)
			return (int)i + 1;
	}
	return 0;
}

static void
date_skip(const char **p)
{
	while (**p == ' ' || **p == ',' || **p == '-' || **p == '\t' ||
	    **p == '/')
		(*p)++;
}

/*
 * RFC 822 as feeds write it when curl refuses it: weekday optional, day and
 * month either way round, two- or four-digit year, seconds optional, a zone
 * as a number (with or without colon) or a name; an unknown zone name is
 * taken as UTC.
 */
static int64_t
date_rfc822(const char *p)
{
	char w[16];
	int y = -1, mo = 0, d = -1, h = 0, mi = 0, s = 0, zone = 0;
	int v, n;
	size_t i;

	date_skip(&p);
	/* Weekday, or the month when it comes first. */
	if (isalpha((unsigned char)*p)) {
		date_word(&p, w, sizeof w);
		mo = date_month(w);
		date_skip(&p);
	}
	if (date_number(&p, 2, &d, NULL) != 0)
		return PARSE_NO_TIME;
	date_skip(&p);
	if (mo == 0) {
		date_word(&p, w, sizeof w);
		if ((mo = date_month(w)) == 0)
			return PARSE_NO_TIME;
		date_skip(&p);
	}
	if (date_number(&p, 4, &y, &n) != 0 || n == 3 || *p == ':')
		return PARSE_NO_TIME;
	if (n <= 2)
		y += y < 50 ? 2000 : 1900;
	date_skip(&p);

	if (isdigit((unsigned char)*p)) {
		if (date_number(&p, 2, &h, NULL) != 0 || *p++ != ':' ||
		    date_digits(&p, 2, &mi) != 0)
			return PARSE_NO_TIME;
		if (*p == ':') {
			p++;
			if (date_digits(&p, 2, &s) != 0)
				return PARSE_NO_TIME;
			if (*p == '.') {
				p++;
				while (isdigit((unsigned char)*p))
					p++;
			}
		}
		while (*p == ' ')
			p++;
		if (*p == '+' || *p == '-') {
			if (date_numeric_zone(&p, &v) != 0)
				return PARSE_NO_TIME;
			zone = v;
		} else if (isalpha((unsigned char)*p)) {
			date_word(&p, w, sizeof w);
			for (i = 0; i < nitems(zones); i++) {
				if (strcmp(w, zones[i].name) == 0) {
					zone = zones[i].minutes;
					break;
				}
			}
			/* "GMT+0100" */
			if ((*p == '+' || *p == '-') &&
			    date_numeric_zone(&p, &v) == 0)
				zone = v;
		}
	}
	return date_make(y, mo, d, h, mi, s, zone);
}

/* The letters A-Z folded to a-z; other bytes as they are. */
static inline int
date_fold(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? c | 0x20 : c;
}

/*
 * Which of the n names (each of width bytes, lower case) the bytes at p
 * are, ignoring case, with no letter after them: 0 for the first, -1 if
 * none.
 */
static int
date_name(const char *p, const char *names, int n, int width)
{
	int i, j;

	for (j = 0; j < width; j++) {
		if (p[j] == '\0')
			return -1;
	}
	if (isalpha((unsigned char)p[width]))
		return -1;
	for (i = 0; i < n; i++) {
		for (j = 0; j < width && date_fold((unsigned char)p[j]) ==
					     names[i * width + j];
		     j++)
			;
		if (j == width)
			return i;
	}
	return -1;
}

/*
 * The forms RSS dates take, "Sun, 06 Nov 1994 08:49:37 GMT" and its
 * common variants: weekday short, long or none, day of one or two digits,
 * month of three letters in any case, year of two or four digits, seconds
 * or none, zone as "+hhmm", "+hh:mm", a US name or none (UTC). Read here
 * to the value parse_date's fallback gives them (curl_getdate, or
 * date_rfc822 where curl refuses them: "+hh:mm") at a fraction of curl's
 * cost (sscanf and strtol for every part). Anything else, out of range, or
 * where the two read alike forms otherwise (a two-digit year or no seconds
 * with "+hh:mm"; day 31 of a shorter month; second 60) is PARSE_NO_TIME:
 * not taken, and left to the fallback.
 */
static int64_t
date_rfc822_common(const char *p)
{
	static const char wdays[] = "montuewedthufrisatsun";
	static const char *wlong[] = {"monday", "tuesday", "wednesday",
	    "thursday", "friday", "saturday", "sunday"};
	static const char mons[] = "janfebmaraprmayjunjulaugsepoctnovdec";
	static const struct {
		const char *name;
		int minutes;
	} tz[] = {
	    {"GMT", 0},
	    {"UT", 0},
	    {"UTC", 0},
	    {"EST", -300},
	    {"EDT", -240},
	    {"CST", -360},
	    {"CDT", -300},
	    {"MST", -420},
	    {"MDT", -360},
	    {"PST", -480},
	    {"PDT", -420},
	};
	const char *q;
	int i, n, d, mo, y, ny, h, mi, s = 0, secs = 0, zone = 0, colon = 0;

	if (isalpha((unsigned char)p[0])) {
		if (date_name(p, wdays, 7, 3) >= 0)
			p += 3;
		else {
			for (i = 0; i < 7; i++) {
				n = (int)strlen(wlong[i]);
				if (date_name(p, wlong[i], 1, n) == 0)
					break;
			}
			if (i == 7)
				return PARSE_NO_TIME;
			p += n;
		}
		if (p[0] != ',' || p[1] != ' ')
			return PARSE_NO_TIME;
		p += 2;
	}
	if (!isdigit((unsigned char)p[0]))
		return PARSE_NO_TIME;
	d = *p++ - '0';
	if (isdigit((unsigned char)*p))
		d = d * 10 + (*p++ - '0');
	if (*p++ != ' ' || (mo = date_name(p, mons, 12, 3)) < 0 || p[3] != ' ')
		return PARSE_NO_TIME;
	p += 4;
	for (y = 0, ny = 0; ny < 5 && isdigit((unsigned char)p[ny]); ny++)
		y = y * 10 + (p[ny] - '0');
	if ((ny != 2 && ny != 4) || p[ny] != ' ')
		return PARSE_NO_TIME;
	p += ny + 1;
	if (date_digits(&p, 2, &h) != 0 || *p++ != ':' ||
	    date_digits(&p, 2, &mi) != 0)
		return PARSE_NO_TIME;
	if (*p == ':') {
		p++;
		if (date_digits(&p, 2, &s) != 0)
			return PARSE_NO_TIME;
		secs = 1;
	}
	if (*p == ' ') {
		p++;
		if (*p == '+' || *p == '-') {
			q = p + 1;
			if (date_digits(&q, 4, &zone) == 0) {
				if (zone >= 1300 || zone % 100 > 59)
					return PARSE_NO_TIME;
				n = zone / 100 * 60 + zone % 100;
			} else if (date_digits(&q, 2, &n) == 0 && *q == ':') {
				q++;
				if (date_digits(&q, 2, &zone) != 0 || n > 23 ||
				    zone > 59)
					return PARSE_NO_TIME;
				n = n * 60 + zone;
				colon = 1;
			} else
				return PARSE_NO_TIME;
			zone = *p == '-' ? -n : n;
			p = q;
		} else {
			for (i = 0; i < (int)nitems(tz); i++) {
				if (strcmp(p, tz[i].name) == 0)
					break;
			}
			if (i == (int)nitems(tz))
				return PARSE_NO_TIME;
			p += strlen(tz[i].name);
			zone = tz[i].minutes;
		}
	}
	if (*p != '\0')
		return PARSE_NO_TIME;
	/*
	 * curl refuses "+hh:mm" after seconds (date_rfc822 reads it, and
	 * two-digit years otherwise than curl), and misreads it without.
	 */
	if (colon && (!secs || ny != 4))
		return PARSE_NO_TIME;
	if (ny == 2)
		y += y > 70 ? 1900 : 2000;
	if (y < 1971 || d < 1 || d > days_in_month(y, mo + 1) || h > 23 ||
	    mi > 59 || s > 59)
		return PARSE_NO_TIME;
	return date_make(y, mo + 1, d, h, mi, s, zone);
}

/*
 * What the forms date_rfc822_common does not read give: curl_getdate's
 * value, or date_rfc822's where curl refuses the date.
 */
static int64_t
date_fallback(const char *tmp)
{
	time_t t;

	/*
	 * curl says -1 for failure, and 0 both for the epoch and for the
	 * second before it, which only our own reading tells apart.
	 */
	t = curl_getdate(tmp, NULL);
	if (t == 0 && date_rfc822(tmp) == -1)
		return -1;
	if (t != -1)
		return (int64_t)t;
	return date_rfc822(tmp);
}

/* The date s trimmed into tmp; 0 if empty or too long. */
static int
date_trimmed(const char *s, char *tmp, size_t size)
{
	size_t len;

	while (is_ascii_space((unsigned char)*s))
		s++;
	len = strlen(s);
	while (len > 0 && is_ascii_space((unsigned char)s[len - 1]))
		len--;
	if (len == 0 || len >= size)
		return 0;
	memcpy(tmp, s, len);
	tmp[len] = '\0';
	return 1;
}

static int
date_is_w3c(const char *p)
{
	return isdigit((unsigned char)p[0]) && isdigit((unsigned char)p[1]) &&
	       isdigit((unsigned char)p[2]) && isdigit((unsigned char)p[3]) &&
	       (p[4] == '-' || p[4] == '\0');
}

int64_t
parse_date_reference(const char *s)
{
	char tmp[128];

	if (s == NULL || !date_trimmed(s, tmp, sizeof tmp))
		return PARSE_NO_TIME;
	if (date_is_w3c(tmp))
		return date_w3c(tmp);
	return date_fallback(tmp);
}

int64_t
parse_date(const char *s)
{
	char tmp[128];
	int64_t t;

	if (s == NULL || !date_trimmed(s, tmp, sizeof tmp))
		return PARSE_NO_TIME;
	if (date_is_w3c(tmp))
		return date_w3c(tmp);
	if ((t = date_rfc822_common(tmp)) != PARSE_NO_TIME)
		return t;
	return date_fallback(tmp);
}
