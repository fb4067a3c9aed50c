/* redact.c - the address set, plain-text redaction and RFC 2047 header redaction.
 *
 * rp_redact_text finds candidate addresses by their '@' (or URL-encoded "%40") and compares
 * the bytes around it with each address of the set, so its cost is one pass over the text.
 * redact_header_block handles header lines (encoded words included) for redact_mime.c, which
 * walks the MIME structure; rp_redact_collect gathers recipient addresses from header blocks.
 * The set owns its strings; everything else borrows. */
#include <ctype.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "repute/alloc.h"
#include "repute/redact.h"

#include "redact_int.h"

/* rp_redact_set_init - an empty set. */
void rp_redact_set_init(struct rp_redact_set *s)
{
	memset(s, 0, sizeof(*s));
}

/* rp_redact_set_fini - free the addresses. */
void rp_redact_set_fini(struct rp_redact_set *s)
{
	for (size_t i = 0; i < s->n; i++)
		xfree(s->addr[i]);
	xfree(s->addr);
	memset(s, 0, sizeof(*s));
}

/* is_local_char - a byte of an address's local part as we match it (dot-atom). */
static bool is_local_char(unsigned char c)
{
	return isalnum(c) || (c != '\0' && strchr("!#$%&'*+/=?^_`{|}~.-", c) != NULL);
}

/* is_domain_char - a byte of a domain. */
static bool is_domain_char(unsigned char c)
{
	return isalnum(c) || c == '-' || c == '.';
}

/* rp_redact_set_add - add one address, lower-cased, unless malformed or already there. */
void rp_redact_set_add(struct rp_redact_set *s, const char *text, size_t len)
{
	while (len > 0 && (isspace((unsigned char)*text) || *text == '<')) {
		text++;
		len--;
	}
	while (len > 0 && (isspace((unsigned char)text[len - 1]) || text[len - 1] == '>'))
		len--;
	const char *at = memchr(text, '@', len);
	if (at == NULL || at == text || at == text + len - 1 || len > 254)
		return;
	for (const char *p = text; p < at; p++)
		if (!is_local_char((unsigned char)*p))
			return;
	for (const char *p = at + 1; p < text + len; p++)
		if (!is_domain_char((unsigned char)*p) || *p == '@')
			return;
	char *a = xmalloc(len + 1);
	for (size_t i = 0; i < len; i++)
		a[i] = (char)tolower((unsigned char)text[i]);
	a[len] = '\0';
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->addr[i], a) == 0) {
			xfree(a);
			return;
		}
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 4;
		s->addr = xreallocarray(s->addr, s->cap, sizeof(*s->addr));
	}
	s->addr[s->n++] = a;
}

/* url_escape_before - text[b-3..b) is a URL escape such as "%2C" (a list in a link). */
static bool url_escape_before(const char *text, size_t b)
{
	return b >= 3 && text[b - 3] == '%' && isxdigit((unsigned char)text[b - 2]) && isxdigit((unsigned char)text[b - 1]);
}

/* match_at - the address of s whose local part ends at text[at) and whose domain starts at
 * text[dom); its end offset in *end, or -1. Whole addresses only: the byte before must not
 * be a letter, digit, '-', '_' or '+' (unless it ends a URL escape such as "%2C"), the byte
 * after not continue the domain. A '.' before is allowed, on purpose: Message-IDs such as
 * <1234.alice@example.org> name the reporter too. */
static long match_at(const char *text, size_t len, size_t at, size_t dom, const struct rp_redact_set *s,
		     size_t *start, size_t *end)
{
	for (size_t i = 0; i < s->n; i++) {
		const char *a = s->addr[i], *sep = strchr(a, '@');
		size_t ll = (size_t)(sep - a), dl = strlen(sep + 1);
		if (ll > at || dom + dl > len || strncasecmp(text + at - ll, a, ll) != 0 ||
		    strncasecmp(text + dom, sep + 1, dl) != 0)
			continue;
		size_t b = at - ll, e = dom + dl;
		if (b > 0 && !url_escape_before(text, b)) {
			unsigned char c = (unsigned char)text[b - 1];
			if (isalnum(c) || c == '-' || c == '_' || c == '+')
				continue;
		}
		if (e < len) {
			unsigned char c = (unsigned char)text[e];
			if (isalnum(c) || c == '-' || c == '_' ||
			    (c == '.' && e + 1 < len && isalnum((unsigned char)text[e + 1])))
				continue;
		}
		*start = b;
		*end = e;
		return (long)i;
	}
	return -1;
}

