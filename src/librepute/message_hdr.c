/* message_hdr.c - header blocks without GMime: the fast path rp_message_parse_headers(),
 * the "is this mail at all" check, header lookup, limits, links and freeing.
 *
 * The splitter is written for speed (memchr over lines, one copy per header into the
 * message's arena, RFC 2047 decoding only when a value contains "=?" or 8-bit bytes), so
 * header and Received analysis can run at well over 50,000 messages per second per core.
 * rp_message_parse() in message.c uses the same splitter for the top-level header block,
 * so both paths agree on names, unfolding and decoding. */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "repute/alloc.h"
#include "repute/ascii.h"
#include "repute/arena.h"
#include "repute/buf.h"
#include "repute/error.h"
#include "repute/message.h"
#include "message_int.h"

#define LINK_MAX_LEN 8192 /* longer "links" are data: URIs or junk, not kept */

struct link_set {
	size_t *slots; /* index + 1 into links, 0 = empty */
	size_t cap;    /* power of two */
};

/* rp_message_limits_default - the defaults documented in message.h. */
void rp_message_limits_default(struct rp_message_limits *lim)
{
	lim->max_headers = 10000;
	lim->max_header_len = 64 * 1024;
	lim->max_depth = 32;
	lim->max_parts = 1000;
	lim->max_text = 4 * 1024 * 1024;
	lim->max_links = 10000;
}

/* msg_new - an empty message in a new arena or in its parent's. */
struct msg_priv *msg_new(struct msg_priv *parent)
{
	struct arena *a = parent ? parent->arena : arena_new(16384);
	struct msg_priv *mp = arena_alloc(a, sizeof(*mp));

	mp->arena = a;
	mp->owns_arena = parent == NULL;
	mp->pub.depth = parent ? parent->pub.depth + 1 : 0;
	return mp;
}

/* msg_free_arrays - free the heap arrays of m and of every attached message. */
static void msg_free_arrays(struct rp_message *m)
{
	struct msg_priv *mp = msg_priv_of(m);

	for (size_t i = 0; i < m->n_attached; i++)
		msg_free_arrays(m->attached[i]);
	xfree(m->headers);
	xfree(m->links);
	xfree(m->attachments);
	xfree(m->attached);
	if (mp->linkset) {
		xfree(mp->linkset->slots);
		xfree(mp->linkset);
	}
}

/* rp_message_free - free a top-level message with everything attached to it. */
struct rp_message *rp_message_free(struct rp_message *m)
{
	if (m == NULL)
		return NULL;
	struct msg_priv *mp = msg_priv_of(m);
	if (!mp->owns_arena)
		return NULL; /* an attached message: freed with its top message */
	msg_free_arrays(m);
	arena_free(mp->arena);
	return NULL;
}

/* unfold - copy a folded value into dst (room for n + 1): CR dropped, LF + white space
 * folded to one space, leading white space skipped, at most max bytes; returns the length. */
static size_t unfold(char *dst, const char *src, size_t n, size_t max, bool *cut)
{
	size_t w = 0, i = 0;

	while (i < n && (src[i] == ' ' || src[i] == '\t'))
		i++;
	while (i < n) {
		const char *nl = memchr(src + i, '\n', n - i);
		size_t seg = (nl ? (size_t)(nl - src) : n) - i;
		size_t keep = seg;
		if (keep > 0 && src[i + keep - 1] == '\r')
			keep--;
		if (w + keep > max) {
			keep = max - w;
			*cut = true;
		}
		memcpy(dst + w, src + i, keep);
		w += keep;
		if (nl == NULL)
			break;
		if (w >= max) {
			if ((size_t)(nl - src) + 1 < n)
				*cut = true;
			break;
		}
		i += seg + 1;
		while (i < n && (src[i] == ' ' || src[i] == '\t' || src[i] == '\r'))
			i++;
		if (i < n && w < max)
			dst[w++] = ' ';
	}
	while (w > 0 && (dst[w - 1] == ' ' || dst[w - 1] == '\t' || dst[w - 1] == '\r'))
		w--;
	dst[w] = '\0';
	return w;
}

