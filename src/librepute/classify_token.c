/* classify_token.c - the classifier's text tokenizer: words, numbers, CJK n-grams, URLs, OSB pairs.
 *
 * Tokens are hashed as they are formed (FNV-1a 64 over "prefix:token") into a struct rp_tokens, which
 * de-duplicates them in an open-addressing set; no allocation happens per token. Text is UTF-8; full-width
 * forms (U+FF01..U+FF5E) fold to ASCII and U+3000 to a space before anything else, so "ＦＲＥＥ" and
 * "free" are one token. Runs of CJK characters (Han, kana, Hangul) give one token per character and one
 * per adjacent pair, which needs no word segmentation. docs/classifier.md lists every token form. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "repute/alloc.h"
#include "repute/utf8.h"
#include "repute/classify.h"

#define FNV_OFFSET 0xcbf29ce484222325ULL
#define FNV_PRIME 0x100000001b3ULL
#define WORD_MAX 40    /* longer words become a "skip:" token */
#ifndef OSB_WINDOW
#define OSB_WINDOW 1 /* pairs with the 1..OSB_WINDOW previous words */
#endif
#define TOKEN_BUF 320

/* is_joiner - characters kept inside a word ("e-mail", "example.com", "don't", "a_b", "x@y"). */
static inline bool is_joiner(int c)
{
	return c == '.' || c == '-' || c == '_' || c == '\'' || c == '@';
}

/* is_url_stop - characters that end a URL in text. */
static inline bool is_url_stop(unsigned char c)
{
	return c <= ' ' || c >= 0x7F || c == '"' || c == '\'' || c == '<' || c == '>' || c == '(' || c == ')' ||
	       c == '[' || c == ']' || c == '{' || c == '}' || c == '|' || c == '\\' || c == '^' || c == '`';
}

/* ascii_word - the ASCII bytes that are word characters anywhere in a word: letters, digits, '$'. */
static const bool ascii_word[256] = {
	['0' ... '9'] = true, ['A' ... 'Z'] = true, ['a' ... 'z'] = true, ['$'] = true,
};

/* fnv - continue an FNV-1a 64 hash over n bytes. */
static inline uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *s = p;

	for (size_t i = 0; i < n; i++) {
		h ^= s[i];
		h *= FNV_PRIME;
	}
	return h;
}

/* fix_hash - never 0 (0 marks an empty set slot). */
static inline uint64_t fix_hash(uint64_t h)
{
	return h ? h : 1;
}

uint64_t rp_token_hash(const char *s, size_t len)
{
	return fix_hash(fnv(FNV_OFFSET, s, len));
}

void rp_tokens_init(struct rp_tokens *t, size_t max, size_t max_text)
{
	memset(t, 0, sizeof(*t));
	t->max = max ? max : RP_TOKENS_MAX;
	t->max_text = max_text ? max_text : RP_TOKENS_MAX_TEXT;
	t->cap = 1024;
	t->h = xmalloc(t->cap * sizeof(*t->h));
	t->cls = xmalloc(t->cap);
	t->set_cap = 2048;
	t->set = xcalloc(t->set_cap, sizeof(*t->set));
}

void rp_tokens_fini(struct rp_tokens *t)
{
	xfree(t->h);
	xfree(t->cls);
	xfree(t->set);
	memset(t, 0, sizeof(*t));
}

/* set_slot - index where h is or would go in the set. */
static inline size_t set_slot(const struct rp_tokens *t, uint64_t h)
{
	size_t mask = t->set_cap - 1;
	size_t i = (size_t)(h ^ (h >> 29)) & mask;

	while (t->set[i] != 0 && t->set[i] != h)
		i = (i + 1) & mask;
	return i;
}

