/*
 * Exploratory prototype for issue #7 (not used by the daemon): a tokenizer
 * for runs of Arabic text that works by 16-byte blocks (SSE2), measured
 * against daemon/match.c's arabic_words and a bare scalar floor loop.
 *
 *   tok-proto [-v 1|2|3] [-m 0-4] [-r ROUNDS] FILE
 *
 * FILE is item text (for example /tmp/itemtext.txt). The file includes
 * daemon/match.c so that it can use its fold tables and call arabic_words
 * itself; nothing of match.c is changed.
 *
 * What the block path handles (everything else is left to a scalar path,
 * here only counted): words of the common Arabic letters, U+0620-U+063F
 * (D8 A0-BF) and U+0641-U+064A (D9 81-8A), with a one-byte ASCII
 * separator (as match.c's table has them) on both sides. Those letters and
 * their folds (أ إ آ -> ا, ؤ -> و, ئ -> ي, ة -> ه, ى -> ي) are checked at
 * start against fold_arabic2. Per block: letter starts and separators as
 * masks, the block folded (byte adds) and stored with separators as NULs,
 * then word starts and ends taken from the masks' transitions; per word
 * only a hash of its folded bytes 16 at a time (not FNV: see BENCHMARKS.md),
 * its heads from the same registers, the union's tests and the record.
 */
#include <ctype.h>
#include <unistd.h>
#include <emmintrin.h>
#include <immintrin.h>
#include <stdio.h>
#include <time.h>

#include "../daemon/match.c"

static double
cpu_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* ---------------------------------------------------------------- R */

/*
 * R: the tree's arabic_words over the text. It is entered at an Arabic
 * letter after a separator (or at the start); a word that goes on with
 * something else is dropped, as the block path leaves it to the scalar
 * path.
 */
static size_t
run_ref(const char *text, size_t n, struct toklist *tl, unsigned char *base)
{
	const uint32_t *fast = fold_fast, *arabic2 = fold_arabic2;
	const char *p = text, *e = text + n;
	unsigned char *w = base;
	int boundary = 1;
	struct tstate st;

	tl->n = 0;
	while (p < e) {
		uint16_t u;
		uint32_t v;
		unsigned b = (unsigned char)*p;

		memcpy(&u, p, 2);
		if (boundary && (v = arabic2[u]) != 0) {
			memset(&st, 0, sizeof st);
			st.p = p;
			st.w = w;
			if (arabic_words(&st, v, fast, arabic2, tl, base)) {
				/* Goes on with something else: dropped. */
				w = base + st.t->off;
				tl->n--;
				boundary = 0;
			} else {
				w = st.w;
				boundary = 1;
			}
			p = st.p;
			continue;
		}
		if (b < 0x80) {
			boundary = b != 0 &&
			    (fast[b] & (FOLD_FLAGS | FOLD_CLASS_BITS)) == 0;
			p++;
		} else if (sep2(fast, p)) {
			boundary = 1;
			p += 2;
		} else {
			boundary = 0;
			p++;
			while (p < e && ((unsigned char)*p & 0xc0) == 0x80)
				p++;
		}
	}
	return tl->n;
}

/* ---------------------------------------------------------------- F */

/* F: the lead's floor, a table lookup and an FNV step per Arabic letter. */
static uint32_t floor_tab[65536];

static size_t
run_floor(const unsigned char *b, size_t n, uint32_t *out)
{
	uint32_t h = HASH_OFFSET, x = 0;
	size_t nw = 0;
	const unsigned char *p = b, *e = b + n;

	while (p < e) {
		uint16_t u;
		uint32_t v;

		memcpy(&u, p, 2);
		v = floor_tab[u];
		if (v) {
			h = (h ^ v) * HASH_PRIME;
			p += 2;
			continue;
		}
		if (h != HASH_OFFSET) {
			x ^= h;
			nw++;
			h = HASH_OFFSET;
		}
		p++;
	}
	*out = x;
	return nw;
}

/* ---------------------------------------------------------------- P */

#define K0 0x9e3779b97f4a7c15ull
#define K1 0xc2b2ae3d27d4eb4full
#define K2 0x165667b19e3779f9ull
#define K3 0xd6e8feb86659fd93ull
#define K4 0xff51afd7ed558ccdull

static unsigned char lenmask[17][16];

static inline uint32_t
bmix(uint64_t x)
{
	x ^= x >> 29;
	x *= K3;
	return (uint32_t)(x >> 32);
}

/*
 * The hash of a token's folded bytes s[0..len) (the block path's; the
 * keyword side would have to use it too): 16 bytes at a time, zeros after
 * the end. Returns the hash; *head and *head5 the hashes of the first 6 and
 * 10 bytes (three and five Arabic letters) when the token is longer.
 */
