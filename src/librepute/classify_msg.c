/* classify_msg.c - tokens of a decoded message (struct rp_message) for the content classifier.
 *
 * Header fields give "hdr:NAME" presence tokens and their decoded words prefixed by the lower-case field
 * name ("subject:free", "from:@example.com"); Received fields add host names and /24 and /16 address
 * prefixes under "received:"; text and HTML text give unprefixed body words (classify_token.c); links give
 * "url:" and "urlp:" tokens; attachments their type and file extension; a few "meta:" tokens describe the
 * structure. Every loop is bounded, so a hostile message costs bounded time. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "repute/classify.h"
#include "repute/message.h"
#include "repute/strutil.h"

#define MAX_HEADERS 200   /* header fields looked at */
#define MAX_VALUE 2048    /* bytes of one header value tokenized */
#define MAX_LINKS 300
#define MAX_ATTACHED 4
#define MAX_DEPTH 2
#define MAX_RAW_HTML (256 * 1024) /* bytes of a raw message searched for HTML tags */
#define MAX_TAGS 2000
#define MAX_PLAIN (4u << 20)   /* a longer plain body goes through the decoder (which bounds it) */

/* Header fields whose words carry no signal beyond their presence (tracking ids, signatures). */
static const char *const value_skip[] = {
	"dkim-signature", "domainkey-signature", "x-google-dkim-signature", "arc-seal", "arc-message-signature",
	"authentication-results", "arc-authentication-results", "x-ms-exchange-organization-antispam-report",
	NULL,
};


/* skip_value - whether the value of header name (lower case, nl bytes) is not tokenized. */
static bool skip_value(const char *name, size_t nl)
{
	if (nl < 8 || (name[0] != 'd' && name[0] != 'x' && name[0] != 'a'))
		return false; /* the shortest listed name is 8 bytes; all start with d, x or a */
	for (size_t i = 0; value_skip[i] != NULL; i++)
		if (strcmp(name, value_skip[i]) == 0)
			return true;
	return false;
}

/* lower_name - lower-case copy of a header name, bounded and restricted to token characters. */
static size_t lower_name(const char *name, char *out, size_t size)
{
	size_t n = 0;

	for (; *name != '\0' && n + 1 < size; name++) {
		char c = *name;
		if (c >= 'A' && c <= 'Z')
			c = (char)(c + 32);
		if (c <= ' ' || c == ':' || (unsigned char)c >= 0x7F)
			continue;
		out[n++] = c;
	}
	out[n] = '\0';
	return n;
}

/* is_rcvd_sep - separators of the words of a Received field. */
static bool is_rcvd_sep(char c)
{
	return c == ' ' || c == '\t' || c == '(' || c == ')' || c == '[' || c == ']' || c == ';' || c == ',' ||
	       c == '<' || c == '>' || c == '=' || c == '"' || c == '\'';
}

/* received_tokens - the host names and addresses of a Received field: "received:mx.example.com",
 * "received:192.0.2.7" with "received:192.0.2" and "received:192.0" (/24 and /16); dates, ids and
 * keywords are left out, they only add tokens that are unique to one message. */
static void received_tokens(struct rp_tokens *t, const char *v, size_t len)
{
	size_t i = 0;

	while (i < len) {
		while (i < len && is_rcvd_sep(v[i]))
			i++;
		size_t s = i, dots = 0, alpha = 0;
		char w[100];
		while (i < len && !is_rcvd_sep(v[i])) {
			char c = v[i];
			if (i - s < sizeof(w))
				w[i - s] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
			dots += c == '.';
			alpha += (c < '0' || c > '9') && c != '.';
			i++;
		}
		size_t n = i - s;
		while (n > 0 && n <= sizeof(w) && w[n - 1] == '.')
			n--;
		if (dots == 0 || n < 4 || n > sizeof(w) || memchr(w, '@', n) != NULL)
			continue;
		rp_tokens_add(t, "received", w, n);
		if (alpha == 0 && dots == 3) {
			const char *last = memrchr(w, '.', n);
			rp_tokens_add(t, "received", w, (size_t)(last - w));
			const char *second = memrchr(w, '.', (size_t)(last - w));
			if (second != NULL)
				rp_tokens_add(t, "received", w, (size_t)(second - w));
		}
	}
}

/* content_type_tokens - the media type and the charset of a Content-Type field; the boundary and other
 * parameters are left out (a boundary is a per-message random string, or a mailer's fingerprint that the
 * X-Mailer tokens carry already). */