void rp_tokens_reset(struct rp_tokens *t)
{
	size_t mask = t->set_cap - 1;

	/* Clear only the used clusters, so a reset is O(tokens), not O(table): from each entry's home slot,
	 * zero up to the next empty slot. Any entry sits in the contiguous run after its home, and the first
	 * sweep that reaches that run zeroes it through to its end, so no entry survives. */
	if (t->n * 8 > t->set_cap) {
		memset(t->set, 0, t->set_cap * sizeof(*t->set));
	} else {
		for (size_t i = 0; i < t->n; i++)
			for (size_t j = (size_t)(t->h[i] ^ (t->h[i] >> 29)) & mask; t->set[j] != 0; j = (j + 1) & mask)
				t->set[j] = 0;
	}
	t->n = 0;
	t->added = 0;
	t->truncated = false;
}

/* set_grow - double the set and re-insert the hashes. */
static void set_grow(struct rp_tokens *t)
{
	xfree(t->set);
	t->set_cap *= 2;
	t->set = xcalloc(t->set_cap, sizeof(*t->set));
	for (size_t i = 0; i < t->n; i++)
		t->set[set_slot(t, t->h[i])] = t->h[i];
}

/* token_class - the evidence class of a prefix: the scorer limits how many tokens of one class count. */
static uint8_t token_class(const char *prefix)
{
	if (prefix == NULL)
		return RP_TCLASS_BODY;
	switch (prefix[0]) { /* the first letter rules most prefixes out without a strcmp */
	case 's':
		return strcmp(prefix, "subject") == 0 ? RP_TCLASS_SUBJECT : RP_TCLASS_HEADER;
	case 'u':
		return strcmp(prefix, "url") == 0 || strcmp(prefix, "urlp") == 0 ? RP_TCLASS_URL : RP_TCLASS_HEADER;
	case 'h':
		return strcmp(prefix, "html") == 0 ? RP_TCLASS_HTML : RP_TCLASS_HEADER;
	case 'm':
		return strcmp(prefix, "meta") == 0 ? RP_TCLASS_META : RP_TCLASS_HEADER;
	case 'a':
		return strcmp(prefix, "att") == 0 || strcmp(prefix, "attext") == 0 ? RP_TCLASS_META : RP_TCLASS_HEADER;
	case 'c':
		return strcmp(prefix, "ct") == 0 ? RP_TCLASS_META : RP_TCLASS_HEADER;
	default:
		return RP_TCLASS_HEADER;
	}
}

/* add_hash - add one token hash of class cls unless present or the bound is hit. */
static void add_hash(struct rp_tokens *t, uint64_t h, uint8_t cls)
{
	if (t->added >= t->max) {
		t->truncated = true;
		return;
	}
	t->added++;
	size_t i = set_slot(t, h);
	if (t->set[i] == h)
		return;
	if ((t->n + 1) * 2 > t->set_cap) {
		set_grow(t);
		i = set_slot(t, h);
	}
	t->set[i] = h;
	if (t->n == t->cap) {
		t->cap *= 2;
		t->h = xreallocarray(t->h, t->cap, sizeof(*t->h));
		t->cls = xrealloc(t->cls, t->cap);
	}
	t->cls[t->n] = cls;
	t->h[t->n++] = h;
}

bool rp_tokens_has(const struct rp_tokens *t, const char *s)
{
	uint64_t h = rp_token_hash(s, strlen(s));

	return t->set[set_slot(t, h)] == h;
}

/* prefix_state - hash state after "prefix:" (or the offset basis for no prefix). */
static uint64_t prefix_state(const char *prefix)
{
	uint64_t h = FNV_OFFSET;

	if (prefix != NULL) {
		h = fnv(h, prefix, strlen(prefix));
		h = fnv(h, ":", 1);
	}
	return h;
}