static inline uint32_t
bhash(const unsigned char *s, uint32_t len, uint32_t *head, uint32_t *head5)
{
	__m128i a = _mm_loadu_si128((const __m128i *)s);
	uint64_t lo, hi, acc;
	uint32_t h;

	lo = (uint64_t)_mm_cvtsi128_si64(a);
	hi = (uint64_t)_mm_cvtsi128_si64(_mm_unpackhi_epi64(a, a));
	*head = bmix((lo & 0xffffffffffffull) * K0 + 6 * K2);
	*head5 = bmix(lo * K0 + (hi & 0xffffull) * K1 + 10 * K2);
	if (len <= 16) {
		a = _mm_and_si128(a, _mm_loadu_si128((const __m128i *)
						     lenmask[len]));
		lo = (uint64_t)_mm_cvtsi128_si64(a);
		hi = (uint64_t)_mm_cvtsi128_si64(_mm_unpackhi_epi64(a, a));
		h = bmix(lo * K0 + hi * K1 + len * K2);
	} else {
		uint32_t k = 16;

		acc = lo * K0 + hi * K1;
		for (; k < len; k += 16) {
			uint32_t r = len - k > 16 ? 16 : len - k;

			a = _mm_and_si128(
			    _mm_loadu_si128((const __m128i *)(s + k)),
			    _mm_loadu_si128((const __m128i *)lenmask[r]));
			lo = (uint64_t)_mm_cvtsi128_si64(a);
			hi = (uint64_t)_mm_cvtsi128_si64(
			    _mm_unpackhi_epi64(a, a));
			acc = (acc ^ (lo * K0 + hi * K1)) * K4;
		}
		h = bmix(acc + len * K2);
	}
	if (len <= 2 * HEAD_SHORT)
		*head = h;
	if (len <= 2 * HEAD_LONG)
		*head5 = h;
	return h;
}

/*
 * What P leaves out, to see where its time goes (-m): 0 nothing; 1 all
 * but the blocks' masks and stores; 2 the hash; 3 all per word but finding
 * it (no hash, record, union tests); 4 the union's tests.
 */
static int pmode;

/* Bytes per chunk: pass 1 over a chunk, then pass 2. */
#define CHUNK 2048

struct pstats {
	size_t words, dropped;
};

/*
 * P: the block path over text[0..n) (32 bytes readable after n), folded
 * copy into out (same offsets, separators NUL), tokens into tl.
 */
static void
run_proto(const unsigned char *text, size_t n, unsigned char *out,
    struct toklist *tl, struct pstats *ps)
{
	const __m128i d8 = _mm_set1_epi8((char)0xd8), d9 = _mm_set1_epi8(
							    (char)0xd9);
	const __m128i zero = _mm_setzero_si128();
	__m128i carry_delta = zero;
	unsigned carry_ls = 0, carry_lb = 0, prev_sep = 1; /* start: a boundary */
	size_t start = 0, i, c0;
	uint16_t trs[CHUNK / 16], seps[CHUNK / 16];
	int in_word = 0, start_ok = 0;
	struct tok *tn, *tlim;
	size_t dropped = 0;

	tl->n = 0;
	if (tl->size == 0)
		toklist_grow(tl);
	tn = tl->toks;
	tlim = tl->toks + tl->size;