/* rp_redact_text - copy with every address replaced. */
size_t rp_redact_text(const char *text, size_t len, const struct rp_redact_set *s, struct buf *out)
{
	size_t copied = 0, n = 0;

	for (size_t p = 0; s->n > 0 && p < len; p++) {
		size_t dom, start, end;
		bool url = false;
		if (text[p] == '@')
			dom = p + 1;
		else if (text[p] == '%' && p + 2 < len && text[p + 1] == '4' && text[p + 2] == '0')
			dom = p + 3, url = true;
		else
			continue;
		if (match_at(text, len, p, dom, s, &start, &end) < 0 || start < copied)
			continue;
		buf_append(out, text + copied, start - copied);
		buf_puts(out, url ? RP_REDACTED_ADDR_URL : RP_REDACTED_ADDR);
		copied = end;
		p = end - 1;
		n++;
	}
	buf_append(out, text + copied, len - copied);
	return n;
}

/* hexval - a hex digit's value, or -1. */
static int hexval(unsigned char c)
{
	if (isdigit(c))
		return c - '0';
	c = (unsigned char)tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* b64val - a base64 digit's value, or -1. */
static int b64val(unsigned char c)
{
	if (isupper(c))
		return c - 'A';
	if (islower(c))
		return c - 'a' + 26;
	if (isdigit(c))
		return c - '0' + 52;
	return c == '+' ? 62 : c == '/' ? 63 : -1;
}

/* redact_b64_decode - decode base64, skipping anything that is not a digit of it. */
void redact_b64_decode(const char *in, size_t len, struct buf *out)
{
	unsigned acc = 0;
	int bits = 0;

	for (size_t i = 0; i < len; i++) {
		int v = b64val((unsigned char)in[i]);
		if (in[i] == '=')
			break;
		if (v < 0)
			continue;
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			buf_putc(out, (char)((acc >> bits) & 0xff));
		}
	}
}

/* redact_b64_encode - base64 with padding; a line break eol every wrap digits (0: one line). */
void redact_b64_encode(const unsigned char *in, size_t len, size_t wrap, const char *eol, struct buf *out)
{
	static const char digits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t col = 0;

	for (size_t i = 0; i < len; i += 3) {
		unsigned v = (unsigned)in[i] << 16 | (i + 1 < len ? (unsigned)in[i + 1] << 8 : 0) |
			     (i + 2 < len ? in[i + 2] : 0);
		char q[4] = { digits[(v >> 18) & 63], digits[(v >> 12) & 63], i + 1 < len ? digits[(v >> 6) & 63] : '=',
			      i + 2 < len ? digits[v & 63] : '=' };
		if (wrap && col + 4 > wrap) {
			buf_puts(out, eol);
			col = 0;
		}
		buf_append(out, q, 4);
		col += 4;
	}
}

/* redact_qp_decode - quoted-printable (soft breaks removed, =XX decoded, else literal). */
void redact_qp_decode(const char *in, size_t len, struct buf *out)
{
	for (size_t i = 0; i < len; i++) {
		if (in[i] != '=') {
			buf_putc(out, in[i]);
			continue;
		}
		if (i + 1 < len && in[i + 1] == '\n') {
			i++;
		} else if (i + 2 < len && in[i + 1] == '\r' && in[i + 2] == '\n') {
			i += 2;
		} else if (i + 2 < len && hexval((unsigned char)in[i + 1]) >= 0 && hexval((unsigned char)in[i + 2]) >= 0) {
			buf_putc(out, (char)(hexval((unsigned char)in[i + 1]) * 16 + hexval((unsigned char)in[i + 2])));
			i += 2;
		} else {
			buf_putc(out, '=');
		}
	}
}

