/* redact_mime.c - the MIME walk of rp_redact_message and rp_redact_collect.
 *
 * A message is split into its header block and body at the first empty line; the body is
 * handled by its Content-Type and Content-Transfer-Encoding: multiparts part by part (the
 * delimiter lines copied as they are), attached messages and header blocks recursively
 * (decoded first when base64 or quoted-printable), text parts decoded, redacted and, only
 * when something was replaced, re-encoded in their own encoding with their own line ends.
 * Anything else in 7bit/8bit is redacted as plain text; binary parts are copied. Nesting
 * deeper than MAX_DEPTH is treated as plain text. The same walk, with a scratch output,
 * collects the recipient addresses of every header block (rp_redact_collect). */
#include <ctype.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "repute/redact.h"

#include "redact_int.h"

#define MAX_DEPTH 16

struct walk {
	const struct rp_redact_set *s; /* addresses to replace (empty while collecting) */
	struct rp_redact_set *collect; /* where header blocks' recipients go, or NULL */
	size_t n;                      /* replacements so far */
};

struct ctype {
	char type[80];      /* lower case "type/subtype", empty when absent */
	char boundary[128]; /* multipart boundary, empty when absent */
	char cte[32];       /* lower case transfer encoding, empty when absent */
};

static void walk_entity(struct walk *w, const char *raw, size_t len, int depth, struct buf *out);

/* unfold_value - a header value without line breaks, trimmed, at most cap-1 bytes, into dst. */
static void unfold_value(const char *v, size_t len, char *dst, size_t cap)
{
	size_t n = 0;

	for (size_t i = 0; i < len && n + 1 < cap; i++)
		if (v[i] != '\r' && v[i] != '\n' && !(n == 0 && isspace((unsigned char)v[i])))
			dst[n++] = v[i];
	while (n > 0 && isspace((unsigned char)dst[n - 1]))
		n--;
	dst[n] = '\0';
}

/* parse_ctype - Content-Type (type and boundary) and Content-Transfer-Encoding. */
static void parse_ctype(const char *h, size_t len, struct ctype *ct)
{
	char v[1024];
	size_t off = 0, vlen;
	const char *val;

	memset(ct, 0, sizeof(*ct));
	if ((val = redact_header_value(h, len, "Content-Type", &off, &vlen)) != NULL) {
		unfold_value(val, vlen, v, sizeof(v));
		size_t i;
		for (i = 0; v[i] && v[i] != ';' && !isspace((unsigned char)v[i]) && i + 1 < sizeof(ct->type); i++)
			ct->type[i] = (char)tolower((unsigned char)v[i]);
		for (char *p = v; (p = strcasestr(p, "boundary=")) != NULL; p++) {
			if (p != v && p[-1] != ';' && !isspace((unsigned char)p[-1]))
				continue;
			p += 9;
			size_t n = 0;
			if (*p == '"')
				for (p++; *p && *p != '"' && n + 1 < sizeof(ct->boundary); p++)
					ct->boundary[n++] = *p;
			else
				for (; *p && *p != ';' && !isspace((unsigned char)*p) && n + 1 < sizeof(ct->boundary); p++)
					ct->boundary[n++] = *p;
			ct->boundary[n] = '\0';
			break;
		}
	}
	off = 0;
	if ((val = redact_header_value(h, len, "Content-Transfer-Encoding", &off, &vlen)) != NULL) {
		unfold_value(val, vlen, v, sizeof(v));
		for (size_t i = 0; v[i] && !isspace((unsigned char)v[i]) && i + 1 < sizeof(ct->cte); i++)
			ct->cte[i] = (char)tolower((unsigned char)v[i]);
	}
}

/* eol_of - the line end a body uses. */
static const char *eol_of(const char *b, size_t len)
{
	const char *nl = memchr(b, '\n', len);

	return nl != NULL && nl > b && nl[-1] == '\r' ? "\r\n" : "\n";
}