	for (c0 = 0; c0 < n; c0 += CHUNK) {
	size_t cend = c0 + CHUNK < n ? c0 + CHUNK : n;

	/* Pass 1: the chunk's blocks classified, folded and stored. */
	for (i = c0; i < cend; i += 16) {
		__m128i v0 = _mm_loadu_si128((const __m128i *)(text + i));
		__m128i v1 = _mm_loadu_si128((const __m128i *)(text + i + 1));
		/* Continuation classes, as signed bytes biased by 0x80. */
		__m128i c = _mm_xor_si128(v1, _mm_set1_epi8((char)0x80));
		__m128i isd8 = _mm_cmpeq_epi8(v0, d8);
		__m128i isd9 = _mm_cmpeq_epi8(v0, d9);
		/* D8 A0-BF: c in 0x20..0x3f; D9 81-8A: c in 0x01..0x0a. */
		__m128i l8 = _mm_and_si128(
		    isd8, _mm_and_si128(_mm_cmpgt_epi8(c, _mm_set1_epi8(0x1f)),
			      _mm_cmplt_epi8(c, _mm_set1_epi8(0x40))));
		__m128i l9 = _mm_and_si128(
		    isd9, _mm_and_si128(_mm_cmpgt_epi8(c, zero),
			      _mm_cmplt_epi8(c, _mm_set1_epi8(0x0b))));
		__m128i ls = _mm_or_si128(l8, l9);
		/* Folds: the lead byte's delta (D8 -> D9) and the next byte's. */
		__m128i a4 = _mm_cmpeq_epi8(v1, _mm_set1_epi8((char)0xa4));
		__m128i a6 = _mm_cmpeq_epi8(v1, _mm_set1_epi8((char)0xa6));
		__m128i a9 = _mm_cmpeq_epi8(v1, _mm_set1_epi8((char)0xa9));
		__m128i up = _mm_and_si128(l8, _mm_or_si128(a4,
						  _mm_or_si128(a6, a9)));
		__m128i dc = _mm_and_si128(
		    l8,
		    _mm_or_si128(
			_mm_or_si128(
			    _mm_and_si128(_mm_cmpeq_epi8(v1, _mm_set1_epi8(
								 (char)0xa2)),
				_mm_set1_epi8(5)),
			    _mm_and_si128(_mm_cmpeq_epi8(v1, _mm_set1_epi8(
								 (char)0xa3)),
				_mm_set1_epi8(4))),
			_mm_or_si128(
			    _mm_and_si128(_mm_cmpeq_epi8(v1, _mm_set1_epi8(
								 (char)0xa5)),
				_mm_set1_epi8(2)),
			    _mm_or_si128(
				_mm_and_si128(_mm_or_si128(a4, a6),
				    _mm_set1_epi8(-0x1c)),
				_mm_and_si128(a9, _mm_set1_epi8(-0x22))))));
		dc = _mm_or_si128(dc,
		    _mm_and_si128(l9, _mm_and_si128(_mm_cmpeq_epi8(v1,
							_mm_set1_epi8(
							    (char)0x89)),
					  _mm_set1_epi8(1))));
		/* Separators: ASCII but NUL, & < and alphanumerics. */
		__m128i lw = _mm_or_si128(v0, _mm_set1_epi8(0x20));
		__m128i alnum = _mm_or_si128(
		    _mm_and_si128(_mm_cmpgt_epi8(lw, _mm_set1_epi8('a' - 1)),
			_mm_cmplt_epi8(lw, _mm_set1_epi8('z' + 1))),
		    _mm_and_si128(_mm_cmpgt_epi8(v0, _mm_set1_epi8('0' - 1)),
			_mm_cmplt_epi8(v0, _mm_set1_epi8('9' + 1))));
		__m128i notsep = _mm_or_si128(
		    _mm_or_si128(alnum, _mm_cmpeq_epi8(v0, zero)),
		    _mm_or_si128(_mm_cmpeq_epi8(v0, _mm_set1_epi8('&')),
			_mm_cmpeq_epi8(v0, _mm_set1_epi8('<'))));
		unsigned hib = (unsigned)_mm_movemask_epi8(v0);
		unsigned sep = ~(hib | (unsigned)_mm_movemask_epi8(notsep)) &
		    0xffff;
		unsigned lsm = (unsigned)_mm_movemask_epi8(ls);
		unsigned lb = lsm | ((lsm << 1) & 0xffff) | carry_ls;
		unsigned tr = (lb ^ ((lb << 1) | carry_lb)) & 0xffff;

		{
			__m128i sepv = _mm_andnot_si128(
			    _mm_or_si128(notsep, _mm_cmplt_epi8(v0, zero)),
			    _mm_cmpeq_epi8(zero, zero));
			__m128i f = _mm_add_epi8(v0, _mm_and_si128(up,
							 _mm_set1_epi8(1)));

			f = _mm_add_epi8(f, _mm_or_si128(_mm_slli_si128(dc, 1),
						carry_delta));
			f = _mm_andnot_si128(sepv, f);
			_mm_storeu_si128((__m128i *)(out + i), f);
		}
		carry_delta = _mm_srli_si128(dc, 15);
		carry_ls = lsm >> 15;
		carry_lb = lb >> 15;
		trs[(i - c0) / 16] = (uint16_t)tr;
		seps[(i - c0) / 16] = (uint16_t)sep;
	}
	/*
	 * Pass 2: its words, hashed from out once the stores are done (a
	 * load across the block just stored waits for the store).
	 */
	for (i = c0; i < cend; i += 16) {
		unsigned tr = trs[(i - c0) / 16], sep = seps[(i - c0) / 16];

		if (pmode == 1) {
			/* Masks and the stores only. */
			dropped += (unsigned)__builtin_popcount(tr);
			prev_sep = sep >> 15;
			continue;
		}
		while (tr != 0) {
			unsigned k = (unsigned)__builtin_ctz(tr);
			size_t at = i + k;

			tr &= tr - 1;
			if (!in_word) {
				in_word = 1;
				start = at;
				start_ok = k ? (sep >> (k - 1)) & 1 : prev_sep;
				continue;
			}
			in_word = 0;
			if (start_ok && ((sep >> k) & 1)) {
				struct tok *t;
				uint32_t len = (uint32_t)(at - start), h, hd,
					 hd5, nc = len / 2;
				unsigned pass;

				if (tn == tlim) {
					tl->n = (size_t)(tn - tl->toks);
					toklist_grow(tl);
					tn = tl->toks + tl->n;
					tlim = tl->toks + tl->size;
				}
				t = tn++;
				if (pmode == 3) {
					tn += len == 0;
					continue;
				}
				if (pmode == 2)
					h = hd = hd5 = len;
				else
					h = bhash(out + start, len, &hd, &hd5);
				t->off = start;
				t->len = len;
				t->hash = h;
				t->head = hd;
				t->head5 = hd5;
				if (pmode == 4)
					continue;
				pass = union_test(h);
				if (nc > HEAD_SHORT)
					pass |= union_htest(hd) << 1;
				if (nc > HEAD_LONG)
					pass |= union_htest(hd5) << 1;
				if (pass != 0)
					toklist_cand(tl, t, pass);
			} else
				dropped++;
		}
		prev_sep = sep >> 15;
	}
	}
	tl->n = (size_t)(tn - tl->toks);
	ps->words = tl->n;
	ps->dropped = dropped;
}