/* redact_qp_encode - quoted-printable, hard line breaks kept (as eol), soft breaks at 76. */
void redact_qp_encode(const char *in, size_t len, const char *eol, struct buf *out)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t col = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];
		if (c == '\n' || (c == '\r' && i + 1 < len && in[i + 1] == '\n')) {
			if (c == '\r')
				i++;
			buf_puts(out, eol);
			col = 0;
			continue;
		}
		bool at_eol = i + 1 == len || in[i + 1] == '\n' || in[i + 1] == '\r';
		bool literal = (c >= 33 && c <= 126 && c != '=') || ((c == ' ' || c == '\t') && !at_eol);
		size_t w = literal ? 1 : 3;
		if (col + w > 75) {
			buf_putc(out, '=');
			buf_puts(out, eol);
			col = 0;
		}
		if (literal) {
			buf_putc(out, (char)c);
		} else {
			char e[3] = { '=', hex[c >> 4], hex[c & 15] };
			buf_append(out, e, 3);
		}
		col += w;
	}
}

/* encoded_word - the parts of an RFC 2047 word at p ("=?cs?X?text?="); its length, or 0. */
static size_t encoded_word(const char *p, size_t len, size_t *cs_len, char *enc, size_t *text_off, size_t *text_len)
{
	if (len < 8 || p[0] != '=' || p[1] != '?')
		return 0;
	const char *q = memchr(p + 2, '?', len - 2);
	if (q == NULL || q + 3 >= p + len || q[2] != '?' || strchr("BbQq", q[1]) == NULL)
		return 0;
	*cs_len = (size_t)(q - p - 2);
	*enc = (char)toupper((unsigned char)q[1]);
	*text_off = (size_t)(q + 3 - p);
	for (size_t i = *text_off; i + 1 < len; i++) {
		if (p[i] == '\n' || p[i] == '\r' || p[i] == ' ')
			return 0;
		if (p[i] == '?' && p[i + 1] == '=') {
			*text_len = i - *text_off;
			return i + 2;
		}
	}
	return 0;
}

/* redact_word - decode one encoded word; when it holds an address, its redacted B word in
 * out and true; else false and out unchanged. */
static bool redact_word(const char *w, size_t cs_len, char enc, const char *text, size_t text_len,
			const struct rp_redact_set *s, struct buf *out)
{
	struct buf dec, red;
	bool found;

	buf_init(&dec);
	buf_init(&red);
	if (enc == 'B') {
		redact_b64_decode(text, text_len, &dec);
	} else {
		for (size_t i = 0; i < text_len; i++)
			if (text[i] == '_')
				buf_putc(&dec, ' ');
			else if (text[i] == '=' && i + 2 < text_len && hexval((unsigned char)text[i + 1]) >= 0 &&
				 hexval((unsigned char)text[i + 2]) >= 0) {
				buf_putc(&dec, (char)(hexval((unsigned char)text[i + 1]) * 16 + hexval((unsigned char)text[i + 2])));
				i += 2;
			} else
				buf_putc(&dec, text[i]);
	}
	found = rp_redact_text(dec.data ? dec.data : "", dec.len, s, &red) > 0;
	if (found) {
		buf_puts(out, "=?");
		buf_append(out, w + 2, cs_len);
		buf_puts(out, "?B?");
		redact_b64_encode((const unsigned char *)red.data, red.len, 0, "", out);
		buf_puts(out, "?=");
	}
	buf_fini(&dec);
	buf_fini(&red);
	return found;
}

