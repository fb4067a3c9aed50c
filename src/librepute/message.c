/* message.c - rp_message_parse(): a whole message (RFC 5322 + MIME) with GMime 3, reduced to
 * headers, decoded text, HTML text and links, attachments, attached messages and the
 * machine-readable part of ARF / X-ARF reports.
 *
 * GMime needs one process-wide g_mime_init(); we do it lazily with pthread_once on the
 * first parse and never call g_mime_shutdown() (GMime's tables live until exit). That is
 * the only global state here; after init, parsing is reentrant (one GMimeParser per call).
 *
 * Hostile input is bounded before and during the walk: the top-level headers come from our
 * own splitter (message_hdr.c, limits applied), the input handed to GMime is cut after
 * max_parts Content-Type lines or 8 * max_parts possible boundary lines (GMime recurses
 * once per nesting level, checks every "--" line against every open boundary and builds
 * an object per part, so unbounded nesting or part counts would cost stack and time), and
 * the walk stops at max_depth and max_parts. A hit limit sets
 * `truncated`; the rest of the message is still used. */
#include <ctype.h>
#include <pthread.h>
#include <string.h>
#include <strings.h>

#include <gmime/gmime.h>

#include "repute/alloc.h"
#include "repute/arena.h"
#include "repute/buf.h"
#include "repute/error.h"
#include "repute/message.h"
#include "repute/strutil.h"
#include "message_int.h"

#define GMIME_MAX_CT_LINES 4096 /* hard cap on GMime's recursion whatever the limits say */

struct walk {
	const struct rp_message_limits *lim;
	size_t parts;   /* parts visited so far, over the whole tree */
	bool xarf_hint; /* the top message has an X-XARF / X-ARF header */
};

/* per-message text being collected while walking one message's parts */
struct collect {
	struct msg_priv *mp;
	struct buf text, html;
	bool xarf_hint;
	int leaf_index; /* leaves seen in this message, for X-ARF's "second part" rule */
};

static pthread_once_t gmime_once = PTHREAD_ONCE_INIT;

/* gmime_init_once - process-wide GMime initialisation (see the file comment). */
static void gmime_init_once(void)
{
	g_mime_init();
	charset_pin(); /* GMime converts GB2312 parameters and headers too */
}

static void walk_object(struct walk *w, struct collect *c, GMimeObject *obj, int depth);
static void parse_into(struct walk *w, struct msg_priv *mp, const char *data, size_t len, int depth,
		       bool top);

/* limit_hit - mark a message and everything above it truncated. */
static void limit_hit(struct collect *c)
{
	c->mp->pub.truncated = true;
}

/* mime_type_of - lower-case "type/subtype" of a GMime object, in the message arena. */
static char *mime_type_of(struct msg_priv *mp, GMimeObject *obj)
{
	GMimeContentType *ct = g_mime_object_get_content_type(obj);
	char *s = ct ? g_mime_content_type_get_mime_type(ct) : NULL;
	char *r = arena_strdup(mp->arena, s ? s : "text/plain");

	g_free(s);
	str_lower(r);
	return r;
}

/* arena_utf8 - copy bytes into the arena as clean UTF-8. */
static char *arena_utf8(struct msg_priv *mp, const char *s, size_t n)
{
	struct buf b;

	buf_init(&b);
	utf8_repair(&b, s, n);
	char *r = arena_memdup0(mp->arena, b.data, b.len);
	buf_fini(&b);
	return r;
}

/* part_content - the decoded (transfer encoding removed) bytes of a leaf part; the caller
 * frees the array with g_byte_array_unref. */
static GByteArray *part_content(GMimePart *part)
{
	GByteArray *arr = g_byte_array_new();
	GMimeDataWrapper *dw = g_mime_part_get_content(part);

	if (dw != NULL) {
		GMimeStream *ms = g_mime_stream_mem_new_with_byte_array(arr);
		g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(ms), FALSE);
		g_mime_data_wrapper_write_to_stream(dw, ms);
		g_object_unref(ms);
	}
	return arr;
}

/* arr_data - the bytes of a content array, "" when it is empty (data may be NULL then). */
static const char *arr_data(const GByteArray *arr)
{
	return arr->data ? (const char *)arr->data : "";
}

