/* fingerprint.c - fuzzy campaign fingerprint: minhash over word shingles.
 *
 * The text is normalised (invisible characters dropped, full-width forms folded, ASCII
 * lower-cased), URLs are reduced to their host names and e-mail addresses to their
 * domains, then split into tokens: words of letters (tokens holding a digit or longer
 * than 24 bytes, such as numbers, order ids and hex or base64 tracking tokens, are
 * dropped) and, for Chinese/Japanese/Korean text written without spaces, character
 * bigrams. Every run of FP_SHINGLE consecutive tokens is a shingle; the fingerprint keeps,
 * for each of RP_FP_SLOTS independent hash functions, the smallest 32-bit hash over all
 * shingles (minhash). The share of equal slots estimates the Jaccard similarity of the
 * two shingle sets. Texts with fewer than FP_MIN_FEATURES distinct shingles get an empty
 * fingerprint (n_features 0) that matches nothing. docs/fingerprint.md has the figures. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "repute/alloc.h"
#include "repute/ascii.h"
#include "repute/error.h"
#include "repute/fingerprint.h"
#include "repute/utf8.h"

#define FP_SHINGLE 4             /* tokens per shingle */
#define FP_MIN_FEATURES 10       /* fewer distinct shingles: too short to fingerprint */
#define FP_MATCH_SLOTS 16        /* equal slots (of 32) for a campaign match: similarity >= 0.5 */
#define FP_MAX_INPUT (1u << 20)  /* only the first 1 MB of text counts */
#define FP_MAX_TOKEN 24          /* longer words are tracking tokens, not language */
#define FP_SET_BITS 12           /* distinct-shingle counter: at most 4096 entries */

struct fp_state {
	uint64_t ring[FP_SHINGLE]; /* hashes of the last tokens */
	size_t n_tokens;
	uint32_t slot[RP_FP_SLOTS];
	uint64_t *set;             /* open-addressing set of shingle hashes */
	size_t set_mask;           /* its size - 1, sized to the text (zeroing 32 KiB per message showed) */
	size_t n_distinct;
	char word[FP_MAX_TOKEN + 8];
	size_t word_len;
	bool word_bad;             /* holds a digit or is too long */
	uint32_t prev_cjk;         /* last CJK character of the current run, 0 if none */
	const char *next_at;       /* next '@' at or after the scan position, text end if none */
	size_t cjk_run;
};

/* mix64 - splitmix64 finaliser: a fast 64-bit permutation with good avalanche. */
static uint64_t mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* fnv1a - 64-bit FNV-1a of n bytes. */
static uint64_t fnv1a(const void *p, size_t n)
{
	const unsigned char *s = p;
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < n; i++)
		h = (h ^ s[i]) * 0x100000001b3ULL;
	return h;
}

/* set_insert - remember a shingle hash; true when it was new. */
static bool set_insert(struct fp_state *st, uint64_t h)
{
	size_t mask = st->set_mask, i;

	if (h == 0)
		h = 1;
	if (st->n_distinct >= mask / 2)
		return true; /* set full: count every further shingle as new */
	for (i = h & mask; st->set[i] != 0; i = (i + 1) & mask)
		if (st->set[i] == h)
			return false;
	st->set[i] = h;
	return true;
}

/* Multipliers and addends of the RP_FP_SLOTS hash functions v = (a * h + b) >> 32 over the
 * (already well mixed) 64-bit shingle hash h: multiply-shift hashing, one multiply-add per slot
 * instead of a full mixer, which made this loop the hottest of the evidence engine. Odd
 * multipliers, fixed forever: changing them changes every stored fingerprint. */
static const uint64_t slot_mul[RP_FP_SLOTS] = {
	0x9e3779b97f4a7c15ULL, 0xbf58476d1ce4e5b9ULL, 0x94d049bb133111ebULL, 0xd6e8feb86659fd93ULL,
	0xa0761d6478bd642fULL, 0xe7037ed1a0b428dbULL, 0x8ebc6af09c88c6e3ULL, 0x589965cc75374cc3ULL,
	0x1d8e4e27c47d124fULL, 0xff51afd7ed558ccdULL, 0xc4ceb9fe1a85ec53ULL, 0x87c37b91114253d5ULL,
	0x4cf5ad432745937fULL, 0x52dce729da3ed4f1ULL, 0x2545f4914f6cdd1dULL, 0xda942042e4dd58b5ULL,
	0x9fb21c651e98df25ULL, 0xc2b2ae3d27d4eb4fULL, 0x165667b19e3779f9ULL, 0x27d4eb2f165667c5ULL,
	0x85ebca77c2b2ae63ULL, 0xcc9e2d51ea1f8f0bULL, 0x1b873593b91e0d55ULL, 0xe6546b64d3a2646dULL,
	0x61c8864680b583ebULL, 0x2127599bf4325c37ULL, 0x880355f21e6d1965ULL, 0x5bd1e9955bd1e995ULL,
	0xc6a4a7935bd1e995ULL, 0x6c8e9cf570932bd5ULL, 0xf1357aea2e62a9c5ULL, 0x3c6ef372fe94f82bULL,
};