static void content_type_tokens(struct rp_tokens *t, const char *v, size_t len)
{
	const char *semi = memchr(v, ';', len);
	size_t tl = semi ? (size_t)(semi - v) : len;
	char buf[80];
	size_t n = 0;

	for (size_t i = 0; i < tl && n < sizeof(buf); i++)
		if (v[i] > ' ')
			buf[n++] = (v[i] >= 'A' && v[i] <= 'Z') ? (char)(v[i] + 32) : v[i];
	if (n > 0)
		rp_tokens_add(t, "content-type", buf, n);
	const char *cs = mem_icasemem(v, len, "charset=");
	if (cs != NULL) {
		cs += 8;
		n = 0;
		if (cs < v + len && *cs == '"')
			cs++;
		for (; cs < v + len && n < sizeof(buf) && *cs > ' ' && *cs != '"' && *cs != ';'; cs++)
			buf[n++] = (*cs >= 'A' && *cs <= 'Z') ? (char)(*cs + 32) : *cs;
		if (n > 0)
			rp_tokens_add(t, "charset", buf, n);
	}
}

/* header_tokens - presence and value tokens of every header field. */
static void header_tokens(struct rp_tokens *t, const struct rp_message *m)
{
	size_t n = m->n_headers < MAX_HEADERS ? m->n_headers : MAX_HEADERS;

	for (size_t i = 0; i < n; i++) {
		const struct rp_header *h = &m->headers[i];
		char name[32];
		size_t nl = lower_name(h->name ? h->name : "", name, sizeof(name));
		const char *v = h->decoded ? h->decoded : h->value;

		if (nl == 0)
			continue;
		rp_tokens_add(t, "hdr", name, nl);
		if (v == NULL || skip_value(name, nl))
			continue;
		size_t vl = strnlen(v, MAX_VALUE);
		if (nl == 8 && strcmp(name, "received") == 0)
			received_tokens(t, v, vl);
		else if (nl == 12 && strcmp(name, "content-type") == 0)
			content_type_tokens(t, v, vl);
		else
			rp_tokens_add_text(t, name, v, vl);
		if (vl == 0 && strcmp(name, "subject") == 0)
			rp_tokens_add(t, "meta", "subject-empty", 13);
	}
	if (rp_message_header(m, "subject") == NULL)
		rp_tokens_add(t, "meta", "no-subject", 10);
}

/* bucket - a log2 size class, so counts become a few tokens. */
static int bucket(size_t n)
{
	int b = 0;

	while (n > 0 && b < 30) {
		n >>= 1;
		b++;
	}
	return b;
}

/* meta_tokens - structure: content type, text/HTML presence (tl, hl bytes), link and attachment counts. */
static void meta_tokens(struct rp_tokens *t, const struct rp_message *m, size_t tl, size_t hl)
{
	char buf[64];
	int len;

	if (m->content_type != NULL)
		rp_tokens_add(t, "ct", m->content_type, strnlen(m->content_type, 64));
	if (tl == 0 && hl > 0)
		rp_tokens_add(t, "meta", "html-only", 9);
	if (tl == 0 && hl == 0)
		rp_tokens_add(t, "meta", "no-text", 7);
	len = snprintf(buf, sizeof(buf), "text%d", bucket(tl + hl));
	rp_tokens_add(t, "meta", buf, (size_t)len);
	len = snprintf(buf, sizeof(buf), "links%d", bucket(m->n_links));
	rp_tokens_add(t, "meta", buf, (size_t)len);
	len = snprintf(buf, sizeof(buf), "attachments%d", bucket(m->n_attachments));
	rp_tokens_add(t, "meta", buf, (size_t)len);
	if (m->truncated)
		rp_tokens_add(t, "meta", "truncated", 9);
}

/* attachment_tokens - type and file extension of each attachment. */
static void attachment_tokens(struct rp_tokens *t, const struct rp_message *m)
{
	for (size_t i = 0; i < m->n_attachments && i < 50; i++) {
		const struct rp_attachment *a = &m->attachments[i];
		if (a->content_type != NULL)
			rp_tokens_add(t, "att", a->content_type, strnlen(a->content_type, 64));
		const char *dot = a->filename ? strrchr(a->filename, '.') : NULL;
		if (dot != NULL && strlen(dot + 1) > 0 && strlen(dot + 1) <= 8) {
			char ext[9];
			size_t n = 0;
			for (const char *p = dot + 1; *p != '\0'; p++)
				ext[n++] = (*p >= 'A' && *p <= 'Z') ? (char)(*p + 32) : *p;
			rp_tokens_add(t, "attext", ext, n);
		}
	}
}

