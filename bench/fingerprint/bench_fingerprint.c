/* bench_fingerprint.c - measures the campaign fingerprint on a mail corpus (SpamAssassin corpus).
 *
 * Usage: bench_fingerprint LISTFILE   (one message path per line; the parent folder names the group)
 * (a) false-match rate: every pair of distinct messages is compared; pairs at or above the
 *     threshold are split into explained ones (same normalised text; same subject line after
 *     stripping "Re:"/"Fwd:"/"[list]" tags: list copies and threads; same From address:
 *     newsletters from one template; a URL host in common: one campaign's landing pages)
 *     and the rest, which are counted as false matches.
 * (b) true-match rate: each message is varied (word substitution, digits, white space, URL
 *     query strings, paragraph order, all together) and compared with its original.
 * The text comes from rp_message_parse(), as evidence.c feeds it: the decoded Subject, then the
 * text/plain parts, or the HTML text when there is no plain text. Only a message the parser
 * refuses falls back on a crude body extractor (headers skipped up to the first blank line,
 * base64 lines decoded, quoted-printable undone when the header says so, HTML tags dropped). */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "repute/alloc.h"
#include "repute/fingerprint.h"
#include "repute/message.h"

#define MAX_MSGS 20000

#define MAX_HOSTS 8

struct msg {
	char *path, *group, *subject, *text;
	char *from;               /* lower-cased From address */
	uint64_t host[MAX_HOSTS]; /* hashes of URL host names in the body */
	size_t n_hosts;
	uint64_t *sh;             /* sorted distinct word 4-shingle hashes, computed on demand */
	size_t n_sh;
	bool sh_done;
	size_t len;
	uint64_t text_hash, subj_hash;
	struct rp_fingerprint fp;
};

static struct msg msgs[MAX_MSGS];
static size_t n_msgs;
static uint64_t rng = 88172645463325252ULL;

/* rnd - xorshift64 pseudo-random numbers (deterministic runs). */
static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* hash_norm - FNV-1a of the alphanumeric characters, lower-cased. */
static uint64_t hash_norm(const char *s, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < n; i++)
		if (isalnum((unsigned char)s[i]))
			h = (h ^ (unsigned char)tolower((unsigned char)s[i])) * 0x100000001b3ULL;
	return h;
}

/* read_file - whole file, NUL-terminated. */
static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *p;
	long n;

	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	p = xmalloc((size_t)n + 1);
	*len = fread(p, 1, (size_t)n, f);
	p[*len] = '\0';
	fclose(f);
	return p;
}

/* subject_of - the Subject header without "Re:", "Fwd:" and "[tag]" prefixes. */
static char *subject_of(const char *hdr, size_t n)
{
	const char *s = NULL;
	char *out;
	size_t k;

	for (size_t i = 0; i + 8 < n; i++)
		if ((i == 0 || hdr[i - 1] == '\n') && strncasecmp(hdr + i, "Subject:", 8) == 0) {
			s = hdr + i + 8;
			break;
		}
	if (s == NULL)
		return xstrdup("");
	k = strcspn(s, "\r\n");
	out = xmemdup0(s, k);
	for (bool again = true; again;) {
		char *p = out;
		again = false;
		while (*p == ' ' || *p == '\t')
			p++;
		if (strncasecmp(p, "re:", 3) == 0 || strncasecmp(p, "fw:", 3) == 0) {
			memmove(out, p + 3, strlen(p + 3) + 1);
			again = true;
		} else if (strncasecmp(p, "fwd:", 4) == 0) {
			memmove(out, p + 4, strlen(p + 4) + 1);
			again = true;
		} else if (*p == '[' && strchr(p, ']')) {
			char *q = strchr(p, ']') + 1;
			memmove(out, q, strlen(q) + 1);
			again = true;
		} else if (p != out) {
			memmove(out, p, strlen(p) + 1);
		}
	}
	return out;
}

/* b64val - value of a base64 digit, or -1. */
static int b64val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	return c == '+' ? 62 : c == '/' ? 63 : -1;
}