/* add_shingle - fold one shingle hash into the minhash slots. */
static void add_shingle(struct fp_state *st, uint64_t h)
{
	if (!set_insert(st, h))
		return;
	st->n_distinct++;
	for (size_t i = 0; i < RP_FP_SLOTS; i += 2) {
		/* one multiply-add feeds two slots: its high half (a function of all of h) and
		 * its low half (a bijection of h's low half); h is already uniformly mixed */
		uint64_t v = slot_mul[i] * h + slot_mul[RP_FP_SLOTS - 1 - i];
		uint32_t hi = (uint32_t)(v >> 32), lo = (uint32_t)v;
		if (hi < st->slot[i])
			st->slot[i] = hi;
		if (lo < st->slot[i + 1])
			st->slot[i + 1] = lo;
	}
}

/* shingle_hash - hash of the last n tokens in order: a different odd multiplier per position
 * keeps it order-sensitive, one final mix spreads it (one mixer per shingle, not one per token). */
static uint64_t shingle_hash(const struct fp_state *st, size_t n)
{
	static const uint64_t pos_mul[FP_SHINGLE] = { 0x9e3779b97f4a7c15ULL, 0xc2b2ae3d27d4eb4fULL,
						      0x165667b19e3779f9ULL, 0xd6e8feb86659fd93ULL };
	uint64_t h = 0x243f6a8885a308d3ULL;

	for (size_t k = 0; k < n; k++)
		h += st->ring[(st->n_tokens - n + k) % FP_SHINGLE] * pos_mul[k];
	return mix64(h);
}

/* add_token - one token: push it and emit the shingle it completes. */
static void add_token(struct fp_state *st, const void *p, size_t n)
{
	st->ring[st->n_tokens % FP_SHINGLE] = fnv1a(p, n);
	st->n_tokens++;
	if (st->n_tokens >= FP_SHINGLE)
		add_shingle(st, shingle_hash(st, FP_SHINGLE));
}

/* flush_word - end the current word, adding it unless it is a number or tracking token. */
static void flush_word(struct fp_state *st)
{
	if (st->word_len > 0 && !st->word_bad)
		add_token(st, st->word, st->word_len);
	st->word_len = 0;
	st->word_bad = false;
}

/* flush_cjk - end a run of CJK characters (a lone character is a token of its own). */
static void flush_cjk(struct fp_state *st)
{
	if (st->cjk_run == 1) {
		uint32_t c = st->prev_cjk;
		add_token(st, &c, sizeof(c));
	}
	st->prev_cjk = 0;
	st->cjk_run = 0;
}

/* is_cjk - ideographs, kana and hangul: scripts written without spaces. */
static bool is_cjk(uint32_t cp)
{
	return (cp >= 0x3040 && cp <= 0x30FF) || (cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0x4E00 && cp <= 0x9FFF) ||
	       (cp >= 0xAC00 && cp <= 0xD7AF) || (cp >= 0xF900 && cp <= 0xFAFF);
}

/* is_word_cp - letters and digits of alphabetic scripts (Latin, Greek, Cyrillic, ...). */
static bool is_word_cp(uint32_t cp)
{
	if (cp < 0x80)
		return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || (cp >= '0' && cp <= '9');
	return (cp >= 0xC0 && cp <= 0x24F && cp != 0xD7 && cp != 0xF7) || (cp >= 0x370 && cp <= 0x52F) ||
	       (cp >= 0x590 && cp <= 0x6FF) || (cp >= 0xE00 && cp <= 0xE7F);
}