/* redact_line - one header line: encoded words, then plain addresses. */
static size_t redact_line(const char *line, size_t len, const struct rp_redact_set *s, struct buf *out)
{
	struct buf tmp;
	size_t copied = 0, n = 0;

	buf_init(&tmp);
	for (size_t i = 0; i + 1 < len; i++) {
		size_t cs_len, toff, tlen, wl;
		char enc;
		if (line[i] != '=' || line[i + 1] != '?' ||
		    (wl = encoded_word(line + i, len - i, &cs_len, &enc, &toff, &tlen)) == 0)
			continue;
		size_t mark = tmp.len;
		buf_append(&tmp, line + copied, i - copied);
		if (redact_word(line + i, cs_len, enc, line + i + toff, tlen, s, &tmp)) {
			n++;
			copied = i + wl;
		} else {
			tmp.len = mark;
			tmp.data[mark] = '\0';
		}
		i += wl - 1;
	}
	buf_append(&tmp, line + copied, len - copied);
	n += rp_redact_text(tmp.data, tmp.len, s, out);
	buf_fini(&tmp);
	return n;
}

/* redact_header_block - every line of a header block. */
size_t redact_header_block(const char *h, size_t len, const struct rp_redact_set *s, struct buf *out)
{
	size_t n = 0;

	for (size_t i = 0; i < len;) {
		const char *nl = memchr(h + i, '\n', len - i);
		size_t end = nl ? (size_t)(nl - h) + 1 : len;
		n += redact_line(h + i, end - i, s, out);
		i = end;
	}
	return n;
}

/* collect_value - addresses in one header value: every local@domain token. */
static void collect_value(const char *v, size_t len, struct rp_redact_set *s)
{
	for (size_t i = 0; i < len; i++) {
		if (v[i] != '@')
			continue;
		size_t b = i, e = i + 1;
		while (b > 0 && is_local_char((unsigned char)v[b - 1]))
			b--;
		while (e < len && is_domain_char((unsigned char)v[e]))
			e++;
		while (e > i + 1 && v[e - 1] == '.')
			e--;
		if (b < i && e > i + 1)
			rp_redact_set_add(s, v + b, e - b);
	}
}

/* collect_received_for - the address after "for" in a Received value. */
static void collect_received_for(const char *v, size_t len, struct rp_redact_set *s)
{
	for (size_t i = 0; i + 4 < len; i++)
		if (strncasecmp(v + i, "for", 3) == 0 && (i == 0 || isspace((unsigned char)v[i - 1])) &&
		    isspace((unsigned char)v[i + 3])) {
			size_t b = i + 4, e;
			while (b < len && isspace((unsigned char)v[b]))
				b++;
			for (e = b; e < len && v[e] != ';' && !isspace((unsigned char)v[e]); e++)
				;
			collect_value(v + b, e - b, s);
		}
}

/* redact_collect_headers - recipient addresses of one header block. */
void redact_collect_headers(const char *h, size_t len, struct rp_redact_set *s)
{
	static const char *const names[] = { "To", "Cc", "Bcc", "Delivered-To", "X-Original-To", "Envelope-To",
					     "X-Envelope-To", "X-Rcpt-To", "Received" };

	for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
		size_t off = 0, vlen;
		const char *v;
		while ((v = redact_header_value(h, len, names[k], &off, &vlen)) != NULL) {
			if (k + 1 == sizeof(names) / sizeof(names[0]))
				collect_received_for(v, vlen, s);
			else
				collect_value(v, vlen, s);
		}
	}
}

/* redact_header_value - the next field named name at or after *off (a header block); its
 * value (folded lines included) and length, *off moved past it; NULL when no more. */
const char *redact_header_value(const char *h, size_t len, const char *name, size_t *off, size_t *vlen)
{
	size_t nl = strlen(name);

	for (size_t i = *off; i < len;) {
		const char *eol = memchr(h + i, '\n', len - i);
		size_t end = eol ? (size_t)(eol - h) + 1 : len;
		while (end < len && (h[end] == ' ' || h[end] == '\t')) {
			eol = memchr(h + end, '\n', len - end);
			end = eol ? (size_t)(eol - h) + 1 : len;
		}
		if (end - i > nl && strncasecmp(h + i, name, nl) == 0 && h[i + nl] == ':') {
			*off = end;
			*vlen = end - (i + nl + 1);
			return h + i + nl + 1;
		}
		i = end;
	}
	*off = len;
	return NULL;
}