/* add_gmime_headers - copy a GMime header list into mp through the common header code. */
static void add_gmime_headers(struct msg_priv *mp, const struct rp_message_limits *lim,
			      GMimeObject *obj)
{
	GMimeHeaderList *hl = g_mime_object_get_header_list(obj);
	int n = hl ? g_mime_header_list_get_count(hl) : 0;

	for (int i = 0; i < n; i++) {
		GMimeHeader *h = g_mime_header_list_get_header_at(hl, i);
		const char *name = g_mime_header_get_name(h);
		const char *raw = g_mime_header_get_raw_value(h);
		if (name == NULL || *name == '\0')
			continue;
		if (raw == NULL)
			raw = "";
		if (!msg_add_header(mp, lim, name, strlen(name), raw, strlen(raw)))
			break;
	}
}

/* append_text - add decoded text to one of the collectors within max_text. */
static void append_text(struct collect *c, const struct rp_message_limits *lim, struct buf *dst,
			const char *s, size_t n)
{
	size_t used = c->text.len + c->html.len;

	if (n == 0)
		return;
	if (used + n + 1 > lim->max_text) {
		limit_hit(c);
		if (used + 1 >= lim->max_text)
			return;
		n = lim->max_text - used - 1;
		while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
			n--; /* do not cut a UTF-8 sequence */
	}
	if (dst->len > 0)
		buf_putc(dst, '\n');
	buf_append(dst, s, n);
}

/* add_attachment - list a leaf part as an attachment. */
static void add_attachment(struct collect *c, const char *ct, const char *filename, GByteArray *arr)
{
	struct msg_priv *mp = c->mp;
	struct rp_message *m = &mp->pub;

	if (m->n_attachments == mp->cap_attachments) {
		mp->cap_attachments = mp->cap_attachments ? mp->cap_attachments * 2 : 4;
		m->attachments = xreallocarray(m->attachments, mp->cap_attachments, sizeof(*m->attachments));
	}
	struct rp_attachment *a = &m->attachments[m->n_attachments++];
	a->filename = filename ? arena_utf8(mp, filename, strlen(filename)) : arena_strdup(mp->arena, "");
	a->content_type = (char *)ct;
	a->size = arr->len;
	sha256_hex(arr_data(arr), arr->len, a->sha256);
}

/* add_attached - append a parsed sub-message to mp->attached. */
static void add_attached(struct msg_priv *mp, struct msg_priv *sub)
{
	struct rp_message *m = &mp->pub;

	if (m->n_attached == mp->cap_attached) {
		mp->cap_attached = mp->cap_attached ? mp->cap_attached * 2 : 2;
		m->attached = xreallocarray(m->attached, mp->cap_attached, sizeof(*m->attached));
	}
	m->attached[m->n_attached++] = &sub->pub;
	if (sub->pub.truncated)
		m->truncated = true;
}

/* looks_like_xarf_yaml - a report body made of X-ARF 0.2 "Key: value" lines. */
static bool looks_like_xarf_yaml(const char *s, size_t n)
{
	static const char *const keys[] = { "Reported-From:", "Report-Type:", "Schema-URL:", "Category:" };
	size_t hits = 0;

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		const char *p = mem_icasemem(s, n < 8192 ? n : 8192, keys[i]);
		if (p != NULL && (p == s || p[-1] == '\n'))
			hits++;
	}
	return hits >= 2;
}

/* is_xarf_part - the machine-readable part of an X-ARF report (0.2 YAML or v4 JSON). */
static bool is_xarf_part(struct collect *c, const char *ct, const char *filename, const char *s, size_t n)
{
	bool json = strcmp(ct, "application/json") == 0 ||
		    (filename && strlen(filename) > 5 && strcasecmp(filename + strlen(filename) - 5, ".json") == 0);
	const char *p = s;

	while (p < s + n && isspace((unsigned char)*p))
		p++;
	if (json || (p < s + n && *p == '{' && c->xarf_hint)) {
		size_t k = n < 65536 ? n : 65536;
		return mem_icasemem(s, k, "xarf") != NULL || mem_icasemem(s, k, "\"ReportType\"") != NULL ||
		       mem_icasemem(s, k, "\"ReporterInfo\"") != NULL;
	}
	if (strcmp(ct, "text/plain") != 0)
		return false;
	if (filename && strcasecmp(filename, "report.txt") == 0 && c->xarf_hint)
		return true;
	return c->xarf_hint && looks_like_xarf_yaml(s, n);
}