/*
 * P3: P with 32-byte blocks (AVX2) in pass 1, the letters' second bytes
 * found from the byte before (a third load) instead of a carry. Text must
 * have a byte readable before it.
 *
 * P: the block path over text[0..n) (32 bytes readable after n), folded
 * copy into out (same offsets, separators NUL), tokens into tl.
 */
__attribute__((target("avx2"))) static void
run_proto3(const unsigned char *text, size_t n, unsigned char *out,
    struct toklist *tl, struct pstats *ps)
{
	unsigned carry_lb = 0, prev_sep = 1; /* start: a boundary */
	size_t start = 0, i, c0;
	uint32_t trs[CHUNK / 32], seps[CHUNK / 32];
	int in_word = 0, start_ok = 0;
	struct tok *tn, *tlim;
	size_t dropped = 0;

	tl->n = 0;
	if (tl->size == 0)
		toklist_grow(tl);
	tn = tl->toks;
	tlim = tl->toks + tl->size;

	for (c0 = 0; c0 < n; c0 += CHUNK) {
	size_t cend = c0 + CHUNK < n ? c0 + CHUNK : n;

	/* Pass 1: the chunk's blocks classified, folded and stored. */
	for (i = c0; i < cend; i += 32) {
		const __m256i z = _mm256_setzero_si256();
		__m256i vp = _mm256_loadu_si256((const __m256i *)(text + i - 1));
		__m256i v0 = _mm256_loadu_si256((const __m256i *)(text + i));
		__m256i v1 = _mm256_loadu_si256((const __m256i *)(text + i + 1));
		__m256i bias = _mm256_set1_epi8((char)0x80);
		__m256i c1 = _mm256_xor_si256(v1, bias);
		__m256i c0v = _mm256_xor_si256(v0, bias);
		__m256i r8a = _mm256_set1_epi8(0x1f), r8b = _mm256_set1_epi8(0x40);
		__m256i r9b = _mm256_set1_epi8(0x0b);
		__m256i D8 = _mm256_set1_epi8((char)0xd8), D9 = _mm256_set1_epi8((char)0xd9);
		/* Lead bytes of letters (l8, l9) and their second bytes (k8, k9). */
		__m256i l8 = _mm256_and_si256(_mm256_cmpeq_epi8(v0, D8),
		    _mm256_and_si256(_mm256_cmpgt_epi8(c1, r8a), _mm256_cmpgt_epi8(r8b, c1)));
		__m256i l9 = _mm256_and_si256(_mm256_cmpeq_epi8(v0, D9),
		    _mm256_and_si256(_mm256_cmpgt_epi8(c1, z), _mm256_cmpgt_epi8(r9b, c1)));
		__m256i k8 = _mm256_and_si256(_mm256_cmpeq_epi8(vp, D8),
		    _mm256_and_si256(_mm256_cmpgt_epi8(c0v, r8a), _mm256_cmpgt_epi8(r8b, c0v)));
		__m256i k9 = _mm256_and_si256(_mm256_cmpeq_epi8(vp, D9),
		    _mm256_and_si256(_mm256_cmpgt_epi8(c0v, z), _mm256_cmpgt_epi8(r9b, c0v)));
		__m256i up = _mm256_and_si256(l8, _mm256_or_si256(
		    _mm256_cmpeq_epi8(v1, _mm256_set1_epi8((char)0xa4)),
		    _mm256_or_si256(_mm256_cmpeq_epi8(v1, _mm256_set1_epi8((char)0xa6)),
			_mm256_cmpeq_epi8(v1, _mm256_set1_epi8((char)0xa9)))));
		__m256i dc = _mm256_and_si256(k8, _mm256_or_si256(
		    _mm256_or_si256(
			_mm256_and_si256(_mm256_cmpeq_epi8(v0, _mm256_set1_epi8((char)0xa2)), _mm256_set1_epi8(5)),
			_mm256_and_si256(_mm256_cmpeq_epi8(v0, _mm256_set1_epi8((char)0xa3)), _mm256_set1_epi8(4))),
		    _mm256_or_si256(
			_mm256_and_si256(_mm256_cmpeq_epi8(v0, _mm256_set1_epi8((char)0xa5)), _mm256_set1_epi8(2)),
			_mm256_or_si256(
			    _mm256_and_si256(_mm256_or_si256(_mm256_cmpeq_epi8(v0, _mm256_set1_epi8((char)0xa4)),
				    _mm256_cmpeq_epi8(v0, _mm256_set1_epi8((char)0xa6))), _mm256_set1_epi8(-0x1c)),
			    _mm256_and_si256(_mm256_cmpeq_epi8(v0, _mm256_set1_epi8((char)0xa9)), _mm256_set1_epi8(-0x22))))));
		__m256i lw = _mm256_or_si256(v0, _mm256_set1_epi8(0x20));
		__m256i alnum = _mm256_or_si256(
		    _mm256_and_si256(_mm256_cmpgt_epi8(lw, _mm256_set1_epi8('a' - 1)),
			_mm256_cmpgt_epi8(_mm256_set1_epi8('z' + 1), lw)),
		    _mm256_and_si256(_mm256_cmpgt_epi8(v0, _mm256_set1_epi8('0' - 1)),
			_mm256_cmpgt_epi8(_mm256_set1_epi8('9' + 1), v0)));
		__m256i notsep = _mm256_or_si256(
		    _mm256_or_si256(alnum, _mm256_cmpeq_epi8(v0, z)),
		    _mm256_or_si256(_mm256_cmpeq_epi8(v0, _mm256_set1_epi8('&')),
			_mm256_cmpeq_epi8(v0, _mm256_set1_epi8('<'))));
		/* Separators: ASCII and not notsep. */
		__m256i sepv = _mm256_andnot_si256(_mm256_or_si256(notsep,
			_mm256_cmpgt_epi8(z, v0)), _mm256_cmpeq_epi8(z, z));
		unsigned sep = (unsigned)_mm256_movemask_epi8(sepv);
		unsigned lb = (unsigned)_mm256_movemask_epi8(_mm256_or_si256(
		    _mm256_or_si256(l8, l9), _mm256_or_si256(k8, k9)));
		unsigned tr = lb ^ ((lb << 1) | carry_lb);
		__m256i fo;

		dc = _mm256_or_si256(dc, _mm256_and_si256(k9, _mm256_and_si256(
		    _mm256_cmpeq_epi8(v0, _mm256_set1_epi8((char)0x89)), _mm256_set1_epi8(1))));
		fo = _mm256_add_epi8(v0, _mm256_and_si256(up, _mm256_set1_epi8(1)));
		fo = _mm256_add_epi8(fo, dc);
		fo = _mm256_andnot_si256(sepv, fo);
		_mm256_storeu_si256((__m256i *)(out + i), fo);
		carry_lb = lb >> 31;
		trs[(i - c0) / 32] = tr;
		seps[(i - c0) / 32] = sep;
	}
	/*
	 * Pass 2: its words, hashed from out once the stores are done (a
	 * load across the block just stored waits for the store).
	 */
	for (i = c0; i < cend; i += 32) {
		unsigned tr = trs[(i - c0) / 32], sep = seps[(i - c0) / 32];

		if (pmode == 1) {
			/* Masks and the stores only. */
			dropped += (unsigned)__builtin_popcount(tr);
			prev_sep = sep >> 31;
			continue;
		}
		while (tr != 0) {
			unsigned k = (unsigned)__builtin_ctz(tr);
			size_t at = i + k;

			tr &= tr - 1;
			if (!in_word) {
				in_word = 1;
				start = at;
				start_ok = k ? (sep >> (k - 1)) & 1 : prev_sep;
				continue;
			}
			in_word = 0;
			if (start_ok && ((sep >> k) & 1)) {
				struct tok *t;
				uint32_t len = (uint32_t)(at - start), h, hd,
					 hd5, nc = len / 2;
				unsigned pass;

				if (tn == tlim) {
					tl->n = (size_t)(tn - tl->toks);
					toklist_grow(tl);
					tn = tl->toks + tl->n;
					tlim = tl->toks + tl->size;
				}
				t = tn++;
				if (pmode == 3) {
					tn += len == 0;
					continue;
				}
				if (pmode == 2)
					h = hd = hd5 = len;
				else
					h = bhash(out + start, len, &hd, &hd5);
				t->off = start;
				t->len = len;
				t->hash = h;
				t->head = hd;
				t->head5 = hd5;
				if (pmode == 4)
					continue;
				pass = union_test(h);
				if (nc > HEAD_SHORT)
					pass |= union_htest(hd) << 1;
				if (nc > HEAD_LONG)
					pass |= union_htest(hd5) << 1;
				if (pass != 0)
					toklist_cand(tl, t, pass);
			} else
				dropped++;
		}
		prev_sep = sep >> 31;
	}
	}
	tl->n = (size_t)(tn - tl->toks);
	ps->words = tl->n;
	ps->dropped = dropped;
}