/* is_b64_line - a line of base64 (at least 40 digits, nothing else but '=' padding). */
static bool is_b64_line(const char *l, size_t n)
{
	while (n > 0 && (l[n - 1] == '\r' || l[n - 1] == '='))
		n--;
	if (n < 16)
		return false;
	for (size_t i = 0; i < n; i++)
		if (b64val((unsigned char)l[i]) < 0)
			return false;
	return true;
}

/* b64_line - decode one line of base64 onto out. */
static size_t b64_line(const char *l, size_t n, char *out)
{
	uint32_t acc = 0;
	int bits = 0;
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		int v = b64val((unsigned char)l[i]);
		if (v < 0)
			continue;
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (char)(acc >> bits & 0xFF);
		}
	}
	return o;
}

/* qp_line - undo quoted-printable on one line onto out; soft breaks join lines. */
static size_t qp_line(const char *l, size_t n, char *out)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		if (l[i] == '=' && i + 2 < n + 1 && i + 1 == n) {
			return o; /* soft line break */
		}
		if (l[i] == '=' && i + 2 < n && isxdigit((unsigned char)l[i + 1]) && isxdigit((unsigned char)l[i + 2])) {
			char hx[3] = { l[i + 1], l[i + 2], 0 };
			out[o++] = (char)strtol(hx, NULL, 16);
			i += 2;
		} else {
			out[o++] = l[i];
		}
	}
	out[o++] = '\n';
	return o;
}

/* decode_lines - drop MIME boundaries, part headers and the preamble line, decode base64
 * lines and (when qp) quoted-printable; the result is at most as long as the input. */
static size_t decode_lines(const char *s, size_t n, bool qp, char *out)
{
	size_t o = 0;

	for (size_t i = 0; i < n;) {
		size_t e = i, ll;
		while (e < n && s[e] != '\n')
			e++;
		ll = e - i;
		if ((ll >= 2 && s[i] == '-' && s[i + 1] == '-') || (ll >= 8 && strncasecmp(s + i, "Content-", 8) == 0) ||
		    (ll >= 20 && strncmp(s + i, "This is a multi-part", 20) == 0) ||
		    (ll > 0 && (s[i] == ' ' || s[i] == '\t') && memmem(s + i, ll, "boundary=", 9))) {
			/* not text */
		} else if (is_b64_line(s + i, ll)) {
			o += b64_line(s + i, ll, out + o);
		} else if (qp) {
			o += qp_line(s + i, ll, out + o);
		} else {
			memcpy(out + o, s + i, ll);
			o += ll;
			out[o++] = '\n';
		}
		i = e + 1;
	}
	return o;
}

/* crude_body - body after the header block, decoded line by line, HTML tags dropped. */
static char *crude_body(const char *raw, size_t n, size_t hdr_len, bool qp, size_t *out_len)
{
	char *dec = xmalloc(n - hdr_len + 2), *out;
	size_t dn = decode_lines(raw + hdr_len, n - hdr_len, qp, dec), o = 0;
	bool in_tag = false;

	out = xmalloc(dn + 1);
	for (size_t i = 0; i < dn; i++) {
		char c = dec[i];
		if (c == '<' && i + 1 < dn && (isalpha((unsigned char)dec[i + 1]) || dec[i + 1] == '/' || dec[i + 1] == '!')) {
			in_tag = true;
			continue;
		}
		if (in_tag) {
			if (c == '>') {
				in_tag = false;
				out[o++] = ' ';
			}
			continue;
		}
		if (c == '&' && i + 6 <= dn && strncmp(dec + i, "&nbsp;", 6) == 0) {
			out[o++] = ' ';
			i += 5;
			continue;
		}
		out[o++] = c == '\0' ? ' ' : c;
	}
	out[o] = '\0';
	xfree(dec);
	*out_len = o;
	return out;
}

/* from_of - the address in the From header, lower-cased ("" when none). */
static char *from_of(const char *hdr, size_t n)
{
	for (size_t i = 0; i + 5 < n; i++) {
		if ((i == 0 || hdr[i - 1] == '\n') && strncasecmp(hdr + i, "From:", 5) == 0) {
			size_t k = strcspn(hdr + i, "\r\n");
			char *line = xmemdup0(hdr + i + 5, k - 5), *a = strchr(line, '<'), *out;
			if (a == NULL) {
				a = line;
				while (*a == ' ')
					a++;
			} else {
				a++;
			}
			a[strcspn(a, "> \t")] = '\0';
			for (char *p = a; *p; p++)
				*p = (char)tolower((unsigned char)*p);
			out = xstrdup(a);
			xfree(line);
			return out;
		}
	}
	return xstrdup("");
}