/* dump_token - pass the token string to t->dump. */
static void dump_token(struct rp_tokens *t, const char *prefix, const char *a, size_t alen, const char *mid,
		       const char *b, size_t blen)
{
	char buf[TOKEN_BUF];
	int n = snprintf(buf, sizeof(buf), "%s%s%.*s%s%.*s", prefix ? prefix : "", prefix ? ":" : "", (int)alen,
			 a, mid ? mid : "", (int)blen, b ? b : "");

	if (n > 0)
		t->dump(t->dump_arg, buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
}

void rp_tokens_add(struct rp_tokens *t, const char *prefix, const char *tok, size_t len)
{
	add_hash(t, fix_hash(fnv(prefix_state(prefix), tok, len)), token_class(prefix));
	if (t->dump)
		dump_token(t, prefix, tok, len, NULL, NULL, 0);
}

/* Tokenizer state for one text. */
struct tk {
	struct rp_tokens *t;
	const char *prefix;
	uint64_t base;            /* hash state after "prefix:" */
	bool osb;                 /* emit word pairs */
	uint8_t cls;              /* evidence class of the prefix */
	bool upper, lower;        /* the current word had upper / lower case letters */
	char w[WORD_MAX * 4 + 8]; /* current word, UTF-8, lower-cased */
	size_t wlen;
	bool too_long;
	char first;               /* class of the first char of a long word */
	/* ring of the previous words for OSB: hash state after "prefix:word" and the word itself */
	uint64_t ring_h[OSB_WINDOW];
	char ring_w[OSB_WINDOW][WORD_MAX + 1];
	size_t ring_len[OSB_WINDOW];
	size_t ring_n;            /* words pushed so far */
	char cjk_prev[4];         /* previous CJK character, UTF-8 */
	size_t cjk_prev_len;
};

/* emit - add token "prefix:s". */
static void emit(struct tk *k, const char *s, size_t n)
{
	add_hash(k->t, fix_hash(fnv(k->base, s, n)), k->cls);
	if (k->t->dump)
		dump_token(k->t, k->prefix, s, n, NULL, NULL, 0);
}

/* emit2 - add token "prefix:a" followed by "b" (no separator). */
static void emit2(struct tk *k, const char *a, size_t an, const char *b, size_t bn)
{
	add_hash(k->t, fix_hash(fnv(fnv(k->base, a, an), b, bn)), k->cls);
	if (k->t->dump)
		dump_token(k->t, k->prefix, a, an, NULL, b, bn);
}

/* osb_push - emit the pairs of word w (hash state hw after "prefix:w") with the previous words, and
 * remember it. */
static void osb_push(struct tk *k, const char *w, size_t n, uint64_t hw)
{
	static const char *const gaps[] = { " ", " _ ", " _ _ ", " _ _ _ " };

	if (!k->osb)
		return;
	for (size_t d = 1; d <= OSB_WINDOW && d <= k->ring_n; d++) {
		size_t r = (k->ring_n - d) % OSB_WINDOW;
		uint64_t h = fnv(k->ring_h[r], gaps[d - 1], strlen(gaps[d - 1]));
		add_hash(k->t, fix_hash(fnv(h, w, n)), k->cls);
		if (k->t->dump)
			dump_token(k->t, k->prefix, k->ring_w[r], k->ring_len[r], gaps[d - 1], w, n);
	}
	size_t r = k->ring_n % OSB_WINDOW;
	k->ring_h[r] = hw;
	if (k->t->dump) { /* the words themselves are only needed to show the pairs */
		memcpy(k->ring_w[r], w, n);
		k->ring_len[r] = n;
	}
	k->ring_n++;
}

/* is_ipv4 - whether w is a dotted quad; fills the octet offsets of the 3rd dot. */
static bool is_ipv4(const char *w, size_t n, size_t dots[3])
{
	size_t nd = 0, digits = 0;

	for (size_t i = 0; i < n; i++) {
		if (w[i] >= '0' && w[i] <= '9') {
			if (++digits > 3)
				return false;
		} else if (w[i] == '.' && digits > 0 && nd < 3) {
			dots[nd++] = i;
			digits = 0;
		} else {
			return false;
		}
	}
	return nd == 3 && digits > 0;
}

/* emit_number - a run of digits: as is up to 6 digits, else its length and first 3 digits. */
static void emit_number(struct tk *k, const char *d, size_t n)
{
	char buf[32];

	if (n <= 6) {
		emit(k, d, n);
		return;
	}
	int len = snprintf(buf, sizeof(buf), "num:%.3sx%zu", d, n);
	emit(k, buf, (size_t)len);
}

/* emit_parts - the alphabetic and numeric runs of a mixed word ("qq123456" -> "qq", "123456"). */
static void emit_parts(struct tk *k, const char *w, size_t n)
{
	size_t i = 0;

	while (i < n) {
		size_t j = i;
		int cls = (w[i] >= '0' && w[i] <= '9') ? 1 : ((unsigned char)w[i] >= 0x80 || (w[i] >= 'a' && w[i] <= 'z')) ? 2 : 0;
		while (j < n) {
			int c2 = (w[j] >= '0' && w[j] <= '9') ? 1 : ((unsigned char)w[j] >= 0x80 || (w[j] >= 'a' && w[j] <= 'z')) ? 2 : 0;
			if (c2 != cls)
				break;
			j++;
		}
		if (cls == 1)
			emit_number(k, w + i, j - i);
		else if (cls == 2 && j - i >= 2 && j - i < n)
			emit(k, w + i, j - i);
		i = j;
	}
}

/* flush_word - emit the tokens of the word collected so far. */
static void flush_word(struct tk *k)
{
	size_t n = k->wlen;
	const char *w = k->w;

	while (n > 0 && is_joiner(w[n - 1]))
		n--;
	k->wlen = 0;
	bool shout = k->upper && !k->lower; /* letters, all upper case */
	k->upper = k->lower = false;
	if (k->too_long) {
		char buf[32];
		int len = snprintf(buf, sizeof(buf), "skip:%c%zu", k->first, n / 10 * 10);
		k->too_long = false;
		emit(k, buf, (size_t)len);
		return;
	}
	if (n < 2 && !(n == 1 && (unsigned char)w[0] >= 0x80))
		return;
	bool alpha = false, digit = false, punct = false;
	for (size_t i = 0; i < n; i++) {
		if (w[i] >= '0' && w[i] <= '9')
			digit = true;
		else if (is_joiner(w[i]))
			punct = true;
		else
			alpha = true;
	}
	if (digit && !alpha && !punct) {
		emit_number(k, w, n);
		osb_push(k, w, n, fnv(k->base, w, n));
		return;
	}
	size_t dots[3];
	if (!alpha && is_ipv4(w, n, dots)) {
		emit(k, w, n);
		emit2(k, "ip:", 3, w, dots[2]);
		emit2(k, "ip:", 3, w, dots[1]);
		return;
	}
	uint64_t hw = fnv(k->base, w, n); /* the word's token, and the state its pairs continue from */
	add_hash(k->t, fix_hash(hw), k->cls);
	if (k->t->dump)
		dump_token(k->t, k->prefix, w, n, NULL, NULL, 0);
	if (shout && n >= 3) /* "FREE" also as "upper:free": shouting is a signal of its own */
		emit2(k, "upper:", 6, w, n);
	if (punct) {
		const char *at = memchr(w, '@', n);
		if (at != NULL && at + 1 < w + n)
			emit(k, at, (size_t)(w + n - at));
		/* the parts of "e-mail", "mail.example.com", "don't" */
		for (size_t i = 0; i < n;) {
			size_t j = i;
			while (j < n && !is_joiner(w[j]))
				j++;
			if (j - i >= 2)
				emit(k, w + i, j - i);
			i = j + 1;
		}
	} else if (digit) {
		emit_parts(k, w, n);
	}
	osb_push(k, w, n, hw);
}



/* is_cjk - Han ideographs, kana and Hangul syllables: tokenized by characters. */
static bool is_cjk(uint32_t c)
{
	return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x3040 && c <= 0x30FF) ||
	       (c >= 0xAC00 && c <= 0xD7AF) || (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x20000 && c <= 0x2FFFF);
}