/* body_tokens - all tokens of m at nesting depth, its plain text being text (tl bytes). */
static void body_tokens(struct rp_tokens *t, const struct rp_message *m, const char *text, size_t tl, int depth)
{
	size_t hl = m->html_text ? strlen(m->html_text) : 0;

	header_tokens(t, m);
	meta_tokens(t, m, tl, hl);
	if (tl > 0)
		rp_tokens_add_text(t, NULL, text, tl);
	if (hl > 0)
		rp_tokens_add_text(t, NULL, m->html_text, hl);
	for (size_t i = 0; i < m->n_links && i < MAX_LINKS; i++)
		if (m->links[i] != NULL)
			rp_tokens_add_url(t, m->links[i], strnlen(m->links[i], 2048));
	attachment_tokens(t, m);
	if (depth >= MAX_DEPTH)
		return;
	for (size_t i = 0; i < m->n_attached && i < MAX_ATTACHED; i++)
		if (m->attached[i] != NULL)
			body_tokens(t, m->attached[i], m->attached[i]->text,
				    m->attached[i]->text ? strlen(m->attached[i]->text) : 0, depth + 1);
}

void rp_tokens_from_message(struct rp_tokens *t, const struct rp_message *m)
{
	body_tokens(t, m, m->text, m->text ? strlen(m->text) : 0, 0);
}

/* value_is - whether a header value, trimmed and unquoted, equals one of the names (case-insensitive). */
static bool value_is(const char *v, size_t n, const char *const *names)
{
	while (n > 0 && (*v == ' ' || *v == '\t' || *v == '"'))
		v++, n--;
	while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t' || v[n - 1] == '"' || v[n - 1] == '\r'))
		n--;
	for (size_t i = 0; names[i] != NULL; i++)
		if (strlen(names[i]) == n && strncasecmp(v, names[i], n) == 0)
			return true;
	return false;
}

/* body_start - where the body starts: after the first blank line (LF or CRLF), else the end. One memchr
 * pass (two whole-message memmem searches, for LF and CRLF blank lines, cost 4 % of a classification). */