/* hosts_of - hashes of the first URL host names in the body. */
static void hosts_of(struct msg *m, const char *body)
{
	for (const char *p = strstr(body, "://"); p != NULL && m->n_hosts < MAX_HOSTS; p = strstr(p + 3, "://")) {
		size_t k = 0;
		uint64_t h;
		bool dup = false;
		while (isalnum((unsigned char)p[3 + k]) || p[3 + k] == '.' || p[3 + k] == '-')
			k++;
		if (k == 0)
			continue;
		h = hash_norm(p + 3, k);
		for (size_t i = 0; i < m->n_hosts; i++)
			dup |= m->host[i] == h;
		if (!dup)
			m->host[m->n_hosts++] = h;
	}
}

/* share_host - whether two messages link to a common host. */
static bool share_host(const struct msg *a, const struct msg *b)
{
	for (size_t i = 0; i < a->n_hosts; i++)
		for (size_t j = 0; j < b->n_hosts; j++)
			if (a->host[i] == b->host[j])
				return true;
	return false;
}

/* load - read one message, build its text (subject + body) and fingerprint. */
static void load(const char *path)
{
	struct msg *m = &msgs[n_msgs];
	size_t n, hl, bl;
	char *raw = read_file(path, &n), *hdr_end, *body, *slash;
	bool qp;

	if (raw == NULL)
		return;
	hdr_end = strstr(raw, "\n\n");
	hl = hdr_end ? (size_t)(hdr_end - raw) + 2 : n;
	m->path = xstrdup(path);
	m->group = xstrdup(path);
	if ((slash = strrchr(m->group, '/')) != NULL) {
		*slash = '\0';
		if ((slash = strrchr(m->group, '/')) != NULL)
			memmove(m->group, slash + 1, strlen(slash + 1) + 1);
	}
	m->subject = subject_of(raw, hl);
	m->from = from_of(raw, hl);
	qp = memmem(raw, hl, "quoted-printable", 16) != NULL;
	body = crude_body(raw, n, hl, qp, &bl);
	{
		struct rp_message *pm = NULL;
		struct rp_diag diag;
		if (rp_message_parse(raw, n, NULL, &pm, &diag) == 0) {
			const char *subj = rp_message_header(pm, "Subject");
			const char *t = pm->text && pm->text[0] ? pm->text : pm->html_text ? pm->html_text : "";
			xfree(body);
			body = xstrdup(t);
			bl = strlen(body);
			m->text = xasprintf("%s\n%s", subj ? subj : "", body);
		} else {
			m->text = xasprintf("%s\n%s", m->subject, body);
		}
		rp_message_free(pm);
	}
	m->len = strlen(m->text);
	m->text_hash = hash_norm(body, bl);
	hosts_of(m, body);
	m->subj_hash = hash_norm(m->subject, strlen(m->subject));
	rp_fingerprint_compute(m->text, m->len, &m->fp);
	xfree(body);
	xfree(raw);
	n_msgs++;
}

/* cmp_u64 - qsort order for uint64_t. */
static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* shingles - exact set of word 4-shingles (letters only, lower-cased), independent of the
 * library's tokeniser, to tell shared content from estimation error. */
static void shingles(struct msg *m)
{
	uint64_t ring[4] = { 0 }, n_words = 0;
	size_t cap = 256;
	const char *t = m->text;

	m->sh = xmalloc(cap * sizeof(*m->sh));
	m->sh_done = true;
	for (size_t i = 0; t[i];) {
		uint64_t h = 0xcbf29ce484222325ULL;
		size_t j = i;
		if (!isalpha((unsigned char)t[i])) {
			i++;
			continue;
		}
		while (isalpha((unsigned char)t[j]))
			h = (h ^ (unsigned char)tolower((unsigned char)t[j++])) * 0x100000001b3ULL;
		i = j;
		ring[n_words++ % 4] = h;
		if (n_words < 4)
			continue;
		if (m->n_sh == cap)
			m->sh = xrealloc(m->sh, (cap *= 2) * sizeof(*m->sh));
		m->sh[m->n_sh++] = ring[(n_words - 4) % 4] ^ (ring[(n_words - 3) % 4] * 31) ^
				     (ring[(n_words - 2) % 4] * 961) ^ (ring[(n_words - 1) % 4] * 29791);
	}
	qsort(m->sh, m->n_sh, sizeof(*m->sh), cmp_u64);
	size_t o = 0;
	for (size_t i = 0; i < m->n_sh; i++)
		if (o == 0 || m->sh[o - 1] != m->sh[i])
			m->sh[o++] = m->sh[i];
	m->n_sh = o;
}

