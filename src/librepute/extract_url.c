/* extract_url.c - URLs and e-mail addresses in plain text; host and URL normalisation.
 *
 * rp_extract_text() works on a private copy of the text in three passes:
 *  1. fold: remove invisible characters (zero-width, soft hyphen, BOM, word joiner) and fold
 *     full-width ASCII forms and the ideographic full stop to ASCII;
 *  2. defang: undo common obfuscation ("hxxp", "[.]", "(dot)", "[:]", "[at]", " dot ",
 *     "www . example . com") only where a clear marker is present;
 *  3. scan: URLs with a scheme, "www." hosts and bare hosts with a known TLD, then e-mail
 *     addresses, then phone numbers (extract_phone.c) in what is left.
 * A per-byte mark array follows the text through the passes so a URL found in rewritten
 * bytes is flagged obfuscated and bytes already used are not reused by later scans.
 * Hosts are lower-cased, percent-decoded, converted to punycode with libidn2 (TR46
 * non-transitional) and reduced to registrable domains with libpsl. */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <idn2.h>
#include <libpsl.h>

#include "repute/alloc.h"
#include "repute/ascii.h"
#include "repute/buf.h"
#include "repute/extract.h"
#include "repute/utf8.h"
#include "extract_priv.h"


#define HOST_MAX 253
#define CHAIN_LABELS 16 /* de-obfuscation looks at most this many labels ahead */

struct text {
	struct buf t; /* bytes */
	struct buf m; /* one mark byte per text byte */
};

/* text_put - append one byte with its mark. */
static void text_put(struct text *x, char c, unsigned char mark)
{
	buf_putc(&x->t, c);
	buf_putc(&x->m, (char)mark);
}

/* text_append - append n bytes; the first gets mark, the rest none. */
static void text_append(struct text *x, const char *p, size_t n, unsigned char mark)
{
	buf_append(&x->t, p, n);
	buf_reserve(&x->m, n);
	memset(x->m.data + x->m.len, 0, n);
	x->m.data[x->m.len] = (char)mark;
	x->m.len += n;
	x->m.data[x->m.len] = '\0';
}

/* text_copy - append n bytes with their own marks. */
static void text_copy(struct text *x, const char *p, const unsigned char *marks, size_t n)
{
	buf_append(&x->t, p, n);
	buf_append(&x->m, marks, n);
}

/* text_pop - drop the last byte. */
static void text_pop(struct text *x)
{
	x->t.data[--x->t.len] = '\0';
	x->m.data[--x->m.len] = '\0';
}

/* is_label - byte allowed in a host label written in ASCII. */
static bool is_label(unsigned char c)
{
	return ascii_is(c, ASCII_LABEL);
}


/* is_invisible - characters spammers insert to break up URLs. */
static bool is_invisible(uint32_t cp)
{
	return cp == 0x200B || cp == 0x200C || cp == 0x200D || cp == 0xFEFF || cp == 0x2060 || cp == 0x00AD;
}

/* fold_text - pass 1: drop invisible characters and fold full-width forms to ASCII. */
static void fold_text(const char *in, size_t len, struct text *out)
{
	const unsigned char *s = (const unsigned char *)in;
	unsigned char pending = 0;

	for (size_t i = 0; i < len;) {
		size_t cl;
		if (s[i] < 0x80) { /* ASCII runs are copied as they are */
			size_t j = i + 1;
			for (uint64_t v; j + 8 <= len; j += 8) { /* eight bytes at a time */
				memcpy(&v, s + j, 8);
				if (v & 0x8080808080808080ULL)
					break;
			}
			while (j < len && s[j] < 0x80)
				j++;
			text_append(out, in + i, j - i, pending);
			pending = 0;
			i = j;
			continue;
		}
		uint32_t cp = utf8_decode(s + i, len - i, &cl);

		if (is_invisible(cp)) {
			pending = XM_EDITED;
		} else if (cp >= 0xFF01 && cp <= 0xFF5E) {
			text_put(out, (char)(cp - 0xFEE0), XM_EDITED);
			pending = 0;
		} else if (cp == 0x3002 || cp == 0xFF61) {
			text_put(out, '.', XM_EDITED);
			pending = 0;
		} else if (cp == 0x3000) {
			text_put(out, ' ', 0);
			pending = 0;
		} else {
			for (size_t k = 0; k < cl; k++)
				text_put(out, (char)s[i + k], pending);
			pending = 0;
		}
		i += cl;
	}
}

