/* message_html.c - a small, linear HTML scanner: HTML (already UTF-8) to readable text plus
 * the links it points at (href, src, action, background, formaction).
 *
 * It is not a browser: it skips comments, <!...> and <?...?>, drops script and style
 * content, turns block tags into newlines, collapses white space and decodes character
 * references (named, decimal and hex; windows-1252 C1 remapping as HTML5 does). Every step
 * moves forward, so hostile markup (unterminated quotes, comments, tags) costs linear time. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "repute/buf.h"
#include "repute/strutil.h"
#include "message_int.h"

struct html_scan {
	struct msg_priv *mp;
	const struct rp_message_limits *lim;
	struct buf *out;
	size_t out_start;
	const char *s;
	size_t n, i;
	bool space; /* white space seen since the last character */
};

/* entity_named - UTF-8 text of a named character reference, or NULL. */
static const char *entity_named(const char *name, size_t n)
{
	static const struct { const char *name, *text; } ents[] = {
		{ "amp", "&" },     { "lt", "<" },       { "gt", ">" },       { "quot", "\"" },
		{ "apos", "'" },    { "nbsp", " " },     { "copy", "\xC2\xA9" }, { "reg", "\xC2\xAE" },
		{ "trade", "\xE2\x84\xA2" }, { "hellip", "\xE2\x80\xA6" }, { "mdash", "\xE2\x80\x94" },
		{ "ndash", "\xE2\x80\x93" }, { "lsquo", "\xE2\x80\x98" },  { "rsquo", "\xE2\x80\x99" },
		{ "ldquo", "\xE2\x80\x9C" }, { "rdquo", "\xE2\x80\x9D" },  { "laquo", "\xC2\xAB" },
		{ "raquo", "\xC2\xBB" },     { "middot", "\xC2\xB7" },     { "bull", "\xE2\x80\xA2" },
		{ "euro", "\xE2\x82\xAC" },  { "pound", "\xC2\xA3" },      { "yen", "\xC2\xA5" },
		{ "cent", "\xC2\xA2" },      { "times", "\xC3\x97" },      { "divide", "\xC3\xB7" },
		{ "deg", "\xC2\xB0" },       { "plusmn", "\xC2\xB1" },     { "sect", "\xC2\xA7" },
		{ "para", "\xC2\xB6" },      { "shy", "" },                { "zwj", "\xE2\x80\x8D" },
		{ "zwnj", "\xE2\x80\x8C" },  { "ensp", " " },              { "emsp", " " },
		{ "thinsp", " " },           { "iexcl", "\xC2\xA1" },      { "iquest", "\xC2\xBF" },
		{ "eacute", "\xC3\xA9" },    { "egrave", "\xC3\xA8" },     { "agrave", "\xC3\xA0" },
		{ "aacute", "\xC3\xA1" },    { "uuml", "\xC3\xBC" },       { "ouml", "\xC3\xB6" },
		{ "auml", "\xC3\xA4" },      { "szlig", "\xC3\x9F" },      { "ccedil", "\xC3\xA7" },
		{ "ntilde", "\xC3\xB1" },    { "rarr", "\xE2\x86\x92" },   { "larr", "\xE2\x86\x90" },
	};

	for (size_t i = 0; i < sizeof(ents) / sizeof(ents[0]); i++)
		if (strlen(ents[i].name) == n && memcmp(ents[i].name, name, n) == 0)
			return ents[i].text;
	return NULL;
}

/* c1_remap - windows-1252 meaning of numeric references 0x80..0x9F (HTML5). */
static unsigned long c1_remap(unsigned long cp)
{
	static const unsigned short map[32] = {
		0x20AC, 0x81,   0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
		0x2039, 0x0152, 0x8D,   0x017D, 0x8F,   0x90,   0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
		0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x9D,   0x017E, 0x0178,
	};
	return cp >= 0x80 && cp <= 0x9F ? map[cp - 0x80] : cp;
}

/* entity_decode - decode the reference at s[0] == '&' into out; returns bytes consumed
 * (0 when it is not a reference and '&' is literal). */