/* needs_decoding - the value has an encoded-word, 8-bit bytes or control junk. */
static bool needs_decoding(const char *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)v[i];
		if (c >= 0x80 || (c == '=' && i + 1 < n && v[i + 1] == '?'))
			return true;
	}
	return false;
}

/* set_decoded - fill value (made valid UTF-8) and decoded for header h from raw bytes. */
static void set_decoded(struct msg_priv *mp, struct rp_header *h, char *raw, size_t n)
{
	struct buf b;

	h->value = raw;
	h->decoded = raw;
	if (!needs_decoding(raw, n))
		return;
	buf_init(&b);
	if (!utf8_valid(raw, n)) {
		utf8_repair(&b, raw, n);
		h->value = arena_memdup0(mp->arena, b.data, b.len);
		buf_reset(&b);
	}
	rfc2047_decode(&b, raw, n);
	if (b.data == NULL || strcmp(b.data, h->value) == 0)
		h->decoded = h->value;
	else
		h->decoded = arena_memdup0(mp->arena, b.data, b.len);
	buf_fini(&b);
}

/* msg_add_header - unfold, clean and decode one field into the message. */
bool msg_add_header(struct msg_priv *mp, const struct rp_message_limits *lim, const char *name,
		    size_t name_len, const char *value, size_t value_len)
{
	struct rp_message *m = &mp->pub;
	bool cut = false;

	if (m->n_headers >= lim->max_headers) {
		m->truncated = true;
		return false;
	}
	if (m->n_headers == mp->cap_headers) {
		mp->cap_headers = mp->cap_headers ? mp->cap_headers * 2 : 32;
		m->headers = xreallocarray(m->headers, mp->cap_headers, sizeof(*m->headers));
	}
	struct rp_header *h = &m->headers[m->n_headers++];
	size_t room = value_len < lim->max_header_len ? value_len : lim->max_header_len;
	char *v = arena_alloc(mp->arena, room + 1);
	size_t n = unfold(v, value, value_len, lim->max_header_len, &cut);
	if (cut)
		m->truncated = true;
	h->name = arena_memdup0(mp->arena, name, name_len);
	if (!utf8_valid(h->name, name_len)) {
		struct buf b;
		buf_init(&b);
		utf8_repair(&b, name, name_len);
		h->name = arena_memdup0(mp->arena, b.data, b.len);
		buf_fini(&b);
	}
	if (memchr(v, '\0', n) != NULL) {
		struct buf b;
		buf_init(&b);
		utf8_repair(&b, v, n); /* drops NULs */
		v = arena_memdup0(mp->arena, b.data, b.len);
		n = b.len;
		buf_fini(&b);
	}
	set_decoded(mp, h, v, n);
	return true;
}

/* is_name_char - printable US-ASCII except colon (RFC 5322 ftext). */
static inline bool is_name_char(unsigned char c)
{
	return c > 32 && c < 127 && c != ':';
}

/* header_name_len - length of the field name on a line, with *colon set to the colon's
 * offset; 0 when the line is not "name: value". */
static size_t header_name_len(const char *line, size_t n, size_t *colon)
{
	size_t i = 0, name;

	while (i < n && is_name_char((unsigned char)line[i]))
		i++;
	name = i;
	while (i < n && (line[i] == ' ' || line[i] == '\t'))
		i++;
	if (name == 0 || i >= n || line[i] != ':')
		return 0;
	*colon = i;
	return name;
}

/* msg_split_headers - add every field of a header block; returns where the body starts. */
size_t msg_split_headers(struct msg_priv *mp, const struct rp_message_limits *lim, const char *data,
			 size_t len)
{
	size_t p = 0;

	while (p < len) {
		const char *nl = memchr(data + p, '\n', len - p);
		size_t eol = nl ? (size_t)(nl - data) : len;
		size_t colon, name_len;

		if (eol == p || (eol == p + 1 && data[p] == '\r'))
			return eol < len ? eol + 1 : len; /* the empty line */
		name_len = header_name_len(data + p, eol - p, &colon);
		if (name_len == 0)
			return p; /* not a header field: the body starts here */
		/* continuation lines start with white space */
		size_t end = eol;
		while (end < len && end + 1 < len && (data[end + 1] == ' ' || data[end + 1] == '\t')) {
			const char *n2 = memchr(data + end + 1, '\n', len - end - 1);
			end = n2 ? (size_t)(n2 - data) : len;
		}
		size_t vstart = p + colon + 1;
		msg_add_header(mp, lim, data + p, name_len, data + vstart, end - vstart);
		p = end < len ? end + 1 : len;
	}
	return len;
}