/* out_last - last byte written, or 0. */
static unsigned char out_last(const struct text *o)
{
	return o->t.len ? (unsigned char)o->t.data[o->t.len - 1] : 0;
}

/* skip_ws - index of the first non-blank byte at or after i. */
static size_t skip_ws(const char *t, size_t i, size_t len)
{
	while (i < len && (t[i] == ' ' || t[i] == '\t'))
		i++;
	return i;
}

/* bracket_token - "[.]", "(dot)", "{at}", "[:]", "[://]", "[/]" at i: the replacement
 * text, with *n set to the bytes consumed; NULL when none. */
static const char *bracket_token(const char *t, size_t i, size_t len, size_t *n)
{
	static const struct { const char *inner; const char *repl; } tok[] = {
		{ ".", "." }, { "dot", "." }, { "d0t", "." }, { "at", "@" },
		{ "://", "://" }, { ":", ":" }, { "/", "/" },
	};
	char close;
	size_t j;

	switch (t[i]) {
	case '[': close = ']'; break;
	case '(': close = ')'; break;
	case '{': close = '}'; break;
	default: return NULL;
	}
	for (size_t k = 0; k < sizeof(tok) / sizeof(tok[0]); k++) {
		size_t m = strlen(tok[k].inner);
		j = skip_ws(t, i + 1, len);
		if (j + m > len || strncasecmp(t + j, tok[k].inner, m) != 0)
			continue;
		j = skip_ws(t, j + m, len);
		if (j < len && t[j] == close) {
			*n = j + 1 - i;
			return tok[k].repl;
		}
	}
	return NULL;
}

/* sep_kind - separator between host labels at i: 0 none, 1 ".", 2 bracket, 3 " dot ",
 * 4 spaced "."; *n gets its length. */
static int sep_kind(const char *t, size_t i, size_t len, size_t *n)
{
	size_t j = skip_ws(t, i, len), bn;
	const char *r;

	if (j < len && t[j] == '.') {
		size_t k = skip_ws(t, j + 1, len);
		*n = k - i;
		return (j == i && k == j + 1) ? 1 : 4;
	}
	if (j < len && (r = bracket_token(t, j, len, &bn)) != NULL && r[0] == '.' && r[1] == '\0') {
		*n = skip_ws(t, j + bn, len) - i;
		return 2;
	}
	if (j > i && j + 3 < len && ascii_starts_ci(t + j, len - j, "dot", 3) && (t[j + 3] == ' ' || t[j + 3] == '\t')) {
		*n = skip_ws(t, j + 3, len) - i;
		return 3;
	}
	return 0;
}

/* label_len - length of an ASCII label at i (0..63 accepted, 0 when none). */
static size_t label_len(const char *t, size_t i, size_t len)
{
	size_t j = i;

	while (j < len && j - i < 64 && is_label((unsigned char)t[j]))
		j++;
	return j - i > 63 ? 0 : j - i;
}

/* separator_may_follow - whether sep_kind could find a separator at i: the cheap test that
 * lets ordinary words skip chain_parse. */
static bool separator_may_follow(const char *t, size_t i, size_t len)
{
	size_t j = skip_ws(t, i, len);

	if (j >= len)
		return false;
	switch (t[j]) {
	case '.': case '[': case '(': case '{':
		return true;
	case 'd': case 'D':
		return j > i; /* " dot " needs white space before it */
	}
	return false;
}

struct chain {
	size_t end;            /* input index after the last label */
	size_t n_labels;
	size_t sep_at[CHAIN_LABELS], sep_len[CHAIN_LABELS], lab_at[CHAIN_LABELS], lab_len[CHAIN_LABELS];
	int n_bracket, n_dotword, n_spaced;
};