/* jaccard - exact Jaccard similarity of two messages' shingle sets. */
static double jaccard(struct msg *a, struct msg *b)
{
	size_t i = 0, j = 0, both = 0;

	if (!a->sh_done)
		shingles(a);
	if (!b->sh_done)
		shingles(b);
	while (i < a->n_sh && j < b->n_sh) {
		if (a->sh[i] == b->sh[j])
			both++, i++, j++;
		else if (a->sh[i] < b->sh[j])
			i++;
		else
			j++;
	}
	return a->n_sh + b->n_sh - both ? (double)both / (double)(a->n_sh + b->n_sh - both) : 0.0;
}

/* pair_kind - 0 spam-spam, 1 ham-ham, 2 spam-ham. */
static int pair_kind(const struct msg *a, const struct msg *b)
{
	bool sa = strncmp(a->group, "spam", 4) == 0, sb = strncmp(b->group, "spam", 4) == 0;

	return sa && sb ? 0 : (!sa && !sb ? 1 : 2);
}

/* explain - why two similar messages are similar: 0 identical text, 1 same subject,
 * 2 same From, 3 a URL host in common, 4 shared text (exact Jaccard >= 0.25),
 * 5 weakly related (0.1 <= J < 0.25), 6 unrelated (J < 0.1). */
static int explain(struct msg *a, struct msg *b)
{
	double j;

	if (a->text_hash == b->text_hash)
		return 0;
	if (a->subj_hash == b->subj_hash && a->subject[0] != '\0')
		return 1;
	if (a->from[0] != '\0' && strcmp(a->from, b->from) == 0)
		return 2;
	if (share_host(a, b))
		return 3;
	j = jaccard(a, b);
	return j >= 0.25 ? 4 : j >= 0.1 ? 5 : 6;
}

/* false_matches - (a): all pairs. */
static void false_matches(void)
{
	static const char *const kinds[] = { "spam-spam", "ham-ham", "spam-ham" };
	static const char *const why[] = { "identical-text", "same-subject", "same-from", "shared-url-host",
					   "shared-text(J>=0.25)", "weak(0.1<=J<0.25)", "unrelated(J<0.1)" };
	unsigned long long pairs[3] = { 0 }, hits[3][7] = { { 0 } }, hist[RP_FP_SLOTS + 1] = { 0 };
	unsigned long long unrel[RP_FP_SLOTS + 1] = { 0 }, weak[RP_FP_SLOTS + 1] = { 0 };
	size_t shown = 0;

	for (size_t i = 0; i < n_msgs; i++) {
		if (msgs[i].fp.n_features == 0)
			continue;
		for (size_t j = i + 1; j < n_msgs; j++) {
			int k, slots, c;
			if (msgs[j].fp.n_features == 0)
				continue;
			k = pair_kind(&msgs[i], &msgs[j]);
			pairs[k]++;
			slots = (int)(rp_fingerprint_similarity(&msgs[i].fp, &msgs[j].fp) * RP_FP_SLOTS + 0.5);
			hist[slots]++;
			if (slots < 8)
				continue;
			c = explain(&msgs[i], &msgs[j]);
			unrel[slots] += c == 6;
			weak[slots] += c == 5;
			if (!rp_fingerprint_match(&msgs[i].fp, &msgs[j].fp))
				continue;
			hits[k][c]++;
			if ((c >= 5 || k == 2) && shown++ < 40)
				printf("  %s match %d/32 (exact Jaccard %.2f) %s %s\n", c >= 5 ? "unexplained" : "spam-ham", slots,
				       jaccard(&msgs[i], &msgs[j]), msgs[i].path, msgs[j].path);
		}
	}
	printf("similarity histogram: equal slots, pairs, of which weakly related / unrelated (no common\n"
	       "text, subject, sender or URL host; exact Jaccard of word 4-shingles 0.1..0.25 / < 0.1)\n");
	for (int s = 0; s <= RP_FP_SLOTS; s++)
		printf("  %2d: %llu  weak %llu  unrelated %llu\n", s, hist[s], weak[s], unrel[s]);
	for (int k = 0; k < 3; k++) {
		printf("%-9s pairs %llu, matches:", kinds[k], pairs[k]);
		for (int c = 0; c < 7; c++)
			printf(" %s %llu", why[c], hits[k][c]);
		printf("; false-match rate (unrelated) %.3g\n", pairs[k] ? (double)hits[k][6] / (double)pairs[k] : 0.0);
	}
}