/* describe - printable excerpt of a line for a diagnostic. */
static void describe(char *out, size_t outlen, const char *s, size_t n)
{
	size_t w = 0;

	for (size_t i = 0; i < n && w + 5 < outlen && s[i] != '\n' && s[i] != '\r'; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 32 && c < 127)
			out[w++] = (char)c;
		else
			w += (size_t)snprintf(out + w, outlen - w, "\\x%02x", c);
	}
	out[w] = '\0';
}

/* looks_binary - more than 10% control bytes in the first 1 KiB. */
static bool looks_binary(const char *data, size_t len, size_t *bad_out, size_t *sample_out)
{
	size_t sample = len < 1024 ? len : 1024, bad = 0;

	for (size_t i = 0; i < sample; i++) /* a table lookup: this runs on every message */
		bad += (ascii_class[(unsigned char)data[i]] & ASCII_CTRL) != 0;
	*bad_out = bad, *sample_out = sample;
	return bad * 10 > sample;
}

/* first_line_is_header - "Name: value" with a conventional name ([A-Za-z0-9_.-]+), which
 * keeps JSON, YAML and prose that happen to contain a colon out. */
static bool first_line_is_header(const char *line, size_t n)
{
	size_t colon, name = header_name_len(line, n, &colon);

	if (name == 0)
		return false;
	for (size_t i = 0; i < name; i++)
		if (!isalnum((unsigned char)line[i]) && line[i] != '-' && line[i] != '_' && line[i] != '.')
			return false;
	return true;
}

/* msg_check_mail - reject empty, binary and header-less input with a reason. */
int msg_check_mail(const char *data, size_t len, size_t *start, struct rp_diag *diag)
{
	size_t p = 0, bad, sample;
	unsigned long line = 1;
	char what[64];

	if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
		p = 3;
	while (p < len && (data[p] == '\n' || data[p] == '\r' || data[p] == ' ' || data[p] == '\t')) {
		if (data[p] == '\n')
			line++;
		p++;
	}
	if (p >= len) {
		rp_diag_set(diag, 0, 0, "not a mail message: empty input");
		return RP_ENOTMAIL;
	}
	if (looks_binary(data + p, len - p, &bad, &sample)) {
		rp_diag_set(diag, line, p, "not a mail message: binary data (%zu control bytes in the first %zu)",
			    bad, sample);
		return RP_ENOTMAIL;
	}
	if (len - p > 5 && memcmp(data + p, "From ", 5) == 0) { /* mbox separator */
		const char *nl = memchr(data + p, '\n', len - p);
		if (nl == NULL) {
			rp_diag_set(diag, line, p, "not a mail message: only an mbox \"From \" line");
			return RP_ENOTMAIL;
		}
		p = (size_t)(nl - data) + 1;
		line++;
	}
	const char *nl = memchr(data + p, '\n', len - p);
	size_t eol = nl ? (size_t)(nl - data) : len;
	if (!first_line_is_header(data + p, eol - p)) {
		describe(what, sizeof(what), data + p, eol - p < 40 ? eol - p : 40);
		rp_diag_set(diag, line, p, "not a mail message: line %lu is not a header field: \"%s\"", line,
			    what);
		return RP_ENOTMAIL;
	}
	*start = p;
	return RP_OK;
}

/* content_type_of - "type/subtype" in lower case from a Content-Type value (default
 * text/plain), allocated in the arena. */
static char *content_type_of(struct msg_priv *mp, const char *v)
{
	size_t n = 0;

	if (v == NULL)
		return arena_strdup(mp->arena, "text/plain");
	while (*v == ' ' || *v == '\t')
		v++;
	while (v[n] && v[n] != ';' && v[n] != ' ' && v[n] != '\t' && v[n] != '(')
		n++;
	if (n == 0 || memchr(v, '/', n) == NULL)
		return arena_strdup(mp->arena, "text/plain");
	char *ct = arena_memdup0(mp->arena, v, n);
	for (char *s = ct; *s; s++)
		*s = (char)tolower((unsigned char)*s);
	return ct;
}