/* chain_parse - labels joined by separators starting at i (bounded to CHAIN_LABELS). */
static void chain_parse(const char *t, size_t i, size_t len, struct chain *c)
{
	c->n_bracket = c->n_dotword = c->n_spaced = 0; /* arrays are filled as labels are found */
	c->lab_at[0] = i;
	c->lab_len[0] = label_len(t, i, len);
	c->n_labels = 1;
	c->end = i + c->lab_len[0];
	while (c->n_labels < CHAIN_LABELS) {
		size_t sn, ll;
		int k = sep_kind(t, c->end, len, &sn);
		if (k == 0 || (ll = label_len(t, c->end + sn, len)) == 0)
			break;
		c->sep_at[c->n_labels] = c->end;
		c->sep_len[c->n_labels] = sn;
		c->lab_at[c->n_labels] = c->end + sn;
		c->lab_len[c->n_labels] = ll;
		c->n_bracket += k == 2;
		c->n_dotword += k == 3;
		c->n_spaced += k == 4;
		c->end = c->end + sn + ll;
		c->n_labels++;
	}
}

/* chain_accept - whether a chain is clearly an obfuscated host name. */
static bool chain_accept(struct rp_extractor *x, const char *t, size_t len, const struct chain *c)
{
	size_t last = c->n_labels - 1;
	bool www = c->lab_len[0] == 3 && ascii_starts_ci(t + c->lab_at[0], 3, "www", 3);

	if (c->n_labels < 2 || c->n_bracket + c->n_dotword + c->n_spaced == 0)
		return false;
	if (c->n_bracket > 0)
		return true;
	if (!extract_known_tld(x, t + c->lab_at[last], c->lab_len[last]))
		return false;
	if (www || c->n_dotword >= 2)
		return true;
	return c->end < len && t[c->end] == '/';
}

/* chain_emit - write an accepted chain with plain dots. */
static void chain_emit(const char *t, const unsigned char *m, const struct chain *c, struct text *o)
{
	for (size_t l = 0; l < c->n_labels; l++) {
		if (l > 0)
			text_put(o, '.', c->sep_len[l] == 1 ? m[c->sep_at[l]] : XM_EDITED);
		for (size_t k = 0; k < c->lab_len[l]; k++)
			text_put(o, t[c->lab_at[l] + k], m[c->lab_at[l] + k] | XM_EDITED);
	}
}

/* hxxp_len - "hxxp:", "hXXps:", "h**p[:]" at i: length of the scheme word, 0 when none. */
static size_t hxxp_len(const char *t, size_t i, size_t len, bool *https)
{
	size_t j = i + 4;

	if (i + 5 > len || (t[i] != 'h' && t[i] != 'H') || (t[i + 3] != 'p' && t[i + 3] != 'P'))
		return 0;
	for (size_t k = 1; k <= 2; k++)
		if (t[i + k] == '\0' || !strchr("xX*", t[i + k]))
			return 0;
	*https = j < len && (t[j] == 's' || t[j] == 'S');
	if (*https)
		j++;
	if (j < len && (t[j] == ':' || t[j] == '['))
		return j - i;
	return 0;
}

/* go_dirty - the first edit of defang: copy the unchanged input before i to the output. */
static void go_dirty(struct text *o, const char *t, const unsigned char *m, size_t i, bool *dirty)
{
	if (!*dirty)
		text_copy(o, t, m, i);
	*dirty = true;
}

/* defang - pass 2: undo obfuscation that carries a clear marker into o; false (o untouched)
 * when nothing needed undoing, which is most text: the caller then keeps using in. */