/* encoded - decoded is the decoding of body in cte ("base64" or "quoted-printable"): encode
 * redacted again the same way, keeping a final line end when body had one. */
static void encoded(const char *cte, const char *body, size_t blen, const struct buf *redacted, struct buf *out)
{
	const char *eol = eol_of(body, blen);

	if (strcmp(cte, "base64") == 0)
		redact_b64_encode((const unsigned char *)redacted->data, redacted->len, 76, eol, out);
	else
		redact_qp_encode(redacted->data, redacted->len, eol, out);
	if (blen > 0 && body[blen - 1] == '\n' && !(out->len > 0 && out->data[out->len - 1] == '\n'))
		buf_puts(out, eol);
}

/* is_encoded - base64 or quoted-printable. */
static bool is_encoded(const char *cte)
{
	return strcmp(cte, "base64") == 0 || strcmp(cte, "quoted-printable") == 0;
}

/* b64_region - length of the leading lines of body that are base64 (or blank): a mailing
 * list may append a plain-text footer after them. */
static size_t b64_region(const char *body, size_t blen)
{
	size_t i = 0;

	while (i < blen) {
		const char *nl = memchr(body + i, '\n', blen - i);
		size_t end = nl ? (size_t)(nl - body) + 1 : blen;
		for (size_t k = i; k < end; k++)
			if (!isalnum((unsigned char)body[k]) && strchr("+/=\r\n \t", body[k]) == NULL)
				return i;
		i = end;
	}
	return blen;
}

/* walk_decoded - an encoded text part or attached message: decode, handle, re-encode only
 * when something was replaced (else copy the original bytes); text after the base64 lines
 * (a list footer) is redacted as plain text. */
static void walk_decoded(struct walk *w, const struct ctype *ct, const char *body, size_t blen, bool message,
			 int depth, struct buf *out)
{
	struct buf dec, red;
	size_t before = w->n, full = blen;

	if (strcmp(ct->cte, "base64") == 0)
		blen = b64_region(body, blen);
	buf_init(&dec);
	buf_init(&red);
	if (strcmp(ct->cte, "base64") == 0)
		redact_b64_decode(body, blen, &dec);
	else
		redact_qp_decode(body, blen, &dec);
	if (message)
		walk_entity(w, dec.data ? dec.data : "", dec.len, depth + 1, &red);
	else
		w->n += rp_redact_text(dec.data ? dec.data : "", dec.len, w->s, &red);
	if (w->n > before)
		encoded(ct->cte, body, blen, &red, out);
	else
		buf_append(out, body, blen);
	w->n += rp_redact_text(body + blen, full - blen, w->s, out);
	buf_fini(&dec);
	buf_fini(&red);
}

/* is_delimiter - line (without its end) is "--boundary" or "--boundary--" (closing). */
static bool is_delimiter(const char *line, size_t len, const char *boundary, bool *closing)
{
	size_t bl = strlen(boundary);

	if (len < bl + 2 || line[0] != '-' || line[1] != '-' || memcmp(line + 2, boundary, bl) != 0)
		return false;
	const char *rest = line + 2 + bl;
	size_t rl = len - 2 - bl;
	*closing = rl >= 2 && rest[0] == '-' && rest[1] == '-';
	for (size_t i = *closing ? 2 : 0; i < rl; i++)
		if (!isspace((unsigned char)rest[i]))
			return false;
	return true;
}

/* walk_multipart - preamble, parts and epilogue of a multipart body. */
static void walk_multipart(struct walk *w, const char *body, size_t blen, const char *boundary, int depth,
			   struct buf *out)
{
	size_t seg = 0;
	bool in_part = false;