/* walk_headers_part - a text/rfc822-headers part becomes a headers_only attached message. */
static void walk_headers_part(struct walk *w, struct collect *c, GByteArray *arr)
{
	struct msg_priv *sub = msg_new(c->mp);
	const char *d = arr_data(arr);
	size_t n = arr->len, start = 0;

	if (n > 5 && memcmp(d, "From ", 5) == 0) {
		const char *nl = memchr(d, '\n', n);
		start = nl ? (size_t)(nl - d) + 1 : n;
	}
	while (start < n && (d[start] == '\r' || d[start] == '\n'))
		start++;
	msg_split_headers(sub, w->lim, d + start, n - start);
	sub->pub.headers_only = true;
	sub->pub.content_type = msg_header_content_type(sub);
	add_attached(c->mp, sub);
}

/* walk_leaf_text - a text/plain or text/html part shown to the reader. */
static void walk_leaf_text(struct walk *w, struct collect *c, GMimeObject *obj, bool html,
			   GByteArray *arr)
{
	struct buf u, h;
	const char *cs = g_mime_object_get_content_type_parameter(obj, "charset");

	buf_init(&u);
	text_to_utf8(&u, cs, arr_data(arr), arr->len);
	if (html) {
		buf_init(&h);
		html_to_text(c->mp, w->lim, &h, u.data, u.len);
		append_text(c, w->lim, &c->html, h.data, h.len);
		buf_fini(&h);
	} else {
		append_text(c, w->lim, &c->text, u.data, u.len);
	}
	buf_fini(&u);
}

/* walk_encoded_message - a message/rfc822 part sent with base64 or quoted-printable (not
 * allowed, but Outlook and some webmails do it): parse the decoded bytes as a message. */
static void walk_encoded_message(struct walk *w, struct collect *c, const char *data, size_t len, int depth)
{
	if (depth + 1 > w->lim->max_depth) {
		limit_hit(c);
		return;
	}
	struct msg_priv *sub = msg_new(c->mp);
	parse_into(w, sub, data, len, depth + 1, false);
	add_attached(c->mp, sub);
}

/* walk_leaf - one GMimePart: text, report part, header block or attachment. */
static void walk_leaf(struct walk *w, struct collect *c, GMimeObject *obj, int depth)
{
	struct msg_priv *mp = c->mp;
	char *ct = mime_type_of(mp, obj);
	const char *disp = g_mime_object_get_disposition(obj);
	const char *filename = g_mime_part_get_filename(GMIME_PART(obj));
	bool attachment = disp != NULL && strcasecmp(disp, "attachment") == 0;
	GByteArray *arr = part_content(GMIME_PART(obj));
	const char *data = arr_data(arr);

	c->leaf_index++;
	if (strcmp(ct, "message/feedback-report") == 0) {
		if (mp->pub.feedback_report == NULL)
			mp->pub.feedback_report = arena_utf8(mp, data, arr->len);
	} else if (strcmp(ct, "message/rfc822") == 0 || strcmp(ct, "message/global") == 0) {
		walk_encoded_message(w, c, data, arr->len, depth); /* GMime leaves encoded ones as leaves */
	} else if (strcmp(ct, "text/rfc822-headers") == 0 || strcmp(ct, "message/rfc822-headers") == 0) {
		walk_headers_part(w, c, arr);
	} else if (mp->pub.xarf_report == NULL && is_xarf_part(c, ct, filename, data, arr->len)) {
		struct buf u;
		buf_init(&u);
		text_to_utf8(&u, g_mime_object_get_content_type_parameter(obj, "charset"), data, arr->len);
		mp->pub.xarf_report = arena_memdup0(mp->arena, u.data, u.len);
		buf_fini(&u);
	} else if (!attachment && (strcmp(ct, "text/plain") == 0 || strcmp(ct, "text/html") == 0)) {
		walk_leaf_text(w, c, obj, strcmp(ct, "text/html") == 0, arr);
	} else if (strcmp(ct, "message/delivery-status") != 0 &&
		   strcmp(ct, "message/disposition-notification") != 0) {
		add_attachment(c, ct, filename, arr);
	}
	g_byte_array_unref(arr);
}