/* is_letter - other non-ASCII code points that belong in words (Latin, Greek, Cyrillic, ...). */
static bool is_letter(uint32_t c)
{
	if (c < 0xC0 || c == 0xD7 || c == 0xF7 || c == 0xFFFD)
		return false;
	if ((c >= 0x2000 && c <= 0x2BFF) || (c >= 0x3000 && c <= 0x303F) || (c >= 0xFE30 && c <= 0xFE4F) ||
	    (c >= 0xFF00 && c <= 0xFFEF) || (c >= 0xE000 && c <= 0xF8FF))
		return false;
	return true;
}

/* fold - full-width ASCII to ASCII, ideographic space to space, upper to lower case (ASCII, Latin-1). */
static uint32_t fold(uint32_t c)
{
	if (c >= 0xFF01 && c <= 0xFF5E)
		c -= 0xFEE0;
	else if (c == 0x3000)
		c = ' ';
	if ((c >= 'A' && c <= 'Z') || (c >= 0xC0 && c <= 0xDE && c != 0xD7))
		c += 0x20;
	return c;
}

/* word_add - append code point c (UTF-8 bytes u, n) to the current word. */
static void word_add(struct tk *k, uint32_t c, const char *u, size_t n)
{
	if (k->too_long) {
		k->wlen += n;
		return;
	}
	if (k->wlen + n > WORD_MAX) {
		k->too_long = true;
		k->first = (k->w[0] >= '0' && k->w[0] <= '9') ? 'd' : ((unsigned char)k->w[0] >= 0x80 ? 'u' : 'a');
		k->wlen += n;
		return;
	}
	memcpy(k->w + k->wlen, u, n);
	k->wlen += n;
}