/* put_cp - feed one normalised code point to the tokeniser. */
static void put_cp(struct fp_state *st, uint32_t cp)
{
	if (is_cjk(cp)) {
		flush_word(st);
		if (st->prev_cjk != 0) {
			uint32_t pair[2] = { st->prev_cjk, cp };
			add_token(st, pair, sizeof(pair));
		}
		st->prev_cjk = cp;
		st->cjk_run++;
		return;
	}
	flush_cjk(st);
	if (!is_word_cp(cp)) {
		flush_word(st);
		return;
	}
	if (cp >= 'A' && cp <= 'Z')
		cp += 'a' - 'A';
	if (cp >= '0' && cp <= '9')
		st->word_bad = true;
	if (st->word_len + 4 > FP_MAX_TOKEN) {
		st->word_bad = true;
		return;
	}
	if (cp < 0x80) {
		st->word[st->word_len++] = (char)cp;
	} else {
		memcpy(st->word + st->word_len, &cp, sizeof(cp));
		st->word_len += sizeof(cp);
	}
}


/* fold_cp - full-width ASCII to ASCII, ideographic space to space; invisible ones to 0. */
static uint32_t fold_cp(uint32_t cp)
{
	if (cp >= 0xFF01 && cp <= 0xFF5E)
		return cp - 0xFEE0;
	if (cp == 0x3000)
		return ' ';
	if (cp == 0x200B || cp == 0x200C || cp == 0x200D || cp == 0xFEFF || cp == 0x2060 || cp == 0xAD)
		return 0;
	return cp;
}

/* is_addr_byte - byte of a URL or e-mail address written in text. */
static bool is_addr_byte(unsigned char c)
{
	return ascii_is(c, ASCII_ADDR);
}

/* is_host_byte - byte of an ASCII host name. */
static bool is_host_byte(unsigned char c)
{
	return ascii_is(c, ASCII_HOST);
}

/* feed_ascii - feed n ASCII bytes as text. */
static void feed_ascii(struct fp_state *st, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		put_cp(st, (unsigned char)s[i]);
	put_cp(st, ' ');
}

/* special_at - a URL ("scheme://", "www.") or an address ("x@host.tld") starting at i:
 * feeds its host and returns its end, or returns i when there is none. */
static size_t special_at(struct fp_state *st, const char *t, size_t i, size_t len)
{
	const unsigned char *s = (const unsigned char *)t;
	size_t j = i, h;

	while (j < len && j - i < 10 && ((s[j] >= 'a' && s[j] <= 'z') || (s[j] >= 'A' && s[j] <= 'Z')))
		j++;
	if (j > i && j + 3 <= len && memcmp(t + j, "://", 3) == 0) {
		h = j + 3;
	} else if (ascii_starts_ci(t + i, len - i, "www.", 4)) {
		h = i;
	} else {
		/* an address: a local part of at most 64 address bytes, then '@'. This is asked at
		 * every word start, so the next '@' of the text is found once and remembered. */
		if (st->next_at == NULL || st->next_at < t + i)
			st->next_at = memchr(t + i, '@', len - i);
		const char *at = st->next_at;
		if (at == NULL) {
			st->next_at = t + len; /* none left: never search again */
			return i;
		}
		if (at == t + len || at == t + i || at - (t + i) > 64)
			return i;
		for (j = i; t + j < at; j++)
			if (!is_addr_byte(s[j]) || s[j] == '/')
				return i;
		h = j + 1;
	}
	j = h;
	while (j < len && is_host_byte(s[j]))
		j++;
	feed_ascii(st, t + h, j - h);
	while (j < len && is_addr_byte(s[j]))
		j++; /* path, query and fragment carry tracking data: skip them */
	return j;
}

/* feed_ascii_word - the fast path of put_cp for a run of ASCII letters and digits (most of
 * any text): the same effect as put_cp per byte, without its per-byte dispatch. Returns the
 * index after the run. */
static size_t feed_ascii_word(struct fp_state *st, const unsigned char *s, size_t i, size_t len)
{
	flush_cjk(st);
	for (; i < len && ascii_is(s[i], ASCII_ALPHA | ASCII_DIGIT); i++) {
		unsigned char c = s[i];
		if (ascii_is(c, ASCII_DIGIT))
			st->word_bad = true;
		if (st->word_len + 4 > FP_MAX_TOKEN) {
			st->word_bad = true;
			continue;
		}
		st->word[st->word_len++] = (char)(ascii_is(c, ASCII_UPPER) ? c | 0x20 : c);
	}
	return i;
}