	for (size_t i = 0; i < blen;) {
		const char *nl = memchr(body + i, '\n', blen - i);
		size_t end = nl ? (size_t)(nl - body) + 1 : blen;
		bool closing;
		if (!is_delimiter(body + i, end - i, boundary, &closing)) {
			i = end;
			continue;
		}
		if (in_part)
			walk_entity(w, body + seg, i - seg, depth + 1, out);
		else
			w->n += rp_redact_text(body + seg, i - seg, w->s, out);
		buf_append(out, body + i, end - i);
		seg = end;
		i = end;
		in_part = !closing;
		if (closing)
			break;
	}
	if (in_part)
		walk_entity(w, body + seg, blen - seg, depth + 1, out);
	else
		w->n += rp_redact_text(body + seg, blen - seg, w->s, out);
}

/* walk_body - a body by its content type and transfer encoding. */
static void walk_body(struct walk *w, const struct ctype *ct, const char *body, size_t blen, int depth,
		      struct buf *out)
{
	bool message = strcmp(ct->type, "message/rfc822") == 0 || strcmp(ct->type, "message/global") == 0 ||
		       strcmp(ct->type, "text/rfc822-headers") == 0;
	bool text = ct->type[0] == '\0' || strncmp(ct->type, "text/", 5) == 0;

	if (depth >= MAX_DEPTH) {
		w->n += rp_redact_text(body, blen, w->s, out);
	} else if (strncmp(ct->type, "multipart/", 10) == 0 && ct->boundary[0] != '\0') {
		walk_multipart(w, body, blen, ct->boundary, depth, out);
	} else if ((message || text) && is_encoded(ct->cte)) {
		walk_decoded(w, ct, body, blen, message, depth, out);
	} else if (message) {
		walk_entity(w, body, blen, depth + 1, out);
	} else if (!is_encoded(ct->cte)) {
		w->n += rp_redact_text(body, blen, w->s, out);
	} else {
		buf_append(out, body, blen); /* binary */
	}
}

/* header_end - length of the header block (through the end of its last line) and of the
 * empty line after it (0 when the text has no empty line: all header). */
static size_t header_end(const char *raw, size_t len, size_t *sep)
{
	*sep = 0;
	if (len > 0 && raw[0] == '\n') {
		*sep = 1;
		return 0;
	}
	if (len > 1 && raw[0] == '\r' && raw[1] == '\n') {
		*sep = 2;
		return 0;
	}
	for (size_t i = 0; i + 1 < len; i++) {
		if (raw[i] != '\n')
			continue;
		if (raw[i + 1] == '\n') {
			*sep = 1;
			return i + 1;
		}
		if (raw[i + 1] == '\r' && i + 2 < len && raw[i + 2] == '\n') {
			*sep = 2;
			return i + 1;
		}
	}
	return len;
}

/* walk_entity - header block, empty line, body. */
static void walk_entity(struct walk *w, const char *raw, size_t len, int depth, struct buf *out)
{
	size_t sep, hl = header_end(raw, len, &sep);
	struct ctype ct;

	if (w->collect != NULL)
		redact_collect_headers(raw, hl, w->collect);
	w->n += redact_header_block(raw, hl, w->s, out);
	buf_append(out, raw + hl, sep);
	parse_ctype(raw, hl, &ct);
	walk_body(w, &ct, raw + hl + sep, len - hl - sep, depth, out);
}

/* rp_redact_message - a redacted copy of a whole message. */
size_t rp_redact_message(const char *raw, size_t len, const struct rp_redact_set *s, struct buf *out)
{
	struct walk w = { .s = s };

	walk_entity(&w, raw, len, 0, out);
	return w.n;
}

/* rp_redact_collect - recipients of every header block of the message. */
void rp_redact_collect(const char *raw, size_t len, struct rp_redact_set *s)
{
	struct rp_redact_set none;
	struct buf scratch;

	rp_redact_set_init(&none);
	buf_init(&scratch);
	struct walk w = { .s = &none, .collect = s };
	walk_entity(&w, raw, len, 0, &scratch);
	buf_fini(&scratch);
}