/* cjk_char - emit the unigram and the bigram with the previous CJK character. */
static void cjk_char(struct tk *k, const char *u, size_t n)
{
	emit(k, u, n);
	if (k->cjk_prev_len > 0)
		emit2(k, k->cjk_prev, k->cjk_prev_len, u, n);
	memcpy(k->cjk_prev, u, n);
	k->cjk_prev_len = n;
}

/* url_end - length of the URL starting at s (up to white space, quotes, angle brackets). */
static size_t url_end(const unsigned char *s, size_t n)
{
	size_t i = 0;

	while (i < n && !is_url_stop(s[i]))
		i++;
	return i;
}

/* url_start - whether a URL starts at s. */
static bool url_start(const unsigned char *s, size_t n)
{
	const char *p = (const char *)s;

	return (n > 8 && (strncasecmp(p, "http://", 7) == 0 || strncasecmp(p, "https://", 8) == 0)) ||
	       (n > 6 && strncasecmp(p, "www.", 4) == 0);
}

/* text_tokens - tokenize text with the given prefix; osb enables word pairs. */
static void text_tokens(struct rp_tokens *t, const char *prefix, const char *text, size_t len, bool osb)
{
	struct tk k = { .t = t, .prefix = prefix, .base = prefix_state(prefix), .osb = osb, .cls = token_class(prefix) };
	const unsigned char *s = (const unsigned char *)text;
	size_t i = 0;

	if (len > t->max_text) {
		len = t->max_text;
		t->truncated = true;
	}
	while (i < len && t->added < t->max) {
		/* fast path: a run of ASCII letters, digits and '$' (most of the bytes of most text) */
		if (ascii_word[s[i]] && !(k.wlen == 0 && ((s[i] | 0x20) == 'h' || (s[i] | 0x20) == 'w') &&
					   url_start(s + i, len - i))) {
			for (; i < len && ascii_word[s[i]]; i++) {
				char ch = (char)s[i];
				if (ch >= 'A' && ch <= 'Z') {
					k.upper = true;
					ch = (char)(ch + 32);
				} else if (ch >= 'a' && ch <= 'z') {
					k.lower = true;
				}
				word_add(&k, (uint32_t)ch, &ch, 1);
			}
			k.cjk_prev_len = 0;
			continue;
		}
		size_t used;
		uint32_t raw = utf8_decode(s + i, len - i, &used), c = fold(raw);
		if (raw >= 'A' && raw <= 'Z')
			k.upper = true;
		else if (raw >= 'a' && raw <= 'z')
			k.lower = true;
		char u[4];
		size_t un;

		if (c < 0x80) {
			if (k.wlen == 0 && (c == 'h' || c == 'w') && url_start(s + i, len - i)) {
				size_t e = url_end(s + i, len - i);
				rp_tokens_add_url(t, text + i, e);
				k.cjk_prev_len = 0;
				k.upper = k.lower = false;
				i += e;
				continue;
			}
			i += used;
			if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '$' || c == '!') {
				char ch = (char)c;
				if (c == '!' && k.wlen == 0)
					continue;
				word_add(&k, c, &ch, 1);
			} else if (k.wlen > 0 && is_joiner((int)c)) {
				char ch = (char)c;
				word_add(&k, c, &ch, 1);
			} else if (k.wlen > 0) {
				flush_word(&k);
			}
			k.cjk_prev_len = 0;
			continue;
		}
		i += used;
		un = utf8_encode(c, u);
		if (is_cjk(c)) {
			if (k.wlen > 0)
				flush_word(&k);
			cjk_char(&k, u, un);
		} else if (is_letter(c)) {
			word_add(&k, c, u, un);
			k.cjk_prev_len = 0;
		} else {
			if (k.wlen > 0)
				flush_word(&k);
			k.cjk_prev_len = 0;
		}
	}
	if (k.wlen > 0)
		flush_word(&k);
	if (t->added >= t->max)
		t->truncated = true;
}