/* collect_finish - move the collected texts into the message. */
static void collect_finish(struct collect *c)
{
	struct msg_priv *mp = c->mp;

	mp->pub.text = arena_memdup0(mp->arena, c->text.data ? c->text.data : "", c->text.len);
	mp->pub.html_text = arena_memdup0(mp->arena, c->html.data ? c->html.data : "", c->html.len);
	buf_fini(&c->text);
	buf_fini(&c->html);
}

/* walk_message_part - a message/rfc822 part: parse the inner message into `attached`. */
static void walk_message_part(struct walk *w, struct collect *c, GMimeObject *obj, int depth)
{
	GMimeMessage *inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(obj));
	struct collect sub = { .mp = msg_new(c->mp) };

	if (inner == NULL) {
		GByteArray empty = { 0 };
		add_attachment(c, mime_type_of(c->mp, obj), NULL, &empty);
		return;
	}
	buf_init(&sub.text);
	buf_init(&sub.html);
	add_gmime_headers(sub.mp, w->lim, GMIME_OBJECT(inner));
	GMimeObject *body = g_mime_message_get_mime_part(inner);
	sub.mp->pub.content_type = body ? mime_type_of(sub.mp, body) : msg_header_content_type(sub.mp);
	if (body)
		walk_object(w, &sub, body, depth + 1);
	collect_finish(&sub);
	add_attached(c->mp, sub.mp);
}

/* walk_multipart - every sub-part in order; multipart/report sets report_type. */
static void walk_multipart(struct walk *w, struct collect *c, GMimeObject *obj, int depth)
{
	GMimeMultipart *mpart = GMIME_MULTIPART(obj);
	int n = g_mime_multipart_get_count(mpart);
	GMimeContentType *ct = g_mime_object_get_content_type(obj);

	if (ct && g_mime_content_type_is_type(ct, "multipart", "report") && c->mp->pub.report_type == NULL) {
		const char *rt = g_mime_content_type_get_parameter(ct, "report-type");
		if (rt)
			c->mp->pub.report_type = str_lower(arena_utf8(c->mp, rt, strlen(rt)));
	}
	for (int i = 0; i < n; i++)
		walk_object(w, c, g_mime_multipart_get_part(mpart, i), depth + 1);
}

/* walk_object - dispatch on the GMime object type, enforcing depth and part limits. */
static void walk_object(struct walk *w, struct collect *c, GMimeObject *obj, int depth)
{
	if (obj == NULL)
		return;
	if (depth > w->lim->max_depth || w->parts >= w->lim->max_parts) {
		limit_hit(c);
		return;
	}
	w->parts++;
	if (GMIME_IS_MULTIPART(obj))
		walk_multipart(w, c, obj, depth);
	else if (GMIME_IS_MESSAGE_PART(obj))
		walk_message_part(w, c, obj, depth);
	else if (GMIME_IS_PART(obj))
		walk_leaf(w, c, obj, depth);
	/* message/partial and anything else: nothing to read */
}

/* gmime_cut - length of the input handed to GMime: everything before the (limit + 1)th
 * Content-Type line or the (8 * limit)th line that could be a boundary ("--x"), which
 * bounds GMime's nesting and the parts it builds (see the file comment). */
static size_t gmime_cut(const char *data, size_t len, size_t max_parts, bool *cut)
{
	size_t limit = max_parts + 1 < GMIME_MAX_CT_LINES ? max_parts + 1 : GMIME_MAX_CT_LINES;
	size_t ct = 0, dashes = 0, p = 0;

	while (p < len) {
		if (len - p >= 13 && (data[p] == 'C' || data[p] == 'c') &&
		    strncasecmp(data + p, "content-type:", 13) == 0 && ++ct > limit) {
			*cut = true;
			return p;
		}
		if (len - p >= 3 && data[p] == '-' && data[p + 1] == '-' && !isspace((unsigned char)data[p + 2]) &&
		    ++dashes > 8 * limit) {
			*cut = true;
			return p;
		}
		const char *nl = memchr(data + p, '\n', len - p);
		if (nl == NULL)
			break;
		p = (size_t)(nl - data) + 1;
	}
	return len;
}