/*
 * P2: P whose pass 1 also writes the chunk's word boundaries into an array
 * (positions, bit 31 set when a separator is on the right side), a fixed
 * four per block whatever their number, so that pass 2 is one loop over
 * the words with no loop per block.
 */
static void
run_proto2(const unsigned char *text, size_t n, unsigned char *out,
    struct toklist *tl, struct pstats *ps)
{
	const __m128i d8 = _mm_set1_epi8((char)0xd8), d9 = _mm_set1_epi8(
							    (char)0xd9);
	const __m128i zero = _mm_setzero_si128();
	__m128i carry_delta = zero;
	unsigned carry_ls = 0, carry_lb = 0, prev_sep = 1; /* start: a boundary */
	size_t start = 0, i, c0;
	uint32_t bnd[CHUNK + 8];
	size_t nb = 0;
	struct tok *tn, *tlim;
	size_t dropped = 0;

	tl->n = 0;
	if (tl->size == 0)
		toklist_grow(tl);
	tn = tl->toks;
	tlim = tl->toks + tl->size;

	for (c0 = 0; c0 < n; c0 += CHUNK) {
	size_t cend = c0 + CHUNK < n ? c0 + CHUNK : n;

	/* Pass 1: the chunk's blocks classified, folded and stored. */
	for (i = c0; i < cend; i += 16) {
		__m128i v0 = _mm_loadu_si128((const __m128i *)(text + i));
		__m128i v1 = _mm_loadu_si128((const __m128i *)(text + i + 1));
		/* Continuation classes, as signed bytes biased by 0x80. */
		__m128i c = _mm_xor_si128(v1, _mm_set1_epi8((char)0x80));
		__m128i isd8 = _mm_cmpeq_epi8(v0, d8);
		__m128i isd9 = _mm_cmpeq_epi8(v0, d9);
		/* D8 A0-BF: c in 0x20..0x3f; D9 81-8A: c in 0x01..0x0a. */
		__m128i l8 = _mm_and_si128(
		    isd8, _mm_and_si128(_mm_cmpgt_epi8(c, _mm_set1_epi8(0x1f)),
			      _mm_cmplt_epi8(c, _mm_set1_epi8(0x40))));
		__m128i l9 = _mm_and_si128(
		    isd9, _mm_and_si128(_mm_cmpgt_epi8(c, zero),
			      _mm_cmplt_epi8(c, _mm_set1_epi8(0x0b))));
		__m128i ls = _mm_or_si128(l8, l9);
		/* Folds: the lead byte's delta (D8 -> D9) and the next byte's. */
		__m128i a4 = _mm_cmpeq_epi8(v1, _mm_set1_epi8((char)0xa4));
		__m128i a6 = _mm_cmpeq_epi8(v1, _mm_set1_epi8((char)0xa6));
		__m128i a9 = _mm_cmpeq_epi8(v1, _mm_set1_epi8((char)0xa9));
		__m128i up = _mm_and_si128(l8, _mm_or_si128(a4,
						  _mm_or_si128(a6, a9)));
		__m128i dc = _mm_and_si128(
		    l8,
		    _mm_or_si128(
			_mm_or_si128(
			    _mm_and_si128(_mm_cmpeq_epi8(v1, _mm_set1_epi8(
								 (char)0xa2)),
				_mm_set1_epi8(5)),
			    _mm_and_si128(_mm_cmpeq_epi8(v1, _mm_set1_epi8(
								 (char)0xa3)),
				_mm_set1_epi8(4))),
			_mm_or_si128(
			    _mm_and_si128(_mm_cmpeq_epi8(v1, _mm_set1_epi8(
								 (char)0xa5)),
				_mm_set1_epi8(2)),
			    _mm_or_si128(
				_mm_and_si128(_mm_or_si128(a4, a6),
				    _mm_set1_epi8(-0x1c)),
				_mm_and_si128(a9, _mm_set1_epi8(-0x22))))));
		dc = _mm_or_si128(dc,
		    _mm_and_si128(l9, _mm_and_si128(_mm_cmpeq_epi8(v1,
							_mm_set1_epi8(
							    (char)0x89)),
					  _mm_set1_epi8(1))));
		/* Separators: ASCII but NUL, & < and alphanumerics. */
		__m128i lw = _mm_or_si128(v0, _mm_set1_epi8(0x20));
		__m128i alnum = _mm_or_si128(
		    _mm_and_si128(_mm_cmpgt_epi8(lw, _mm_set1_epi8('a' - 1)),
			_mm_cmplt_epi8(lw, _mm_set1_epi8('z' + 1))),
		    _mm_and_si128(_mm_cmpgt_epi8(v0, _mm_set1_epi8('0' - 1)),
			_mm_cmplt_epi8(v0, _mm_set1_epi8('9' + 1))));
		__m128i notsep = _mm_or_si128(
		    _mm_or_si128(alnum, _mm_cmpeq_epi8(v0, zero)),
		    _mm_or_si128(_mm_cmpeq_epi8(v0, _mm_set1_epi8('&')),
			_mm_cmpeq_epi8(v0, _mm_set1_epi8('<'))));
		unsigned hib = (unsigned)_mm_movemask_epi8(v0);
		unsigned sep = ~(hib | (unsigned)_mm_movemask_epi8(notsep)) &
		    0xffff;
		unsigned lsm = (unsigned)_mm_movemask_epi8(ls);
		unsigned lb = lsm | ((lsm << 1) & 0xffff) | carry_ls;
		unsigned tr = (lb ^ ((lb << 1) | carry_lb)) & 0xffff;

		{
			__m128i sepv = _mm_andnot_si128(
			    _mm_or_si128(notsep, _mm_cmplt_epi8(v0, zero)),
			    _mm_cmpeq_epi8(zero, zero));
			__m128i f = _mm_add_epi8(v0, _mm_and_si128(up,
							 _mm_set1_epi8(1)));

			f = _mm_add_epi8(f, _mm_or_si128(_mm_slli_si128(dc, 1),
						carry_delta));
			f = _mm_andnot_si128(sepv, f);
			_mm_storeu_si128((__m128i *)(out + i), f);
		}
		carry_delta = _mm_srli_si128(dc, 15);
		carry_ls = lsm >> 15;
		carry_lb = lb >> 15;
		{
			unsigned okm = (lb & ((sep << 1) | prev_sep)) |
			    (~lb & sep);
			unsigned good = tr & okm, m = tr, k;
			unsigned cnt = (unsigned)__builtin_popcount(tr);
			uint32_t *q = bnd + nb;
			int j;

			prev_sep = sep >> 15;
			for (j = 0; j < 4; j++) {
				k = (unsigned)__builtin_ctz(m | 0x10000);
				q[j] = (uint32_t)(i + k) |
				    ((good >> k) & 1u) << 31;
				m &= m - 1;
			}
			if (cnt > 4) {
				q += 4;
				while (m != 0) {
					k = (unsigned)__builtin_ctz(m);
					*q++ = (uint32_t)(i + k) |
					    ((good >> k) & 1u) << 31;
					m &= m - 1;
				}
			}
			nb += cnt;
		}
	}
	/* Pass 2: the words, start and end by pairs. */
	if (pmode == 1) {
		dropped += nb / 2;
	} else {
		size_t j;

		for (j = 0; j + 1 < nb; j += 2) {
			uint32_t a = bnd[j], b = bnd[j + 1];

			if ((a & b) >> 31) {
				struct tok *t;
				size_t at = b & 0x7fffffffu;
				uint32_t len, h, hd, hd5, nc;
				unsigned pass;

				start = a & 0x7fffffffu;
				len = (uint32_t)(at - start);
				nc = len / 2;
				if (tn == tlim) {
					tl->n = (size_t)(tn - tl->toks);
					toklist_grow(tl);
					tn = tl->toks + tl->n;
					tlim = tl->toks + tl->size;
				}
				t = tn++;
				if (pmode == 3) {
					tn += len == 0;
					continue;
				}
				if (pmode == 2)
					h = hd = hd5 = len;
				else
					h = bhash(out + start, len, &hd, &hd5);
				t->off = start;
				t->len = len;
				t->hash = h;
				t->head = hd;
				t->head5 = hd5;
				if (pmode == 4)
					continue;
				pass = union_test(h);
				if (nc > HEAD_SHORT)
					pass |= union_htest(hd) << 1;
				if (nc > HEAD_LONG)
					pass |= union_htest(hd5) << 1;
				if (pass != 0)
					toklist_cand(tl, t, pass);
			} else
				dropped++;
		}
	}
	/* A word still open goes on into the next chunk. */
	if (nb & 1) {
		bnd[0] = bnd[nb - 1];
		nb = 1;
	} else
		nb = 0;
	}
	tl->n = (size_t)(tn - tl->toks);
	ps->words = tl->n;
	ps->dropped = dropped;
}