void rp_tokens_add_text(struct rp_tokens *t, const char *prefix, const char *text, size_t len)
{
	text_tokens(t, prefix, text, len, prefix == NULL || strcmp(prefix, "subject") == 0);
}

/* url_host_tokens - "url:host", its parent domains of two labels or more, "url:ip" for addresses. */
static void url_host_tokens(struct rp_tokens *t, const char *host, size_t n)
{
	size_t dots[3];
	size_t ndots = 0;

	if (n == 0)
		return;
	rp_tokens_add(t, "url", host, n);
	if (is_ipv4(host, n, dots)) {
		rp_tokens_add(t, "url", "ip", 2);
		return;
	}
	for (size_t i = 0; i < n; i++)
		if (host[i] == '.')
			ndots++;
	for (size_t i = 0; i < n && ndots > 1; i++)
		if (host[i] == '.') {
			ndots--;
			rp_tokens_add(t, "url", host + i + 1, n - i - 1);
		}
}

void rp_tokens_add_url(struct rp_tokens *t, const char *url, size_t len)
{
	char host[256];
	size_t hn = 0, i = 0;
	const char *p;

	if (len > 2048)
		len = 2048;
	p = memmem(url, len, "://", 3);
	if (p != NULL && p - url < 12) {
		rp_tokens_add(t, "url", url, (size_t)(p - url) > 5 ? 5 : (size_t)(p - url));
		i = (size_t)(p - url) + 3;
	}
	size_t hs = i;
	while (i < len && url[i] != '/' && url[i] != '?' && url[i] != '#')
		i++;
	/* drop user info and port */
	const char *at = memchr(url + hs, '@', i - hs);
	if (at != NULL) {
		rp_tokens_add(t, "url", "userinfo", 8);
		hs = (size_t)(at - url) + 1;
	}
	for (size_t j = hs; j < i && url[j] != ':' && hn < sizeof(host); j++) {
		char c = url[j];
		host[hn++] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
	}
	while (hn > 0 && host[hn - 1] == '.')
		hn--;
	url_host_tokens(t, host, hn);
	if (memchr(url + hs, ':', i - hs) != NULL)
		rp_tokens_add(t, "url", "port", 4);
	/* path and query words */
	size_t words = 0;
	while (i < len && words < 12) {
		while (i < len && !((url[i] >= 'a' && url[i] <= 'z') || (url[i] >= 'A' && url[i] <= 'Z') ||
				    (url[i] >= '0' && url[i] <= '9')))
			i++;
		size_t s = i;
		char w[24];
		size_t wn = 0;
		while (i < len && ((url[i] >= 'a' && url[i] <= 'z') || (url[i] >= 'A' && url[i] <= 'Z') ||
				   (url[i] >= '0' && url[i] <= '9'))) {
			if (wn < sizeof(w))
				w[wn++] = (url[i] >= 'A' && url[i] <= 'Z') ? (char)(url[i] + 32) : url[i];
			i++;
		}
		if (i - s >= 2 && i - s <= sizeof(w)) {
			rp_tokens_add(t, "urlp", w, wn);
			words++;
		}
	}
}