static size_t entity_decode(const char *s, size_t n, struct buf *out)
{
	size_t i = 1;

	if (i < n && s[i] == '#') {
		unsigned long cp = 0;
		bool hex = i + 1 < n && (s[i + 1] == 'x' || s[i + 1] == 'X');
		size_t digits = 0;
		i += hex ? 2 : 1;
		for (; i < n && (hex ? isxdigit((unsigned char)s[i]) : isdigit((unsigned char)s[i])); i++) {
			int d = isdigit((unsigned char)s[i]) ? s[i] - '0' : (tolower((unsigned char)s[i]) - 'a' + 10);
			if (cp <= 0x10FFFF)
				cp = cp * (hex ? 16 : 10) + (unsigned long)d;
			digits++;
		}
		if (digits == 0)
			return 0;
		if (i < n && s[i] == ';')
			i++;
		utf8_put(out, c1_remap(cp));
		return i;
	}
	while (i < n && i < 12 && isalnum((unsigned char)s[i]))
		i++;
	const char *text = entity_named(s + 1, i - 1);
	if (text == NULL) {
		/* names are case-sensitive, but "&AMP;" and friends are common enough */
		char low[12];
		for (size_t k = 1; k < i; k++)
			low[k - 1] = (char)tolower((unsigned char)s[k]);
		text = i > 1 ? entity_named(low, i - 1) : NULL;
		if (text == NULL || (strlen(text) != 1 && strcmp(text, " ") != 0))
			return 0;
	}
	if (i < n && s[i] == ';')
		i++;
	buf_puts(out, text);
	return i;
}

/* emit_space - flush pending white space as one space (never at a line start). */
static void emit_space(struct html_scan *h)
{
	if (h->space && h->out->len > h->out_start && h->out->data[h->out->len - 1] != '\n')
		buf_putc(h->out, ' ');
	h->space = false;
}

/* emit_newline - end the current line; at most one empty line in a row. */
static void emit_newline(struct html_scan *h)
{
	struct buf *o = h->out;
	size_t len = o->len - h->out_start;

	h->space = false;
	while (len > 0 && o->data[o->len - 1] == ' ')
		o->data[--o->len] = '\0', len--;
	if (len == 0 || (len >= 2 && o->data[o->len - 1] == '\n' && o->data[o->len - 2] == '\n'))
		return;
	buf_putc(o, '\n');
}

/* is_block - tags that break lines when rendered. */
static bool is_block(const char *t)
{
	static const char *const blocks[] = {
		"p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol",
		"blockquote", "hr", "title", "pre", "section", "article", "header", "footer", "dd", "dt",
		"dl", "form", "center", "address", "nav", "aside", "main", "tbody", "thead", "body", "html",
		"head", "option", "figure", "figcaption", "fieldset", "legend", "caption",
	};
	for (size_t i = 0; i < sizeof(blocks) / sizeof(blocks[0]); i++)
		if (t[0] == blocks[i][0] && strcmp(t, blocks[i]) == 0) /* first byte first: runs per tag */
			return true;
	return false;
}

/* is_link_attr - attributes whose value is a URL we keep. */
static bool is_link_attr(const char *a, size_t n)
{
	static const char *const attrs[] = { "href", "src", "action", "background", "formaction" };
	for (size_t i = 0; i < sizeof(attrs) / sizeof(attrs[0]); i++)
		if (strlen(attrs[i]) == n && strncasecmp(attrs[i], a, n) == 0)
			return true;
	return false;
}

/* add_link_value - decode references in an attribute value and keep it as a link. */
static void add_link_value(struct html_scan *h, const char *v, size_t n)
{
	struct buf b;

	buf_init(&b);
	for (size_t i = 0; i < n;) {
		size_t k = v[i] == '&' ? entity_decode(v + i, n - i, &b) : 0;
		if (k == 0)
			buf_putc(&b, v[i++]);
		else
			i += k;
	}
	msg_add_link(h->mp, h->lim, b.data, b.len);
	buf_fini(&b);
}

/* scan_attrs - walk the attributes of a tag up to its '>', keeping link values; returns
 * the offset just past the tag. */