/* rand_word - a random lower-case word of n letters. */
static void rand_word(char *w, size_t n)
{
	for (size_t i = 0; i < n; i++)
		w[i] = (char)('a' + rnd() % 26);
	w[n] = '\0';
}

/* vary_words - replace every occurrence of two words chosen at random with new names. */
static char *vary_words(const char *t)
{
	char *out = xstrdup(t);
	size_t n = strlen(out);

	for (int round = 0; round < 2; round++) {
		char word[32], repl[32];
		size_t at = 0, wl = 0;
		for (int tries = 0; tries < 50 && wl == 0; tries++) {
			at = rnd() % (n + 1);
			while (at < n && !isalpha((unsigned char)out[at]))
				at++;
			while (at > 0 && isalpha((unsigned char)out[at - 1]))
				at--;
			while (at + wl < n && isalpha((unsigned char)out[at + wl]))
				wl++;
			if (wl < 4 || wl >= sizeof(word))
				wl = 0;
		}
		if (wl == 0)
			continue;
		memcpy(word, out + at, wl);
		word[wl] = '\0';
		rand_word(repl, wl);
		for (char *p = out; (p = strstr(p, word)) != NULL; p += wl)
			memcpy(p, repl, wl);
	}
	return out;
}

/* vary_digits - every digit replaced by a random digit. */
static char *vary_digits(const char *t)
{
	char *out = xstrdup(t);

	for (char *p = out; *p; p++)
		if (isdigit((unsigned char)*p))
			*p = (char)('0' + rnd() % 10);
	return out;
}

/* vary_space - every space becomes one to three blanks or a newline. */
static char *vary_space(const char *t)
{
	size_t n = strlen(t);
	char *out = xmalloc(n * 3 + 1), *o = out;

	for (const char *p = t; *p; p++) {
		if (*p == ' ') {
			int k = 1 + (int)(rnd() % 3);
			for (int i = 0; i < k; i++)
				*o++ = rnd() % 4 == 0 ? '\n' : ' ';
		} else {
			*o++ = *p;
		}
	}
	*o = '\0';
	return out;
}

/* vary_query - every http URL gets a new tracking query string. */
static char *vary_query(const char *t)
{
	size_t n = strlen(t), cap = n * 2 + 64, o = 0;
	char *out = xmalloc(cap);

	for (size_t i = 0; i < n;) {
		if (strncmp(t + i, "http", 4) == 0 && strstr(t + i, "://") == t + i + 4 + (t[i + 4] == 's')) {
			size_t j = i;
			while (j < n && !isspace((unsigned char)t[j]) && t[j] != '?' && t[j] != '"' && t[j] != '>')
				j++;
			while (o + (j - i) + 48 >= cap)
				out = xrealloc(out, cap *= 2);
			memcpy(out + o, t + i, j - i);
			o += j - i;
			o += (size_t)sprintf(out + o, "?utm_id=%llx&r=%llu", (unsigned long long)rnd(),
					     (unsigned long long)(rnd() % 100000));
			while (j < n && !isspace((unsigned char)t[j]) && t[j] != '"' && t[j] != '>')
				j++;
			i = j;
		} else {
			if (o + 2 >= cap)
				out = xrealloc(out, cap *= 2);
			out[o++] = t[i++];
		}
	}
	out[o] = '\0';
	return out;
}