/* ---------------------------------------------------------------- main */

static int
cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

struct hs {
	uint32_t h;
	const char *s;
};

static int
cmp_hs(const void *a, const void *b)
{
	const struct hs *x = a, *y = b;

	if (x->h != y->h)
		return x->h < y->h ? -1 : 1;
	return strcmp(x->s, y->s);
}

/* Distinct strings that share a hash with another distinct string. */
static size_t
collisions(const struct toklist *tl, const unsigned char *base, size_t *ndist)
{
	struct hs *a = xreallocarray(NULL, tl->n + 1, sizeof *a);
	size_t i, m = 0, c = 0;

	for (i = 0; i < tl->n; i++) {
		a[i].h = tl->toks[i].hash;
		a[i].s = (const char *)base + tl->toks[i].off;
	}
	qsort(a, tl->n, sizeof *a, cmp_hs);
	for (i = 0; i < tl->n; i++) {
		if (i > 0 && a[i].h == a[i - 1].h &&
		    strcmp(a[i].s, a[i - 1].s) == 0)
			continue;
		if (i > 0 && a[i].h == a[i - 1].h)
			c++;
		m++;
	}
	free(a);
	*ndist = m;
	return c;
}

int
main(int argc, char **argv)
{
	int rounds = 5, opt, r, variant = 1;
	FILE *f;
	long n;
	unsigned char *text, *refbuf, *pbuf;
	struct toklist rtl, ptl;
	struct pstats ps = {0, 0};
	double *tr, *tf, *tp;
	size_t nref = 0, nfw = 0, i, j, skipped, bad;
	uint32_t x = 0, u;

	while ((opt = getopt(argc, argv, "m:r:v:")) != -1)
		if (opt == 'r')
			rounds = atoi(optarg);
		else if (opt == 'v')
			variant = atoi(optarg);
		else if (opt == 'm')
			pmode = atoi(optarg);
	if (variant == 3 && !__builtin_cpu_supports("avx2")) {
		fprintf(stderr, "tok-proto: no AVX2 here\n");
		return 2;
	}
	if (optind >= argc || rounds < 1) {
		fprintf(stderr, "usage: tok-proto [-v 1|2|3] [-m 0-4] [-r ROUNDS] FILE\n");
		return 2;
	}
	if ((f = fopen(argv[optind], "rb")) == NULL) {
		perror(argv[optind]);
		return 2;
	}
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	/* 32 bytes before the text for P3's load at text - 1. */
	text = (unsigned char *)xcalloc((size_t)n + 128, 1) + 32;
	if (fread(text, 1, (size_t)n, f) != (size_t)n)
		return 2;
	fclose(f);
	refbuf = xcalloc((size_t)n + 64, 1);
	pbuf = xcalloc((size_t)n + 64, 1);

	fold_init();
	for (u = 0x80; u < 0x800; u++)
		fold_compute(u);
	/* The block path's letters and folds against the tree's table. */
	for (u = 0; u < 0x10000; u++) {
		unsigned b0 = u & 0xff, b1 = u >> 8;
		int mine = (b0 == 0xd8 && b1 >= 0xa0 && b1 <= 0xbf) ||
		    (b0 == 0xd9 && b1 >= 0x81 && b1 <= 0x8a);

		if (mine && fold_arabic2[u] == 0) {
			fprintf(stderr, "%02x %02x: not in arabic2\n", b0, b1);
			return 1;
		}
		if (fold_arabic2[u] != 0)
			floor_tab[u] = fold_arabic2[u];
	}
	for (u = 0; u < 0x80; u++) {
		int mine = u != 0 && u != '&' && u != '<' &&
		    !isalnum((int)u);
		int tree = u != 0 &&
		    (fold_fast[u] & (FOLD_FLAGS | FOLD_CLASS_BITS)) == 0;

		if (mine != tree) {
			fprintf(stderr, "%02x: separator %d, tree %d\n", u,
			    mine, tree);
			return 1;
		}
	}
	for (i = 0; i <= 16; i++)
		for (j = 0; j < i; j++)
			lenmask[i][j] = 0xff;

	toklist_init(&rtl);
	toklist_init(&ptl);
	tr = xcalloc((size_t)rounds, sizeof *tr);
	tf = xcalloc((size_t)rounds, sizeof *tf);
	tp = xcalloc((size_t)rounds, sizeof *tp);
	for (r = 0; r < rounds; r++) {
		double t0 = cpu_now(), t1, t2, t3;

		nref = run_ref((const char *)text, (size_t)n, &rtl, refbuf);
		t1 = cpu_now();
		nfw = run_floor(text, (size_t)n, &x);
		t2 = cpu_now();
		if (variant == 3)
			run_proto3(text, (size_t)n, pbuf, &ptl, &ps);
		else if (variant == 2)
			run_proto2(text, (size_t)n, pbuf, &ptl, &ps);
		else
			run_proto(text, (size_t)n, pbuf, &ptl, &ps);
		t3 = cpu_now();
		tr[r] = t1 - t0;
		tf[r] = t2 - t1;
		tp[r] = t3 - t2;
		printf("round %d: R %.4f s  F %.4f s  P %.4f s\n", r + 1, tr[r],
		    tf[r], tp[r]);
	}
	qsort(tr, (size_t)rounds, sizeof *tr, cmp_d);
	qsort(tf, (size_t)rounds, sizeof *tf, cmp_d);
	qsort(tp, (size_t)rounds, sizeof *tp, cmp_d);

	/* P's words must be R's, in order; R's others are P's dropped ones. */
	skipped = 0;
	bad = 0;
	for (i = 0, j = 0; i < ptl.n; i++) {
		const char *s = (const char *)pbuf + ptl.toks[i].off;

		while (j < rtl.n &&
		    strcmp(s, (const char *)refbuf + rtl.toks[j].off) != 0) {
			j++;
			skipped++;
		}
		if (j == rtl.n) {
			bad++;
			break;
		}
		if (ptl.toks[i].len != rtl.toks[j].len)
			bad++;
		j++;
	}
	skipped += rtl.n - j;
	{
		size_t dr, dp, cr = collisions(&rtl, refbuf, &dr),
				    cp = collisions(&ptl, pbuf, &dp);

		printf("bytes %ld\n", n);
		printf("R (arabic_words): %zu words, median %.4f s, %.2f ns/word\n",
		    nref, tr[rounds / 2], tr[rounds / 2] * 1e9 / (double)nref);
		printf("F (floor loop): %zu words, median %.4f s, %.2f ns/word "
		       "(%x)\n",
		    nfw, tf[rounds / 2], tf[rounds / 2] * 1e9 / (double)nfw, x);
		printf("P%d (blocks): %zu words (+%zu runs left to the "
		       "scalar path), median %.4f s, %.2f ns/word\n",
		    variant, ps.words, ps.dropped, tp[rounds / 2],
		    tp[rounds / 2] * 1e9 / (double)ps.words);
		printf("check: P's words found in R in order: %s (%zu of R's "
		       "%zu not in P)\n",
		    bad ? "NO" : "yes", skipped, rtl.n);
		printf("distinct strings: R %zu (%zu sharing a hash), P %zu "
		       "(%zu sharing a hash)\n",
		    dr, cr, dp, cp);
	}
	return bad ? 1 : 0;
}