static bool defang(struct rp_extractor *x, const struct text *in, struct text *o)
{
	const char *t = in->t.data;
	const unsigned char *m = (const unsigned char *)in->m.data;
	size_t len = in->t.len;
	bool dirty = false; /* while clean, the output is exactly t[0..i): nothing is copied */

	for (size_t i = 0; i < len;) {
		unsigned char prev = dirty ? out_last(o) : i ? (unsigned char)t[i - 1] : 0;
		bool boundary = !is_label(prev) && prev != '.';
		const char *r;
		size_t n;
		bool https;

		if (boundary && (n = hxxp_len(t, i, len, &https)) > 0) {
			go_dirty(o, t, m, i, &dirty);
			for (const char *s = https ? "https" : "http"; *s; s++)
				text_put(o, *s, XM_EDITED);
			i += n;
			continue;
		}
		if (boundary && is_label((unsigned char)t[i])) {
			struct chain c;
			size_t ll = label_len(t, i, len);
			if (ll > 0 && !separator_may_follow(t, i + ll, len)) { /* most words: no chain */
				if (dirty)
					text_copy(o, t + i, m + i, ll);
				i += ll;
				continue;
			}
			chain_parse(t, i, len, &c);
			if (chain_accept(x, t, len, &c)) {
				go_dirty(o, t, m, i, &dirty);
				chain_emit(t, m, &c, o);
				i = c.end;
				continue;
			}
			n = c.lab_len[0] ? c.lab_len[0] : 1;
			if (dirty)
				text_copy(o, t + i, m + i, n);
			i += n;
			continue;
		}
		if ((r = bracket_token(t, i, len, &n)) != NULL) {
			size_t j = skip_ws(t, i + n, len);
			bool ok;
			go_dirty(o, t, m, i, &dirty); /* rare: simpler to work on a real copy from here */
			if (r[0] == '.' || r[0] == '@') {
				size_t k = o->t.len;
				while (k > 0 && o->t.data[k - 1] == ' ')
					k--;
				ok = k > 0 && is_label((unsigned char)o->t.data[k - 1]) && j < len &&
				     is_label((unsigned char)t[j]);
				while (ok && o->t.len > k)
					text_pop(o);
			} else {
				ok = isalpha(out_last(o)) || (r[0] == '/' && out_last(o) == '/');
			}
			if (ok) {
				for (; *r; r++)
					text_put(o, *r, XM_EDITED);
				i = r[-1] == '/' ? i + n : j;
				continue;
			}
		}
		if (dirty)
			text_put(o, t[i], m[i]);
		i++;
	}
	return dirty;
}

/* extract_known_tld - last label of host (len bytes) is a TLD of the public suffix list. */
bool extract_known_tld(struct rp_extractor *x, const char *host, size_t len)
{
	char tld[64];
	size_t s = len;

	while (s > 0 && host[s - 1] != '.')
		s--;
	if (len - s == 0 || len - s >= sizeof(tld))
		return false;
	for (size_t k = 0; k < len - s; k++)
		tld[k] = (char)tolower((unsigned char)host[s + k]);
	tld[len - s] = '\0';
	uint32_t h = 2166136261u;
	for (size_t k = 0; tld[k]; k++) {
		if (isdigit((unsigned char)tld[k]) && strncmp(tld, "xn--", 4) != 0)
			return false;
		h = (h ^ (unsigned char)tld[k]) * 16777619u;
	}
	struct tld_cache_entry *c = &x->tld_cache[h % TLD_CACHE_SLOTS];
	if (strcmp(c->tld, tld) == 0)
		return c->known;
	bool known = psl_is_public_suffix2(x->psl, tld, PSL_TYPE_ANY | PSL_TYPE_NO_STAR_RULE) == 1;
	if (len - s < sizeof(c->tld)) {
		memcpy(c->tld, tld, len - s + 1);
		c->known = known;
	}
	return known;
}

/* common_tld - TLDs accepted for a bare host written with neither "www." nor a path:
 * ".py", ".sh", ".zip", ".md" and the like would turn file names into hosts. */
static bool common_tld(const char *host, size_t len)
{
	static const char *const tlds[] = {
		"com", "net", "org", "info", "biz", "cn", "ru", "top", "xyz", "io", "co", "me", "cc",
		"tk", "ml", "ga", "cf", "gq", "us", "uk", "de", "fr", "jp", "kr", "hk", "tw", "in",
		"br", "au", "ca", "nl", "it", "es", "pl", "su", "ua", "vn", "online", "site", "club",
		"shop", "store", "live", "vip", "win", "loan", "work", "click", "link", "icu", "cyou",
	};
	size_t s = len;

	while (s > 0 && host[s - 1] != '.')
		s--;
	for (size_t k = 0; k < sizeof(tlds) / sizeof(tlds[0]); k++)
		if (strlen(tlds[k]) == len - s && strncasecmp(host + s, tlds[k], len - s) == 0)
			return true;
	return false;
}