/* feed_text - normalise and tokenise the text. */
static void feed_text(struct fp_state *st, const char *t, size_t len)
{
	const unsigned char *s = (const unsigned char *)t;
	bool boundary = true;

	for (size_t i = 0; i < len;) {
		size_t cl, e;
		uint32_t cp;
		if (boundary && s[i] < 0x80 && (e = special_at(st, t, i, len)) > i) {
			i = e;
			continue;
		}
		if (ascii_is(s[i], ASCII_ALPHA | ASCII_DIGIT)) {
			i = feed_ascii_word(st, s, i, len);
			boundary = false;
			continue;
		}
		cp = fold_cp(utf8_decode(s + i, len - i, &cl));
		i += cl;
		if (cp == 0)
			continue;
		boundary = !(cp < 0x80 && (is_addr_byte((unsigned char)cp)));
		put_cp(st, cp);
	}
	flush_word(st);
	flush_cjk(st);
}

/* rp_fingerprint_compute - fingerprint UTF-8 text; n_features 0 when too short. */
void rp_fingerprint_compute(const char *text, size_t len, struct rp_fingerprint *fp)
{
	struct fp_state st;

	memset(fp, 0, sizeof(*fp));
	if (text == NULL)
		return;
	memset(&st, 0, sizeof(st));
	memset(st.slot, 0xFF, sizeof(st.slot));
	unsigned bits = 8;
	while (bits < FP_SET_BITS && ((size_t)1 << bits) < len / 3) /* 2 slots per word or more */
		bits++;
	st.set_mask = ((size_t)1 << bits) - 1;
	st.set = xcalloc(st.set_mask + 1, sizeof(*st.set));
	feed_text(&st, text, len > FP_MAX_INPUT ? FP_MAX_INPUT : len);
	if (st.n_tokens > 0 && st.n_tokens < FP_SHINGLE)
		add_shingle(&st, shingle_hash(&st, st.n_tokens));
	xfree(st.set);
	if (st.n_distinct < FP_MIN_FEATURES)
		return;
	memcpy(fp->slot, st.slot, sizeof(fp->slot));
	fp->n_features = (uint32_t)st.n_distinct;
}

/* rp_fingerprint_similarity - share of equal slots; 0 when either fingerprint is empty. */
double rp_fingerprint_similarity(const struct rp_fingerprint *a, const struct rp_fingerprint *b)
{
	unsigned same = 0;

	if (a->n_features == 0 || b->n_features == 0)
		return 0.0;
	for (size_t i = 0; i < RP_FP_SLOTS; i++)
		same += a->slot[i] == b->slot[i];
	return (double)same / RP_FP_SLOTS;
}

/* rp_fingerprint_match - similarity at or above the campaign threshold (16 of 32 slots). */
bool rp_fingerprint_match(const struct rp_fingerprint *a, const struct rp_fingerprint *b)
{
	return rp_fingerprint_similarity(a, b) * RP_FP_SLOTS >= FP_MATCH_SLOTS;
}

/* rp_fingerprint_format - two hex digits of min(n_features, 255), then 32 slots of eight
 * lower-case hex digits; out must hold RP_FP_TEXTLEN bytes. */
char *rp_fingerprint_format(const struct rp_fingerprint *fp, char *out)
{
	unsigned n = fp->n_features > 255 ? 255 : fp->n_features;

	snprintf(out, 3, "%02x", n);
	for (size_t i = 0; i < RP_FP_SLOTS; i++)
		snprintf(out + 2 + i * 8, 9, "%08x", (unsigned)fp->slot[i]);
	return out;
}

/* hex_value - value of n lower-case hex digits, or -1. */
static int64_t hex_value(const char *s, size_t n)
{
	int64_t v = 0;

	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c >= '0' && c <= '9')
			v = v << 4 | (c - '0');
		else if (c >= 'a' && c <= 'f')
			v = v << 4 | (c - 'a' + 10);
		else
			return -1;
	}
	return v;
}

/* rp_fingerprint_parse - read the text form; RP_EINVAL for any other length or character. */
int rp_fingerprint_parse(const char *text, struct rp_fingerprint *fp)
{
	struct rp_fingerprint f;
	int64_t v;
	bool zero = true;

	if (text == NULL || strlen(text) != RP_FP_TEXTLEN - 1 || (v = hex_value(text, 2)) < 0)
		return RP_EINVAL;
	f.n_features = (uint32_t)v;
	for (size_t i = 0; i < RP_FP_SLOTS; i++) {
		if ((v = hex_value(text + 2 + i * 8, 8)) < 0)
			return RP_EINVAL;
		f.slot[i] = (uint32_t)v;
		zero &= v == 0;
	}
	if ((f.n_features == 0) != zero || (f.n_features > 0 && f.n_features < FP_MIN_FEATURES))
		return RP_EINVAL;
	*fp = f;
	return 0;
}