/* rp_message_parse_headers - the fast path: top-level header block only. */
int rp_message_parse_headers(const char *data, size_t len, const struct rp_message_limits *lim,
			     struct rp_message **out, struct rp_diag *diag)
{
	struct rp_message_limits def;
	size_t start;
	int rc;

	if (lim == NULL) {
		rp_message_limits_default(&def);
		lim = &def;
	}
	if ((rc = msg_check_mail(data, len, &start, diag)) != RP_OK)
		return rc;
	struct msg_priv *mp = msg_new(NULL);
	msg_split_headers(mp, lim, data + start, len - start);
	mp->pub.content_type = content_type_of(mp, rp_message_header(&mp->pub, "Content-Type"));
	*out = &mp->pub;
	return RP_OK;
}

/* msg_header_content_type - "type/subtype" of the Content-Type header. */
char *msg_header_content_type(struct msg_priv *mp)
{
	return content_type_of(mp, rp_message_header(&mp->pub, "Content-Type"));
}

/* rp_message_header - decoded value of the first field with this name. */
const char *rp_message_header(const struct rp_message *m, const char *name)
{
	long i = rp_message_header_next(m, name, 0);

	return i < 0 ? NULL : m->headers[i].decoded;
}

/* rp_message_header_next - index of the next field with this name at or after pos. */
long rp_message_header_next(const struct rp_message *m, const char *name, long pos)
{
	if (m == NULL || pos < 0)
		return -1;
	for (size_t i = (size_t)pos; i < m->n_headers; i++)
		if (strcasecmp(m->headers[i].name, name) == 0)
			return (long)i;
	return -1;
}

/* link_hash - FNV-1a of a string. */
static uint64_t link_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

/* linkset_rehash - grow the set to cap slots and re-insert every link. */
static void linkset_rehash(struct msg_priv *mp, size_t cap)
{
	struct link_set *ls = mp->linkset;

	xfree(ls->slots);
	ls->slots = xcalloc(cap, sizeof(*ls->slots));
	ls->cap = cap;
	for (size_t i = 0; i < mp->pub.n_links; i++) {
		size_t j = link_hash(mp->pub.links[i]) & (cap - 1);
		while (ls->slots[j])
			j = (j + 1) & (cap - 1);
		ls->slots[j] = i + 1;
	}
}

/* msg_add_link - keep a trimmed link once, within max_links. */
void msg_add_link(struct msg_priv *mp, const struct rp_message_limits *lim, const char *link, size_t len)
{
	struct rp_message *m = &mp->pub;

	while (len > 0 && isspace((unsigned char)*link))
		link++, len--;
	while (len > 0 && isspace((unsigned char)link[len - 1]))
		len--;
	if (len == 0 || len > LINK_MAX_LEN || link[0] == '#')
		return;
	if (mp->linkset == NULL)
		mp->linkset = xcalloc(1, sizeof(*mp->linkset));
	if ((m->n_links + 1) * 2 > mp->linkset->cap)
		linkset_rehash(mp, mp->linkset->cap ? mp->linkset->cap * 2 : 64);
	char *s = arena_memdup0(mp->arena, link, len);
	size_t cap = mp->linkset->cap, j = link_hash(s) & (cap - 1);
	for (; mp->linkset->slots[j]; j = (j + 1) & (cap - 1))
		if (strcmp(m->links[mp->linkset->slots[j] - 1], s) == 0)
			return;
	if (m->n_links >= lim->max_links) {
		m->truncated = true;
		return;
	}
	if (m->n_links == mp->cap_links) {
		mp->cap_links = mp->cap_links ? mp->cap_links * 2 : 16;
		m->links = xreallocarray(m->links, mp->cap_links, sizeof(*m->links));
	}
	m->links[m->n_links++] = s;
	mp->linkset->slots[j] = m->n_links;
}