static const char *body_start(const char *data, size_t len)
{
	const char *p = data, *end = data + len;

	while ((p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		p++;
		if (p < end && *p == '\n')
			return p + 1;
		if (p + 1 < end && p[0] == '\r' && p[1] == '\n')
			return p + 2;
	}
	return end;
}

/* plain_body - the body of a message that needs no decoding: not MIME-structured (text/plain or no
 * Content-Type), identity transfer encoding (none, 7bit, 8bit) and charset us-ascii or UTF-8 (or none).
 * Its decoded text is the body bytes themselves; returns false for anything else. */
static bool plain_body(const struct rp_message *m, const char *data, size_t len, const char **body, size_t *blen)
{
	static const char *const identity[] = { "7bit", "8bit", NULL };
	static const char *const utf8[] = { "us-ascii", "ascii", "utf-8", "utf8", NULL };

	if (m->content_type != NULL && strcmp(m->content_type, "text/plain") != 0)
		return false;
	const char *cte = rp_message_header(m, "Content-Transfer-Encoding");
	if (cte != NULL && !value_is(cte, strlen(cte), identity))
		return false;
	const char *ct = rp_message_header(m, "Content-Type"), *cs = NULL;
	if (ct != NULL && (cs = mem_icasemem(ct, strlen(ct), "charset=")) != NULL) {
		cs += 8;
		size_t n = strcspn(cs, ";");
		if (!value_is(cs, n, utf8))
			return false;
	}
	const char *end = body_start(data, len);
	*body = end;
	*blen = (size_t)(data + len - end);
	if (*blen > MAX_PLAIN)
		return false;
	/* no declared charset: only ASCII is certain; 8-bit text is left to the decoder's charset guess
	 * (undeclared GBK is common in Chinese mail) */
	if (cs == NULL)
		for (size_t i = 0; i < *blen; i++)
			if ((unsigned char)end[i] >= 0x80)
				return false;
	return true;
}

int rp_classify_tokenize(struct rp_tokens *t, const char *data, size_t len, struct rp_diag *diag)
{
	struct rp_message *m = NULL;
	const char *body;
	size_t blen;
	int rc = rp_message_parse_headers(data, len, NULL, &m, diag);

	if (rc != 0)
		return rc;
	if (plain_body(m, data, len, &body, &blen)) {
		body_tokens(t, m, body, blen, 0); /* nothing to decode: skip the MIME decoder */
		rp_message_free(m);
		return RP_OK;
	}
	rp_message_free(m);
	if ((rc = rp_message_parse(data, len, NULL, &m, diag)) != 0)
		return rc;
	rp_tokens_from_message(t, m);
	if (m->html_text != NULL && m->html_text[0] != '\0')
		rp_tokens_from_raw_html(t, data, len);
	rp_message_free(m);
	return RP_OK;
}

/* html_attr - emit "html:NAME" and, for presentational attributes, "html:NAME=VALUE". */
static void html_attr(struct rp_tokens *t, const char *name, size_t nn, const char *val, size_t vn)
{
	static const char *const valued[] = { "color", "bgcolor", "face", "size", "align", "border", NULL };
	char buf[64];

	if (nn == 0 || nn > 16)
		return;
	rp_tokens_add(t, "html", name, nn);
	for (size_t i = 0; valued[i] != NULL; i++)
		if (strlen(valued[i]) == nn && memcmp(valued[i], name, nn) == 0 && vn > 0 && vn <= 24) {
			memcpy(buf, name, nn);
			buf[nn] = '=';
			memcpy(buf + nn + 1, val, vn);
			rp_tokens_add(t, "html", buf, nn + 1 + vn);
			return;
		}
}

/* lower_copy - ASCII lower-case copy of at most size bytes of the [a-z0-9#-] characters. */
static size_t lower_copy(const char *s, size_t n, char *out, size_t size)
{
	size_t k = 0;

	for (size_t i = 0; i < n && k < size; i++) {
		char c = s[i];
		if (c >= 'A' && c <= 'Z')
			c = (char)(c + 32);
		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '#' || c == '-' || c == '%')
			out[k++] = c;
	}
	return k;
}

/* html_tag - tokens of one tag starting after '<' at s (n bytes); returns bytes used. */
static size_t html_tag(struct rp_tokens *t, const char *s, size_t n)
{
	size_t i = 0, k;
	char name[16], aname[20], aval[32];

	while (i < n && i < 12 && ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9')))
		i++;
	if (i == 0 || i >= 12)
		return i;
	k = lower_copy(s, i, name, sizeof(name));
	rp_tokens_add(t, "html", name, k);
	while (i < n && i < 400 && s[i] != '>') {
		while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n' || s[i] == '='))
			i++;
		size_t a = i;
		while (i < n && s[i] != '=' && s[i] != '>' && s[i] != ' ' && s[i] != '\n' && s[i] != '\r')
			i++;
		size_t an = lower_copy(s + a, i - a, aname, sizeof(aname)), vn = 0;
		if (i < n && s[i] == '=') {
			i++;
			if (i + 1 < n && s[i] == '3' && s[i + 1] == 'D') /* quoted-printable "=3D" */
				i += 2;
			char q = (i < n && (s[i] == '"' || s[i] == '\'')) ? s[i++] : 0;
			size_t v = i;
			while (i < n && (q ? s[i] != q : (s[i] != ' ' && s[i] != '>' && s[i] != '\n')) && s[i] != '\r')
				i++;
			vn = lower_copy(s + v, i - v, aval, sizeof(aval));
			if (q && i < n)
				i++;
		}
		if (an > 0)
			html_attr(t, aname, an, aval, vn);
		else if (i < n && s[i] != '>')
			i++;
	}
	return i;
}

void rp_tokens_from_raw_html(struct rp_tokens *t, const char *raw, size_t len)
{
	const char *body = memmem(raw, len, "\n\n", 2), *end;
	size_t tags = 0;

	if (body == NULL)
		body = memmem(raw, len, "\r\n\r\n", 4);
	if (body == NULL)
		return;
	end = raw + (len < MAX_RAW_HTML ? len : MAX_RAW_HTML);
	for (const char *p = body; p < end && tags < MAX_TAGS; p++) {
		p = memchr(p, '<', (size_t)(end - p));
		if (p == NULL)
			break;
		p += html_tag(t, p + 1, (size_t)(end - p - 1));
		tags++;
	}
}