/* gmime_parse - run GMime over the message; NULL if it could not build one. */
static GMimeMessage *gmime_parse(const char *data, size_t len)
{
	GMimeStream *stream = g_mime_stream_mem_new_with_buffer(data, len);
	GMimeParser *parser = g_mime_parser_new_with_stream(stream);
	GMimeParserOptions *opts = g_mime_parser_options_new();

	g_mime_parser_options_set_rfc2047_compliance_mode(opts, GMIME_RFC_COMPLIANCE_LOOSE);
	g_mime_parser_options_set_parameter_compliance_mode(opts, GMIME_RFC_COMPLIANCE_LOOSE);
	g_mime_parser_set_format(parser, GMIME_FORMAT_MESSAGE);
	GMimeMessage *msg = g_mime_parser_construct_message(parser, opts);
	g_mime_parser_options_free(opts);
	g_object_unref(parser);
	g_object_unref(stream);
	return msg;
}

/* mime_view - what GMime needs of a message: its MIME header fields (MIME-Version,
 * Content-*) and the body. The other header fields are already split by our own code; letting
 * GMime build an object for each of them again cost more than the rest of its parse. */
static void mime_view(const struct msg_priv *mp, const char *body, size_t body_len, struct buf *out)
{
	buf_init(out);
	buf_reserve(out, body_len + 256);
	for (size_t i = 0; i < mp->pub.n_headers; i++) {
		const struct rp_header *h = &mp->pub.headers[i];
		if (strncasecmp(h->name, "Content-", 8) == 0 || strcasecmp(h->name, "MIME-Version") == 0)
			buf_printf(out, "%s: %s\n", h->name, h->value);
	}
	buf_putc(out, '\n');
	buf_append(out, body, body_len);
}

/* header_param - the value of parameter name (e.g. "charset") in a header value, quoted or
 * not, copied into out; false when absent, empty or too long. RFC 2231 forms ("charset*")
 * are not read here: simple_encoding sends such messages to GMime. */
static bool header_param(const char *v, const char *name, char *out, size_t outlen)
{
	size_t nl = strlen(name);

	for (const char *p = strchr(v, ';'); p != NULL; p = strchr(p + 1, ';')) {
		const char *q = p + 1;
		while (*q == ' ' || *q == '\t')
			q++;
		if (strncasecmp(q, name, nl) != 0)
			continue;
		q += nl;
		while (*q == ' ' || *q == '\t')
			q++;
		if (*q != '=')
			continue;
		q++;
		while (*q == ' ' || *q == '\t')
			q++;
		bool quoted = *q == '"';
		q += quoted;
		size_t n = quoted ? strcspn(q, "\"") : strcspn(q, "; \t");
		if (n == 0 || n >= outlen)
			return false;
		memcpy(out, q, n);
		out[n] = '\0';
		return true;
	}
	return false;
}

/* simple_encoding - for a message whose body is one text/plain or text/html part in a
 * transfer encoding we can undo here: 0 identity, 1 quoted-printable, 2 base64; -1 when the
 * message needs GMime (multipart, attachment, duplicate or RFC 2231 fields, other encodings). */
static int simple_encoding(const struct msg_priv *mp)
{
	const struct rp_message *m = &mp->pub;
	const char *ct = m->content_type, *cte, *disp, *ctv;

	if (strcmp(ct, "text/plain") != 0 && strcmp(ct, "text/html") != 0)
		return -1;
	long first = rp_message_header_next(m, "Content-Type", 0);
	if (first >= 0 && rp_message_header_next(m, "Content-Type", first + 1) >= 0)
		return -1;
	if (rp_message_header_next(m, "Content-Transfer-Encoding", 0) >= 0 &&
	    rp_message_header_next(m, "Content-Transfer-Encoding",
				   rp_message_header_next(m, "Content-Transfer-Encoding", 0) + 1) >= 0)
		return -1;
	if ((ctv = rp_message_header(m, "Content-Type")) != NULL && strchr(ctv, '*') != NULL)
		return -1;
	if ((disp = rp_message_header(m, "Content-Disposition")) != NULL && strncasecmp(disp, "inline", 6) != 0)
		return -1;
	if ((cte = rp_message_header(m, "Content-Transfer-Encoding")) == NULL)
		return 0;
	while (*cte == ' ' || *cte == '\t')
		cte++;
	static const struct { const char *name; int enc; } known[] = {
		{ "7bit", 0 }, { "8bit", 0 }, { "binary", 0 }, { "quoted-printable", 1 }, { "base64", 2 },
	};
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		size_t n = strlen(known[i].name);
		if (strncasecmp(cte, known[i].name, n) == 0 && (cte[n] == '\0' || cte[n] == ' ' || cte[n] == '\t'))
			return known[i].enc;
	}
	return -1;
}