/* extract_is_ip_host - dotted IPv4, or IPv6 with or without brackets. */
bool extract_is_ip_host(const char *host)
{
	unsigned char a[16];
	char tmp[64];
	size_t n = strlen(host);

	if (inet_pton(AF_INET, host, a) == 1)
		return true;
	if (n >= 2 && host[0] == '[' && host[n - 1] == ']' && n - 2 < sizeof(tmp)) {
		memcpy(tmp, host + 1, n - 2);
		tmp[n - 2] = '\0';
		return inet_pton(AF_INET6, tmp, a) == 1;
	}
	return strchr(host, ':') != NULL && inet_pton(AF_INET6, host, a) == 1;
}

/* hexval - value of a hex digit, or -1. */
static int hexval(unsigned char c)
{
	if (isdigit(c))
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* extract_pct_decode - percent-decode n bytes of s into a new string; NULL on a control byte. */
char *extract_pct_decode(const char *s, size_t n, bool *changed)
{
	char *out = xmalloc(n + 1);
	size_t o = 0;

	*changed = false;
	for (size_t i = 0; i < n; i++) {
		int h, l;
		unsigned char c = (unsigned char)s[i];
		if (c == '%' && i + 2 < n && (h = hexval((unsigned char)s[i + 1])) >= 0 &&
		    (l = hexval((unsigned char)s[i + 2])) >= 0) {
			c = (unsigned char)(h << 4 | l);
			i += 2;
			*changed = true;
		}
		if (c < 0x20 || c == 0x7F) {
			xfree(out);
			return NULL;
		}
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return out;
}

/* tld_ok - the last label can be a top-level domain: letters only, or an IDN ("xn--"). */
static bool tld_ok(const char *h)
{
	const char *t = strrchr(h, '.');

	t = t ? t + 1 : h;
	if (strncmp(t, "xn--", 4) == 0)
		return t[4] != '\0';
	if (strlen(t) < 2)
		return false;
	for (; *t; t++)
		if (!isalpha((unsigned char)*t))
			return false;
	return true;
}

/* ascii_host_ok - LDH (and underscore) labels, 1..63 bytes each, at least two labels, a
 * plausible TLD. */
static bool ascii_host_ok(const char *h)
{
	size_t lab = 0, labels = 1, n = strlen(h);

	if (n == 0 || n > HOST_MAX)
		return false;
	for (const char *p = h; *p; p++) {
		if (*p == '.') {
			if (lab == 0)
				return false;
			labels++;
			lab = 0;
		} else if (is_label((unsigned char)*p)) {
			if (++lab > 63)
				return false;
		} else {
			return false;
		}
	}
	return lab > 0 && labels >= 2 && tld_ok(h);
}

/* extract_host_normalize - percent-decode, lower-case, strip the root dot, IDN to punycode and
 * back. Fills u->host, u->host_unicode, u->domain; false when the host is not valid. */
bool extract_host_normalize(struct rp_extractor *x, const char *h, size_t n, struct rp_url *u, bool *changed)
{
	char *d = extract_pct_decode(h, n, changed), *ascii = NULL, *uni = NULL;
	size_t dl;
	bool nonascii = false;

	if (d == NULL)
		return false;
	dl = strlen(d);
	while (dl > 0 && d[dl - 1] == '.')
		d[--dl] = '\0';
	for (char *p = d; *p; p++) {
		if ((unsigned char)*p >= 0x80)
			nonascii = true;
		else
			*p = (char)tolower((unsigned char)*p);
	}
	if (d[0] == '[' || extract_is_ip_host(d)) {
		if (!extract_is_ip_host(d)) {
			xfree(d);
			return false;
		}
		if (d[0] == '[') {
			memmove(d, d + 1, dl - 2);
			d[dl - 2] = '\0';
		}
		u->host = d;
		u->host_unicode = xstrdup(d);
		u->domain = xstrdup("");
		return true;
	}
	if (nonascii || strstr(d, "xn--") != NULL) {
		char *a = NULL, *un = NULL;
		if (idn2_to_ascii_8z(d, &a, IDN2_NONTRANSITIONAL | IDN2_NFC_INPUT) != IDN2_OK) {
			idn2_free(a);
			xfree(d);
			return false;
		}
		ascii = xstrdup(a);
		idn2_free(a);
		if (idn2_to_unicode_8z8z(ascii, &un, 0) == IDN2_OK)
			uni = xstrdup(un);
		idn2_free(un);
	} else {
		ascii = xstrdup(d);
	}
	xfree(d);
	if (!ascii_host_ok(ascii)) {
		xfree(ascii);
		xfree(uni);
		return false;
	}
	u->host = ascii;
	u->host_unicode = uni ? uni : xstrdup(ascii);
	u->domain = rp_registrable_domain(x, ascii);
	if (u->domain == NULL)
		u->domain = xstrdup("");
	return true;
}

/* default_port - the scheme's default port, as text. */
static const char *default_port(const char *scheme)
{
	if (strcmp(scheme, "https") == 0)
		return "443";
	if (strcmp(scheme, "ftp") == 0)
		return "21";
	return "80";
}

/* extract_url_build - parse "host[:port][/path...]" after scheme:// and fill u; false if invalid. */
bool extract_url_build(struct rp_extractor *x, const char *scheme, const char *s, size_t n, struct rp_url *u)
{
	size_t a = 0, hs, he, ps = 0, pe = 0;
	bool changed = false;
	struct buf b;

	memset(u, 0, sizeof(*u));
	while (a < n && s[a] != '/' && s[a] != '?' && s[a] != '#' && s[a] != '\\')
		a++;
	hs = 0;
	for (size_t k = 0; k < a; k++)
		if (s[k] == '@')
			hs = k + 1;
	if (hs < a && s[hs] == '[') {
		he = hs;
		while (he < a && s[he] != ']')
			he++;
		if (he == a)
			return false;
		he++;
	} else {
		he = hs;
		while (he < a && s[he] != ':')
			he++;
	}
	if (he < a) {
		if (s[he] != ':')
			return false;
		ps = he + 1;
		pe = a;
		if (pe - ps > 5)
			return false;
		for (size_t k = ps; k < pe; k++)
			if (!isdigit((unsigned char)s[k]))
				return false;
	}
	if (he == hs || !extract_host_normalize(x, s + hs, he - hs, u, &changed))
		return false;
	u->obfuscated = changed;
	buf_init(&b);
	buf_printf(&b, "%s://", scheme);
	if (strchr(u->host, ':'))
		buf_printf(&b, "[%s]", u->host);
	else
		buf_puts(&b, u->host);
	if (pe > ps && !(pe - ps == strlen(default_port(scheme)) && memcmp(s + ps, default_port(scheme), pe - ps) == 0)) {
		buf_putc(&b, ':');
		buf_append(&b, s + ps, pe - ps);
	}
	if (a == n || s[a] != '/')
		buf_putc(&b, '/');
	buf_append(&b, s + a, n - a);
	u->url = buf_steal(&b);
	return true;
}

/* is_url_byte - byte allowed in the path, query or fragment of a URL in text. */
static bool is_url_byte(unsigned char c)
{
	return c > 0x20 && c < 0x7F && !strchr("<>\"`{}|^", c);
}

/* is_host_cp - code point allowed in a host written in text (IDN letters, not punctuation). */
static bool is_host_cp(uint32_t cp)
{
	if (cp < 0x80)
		return is_label((unsigned char)cp) || cp == '.' || cp == '%' || cp == ':' || cp == '@' ||
		       cp == '[' || cp == ']';
	return !(cp < 0xC0 || (cp >= 0x2000 && cp <= 0x206F) || (cp >= 0x3000 && cp <= 0x303F) ||
		 (cp >= 0xFF00 && cp <= 0xFFEF) || cp == 0xFFFD);
}

/* tld_ends_here - the ASCII label just before j (after a dot) is a known TLD: text written
 * straight after "example.com" in Chinese or Japanese is not part of the host. */
static bool tld_ends_here(struct rp_extractor *x, const char *t, size_t i, size_t j)
{
	size_t k = j;

	while (k > i && isalnum((unsigned char)t[k - 1]))
		k--;
	return k > i + 1 && k < j && t[k - 1] == '.' && extract_known_tld(x, t + i, j - i);
}

/* url_span_end - end of a URL whose authority starts at i, trailing punctuation trimmed. */
static size_t url_span_end(struct rp_extractor *x, const char *t, size_t i, size_t len)
{
	const unsigned char *s = (const unsigned char *)t;
	size_t j = i, lim = len - i > EXTRACT_URL_MAX ? i + EXTRACT_URL_MAX : len;
	int paren = 0, brack = 0;

	while (j < lim) {
		size_t cl;
		uint32_t cp = utf8_decode(s + j, lim - j, &cl);
		if (!is_host_cp(cp) || (cp >= 0x80 && tld_ends_here(x, t, i, j)))
			break;
		j += cl;
	}
	while (j < lim && is_url_byte(s[j]))
		j++;
	for (size_t k = i; k < j; k++) {
		paren += (s[k] == '(') - (s[k] == ')');
		brack += (s[k] == '[') - (s[k] == ']');
	}
	while (j > i) {
		unsigned char c = s[j - 1];
		if (strchr(".,;:!?'*", c) || (c == ')' && paren < 0) || (c == ']' && brack < 0)) {
			paren += c == ')';
			brack += c == ']';
			j--;
		} else {
			break;
		}
	}
	return j;
}

/* span_marked - whether any byte in [a, b) carries a mark. */
static bool span_marked(const unsigned char *m, size_t a, size_t b, unsigned char flag)
{
	for (size_t k = a; k < b; k++)
		if (m[k] & flag)
			return true;
	return false;
}

/* try_url - build and record the URL in [hs, end) (authority at hs); mark [start, end). */
static bool try_url(struct rp_extractor *x, struct rp_extract *e, const char *scheme, const char *t,
		    unsigned char *m, size_t start, size_t hs, size_t end)
{
	struct rp_url u;

	if (span_marked(m, start, end, XM_USED) || !extract_url_build(x, scheme, t + hs, end - hs, &u))
		return false;
	u.obfuscated |= span_marked(m, start, end, XM_EDITED);
	extract_add_url(e, &u);
	for (size_t k = start; k < end; k++)
		m[k] |= XM_USED;
	return true;
}

/* extract_scheme_at - "http://", "https://" or "ftp://" at i: scheme name and *n its length. */
const char *extract_scheme_at(const char *t, size_t i, size_t len, size_t *n)
{
	static const char *const schemes[] = { "https", "http", "ftp" };

	unsigned char c = (unsigned char)(t[i] | 0x20);

	if (c != 'h' && c != 'f')
		return NULL;
	for (size_t k = 0; k < 3; k++) {
		size_t sl = strlen(schemes[k]);
		if (i + sl + 3 <= len && strncasecmp(t + i, schemes[k], sl) == 0 && memcmp(t + i + sl, "://", 3) == 0) {
			*n = sl + 3;
			return schemes[k];
		}
	}
	return NULL;
}

/* bare_host_end - end of an ASCII host name at i (letters, digits, '-', '_', '.'). */
static size_t bare_host_end(const char *t, size_t i, size_t len)
{
	size_t j = i;

	while (j < len && (is_label((unsigned char)t[j]) || t[j] == '.'))
		j++;
	while (j > i && t[j - 1] == '.')
		j--;
	return j;
}

/* scan_one_url - a URL starting at i, if any; returns the index to continue from. */
static size_t scan_one_url(struct rp_extractor *x, struct rp_extract *e, const char *t, unsigned char *m,
			   size_t i, size_t len)
{
	const char *scheme;
	size_t n, he, end;

	if ((scheme = extract_scheme_at(t, i, len, &n)) != NULL) {
		end = url_span_end(x, t, i + n, len);
		if (end > i + n && try_url(x, e, scheme, t, m, i, i + n, end))
			return end;
		return i + n;
	}
	if (i + 4 < len && ascii_starts_ci(t + i, len - i, "www.", 4) && (unsigned char)t[i + 4] >= 0x80) {
		end = url_span_end(x, t, i, len); /* "www." and an IDN host */
		try_url(x, e, "http", t, m, i, i, end);
		return end > i + 4 ? end : i + 4;
	}
	he = bare_host_end(t, i, len);
	if (he == i)
		return i + 1;
	if (memchr(t + i, '.', he - i) == NULL || (he < len && t[he] == '@') || (i > 0 && t[i - 1] == '@') ||
	    !extract_known_tld(x, t + i, he - i))
		return he;
	if (!(he - i > 4 && ascii_starts_ci(t + i, he - i, "www.", 4)) && !(he < len && t[he] == '/') &&
	    !common_tld(t + i, he - i))
		return he;
	end = (he < len && (t[he] == '/' || t[he] == ':')) ? url_span_end(x, t, i, len) : he;
	if (end < he)
		end = he;
	try_url(x, e, "http", t, m, i, i, end);
	return end;
}

/* scan_urls - pass 3a: every URL start at a word boundary. */
static void scan_urls(struct rp_extractor *x, struct rp_extract *e, const char *t, unsigned char *m, size_t len)
{
	for (size_t i = 0; i < len;) {
		unsigned char p = i ? (unsigned char)t[i - 1] : ' ';
		if ((m[i] & XM_USED) || is_label(p) || p == '.' || p == '/' || p == '%' || !isalnum((unsigned char)t[i])) {
			i++;
			continue;
		}
		i = scan_one_url(x, e, t, m, i, len);
	}
}

/* is_local_byte - byte allowed in the local part of an address found in text. */
static bool is_local_byte(unsigned char c)
{
	return c != 0 && (isalnum(c) || strchr("._%+-", c) != NULL);
}

/* email_at - the address around the '@' at i, recorded when valid. */
static void email_at(struct rp_extractor *x, struct rp_extract *e, const char *t, unsigned char *m, size_t i,
		     size_t len)
{
	size_t ls = i, de = i + 1;
	char addr[320];

	while (ls > 0 && i - ls < 64 && is_local_byte((unsigned char)t[ls - 1]) && !(m[ls - 1] & XM_USED))
		ls--;
	while (ls < i && t[ls] == '.')
		ls++;
	while (de < len && de - i < 254 && (is_label((unsigned char)t[de]) || t[de] == '.') && !(m[de] & XM_USED))
		de++;
	while (de > i + 1 && t[de - 1] == '.')
		de--;
	if (ls == i || de == i + 1 || t[i - 1] == '.' || !memchr(t + i + 1, '.', de - i - 1) ||
	    !extract_known_tld(x, t + i + 1, de - i - 1))
		return;
	memcpy(addr, t + ls, de - ls);
	addr[de - ls] = '\0';
	rp_extract_email(x, e, addr);
	for (size_t k = ls; k < de; k++)
		m[k] |= XM_USED;
}

/* scan_emails - pass 3b: addresses in bytes no URL took. */
static void scan_emails(struct rp_extractor *x, struct rp_extract *e, const char *t, unsigned char *m, size_t len)
{
	for (const char *p = memchr(t, '@', len); p != NULL; p = memchr(p + 1, '@', len - (size_t)(p + 1 - t))) {
		size_t i = (size_t)(p - t);
		if (!(m[i] & XM_USED))
			email_at(x, e, t, m, i, len);
		if (i + 1 >= len)
			break;
	}
}

/* rp_extract_text - find URLs, e-mail addresses and phone numbers in UTF-8 text. */
void rp_extract_text(struct rp_extractor *x, struct rp_extract *e, const char *text, size_t len)
{
	struct text a, b;

	if (text == NULL || len == 0)
		return;
	buf_init(&a.t);
	buf_init(&a.m);
	buf_init(&b.t);
	buf_init(&b.m);
	buf_reserve(&a.t, len);
	buf_reserve(&a.m, len);
	fold_text(text, len, &a);
	struct text *w = defang(x, &a, &b) ? &b : &a;
	if (w->t.len > 0) {
		unsigned char *m = (unsigned char *)w->m.data;
		scan_urls(x, e, w->t.data, m, w->t.len);
		scan_emails(x, e, w->t.data, m, w->t.len);
		extract_phones(x, e, w->t.data, m, w->t.len);
	}
	buf_fini(&a.t);
	buf_fini(&a.m);
	buf_fini(&b.t);
	buf_fini(&b.m);
}