static size_t scan_attrs(struct html_scan *h, size_t i, bool keep)
{
	const char *s = h->s;
	size_t n = h->n;

	while (i < n) {
		while (i < n && (isspace((unsigned char)s[i]) || s[i] == '/'))
			i++;
		if (i >= n || s[i] == '>')
			return i < n ? i + 1 : n;
		size_t an = i;
		while (i < n && !isspace((unsigned char)s[i]) && s[i] != '=' && s[i] != '>' && s[i] != '/')
			i++;
		size_t alen = i - an;
		while (i < n && isspace((unsigned char)s[i]))
			i++;
		if (i >= n || s[i] != '=')
			continue;
		i++;
		while (i < n && isspace((unsigned char)s[i]))
			i++;
		size_t vs, ve;
		if (i < n && (s[i] == '"' || s[i] == '\'')) {
			const char *q = memchr(s + i + 1, s[i], n - i - 1);
			vs = i + 1;
			ve = q ? (size_t)(q - s) : n;
			i = q ? ve + 1 : n;
		} else {
			vs = i;
			while (i < n && !isspace((unsigned char)s[i]) && s[i] != '>')
				i++;
			ve = i;
		}
		if (keep && is_link_attr(s + an, alen))
			add_link_value(h, s + vs, ve - vs);
	}
	return n;
}

/* skip_raw_text - past the closing tag of script/style (or to the end). */
static size_t skip_raw_text(struct html_scan *h, size_t i, const char *tag)
{
	char close[16];
	const char *e;

	snprintf(close, sizeof(close), "</%s", tag);
	e = mem_icasemem(h->s + i, h->n - i, close);
	if (e == NULL)
		return h->n;
	const char *gt = memchr(e, '>', (size_t)(h->s + h->n - e));
	return gt ? (size_t)(gt - h->s) + 1 : h->n;
}

/* scan_tag - handle markup starting at '<'; returns the offset after it, or 0 when the
 * '<' is literal text. */
static size_t scan_tag(struct html_scan *h, size_t i)
{
	const char *s = h->s;
	size_t n = h->n, j = i + 1;
	char tag[16];
	size_t tl = 0;

	if (n - i >= 4 && memcmp(s + i, "<!--", 4) == 0) {
		const char *e = memmem(s + i + 4, n - i - 4, "-->", 3);
		return e ? (size_t)(e - s) + 3 : n;
	}
	if (j < n && (s[j] == '!' || s[j] == '?')) {
		const char *gt = memchr(s + j, '>', n - j);
		return gt ? (size_t)(gt - s) + 1 : n;
	}
	bool closing = j < n && s[j] == '/';
	if (closing)
		j++;
	if (j >= n || !isalpha((unsigned char)s[j]))
		return 0;
	while (j < n && (isalnum((unsigned char)s[j]) || s[j] == '-' || s[j] == ':')) {
		if (tl + 1 < sizeof(tag))
			tag[tl++] = (char)tolower((unsigned char)s[j]);
		j++;
	}
	tag[tl] = '\0';
	j = scan_attrs(h, j, !closing);
	if (is_block(tag))
		emit_newline(h);
	else if (strcmp(tag, "td") == 0 || strcmp(tag, "th") == 0 || strcmp(tag, "img") == 0)
		h->space = true;
	if (!closing && (strcmp(tag, "script") == 0 || strcmp(tag, "style") == 0))
		j = skip_raw_text(h, j, tag);
	return j;
}

/* html_to_text - one forward pass: tags, references, white space. */
void html_to_text(struct msg_priv *mp, const struct rp_message_limits *lim, struct buf *out,
		  const char *html, size_t len)
{
	struct html_scan h = { .mp = mp, .lim = lim, .out = out, .out_start = out->len, .s = html, .n = len };
	size_t i = 0;

	buf_reserve(out, len);
	while (i < len) {
		unsigned char c = (unsigned char)html[i];
		if (c == '<') {
			size_t k = scan_tag(&h, i);
			if (k > 0) {
				i = k;
				continue;
			}
		}
		if (isspace(c)) {
			h.space = true;
			i++;
			continue;
		}
		emit_space(&h);
		if (c == '&') {
			size_t k = entity_decode(html + i, len - i, out);
			if (k > 0) {
				i += k;
				continue;
			}
		}
		/* copy a run of ordinary bytes at once */
		size_t run = i + 1;
		while (run < len && html[run] != '<' && html[run] != '&' && !isspace((unsigned char)html[run]))
			run++;
		buf_append(out, html + i, run - i);
		i = run;
	}
	while (out->len > h.out_start && (out->data[out->len - 1] == '\n' || out->data[out->len - 1] == ' '))
		out->data[--out->len] = '\0';
}