/* vary_paragraphs - swap the first two paragraphs of the body. */
static char *vary_paragraphs(const char *t)
{
	const char *a = strstr(t, "\n\n"), *b;
	char *out;

	if (a == NULL || (b = strstr(a + 2, "\n\n")) == NULL)
		return xstrdup(t);
	b += 2;
	{
		const char *c = strstr(b, "\n\n");
		size_t la = (size_t)(b - (a + 2)), lb = c ? (size_t)(c + 2 - b) : strlen(b);
		out = xmalloc(strlen(t) + 3);
		size_t o = (size_t)(a + 2 - t);
		memcpy(out, t, o);
		memcpy(out + o, b, lb);
		o += lb;
		if (c == NULL)
			out[o++] = '\n', out[o++] = '\n';
		memcpy(out + o, a + 2, la);
		o += la;
		strcpy(out + o, b + lb);
	}
	return out;
}

/* vary_all - words, digits, white space and query strings together. */
static char *vary_all(const char *t)
{
	char *a = vary_words(t), *b = vary_digits(a), *c = vary_space(b), *d = vary_query(c);

	xfree(a);
	xfree(b);
	xfree(c);
	return d;
}

/* true_matches - (b): each fingerprinted message against its varied copies. */
static void true_matches(void)
{
	static const struct { const char *name; char *(*fn)(const char *); } vars[] = {
		{ "words (2 names replaced)", vary_words }, { "digits", vary_digits },
		{ "white space", vary_space },             { "URL query strings", vary_query },
		{ "paragraph order", vary_paragraphs },    { "all of words+digits+space+query", vary_all },
	};

	for (size_t v = 0; v < sizeof(vars) / sizeof(vars[0]); v++) {
		size_t tried = 0, matched = 0, at[RP_FP_SLOTS + 1] = { 0 };
		double sum = 0;
		for (size_t i = 0; i < n_msgs; i++) {
			struct rp_fingerprint f;
			char *t;
			if (msgs[i].fp.n_features == 0)
				continue;
			t = vars[v].fn(msgs[i].text);
			rp_fingerprint_compute(t, strlen(t), &f);
			tried++;
			matched += rp_fingerprint_match(&msgs[i].fp, &f);
			sum += rp_fingerprint_similarity(&msgs[i].fp, &f);
			at[(int)(rp_fingerprint_similarity(&msgs[i].fp, &f) * RP_FP_SLOTS + 0.5)]++;
			xfree(t);
		}
		for (int k = RP_FP_SLOTS - 1; k >= 0; k--)
			at[k] += at[k + 1];
		printf("variant %-34s: %zu/%zu match (%.2f%%), mean similarity %.3f\n", vars[v].name, matched, tried,
		       tried ? 100.0 * (double)matched / (double)tried : 0.0, tried ? sum / (double)tried : 0.0);
		printf("    match rate if the threshold were 10/12/14/16/18/20 slots: %.2f %.2f %.2f %.2f %.2f %.2f%%\n",
		       100.0 * (double)at[10] / (double)tried, 100.0 * (double)at[12] / (double)tried,
		       100.0 * (double)at[14] / (double)tried, 100.0 * (double)at[16] / (double)tried,
		       100.0 * (double)at[18] / (double)tried, 100.0 * (double)at[20] / (double)tried);
	}
}

int main(int argc, char **argv)
{
	FILE *f;
	char line[4096];
	size_t empty = 0;

	if (argc != 2 || (f = fopen(argv[1], "r")) == NULL) {
		fprintf(stderr, "usage: fpbench LISTFILE\n");
		return 2;
	}
	while (n_msgs < MAX_MSGS && fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if (line[0] != '\0')
			load(line);
	}
	fclose(f);
	for (size_t i = 0; i < n_msgs; i++)
		empty += msgs[i].fp.n_features == 0;
	printf("text from rp_message_parse (MIME decoded)\n");
	printf("messages %zu, too short to fingerprint %zu\n", n_msgs, empty);
	false_matches();
	true_matches();
	for (size_t i = 0; i < n_msgs; i++) {
		xfree(msgs[i].path);
		xfree(msgs[i].group);
		xfree(msgs[i].subject);
		xfree(msgs[i].from);
		xfree(msgs[i].sh);
		xfree(msgs[i].text);
	}
	return 0;
}