/* simple_body - decode such a body with GMime's stateless decoders and collect its text, as
 * walk_leaf_text would: about half of all mail needs no GMime objects at all, and building
 * them was the largest part of the full analysis. */
static void simple_body(struct walk *w, struct collect *c, const char *body, size_t len, int enc)
{
	const struct rp_message *m = &c->mp->pub;
	const char *ctv = rp_message_header(m, "Content-Type");
	char cs[64];
	bool have_cs = ctv != NULL && header_param(ctv, "charset", cs, sizeof(cs));
	unsigned char *dec = NULL;
	const char *src = body;
	size_t n = len;

	if (enc != 0) {
		int state = 0;
		guint32 save = 0;
		dec = xmalloc(len + 4);
		n = enc == 1 ? g_mime_encoding_quoted_decode_step((const unsigned char *)body, len, dec, &state, &save)
			     : g_mime_encoding_base64_decode_step((const unsigned char *)body, len, dec, &state, &save);
		src = (const char *)dec;
	}
	c->leaf_index++;
	struct buf u;
	buf_init(&u);
	text_to_utf8(&u, have_cs ? cs : NULL, src, n);
	if (strcmp(m->content_type, "text/html") == 0) {
		struct buf h;
		buf_init(&h);
		html_to_text(c->mp, w->lim, &h, u.data, u.len);
		append_text(c, w->lim, &c->html, h.data, h.len);
		buf_fini(&h);
	} else {
		append_text(c, w->lim, &c->text, u.data, u.len);
	}
	buf_fini(&u);
	xfree(dec);
}

/* parse_into - split data's headers into mp, run GMime over it and walk the body at depth;
 * top is the message handed to rp_message_parse (its headers decide the X-ARF hint). */
static void parse_into(struct walk *w, struct msg_priv *mp, const char *data, size_t len, int depth,
		       bool top)
{
	struct collect c = { .mp = mp };
	bool cut = false;

	buf_init(&c.text);
	buf_init(&c.html);
	size_t body_at = msg_split_headers(mp, w->lim, data, len);
	mp->pub.content_type = msg_header_content_type(mp);
	if (top)
		w->xarf_hint = rp_message_header(&mp->pub, "X-XARF") != NULL ||
			       rp_message_header(&mp->pub, "X-ARF") != NULL;
	c.xarf_hint = top && w->xarf_hint;
	int enc = c.xarf_hint ? -1 : simple_encoding(mp);
	if (enc >= 0) {
		simple_body(w, &c, data + body_at, len - body_at, enc);
		collect_finish(&c);
		return;
	}
	struct buf mime;
	mime_view(mp, data + body_at, len - body_at, &mime);
	size_t glen = gmime_cut(mime.data, mime.len, w->lim->max_parts, &cut);
	GMimeMessage *msg = gmime_parse(mime.data, glen);
	buf_fini(&mime); /* GMime's memory stream keeps its own copy */
	if (cut)
		mp->pub.truncated = true;
	if (msg != NULL) {
		GMimeObject *body = g_mime_message_get_mime_part(msg);
		if (body != NULL) {
			mp->pub.content_type = mime_type_of(mp, body);
			walk_object(w, &c, body, depth);
		}
		g_object_unref(msg);
	}
	collect_finish(&c);
}

/* rp_message_parse - check the input, then parse it with the limits. */
int rp_message_parse(const char *data, size_t len, const struct rp_message_limits *lim,
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
	pthread_once(&gmime_once, gmime_init_once);

	struct walk w = { .lim = lim };
	struct msg_priv *mp = msg_new(NULL);
	parse_into(&w, mp, data + start, len - start, 0, true);
	*out = &mp->pub;
	return RP_OK;
}
